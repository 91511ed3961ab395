"""Writing the coverage tables: CSV (UTF-8 with BOM, for Excel) and one XLSX workbook.

Headers are Chinese by default, English on request (:mod:`siting.i18n`). Values are rounded for
reading (people to whole persons, shares and minutes to one decimal); a walking time beyond the
search horizon is left empty and flagged ``> 60`` (the horizon in minutes) in the column beside it,
so that the minutes columns hold numbers only; a suppressed roster count is ``*``.
When the roster placed the priority groups' weight at their homes, weighted demand is written
rounded (:func:`siting.disclosure.published_weighted`); the roster tables carry no totals row
(:mod:`siting.disclosure` says what is published about the roster and why).

Writing is all or nothing: every file is first written to a temporary file in the target folder,
and only when all are complete are they moved into place with :func:`os.replace` (atomic per file
on one file system). On any error the temporary files are removed and no target is touched.
The same result always gives the same bytes (the workbook's timestamps are fixed).
"""

from __future__ import annotations

import io
import logging
import math
import re
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from siting.disclosure import published_weighted, weighted_step
from siting.i18n import Language, label
from siting.transaction import atomic_path, transaction

if TYPE_CHECKING:
    from siting.coverage import CoverageResult
    from siting.indicators import Indicators
    from siting.workbook import Chart

__all__ = ["coverage_frames", "write_coverage_tables", "write_tables"]

log = logging.getLogger(__name__)

#: Fixed timestamp written into workbooks, so equal tables give equal bytes.
_FIXED_TIME = "2000-01-01T00:00:00Z"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def _people(x: Any) -> Any:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x))


def _int(x: Any) -> Any:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else int(x)


def _one(x: Any) -> Any:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x), 1)


def _minutes(x: Any) -> Any:
    """A walking time in minutes, one decimal; empty beyond the search (see :func:`_beyond`)."""
    if x is None or (isinstance(x, float) and (math.isnan(x) or math.isinf(x))):
        return None
    return round(float(x), 1)


def _beyond(horizon: float) -> Callable[[Any], Any]:
    """The flag beside a minutes column: ``> 60`` where the time is beyond the search horizon
    (nobody knows how far: the search stopped there), else empty; the minutes column itself holds
    numbers only, so that a spreadsheet can sum and sort it."""
    flag = f"> {horizon:g}"

    def fmt(x: Any) -> Any:
        return flag if isinstance(x, float) and math.isinf(x) else ""

    return fmt


def _frame(
    source: pd.DataFrame,
    columns: Sequence[tuple[str, str, Callable[[Any], Any] | None]],
    lang: Language,
) -> pd.DataFrame:
    """Columns ``(source column, label key, formatter)`` → a display frame with labelled headers."""
    out = {}
    for col, key, fmt in columns:
        values = source[col].tolist()
        out[label(key, lang)] = [fmt(v) if fmt else v for v in values]
    return pd.DataFrame(out, dtype=object)


def _kind(lang: Language) -> Callable[[Any], Any]:
    return lambda v: label(str(v), lang)


def coverage_frames(result: CoverageResult, *, lang: Language = "zh") -> dict[str, pd.DataFrame]:
    """The display tables of a coverage result, by file stem (headers and values in ``lang``)."""
    horizon = result.settings.report_max_minutes
    minutes = _minutes
    beyond = _beyond(horizon)
    # with the roster's people at their homes, weighted figures are rounded (siting.disclosure)
    step = weighted_step(result.demand)
    weighted = _one if step is None else _people
    cover_cols = [
        ("elderly", "col_elderly", _people),
        ("weighted", "col_weighted", weighted),
        ("covered_elderly", "col_covered", _people),
        ("coverage_pct", "col_coverage_pct", _one),
        ("covered_weighted", "col_covered_weighted", weighted),
        ("weighted_coverage_pct", "col_weighted_coverage_pct", _one),
        ("median_minutes", "col_median_minutes", minutes),
        ("median_minutes", "col_median_beyond", beyond),
        ("p90_minutes", "col_p90_minutes", minutes),
        ("p90_minutes", "col_p90_beyond", beyond),
        ("unreached_elderly", "col_unreached", _people),
        ("n_facilities_covering", "col_n_facilities_covering", _int),
    ]
    frames = {
        "coverage_communities": _frame(
            published_weighted(result.communities, step),
            [
                ("code", "col_code", None),
                ("name", "col_name", None),
                ("street_code", "col_street_code", None),
                ("street_name", "col_street_name", None),
                ("kind", "col_kind", _kind(lang)),
                ("threshold_minutes", "col_threshold_minutes", _one),
                ("n_demand_points", "col_n_demand_points", _int),
                *cover_cols,
            ],
            lang,
        ),
        "coverage_streets": _frame(
            published_weighted(result.streets, step),
            [
                ("code", "col_code", None),
                ("name", "col_name", None),
                ("kind", "col_kind", _kind(lang)),
                ("n_communities", "col_n_communities", _int),
                ("n_communities_fully_covered", "col_n_fully_covered", _int),
                *cover_cols,
            ],
            lang,
        ),
        "coverage_district": _frame(
            published_weighted(result.district, step),
            [
                ("name", "col_name", None),
                ("scope", "col_scope", lambda v: label(f"scope_{v}", lang)),
                (
                    "facility_type",
                    "col_facility_type",
                    lambda v: label("any_home_care" if v == "any" else str(v), lang),
                ),
                ("n_facilities", "col_n_facilities", _int),
                *cover_cols,
            ],
            lang,
        ),
        "indicators": _indicator_frame(result, lang),
    }
    if result.roster is not None:
        counts = [
            ("total", "col_roster_total"),
            *[
                (g, f"group_{g}")
                for g in ("disabled", "extreme_poor", "living_alone", "low_income", "other")
            ],
            *[(b, f"col_{b}") for b in ("age_lt60", "age_60_79", "age_80p", "age_unknown")],
        ]

        def star(v: Any) -> Any:
            return "*" if v is None or (isinstance(v, float) and math.isnan(v)) else int(v)

        frames["roster_communities"] = _frame(
            result.roster.by_community,
            [
                ("code", "col_code", None),
                ("name", "col_name", None),
                ("street_code", "col_street_code", None),
                ("kind", "col_kind", _kind(lang)),
                *[(c, k, star) for c, k in counts],
            ],
            lang,
        )
        frames["roster_grid"] = _frame(
            result.roster.grid,
            [
                ("cell_id", "col_cell_id", None),
                ("x_center", "col_x_center", _one),
                ("y_center", "col_y_center", _one),
                *[(c, k, star) for c, k in counts],
            ],
            lang,
        )
    return frames


def _indicator_frame(result: CoverageResult, lang: Language) -> pd.DataFrame:
    return indicator_frame(result.indicators, lang)


def indicator_frame(indicators: Indicators, lang: Language = "zh") -> pd.DataFrame:
    """The indicators as a display table (``indicators.csv``, ``siting_indicators.csv``, …).

    One row per indicator: name, value, comparison, target, unit, result (达标/未达标, or why not
    assessed: 无法评估, 无目标（仅报告）, 未填报), how obtained (计算/填报), the numbers, the source.
    """
    rows = []
    for item in indicators.items:
        digits = item.digits

        def num(x: float, digits: int = digits) -> Any:
            if x is None or (isinstance(x, float) and math.isnan(x)):
                return None
            return round(x, digits) if digits else round(x)

        rows.append(
            {
                label("col_indicator", lang): label(f"ind_{item.key}", lang),
                label("col_value", lang): num(item.value),
                label("col_comparison", lang): (
                    {">=": "≥", "<=": "≤"}.get(item.comparison, item.comparison)
                    if num(item.target) is not None
                    else ""
                ),
                label("col_target", lang): num(item.target),
                label("col_unit", lang): label(f"unit_{item.unit}", lang),
                label("col_status", lang): label(f"status_{item.status}", lang),
                label("col_origin", lang): label(f"origin_{item.origin}", lang),
                label("col_detail", lang): item.detail(lang),
                label("col_source", lang): item.source,
            }
        )
    return pd.DataFrame(rows, dtype=object)


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    text = frame.to_csv(index=False, lineterminator="\n")
    return ("\ufeff" + text).encode("utf-8")


def _xlsx_bytes(
    frames: Mapping[str, pd.DataFrame],
    sheet_names: Mapping[str, str],
    charts: Mapping[str, Chart] | None = None,
) -> bytes:
    from siting.workbook import xlsx_bytes

    return _normalise_zip(xlsx_bytes(frames, sheet_names, charts))


def _normalise_zip(data: bytes) -> bytes:
    """Rewrite a workbook with fixed timestamps (zip entries and document properties)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)",
                    rb"\g<1>" + _FIXED_TIME.encode() + rb"\g<3>",
                    content,
                )
            item = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            item.compress_type = zipfile.ZIP_DEFLATED
            item.external_attr = 0o600 << 16
            dst.writestr(item, content)
    return out.getvalue()


def write_tables(
    frames: Mapping[str, pd.DataFrame],
    out_dir: str | Path,
    *,
    csv: bool = True,
    xlsx: str | None = None,
    sheet_names: Mapping[str, str] | None = None,
    files: Mapping[str, bytes] | None = None,
    charts: Mapping[str, Chart] | None = None,
) -> tuple[Path, ...]:
    """Write display tables as ``<stem>.csv`` files and/or one workbook, all or nothing.

    Parameters
    ----------
    frames
        Display tables by file stem.
    out_dir
        Target folder (created if needed).
    csv
        Write one CSV per table (UTF-8 with BOM, ``\\n`` line ends).
    xlsx
        File name of the workbook holding every table as a sheet (None: no workbook).
    sheet_names
        Sheet name per stem (default the stem; cut to Excel's 31 characters).
    files
        Other files written with the tables, file name → bytes (e.g. a figure's PNG).
    charts
        A native chart per stem in the workbook (:class:`siting.workbook.Chart`).

    Returns
    -------
    tuple of Path
        The files written, in order.
    """
    out = Path(out_dir)
    payloads: list[tuple[Path, bytes]] = []
    if csv:
        payloads += [(out / f"{stem}.csv", _csv_bytes(frame)) for stem, frame in frames.items()]
    if xlsx:
        payloads.append((out / xlsx, _xlsx_bytes(frames, sheet_names or {}, charts)))
    payloads += [(out / name, data) for name, data in (files or {}).items()]
    with transaction(folders=[out]):  # joins the command's transaction, if any
        for target, data in payloads:
            with atomic_path(target) as tmp:
                tmp.write_bytes(data)
    log.info("write_tables wrote %d files to %s", len(payloads), out)
    return tuple(target for target, _ in payloads)


def write_coverage_tables(
    result: CoverageResult,
    out_dir: str | Path,
    *,
    lang: Language = "zh",
    csv: bool = True,
    xlsx: bool = True,
) -> tuple[Path, ...]:
    """Write the coverage tables of ``result`` to ``out_dir`` (all or nothing).

    Files: ``coverage_communities.csv`` (社区/村), ``coverage_streets.csv`` (街道/镇),
    ``coverage_district.csv`` (district, 社区 and 村, by facility type), ``indicators.csv``, with a
    roster ``roster_communities.csv`` and ``roster_grid.csv``; and ``coverage.xlsx`` with one sheet
    per table.
    """
    frames = coverage_frames(result, lang=lang)
    sheets = {stem: label(f"sheet_{stem}", lang) for stem in frames}
    return write_tables(
        frames, out_dir, csv=csv, xlsx="coverage.xlsx" if xlsx else None, sheet_names=sheets
    )
