r"""The classic location objectives in the one model: p-median, p-center, backup coverage,
attendance with distance decay and maximin coverage (the capacitated ones are the capacity rule,
:class:`~siting.model.rules.Capacity`, under ``objective = "capacitated"``).

Each is a stage of :mod:`siting.model.solving` on the same model as the others: the budget and
budget lines, the documents' rules (their stage comes first), existing facilities (fixed open:
constants), the final period's demand. Their value for a plan is recomputed from the walking-time
matrix alone (:func:`plan_value`, called by :func:`siting.model.result.plan_objective`) for the
certificate of every solve.

Notation: :math:`i` a demand point with weighted demand :math:`w_i` (final period; points of
weight 0 are left out), :math:`o_k` an option that may open (:math:`F` those fixed open),
:math:`t_{ik}` the walking time stored in the matrix (:class:`~siting.coverage.CoverageMatrix`:
every pair within the search horizon :math:`H`, ``max_seconds``: ``[coverage]
report_max_minutes``, 60 minutes by default; a cost-matrix instance: its longest time), for
options of the coverage types.

Nearest open site
-----------------
A point walks to its nearest open site. With :math:`c_i = \min_{k \in F} t_{ik}` (the nearest
existing facility; :math:`H` when none is in reach), only options closer than :math:`c_i` can
matter; their distinct times :math:`d_i^1 < \dots < d_i^{L_i}` are the point's *levels*,
:math:`d_i^{L_i + 1} = c_i`, and :math:`S_i^h = \sum_{k: t_{ik} \le d_i^h} o_k` the options open
within level :math:`h`. :math:`u_i^h \in [0, 1]` is "no open option within :math:`d_i^h`"
(Elloumi 2010, *A tighter formulation of the p-median problem*, J. Comb. Optim. 19):

.. math::

    u_i^h + S_i^h \ge 1 \quad (h = 1..L_i), \qquad
    t_i = d_i^1 + \sum_{h=1}^{L_i} (d_i^{h+1} - d_i^h)\, u_i^h \qquad (t_i = c_i \text{ when } L_i = 0)

For integer :math:`o` the least :math:`u` make :math:`t_i` the walk to the nearest open site;
a point no open site reaches within the horizon is charged :math:`H` (the penalty: nothing is
known beyond the search; raise ``report_max_minutes`` to search farther). A point no option at all
reaches is a constant :math:`H` (p-median) and left out of the p-center (its walk does not
depend on the plan; the summary counts them).

- **p-median** (Hakimi 1964; ReVelle & Swain 1970): :math:`\min \sum_i w_i t_i`. Mean walk =
  objective / :math:`\sum_i w_i`.
- **p-center** (Hakimi 1965): :math:`\min W` over the points some option reaches, with
  :math:`W \ge d_i^1` and :math:`W + d_i^{h+1} S_i^h \ge d_i^{h+1}` (nothing open within
  :math:`d_i^h`: the walk is at least :math:`d_i^{h+1}`); then, at that worst walk, the least
  total walk (the p-median stage with the p-center's floor: the p-center's optima are many).
- **attendance** with distance decay (Holmes, Williams & Brown 1972, maximum attendance; the
  decay as in Berman, Drezner & Krass's gradual covering): a share :math:`f(t)` of a point's
  demand attends its nearest site, :math:`f(t) = 2^{-t/h}` (``decay = "exponential"``) or
  :math:`2^{-(t/h)^2}` (``"gaussian"``), half at ``decay_half_minutes`` :math:`h`, none beyond the
  horizon: :math:`\max \sum_i w_i [f(d_i^1) - \sum_h (f(d_i^h) - f(d_i^{h+1})) u_i^h]` with
  :math:`f(d_i^{L_i + 1}) = f(c_i)`, or 0 when no existing facility is in reach.

The rows are cumulative (:math:`S_i^h` written out at every level) rather than chained
(:math:`u_i^h - u_i^{h-1} + \sum_{t_{ik} = d_i^h} o_k \ge 0`, the same LP with one nonzero per
pair): with the chain CBC took 14 s instead of 6 for the demo's p-median stage and 10 s instead
of under 1 for the p-center of spopt's San Francisco instance (205 tracts × 16 stores, p = 4); the
p-center's direct rows are solved by CBC much faster than the equivalent :math:`W \ge t_i`. On
dense all-pairs instances the p-center is slow nonetheless (Swain's 55 × 55 at p = 5: CBC 35 s,
HiGHS 6 s, spopt's assignment model 2 s).

Backup coverage
---------------
Hogan & ReVelle (1986, *Concepts and applications of backup coverage*, Management Science 32):
most demand with a *second* open site within its coverage threshold, after the most demand with
one (the coverage stage first, then this one at that coverage; with ``coverage_target = 1`` and
``new_sites`` the LSCP's optimum it is Church & Murray's LSCP-B). Points with the same covering
options and number :math:`n_q` of fixed ones covering them (capped at 2) form a class :math:`q`
with weight :math:`W_q`; :math:`b_q \in [0, 1]`:

.. math::

    \max \sum_q W_q b_q + \sum_{i: n_i \ge 2} w_i, \qquad
    b_q \le \sum_{k \in N_q} o_k \ (n_q = 1), \qquad
    b_q \le \sum_{k \in N_q \setminus \{k'\}} o_k \ \ \forall k' \in N_q \ (n_q = 0)

exact without a binary: with :math:`n_q = 0` every bound misses one open option, so :math:`b_q`
reaches 1 only with two open.

Maximin coverage
----------------
The worst-served 社区/村 first (Rawls' difference principle; Marsh & Schilling 1994, *Equity
measurement in facility location analysis*, EJOR 74): :math:`\max \theta` subject to
:math:`\sum_{q \in c} E_q y_q + E^0_c \ge \theta E_c` for every 社区/村 :math:`c` with older people
some option covers (:math:`E_c` its older people, :math:`E^0_c` those fixed sites cover,
:math:`y_q` the coverage of class :math:`q` of :mod:`siting.model.formulation`); then, at that
:math:`\theta`, the most 社区/村 *reached* (some of their older people covered: :math:`v_c \le \sum_{q \in c} y_q`,
:math:`v_c \in [0, 1]`, integer at the optimum; this decides when the money cannot reach every
社区/村 and :math:`\theta = 0`), then the most coverage. A 社区/村 no option can cover is left out
(it would pin :math:`\theta` at 0) and counted in the summary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from siting.errors import InputError, Problem
from siting.model.classes import filter_columns
from siting.model.lp import new_var

if TYPE_CHECKING:
    from siting.model.formulation import Model
    from siting.model.problem import SitingProblem
    from siting.model.settings import ModelSettings

__all__ = [
    "NAMES",
    "STAGES",
    "Levels",
    "ObjectiveRows",
    "add_rows",
    "decay",
    "figures",
    "horizon_seconds",
    "maximin_units",
    "nearest_seconds",
    "objective_terms",
    "plan_value",
    "set_start",
    "walk_levels",
]

#: The stages of this module and the name of each one's objective (:func:`plan_value`).
NAMES: dict[str, str] = {
    "p_median": "walk_seconds",
    "p_center": "worst_walk_seconds",
    "backup": "backup_weighted",
    "attendance": "attendance",
    "maximin": "worst_unit_coverage",
    "units_reached": "units_reached",
}
STAGES: tuple[str, ...] = tuple(NAMES)
_WALK_STAGES = ("p_median", "p_center", "attendance")
#: The stages each objective solves beyond the rules (the structure they need).
_NEEDS: dict[str, tuple[str, ...]] = {
    "p_median": ("p_median",),
    "p_center": ("p_center", "p_median"),
    "attendance": ("attendance",),
    "backup": ("backup",),
    "maximin": ("maximin", "units_reached"),
}


# ------------------------------------------------------------------------------------------
# pure functions of the data
# ------------------------------------------------------------------------------------------


def decay(minutes: np.ndarray, settings: ModelSettings) -> np.ndarray:
    """Share of the demand attending a site ``minutes`` away (1 at the door, ½ at ``decay_half_minutes``)."""
    x = np.asarray(minutes, dtype=float) / float(settings.decay_half_minutes)
    return np.exp2(-x) if settings.decay == "exponential" else np.exp2(-(x**2))


def horizon_seconds(problem: SitingProblem) -> float:
    """The search horizon: the matrix's ``max_seconds`` or its longest stored walk, if longer."""
    sec = problem.matrix.seconds
    longest = float(sec.data.max()) if sec.nnz else 0.0
    return max(float(problem.matrix.max_seconds), longest)


def _columns(problem: SitingProblem) -> np.ndarray:
    """(K,) options of the coverage types (the sites a point may walk to)."""
    return np.isin(problem.matrix.site_types, list(problem.coverage_types))


def _weights(problem: SitingProblem) -> np.ndarray:
    """(m,) weighted demand of the final period."""
    return problem.matrix.weights * problem.growth[:, -1]


def nearest_seconds(problem: SitingProblem, open_options: np.ndarray) -> np.ndarray:
    """(m,) walk to the nearest open option of a coverage type, ``inf`` if none within the horizon."""
    return problem.matrix.nearest_seconds(
        columns=np.asarray(open_options, bool) & _columns(problem)
    )


def _reach(problem: SitingProblem) -> np.ndarray:
    """(m,) points some option that may open (or a fixed one) reaches within the horizon."""
    return np.isfinite(nearest_seconds(problem, problem.allowed))


def maximin_units(problem: SitingProblem) -> tuple[np.ndarray, np.ndarray]:
    """The 社区/村 of the maximin objective (older people, some option covers them) and the older
    people (final period) of every 社区/村."""
    from siting.model.rules import _reachable

    dc = problem.demand_community
    n = len(problem.communities)
    e = problem.matrix.elderly * problem.growth[:, -1]
    inside = dc >= 0
    tot = np.bincount(dc[inside], weights=e[inside], minlength=n) if n else np.zeros(0)
    sel = inside & _reachable(problem)
    ceiling = np.bincount(dc[sel], weights=e[sel], minlength=n) if n else np.zeros(0)
    return np.flatnonzero((tot > 0) & (ceiling > 0)), tot


@dataclass(frozen=True, eq=False)
class Levels:
    """The walking-time levels of every demand point (see the module notes).

    Attributes
    ----------
    point, seconds, next_seconds, next_real
        Per level: its point, :math:`d_i^h`, :math:`d_i^{h+1}`, and whether that next one is a
        site's (a fixed option, or a further level) rather than the horizon's penalty.
    option_ptr, options
        Options at exactly each level: ``options[option_ptr[l]:option_ptr[l + 1]]``.
    base_seconds
        (m,) :math:`d_i^1`, or :math:`c_i` for a point without levels.
    cap_seconds, cap_real
        (m,) :math:`c_i` (the nearest fixed option, else the horizon) and whether it is a site's.
    penalty_seconds
        The horizon :math:`H`.
    """

    point: np.ndarray
    seconds: np.ndarray
    next_seconds: np.ndarray
    next_real: np.ndarray
    option_ptr: np.ndarray
    options: np.ndarray
    base_seconds: np.ndarray
    cap_seconds: np.ndarray
    cap_real: np.ndarray
    penalty_seconds: float

    def __len__(self) -> int:
        return len(self.point)


def walk_levels(problem: SitingProblem, variable: np.ndarray, fixed_open: np.ndarray) -> Levels:
    """The levels of the points of positive weight over the ``variable`` options, cut at the
    nearest ``fixed_open`` one (both (K,) boolean)."""
    m = problem.matrix.shape[0]
    H = horizon_seconds(problem)
    coo = problem.matrix.seconds.tocoo()
    keep = _columns(problem)[coo.col]
    r, c, t = coo.row[keep], coo.col[keep], coo.data[keep].astype(float)
    cap = np.full(m, np.inf)
    f = fixed_open[c]
    np.minimum.at(cap, r[f], t[f])
    real = np.isfinite(cap)
    cap_s = np.where(real, cap, H)
    sel = variable[c] & (t < cap[r]) & (_weights(problem)[r] > 0)
    r, c, t = r[sel], c[sel], t[sel]
    order = np.lexsort((c, t, r))
    r, c, t = r[order], c[order], t[order]
    new = np.r_[True, (r[1:] != r[:-1]) | (t[1:] != t[:-1])] if len(r) else np.zeros(0, bool)
    starts = np.flatnonzero(new)
    point, secs = r[starts], t[starts]
    same = np.r_[point[1:] == point[:-1], False] if len(point) else np.zeros(0, bool)
    nxt = np.r_[secs[1:], 0.0] if len(secs) else np.zeros(0)
    base = cap_s.copy()
    first = np.r_[True, point[1:] != point[:-1]] if len(point) else np.zeros(0, bool)
    base[point[first]] = secs[first]
    return Levels(
        point=point,
        seconds=secs,
        next_seconds=np.where(same, nxt, cap_s[point]),
        next_real=same | real[point],
        option_ptr=np.r_[starts, len(r)].astype(np.int64),
        options=c.astype(np.int64),
        base_seconds=base,
        cap_seconds=cap_s,
        cap_real=real,
        penalty_seconds=H,
    )


def _walk_values(problem: SitingProblem, levels_s: np.ndarray, real: np.ndarray) -> np.ndarray:
    """Attendance share at each walk (0 where the walk is the horizon's penalty)."""
    return np.where(real, decay(levels_s / 60.0, problem.settings), 0.0)


# ------------------------------------------------------------------------------------------
# the rows
# ------------------------------------------------------------------------------------------


@dataclass(eq=False)
class ObjectiveRows:
    """The variables of this module's stages in a model."""

    levels: Levels | None = None
    u: list[Any] = field(default_factory=list)  # one per level
    center: Any = None  # W
    center_points: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    backup: list[tuple[Any, float, np.ndarray, int]] = field(default_factory=list)
    backup_const: float = 0.0
    theta: Any = None
    units: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    reached: list[tuple[Any, int]] = field(default_factory=list)  # (v_c, unit)
    reached_const: float = 0.0


def needed(settings: ModelSettings) -> tuple[str, ...]:
    """The stages of this module an objective solves."""
    return _NEEDS.get(settings.objective, ())


def add_rows(model: Model) -> None:
    """Add the variables and rows the objective's stages need (nothing for the others)."""
    stages = needed(model.problem.settings)
    if not stages:
        return
    rows = model.objectives
    if any(st in _WALK_STAGES for st in stages):
        _add_levels(model, rows, with_center="p_center" in stages)
    if "backup" in stages:
        _add_backup(model, rows)
    if "maximin" in stages:
        _add_maximin(model, rows)


def _final(model: Model, k: int) -> Any:
    return model.o[int(k)][model.T - 1]


def _fixed_open(model: Model) -> np.ndarray:
    p = model.problem
    return p.options["fixed"].to_numpy() & p.allowed


def _variable(model: Model) -> np.ndarray:
    out = np.zeros(len(model.problem.options), dtype=bool)
    out[list(model.o)] = True
    return out


def _add_levels(model: Model, rows: ObjectiveRows, *, with_center: bool) -> None:
    problem = model.problem
    lv = walk_levels(problem, _variable(model), _fixed_open(model))
    rows.levels = lv
    prev_point = -1
    opened: list = []  # the options of the point's levels so far
    center_rows: list[tuple[list, float]] = []
    for h in range(len(lv)):
        u = new_var(model.prob, f"n{h}", 0.0, 1.0)
        rows.u.append(u)
        a, b = lv.option_ptr[h], lv.option_ptr[h + 1]
        here = [(_final(model, k), 1.0) for k in lv.options[a:b]]
        if lv.point[h] == prev_point:
            opened += here
        else:
            opened = list(here)
            center_rows.append(([], float(lv.seconds[h])))
        # nothing open within d^h → u^h = 1 (cumulative rather than chained: CBC solves the
        # demo's p-median in 6 s instead of 14, its p-center 12× faster, see the module notes)
        model.add("objective", "", "", [(u, 1.0), *opened], ">=", 1.0)
        # p-center: nothing open within d^h → W ≥ d^{h+1}
        nxt = float(lv.next_seconds[h])
        center_rows.append(([(v, nxt) for v, _ in opened], nxt))
        prev_point = int(lv.point[h])
    if not with_center:
        return
    w = _weights(problem)
    has = np.zeros(len(w), dtype=bool)
    has[lv.point] = True
    pts = np.flatnonzero((w > 0) & (has | lv.cap_real))
    rows.center_points = pts
    const = pts[~has[pts]]
    low = float(lv.cap_seconds[const].max()) if len(const) else 0.0
    low = max([low, *(rhs for terms, rhs in center_rows if not terms)])
    rows.center = new_var(model.prob, "worst_walk", low, None)
    for terms, rhs in center_rows:
        if terms and rhs > low:
            model.add("objective", "", "", [(rows.center, 1.0), *terms], ">=", rhs)


def _point_terms(lv: Levels, u: list[Any], coef: Any) -> list[tuple[int, list]]:
    """(point, [(u, coef(level))…]) for every point with levels."""
    out: list[tuple[int, list]] = []
    for h in range(len(lv)):
        i = int(lv.point[h])
        if not out or out[-1][0] != i:
            out.append((i, []))
        c = float(coef(h))
        if c:
            out[-1][1].append((u[h], c))
    return out


def _add_backup(model: Model, rows: ObjectiveRows) -> None:
    problem = model.problem
    cover = problem.cover
    fixed = _fixed_open(model)
    w = _weights(problem)
    n_fixed = np.asarray(cover @ fixed.astype(np.int64)).ravel()
    rows.backup_const = float(w[(n_fixed >= 2) & (w > 0)].sum())
    sub = filter_columns(cover, _variable(model))
    keys: dict[bytes, int] = {}
    members: list[tuple[np.ndarray, int]] = []
    weight: list[float] = []
    for i in np.flatnonzero((w > 0) & (n_fixed < 2)):
        opts = sub.indices[sub.indptr[i] : sub.indptr[i + 1]]
        nf = int(n_fixed[i])
        if len(opts) + nf < 2:
            continue
        key = opts.tobytes() + bytes([nf])
        q = keys.get(key)
        if q is None:
            q = keys[key] = len(members)
            members.append((opts.copy(), nf))
            weight.append(0.0)
        weight[q] += float(w[i])
    for q, ((opts, nf), wq) in enumerate(zip(members, weight, strict=True)):
        b = new_var(model.prob, f"b{q}", 0.0, 1.0)
        rows.backup.append((b, wq, opts, nf))
        terms = [(_final(model, k), -1.0) for k in opts]
        if nf == 1:
            model.add("objective", "", "", [(b, 1.0), *terms], "<=", 0.0)
        else:
            for j in range(len(opts)):
                rest = terms[:j] + terms[j + 1 :]
                model.add("objective", "", "", [(b, 1.0), *rest], "<=", 0.0)


def _add_maximin(model: Model, rows: ObjectiveRows) -> None:
    problem = model.problem
    units, tot = maximin_units(problem)
    if len(units) == 0:
        raise InputError(
            "objective maximin needs 社区/村 with older people that some site can cover",
            [
                Problem(
                    "settings",
                    "no 社区/村 with older people within reach of an option",
                    column="objective",
                    hint="give the demand points their 社区/村 (demand_community, communities), or use "
                    "another objective",
                ),
            ],
        )
    rows.units = units
    rows.theta = new_var(model.prob, "worst_unit", 0.0, 1.0)
    cls = model.classes
    T = model.T
    dc = problem.demand_community
    e = problem.matrix.elderly * problem.growth[:, -1]
    const = cls.const_covered & (dc >= 0)
    have = np.bincount(dc[const], weights=e[const], minlength=len(tot))
    by_c: dict[int, list[int]] = {}
    for q in range(len(cls)):
        by_c.setdefault(int(cls.community[q]), []).append(q)
    for c in units:
        terms = model.coverage_terms(
            T - 1, plain=True, classes=np.asarray(by_c.get(int(c), []), dtype=np.int64)
        )
        model.add(
            "objective",
            "",
            "",
            [*terms, (rows.theta, -float(tot[c]))],
            ">=",
            -float(have[c]),
        )
        # reached: some of its older people covered (v_c <= Σ y_q, integer at integer o)
        if have[c] > 0:
            rows.reached_const += 1.0
            continue
        v = new_var(model.prob, f"r{c}", 0.0, 1.0)
        rows.reached.append((v, int(c)))
        ys = [(model.y[q][T - 1], -1.0) for q in by_c.get(int(c), []) if cls.elderly[q, T - 1] > 0]
        model.add("objective", "", "", [(v, 1.0), *ys], "<=", 0.0)


# ------------------------------------------------------------------------------------------
# objectives, values, starts
# ------------------------------------------------------------------------------------------


def objective_terms(model: Model, stage: str) -> tuple[list, float, float]:
    """(terms, constant, sign) of a stage of this module in minimisation form."""
    problem = model.problem
    rows = model.objectives
    w = _weights(problem)
    if stage == "p_center":
        return [(rows.center, 1.0)], 0.0, 1.0
    if stage == "backup":
        return [(b, -wq) for b, wq, *_ in rows.backup if wq], -rows.backup_const, -1.0
    if stage == "maximin":
        return [(rows.theta, -1.0)], 0.0, -1.0
    if stage == "units_reached":
        return [(v, -1.0) for v, _ in rows.reached], -rows.reached_const, -1.0
    lv = rows.levels
    assert lv is not None
    pos = w > 0
    if stage == "p_median":
        terms = [
            (rows.u[h], float(w[lv.point[h]] * (lv.next_seconds[h] - lv.seconds[h])))
            for h in range(len(lv))
        ]
        return terms, float((w[pos] * lv.base_seconds[pos]).sum()), 1.0
    # attendance: the share attending at each level, at the next one and at the base
    v = decay(lv.seconds / 60.0, problem.settings)
    v_next = _walk_values(problem, lv.next_seconds, lv.next_real)
    has = np.zeros(len(w), dtype=bool)
    has[lv.point] = True
    base_v = np.where(
        has,
        decay(lv.base_seconds / 60.0, problem.settings),
        _walk_values(problem, lv.cap_seconds, lv.cap_real),
    )
    terms = [(rows.u[h], float(w[lv.point[h]] * (v[h] - v_next[h]))) for h in range(len(lv))]
    return terms, -float((w[pos] * base_v[pos]).sum()), -1.0


def plan_value(
    problem: SitingProblem, name: str, open_final: np.ndarray, frac: np.ndarray | None = None
) -> float:
    """A stage objective of the plan whose final open options are ``open_final``, from the data:
    the walking-time matrix (nearest open site), the coverage matrix, the final coverage
    ``frac`` of each point (:func:`siting.model.result.coverage_fraction`; computed if None)."""
    if frac is None and name in ("worst_unit_coverage", "units_reached"):
        from siting.model.result import coverage_fraction

        frac = coverage_fraction(problem, open_final)
    w = _weights(problem)
    pos = w > 0
    if name == "backup_weighted":
        n_open = np.asarray(problem.cover @ np.asarray(open_final, bool).astype(np.int64)).ravel()
        return float(w[pos & (n_open >= 2)].sum())
    if name in ("worst_unit_coverage", "units_reached"):
        units, tot = maximin_units(problem)
        dc = problem.demand_community
        e = problem.matrix.elderly * problem.growth[:, -1]
        inside = dc >= 0
        got = np.bincount(dc[inside], weights=(e * frac)[inside], minlength=len(tot))
        if name == "units_reached":
            return float((got[units] > 1e-9 * tot[units]).sum())
        return float((got[units] / tot[units]).min()) if len(units) else float("nan")
    t = nearest_seconds(problem, open_final)
    H = horizon_seconds(problem)
    if name == "walk_seconds":
        return float((w[pos] * np.where(np.isfinite(t), t, H)[pos]).sum())
    if name == "worst_walk_seconds":
        sel = pos & _reach(problem)
        return float(np.where(np.isfinite(t), t, H)[sel].max()) if sel.any() else 0.0
    if name == "attendance":
        inside = np.isfinite(t)
        f = np.where(inside, decay(np.where(inside, t, 0.0) / 60.0, problem.settings), 0.0)
        return float((w[pos] * f[pos]).sum())
    raise ValueError(f"unknown objective {name!r}")


def set_start(model: Model, chosen: np.ndarray) -> None:
    """Give this module's variables their values for the plan ``chosen`` ((K,) open options;
    the coverage variables already hold theirs)."""
    rows = model.objectives
    lv = rows.levels
    if lv is not None:
        prev, u_prev = -1, 1.0
        for h in range(len(lv)):
            i = int(lv.point[h])
            if i != prev:
                u_prev, prev = 1.0, i
            a, b = lv.option_ptr[h], lv.option_ptr[h + 1]
            value = 0.0 if chosen[lv.options[a:b]].any() else u_prev
            rows.u[h].setInitialValue(value)
            u_prev = value
        if rows.center is not None:
            worst = float(rows.center.lowBound or 0.0)
            for i, terms in _point_terms(lv, rows.u, lambda h: lv.next_seconds[h] - lv.seconds[h]):
                t = float(lv.base_seconds[i]) + sum(c * (v.varValue or 0.0) for v, c in terms)
                worst = max(worst, t)
            rows.center.setInitialValue(worst)
    for b, _, opts, nf in rows.backup:
        b.setInitialValue(1.0 if nf + int(chosen[opts].sum()) >= 2 else 0.0)
    if rows.theta is not None:
        problem = model.problem
        cls = model.classes
        dc = problem.demand_community
        e = problem.matrix.elderly * problem.growth[:, -1]
        _, tot = maximin_units(problem)
        const = cls.const_covered & (dc >= 0)
        have = np.bincount(dc[const], weights=e[const], minlength=len(tot))
        yv = np.array([float(vs[-1].varValue or 0.0) for vs in model.y])
        el = cls.elderly[:, -1] if len(cls) else np.zeros(0)
        inside = cls.community >= 0
        got = have + np.bincount(
            cls.community[inside], weights=(el * yv)[inside], minlength=len(tot)
        )
        share = got[rows.units] / tot[rows.units]
        rows.theta.setInitialValue(float(np.clip(share.min() - 1e-12, 0.0, 1.0)))
        for v, c in rows.reached:
            v.setInitialValue(1.0 if got[c] > 1e-9 * tot[c] else 0.0)


def figures(problem: SitingProblem, open_final: np.ndarray, frac: np.ndarray) -> dict[str, Any]:
    """The figures of the classic objectives for a plan (the summary's): walks, backup, attendance,
    the worst-served 社区/村, capacities."""
    s = problem.settings
    w = _weights(problem)
    pos = w > 0
    tot_w = float(w[pos].sum())
    t = nearest_seconds(problem, open_final)
    H = horizon_seconds(problem)
    walk = np.where(np.isfinite(t), t, H)
    reach = pos & _reach(problem)
    out: dict[str, Any] = {
        "horizon_minutes": H / 60.0,
        "mean_walk_minutes": float((w[pos] * walk[pos]).sum()) / tot_w / 60.0
        if tot_w
        else float("nan"),
        "worst_walk_minutes": float(walk[reach].max()) / 60.0 if reach.any() else float("nan"),
        "beyond_horizon_weighted": float(w[pos & ~np.isfinite(t)].sum()),
        "unreachable_weighted": float(w[pos & ~reach].sum()),
    }
    if s.objective == "backup":
        out["backup_weighted"] = plan_value(problem, "backup_weighted", open_final, frac)
        out["backup_covered_pct"] = (
            100.0 * out["backup_weighted"] / tot_w if tot_w else float("nan")
        )
    if s.objective == "attendance":
        out["attendance"] = plan_value(problem, "attendance", open_final, frac)
        out["attendance_pct"] = 100.0 * out["attendance"] / tot_w if tot_w else float("nan")
        out["decay"] = f"{s.decay}, half at {s.decay_half_minutes:g} min"
    if s.objective == "maximin":
        units, tot = maximin_units(problem)
        dc = problem.demand_community
        e = problem.matrix.elderly * problem.growth[:, -1]
        inside = dc >= 0
        got = np.bincount(dc[inside], weights=(e * frac)[inside], minlength=len(tot))
        share = got[units] / tot[units]
        worst = int(units[int(np.argmin(share))]) if len(units) else -1
        com = problem.communities
        out["worst_unit_coverage_pct"] = 100.0 * float(share.min()) if len(units) else float("nan")
        out["worst_unit"] = (
            f"{com['name'].iat[worst]} ({com['code'].iat[worst]})" if worst >= 0 else ""
        )
        out["maximin_units"] = len(units)
        out["units_reached"] = int((share > 1e-9).sum())
        out["units_out_of_reach"] = int(((tot > 0).sum()) - len(units))
    if s.capacitated:
        cap = problem.options["capacity_elderly"].to_numpy(dtype=float)
        is_open = np.asarray(open_final, bool) & np.isfinite(cap)
        e = problem.matrix.elderly * problem.growth[:, -1]
        out["capacity_open_elderly"] = float(cap[is_open].sum())
        out["assigned_elderly"] = float((e * frac).sum())
        out["capacity_used_pct"] = (
            100.0 * out["assigned_elderly"] / out["capacity_open_elderly"]
            if out["capacity_open_elderly"] > 0
            else float("nan")
        )
    return out
