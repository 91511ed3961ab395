"""The command line on the small demo district, as a user runs it."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from siting.cli import main

SMALL = Path(__file__).resolve().parents[2] / "data" / "demo-small"


@pytest.fixture
def small_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "demo-small"
    shutil.copytree(SMALL, folder)
    return folder


def census_communities() -> gpd.GeoDataFrame:
    return gpd.read_file(SMALL / "boundaries.gpkg", layer="社区村")


def test_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for command in ("validate", "run", "isochrones"):
        assert command in out


def test_validate_prints_the_summary(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert main(["validate", str(SMALL)]) == 0
    out = capsys.readouterr().out
    com = gpd.read_file(SMALL / "boundaries.gpkg", layer="社区村")
    n_village = int((com["类型"] == "村").sum())
    assert "校验通过" in out
    assert f"{int(com['常住人口'].sum()):,}" in out
    assert f"│ 村   │   {n_village:>2} │" in out
    assert "EPSG:4544" in out
    assert not any(tmp_path.iterdir())  # validate writes nothing


def test_validate_in_english(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["--lang", "en", "validate", str(SMALL), "--skip-network"]) == 0
    out = capsys.readouterr().out
    assert "Validation passed" in out and "aged 60+" in out


def test_validate_lists_every_problem_of_a_broken_copy(capsys, small_copy, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    gpkg = small_copy / "boundaries.gpkg"
    com = gpd.read_file(gpkg, layer="社区村")
    com.loc[1, "社区村代码"] = com.loc[0, "社区村代码"]
    com.loc[2, "常住人口"] = -10
    com.to_file(gpkg, layer="社区村", mode="w")
    fac = pd.read_csv(small_copy / "facilities_amap.csv", dtype=str, encoding="utf-8-sig")
    fac.loc[0, "类型"] = "老年食堂"
    fac.to_csv(small_copy / "facilities_amap.csv", index=False, encoding="utf-8-sig")
    (small_copy / "candidates.xlsx").unlink()

    assert main(["validate", str(small_copy)]) == 1
    out = capsys.readouterr().out
    assert "校验未通过" in out  # Chinese: the place and the message (siting.messages)
    assert "boundaries.gpkg（图层“社区村”），第 1, 2 行，列“社区村代码”：code 重复" in out
    assert "第 3 行，列“常住人口”：“pop_total”列有负值" in out
    assert "facilities_amap.csv，第 2 行，列“类型”：“type”有未知取值 ['老年食堂']" in out
    assert (
        "candidates.xlsx（工作表“候选点”）：找不到文件——请检查情景中 [inputs.candidates] 的 path"
        in out
    )
    assert main(["--lang", "en", "validate", str(small_copy)]) == 1
    out = capsys.readouterr().out
    assert "boundaries.gpkg (layer '社区村'), row 1, 2, column '社区村代码': duplicate code" in out
    assert "row 3, column '常住人口': negative values" in out
    assert "facilities_amap.csv, row 2, column '类型': unknown value(s) ['老年食堂']" in out
    assert "candidates.xlsx (sheet '候选点'): file not found" in out
    assert not (tmp_path / "output").exists()


def test_isochrones_writes_nested_polygons(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert main(["isochrones", str(SMALL), "--minutes", "5", "15"]) == 0
    out = tmp_path / "output" / "demo-small" / "isochrones_5-15min.gpkg"
    layers = {name for name, _ in pyogrio.list_layers(out)} - {"layer_styles"}
    assert layers == {"isochrones_sites", "isochrones_by_type"}
    sites = gpd.read_file(out, layer="isochrones_sites")
    n_fac = len(pd.read_csv(SMALL / "facilities_amap.csv"))
    assert len(sites) == 2 * n_fac
    assert sites.geometry.is_valid.all()
    five = sites[sites["max_minutes"] == 5].set_index("site_id").geometry
    fifteen = sites[sites["max_minutes"] == 15].set_index("site_id").geometry
    for site in five.index:
        if not five[site].is_empty:
            assert shapely.area(shapely.difference(five[site], fifteen[site])) < 1e-9  # deg²
    by_type = gpd.read_file(out, layer="isochrones_by_type")
    assert set(by_type["type_label"]) >= {"社区养老服务站", "村级互助养老点"}
    # slower walkers reach less: frail (0.64 m/s) inside older adult (0.8 m/s)
    frail = tmp_path / "frail.gpkg"
    assert (
        main(["isochrones", str(SMALL), "--minutes", "15", "--speed", "frail", "--out", str(frail)])
        == 0
    )
    slow = gpd.read_file(frail, layer="isochrones_by_type").set_index("type").geometry
    fast = by_type[by_type["max_minutes"] == 15].set_index("type").geometry
    assert np.all([slow[t].area < fast[t].area for t in slow.index])


def test_bad_speed_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        main(["isochrones", str(SMALL), "--speed", "0"])
    assert info.value.code == 2
    assert "walking speed must be > 0" in capsys.readouterr().err


def test_unwritable_output_folder_is_a_clear_error(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["isochrones", str(SMALL), "--out", str(blocker / "iso.gpkg")]) == 1
    assert "无法写入输出文件夹" in capsys.readouterr().out


def test_run_on_small_demo(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(SMALL)]) == 0
    out = capsys.readouterr().out
    assert "读取与校验输入" in out and "内存峰值(MB)" in out
    # the siting stage runs on the scenario's budget lines and prints money by line and level
    assert (
        "资金分项（按年份、分项与层级，万元）" in out
        and "区级资金" in out
        and "市级建设补助" in out
    )
    folder = tmp_path / "output" / "demo-small"
    money = pd.read_csv(folder / "siting_money.csv", encoding="utf-8-sig")
    budget = pd.read_csv(folder / "siting_budget.csv", encoding="utf-8-sig")
    assert money["第几年"].astype(str).tolist() == ["1", "2", "3", "4", "5", "合计"]
    total = money.astype({"第几年": str}).set_index("第几年").loc["合计"]
    assert float(total["合计(万元)"]) == pytest.approx(
        float(total["市级合计(万元)"]) + float(total["区级合计(万元)"])
    )
    spend = dict(zip(budget["预算"], budget["支出(万元)"], strict=True))
    assert spend["区级资金"] == pytest.approx(float(total["区级合计(万元)"]), abs=0.02)
    assert float(budget.set_index("预算").loc["区级资金", "上限(万元)"]) == 300.0
    assert "预算—覆盖率曲线" in out  # the report's curve is a stage of its own


def test_run_without_the_curve_leaves_its_stage_out_and_still_writes_the_report(
    capsys, monkeypatch, tmp_path
):
    monkeypatch.chdir(tmp_path)
    assert main(["--lang", "en", "run", str(SMALL), "--no-curve"]) == 0
    out = capsys.readouterr().out
    assert "budget–coverage curve" not in out and "one-page report" in out
    folder = tmp_path / "output" / "demo-small"
    assert (folder / "report.pdf").is_file() and (folder / "report.png").is_file()
    assert (folder / "siting_sites.csv").is_file()


def test_coverage_writes_tables_whose_totals_match_the_census(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert main(["coverage", str(SMALL)]) == 0
    out = capsys.readouterr().out
    assert "规划指标核对" in out and "居家养老服务覆盖率" in out
    folder = tmp_path / "output" / "demo-small"
    communities = pd.read_csv(
        folder / "coverage_communities.csv", encoding="utf-8-sig", dtype={"代码": str}
    )
    census = gpd.read_file(SMALL / "boundaries.gpkg", layer="社区村")
    assert len(communities) == len(census)
    elderly_col = "60岁及以上老年人"
    assert communities[elderly_col].sum() == pytest.approx(census["60岁及以上"].sum())
    assert (folder / "coverage.xlsx").exists() and (folder / "indicators.csv").exists()


def test_map_and_export_commands(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert main(["map", str(SMALL), "--basemap", "tianditu"]) == 1
    assert "--tianditu-key" in capsys.readouterr().out
    assert not (tmp_path / "maps").exists()

    assert main(["export", str(SMALL), "--format", "shp", "--crs", "gk"]) == 0
    zipped = tmp_path / "output" / "demo-small" / "layers_shp.zip"
    assert zipped.exists()
    assert main(["map", str(SMALL), "--out", str(tmp_path / "m.html")]) == 0
    html = (tmp_path / "m.html").read_text(encoding="utf-8")
    assert "演示区小样" in html
    # offline: no script, image or stylesheet from a server (links in the attribution are fine)
    assert not re.search(r"""<(script|img)[^>]+src\s*=\s*["']https?://""", html)
    assert not re.search(r"""<link[^>]+href\s*=\s*["']https?://""", html)


def test_unknown_export_crs_is_a_usage_error(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as info:
        main(["export", str(SMALL), "--crs", "mars"])
    assert info.value.code == 2
    assert "invalid choice: 'mars'" in capsys.readouterr().err
    assert not (tmp_path / "output").exists()


def test_optimize_command(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert main(["optimize", str(SMALL), "--budget", "300"]) == 0
    out = capsys.readouterr().out
    assert "求解状态：optimal" in out
    sites = pd.read_csv(
        tmp_path / "output" / "demo-small" / "siting_sites.csv", encoding="utf-8-sig"
    )
    cost_col = next(c for c in sites.columns if "万元" in c)
    assert 0 < sites[cost_col].sum() <= 300 + 1e-6
    assert (tmp_path / "maps" / "demo-small_siting.html").exists()


def test_optimize_unreachable_target_is_explained(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    code = main(["optimize", str(SMALL), "--objective", "min-cost", "--target", "0.99"])
    assert code == 1
    out = capsys.readouterr().out
    assert "覆盖率目标 99.0% 无法达到" in out
    assert not (tmp_path / "output" / "demo-small" / "siting_sites.csv").exists()


def _plan_toml(folder: Path, name: str, budget: float) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(
        f'extends = "{(SMALL / "scenario.toml").as_posix()}"\n'
        f'[scenario]\nname = "{name}"\n[output]\ndir = "output/{name}"\n'
        f"[plan]\nfirst_year = 2021\nlast_year = 2023\nbudget_wan_yuan = {budget}\n",
        encoding="utf-8",
    )
    return path


def test_plan_and_compare_commands(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    low = _plan_toml(tmp_path, "low", 30)
    high = _plan_toml(tmp_path, "high", 90)
    assert main(["plan", str(low)]) == 0
    out = capsys.readouterr().out
    assert "逐年投入与覆盖" in out
    # the same warnings and attachment line as coverage and run
    assert out.count("348 个居住点中有 4 个（159 名老年人）在与主路网隔断的孤立路网上") == 1
    assert (
        out.rstrip().splitlines()[-1].startswith("接入步行网络：现有设施 14/14（1 个在孤立路网上）")
    )
    years = pd.read_csv(tmp_path / "output" / "low" / "plan_years.csv", encoding="utf-8-sig")
    assert list(years["年份"]) == [2020, 2021, 2022, 2023]  # base year, then the plan years
    assert (tmp_path / "maps" / "plan_low.html").exists()
    # the plan as GIS layers: every build with its year, type and cost; coverage after per 社区/村
    gpkg = tmp_path / "output" / "low" / "plan.gpkg"
    sites = gpd.read_file(gpkg, layer="plan_sites")
    builds = pd.read_csv(tmp_path / "output" / "low" / "plan_builds.csv", encoding="utf-8-sig")
    page = (tmp_path / "maps" / "plan_low.html").read_text(encoding="utf-8")
    for _, row in builds.iterrows():  # the plan map says when each site is built
        tip = f"{row['名称']} · {int(row['年份'])}年建"
        assert tip in page or json.dumps(tip)[1:-1] in page, tip
    assert len(sites) == len(builds) > 0 and sites.crs.to_epsg() == 4490
    assert sorted(sites["year"]) == sorted(builds["年份"])
    assert sites["year"].dtype.kind == "i" and set(sites["type_label"]) <= set(builds["类型"])
    assert sites.geometry.geom_type.eq("Point").all()
    # the build list maps from its CSV too: CGCS2000 lon/lat, the layer's points
    by_id = sites.set_index("site_id").geometry
    for _, row in builds.iterrows():
        p = by_id[row["点位编号"]]
        p = p.iloc[0] if hasattr(p, "iloc") else p
        assert abs(row["经度(CGCS2000)"] - p.x) < 2e-6 and abs(row["纬度(CGCS2000)"] - p.y) < 2e-6
    com = gpd.read_file(gpkg, layer="plan_communities")
    assert len(com) == len(census_communities()) and com.geometry.notna().all()
    assert (com["coverage_after_pct"] >= com["coverage_before_pct"] - 1e-9).all()
    assert main(["compare", str(low), str(high)]) == 0
    assert (tmp_path / "output" / "compare" / "comparison.csv").exists()


def test_plan_with_a_year_outside_the_plan_names_the_key(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    path = _plan_toml(tmp_path, "bad", 30)
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "budget_wan_yuan = 30", "budget_wan_yuan = { 2030 = 30 }"
        ),
        encoding="utf-8",
    )
    assert main(["plan", str(path)]) == 1
    out = capsys.readouterr().out
    assert "2030" in out and "budget_wan_yuan" in out
    assert not (tmp_path / "output").exists()


def _warning_lines(out: str) -> list[str]:
    """The warning lines a command printed (``  - …`` under 提示), wrapped lines joined."""
    text = out.split("提示 (", 1)[1]
    lines = [ln for ln in text.splitlines()[1:] if ln.startswith("  - ")]
    return [ln for ln in lines if "孤立路网" in ln or "可步行道路" in ln]


def test_run_and_optimize_print_the_warnings_coverage_prints(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert main(["coverage", str(SMALL)]) == 0
    coverage = _warning_lines(capsys.readouterr().out)
    # the demo's island warnings: 4 homes of 159 older people, facility B0FFE97DYB
    assert len(coverage) == 2
    assert "348 个居住点中有 4 个（159 名老年人）在与主路网隔断的孤立路网上" in coverage[0]
    assert "记录 B0FFE97DYB：该设施位于只有 2 个节点的孤立路网上" in coverage[1]
    attached = "接入步行网络：现有设施 14/14（1 个在孤立路网上）；候选点 22/22（1 个在孤立路网上）；居住点 348/348（4 个在孤立路网上）"
    for command in (["run", str(SMALL)], ["optimize", str(SMALL), "--budget", "300"]):
        assert main(command) == 0
        out = capsys.readouterr().out
        assert _warning_lines(out) == coverage, command[0]
        assert out.count("348 个居住点中有 4 个") == 1  # once, not once per section
        # after the stage table: what was attached (14 facilities, 22 candidates, 348 homes)
        assert out.rstrip().splitlines()[-1] == attached, command[0]


def test_failed_run_leaves_no_output_folder(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    bad = tmp_path / "bad.toml"
    bad.write_text(
        f'extends = "{(SMALL / "scenario.toml").as_posix()}"\n'
        '[output]\ndir = "output/bad"\n[optimize]\nbudget_wan_yuan = -5\n',
        encoding="utf-8",
    )
    assert main(["run", str(bad)]) == 1
    assert "budget_wan_yuan" in capsys.readouterr().out
    assert not (tmp_path / "output").exists()
    # a run that fails after writing the coverage tables (an unreachable target) removes them too
    late = tmp_path / "late.toml"
    late.write_text(
        f'extends = "{(SMALL / "scenario.toml").as_posix()}"\n[output]\ndir = "output/late"\n'
        '[optimize]\nobjective = "min_cost"\ncoverage_target = 0.99\n',
        encoding="utf-8",
    )
    assert main(["run", str(late)]) == 1
    assert "无法达到" in capsys.readouterr().out
    assert not (tmp_path / "output").exists()
    # a folder that existed is left as it was
    kept = tmp_path / "output" / "late"
    kept.mkdir(parents=True)
    (kept / "notes.txt").write_text("mine", encoding="utf-8")
    assert main(["run", str(late)]) == 1
    assert kept.is_dir() and (kept / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_failed_validation_leaves_no_output_folder(capsys, small_copy, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    path = small_copy / "facilities_amap.csv"
    text = path.read_text(encoding="utf-8-sig").replace(",106.0", ",107.0", 1)  # one far away
    path.write_text(text, encoding="utf-8-sig")
    for command in ("run", "coverage", "optimize"):
        assert main([command, str(small_copy)]) == 1
        assert "1 条记录位于区界之外（超过 100 米）" in capsys.readouterr().out
        assert not (tmp_path / "output").exists(), command


def test_missing_dem_is_reported_by_coverage_and_run(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "nodem.toml"
    path.write_text(
        f'extends = "{(SMALL / "scenario.toml").as_posix()}"\n[output]\ndir = "output/nodem"\n'
        f'[inputs.dem]\npath = "{(tmp_path / "missing.tif").as_posix()}"\n',
        encoding="utf-8",
    )
    for command in ("coverage", "run"):
        assert main([command, str(path)]) == 0
        out = capsys.readouterr().out
        assert out.count("找不到 DEM 文件：步行时间将不考虑坡度") == 1, command
        assert out.count("未提供 DEM：每条路段按平地计算") == 1, command


def test_a_tianditu_key_goes_into_the_map_only_when_asked_and_is_said(
    capsys, monkeypatch, tmp_path
):
    monkeypatch.chdir(tmp_path)
    plain = tmp_path / "plain.html"
    assert main(["map", str(SMALL), "--out", str(plain)]) == 0
    assert "tianditu" not in plain.read_text(encoding="utf-8")
    assert "天地图密钥" not in capsys.readouterr().out
    keyed = tmp_path / "keyed.html"
    args = ["map", str(SMALL), "--basemap", "tianditu", "--tianditu-key", "KEY123"]
    assert main([*args, "--out", str(keyed)]) == 0
    assert "tk=KEY123" in keyed.read_text(encoding="utf-8")
    out = capsys.readouterr().out
    assert "天地图密钥已写入该 HTML 文件" in out


def test_help_is_chinese_by_default_and_english_on_request(capsys, monkeypatch):
    import argparse

    from siting.cli import build_parser
    from siting.cli_help import help_language, localize

    for key in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert out.startswith("用法：") and "检查情景的全部输入" in out and "选项" in out
    with pytest.raises(SystemExit):
        main(["--lang", "en", "optimize", "--help"])
    out = capsys.readouterr().out
    assert out.startswith("usage:") and "choose new centers" in out
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    with pytest.raises(SystemExit):
        main(["coverage", "--help"])
    assert "coverage of the elderly" in capsys.readouterr().out
    assert help_language(["--lang=zh", "run"], {"LANG": "en_US"}) == "zh"
    assert help_language(["run"], {}) == "zh"
    # every description and option of every command has its Chinese help
    parser = build_parser()
    localize(parser, "zh")
    stack, missing = [parser], []
    while stack:
        p = stack.pop()
        for action in p._actions:
            text = action.help if action.help != argparse.SUPPRESS else None
            if text and not any("\u4e00" <= ch <= "\u9fff" for ch in text):
                missing.append(f"{p.prog} {action.option_strings or action.dest}")
            if isinstance(action, argparse._SubParsersAction):
                stack.extend(action.choices.values())
    assert not missing, missing
