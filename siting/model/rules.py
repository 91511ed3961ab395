"""The policy rules of the model, one small unit each, used alike by one-off sitings and five-year plans.

Every rule knows its document, adds its rows to a :class:`~siting.model.formulation.Model`
(``add``), says before solving when it cannot be met (``presolve``, hard rules), explains the slack
an elastic re-solve gives it (``explain``), and, when it may go unmet (soft), lists the units it
leaves without their facility and why (``gaps``).

==========================  ==============================================================  ====================
rule                        what it adds (defaults)                                         source
==========================  ==============================================================  ====================
eligibility (documents)     a type only where it fits its 社区/村 and 街道/镇                 001 §二(一), annex 1;
                            (:mod:`siting.standards`), and only on a site that meets its      002 §13, §17;
                            size standard; ``health_rule = "require"``: centers within       000 ch.4 §1
                            500 m of their health facility; a new site closer than
                            ``min_spacing_m`` to a fixed one of its type is not an option
CenterPerUnit               "一街道（镇）一中心": every 街道 without a street center gets     001 §二(一); 003
                            one inside it, every 镇 a town center                             task 8
StationPerUnit              "一村（社区）一站（点）": every 社区 without a 社区养老服务站 gets    001 §二(一); 003
                            one (a village or compound point is not its station), every 村   task 8; 000 ch.4 §1
                            a 村级互助养老点 (or a station); a 社区 with fewer than
                            ``small_community_elderly`` (500) older people may share one
                            that reaches ≥ ``sharing_min_share`` (50 %) of its elderly
Hub (policies)              every station is run by one open center of its 街道/镇 or within   001 §二(三)
                            ``hub_reach_minutes`` (30) walking, ≤ 10 stations per center;
                            the documents profile reports it (an operating arrangement,
                            "逐渐托管运营周边10个左右"), ``policies = ["hub"]`` enforces it
Capacity (policies,         a site serves at most its capacity: floor area × 2.5 older       001 附件1; 002 §13
``capacitated``)            people per m² (200 m² for a 社区 of < 500), or beds × the         (derived, see
                            standard center's capacity per bed; coverage is an assignment    ``capacity_elderly``)
Budget                      each period's spend ≤ its budget (``siting.model.money``)         the scenario
CoverageTarget              ≥ share of the scope's elderly covered, from a period on          000 专栏1; 003
UnitCoverage                ≥ share of every 社区/村's elderly covered, from a period on      the scenario
MaxNew, NewSites,           at most ``max_new`` new of a type; exactly ``new_sites`` new;    the scenario
NewPerPeriod, Spacing       per period bounds; two sites of a type closer than its spacing
QuotaRule                   at least N facilities of a type in a 街道/镇 (社区/村, district)     001 附件2、3;
                            by a year, existing ones counted or not (``[[plan.quota]]``);     002 §12, §17;
                            optionally at most M in that year                                 000 专栏
==========================  ==============================================================  ====================

Under the ``documents`` profile the center and station rules are *soft*: a unit that no eligible
option can serve, or that the money cannot reach, does not make the plan infeasible; it is listed
as a gap with its reason, and everything else is planned. Priorities (lexicographic, one solve per
stage, :mod:`siting.model.solving`): first as many units served as the rules allow, then coverage,
then cost. Switched on in ``policies`` (or as a milestone) the same rule is hard.

Quotas (:class:`QuotaRule`) are soft in the same way: one that the unit's eligible candidates
cannot reach, or the money, is a gap with its reason and numbers (one shortfall per missing
facility, weighed like a unit without its facility in the rules stage); ``hard = true`` makes it a
constraint, refused before solving when the unit has too few eligible candidates. Their cap
(``at_most``) is always hard.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pulp

from siting.model.lp import new_var
from siting.model.money import budget_rows
from siting.model.relations import sharing_shares
from siting.standards import (
    CENTER_FOR_KIND,
    CENTER_TYPES,
    UNIT_TYPES,
    fits_unit,
    meets_size,
)

if TYPE_CHECKING:
    from siting.model.formulation import Model
    from siting.model.problem import SitingProblem
    from siting.model.settings import ModelSettings

__all__ = [
    "GAP_COLUMNS",
    "REASONS",
    "Budget",
    "Capacity",
    "CenterPerUnit",
    "CoverageTarget",
    "Eligibility",
    "Hub",
    "MaxNew",
    "NewPerPeriod",
    "NewSites",
    "QuotaRule",
    "Spacing",
    "StationPerUnit",
    "UnitCoverage",
    "active_rules",
    "capacity_elderly",
    "check_capacities",
    "check_quotas",
    "coverage_ceiling",
    "eligibility",
    "hub_assignment",
    "quota_frame",
]

#: Why an option may not open, or why a unit is left without its facility.
REASONS: dict[str, tuple[str, str]] = {
    "not_build_type": ("该类型不在规划建设类型内", "type not among the plan's build types"),
    "upgrade_not_allowed": ("未允许该升级", "upgrade not allowed"),
    "type_not_fit": ("类型与所在社区/村、街道/镇不符", "type does not fit its 社区/村 or 街道/镇"),
    "below_size": ("面积（或床位）低于标准", "below the size standard"),
    "far_from_health": ("距卫生机构过远", "too far from its health facility"),
    "spacing": ("距同类现有设施过近", "too close to an existing facility of its type"),
    "no_candidate": ("无候选点", "no candidate site"),
    "candidate_too_small": ("候选点面积低于标准", "candidates below the size standard"),
    "candidate_excluded": ("候选点被其他规则排除", "candidates excluded by other rules"),
    "out_of_budget": ("预算不足（或其他规则所限）", "out of budget (or other rules)"),
    "no_center_in_reach": (
        "辖区及步行范围内无中心可带",
        "no center in its 街道/镇 or within reach",
    ),
    "center_full": ("可带的中心已满", "the centers in reach are full"),
    "too_few_candidates": ("单元内符合条件的候选点不足", "too few eligible candidates in the unit"),
    "over_cap": ("超过上限", "above its cap"),
    "sites_used_otherwise": ("候选点已作其他类型", "candidate sites used for other types"),
}
GAP_COLUMNS = ("rule", "unit_kind", "code", "name", "needs", "reason", "detail", "source")


def _names(items: Sequence[str], limit: int = 8) -> str:
    text = ", ".join(items[:limit])
    return text + (f" … ({len(items)} in all)" if len(items) > limit else "")


# ------------------------------------------------------------------------------------------
# eligibility
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Eligibility:
    """Which options may open (``allowed``) and, for the others, why not (``reason``)."""

    allowed: np.ndarray
    reason: np.ndarray


def eligibility(problem: SitingProblem) -> Eligibility:
    """The options a plan may open: existing ones always; new sites of the build types; upgrades
    the settings allow; under the documents profile only where the type fits and the size meets
    its standard; centers near health under ``require``; nothing within the spacing of a fixed site."""
    s = problem.settings
    o = problem.options
    K = len(o)
    action = o["action"].to_numpy()
    types = o["type"].to_numpy().astype(object)
    reason = np.full(K, "", dtype=object)

    def block(mask: np.ndarray, why: str) -> None:
        reason[mask & (reason == "") & (action != "existing")] = why

    block((action == "new") & ~np.isin(types, s.build_types), "not_build_type")
    from_types = o["from_type"].to_numpy()
    up_ok = np.array(
        [
            a != "upgrade" or t in s.upgrades.get(f, ())
            for a, t, f in zip(action, types, from_types, strict=True)
        ],
        dtype=bool,
    )
    block(~up_ok, "upgrade_not_allowed")
    if s.profile == "documents":
        com_kind = _position_values(problem.communities, "kind", o["community"].to_numpy())
        st_kind = _position_values(problem.streets, "kind", o["street"].to_numpy())
        block(~fits_unit(types, com_kind, st_kind), "type_not_fit")
        el = _position_values(problem.communities, "elderly", o["community"].to_numpy(), np.inf)
        ok = meets_size(
            types,
            o["floor_area_given_m2"].to_numpy(dtype=float),
            o["beds"].to_numpy(dtype=float),
            el.astype(float),
            s.size_standards,
        )
        block(~ok, "below_size")
    if s.health_rule == "require":
        d = o["health_distance_m"].to_numpy(dtype=float)
        block(np.isin(types, CENTER_TYPES) & ~(d <= s.health_max_distance_m), "far_from_health")
    fixed = o["fixed"].to_numpy()
    for a, b in problem.spacing:
        if fixed[a] and not fixed[b] and reason[b] == "":
            reason[b] = "spacing"
        elif fixed[b] and not fixed[a] and reason[a] == "":
            reason[a] = "spacing"
    # a planned build is the planner's decision: it may open whatever the rules say of its type
    planned = {(b.site_id, b.type) for b in s.builds}
    if planned:
        ids = o["site_id"].astype(str).to_numpy()
        for k in np.flatnonzero(action != "existing"):
            if (ids[k], types[k]) in planned:
                reason[k] = ""
    return Eligibility(allowed=reason == "", reason=reason)


def _position_values(
    frame: pd.DataFrame, col: str, pos: np.ndarray, default: Any = ""
) -> np.ndarray:
    out = np.full(len(pos), default, dtype=object)
    if len(frame) == 0 or col not in frame:
        return out
    values = frame[col].to_numpy()
    inside = pos >= 0
    out[inside] = values[pos[inside]]
    return out


# ------------------------------------------------------------------------------------------
# base
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """A rule: ``group`` names it in messages and slack reports; ``source`` its document."""

    group: str = ""
    source: str = ""
    soft: bool = False
    before_coverage = False

    def add(self, model: Model) -> None:  # pragma: no cover - every rule overrides it
        raise NotImplementedError

    def presolve(self, problem: SitingProblem) -> list[str]:
        return []

    def explain(self, problem: SitingProblem, items: list[tuple[str, str, float]]) -> str:
        return f"{self.group}: {_names([lab for _, lab, _ in items])}"

    def gaps(self, problem: SitingProblem, open_matrix: np.ndarray) -> list[dict[str, Any]]:
        return []

    def shortfall(self, problem: SitingProblem, open_matrix: np.ndarray) -> float:
        """What the plan ``open_matrix`` leaves of a soft rule unmet, counted as the rules stage
        counts it (0 for a hard rule)."""
        return 0.0


# ------------------------------------------------------------------------------------------
# one center per 街道/镇, one station per 社区, one point per 村
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    """A 街道/镇 or 社区/村 a unit rule must serve: its options now, and every option it had."""

    pos: int
    code: str
    name: str
    kind: str
    needs: tuple[str, ...]
    options: np.ndarray  # allowed, not fixed: the row's decisions
    candidates: np.ndarray  # every non-existing option of a needed type inside it (any eligibility)
    shared: bool = False  # a small 社区 that may share a neighbour's


@dataclass(frozen=True)
class _UnitRule(Rule):
    period: int = -1  # −1: the final period
    exclude: tuple[str, ...] = ()
    name: str = ""
    milestone: int | None = None

    def first(self, problem: SitingProblem) -> int:
        return problem.n_periods - 1 if self.period < 0 else self.period

    def units(self, problem: SitingProblem) -> list[Unit]:
        """The rule's units in ``problem``, found once per problem and rule (the model, the
        greedy plan, the gaps and the report all ask for them)."""
        cache = problem.derived
        key = ("units", self)
        if key not in cache:
            cache[key] = self._units(problem)
        return cache[key]

    def _units(self, problem: SitingProblem) -> list[Unit]:  # pragma: no cover - overridden
        raise NotImplementedError

    def add(self, model: Model) -> None:
        problem = model.problem
        p = self.first(problem)
        for u in self.units(problem):
            rows = []
            for j in range(p, problem.n_periods):
                terms, const = model.option_terms(u.options, j)
                rows.append((terms, const))
            label = f"{u.name} ({u.code})"
            if self.soft:
                model.add_soft(self.group, u.code, label, rows)
            else:
                for terms, const in rows:
                    model.add(self.group, u.code, label, terms, ">=", 1.0 - const)

    def unservable(self, problem: SitingProblem) -> list[Unit]:
        """The units no eligible option can serve (listed as gaps, or, for a hard rule, refused)."""
        return [u for u in self.units(problem) if len(u.options) == 0]

    def served(self, problem: SitingProblem, open_matrix: np.ndarray) -> dict[int, bool]:
        p = self.first(problem)
        out = {}
        for u in self.units(problem):
            out[u.pos] = (
                bool(open_matrix[u.options, p + 1].sum() >= 1 - 1e-9) if len(u.options) else False
            )
        return out

    def shortfall(self, problem: SitingProblem, open_matrix: np.ndarray) -> float:
        """Units without an open option in some period from the rule's first on."""
        if not self.soft:
            return 0.0
        p = self.first(problem)
        short = 0.0
        for u in self.units(problem):
            least = (
                float(open_matrix[u.options, p + 1 :].sum(axis=0).min()) if len(u.options) else 0.0
            )
            short += min(1.0, max(0.0, 1.0 - least))
        return short

    def gaps(self, problem: SitingProblem, open_matrix: np.ndarray) -> list[dict[str, Any]]:
        served = self.served(problem, open_matrix)
        why = problem.eligibility.reason
        out = []
        for u in self.units(problem):
            if served[u.pos]:
                continue
            if len(u.options):
                reason, detail = "out_of_budget", f"{len(u.options)} 个可用候选点未入选"
            elif len(u.candidates) and (why[u.candidates] == "below_size").all():
                reason = "candidate_too_small"
                detail = "；".join(
                    f"{problem.options['option_id'].iat[k]} {problem.options['floor_area_given_m2'].iat[k]:.0f} m²"
                    for k in u.candidates[:5]
                )
            elif len(u.candidates):
                reason = "candidate_excluded"
                detail = "；".join(
                    f"{problem.options['option_id'].iat[k]}: {REASONS.get(why[k], (why[k],))[0]}"
                    for k in u.candidates[:5]
                )
            else:
                reason = "no_candidate"
                present = problem.options[
                    (problem.options[self._where()] == u.pos) & ~problem.existing
                ]["type"]
                detail = (
                    "内有候选点，但只能作：" + "、".join(sorted(set(present.astype(str))))
                    if len(present)
                    else "内无任何候选点"
                )
            out.append(
                {
                    "rule": self.group,
                    "unit_kind": u.kind,
                    "code": u.code,
                    "name": u.name,
                    "needs": "/".join(u.needs),
                    "reason": reason,
                    "detail": detail,
                    "source": self.source,
                }
            )
        return out

    def _where(self) -> str:
        return "community"

    def presolve(self, problem: SitingProblem) -> list[str]:
        if self.soft:
            return []
        empty = [u for u in self.units(problem) if len(u.options) == 0]
        if not empty:
            return []
        extra = ""
        s = problem.settings
        if isinstance(self, CenterPerUnit) and s.health_rule == "require":
            extra = f" within {s.health_max_distance_m:g} m of their health facility (health_rule = require)"
        return [
            f"{self.describe(problem)}: {len(empty)} {self.unit_word()} {self.lacking()} have "
            f"{self.no_option_text()}{extra}: " + _names([f"{u.name} ({u.code})" for u in empty])
        ]

    def describe(self, problem: SitingProblem) -> str:
        if self.milestone is not None:
            return f"milestone '{self.name}' (plan.milestones[{self.milestone}]) cannot be met"
        return self.group

    def unit_word(self) -> str:  # pragma: no cover - overridden
        return "units"

    def lacking(self) -> str:  # pragma: no cover - overridden
        return ""

    def no_option_text(self) -> str:  # pragma: no cover - overridden
        return "no option"

    def explain(self, problem: SitingProblem, items: list[tuple[str, str, float]]) -> str:
        what = f"{self.unit_word()} cannot get {self.facility_word()}"
        return f"{self.describe(problem)}: {len(items)} {what} under the other rules: " + _names(
            [lab for _, lab, _ in items]
        )

    def facility_word(self) -> str:  # pragma: no cover - overridden
        return "their facility"


@dataclass(frozen=True)
class CenterPerUnit(_UnitRule):
    """一街道（镇）一中心 (001 §二(一); 003 task 8)."""

    group: str = "center_per_street"
    source: str = "001 §二(一); 003 任务8"

    def _units(self, problem: SitingProblem) -> list[Unit]:
        o = problem.options
        types = o["type"].to_numpy()
        where = o["street"].to_numpy()
        fixed = o["fixed"].to_numpy() & problem.allowed
        allowed = problem.allowed & ~fixed
        st = problem.streets
        out = []
        for s_pos, (code, name, kind) in enumerate(
            zip(st["code"].astype(str), st["name"].astype(str), st["kind"], strict=True)
        ):
            if code in self.exclude:
                continue
            need = CENTER_FOR_KIND.get(kind, "town_center")
            inside = (where == s_pos) & (types == need)
            if (inside & fixed).any():
                continue
            out.append(
                Unit(
                    pos=s_pos,
                    code=code,
                    name=name,
                    kind=str(kind),
                    needs=(need,),
                    options=np.flatnonzero(inside & allowed),
                    candidates=np.flatnonzero(inside & ~problem.existing),
                )
            )
        return out

    def _where(self) -> str:
        return "street"

    def unit_word(self) -> str:
        return "街道/镇"

    def lacking(self) -> str:
        return "without a center"

    def no_option_text(self) -> str:
        return "no candidate for their center inside them"

    def facility_word(self) -> str:
        return "their center"


@dataclass(frozen=True)
class StationPerUnit(_UnitRule):
    """一村（社区）一站（点） (001 §二(一); 003 task 8), with the sharing rule for small 社区."""

    group: str = "station_per_community"
    source: str = "001 §二(一)、附件1; 003 任务8"
    scope: str = "all"
    sharing: bool = True

    def _units(self, problem: SitingProblem) -> list[Unit]:
        s = problem.settings
        o = problem.options
        types = o["type"].to_numpy()
        where = o["community"].to_numpy()
        fixed = o["fixed"].to_numpy() & problem.allowed
        allowed = problem.allowed & ~fixed
        com = problem.communities
        kinds = com["kind"].astype(str).to_numpy()
        codes = com["code"].astype(str).to_numpy()
        names = com["name"].astype(str).to_numpy()
        small = (kinds == "community") & (
            com["elderly"].to_numpy(dtype=float) < s.small_community_elderly
        )
        shares = None
        if self.sharing and small.any():
            cols = np.flatnonzero(np.isin(types, UNIT_TYPES["community"]) & problem.allowed)
            shares = sharing_shares(
                problem.cover, problem.matrix.elderly, problem.demand_community, len(com), cols
            )
        fits = {k: np.isin(types, v) for k, v in UNIT_TYPES.items()}  # types each kind needs
        out = []
        for c in range(len(com)):
            if self.scope != "all" and kinds[c] != self.scope:
                continue
            if codes[c] in self.exclude:
                continue
            kind = kinds[c] if kinds[c] in UNIT_TYPES else "village"
            needs = UNIT_TYPES[kind]
            own = (where == c) & fits[kind]
            if (own & fixed).any():
                continue
            members = own & allowed
            shared = False
            if small[c] and shares is not None:
                a, b = shares.indptr[c], shares.indptr[c + 1]
                ok = shares.indices[a:b][shares.data[a:b] >= s.sharing_min_share - 1e-12]
                other = np.zeros(len(o), dtype=bool)
                other[ok] = True
                other &= where != c
                if (other & fixed).any():
                    continue
                members |= other & allowed
                shared = bool(other.any())
            out.append(
                Unit(
                    pos=int(c),
                    code=codes[c],
                    name=names[c],
                    kind=kinds[c],
                    needs=tuple(needs),
                    options=np.flatnonzero(members),
                    candidates=np.flatnonzero(own & ~problem.existing),
                    shared=shared,
                )
            )
        return out

    def unit_word(self) -> str:
        return {"all": "社区/村", "community": "社区", "village": "村"}[self.scope]

    def lacking(self) -> str:
        return "without a station or point"

    def no_option_text(self) -> str:
        return "no station or point candidate inside them (nor, for small 社区, a neighbour's)"

    def facility_word(self) -> str:
        return "a station or point"


# ------------------------------------------------------------------------------------------
# 中心带站
# ------------------------------------------------------------------------------------------


def hub_assignment(
    problem: SitingProblem, open_options: np.ndarray
) -> tuple[dict[int, int], list[int]]:
    """Open stations to open centers (same 街道/镇 or in reach), fewest choices first, least-loaded
    center with room. Returns the center of each station and the stations left without one."""
    s = problem.settings
    pairs = [
        (int(a), int(h))
        for a, h in zip(problem.hub_station, problem.hub_center, strict=True)
        if open_options[a] and open_options[h]
    ]
    by_station: dict[int, list[int]] = {}
    for a, h in pairs:
        by_station.setdefault(a, []).append(h)
    stations = np.flatnonzero(
        open_options & np.isin(problem.options["type"].to_numpy(), s.hub_types)
    )
    load: dict[int, int] = {}
    assignment: dict[int, int] = {}
    unassigned = []
    for a in sorted(stations.tolist(), key=lambda k: (len(by_station.get(k, [])), k)):
        room = [h for h in by_station.get(a, []) if load.get(h, 0) < s.stations_per_center_max]
        if room:
            h = min(room, key=lambda c: (load.get(c, 0), c))
            load[h] = load.get(h, 0) + 1
            assignment[a] = h
        else:
            unassigned.append(a)
    return assignment, unassigned


@dataclass(frozen=True)
class Hub(Rule):
    """中心带站 (001 §二(三)): every station run by one open center in reach, ≤ M per center."""

    group: str = "hub"
    source: str = "001 §二(三)"

    def add(self, model: Model) -> None:
        problem = model.problem
        s = problem.settings
        opts = problem.options
        allowed = problem.allowed
        opts["fixed"].to_numpy() & allowed
        names = opts["name"].astype(str).to_numpy()
        ids = opts["site_id"].astype(str).to_numpy()
        j = problem.n_periods - 1
        keep = allowed[problem.hub_station] & allowed[problem.hub_center]
        by_station: dict[int, list] = {}
        by_center: dict[int, list] = {}
        for a, h in zip(problem.hub_station[keep], problem.hub_center[keep], strict=True):
            av = new_var(model.prob, f"a{a}_{h}", 0, 1, pulp.LpBinary)
            model.a.append((int(a), int(h), av))
            by_station.setdefault(int(a), []).append((av, 1.0))
            by_center.setdefault(int(h), []).append((av, 1.0))
        stations = np.flatnonzero(np.isin(opts["type"].to_numpy(), s.hub_types) & allowed)
        for st in stations:
            terms = by_station.get(int(st), [])
            label = f"{names[st]} ({ids[st]})"
            ot, oc = model.open_terms(int(st), j)
            model.add("hub", ids[st], label, [*terms, *[(v, -c) for v, c in ot]], "==", oc)
        m_max = float(s.stations_per_center_max)
        for h, terms in by_center.items():
            label = f"{names[h]} ({ids[h]})"
            ot, oc = model.open_terms(h, j)
            model.add(
                "hub_capacity",
                ids[h],
                label,
                [*terms, *[(v, -m_max * c) for v, c in ot]],
                "<=",
                m_max * oc,
            )

    def presolve(self, problem: SitingProblem) -> list[str]:
        s = problem.settings
        opts = problem.options
        allowed = problem.allowed
        keep = allowed[problem.hub_station] & allowed[problem.hub_center]
        has = np.zeros(len(opts), dtype=bool)
        has[problem.hub_station[keep]] = True
        st = np.isin(opts["type"].to_numpy(), s.hub_types) & opts["fixed"].to_numpy() & allowed
        orphans = [
            f"{opts['name'].iloc[k]} ({opts['site_id'].iloc[k]})" for k in np.flatnonzero(st & ~has)
        ]
        if not orphans:
            return []
        where = (
            f"within {s.hub_reach_minutes:g} minutes' walk"
            if s.hub_reach_metric == "walking"
            else f"within {s.hub_reach_m:g} m"
        )
        return [
            f"hub: {len(orphans)} existing stations have no center or center candidate in their 街道/镇 "
            f"or {where}: {_names(orphans)}"
        ]

    def explain(self, problem: SitingProblem, items: list[tuple[str, str, float]]) -> str:
        s = problem.settings
        reach = (
            f"{s.hub_reach_minutes:g} minutes' walk"
            if s.hub_reach_metric == "walking"
            else f"{s.hub_reach_m:g} m"
        )
        return (
            f"hub: {len(items)} stations cannot be run by a center of their 街道/镇 or within {reach} "
            f"(at most {s.stations_per_center_max} stations per center): "
            + _names([lab for _, lab, _ in items])
        )


@dataclass(frozen=True)
class HubReport(Rule):
    """中心带站 as the documents profile reports it: stations no open center in reach can run."""

    group: str = "stations_per_center"
    source: str = "001 §二(三)"

    def add(self, model: Model) -> None:
        return None

    def gaps(self, problem: SitingProblem, open_matrix: np.ndarray) -> list[dict[str, Any]]:
        final = open_matrix[:, -1] > 0.5
        _assignment, unassigned = hub_assignment(problem, final)
        o = problem.options
        out = []
        can = {
            int(a) for a, h in zip(problem.hub_station, problem.hub_center, strict=True) if final[h]
        }
        for k in unassigned:
            out.append(
                {
                    "rule": self.group,
                    "unit_kind": "station",
                    "code": str(o["site_id"].iat[k]),
                    "name": str(o["name"].iat[k]),
                    "needs": "street_center/town_center",
                    "reason": "center_full" if k in can else "no_center_in_reach",
                    "detail": f"每个中心至多带 {problem.settings.stations_per_center_max} 个站（{self.source}）",
                    "source": self.source,
                }
            )
        return out


# ------------------------------------------------------------------------------------------
# capacity
# ------------------------------------------------------------------------------------------


def capacity_elderly(
    types: np.ndarray, floor_area_m2: np.ndarray, beds: np.ndarray, settings: ModelSettings
) -> np.ndarray:
    """(n,) older people each site serves at most (NaN: unknown), from its floor area or beds.

    ``capacity_basis = "floor_area"``: floor area (as costed: a site without one takes its type's
    standard size, :mod:`siting.costs`) × older people per m² of its type
    (:meth:`~siting.model.settings.ModelSettings.capacity_per_m2`; default 2.5, the documents'
    200 m² for a 社区 of fewer than 500 older people, 001 附件1, 002 §13). ``"beds"``: for the
    centers, beds × older people per bed (default the standard center's capacity over its 20
    beds: 3,750 / 20 for a street center, 2,000 / 20 for a town center); a center without a bed
    count has no capacity (NaN); the other types by floor area.
    """
    types = np.asarray(types, dtype=object)
    area = np.asarray(floor_area_m2, dtype=float)
    per_m2 = settings.capacity_per_m2()
    out = np.array([per_m2.get(str(t), np.nan) for t in types], dtype=float) * area
    if settings.capacity_basis == "beds":
        per_bed = settings.capacity_per_bed()
        for t, v in per_bed.items():
            sel = types == t
            out[sel] = np.asarray(beds, dtype=float)[sel] * v
    return out


def check_capacities(problem: SitingProblem) -> None:
    """Refuse a capacitated model with options that may open and have no capacity, naming them.

    Raises
    ------
    InputError
        Some options have no capacity (no capacities given to a cost-matrix instance, or
        centers without a bed count under ``capacity_basis = "beds"``).
    """
    from siting.errors import InputError, Problem

    s = problem.settings
    if not s.capacitated:
        return
    o = problem.options
    cap = o["capacity_elderly"].to_numpy(dtype=float)
    bad = problem.allowed & ~(np.isfinite(cap) & (cap >= 0))
    if not bad.any():
        return
    what = "objective capacitated" if s.objective == "capacitated" else "the capacity rule"
    types = o["type"].to_numpy()[bad]
    counts = ", ".join(
        f"{t} {n}" for t, n in zip(*np.unique(types, return_counts=True), strict=True)
    )
    ids = _names([str(x) for x in o["option_id"].to_numpy()[bad]], limit=5)
    if problem.inputs is None:
        hint = "pass capacities= (older people each site serves) to SitingProblem.from_cost_matrix"
        column = "capacities"
    elif s.capacity_basis == "beds":
        hint = 'give the beds of these sites (column beds), or set [rules] capacity_basis = "floor_area"'
        column = "rules.capacity_basis"
    else:
        hint = "give [rules] capacity_elderly_per_m2 for these types"
        column = "rules.capacity_elderly_per_m2"
    source = str(problem.inputs.scenario.path) if problem.inputs is not None else "settings"
    raise InputError(
        f"{what} needs the capacity of every site that may open: {int(bad.sum())} of "
        f"{int(problem.allowed.sum())} have none ({counts}: {ids})",
        [Problem(source, f"{int(bad.sum())} sites without a capacity", column=column, hint=hint)],
    )


@dataclass(frozen=True)
class Capacity(Rule):
    """A capacitated option serves at most its capacity; coverage by it is an assignment."""

    group: str = "capacity"
    source: str = "001 附件1; 002 §13（每平方米 2.5 名老年人：200 平方米服务老年人口较少（< 500）的社区，推算）"
    before_coverage = True

    def add(self, model: Model) -> None:
        problem = model.problem
        cls = model.classes
        capacity = problem.options["capacity_elderly"].to_numpy(dtype=float)
        by_option: dict[tuple[int, int], list] = {}
        for q in range(len(cls)):
            a, b = cls.cap.indptr[q], cls.cap.indptr[q + 1]
            for k in cls.cap.indices[a:b]:
                for j in range(problem.n_periods):
                    zv = new_var(model.prob, f"z{q}_{k}_{j}", 0.0, 1.0)
                    model.z.append((q, int(k), j, zv))
                    model.cover_extra.setdefault((q, j), []).append(zv)
                    by_option.setdefault((int(k), j), []).append((zv, float(cls.elderly[q, j])))
        for (k, j), zs in by_option.items():
            ot, oc = model.open_terms(k, j)
            model.add(
                "capacity",
                str(k),
                "",
                [*zs, *[(v, -capacity[k] * c) for v, c in ot]],
                "<=",
                capacity[k] * oc,
            )


# ------------------------------------------------------------------------------------------
# money and counts
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Budget(Rule):
    """Each period's spend ≤ its budget (cumulative when unspent money carries over)."""

    group: str = "budget"
    source: str = "情景设定"

    def add(self, model: Model) -> None:
        problem = model.problem
        s = problem.settings
        for i, row in enumerate(budget_rows(problem)):
            terms, const = model.linear(row.spend)
            cap = row.cap
            if row.line:
                what = f"budget line {row.label} ({cap:,.1f} 万元)"
            elif s.years:
                what = f"budget {s.years[row.period]}" + (
                    f" (with the unspent money of earlier years: {cap:,.1f} 万元)"
                    if s.unspent == "carries_over"
                    else f" ({cap:,.1f} 万元)"
                )
            else:
                what = f"budget {cap:g} 万元"
            model.add("budget", str(i), what, terms, "<=", cap - const)

    def explain(self, problem: SitingProblem, items: list[tuple[str, str, float]]) -> str:
        s = problem.settings
        rows = budget_rows(problem)
        parts = []
        for key, lab, v in items:
            row = rows[int(key)] if key.isdigit() and int(key) < len(rows) else None
            if row is not None and not row.line and not s.years:
                parts.append(
                    f"budget {row.cap:,.1f} 万元 < {row.cap + v:,.1f} 万元 needed to meet {requirements(problem)}"
                )
            elif row is not None and row.line:
                parts.append(
                    f"budget line '{row.label}' {row.cap:,.1f} 万元 < {row.cap + v:,.1f} 万元 needed to meet "
                    f"{requirements(problem)}"
                )
            else:
                what = "the milestones" if s.milestones else "the rules"
                parts.append(f"{lab}: meeting {what} needs {v:,.1f} 万元 more")
        return "; ".join(parts)


@dataclass(frozen=True)
class CoverageTarget(Rule):
    """≥ ``share`` of the scope's elderly covered in every period from ``period`` on."""

    group: str = "coverage_target"
    source: str = "000 专栏1; 003"
    share: float = 0.8
    scope: str = "all"
    period: int = -1
    name: str = ""
    milestone: int | None = None

    def add(self, model: Model) -> None:
        problem = model.problem
        p = problem.n_periods - 1 if self.period < 0 else self.period
        in_q = _scope_points(problem, self.scope, model.classes.community)
        pts = _scope_points(problem, self.scope)
        const = model.classes.const_covered
        el = problem.matrix.elderly
        for j in range(p, problem.n_periods):
            e = el * problem.growth[:, j]
            rhs = self.share * float(e[pts].sum()) - float(e[pts & const].sum())
            if rhs > 1e-9:
                terms = model.coverage_terms(j, plain=True, classes=np.flatnonzero(in_q))
                model.add(self.group, problem.settings.label(j), self.label(), terms, ">=", rhs)

    def label(self) -> str:
        return self.name or f"coverage target {100 * self.share:g} %"

    def presolve(self, problem: SitingProblem) -> list[str]:
        p = problem.n_periods - 1 if self.period < 0 else self.period
        e = problem.matrix.elderly * problem.growth[:, p]
        pts = _scope_points(problem, self.scope)
        reach = _reachable(problem)
        tot = float(e[pts].sum())
        best = float(e[pts & reach].sum())
        if tot <= 0 or best >= self.share * tot - 1e-6:
            return []
        if self.milestone is None:
            return [
                f"coverage_target {100 * self.share:.1f} % cannot be met: the existing facilities and every "
                f"candidate together reach {100 * best / tot:.1f} % of the elderly ({best:,.0f} of {tot:,.0f})"
            ]
        scope_name = {
            "all": "the elderly",
            "community": "the elderly of the 社区",
            "village": "the elderly of the 村",
        }[self.scope]
        year = problem.settings.label(p)
        return [
            f"milestone '{self.name}' (plan.milestones[{self.milestone}]) cannot be met: {100 * self.share:g} % of "
            f"{scope_name} in {year} is {self.share * tot:,.0f} people, but the existing facilities and "
            f"every allowed candidate together reach {best:,.0f} ({100 * best / tot:.1f} %)"
        ]

    def explain(self, problem: SitingProblem, items: list[tuple[str, str, float]]) -> str:
        total = float(problem.matrix.elderly.sum())
        amount = max(v for *_, v in items)
        if self.milestone is not None:
            return f"{self.name}: short by {amount:,.1f} older people"
        reach = self.share * total - amount
        return (
            f"coverage target {100 * self.share:g} % cannot be met under the other rules: at most "
            f"{100 * reach / total:.1f} % of the elderly ({amount:,.0f} short)"
        )


@dataclass(frozen=True)
class UnitCoverage(Rule):
    """≥ ``share`` of every 社区/村's elderly (of the scope) covered from ``period`` on."""

    group: str = "community_floor"
    source: str = "情景设定"
    share: float = 0.5
    scope: str = "all"
    period: int = -1
    exclude: tuple[str, ...] = ()
    name: str = ""
    milestone: int | None = None

    def _totals(self, problem: SitingProblem, j: int, mask: np.ndarray) -> np.ndarray:
        dc = problem.demand_community
        e = problem.matrix.elderly * problem.growth[:, j]
        sel = (dc >= 0) & mask
        return np.bincount(dc[sel], weights=e[sel], minlength=len(problem.communities))

    def _units(self, problem: SitingProblem, j: int) -> np.ndarray:
        kinds = problem.communities["kind"].astype(str).to_numpy()
        codes = problem.communities["code"].astype(str).to_numpy()
        scope = np.ones(len(kinds), bool) if self.scope == "all" else kinds == self.scope
        tot = self._totals(problem, j, np.ones(len(problem.demand_community), bool))
        return np.flatnonzero(scope & (tot > 0) & ~np.isin(codes, list(self.exclude)))

    def add(self, model: Model) -> None:
        problem = model.problem
        p = problem.n_periods - 1 if self.period < 0 else self.period
        cls = model.classes
        codes = problem.communities["code"].astype(str).to_numpy()
        names = problem.communities["name"].astype(str).to_numpy()
        by_c: dict[int, list[int]] = {}
        for q in range(len(cls)):
            by_c.setdefault(int(cls.community[q]), []).append(q)
        for j in range(p, problem.n_periods):
            tot = self._totals(problem, j, np.ones(len(problem.demand_community), bool))
            have = self._totals(problem, j, cls.const_covered)
            for c in self._units(problem, j):
                rhs = self.share * tot[c] - have[c]
                if rhs > 1e-9:
                    terms = model.coverage_terms(
                        j, plain=True, classes=np.asarray(by_c.get(int(c), []), dtype=np.int64)
                    )
                    key = (
                        codes[c]
                        if not problem.settings.years
                        else f"{codes[c]} {problem.settings.label(j)}"
                    )
                    model.add(self.group, key, f"{names[c]} ({codes[c]})", terms, ">=", float(rhs))

    def presolve(self, problem: SitingProblem) -> list[str]:
        p = problem.n_periods - 1 if self.period < 0 else self.period
        reach = _reachable(problem)
        tot = self._totals(problem, p, np.ones(len(reach), bool))
        best = self._totals(problem, p, reach)
        names = problem.communities["name"].astype(str).to_numpy()
        short = [c for c in self._units(problem, p) if best[c] < self.share * tot[c] - 1e-6]
        if not short:
            return []
        listing = _names([f"{names[c]} ({100 * best[c] / tot[c]:.0f} %)" for c in short])
        if self.milestone is not None:
            return [
                f"milestone '{self.name}' (plan.milestones[{self.milestone}]) cannot be met: {len(short)} 社区/村 "
                f"cannot reach {100 * self.share:g} % even with every candidate: {listing}"
            ]
        return [
            f"community_floor {100 * self.share:.0f} %: {len(short)} 社区/村 cannot reach it even with every "
            f"candidate: {listing}"
        ]

    def explain(self, problem: SitingProblem, items: list[tuple[str, str, float]]) -> str:
        amount = sum(v for *_, v in items)
        labels = sorted({lab for _, lab, _ in items})
        return (
            f"community floor {100 * self.share:g} %: {len(labels)} 社区/村 fall short by {amount:,.0f} "
            f"older people in all: {_names(labels)}"
        )


@dataclass(frozen=True)
class MaxNew(Rule):
    """At most ``n`` new sites and upgrades into ``type`` over the plan."""

    group: str = "max_new"
    source: str = "情景设定"
    type: str = ""
    n: int = 0

    def add(self, model: Model) -> None:
        problem = model.problem
        o = problem.options
        sel = np.flatnonzero(
            problem.allowed & (o["type"].to_numpy() == self.type) & ~problem.existing
        )
        terms, const = model.option_terms(sel, problem.n_periods - 1)
        model.add(
            "max_new", self.type, f"at most {self.n} new {self.type}", terms, "<=", self.n - const
        )

    def explain(self, problem: SitingProblem, items: list[tuple[str, str, float]]) -> str:
        return f"max_new: {_names([lab for _, lab, _ in items])} would have to allow {sum(v for *_, v in items):.0f} more"


@dataclass(frozen=True)
class NewSites(Rule):
    """Exactly ``n`` new sites (the MCLP's p; upgrades not counted)."""

    group: str = "new_sites"
    source: str = "情景设定"
    n: int = 0

    def add(self, model: Model) -> None:
        problem = model.problem
        new = np.flatnonzero(problem.options["action"].to_numpy() == "new")
        terms, const = model.option_terms(new, problem.n_periods - 1)
        model.add("new_sites", "", f"exactly {self.n} new sites", terms, "==", self.n - const)

    def presolve(self, problem: SitingProblem) -> list[str]:
        need = sum(
            len(r.units(problem))
            for r in active_rules(problem)
            if isinstance(r, CenterPerUnit) and not r.soft
        )
        need += sum(
            sum(1 for u in r.units(problem) if not u.shared)
            for r in active_rules(problem)
            if isinstance(r, StationPerUnit) and not r.soft
        )
        if need > self.n:
            return [f"new_sites = {self.n} < {need} sites the switched-on policies require"]
        return []

    def explain(self, problem: SitingProblem, items: list[tuple[str, str, float]]) -> str:
        amount = sum(v for *_, v in items)
        return f"new_sites = {self.n} cannot be met ({amount:.0f} off) under the other rules"


@dataclass(frozen=True)
class NewPerPeriod(Rule):
    """At most (or at least) ``n`` new sites of ``type`` built in each period."""

    group: str = "new_per_year"
    source: str = "情景设定"
    type: str = ""
    n: int = 0
    sense: str = "<="

    def add(self, model: Model) -> None:
        problem = model.problem
        o = problem.options
        ks = np.flatnonzero((o["action"].to_numpy() == "new") & (o["type"].to_numpy() == self.type))
        word = "at most" if self.sense == "<=" else "at least"
        for j in range(problem.n_periods):
            t1, c1 = model.option_terms(ks, j)
            t0, c0 = model.option_terms(ks, j - 1) if j > 0 else ([], 0.0)
            terms = t1 + [(v, -c) for v, c in t0]
            label = f"{word} {self.n} new {self.type} in {problem.settings.label(j)}"
            model.add("new_per_year", label, label, terms, self.sense, self.n - (c1 - c0))

    def explain(self, problem: SitingProblem, items: list[tuple[str, str, float]]) -> str:
        return "; ".join(f"{lab}: {v:,.0f} more site(s) needed" for _, lab, v in items)


@dataclass(frozen=True)
class Spacing(Rule):
    """Two options of one type closer than its minimum spacing are not both open."""

    group: str = "spacing"
    source: str = "情景设定"

    def add(self, model: Model) -> None:
        problem = model.problem
        ids = problem.options["option_id"].astype(str).to_numpy()
        j = problem.n_periods - 1
        for a, b in problem.spacing:
            if a in model.o and b in model.o:
                model.add(
                    "spacing",
                    f"{a}-{b}",
                    f"{ids[a]} / {ids[b]}",
                    [(model.o[a][j], 1.0), (model.o[b][j], 1.0)],
                    "<=",
                    1.0,
                )

    def explain(self, problem: SitingProblem, items: list[tuple[str, str, float]]) -> str:
        return (
            f"min_spacing_m: {len(items)} pairs of sites would have to be closer than allowed: "
            + _names([lab for _, lab, _ in items])
        )


# ------------------------------------------------------------------------------------------
# quotas: at least N facilities of a type in a unit by a year
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuotaUnit:
    """Where a quota counts: the whole district, a 街道/镇 or a 社区/村."""

    code: str
    name: str
    kind: str  # "whole_district", a 街道/镇 kind (street, town) or a 社区/村 kind (community, village)
    inside: np.ndarray  # (K,) options inside it


def quota_unit(problem: SitingProblem, code: str) -> QuotaUnit | None:
    """The unit a quota names (None: no such unit in the district)."""
    o = problem.options
    if code in ("", problem.district_code):
        return QuotaUnit(
            problem.district_code, "全区", "whole_district", np.ones(len(o), dtype=bool)
        )
    for frame, col in ((problem.streets, "street"), (problem.communities, "community")):
        codes = frame["code"].astype(str).to_numpy() if len(frame) else np.zeros(0, dtype=object)
        hit = np.flatnonzero(codes == code)
        if len(hit):
            pos = int(hit[0])
            return QuotaUnit(
                code,
                str(frame["name"].iat[pos]),
                str(frame["kind"].iat[pos]),
                o[col].to_numpy() == pos,
            )
    return None


def check_quotas(problem: SitingProblem) -> None:
    """Refuse quotas that name a unit the district does not have, naming the key and the value.

    Raises
    ------
    ScenarioError
        Every quota whose ``unit`` is neither a 街道/镇 nor a 社区/村 code of the district (nor
        the district's own code), at once.
    """
    from siting.errors import Problem, ScenarioError

    source = str(problem.inputs.scenario.path) if problem.inputs is not None else "settings"
    bad = []
    for i, q in enumerate(problem.settings.quotas):
        if quota_unit(problem, str(q.unit)) is None:
            examples = ", ".join(
                f"{c} {n}"
                for c, n in zip(
                    problem.streets["code"].astype(str)[:3],
                    problem.streets["name"].astype(str)[:3],
                    strict=True,
                )
            )
            bad.append(
                Problem(
                    source,
                    f"quota unit {q.unit!r} is not a 街道/镇 or 社区/村 of district "
                    f"{problem.district_code or '(this problem)'}",
                    column=f"plan.quota[{i}].unit",
                    hint=f"use a 街镇代码 or 社区村代码 of the boundaries (e.g. {examples})"
                    if examples
                    else "use a 社区/村 code of the problem, or omit unit for the whole district",
                )
            )
    if bad:
        raise ScenarioError(f"{len(bad)} quota(s) name a unit that is not in the district", bad)


@dataclass(frozen=True)
class QuotaRule(Rule):
    """At least ``quota.at_least`` facilities of ``quota.type`` in a unit by ``quota.year``.

    Rows, for every period :math:`j` from the quota's year on, over the options :math:`Q` of the
    type inside the unit (the existing ones only when ``count_existing``):
    :math:`\\sum_{k \\in Q} o_{kj} + s \\ge N` with one shortfall :math:`0 \\le s \\le N` (soft: the
    rules stage minimises it, one unit per missing facility) or without it (hard); with
    ``at_most``, :math:`\\sum_{k \\in Q} o_{kj} \\le M` in the quota's year (always hard).
    """

    group: str = "quota"
    source: str = "[plan] quota"
    quota: Any = None  # siting.model.settings.Quota
    index: int = 0

    # -- what it counts -------------------------------------------------------------------

    def unit(self, problem: SitingProblem) -> QuotaUnit:
        u = quota_unit(problem, str(self.quota.unit))
        if u is None:  # pragma: no cover - check_quotas refuses it first
            raise ValueError(f"quota unit {self.quota.unit!r} is not in the district")
        return u

    def members(self, problem: SitingProblem) -> np.ndarray:
        """Options that count: the quota's type inside the unit (existing ones if counted)."""
        q = self.quota
        o = problem.options
        mask = self.unit(problem).inside & (o["type"].to_numpy() == q.type)
        if not q.count_existing:
            mask &= ~problem.existing
        return np.flatnonzero(mask)

    def period(self, problem: SitingProblem) -> int:
        return problem.settings.year_index(self.quota.year)

    def most(self, problem: SitingProblem) -> tuple[int, int]:
        """(most facilities the unit can have counted, existing ones among them): one per
        physical site with an eligible option of the type."""
        ks = self.members(problem)
        ks = ks[problem.allowed[ks]]
        groups = problem.options["group"].to_numpy()[ks]
        return len(set(groups.tolist())), int(problem.existing[ks].sum())

    def counted(self, problem: SitingProblem, open_matrix: np.ndarray, j: int) -> int:
        """Facilities counted in period ``j`` of an open matrix (column ``j + 1``)."""
        return round(float(open_matrix[self.members(problem), j + 1].sum()))

    def describe(self, problem: SitingProblem) -> str:
        q = self.quota
        u = self.unit(problem)
        what = "facilities" if q.count_existing else "new or upgraded facilities"
        return (
            f"quota '{q.label}' (plan.quota[{self.index}]: {u.name} ({u.code or 'district'}), at least "
            f"{q.at_least} {q.type} {what} by {q.year})"
        )

    def _excluded(self, problem: SitingProblem) -> str:
        """The unit's candidates of the type that other rules exclude, by reason."""
        ks = self.members(problem)
        ks = ks[~problem.allowed[ks] & ~problem.existing[ks]]
        if not len(ks):
            return ""
        why = pd.Series(problem.eligibility.reason[ks]).value_counts()
        return "; excluded: " + ", ".join(
            f"{n} {REASONS.get(r, (r, r))[1]}" for r, n in why.items()
        )

    # -- the rule -----------------------------------------------------------------------

    def add(self, model: Model) -> None:
        problem = model.problem
        q = self.quota
        p = self.period(problem)
        ks = self.members(problem)
        u = self.unit(problem)
        label = f"{q.label} ({u.name})"
        need = float(q.at_least)
        if need > 0:
            rows = [model.option_terms(ks, j) for j in range(p, problem.n_periods)]
            if self.soft:
                model.add_soft(self.group, f"{u.code} {q.year} >=", label, rows, need=need)
            else:
                for terms, const in rows:
                    model.add(self.group, f"{u.code} {q.year} >=", label, terms, ">=", need - const)
        if q.at_most is not None:
            terms, const = model.option_terms(ks, p)
            model.add(self.group, f"{u.code} {q.year} <=", label, terms, "<=", q.at_most - const)

    def presolve(self, problem: SitingProblem) -> list[str]:
        q = self.quota
        out = []
        most, ex = self.most(problem)
        if not self.soft and most < q.at_least:
            have = f" ({ex} of them existing)" if q.count_existing else ""
            out.append(
                f"{self.describe(problem)} cannot be met: the unit has {most} eligible {q.type} "
                f"option(s){have}, {q.at_least} required{self._excluded(problem)}"
            )
        if q.at_most is not None:
            ks = self.members(problem)
            fixed = problem.options["fixed"].to_numpy()[ks] & problem.allowed[ks]
            n_fixed = int(fixed.sum())
            if problem.settings.builds:
                from siting.model.schedule import planned_schedule

                forced = planned_schedule(problem, problem.settings.builds, source="plan")[ks]
                n_fixed += int(((forced >= 0) & (forced <= self.period(problem))).sum())
            if n_fixed > q.at_most:
                out.append(
                    f"{self.describe(problem)}: at most {q.at_most} in {q.year}, but {n_fixed} are "
                    "there already (existing facilities that stay open, or planned builds)"
                )
        return out

    def explain(self, problem: SitingProblem, items: list[tuple[str, str, float]]) -> str:
        q = self.quota
        parts = []
        for key, _, v in items:
            if key.endswith(">="):
                parts.append(f"{v:,.0f} short of {q.at_least}")
            else:
                parts.append(f"{v:,.0f} over the cap of {q.at_most}")
        return f"{self.describe(problem)} cannot be met under the other rules: " + "; ".join(parts)

    def status(
        self, problem: SitingProblem, open_matrix: np.ndarray, j: int
    ) -> tuple[bool, str, str]:
        """(met, reason, detail) of the quota in period ``j``."""
        q = self.quota
        n = self.counted(problem, open_matrix, j)
        most, ex = self.most(problem)
        if n < q.at_least:
            have = f"（其中现有 {ex} 个计入）" if q.count_existing else ""
            detail = (
                f"{q.year}年需 {q.at_least} 个，规划 {n} 个；单元内可作该类型的点位 {most} 个{have}"
                f"{self._excluded(problem)}"
            )
            if most < q.at_least:
                return False, "too_few_candidates", detail
            # sites the quota could use that hold another type (one type per site)
            ks = self.members(problem)
            ks = ks[problem.allowed[ks]]
            groups = problem.options["group"].to_numpy()
            open_now = np.flatnonzero(open_matrix[:, j + 1] > 0.5)
            taken = set(groups[np.setdiff1d(open_now, ks)].tolist())
            free = set(groups[ks].tolist()) - taken
            if len(free) < q.at_least:
                used = len(set(groups[ks].tolist()) & taken)
                return False, "sites_used_otherwise", f"{detail}；其中 {used} 处已作他用"
            return False, "out_of_budget", detail
        if q.at_most is not None and j == self.period(problem) and n > q.at_most:
            return False, "over_cap", f"{q.year}年至多 {q.at_most} 个，规划 {n} 个"
        return True, "", ""

    def shortfall(self, problem: SitingProblem, open_matrix: np.ndarray) -> float:
        """Facilities missing in the quota's worst period from its year on."""
        need = float(self.quota.at_least)
        if not self.soft or need <= 0:
            return 0.0
        least = min(
            self.counted(problem, open_matrix, j)
            for j in range(self.period(problem), problem.n_periods)
        )
        return min(need, max(0.0, need - least))

    def gaps(self, problem: SitingProblem, open_matrix: np.ndarray) -> list[dict[str, Any]]:
        q = self.quota
        met, reason, detail = self.status(problem, open_matrix, self.period(problem))
        if met or not self.soft:
            return []
        u = self.unit(problem)
        return [
            {
                "rule": "quota",
                "unit_kind": u.kind,
                "code": u.code,
                "name": u.name,
                "needs": q.type,
                "reason": reason,
                "detail": f"{q.label}：{detail}",
                "source": self.source,
            }
        ]


QUOTA_COLUMNS = (
    "quota", "label", "unit_code", "unit_name", "unit_kind", "type", "count_existing", "hard",
    "from_year", "year", "required", "at_most", "planned", "existing", "built", "most_possible",
    "met", "reason", "detail", "source",
)  # fmt: skip


def quota_frame(problem: SitingProblem, open_matrix: np.ndarray) -> pd.DataFrame:
    """Every quota year by year from its year on: required, planned (as the quota counts), the
    existing and built facilities of the type in the unit, the most the unit can have, met."""
    rows = []
    for r in active_rules(problem):
        if not isinstance(r, QuotaRule):
            continue
        q = r.quota
        u = r.unit(problem)
        o = problem.options
        of_type = u.inside & (o["type"].to_numpy() == q.type)
        ex = np.flatnonzero(of_type & problem.existing)
        new = np.flatnonzero(of_type & ~problem.existing)
        most, _ = r.most(problem)
        for j in range(r.period(problem), problem.n_periods):
            met, reason, detail = r.status(problem, open_matrix, j)
            rows.append(
                {
                    "quota": r.index,
                    "label": q.label,
                    "unit_code": u.code,
                    "unit_name": u.name,
                    "unit_kind": u.kind,
                    "type": q.type,
                    "count_existing": bool(q.count_existing),
                    "hard": bool(q.hard),
                    "from_year": q.year,
                    "year": problem.settings.years[j],
                    "required": int(q.at_least),
                    "at_most": q.at_most if j == r.period(problem) else None,
                    "planned": r.counted(problem, open_matrix, j),
                    "existing": round(float(open_matrix[ex, j + 1].sum())),
                    "built": round(float(open_matrix[new, j + 1].sum())),
                    "most_possible": most,
                    "met": met,
                    "reason": reason,
                    "detail": detail,
                    "source": r.source,
                }
            )
    return pd.DataFrame(rows, columns=list(QUOTA_COLUMNS))


# ------------------------------------------------------------------------------------------
# helpers and the rule set of a problem
# ------------------------------------------------------------------------------------------


def _scope_points(
    problem: SitingProblem, kind: str, communities: np.ndarray | None = None
) -> np.ndarray:
    dc = problem.demand_community if communities is None else communities
    if kind == "all":
        return np.ones(len(dc), dtype=bool)
    kinds = problem.communities["kind"].astype(str).to_numpy()
    out = np.zeros(len(dc), dtype=bool)
    inside = dc >= 0
    out[inside] = kinds[dc[inside]] == kind
    return out


def _reachable(problem: SitingProblem) -> np.ndarray:
    reach = problem.cover[:, np.flatnonzero(problem.allowed | problem.existing)]
    return np.diff(reach.indptr) > 0


def coverage_ceiling(
    problem: SitingProblem, *, kind: str = "all", year: int | None = None
) -> float:
    """Share (0–1) of the scope's elderly that the existing facilities and every option the plan
    may open reach together in ``year`` (default: the final period): no coverage target above it
    can be met."""
    s = problem.settings
    j = problem.n_periods - 1 if year is None else s.year_index(year)
    e = problem.matrix.elderly * problem.growth[:, j]
    pts = _scope_points(problem, kind)
    tot = float(e[pts].sum())
    return float(e[pts & _reachable(problem)].sum()) / tot if tot > 0 else float("nan")


def requirements(problem: SitingProblem) -> str:
    """The hard rules of a problem in words (for the budget message)."""
    s = problem.settings
    parts = []
    for r in active_rules(problem):
        if isinstance(r, CenterPerUnit) and not r.soft:
            parts.append(f"a center in the {len(r.units(problem))} 街道/镇 without one")
        elif isinstance(r, StationPerUnit) and not r.soft:
            parts.append(f"a station or point in the {len(r.units(problem))} 社区/村 without one")
    if "hub" in s.policies:
        parts.append(
            f"a center within reach for every station (≤ {s.stations_per_center_max} each)"
        )
    if s.target is not None:
        parts.append(f"coverage target {100 * s.target:g} %")
    if s.community_floor > 0:
        parts.append(f"community floor {100 * s.community_floor:g} %")
    if s.new_sites is not None:
        parts.append(f"exactly {s.new_sites} new sites")
    n_hard = sum(1 for q in s.quotas if q.hard)
    if n_hard:
        parts.append(f"{n_hard} hard quota(s)")
    return ", ".join(parts) or "the switched-on rules"


def active_rules(problem: SitingProblem) -> list[Rule]:
    """The rules a problem's settings switch on, in the order their rows are added."""
    s = problem.settings
    T = problem.n_periods
    rules: list[Rule] = []
    if s.capacitated:
        rules.append(Capacity())
    if any(b is not None for b in s.budgets()) or s.budget_lines:
        rules.append(Budget())
    if s.target is not None:
        rules.append(CoverageTarget(share=s.target))
    if s.community_floor > 0:
        rules.append(UnitCoverage(share=s.community_floor))
    hard_center = "center_per_street" in s.policies
    hard_station = "station_per_community" in s.policies
    if hard_center:
        rules.append(CenterPerUnit())
    if hard_station:
        rules.append(StationPerUnit())
    for i, ms in enumerate(s.milestones):
        if ms.year not in s.years:
            continue
        x = s.year_index(ms.year)
        group = f"milestone {i}: {ms.label}"
        if ms.rule == "coverage":
            rules.append(
                CoverageTarget(
                    group=group, share=ms.share, scope=ms.kind, period=x, name=ms.label, milestone=i
                )
            )
        elif ms.rule == "every_unit_coverage":
            rules.append(
                UnitCoverage(
                    group=group,
                    share=ms.share,
                    scope=ms.kind,
                    period=x,
                    exclude=ms.exclude,
                    name=ms.label,
                    milestone=i,
                )
            )
        elif ms.rule == "every_unit_station":
            rules.append(
                StationPerUnit(
                    group=group,
                    scope=ms.kind,
                    period=x,
                    exclude=ms.exclude,
                    name=ms.label,
                    milestone=i,
                )
            )
        else:
            rules.append(
                CenterPerUnit(group=group, period=x, exclude=ms.exclude, name=ms.label, milestone=i)
            )
    if s.quotas:
        check_quotas(problem)
    for i, q in enumerate(s.quotas):
        if q.year not in s.years:
            continue
        rules.append(
            QuotaRule(
                group=f"quota {i}: {q.label}",
                source=q.source or "[plan] quota",
                soft=not q.hard,
                quota=q,
                index=i,
            )
        )
    if s.profile == "documents":
        if not hard_center:
            rules.append(CenterPerUnit(soft=True, period=T - 1))
        if not hard_station:
            rules.append(StationPerUnit(soft=True, period=T - 1))
        if "hub" not in s.policies and len(problem.streets):
            rules.append(HubReport())
    if "hub" in s.policies:
        rules.append(Hub())
    for t, n in s.max_new.items():
        rules.append(MaxNew(type=t, n=int(n)))
    if s.new_sites is not None:
        rules.append(NewSites(n=int(s.new_sites)))
    for bound, sense in ((s.max_new_per_year, "<="), (s.min_new_per_year, ">=")):
        for t, n in bound.items():
            rules.append(NewPerPeriod(type=t, n=int(n), sense=sense))
    if len(problem.spacing):
        rules.append(Spacing())
    return rules
