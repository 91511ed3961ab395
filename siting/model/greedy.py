"""A greedy plan for the one-period model: the start handed to HiGHS and the fallback when a solver
finds nothing in time.

Required units first (the cheapest eligible option of every 街道/镇 and 社区/村 a unit rule names),
then, under the hub rule, a center for every open station no open center can run, then the best
marginal weighted coverage per 万元 (coverage objectives) or useful older people per 万元 towards
the targets (cost objective). Constraints it cannot honour are left to the feasibility check of
the start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.sparse import csc_matrix, csr_matrix

from siting.model.money import budget_rows
from siting.model.rules import CenterPerUnit, Rule, StationPerUnit, hub_assignment

if TYPE_CHECKING:
    from collections.abc import Sequence

    from siting.model.formulation import Model
    from siting.model.problem import SitingProblem

__all__ = ["greedy_plan"]


def _option_costs(problem: SitingProblem) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-option money of the first period's budget rows (R, K), their constants (R,), caps (R,),
    and the per-option money the ratios rank by (the total budget's, else all lines' cash)."""
    rows = [r for r in budget_rows(problem) if r.period == 0]
    from siting.model.money import cash

    rank = (rows[0].spend if rows and not rows[0].line else cash(problem, 0)).coef[:, 1].copy()
    if not rows:
        return np.zeros((0, len(problem.options))), np.zeros(0), np.zeros(0), rank
    costs = np.vstack([r.spend.coef[:, 1] for r in rows])
    const = np.array(
        [r.spend.const + float((r.spend.coef[:, 0] * problem.existing).sum()) for r in rows]
    )
    caps = np.array([r.cap for r in rows], dtype=float)
    return costs, const, caps, rank


def greedy_plan(model: Model, rules: Sequence[Rule], *, stage: str) -> np.ndarray:
    """(K,) options open in the greedy plan (fixed and kept existing ones included)."""
    problem = model.problem
    s = problem.settings
    opts = problem.options
    n_opt = len(opts)
    fixed = opts["fixed"].to_numpy()
    allowed = problem.allowed
    groups = opts["group"].to_numpy()
    types = opts["type"].to_numpy()
    action = opts["action"].to_numpy()
    costs, spent, budget, cost = _option_costs(problem)
    cls = model.classes
    cover = csc_matrix((cls.unc + cls.cap).astype(np.float64))
    weight = cls.weight[:, 0] if len(cls) else np.zeros(0)
    elderly = cls.elderly[:, 0] if len(cls) else np.zeros(0)
    chosen = fixed & allowed
    keep_existing = (action == "existing") & ~fixed & allowed
    chosen |= keep_existing
    spent += costs[:, keep_existing].sum(axis=1)
    covered = np.asarray(cover @ chosen.astype(np.float64)).ravel() > 0
    used_groups = set(groups[chosen].tolist())
    counts: dict[str, int] = {}
    blocked = np.zeros(n_opt, dtype=bool)
    partners: dict[int, list[int]] = {}
    for a, b in problem.spacing:
        partners.setdefault(int(a), []).append(int(b))
        partners.setdefault(int(b), []).append(int(a))
    usable = allowed & ~fixed & (action == "new")
    n_new = 0

    def ok(k: int) -> bool:
        if not usable[k] or chosen[k] or blocked[k] or groups[k] in used_groups:
            return False
        if types[k] in s.max_new and counts.get(types[k], 0) >= s.max_new[types[k]]:
            return False
        if s.new_sites is not None and n_new >= s.new_sites:
            return False
        return bool(np.all(spent + costs[:, k] <= budget + 1e-9))

    def take(k: int) -> None:
        nonlocal spent, covered, n_new
        chosen[k] = True
        spent += costs[:, k]
        used_groups.add(groups[k])
        counts[types[k]] = counts.get(types[k], 0) + 1
        n_new += 1
        for p in partners.get(k, ()):
            blocked[p] = True
        a, b = cover.indptr[k], cover.indptr[k + 1]
        covered[cover.indices[a:b]] = True

    def gains(values: np.ndarray) -> np.ndarray:
        return np.asarray(cover.T @ (values * ~covered)).ravel()

    # 1. required (or, under the documents profile, wanted) units: the cheapest option of each
    for rule in rules:
        if isinstance(rule, CenterPerUnit | StationPerUnit):
            for u in rule.units(problem):
                if chosen[u.options].any():
                    continue
                cands = [int(k) for k in u.options if ok(int(k))]
                if cands:
                    g = gains(weight)
                    take(min(cands, key=lambda k: (cost[k], -g[k], k)))
    # 2. hub: a center for every open station that no open center can take
    hub = "hub" in s.policies
    is_station = np.isin(types, s.hub_types)
    load: dict[int, int] = {}
    if hub:
        for _ in range(n_opt):
            assignment, unassigned = hub_assignment(problem, chosen)
            progress = False
            for k in unassigned:
                cands = [int(h) for h in problem.hub_center[problem.hub_station == k] if ok(int(h))]
                if cands:
                    take(min(cands, key=lambda h: (cost[h], h)))
                    progress = True
                    break
            if not unassigned or not progress:
                break
        assignment, _ = hub_assignment(problem, chosen)
        for h in assignment.values():
            load[h] = load.get(h, 0) + 1

    def hub_ok(k: int) -> int | None:
        """The open center with room that would run station ``k`` (−1: not a station)."""
        if not (hub and is_station[k]):
            return -1
        room = [
            int(h)
            for h in problem.hub_center[problem.hub_station == k]
            if chosen[h] and load.get(int(h), 0) < s.stations_per_center_max
        ]
        return min(room, key=lambda h: (load.get(h, 0), h)) if room else None

    # 3. the objective
    if (
        stage != "cost"
    ):  # coverage, elderly-years and the classic objectives: most coverage per 万元
        while True:
            g = gains(weight)
            cand = np.flatnonzero(usable & ~chosen)
            cand = np.array(
                [k for k in cand if ok(int(k)) and hub_ok(int(k)) is not None], dtype=np.int64
            )
            if len(cand) == 0:
                break
            gc = g[cand]
            if s.new_sites is None and gc.max() <= 0:
                break
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(
                    cost[cand] > 1e-9,
                    gc / np.maximum(cost[cand], 1e-9),
                    np.where(gc > 0, np.inf, 0.0),
                )
            if s.new_sites is not None:
                ratio = gc  # p sites: the count binds, not the money
            best = int(cand[np.lexsort((cost[cand], -gc, -ratio))[0]])
            center = hub_ok(best)
            take(best)
            if center is not None and center >= 0:
                load[center] = load.get(center, 0) + 1
    else:
        _towards_targets(model, elderly, cover, covered, ok, take, cost)
    return chosen


def _towards_targets(model, elderly, cover, covered, ok, take, cost) -> None:
    problem = model.problem
    s = problem.settings
    cls = model.classes
    el = problem.matrix.elderly
    n_c = len(problem.communities)
    member = None
    if n_c and s.community_floor > 0:
        comm = np.where(cls.community >= 0, cls.community, 0)
        member = csr_matrix((np.ones(len(cls)), (np.arange(len(cls)), comm)), shape=(len(cls), n_c))
    dc = problem.demand_community
    inside = dc >= 0
    tot = np.bincount(dc[inside], weights=el[inside], minlength=n_c) if n_c else np.zeros(0)
    const = cls.const_covered
    have0 = (
        np.bincount(dc[inside & const], weights=el[inside & const], minlength=n_c).astype(float)
        if n_c
        else np.zeros(0)
    )
    while True:
        need = 0.0
        if s.target is not None:
            need = max(
                0.0,
                s.target * float(el.sum()) - model.const_elderly[0] - float(elderly[covered].sum()),
            )
        floor_need = np.zeros(n_c)
        if member is not None:
            cc = cls.community[covered]
            have = have0 + np.bincount(
                cc[cc >= 0], weights=elderly[covered][cc >= 0], minlength=n_c
            )
            floor_need = np.clip(s.community_floor * tot - have, 0, None)
        if need <= 1e-9 and floor_need.sum() <= 1e-9:
            break
        open_el = elderly * ~covered
        useful = np.minimum(np.asarray(cover.T @ open_el).ravel(), need)
        if member is not None:
            per_comm = csr_matrix(cover.T.multiply(open_el[None, :])) @ member
            per_comm = per_comm.toarray() if hasattr(per_comm, "toarray") else np.asarray(per_comm)
            useful = useful + np.minimum(per_comm, floor_need[None, :]).sum(axis=1)
        cand = np.array([k for k in np.flatnonzero(useful > 1e-9) if ok(int(k))], dtype=np.int64)
        if len(cand) == 0:
            break
        ratio = useful[cand] / np.maximum(cost[cand], 1e-9)
        take(int(cand[np.lexsort((cost[cand], -ratio))[0]]))
