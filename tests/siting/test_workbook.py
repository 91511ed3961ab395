"""Report-ready workbooks, read back with openpyxl as Excel would open them."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pandas as pd

from siting.cli import main
from siting.workbook import MAX_WIDTH, Chart, xlsx_bytes

SMALL = Path(__file__).resolve().parents[2] / "data" / "demo-small"


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "社区村代码": ["500199001001", "500199001002"],
            "名称": ["某某街道某某社区居民委员会", "短名"],
            "60岁及以上老年人": [179952, 9499],
            "覆盖率(%)": [46.56, 5.2],
            "中位数(分钟)": [16.2, "> 60"],
            "年份": [2026, 2030],
            "说明": ["很长" * 40, ""],
        }
    )


def test_sheets_are_formatted_tables_that_print_one_page_wide():
    data = xlsx_bytes(
        {"t": frame(), "empty": frame().iloc[:0]},
        {"t": "覆盖", "empty": "空表"},
        {"t": Chart(x="年份", y=("覆盖率(%)",), title="覆盖率")},
    )
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb["覆盖"]
    assert list(ws.tables) == ["T1"] and ws.tables["T1"].ref == "A1:G3"
    assert ws.freeze_panes == "A2" and ws["A1"].font.bold
    fmt = {ws.cell(1, j).value: ws.cell(2, j).number_format for j in range(1, 8)}
    assert fmt["60岁及以上老年人"] == "#,##0"
    assert fmt["覆盖率(%)"] == "#,##0.00"
    assert fmt["年份"] == "0"  # a year has no separator
    assert fmt["社区村代码"] == "@" and ws["A2"].value == "500199001001"  # codes stay text
    assert ws["E3"].value == "> 60" and ws["E2"].number_format == "#,##0.0"
    assert isinstance(ws["C2"].value, int) and isinstance(ws["D2"].value, float)
    # a Chinese character counts two: the 13-character name needs 26 columns
    assert ws.column_dimensions["B"].width >= 26
    assert ws.column_dimensions["G"].width == MAX_WIDTH and ws["G2"].alignment.wrap_text
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows in ("1:1", "$1:$1")  # the header on every page
    assert len(ws._charts) == 1
    empty = wb["空表"]
    assert not empty.tables and empty.auto_filter.ref == "A1:G1"


def test_the_optimize_workbook_has_the_curve_chart(monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["optimize", str(SMALL), "--curve", "--out", str(tmp_path / "o")]) == 0
    capsys.readouterr()
    wb = openpyxl.load_workbook(tmp_path / "o" / "siting.xlsx")
    curve = wb["预算覆盖曲线"]
    assert len(curve._charts) == 1
    for ws in wb.worksheets:
        assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.tables or ws.auto_filter.ref, ws.title
    budget = curve.cell(2, 1)
    assert isinstance(budget.value, (int, float)) and budget.number_format.startswith("#,##0")
