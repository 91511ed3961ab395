"""Terminal tables: numbers whole, right-aligned, with separators; the table fits the width."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rich.cells import cell_len
from rich.console import Console

from siting.cli import main
from siting.terminal import format_column, print_frame

SMALL = Path(__file__).resolve().parents[2] / "data" / "demo-small"


def test_numbers_get_separators_and_one_number_of_decimals_per_column():
    assert format_column([179952, 5, None]) == ["179,952", "5", ""]
    assert format_column([14866.0, 9499.0]) == ["14,866", "9,499"]  # whole floats as integers
    assert format_column([46.56, 5.2, 1234.5]) == ["46.56", "5.20", "1,234.50"]
    assert format_column([1 / 3, 2.0]) == ["0.3333", "2.0000"]  # at most four decimals
    assert format_column([np.inf, -np.inf, 1.5]) == ["∞", "-∞", "1.5"]
    assert format_column([np.nan, 3]) == ["", "3"]
    assert format_column([2026, 2030], "年份") == ["2026", "2030"]  # a year, not an amount
    assert format_column([500199001], "街镇代码") == ["500199001"]
    assert format_column([500199001], "code") == ["500199001"]
    assert format_column([True, False]) is None  # booleans are not numbers
    assert format_column(["a", 1]) is None
    assert format_column([None, np.nan]) is None


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "名称": ["演示区", "某某街道某某社区居民委员会"],
            "60岁及以上老年人": [179952, 9499],
            "已覆盖老年人": [49063.34, 5868.3],
            "覆盖率(%)": [27.26, 61.8],
            "到最近设施步行时间中位数(分钟)": [16.2, "> 60"],
            "年份": [2026, 2030],
            "说明": ["一段很长的说明文字，终端窄时换行显示", "short"],
            "搜索范围内无设施的老年人": [1234567, 0],
        }
    )


@pytest.mark.parametrize("width", [140, 100, 80, 60])
def test_no_number_is_split_and_the_table_fits(width):
    buf = io.StringIO()
    console = Console(file=buf, width=width, highlight=False, soft_wrap=False)
    print_frame(console, frame(), "覆盖", lang="zh")
    out = buf.getvalue()
    lines = out.splitlines()
    assert max(cell_len(line) for line in lines) <= width
    numbers = ["179,952", "9,499", "49,063.34", "5,868.30", "27.26", "61.80", "16.2", "> 60",
               "2026", "2030", "1,234,567"]  # fmt: skip
    body = [line for line in lines if line.startswith("│")]
    cells = {c.strip() for line in body for c in line.strip("│").split("│")}
    shown = [n for n in numbers if n in out]
    for n in shown:
        assert n in cells, f"{n} is split or padded into another cell at width {width}"
    if width >= 140:
        assert shown == numbers and "未显示" not in out
    # a number not shown is in a dropped column, and the note says so
    assert ("未显示" in out) == (shown != numbers)
    assert "179,952" in shown  # the first columns stay
    # right-aligned: a number ends at its cell's right border
    row = next(line for line in body if "9,499" in line)
    assert re.search(r"9,499 │", row)


def test_dropped_columns_are_named_with_where_the_full_table_is():
    buf = io.StringIO()
    console = Console(file=buf, width=50, highlight=False, soft_wrap=False)
    print_frame(console, frame(), "coverage", lang="en")
    out = buf.getvalue()
    assert "more columns not shown" in out and "CSV and xlsx" in out
    assert "搜索范围内无设施的老年人" in out.split("not shown", 1)[1]  # named in the note


def test_coverage_at_100_columns_splits_no_number(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "100")
    assert main(["coverage", str(SMALL)]) == 0
    out = capsys.readouterr().out
    tables = [line for line in out.splitlines() if line[:1] in "┏┃┡│└"]
    assert tables and max(cell_len(line) for line in tables) <= 100
    table = pd.read_csv(
        tmp_path / "output" / "demo-small" / "coverage_district.csv", encoding="utf-8-sig"
    )
    counts = table["60岁及以上老年人"].astype(int)
    for n in counts:
        assert f"{n:,}" in out, f"{n:,} is not shown whole"
    assert "179952" not in out
