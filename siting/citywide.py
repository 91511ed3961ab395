"""Many districts at once (``siting run-many``): each district's whole pipeline as a Dask task.

:func:`run_many` submits one task per scenario to a ``dask.distributed`` cluster (a
``LocalCluster`` on this machine when no scheduler address is given). A task runs
:func:`~siting.pipeline.run_pipeline` on its worker, which writes the district's own tables, map
and layers to the scenario's output folder as ``siting run`` does, and returns a small
:class:`DistrictResult`: the district's figures and its layers in WGS84 (communities with
coverage before and after, 街道/镇, existing and proposed facilities), never its graph or its
roster. A district that fails (missing file, bad column, infeasible model, lost worker) comes
back as a failed result with the error; the others complete.

:func:`write_city` gathers the results into one city report (CSV and a workbook, district by
district with a city total), one GeoPackage (CGCS2000, a layer per kind of feature, every feature
with its district code) and one HTML map with the districts side by side.

What a task holds in memory is one district: its inputs, walking graph, coverage matrix and
model (for the 690,000-resident demo district about 400 MB at its peak; ``siting run`` prints
the peak of every stage). The client holds only the returned figures and layers.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import resource
import time
import traceback
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from siting.errors import InputError, Problem
from siting.i18n import Language, labeller
from siting.progress import tracked

__all__ = [
    "CityResult",
    "DistrictResult",
    "city_frames",
    "city_layers",
    "city_map",
    "city_table",
    "dask_client",
    "run_district",
    "run_many",
    "write_city",
]

log = logging.getLogger(__name__)

#: Labels of the city report (zh, en).
CITY_LABELS: dict[str, tuple[str, str]] = {
    "district_code": ("区县代码", "district code"),
    "district": ("区县", "district"),
    "scenario_file": ("情景文件", "scenario file"),
    "status": ("状态", "status"),
    "ok": ("完成", "done"),
    "failed": ("失败", "failed"),
    "error": ("错误", "error"),
    "n_streets": ("街道/镇(个)", "街道/镇"),
    "n_communities": ("社区/村(个)", "社区/村"),
    "residents": ("常住人口", "residents"),
    "elderly": ("60岁以上老年人", "aged 60+"),
    "covered_elderly": ("现状覆盖老年人", "elderly covered today"),
    "coverage_pct": ("现状覆盖率(%)", "coverage today (%)"),
    "n_facilities": ("现有设施(个)", "existing facilities"),
    "n_new_sites": ("规划新建(个)", "new sites"),
    "spent_wan_yuan": ("投入(万元)", "spend (10,000 yuan)"),
    "covered_after_elderly": ("规划后覆盖老年人", "elderly covered after"),
    "coverage_after_pct": ("规划后覆盖率(%)", "coverage after (%)"),
    "indicators_passed": ("达标指标（达标数/已评估数）", "indicators met (met / assessed)"),
    "seconds": ("用时(秒)", "wall time (s)"),
    "worker": ("计算节点", "worker"),
    "worker_peak_rss_mb": ("节点内存峰值(MB)", "worker peak memory (MB)"),
    "city_total": ("全市合计", "city total"),
    "sheet_districts": ("区县汇总", "districts"),
    "map_title": ("全市养老服务设施步行覆盖", "Walking coverage of elderly-care facilities, city"),
    "map_sub": ("{n} 个区县 · {date}", "{n} districts · {date}"),
    "legend_facilities": ("设施", "facilities"),
    "legend_proposed": ("规划新建（★，颜色为类型）", "proposed (★, coloured by type)"),
    "layer_districts": ("区县边界", "district boundaries"),
    "layer_coverage": ("社区/村：现状覆盖率", "社区/村: coverage today"),
    "layer_coverage_after": ("社区/村：规划后覆盖率", "社区/村: coverage after the plans"),
    "layer_facilities": ("现有设施（{n}）", "existing facilities ({n})"),
    "layer_proposed": ("规划新建（{n}）", "proposed sites ({n})"),
}


_t = labeller(CITY_LABELS)


@dataclass(frozen=True, eq=False)
class DistrictResult:
    """What one district's task returns (figures and layers in WGS84; no graph, no roster).

    ``summary`` holds the report row (see :data:`CITY_LABELS` keys); ``communities`` has one row
    per 社区/村 with ``district_code``, ``code``, ``name``, ``kind``, ``elderly``,
    ``covered_elderly``, ``coverage_pct`` and, with a siting result, ``coverage_after_pct``.
    """

    scenario_path: str
    status: str
    summary: dict[str, Any]
    error: str = ""
    problems: tuple[Problem, ...] = ()
    communities: gpd.GeoDataFrame | None = None
    streets: gpd.GeoDataFrame | None = None
    facilities: gpd.GeoDataFrame | None = None
    proposed: gpd.GeoDataFrame | None = None
    outputs: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def _peak_rss_mb() -> float:
    """Peak resident memory of this process (the worker) so far, MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return str(get_worker().name)
    except (ImportError, ValueError):
        return f"pid {os.getpid()}"


def _stamp(summary: dict[str, Any], start: float) -> None:
    """Add the task's wall time, worker and the worker's peak memory to a report row."""
    summary.update(
        seconds=time.perf_counter() - start,
        worker=_worker_name(),
        worker_peak_rss_mb=_peak_rss_mb(),
    )


def _layers(result) -> dict[str, gpd.GeoDataFrame | None]:
    """The district's layers in WGS84, each feature tagged with the district code."""
    from siting.pipeline import proposed_sites

    inputs, coverage, siting = result.inputs, result.coverage, result.siting
    code = str(result.scenario.settings["scenario"].get("district_code", ""))
    com = coverage.communities[["code", "elderly", "covered_elderly", "coverage_pct"]].copy()
    com["code"] = com["code"].astype(str)
    if siting is not None:
        after = siting.communities[["code", "coverage_after_pct"]].copy()
        after["code"] = after["code"].astype(str)
        com = com.merge(after, on="code", how="left")
    base = inputs.communities[["code", "name", "street_code", "kind", "geometry"]].copy()
    base["code"] = base["code"].astype(str)
    communities = gpd.GeoDataFrame(base.merge(com, on="code", how="left"), crs=inputs.crs)
    streets = inputs.streets[["code", "name", "kind", "geometry"]].copy()
    facilities = None
    if inputs.facilities is not None:
        fac = inputs.facilities
        facilities = gpd.GeoDataFrame(
            {
                "facility_id": fac.get("facility_id", pd.Series(fac.index.astype(str))).astype(str),
                "name": fac["name"].astype(str),
                "type": fac["type"].astype(str),
            },
            geometry=fac.geometry.values,
            crs=fac.crs,
        )
    proposed = proposed_sites(inputs, siting)
    if proposed is not None:
        keep = [
            c
            for c in ("site_id", "name", "type", "cost_wan_yuan", "newly_covered_elderly")
            if c in proposed.columns
        ]
        proposed = proposed[[*keep, "geometry"]]
    out: dict[str, gpd.GeoDataFrame | None] = {}
    for name, frame in (
        ("communities", communities),
        ("streets", gpd.GeoDataFrame(streets, crs=inputs.crs)),
        ("facilities", facilities),
        ("proposed", proposed),
    ):
        if frame is None:
            out[name] = None
            continue
        frame = frame.to_crs(4326)
        frame.insert(0, "district_code", code)
        out[name] = frame.reset_index(drop=True)
    return out


def run_district(scenario_path: str | Path, lang: Language = "zh") -> DistrictResult:
    """Run one district's whole pipeline (the task of :func:`run_many`); never raises.

    The district's own outputs are written as by ``siting run``; the result carries its figures
    and layers, or the error if it failed.
    """
    from siting.errors import SitingError
    from siting.pipeline import run_pipeline
    from siting.scenario import load_scenario

    start = time.perf_counter()
    path = str(scenario_path)
    summary: dict[str, Any] = {"scenario_file": path, "district_code": "", "district": ""}
    try:
        scenario = load_scenario(path)
        summary["district_code"] = str(scenario.settings["scenario"].get("district_code", ""))
        summary["district"] = str(
            scenario.settings["scenario"].get("district_name", "") or scenario.name
        )
        result = run_pipeline(scenario, lang=lang)
    except Exception as exc:  # one district's failure must not stop the others
        known = isinstance(exc, InputError | SitingError)
        error = f"{type(exc).__name__}: {exc}"
        if not known:
            error += "\n" + "".join(traceback.format_exception(exc)[-3:])
        summary["status"] = "failed"
        _stamp(summary, start)
        return DistrictResult(
            scenario_path=path,
            status="failed",
            summary=summary,
            error=error,
            problems=tuple(getattr(exc, "problems", ()) or ()),
        )
    cov = result.coverage
    row = cov.district_row
    items = cov.indicators.items
    summary.update(
        status="ok",
        n_streets=len(result.inputs.streets),
        n_communities=len(result.inputs.communities),
        residents=float(result.inputs.communities["pop_total"].sum())
        if "pop_total" in result.inputs.communities
        else float("nan"),
        elderly=float(row["elderly"]),
        covered_elderly=float(row["covered_elderly"]),
        coverage_pct=float(row["coverage_pct"]),
        n_facilities=0 if result.inputs.facilities is None else len(result.inputs.facilities),
        # of the indicators assessed (not computable, no target, not reported are left out)
        indicators_passed=f"{sum(1 for i in items if i.passed)}/{sum(1 for i in items if i.passed is not None)}",
    )
    if result.siting is not None:
        s = result.siting.summary
        after = result.siting.communities
        summary.update(
            n_new_sites=int(s["n_new_sites"]),
            spent_wan_yuan=float(s["spent_wan_yuan"]),
            covered_after_elderly=float(after["covered_after"].sum()),
            coverage_after_pct=float(s["coverage_after_pct"]),
        )
    layers = _layers(result)
    _stamp(summary, start)
    return DistrictResult(
        scenario_path=path,
        status="ok",
        summary=summary,
        problems=tuple(cov.problems),
        outputs=tuple(str(p) for p in result.outputs),
        **layers,
    )


@dataclass(frozen=True, eq=False)
class CityResult:
    """The districts' results in the order the scenarios were given."""

    districts: tuple[DistrictResult, ...]
    scheduler: str = ""
    n_workers: int = 0
    seconds: float = 0.0
    outputs: tuple[Path, ...] = field(default=())

    @property
    def failed(self) -> tuple[DistrictResult, ...]:
        return tuple(d for d in self.districts if not d.ok)

    @property
    def succeeded(self) -> tuple[DistrictResult, ...]:
        return tuple(d for d in self.districts if d.ok)


class _DaskToLog(logging.Handler):
    """Dask's log records (``distributed.*``: "Worker process still alive … killing" when a
    cluster closes, and the like) into this module's log at DEBUG, so that they show with
    ``siting -vv`` and never mix with the command's own output."""

    def emit(self, record: logging.LogRecord) -> None:
        log.debug("dask %s (%s): %s", record.name, record.levelname, record.getMessage())


#: The loggers Dask configures with a handler of their own on stderr.
_DASK_LOGGERS = ("distributed", "distributed.client", "distributed.gc", "bokeh", "tornado",
                 "tornado.application")  # fmt: skip


def route_dask_logs() -> None:
    """Send the records of Dask's loggers to :class:`_DaskToLog` only (idempotent)."""
    for name in _DASK_LOGGERS:
        target = logging.getLogger(name)
        for handler in list(target.handlers):
            target.removeHandler(handler)
        target.addHandler(_DaskToLog())
        target.propagate = False
        target.setLevel(logging.INFO)


def dask_client(scheduler: str | None, n_workers: int | None):
    """A client of the given scheduler, or of a new local cluster of ``n_workers`` processes.

    Returns ``(client, cluster)``; ``cluster`` is None for a given scheduler, else the caller
    closes it after the client.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - a dependency
        raise InputError(
            "run-many needs dask.distributed: pip install 'dask[distributed]'"
        ) from exc
    route_dask_logs()
    if scheduler:
        try:
            return Client(scheduler, timeout="20s"), None
        except OSError as exc:
            raise InputError(
                f"cannot reach the Dask scheduler at {scheduler}: {exc}",
                [
                    Problem(
                        "--scheduler",
                        f"no scheduler answers at {scheduler}",
                        hint="start one with `dask scheduler` and workers with "
                        "`dask worker ADDRESS`, or leave --scheduler out to run locally",
                    )
                ],
            ) from exc
    cluster = LocalCluster(
        n_workers=n_workers or min(2, os.cpu_count() or 1),
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        silence_logs=logging.WARNING,
    )
    return Client(cluster), cluster


def run_many(
    scenarios: Sequence[str | Path],
    *,
    scheduler: str | None = None,
    n_workers: int | None = None,
    client: Any = None,
    lang: Language = "zh",
) -> CityResult:
    """Run every scenario's pipeline as a Dask task and gather the results.

    Parameters
    ----------
    scenarios
        Scenario files (or folders holding a ``scenario.toml``), one per district.
    scheduler
        Address of a running Dask scheduler (``tcp://host:8786``); None starts a local cluster of
        ``n_workers`` processes (default 2) with one thread each.
    client
        An existing ``distributed.Client`` to use instead (it is left open).
    lang
        Language of each district's own tables and map.

    Returns
    -------
    CityResult
        One :class:`DistrictResult` per scenario, in the given order; failures included.
    """
    if not scenarios:
        raise InputError("run-many needs at least one scenario file")
    paths = [str(Path(s).resolve()) for s in scenarios]
    start = time.perf_counter()
    own = client is None
    cluster = None
    if own:
        client, cluster = dask_client(scheduler, n_workers)
    run_id = uuid.uuid4().hex[:8]  # fresh task keys: never a cached result of an earlier run
    try:
        futures = [
            client.submit(
                run_district,
                p,
                lang,
                pure=False,
                key=f"district-{i}-{Path(p).parent.name}-{run_id}",
            )
            for i, p in enumerate(paths)
        ]
        results: list[DistrictResult] = []
        for path, fut in tracked(list(zip(paths, futures, strict=True))):
            try:
                results.append(fut.result())
            except Exception as exc:  # the task itself was lost (worker died, cancelled)
                results.append(
                    DistrictResult(
                        scenario_path=path,
                        status="failed",
                        summary={"scenario_file": path, "status": "failed"},
                        error=f"{type(exc).__name__}: {exc}",
                    )
                )
        info = client.scheduler_info()
        address = str(info.get("address", scheduler or ""))
        n = len(info.get("workers", {}))
    finally:
        if own:
            client.close()
            if cluster is not None:
                cluster.close()
    out = CityResult(
        districts=tuple(results),
        scheduler=address,
        n_workers=n,
        seconds=time.perf_counter() - start,
    )
    log.info(
        "run_many: %d districts (%d failed) on %d workers in %.1f s",
        len(results),
        len(out.failed),
        n,
        out.seconds,
    )
    return out


# --------------------------------------------------------------------------------------------
# the city report, GeoPackage and map
# --------------------------------------------------------------------------------------------

_REPORT_COLUMNS = (
    "district_code",
    "district",
    "status",
    "n_streets",
    "n_communities",
    "residents",
    "elderly",
    "covered_elderly",
    "coverage_pct",
    "n_facilities",
    "n_new_sites",
    "spent_wan_yuan",
    "covered_after_elderly",
    "coverage_after_pct",
    "indicators_passed",
    "seconds",
    "worker",
    "worker_peak_rss_mb",
    "scenario_file",
    "error",
)


def city_table(city: CityResult) -> pd.DataFrame:
    """One row per district and a city total (English keys; :func:`city_frames` labels them)."""
    rows = [
        {**d.summary, "status": d.status, "error": d.error.split("\n")[0]} for d in city.districts
    ]
    frame = pd.DataFrame(rows).reindex(columns=list(_REPORT_COLUMNS))
    ok = frame["status"] == "ok"
    total: dict[str, Any] = {"district_code": "", "district": "city_total", "status": ""}
    for col in (
        "n_streets",
        "n_communities",
        "residents",
        "elderly",
        "covered_elderly",
        "n_facilities",
        "n_new_sites",
        "spent_wan_yuan",
    ):
        total[col] = pd.to_numeric(frame.loc[ok, col], errors="coerce").sum(min_count=1)
    el = total["elderly"]
    if el and el > 0:
        total["coverage_pct"] = 100.0 * total["covered_elderly"] / el
        after = pd.to_numeric(frame.loc[ok, "covered_after_elderly"], errors="coerce")
        before = pd.to_numeric(frame.loc[ok, "covered_elderly"], errors="coerce")
        # districts without a siting stage keep today's coverage after
        total["covered_after_elderly"] = float(after.fillna(before).sum())
        total["coverage_after_pct"] = 100.0 * total["covered_after_elderly"] / el
    total["seconds"] = city.seconds
    return pd.concat([frame, pd.DataFrame([total])], ignore_index=True)


#: Columns of the brief report printed by ``siting run-many``.
_BRIEF = (
    "district_code",
    "district",
    "status",
    "elderly",
    "coverage_pct",
    "n_new_sites",
    "spent_wan_yuan",
    "coverage_after_pct",
    "indicators_passed",
    "seconds",
    "worker",
    "worker_peak_rss_mb",
)


def city_frames(
    city: CityResult, *, lang: Language = "zh", brief: bool = False
) -> dict[str, pd.DataFrame]:
    """The city report as display tables (Chinese headers by default; ``brief``: key columns)."""
    frame = city_table(city).copy()
    if brief:
        frame = frame[list(_BRIEF)]
    frame["status"] = [_t(s, lang) if s in ("ok", "failed") else s for s in frame["status"]]
    frame.loc[frame["district"] == "city_total", "district"] = _t("city_total", lang)
    for col, digits in (
        ("elderly", 0),
        ("residents", 0),
        ("n_streets", 0),
        ("n_communities", 0),
        ("n_facilities", 0),
        ("n_new_sites", 0),
        ("coverage_pct", 1),
        ("coverage_after_pct", 1),
        ("spent_wan_yuan", 1),
        ("seconds", 1),
        ("worker_peak_rss_mb", 0),
        ("covered_elderly", 0),
        ("covered_after_elderly", 0),
    ):
        if col not in frame:
            continue
        values = pd.to_numeric(frame[col], errors="coerce").round(digits)
        frame[col] = (
            pd.Series(
                [None if pd.isna(v) else int(v) for v in values], index=frame.index, dtype=object
            )
            if digits == 0
            else values
        )
    frame = frame.rename(columns={c: _t(c, lang) for c in frame.columns})
    return {"city_report": frame}


def _concat(frames: list[gpd.GeoDataFrame | None]) -> gpd.GeoDataFrame | None:
    parts = [f for f in frames if f is not None and len(f)]
    if not parts:
        return None
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=parts[0].crs)


#: The city GeoPackage's layers: (zh, en) titles.
CITY_LAYERS: dict[str, tuple[str, str]] = {
    "districts": ("区县（老年人与覆盖率）", "districts (older people, coverage)"),
    "streets": ("街道/镇", "sub-districts and towns"),
    "communities": ("社区/村（人口与覆盖）", "communities and villages (population, coverage)"),
    "facilities": ("现有养老服务设施", "existing elderly-care facilities"),
    "proposed": ("规划新增养老服务设施", "proposed elderly-care facilities"),
}


def city_layers(city: CityResult) -> dict[str, gpd.GeoDataFrame]:
    """The districts' layers merged (WGS84): districts, streets, communities, facilities, proposed."""
    ok = city.succeeded
    layers: dict[str, gpd.GeoDataFrame] = {}
    com = _concat([d.communities for d in ok])
    if com is not None:
        table = city_table(city)
        table = table[table["status"] == "ok"].set_index("district_code")
        outline = com.dissolve(by="district_code", as_index=False)[["district_code", "geometry"]]
        for col in ("district", "elderly", "coverage_pct", "coverage_after_pct"):
            outline[col] = outline["district_code"].map(table[col])
        layers["districts"] = outline
    for name in ("streets", "communities", "facilities", "proposed"):
        frame = _concat([getattr(d, name) for d in ok])
        if frame is not None:
            layers[name] = frame
    return layers


def city_map(
    city: CityResult,
    *,
    lang: Language = "zh",
    offline: bool = True,
    layers: dict[str, gpd.GeoDataFrame] | None = None,
):
    """One HTML map of every district: coverage today and after the plans, facilities, proposed
    sites and district boundaries, one switchable layer each (all districts in a layer, so the
    layer list stays short for 38 districts), with a legend, a title and a scale bar.

    Every text from the districts' inputs (district, community and facility names) is
    HTML-escaped once, where it enters the page (:func:`siting.maps.html_text`).
    """
    import folium
    from branca.element import Element

    from siting import maps
    from siting.io import FACILITY_TYPES

    layers = city_layers(city) if layers is None else layers
    if "districts" not in layers:
        raise InputError("no district finished: there is nothing to map")
    outline = layers["districts"]
    x0, y0, x1, y1 = outline.total_bounds
    m = folium.Map(tiles=None, control_scale=False, prefer_canvas=True)
    m.fit_bounds([[y0, x0], [y1, x1]])
    com = layers["communities"].copy()
    names = dict(zip(outline["district_code"], outline["district"], strict=True))
    com["district"] = com["district_code"].map(names)
    fields = ["district", "name", "elderly", "pct"]
    aliases = [
        maps.html_text(a)
        for a in (
            _t("district", lang),
            maps._t("name", lang),
            maps._t("elderly", lang),
            maps._t("coverage_pct", lang),
        )
    ]
    for key, col, show in (
        ("layer_coverage", "coverage_pct", True),
        ("layer_coverage_after", "coverage_after_pct", False),
    ):
        if col not in com or com[col].isna().all():
            continue
        part = com[["district", "name", "elderly", col, "geometry"]].rename(columns={col: "pct"})
        part["elderly"] = part["elderly"].round(0)
        part["pct"] = part["pct"].round(1)
        group = folium.FeatureGroup(name=_t(key, lang), show=show)
        maps._GeoJson(
            maps._html_properties(part),
            style_function=lambda f: {
                "fillColor": maps.coverage_colour(f["properties"]["pct"]),
                "color": "#ffffff",
                "weight": 0.6,
                "fillOpacity": 0.75,
            },
            tooltip=folium.GeoJsonTooltip(fields=fields, aliases=aliases),
        ).add_to(group)
        group.add_to(m)
    present: set[str] = set()
    for key, name, shape in (
        ("layer_facilities", "facilities", "circle"),
        ("layer_proposed", "proposed", "star"),
    ):
        frame = layers.get(name)
        if frame is None or not len(frame):
            continue
        group = folium.FeatureGroup(name=_t(key, lang, n=len(frame)), show=True)
        markers = maps._Markers()
        for row, geom in zip(frame.to_dict("records"), frame.geometry, strict=True):
            t = str(row.get("type", ""))
            present.add(t)
            markers.add(
                geom.y,
                geom.x,
                colour=maps.TYPE_STYLE.get(t, ("#000000", ""))[0],
                shape=shape if shape == "star" else maps.TYPE_STYLE.get(t, ("", "circle"))[1],
                size=14 if shape == "circle" else 18,
                classes=f"siting-{name} siting-district-{maps._css_token(row['district_code'])}",
                popup=maps._popup_table(
                    str(row.get("name", "")),
                    [
                        (_t("district", lang), names.get(row["district_code"], "")),
                        (maps._t("type", lang), maps._t(t, lang)),
                    ],
                ),
                tooltip=f"{row.get('name', '')} · {maps._t(t, lang)}",
            )
        markers.add_to(group)
        group.add_to(m)
    borders = folium.FeatureGroup(name=_t("layer_districts", lang), show=True)
    maps._GeoJson(
        maps._html_properties(outline[["district_code", "district", "geometry"]]),
        style_function=lambda f: {"fill": False, "color": "#333333", "weight": 2.5},
        tooltip=folium.GeoJsonTooltip(
            fields=["district"], aliases=[maps.html_text(_t("district", lang))]
        ),
    ).add_to(borders)
    borders.add_to(m)
    maps._ScaleBar().add_to(m)
    maps._LayerControl(collapsed=False, position="topright").add_to(m)
    bins = [(maps._patch(c), f"≥ {low:g}%") for low, c in reversed(maps.COVERAGE_BINS[1:])]
    bins.append((maps._patch(maps.COVERAGE_BINS[0][1]), f"< {maps.COVERAGE_BINS[1][0]:g}%"))
    types = [
        (maps._symbol_svg(maps.TYPE_STYLE[t][1], maps.TYPE_STYLE[t][0], 14), maps._t(t, lang))
        for t in FACILITY_TYPES
        if t in present
    ]
    if "proposed" in layers:
        types.append((maps._symbol_svg("star", "#555555", 16), _t("legend_proposed", lang)))
    legend = [(maps._t("coverage_pct", lang), bins), (_t("legend_facilities", lang), types)]
    heading = _t("map_title", lang)
    n_ok = len(city.succeeded)
    sub = _t("map_sub", lang, n=n_ok, date=dt.date.today().isoformat())
    root = m.get_root()
    root.header.add_child(Element(maps._CSS.format(font=maps._FONT)), name="siting_css")
    root.html.add_child(
        Element(
            f'<div id="siting-title"><div class="main">{maps.html_text(heading)}</div>'
            f'<div class="sub">{maps.html_text(sub)}</div></div>'
        ),
        name="siting_title",
    )
    root.html.add_child(Element(maps._legend_html(legend, lang)), name="siting_legend")
    if offline:
        maps._inline_assets(m)
    m._siting_offline = offline
    maps._deterministic_ids(m, seed="city")
    return m


def write_city(
    city: CityResult,
    out_dir: str | Path,
    *,
    lang: Language = "zh",
    map_path: str | Path | None = None,
) -> tuple[Path, ...]:
    """Write ``city_report.csv``/``.xlsx``, ``city.gpkg`` (CGCS2000) and the city map, each whole.

    The map goes to ``map_path`` (default ``maps/<out_dir name>.html`` in the working directory).
    Without any finished district only the report is written.
    """

    from siting.maps import write_map
    from siting.tables import write_tables
    from siting.transaction import atomic_path, ensure_writable_dir, transaction

    out_dir = ensure_writable_dir(Path(out_dir))
    with transaction(folders=[out_dir]):  # all files or none (joins a command's)
        frames = city_frames(city, lang=lang)
        written = list(
            write_tables(
                frames,
                out_dir,
                xlsx="city_report.xlsx",
                sheet_names={"city_report": _t("sheet_districts", lang)},
            )
        )
        layers = city_layers(city)
        if layers:
            from siting.export import field_label
            from siting.gpkg import tool_metadata, write_layers

            meta = tool_metadata(
                layers,
                districts=",".join(d.summary.get("district_code", "") for d in city.succeeded),
            )
            path = out_dir / "city.gpkg"
            with atomic_path(path) as tmp:
                write_layers(
                    tmp,
                    layers,
                    meta=meta,
                    titles={name: CITY_LAYERS.get(name, (name, name)) for name in layers},
                    field_label=field_label,
                )
            written.append(path)
            mp = (
                Path(map_path)
                if map_path is not None
                else Path.cwd() / "maps" / f"{out_dir.name}.html"
            )
            written.append(write_map(city_map(city, lang=lang, layers=layers), mp))
    return tuple(written)
