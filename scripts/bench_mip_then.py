"""The siting MIP at city scale against the code of when issue 17 was filed, on the same instance.

    python scripts/make_demo_district.py --scale 8 --out /tmp/demo-x8
    python scripts/bench_mip_then.py /tmp/demo-x8 [--street-points 120000] [--then 8c4f5c8]

The instance: the demo generated at N times its area and population (``--scale 8``: about 5,000
candidate options), its buildings left out so that its older people are placed along the streets
(``[demand] street_spacing_m`` chosen to give about ``--street-points`` demand points, as on a
bureau's road layer without buildings; :func:`bench_pipeline.street_scenario`), the scenario's
own settings (the documents' rules, the budget lines, CBC, gap 0).

Each checkout (this one, and ``--then``: a commit checked out into a temporary git worktree; by
default ``8c4f5c8``, the last commit before issue 17's speed-ups) loads the district, builds the
walking graph and the coverage, then times ``siting.optimize.optimize`` (build the model, solve
it, make the result) in a process of its own, with a time limit of ``--time-limit`` seconds on
the whole call. The script prints each side's model size, status, gap, objective, new sites and
times, then ``mip_then_seconds=``, ``mip_now_seconds=``, ``mip_speedup_vs_then=`` (issue 17
goal 5: ≥ 5) and ``objective_equal=`` (the final stage's objective, weighted older people
covered, equal to 1e-6), and ``mip_gap_pct=`` of this checkout (goal: ≤ 0.5 %).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

#: Run in each checkout (its own ``siting`` first on the path): one JSON line of figures.
DRIVER = r"""
import json, sys, time
from siting.coverage import compute_coverage
from siting.io import load_inputs
from siting.optimize import optimize, optimize_settings
from siting.scenario import load_scenario
from siting.walking import walking_graph

scenario = load_scenario(sys.argv[1])
inputs = load_inputs(scenario)
graph = walking_graph(inputs)
coverage = compute_coverage(inputs, graph)
settings = optimize_settings(scenario)
t0 = time.perf_counter()
r = optimize(inputs, coverage, settings, graph=graph)
seconds = time.perf_counter() - t0
s = r.summary
print("RESULT " + json.dumps({
    "seconds": seconds,
    "build_seconds": r.build_seconds,
    "solve_seconds": r.solve_seconds,
    "status": r.status,
    "gap": r.gap,
    "objective": r.objective,
    "objective_name": r.objective_name,
    "covered_after": s["covered_after"],
    "spent_wan_yuan": s["spent_wan_yuan"],
    "n_new_sites": s["n_new_sites"],
    "demand_points": s["demand_points"],
    "options": s["options"],
    "classes": s.get("classes"),
    "variables": s.get("model_variables"),
    "rows": s.get("model_constraints"),
    "stages": [(st["stage"], st["status"]) for st in r.stages],
}))
"""


def run_side(checkout: Path, scenario: Path, timeout_s: float) -> dict | None:
    """The driver in ``checkout``'s code; its figures (None: over the time limit)."""
    env = dict(os.environ, PYTHONPATH=str(checkout))
    try:
        done = subprocess.run(
            [sys.executable, "-c", DRIVER, str(scenario)],
            cwd=tempfile.gettempdir(),
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return None
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError(f"{checkout}: the driver failed:\n{done.stderr[-3000:]}")
    return json.loads(line[len("RESULT ") :])


def show(title: str, r: dict | None, limit: float) -> None:
    if r is None:
        print(f"{title}: no answer within {limit:g} s")
        return
    gap = "n/a" if r["gap"] is None else f"{100 * r['gap']:.3f} %"
    print(
        f"{title}: {r['demand_points']:,} demand points × {r['options']:,} options "
        f"({r['classes'] or 0:,} demand classes; {r['variables'] or 0:,} variables, "
        f"{r['rows'] or 0:,} rows); {r['status']}, gap {gap}; {r['objective_name']} "
        f"{r['objective']:,.3f}, {r['covered_after']:,.1f} older people covered, "
        f"{r['n_new_sites']} new sites, {r['spent_wan_yuan']:,.1f} 万元; "
        f"build {r['build_seconds']:.2f} s, solve {r['solve_seconds']:.2f} s, "
        f"optimize {r['seconds']:.2f} s; stages {r['stages']}"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("district", type=Path, help="a district folder made with --scale N")
    ap.add_argument("--street-points", type=int, default=120_000)
    ap.add_argument("--then", default="8c4f5c8", help="the commit to compare with")
    ap.add_argument("--time-limit", type=float, default=1800.0, help="seconds per side")
    args = ap.parse_args()
    sys.path.insert(0, str(REPO / "scripts"))
    from bench_pipeline import street_scenario

    scenario = street_scenario(args.district.resolve(), args.street_points)
    now = run_side(REPO, scenario, args.time_limit)
    show("now", now, args.time_limit)
    with tempfile.TemporaryDirectory(prefix="siting-then-") as tmp:
        then_dir = Path(tmp) / "then"
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "add", "--detach", "-q", str(then_dir), args.then],
            check=True,
        )
        try:
            then = run_side(then_dir, scenario, args.time_limit)
        finally:
            subprocess.run(
                ["git", "-C", str(REPO), "worktree", "remove", "--force", str(then_dir)],
                check=False,
            )
    show(f"then ({args.then})", then, args.time_limit)
    if now is None:
        return 1
    print(f"mip_now_seconds={now['seconds']:.2f}")
    gap = "n/a" if now["gap"] is None else f"{100 * now['gap']:.3f}"
    print(f"mip_gap_pct={gap}")
    if then is None:
        print(f"mip_then_seconds=>{args.time_limit:g}")
        print(f"mip_speedup_vs_then=>{args.time_limit / now['seconds']:.1f}")
        return 0
    print(f"mip_then_seconds={then['seconds']:.2f}")
    print(f"mip_speedup_vs_then={then['seconds'] / now['seconds']:.2f}")
    equal = abs(then["objective"] - now["objective"]) <= 1e-6 * max(1.0, abs(now["objective"]))
    print(f"objective_equal={equal}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
