"""What-if: the figures of a plan a planner edits (a site opened, closed, or given another type),
computed from the coverage structure the optimizer used, identically in Python and in the map.

:func:`whatif_data` takes a one-period siting result (``siting optimize``, the siting stage of
``siting run``) and keeps what the figures need, and nothing of any person:

- the **options**: every existing facility, proposed site and candidate, one row per (site,
  type) as the model has them, with the physical site (``group``: at most one type open), its
  position (lon/lat, WGS84), 社区/村 and 街道/镇, and its money on each cost line when open (and, for
  an existing facility, what closing it saves), taken from the model's own cash lines
  (:func:`siting.model.money.cash`);
- the **demand classes**: the homes grouped by 社区/村 and by the set of home-care options within
  the walk (the model's coverage structure, ``SitingProblem.cover``), with their older people
  (the model's final-period demand);
- the **units** of the documents' unit rules (一街道（镇）一中心, 一村（社区）一站（点）): each 街道/镇 or
  社区/村 with the options that serve it (its own, and for a small 社区 the neighbours' it may
  share, as the rules define them), so a unit is served when one of them is open.

:func:`evaluate_state` gives the figures of a set of open options: older people covered, coverage
(district and per 社区/村), newly covered against today, money by line, and the units each rule
leaves unserved. For the optimized plan they are the optimizer's own figures (tested). The map
computes the same sums from the same data in the page (``siting/assets/whatif.js``).

An **edit file** (CSV, UTF-8): one row per change, columns ``site_id``, ``action`` (``open``,
``close``) and ``type`` (for ``open``: the type it opens as; blank: its only or first type).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from siting.costs import LINES
from siting.errors import InputError, Problem

if TYPE_CHECKING:
    from siting.model import SitingResult

__all__ = ["Edit", "apply_edits", "evaluate_state", "plan_state", "read_edits", "whatif_data"]

#: Edit actions.
ACTIONS = ("open", "close")


@dataclass(frozen=True)
class Edit:
    """One change to the plan: open ``site_id`` (as ``type``) or close it."""

    site_id: str
    action: str
    type: str = ""


def whatif_data(result: SitingResult) -> dict[str, Any]:
    """The data of the what-if (JSON-able: lists of numbers and strings)."""
    from siting.model.money import cash
    from siting.model.rules import _UnitRule, active_rules

    problem = result.problem
    s = problem.settings
    if s.years:
        raise InputError(
            "the what-if works on a one-period siting (siting optimize, the siting stage of "
            "siting run), not on a multi-year plan",
            [Problem("plan", f"{len(s.years)} plan years", hint="use the scenario's [optimize]")],
        )
    o = problem.options
    K = len(o)
    existing = problem.existing
    # demand classes: homes with the same 社区/村 and the same set of home-care options in reach
    cover = problem.cover.tocsr()
    el = problem.matrix.elderly * problem.growth[:, -1]
    dc = problem.demand_community
    keys: dict[tuple, int] = {}
    cls_com: list[int] = []
    cls_el: list[float] = []
    cls_opts: list[tuple[int, ...]] = []
    for i in range(cover.shape[0]):
        opts = tuple(cover.indices[cover.indptr[i] : cover.indptr[i + 1]].tolist())
        key = (int(dc[i]), opts)
        c = keys.get(key)
        if c is None:
            c = keys[key] = len(cls_el)
            cls_com.append(int(dc[i]))
            cls_el.append(0.0)
            cls_opts.append(opts)
        cls_el[c] += float(el[i])
    indptr = np.cumsum([0, *map(len, cls_opts)]).tolist()
    indices = [k for opts in cls_opts for k in opts]
    # money per line: base (nothing changed from today) + per option when open
    x0 = existing.astype(float)
    money_base, money_coef = {}, {}
    for line in LINES:
        lin = cash(problem, 0, [line])
        money_base[line] = float(lin.const + (lin.coef[:, 0] * x0).sum())
        money_coef[line] = [round(float(v), 6) for v in lin.coef[:, 1]]
    # units of the unit rules, with every option that serves each (fixed ones included)
    units = []
    types = o["type"].to_numpy().astype(str)
    for rule in active_rules(problem):
        if isinstance(rule, _UnitRule):  # 一街道（镇）一中心, 一村（社区）一站（点）
            units.extend(
                {"rule": rule.group, "code": u.code, "name": u.name, "kind": u.kind,
                 "options": u.options.astype(int).tolist()}
                for u in _all_units(rule, problem)
            )  # fmt: skip
    lonlat = _lonlat(problem)
    opened = np.asarray(result.open_options, dtype=bool)
    status = np.where(existing, "existing", np.where(opened, "proposed", "candidate"))
    com = problem.communities
    return {
        "options": {
            "site_id": o["site_id"].astype(str).tolist(),
            "name": o["name"].astype(str).tolist(),
            "type": types.tolist(),
            "group": o["group"].astype(int).tolist(),
            "status": status.tolist(),
            "allowed": problem.allowed.astype(bool).tolist(),
            "community": o["community"].astype(int).tolist(),
            "street": o["street"].astype(int).tolist(),
            "lon": [round(float(v), 6) for v in lonlat[:, 0]],
            "lat": [round(float(v), 6) for v in lonlat[:, 1]],
        },
        "classes": {
            "community": cls_com,
            "elderly": [round(v, 6) for v in cls_el],
            "indptr": indptr,
            "indices": indices,
        },
        "communities": {
            "code": com["code"].astype(str).tolist(),
            "name": com["name"].astype(str).tolist(),
        },
        "money": {"lines": list(LINES), "base": money_base, "coef": money_coef},
        "units": units,
        "n_options": K,
    }


def _all_units(rule, problem) -> list:
    """Every unit of a unit rule with every option that serves it, existing facilities included:
    the rule leaves out the units an existing facility serves already (they need no decision),
    but the what-if may close that facility. The rule's own ``units`` on the same instance with
    nothing fixed (the same eligibility) gives them all."""
    import dataclasses

    unfixed = dataclasses.replace(problem, options=problem.options.assign(fixed=False))
    unfixed.__dict__["eligibility"] = problem.eligibility  # (a cached property)
    return rule.units(unfixed)


def _lonlat(problem) -> np.ndarray:
    import geopandas as gpd

    geoms = problem.matrix.site_geometry
    if geoms is None or problem.geometry_crs is None:
        return np.full((len(problem.options), 2), np.nan)
    site_pos = {sid: i for i, sid in enumerate(problem.matrix.site_ids)}
    pts = gpd.GeoSeries(np.asarray(geoms, dtype=object), crs=problem.geometry_crs).to_crs(4326)
    xy = np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])
    rows = [site_pos.get(str(s), -1) for s in problem.options["site_id"]]
    out = np.full((len(rows), 2), np.nan)
    for k, r in enumerate(rows):
        if r >= 0:
            out[k] = xy[r]
    return out


def plan_state(data: dict[str, Any]) -> np.ndarray:
    """(K,) the optimized plan's open options: the existing facilities and the proposed sites."""
    status = np.asarray(data["options"]["status"])
    return (status == "existing") | (status == "proposed")


def apply_edits(data: dict[str, Any], state: np.ndarray, edits: Sequence[Edit]) -> np.ndarray:
    """The open options after ``edits`` (in order) on ``state``; an unknown site or type, or a
    type the rules do not allow there, is refused with the row that names it."""
    o = data["options"]
    ids = np.asarray(o["site_id"])
    types = np.asarray(o["type"])
    groups = np.asarray(o["group"])
    allowed = np.asarray(o["allowed"], dtype=bool)
    status = np.asarray(o["status"])
    out = np.asarray(state, dtype=bool).copy()
    problems = []
    for row, e in enumerate(edits, start=2):
        rows = np.flatnonzero(ids == e.site_id)
        if not len(rows):
            problems.append(
                Problem("edits", f"unknown site '{e.site_id}'", row=row, column="site_id")
            )
            continue
        if e.action == "close":
            out[groups == groups[rows[0]]] = False
            continue
        pick = rows if not e.type else rows[types[rows] == e.type]
        pick = [k for k in pick if allowed[k] or status[k] == "existing"]
        if not pick:
            problems.append(
                Problem(
                    "edits",
                    f"site '{e.site_id}' cannot open as '{e.type or types[rows[0]]}'",
                    row=row,
                    column="type",
                    hint=f"its types: {sorted(set(types[rows]))}",
                )
            )
            continue
        out[groups == groups[pick[0]]] = False
        out[pick[0]] = True
    if problems:
        raise InputError(f"{len(problems)} problem(s) in the edits; nothing was written", problems)
    return out


def evaluate_state(data: dict[str, Any], state: np.ndarray) -> dict[str, Any]:
    """The figures of the open options ``state`` (what the map shows)."""
    state = np.asarray(state, dtype=bool)
    c = data["classes"]
    el = np.asarray(c["elderly"], dtype=float)
    com = np.asarray(c["community"], dtype=np.int64)
    indptr = np.asarray(c["indptr"], dtype=np.int64)
    indices = np.asarray(c["indices"], dtype=np.int64)
    n_com = len(data["communities"]["code"])

    def covered_of(open_: np.ndarray) -> np.ndarray:
        """(classes,) whether one of the class's options is open (a class with none: never)."""
        hit = np.append(open_[indices].astype(np.int64), 0)  # the 0: classes ending the list
        counts = np.add.reduceat(hit, indptr[:-1]) if len(indptr) > 1 else np.zeros(0, np.int64)
        return (counts > 0) & (indptr[1:] > indptr[:-1])

    today = np.asarray(data["options"]["status"]) == "existing"
    now, before = covered_of(state), covered_of(today)
    inside = com >= 0
    elderly_com = np.bincount(com[inside], weights=el[inside], minlength=n_com)
    covered_com = np.bincount(com[inside], weights=(el * now)[inside], minlength=n_com)
    with np.errstate(invalid="ignore", divide="ignore"):
        pct_com = np.where(elderly_com > 0, 100 * covered_com / elderly_com, np.nan)
    total = float(el.sum())
    covered = float((el * now).sum())
    m = data["money"]
    money = {
        line: m["base"][line] + float(np.dot(np.asarray(m["coef"][line]), state))
        for line in m["lines"]
    }
    gaps: dict[str, list[str]] = {}
    for u in data["units"]:
        serving = np.asarray(u["options"], dtype=np.int64)
        if not (len(serving) and state[serving].any()):
            gaps.setdefault(u["rule"], []).append(u["code"])
    return {
        "elderly": total,
        "covered": covered,
        "coverage_pct": 100 * covered / total if total > 0 else float("nan"),
        "newly_covered": covered - float((el * before).sum()),
        "community_coverage_pct": pct_com,
        "money": money,
        "spent": float(sum(money.values())),
        "gaps": gaps,
    }


def read_edits(path: str | Path) -> list[Edit]:
    """The edits of a CSV file (``site_id``, ``action``, ``type``); bad rows are refused together."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise InputError(
            f"edit file {path} does not exist", [Problem(str(path), "file not found")]
        ) from exc
    except UnicodeDecodeError as exc:
        raise InputError(
            f"edit file {path} is not UTF-8 text", [Problem(str(path), str(exc))]
        ) from exc
    reader = csv.DictReader(io.StringIO(text))
    missing = {"site_id", "action"} - set(reader.fieldnames or ())
    if missing:
        raise InputError(
            f"edit file {path} lacks column(s) {sorted(missing)}",
            [Problem(str(path), f"columns {reader.fieldnames}", hint="site_id,action,type")],
        )
    out, problems = [], []
    for row, rec in enumerate(reader, start=2):
        sid = (rec.get("site_id") or "").strip()
        action = (rec.get("action") or "").strip().lower()
        if not sid or action not in ACTIONS:
            problems.append(
                Problem(str(path), f"bad edit {dict(rec)}", row=row, hint="action is open or close")
            )
            continue
        out.append(Edit(sid, action, (rec.get("type") or "").strip()))
    if problems:
        raise InputError(
            f"{len(problems)} problem(s) in {path.name}; nothing was written", problems
        )
    return out


_LABELS: dict[str, tuple[str, str]] = {
    "w_figure": ("指标", "figure"),
    "w_today": ("现状", "today"),
    "w_plan": ("优化方案", "optimized plan"),
    "w_edited": ("调整后", "edited plan"),
    "w_coverage": ("覆盖率(%)", "coverage (%)"),
    "w_covered": ("覆盖老年人", "older people covered"),
    "w_newly": ("新增覆盖老年人", "older people newly covered"),
    "w_spent": ("支出合计(万元)", "spent, total (万元)"),
    "w_line": ("支出：{line}(万元)", "spent: {line} (万元)"),
    "w_gaps": ("未满足：{rule}(个)", "unserved: {rule} (units)"),
    "w_code": ("代码", "code"),
    "w_name": ("名称", "name"),
    "w_pct_plan": ("优化方案覆盖率(%)", "coverage, optimized plan (%)"),
    "w_pct_edited": ("调整后覆盖率(%)", "coverage, edited plan (%)"),
    "w_edits": ("调整", "edits"),
}


def whatif_frames(data: dict[str, Any], edited: np.ndarray, *, lang: str = "zh") -> dict[str, Any]:
    """``whatif_district`` (today, the optimized plan and the edited plan side by side) and
    ``whatif_communities`` (coverage per 社区/村, the plan and the edited plan)."""
    import pandas as pd

    from siting.i18n import label, labeller

    t = labeller(_LABELS)
    today = np.asarray(data["options"]["status"]) == "existing"
    states = {"w_today": today, "w_plan": plan_state(data), "w_edited": edited}
    figures = {k: evaluate_state(data, v) for k, v in states.items()}
    rules = [r for r in dict.fromkeys(u["rule"] for u in data["units"])]
    rows = [
        (t("w_coverage", lang), lambda f: round(f["coverage_pct"], 2)),
        (t("w_covered", lang), lambda f: round(f["covered"], 1)),
        (t("w_newly", lang), lambda f: round(f["newly_covered"], 1)),
        (t("w_spent", lang), lambda f: round(f["spent"], 2)),
        *[
            (
                t("w_line", lang, line=label(f"line_{ln}", lang)),
                lambda f, ln=ln: round(f["money"][ln], 2),
            )
            for ln in data["money"]["lines"]
        ],
        *[
            (
                t("w_gaps", lang, rule=label(f"rule_{r}", lang)),
                lambda f, r=r: len(f["gaps"].get(r, [])),
            )
            for r in rules
        ],
    ]
    district = pd.DataFrame(
        {
            t("w_figure", lang): [name for name, _ in rows],
            **{t(k, lang): [fn(figures[k]) for _, fn in rows] for k in states},
        },
        dtype=object,
    )
    c = data["communities"]
    communities = pd.DataFrame(
        {
            t("w_code", lang): c["code"],
            t("w_name", lang): c["name"],
            t("w_pct_plan", lang): np.round(figures["w_plan"]["community_coverage_pct"], 2),
            t("w_pct_edited", lang): np.round(figures["w_edited"]["community_coverage_pct"], 2),
        }
    )
    return {"whatif_district": district, "whatif_communities": communities, "figures": figures}
