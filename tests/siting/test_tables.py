"""Coverage tables on disk: Chinese or English headers, identical bytes, all or nothing."""

from __future__ import annotations

import os

import openpyxl
import pandas as pd
import pytest

from siting.coverage import compute_coverage
from siting.tables import coverage_frames, write_coverage_tables, write_tables
from tests.siting.test_coverage import BASE_FACILITIES, district

STEMS = ["coverage_communities", "coverage_streets", "coverage_district", "indicators"]


def result(folder, **kw):
    inputs, graph = district(folder, **kw)
    return compute_coverage(inputs, graph)


def test_chinese_headers_by_default_and_english_on_request(tmp_path):
    res = result(tmp_path / "d")
    files = write_coverage_tables(res, tmp_path / "zh")
    assert [f.name for f in files] == [*(f"{s}.csv" for s in STEMS), "coverage.xlsx"]
    raw = (tmp_path / "zh" / "coverage_communities.csv").read_bytes()
    assert raw.startswith("\ufeff代码,名称,街道/镇代码".encode())
    com = pd.read_csv(tmp_path / "zh" / "coverage_communities.csv", encoding="utf-8-sig", dtype=str)
    assert com["类型"].tolist() == ["社区", "社区", "村"]
    assert com["覆盖率(%)"].tolist() == ["50.0", "0.0", "75.0"]  # the 村: 15 minutes, 3 of 4 pieces
    assert com["60岁及以上老年人"].tolist() == ["300", "100", "90"]
    ind = pd.read_csv(tmp_path / "zh" / "indicators.csv", encoding="utf-8-sig", dtype=str)
    # the last: centers and stations meet their size standard (001 annex 1)
    assert ind["结论"].tolist()[:7] == ["未达标", "未达标", "未达标", "未达标", "未达标", "达标", "达标"]
    assert ind["指标"][0] == "居家养老服务覆盖率"
    # then the indicators of 000 专栏1 etc.: here without beds or operators (not computable), and
    # the reported ones, not typed in
    assert ind["结论"].tolist()[7] == "无法评估" and ind["结论"].tolist()[-9:] == ["未填报"] * 9
    assert ind["取得方式"].tolist() == ["计算"] * 17 + ["填报"] * 9

    write_coverage_tables(res, tmp_path / "en", lang="en")
    com_en = pd.read_csv(
        tmp_path / "en" / "coverage_communities.csv", encoding="utf-8-sig", dtype=str
    )
    assert list(com_en.columns[:2]) == ["code", "name"]
    assert com_en["kind"].tolist() == ["community", "community", "village"]
    ind_en = pd.read_csv(tmp_path / "en" / "indicators.csv", encoding="utf-8-sig", dtype=str)
    assert ind_en["result"].tolist()[:7] == ["FAIL"] * 5 + ["PASS", "PASS"]

    wb = openpyxl.load_workbook(tmp_path / "zh" / "coverage.xlsx")
    assert wb.sheetnames == ["社区村覆盖", "街道镇覆盖", "全区覆盖", "规划指标"]
    ws = wb["社区村覆盖"]
    assert ws["A1"].value == "代码" and ws["A2"].value == "500199001001"
    assert [c.value for c in ws[2]][10] == 50.0


def test_unreachable_times_are_written_as_beyond_the_horizon(tmp_path):
    res = result(
        tmp_path / "d",
        facs=BASE_FACILITIES[:1],
        settings_toml="[coverage]\nreport_max_minutes = 30\n",
    )
    frames = coverage_frames(res)
    com = frames["coverage_communities"]
    # the minutes column holds numbers only; the flag beside it says "beyond the 30 minutes"
    assert com["到最近设施步行时间中位数(分钟)"].tolist() == [4.6, 27.3, None]
    assert com["中位数超出搜索范围(分钟)"].tolist() == ["", "", "> 30"]
    cols = list(com.columns)
    assert cols.index("中位数超出搜索范围(分钟)") == cols.index("到最近设施步行时间中位数(分钟)") + 1
    path = write_coverage_tables(res, tmp_path / "out")
    wb = openpyxl.load_workbook(next(p for p in path if p.suffix == ".xlsx"))
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    j = header.index("到最近设施步行时间中位数(分钟)") + 1
    values = [ws.cell(r, j).value for r in range(2, ws.max_row + 1)]
    assert all(v is None or isinstance(v, float) for v in values)  # numbers only


def test_the_same_inputs_give_identical_bytes(tmp_path):
    a = write_coverage_tables(result(tmp_path / "a"), tmp_path / "out_a")
    b = write_coverage_tables(result(tmp_path / "b"), tmp_path / "out_b")
    assert [f.name for f in a] == [f.name for f in b]
    for fa, fb in zip(a, b, strict=True):
        assert fa.read_bytes() == fb.read_bytes(), fa.name


def test_a_failed_write_leaves_nothing_half_written(tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    (out / "coverage_communities.csv").write_text("old\n", encoding="utf-8")
    frames = coverage_frames(result(tmp_path / "d"))
    calls = {"n": 0}
    real_fsync = os.fsync

    def failing_fsync(fd):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="No space"):
        write_tables(frames, out, xlsx="coverage.xlsx")
    assert sorted(p.name for p in out.iterdir()) == ["coverage_communities.csv"]
    assert (out / "coverage_communities.csv").read_text(encoding="utf-8") == "old\n"
