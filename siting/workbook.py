"""Report-ready workbooks: one sheet per table, formatted to be read, filtered and printed.

Every sheet of a workbook the tool writes (openpyxl) has:

- the table as an Excel table object (banded rows, a filter button on every header);
- number formats by column: integers ``#,##0`` (codes, ids and years ``0``), other numbers with
  the column's decimals (at most four) and separators, text as text; a column that holds numbers
  and a few bounds written as text (``> 60``: beyond the search) keeps both;
- column widths that count an East Asian wide character as two (``rich.cells.cell_len``), at most
  :data:`MAX_WIDTH`; longer text wraps;
- the header row bold, wrapped and frozen;
- print setup: A4 landscape, one page wide (as many pages down as the rows need), the header
  repeated on every page, narrow margins;
- optionally a native line chart (:class:`Chart`: the budget–coverage curve, the plan's
  trajectory) beside the table.

The column rules are :mod:`siting.terminal`'s, so the terminal, the CSV and the workbook show the
same numbers.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from rich.cells import cell_len

from siting.terminal import column_format

__all__ = ["MAX_WIDTH", "Chart", "xlsx_bytes"]

#: Widest a column is drawn (characters; a Chinese character counts two); longer text wraps.
MAX_WIDTH = 50


@dataclass(frozen=True)
class Chart:
    """A line chart of ``y`` columns against the ``x`` column of one sheet, by header."""

    x: str
    y: tuple[str, ...]
    title: str
    x_title: str = ""
    y_title: str = ""


def _cell(v: Any) -> Any:
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return None
    if isinstance(v, np.generic):
        return v.item()
    return v


def _number_format(values: Sequence[Any], name: str) -> str | None:
    fmt = column_format(values, name)
    if fmt is None:
        return None
    decimals, separators = fmt
    base = "#,##0" if separators else "0"
    return base + ("." + "0" * decimals if decimals else "")


def _sheet(wb, title: str, frame: pd.DataFrame, index: int, chart: Chart | None) -> None:
    from openpyxl.chart import LineChart, Reference
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.table import Table, TableStyleInfo

    ws = wb.create_sheet(title[:31])
    headers = [str(c) for c in frame.columns]
    ws.append(headers)
    for record in frame.itertuples(index=False):
        ws.append([_cell(v) for v in record])
    n_rows, n_cols = len(frame), len(headers)
    wrap = Alignment(wrap_text=True, vertical="top")
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = wrap
    for j, name in enumerate(headers, start=1):
        values = frame.iloc[:, j - 1].tolist()
        letter = get_column_letter(j)
        fmt = _number_format(values, name)
        texts = [str(v) for v in values[:500] if _cell(v) is not None]
        widest = max([cell_len(t) for t in texts], default=0)
        header_width = max((cell_len(w) for w in name.split()), default=cell_len(name))
        width = min(
            max(widest, min(cell_len(name), 16), header_width if fmt else 0, 6) + 2, MAX_WIDTH
        )
        ws.column_dimensions[letter].width = width
        if n_rows == 0:
            continue
        column = ws[f"{letter}2:{letter}{n_rows + 1}"]
        for (cell,) in column:
            if fmt is not None and isinstance(cell.value, (int, float)):
                cell.number_format = fmt
            elif isinstance(cell.value, str):
                cell.number_format = "@"
                if widest + 2 > MAX_WIDTH:
                    cell.alignment = wrap
    ws.freeze_panes = "A2"
    last = get_column_letter(max(n_cols, 1))
    ref = f"A1:{last}{n_rows + 1}"
    if n_rows and n_cols and len(set(headers)) == n_cols and all(headers):
        table = Table(displayName=f"T{index}", ref=ref)
        table.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
        ws.add_table(table)
    elif n_cols:
        ws.auto_filter.ref = ref
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5
    ws.print_options.gridLines = False
    if chart is not None and n_rows and chart.x in headers:
        line = LineChart()
        line.title = chart.title
        line.x_axis.title = chart.x_title or chart.x
        line.y_axis.title = chart.y_title
        line.height, line.width = 9, 18
        for name in chart.y:
            if name not in headers:
                continue
            j = headers.index(name) + 1
            data = Reference(ws, min_col=j, min_row=1, max_row=n_rows + 1)
            line.add_data(data, titles_from_data=True)
        xj = headers.index(chart.x) + 1
        line.set_categories(Reference(ws, min_col=xj, min_row=2, max_row=n_rows + 1))
        if line.series:
            ws.add_chart(line, f"{get_column_letter(n_cols + 2)}2")


def xlsx_bytes(
    frames: Mapping[str, pd.DataFrame],
    sheet_names: Mapping[str, str],
    charts: Mapping[str, Chart] | None = None,
) -> bytes:
    """The workbook of ``frames`` (one sheet each, named by ``sheet_names``) as bytes."""
    import openpyxl  # lazy: only the workbook needs it

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for index, (stem, frame) in enumerate(frames.items(), start=1):
        _sheet(wb, sheet_names.get(stem, stem), frame, index, (charts or {}).get(stem))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
