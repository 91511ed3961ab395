"""Tables in the terminal: numbers whole, right-aligned, with thousands separators.

A table printed by the CLI must never split a number across lines (``179952`` shown as
``1799`` / ``52`` at 100 columns). :func:`print_frame` prints a data frame with rich:

- a column whose values are all numbers (ints, floats; not booleans) is numeric: its cells are
  right-aligned and the column at least as wide as its widest number (only its header wraps),
  integers (and floats that are whole numbers in a column of
  whole numbers) with thousands separators (``179,952``; not in a code, id or year column), other floats with the same number of
  decimals down the column (at most :data:`MAX_DECIMALS`) and separators (``1,234.50``); NaN is
  blank, infinities are ``∞`` / ``-∞``;
- text columns may wrap (at word or character boundaries), at least :data:`MIN_TEXT_WIDTH` wide;
- when the numeric columns and the narrowest text columns together do not fit the console's
  width, columns are dropped from the right (the first column is always kept) and a line under
  the table names them and says that the full table is in the files written.

Headers may wrap; a Chinese character counts as two columns (rich measures cell widths so).
"""

from __future__ import annotations

import math
import numbers
import re

import numpy as np
import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from siting.i18n import Language, labeller

__all__ = ["MAX_DECIMALS", "MIN_TEXT_WIDTH", "column_format", "format_column", "print_frame"]

#: Most decimals shown in a float column.
MAX_DECIMALS = 4

#: Narrowest a text column is drawn (characters; a Chinese character counts two).
MIN_TEXT_WIDTH = 8

_LABELS = {
    "cols_hidden": (
        "另有 {n} 列未显示（{cols}）：终端宽度不够；完整表格见写出的 CSV 与 xlsx 文件",
        "{n} more columns not shown ({cols}): the terminal is too narrow; the full table is in "
        "the CSV and xlsx files written",
    ),
}
_t = labeller(_LABELS)

# rich's table: one space of padding each side of a cell and one vertical rule per column, plus
# the outer rule
_CELL_OVERHEAD = 3


def _is_number(v: object) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))


def _is_missing(v: object) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA


def _decimals(v: float) -> int:
    text = np.format_float_positional(v, trim="-", precision=MAX_DECIMALS)
    return len(text.split(".")[1]) if "." in text else 0


#: Headers of integer columns that are labels, not amounts: no thousands separators (a year is
#: 2026, a code 500199001).
_LABEL_COLUMN = re.compile(
    r"代码|编码|编号|年份|年度|年$|(^|_)(code|id|year)s?$|\b(code|id|year)\b", re.I
)


_BOUND = re.compile(r"^[<>≤≥]\s?[\d.,]+$")


def column_format(values, name: str = "") -> tuple[int, bool] | None:
    """How a column of numbers is shown: (decimals, thousands separators); None for text.

    A column is numeric when its values are numbers (not booleans), with perhaps a few bounds
    written as text (``> 60``); integers (and whole floats) get 0 decimals, other numbers the
    most decimals any has (at most :data:`MAX_DECIMALS`); separators except for integers of a
    code, id or year column (``name``).
    """
    present = [v for v in values if not _is_missing(v)]
    nums = [v for v in present if _is_number(v)]
    others = [v for v in present if not _is_number(v)]
    if not nums or not all(isinstance(v, str) and _BOUND.match(v) for v in others):
        return None
    finite = [float(v) for v in nums if math.isfinite(float(v))]
    whole = all(v.is_integer() for v in finite)
    decimals = 0 if whole else min(max(_decimals(v) for v in finite), MAX_DECIMALS)
    return decimals, not (whole and _LABEL_COLUMN.search(name))


def format_column(values, name: str = "") -> list[str] | None:
    """The cells of a numeric column as text (:func:`column_format`), or None for text."""
    vals = list(values)
    fmt = column_format(vals, name)
    if fmt is None:
        return None
    decimals, separators = fmt
    spec = ("," if separators else "") + f".{decimals}f"
    out = []
    for v in vals:
        if _is_missing(v):
            out.append("")
        elif isinstance(v, str):
            out.append(v)
        elif not math.isfinite(float(v)):
            out.append("∞" if float(v) > 0 else "-∞")
        else:
            out.append(format(float(v), spec))
    return out


def _column_cells(values: list, name: str) -> tuple[list[str], bool]:
    """The cells of one column as text, and whether the column is numeric."""
    formatted = format_column(values, name)
    if formatted is not None:
        return formatted, True
    return ["" if _is_missing(v) else str(v) for v in values], False


def _widths(natural: list[int], least: list[int], room: int) -> list[int]:
    """Column widths within ``room``: each at least ``least``, grown toward ``natural`` one
    character at a time, round robin (narrow columns reach theirs first)."""
    width = list(least)
    left = room - sum(width)
    while left > 0:
        grew = False
        for i in sorted(range(len(width)), key=lambda i: natural[i] - width[i]):
            if left > 0 and width[i] < natural[i]:
                width[i] += 1
                left -= 1
                grew = True
        if not grew:
            break
    return width


def print_frame(
    console: Console, frame: pd.DataFrame, title: str, *, lang: Language = "zh"
) -> None:
    """Print ``frame`` as a table that fits ``console``'s width (see the module docstring)."""
    columns = [str(c) for c in frame.columns]
    cells: list[list[str]] = []
    numeric: list[bool] = []
    for col in frame.columns:
        text, is_num = _column_cells(frame[col].tolist(), str(col))
        cells.append(text)
        numeric.append(is_num)

    def measure(text: str) -> int:
        return console.measure(text).maximum if text else 0

    widest = [max((measure(c) for c in cells[i]), default=0) for i in range(len(columns))]
    header = [measure(c) for c in columns]
    # numbers whole; text at least MIN_TEXT_WIDTH (or its widest cell); headers fold
    least = [
        max(widest[i], 1) if numeric[i] else max(1, min(widest[i], MIN_TEXT_WIDTH))
        for i in range(len(columns))
    ]
    natural = [max(widest[i], header[i], least[i]) for i in range(len(columns))]
    shown = list(range(len(columns)))

    def room(k: int) -> int:
        return console.width - 1 - _CELL_OVERHEAD * k

    while len(shown) > 1 and sum(least[i] for i in shown) > room(len(shown)):
        shown.pop()
    fixed = None
    if sum(natural[i] for i in shown) > room(len(shown)):
        fixed = _widths([natural[i] for i in shown], [least[i] for i in shown], room(len(shown)))
    table = Table(title=title)
    for k, i in enumerate(shown):
        table.add_column(
            escape(columns[i]),
            justify="right" if numeric[i] else "left",
            overflow="fold",
            width=None if fixed is None else fixed[k],
        )
    for r in range(len(frame)):
        # cells are text, not markup: "[indicators.reported]" in a detail must print as written
        table.add_row(*[escape(cells[i][r]) for i in shown])
    console.print(table)
    hidden = [columns[i] for i in range(len(columns)) if i not in shown]
    if hidden:
        sep = "、" if lang == "zh" else ", "
        console.print(
            _t("cols_hidden", lang, n=len(hidden), cols=sep.join(hidden)),
            markup=False,
            style="yellow",
        )
