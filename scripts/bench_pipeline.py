"""The whole run against its compute core: where `siting run` spends its time, and the map's size.

    python scripts/bench_pipeline.py [SCENARIO] [--repeat R]

Runs ``siting run`` on the scenario (default: the demo district, ``data/demo/scenario.toml``) in
this process, into a temporary folder, ``R`` times (default 2; the first run also pays the
imports, so the last is reported), and prints each stage's wall time, then:

- ``core_seconds``: the compute core (read and validate inputs, walking graph, coverage and the
  plan indicators, the siting MIP), the stages every answer needs;
- ``total_vs_core=``: the stage table's total over the core (issue 17 goal: ≤ 3; 7 when the
  issue was filed, 3.8 before the maps were packed);
- ``deliver_vs_core=``: the map and GIS stage over the core (9.3 s against about 3 s, 3.1, when
  the issue was filed; goal: a tenth of that, ≤ 0.31);
- ``isochrones_vs_core=``: the isochrone stage over the core;
- ``map_html_mb=``: the size of the HTML map (goal: ≤ 1.5 MB; 4.9 MB when the issue was filed).

Ratios against the core measured in the same run, since these machines are noisy.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

#: Stage keys (siting.i18n) of the compute core.
CORE = ("stage_load", "stage_graph", "stage_coverage", "stage_optimize")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("scenario", nargs="?", default=str(REPO / "data" / "demo" / "scenario.toml"))
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()

    from siting.i18n import label
    from siting.pipeline import default_map_path, run_pipeline
    from siting.scenario import load_scenario
    from siting.stages import StageTimer

    scenario_path = Path(args.scenario).resolve()
    here = os.getcwd()
    timer = None
    with tempfile.TemporaryDirectory(prefix="siting-bench-") as tmp:
        os.chdir(tmp)
        try:
            for i in range(max(1, args.repeat)):
                scenario = load_scenario(scenario_path)
                timer = StageTimer()
                run_pipeline(scenario, timer=timer, lang="en")
                size = default_map_path(scenario).stat().st_size
                print(f"run {i + 1}: {timer.total_seconds:.2f} s")
        finally:
            os.chdir(here)
    assert timer is not None
    seconds = {r.name: r.seconds for r in timer.records}
    names = {
        key: label(key, "en") for key in (*CORE, "stage_write", "stage_isochrones", "stage_deliver")
    }
    for r in timer.records:
        print(f"  {r.name:<36} {r.seconds:7.2f} s  {r.peak_rss_mb:6.0f} MB")
    core = sum(seconds.get(names[k], 0.0) for k in CORE)
    total = timer.total_seconds
    print(f"core_seconds={core:.2f}")
    print(f"total_seconds={total:.2f}")
    print(f"isochrones_vs_core={seconds.get(names['stage_isochrones'], 0.0) / core:.2f}")
    print(f"deliver_vs_core={seconds.get(names['stage_deliver'], 0.0) / core:.2f}")
    print(f"map_html_mb={size / 1e6:.2f}")
    print(f"total_vs_core={total / core:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
