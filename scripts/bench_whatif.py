"""How fast the what-if map answers a click (issue 19: an update within 100 ms on the demo).

Runs the demo's siting (``siting optimize``'s settings), writes its map with the what-if, opens it
in headless Chromium (Debian's ``chromium``, the network cut off: ``tests/siting/browser.py``) and
toggles sites as a planner would: every proposed site off and on again, then candidates on. Each
update is timed in the page (``performance.now()`` around the figures, the panel, the recoloured
choropleth and the site symbols). Prints::

    whatif_updates=<n> whatif_update_ms_median=<ms> whatif_update_ms_max=<ms>
    whatif_data_kb=<compressed data in the page> map_html_mb=<the whole map>
    python_evaluate_ms=<the same figures in Python> page_vs_python=<ratio>

Usage: ``python scripts/bench_whatif.py [SCENARIO]`` (default: the demo district).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from siting.coverage import compute_coverage  # noqa: E402
from siting.io import load_inputs  # noqa: E402
from siting.map_whatif import pack  # noqa: E402
from siting.optimize import optimize, optimize_settings  # noqa: E402
from siting.pipeline import proposal_catchments, write_map_for  # noqa: E402
from siting.scenario import load_scenario  # noqa: E402
from siting.walking import walking_graph  # noqa: E402
from siting.whatif import evaluate_state, plan_state, whatif_data  # noqa: E402
from tests.siting import browser  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default=str(ROOT / "data" / "demo"))
    parser.add_argument("--candidates", type=int, default=20, help="candidates opened (default 20)")
    args = parser.parse_args(argv)
    if not browser.available():
        print(f"bench_whatif: {browser.CHROMIUM} not found (apt-get install chromium)")
        return 1
    scenario = load_scenario(Path(args.scenario))
    inputs = load_inputs(scenario)
    graph = walking_graph(inputs)
    coverage = compute_coverage(inputs, graph)
    result = optimize(inputs, coverage, optimize_settings(scenario), graph=graph)
    data = whatif_data(result)
    out = Path(tempfile.mkdtemp(prefix="bench-whatif-")) / "whatif.html"
    write_map_for(inputs, proposal_catchments(inputs, graph, result), coverage, out, siting=result)
    status = np.asarray(data["options"]["status"])
    allowed = np.asarray(data["options"]["allowed"])
    ids = data["options"]["site_id"]
    proposed = [ids[k] for k in np.flatnonzero(status == "proposed")]
    spare = [
        (ids[k], data["options"]["type"][k])
        for k in np.flatnonzero((status == "candidate") & allowed)
    ]
    spare = spare[: args.candidates]
    script = f"""(async () => {{
        const api = await window.sitingWhatIfReady; const ms = [];
        for (const id of {json.dumps(proposed)}) {{
            api.toggle(id); ms.push(api.engine.lastMs); api.toggle(id); ms.push(api.engine.lastMs);
        }}
        for (const [id, t] of {json.dumps(spare)}) {{ api.toggle(id, t); ms.push(api.engine.lastMs); }}
        return ms; }})()"""
    report = browser.load_page(out, evaluate={"ms": script}, timeout_s=300)
    if report.errors:
        print("bench_whatif: page errors:", report.errors[:3])
        return 1
    ms = np.asarray(report.values["ms"], dtype=float)
    state = plan_state(data)
    t0 = time.perf_counter()
    for _ in range(20):
        evaluate_state(data, state)
    py_ms = (time.perf_counter() - t0) / 20 * 1000
    print(
        f"whatif_updates={len(ms)} whatif_update_ms_median={np.median(ms):.1f} "
        f"whatif_update_ms_max={ms.max():.1f}"
    )
    print(
        f"whatif_data_kb={len(pack(data)) / 1024:.0f} map_html_mb={out.stat().st_size / 2**20:.2f} "
        f"options={data['n_options']} classes={len(data['classes']['elderly'])}"
    )
    print(f"python_evaluate_ms={py_ms:.2f} page_vs_python={np.median(ms) / py_ms:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
