"""Many districts on a Dask LocalCluster of 2 workers, and tiled coverage on it.

Multi-district results are compared with the districts run one by one in this process; tiled
coverage with the untiled computation; a broken district must fail alone.
"""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest

from siting.citywide import city_table, run_many, write_city
from siting.cli import main
from siting.coverage import compute_coverage
from siting.io import load_inputs
from siting.maps import external_references
from siting.pipeline import run_pipeline
from siting.scale import computing
from siting.scenario import load_scenario
from siting.walking import walking_graph
from tests.siting import browser

distributed = pytest.importorskip("distributed")

DEMO_SMALL = Path(__file__).resolve().parents[2] / "data" / "demo-small" / "scenario.toml"


def write_scenario(folder: Path, name: str, extra: str) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(
        textwrap.dedent(
            f"""\
            extends = "{DEMO_SMALL.as_posix()}"
            {textwrap.dedent(extra)}
            [output]
            dir = "{(folder / "out" / name).as_posix()}"
            """
        ),
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A working directory for the module (district maps go to ./maps), restored afterwards."""
    folder = tmp_path_factory.mktemp("city")
    old = os.getcwd()
    os.chdir(folder)
    yield folder
    os.chdir(old)


@pytest.fixture(scope="module")
def scenarios(workdir):
    """Two districts (different codes and budgets) and one whose facilities file is missing."""
    a = write_scenario(
        workdir,
        "east",
        """
        [scenario]
        name = "东区（虚构）"
        district_code = "500198"
        district_name = "东区"
        [optimize]
        budget_wan_yuan = 300
        """,
    )
    b = write_scenario(
        workdir,
        "west",
        """
        [scenario]
        name = "西区（虚构）"
        district_code = "500197"
        district_name = "西区"
        [optimize]
        budget_wan_yuan = 120
        """,
    )
    broken = write_scenario(
        workdir,
        "broken",
        """
        [scenario]
        district_code = "500196"
        district_name = "坏区"
        [inputs.facilities]
        path = "no-such-facilities.csv"
        """,
    )
    return a, b, broken


@pytest.fixture(scope="module")
def client(workdir):
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as c,
    ):
        yield c


@pytest.fixture(scope="module")
def city(scenarios, client):
    return run_many(scenarios, client=client)


def test_districts_equal_one_by_one_and_a_failure_stays_alone(city, scenarios, client):
    a, b, broken = city.districts
    assert [d.status for d in city.districts] == ["ok", "ok", "failed"]
    assert "no-such-facilities.csv" in broken.error + " ".join(p.message for p in broken.problems)
    assert len({a.summary["worker"], b.summary["worker"]}) >= 1  # ran on the cluster's workers
    assert city.n_workers == 2
    for district, path in zip((a, b), scenarios[:2], strict=True):
        alone = run_pipeline(load_scenario(path))
        com = alone.coverage.communities
        got = district.communities.set_index("code")
        np.testing.assert_array_equal(
            got.loc[com["code"].astype(str), "covered_elderly"].to_numpy(),
            com["covered_elderly"].to_numpy(),
        )
        assert district.summary["coverage_pct"] == alone.coverage.coverage_pct
        s = alone.siting.summary
        assert district.summary["n_new_sites"] == s["n_new_sites"]
        assert district.summary["spent_wan_yuan"] == s["spent_wan_yuan"]
        assert district.summary["coverage_after_pct"] == s["coverage_after_pct"]
        after = alone.siting.communities.set_index("code")["coverage_after_pct"]
        np.testing.assert_array_equal(
            got.loc[after.index.astype(str), "coverage_after_pct"].to_numpy(), after.to_numpy()
        )
        assert set(district.proposed["site_id"]) == set(alone.siting.sites["site_id"].astype(str))
    # the two districts differ (different budgets), so the comparison above is not vacuous
    assert a.summary["n_new_sites"] != b.summary["n_new_sites"]


def test_city_table_adds_up(city):
    table = city_table(city)
    ok = table[table["status"] == "ok"]
    total = table.iloc[-1]
    assert total["district"] == "city_total"
    assert total["elderly"] == pytest.approx(ok["elderly"].sum())
    assert total["covered_elderly"] == pytest.approx(ok["covered_elderly"].sum())
    assert total["coverage_pct"] == pytest.approx(
        100 * ok["covered_elderly"].sum() / ok["elderly"].sum()
    )
    assert total["n_new_sites"] == ok["n_new_sites"].sum()


def test_city_outputs_read_back(city, workdir):
    out = workdir / "city-out"
    written = write_city(city, out, map_path=workdir / "maps" / "city.html")
    assert {p.name for p in written} == {
        "city_report.csv",
        "city_report.xlsx",
        "city.gpkg",
        "city.html",
    }
    layers = dict(pyogrio.list_layers(out / "city.gpkg"))
    layers.pop("layer_styles", None)  # QGIS's styles (GDAL lists the table in some files)
    assert set(layers) == {"districts", "streets", "communities", "facilities", "proposed"}
    com = pyogrio.read_dataframe(out / "city.gpkg", layer="communities")
    n = sum(len(d.communities) for d in city.succeeded)
    assert len(com) == n
    assert sorted(com["district_code"].unique()) == ["500197", "500198"]
    assert com.crs.to_epsg() == 4490
    report = pd.read_csv(out / "city_report.csv", encoding="utf-8-sig")
    assert len(report) == 4  # two districts, the failed one, the city total
    assert list(report["状态"][:3]) == ["完成", "完成", "失败"]
    html = (workdir / "maps" / "city.html").read_text(encoding="utf-8")
    assert external_references(html) == []
    for name in ("社区/村：现状覆盖率", "规划新建（", "区县边界", "东区", "西区"):
        assert name in html or json.dumps(name)[1:-1] in html


@pytest.mark.skipif(not browser.available(), reason="chromium not installed")
def test_city_map_in_chromium(city, workdir, tmp_path):
    path = tmp_path / "city.html"
    write_city(city, tmp_path / "out", map_path=path)
    report = browser.load_page(
        path,
        screenshot=tmp_path / "city.png",
        evaluate={
            "layers": "Array.from(document.querySelectorAll('.leaflet-control-layers-overlays"
            " label')).map(l => l.innerText.trim())",
            "markers": "document.querySelectorAll('.siting-fac').length",
            "legend": "document.getElementById('siting-legend').innerText",
            "title": "document.getElementById('siting-title').innerText",
        },
    )
    assert report.errors == []
    assert report.requests == []
    n_fac = sum(len(d.facilities) + len(d.proposed) for d in city.succeeded)
    assert report.values["markers"] == n_fac
    assert "区县边界" in report.values["layers"]
    assert len(report.values["layers"]) == 5  # one layer per kind, whatever the number of districts
    assert "覆盖率" in report.values["legend"] and "社区养老服务站" in report.values["legend"]
    assert "2 个区县" in report.values["title"]


def test_tiled_coverage_on_the_cluster_equals_untiled(client):
    inputs = load_inputs(load_scenario(DEMO_SMALL))
    graph = walking_graph(inputs)
    plain = compute_coverage(inputs, graph)
    with computing(tile_m=1500.0, executor=client.get_executor()):
        tiled = compute_coverage(inputs, graph)
    for name in ("indptr", "indices", "data"):
        np.testing.assert_array_equal(
            getattr(plain.matrix.seconds, name), getattr(tiled.matrix.seconds, name)
        )
    pd.testing.assert_frame_equal(plain.communities, tiled.communities)
    pd.testing.assert_frame_equal(plain.district, tiled.district)
    assert plain.problems == tiled.problems


def test_cli_run_many_reports_the_failure_and_writes_the_rest(scenarios, workdir, client, capsys):
    address = client.scheduler.address  # an existing cluster, as --scheduler gives it
    code = main(
        [
            "run-many",
            *map(str, scenarios),
            "--scheduler",
            address,
            "--out",
            str(workdir / "cli-out"),
        ]
    )
    assert code == 1  # one district failed
    text = capsys.readouterr().out
    assert "broken.toml" in text and "no-such-facilities.csv" in text
    assert (workdir / "cli-out" / "city.gpkg").exists()
    assert (workdir / "maps" / "cli-out.html").exists()


def test_cli_coverage_in_tiles_writes_the_same_tables(workdir):
    plain, tiled = workdir / "cov-plain", workdir / "cov-tiled"
    assert main(["coverage", str(DEMO_SMALL), "--out", str(plain)]) == 0
    assert main(["coverage", str(DEMO_SMALL), "--tile-km", "1.5", "--out", str(tiled)]) == 0
    names = sorted(p.name for p in plain.glob("*.csv"))
    assert names and names == sorted(p.name for p in tiled.glob("*.csv"))
    for name in names:
        assert (plain / name).read_bytes() == (tiled / name).read_bytes(), name


def test_cli_refuses_a_bad_tile_size(capsys):
    assert main(["coverage", str(DEMO_SMALL), "--tile-km", "0"]) == 1
    assert "--tile-km" in capsys.readouterr().out


def test_dask_warnings_go_to_the_log_not_the_console(capfd, caplog):
    import logging

    from siting.citywide import route_dask_logs

    route_dask_logs()
    with caplog.at_level(logging.DEBUG, logger="siting.citywide"):
        logging.getLogger("distributed.nanny").warning(
            "Worker process still alive after 3.9999 seconds, killing"
        )
        logging.getLogger("distributed.client").warning("a client warning")
    out, err = capfd.readouterr()
    assert "still alive" not in out + err and "client warning" not in out + err
    logged = [r.getMessage() for r in caplog.records if r.name == "siting.citywide"]
    assert any("distributed.nanny (WARNING): Worker process still alive" in m for m in logged)
    assert any("a client warning" in m for m in logged)
