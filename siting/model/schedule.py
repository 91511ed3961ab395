"""Planned builds (``[[plan.builds]]``) as a schedule of the model's options."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from siting.errors import InputError, Problem
from siting.model.problem import CAPITAL_COLUMNS

if TYPE_CHECKING:
    from siting.model.problem import SitingProblem
    from siting.model.settings import PlannedBuild

__all__ = ["planned_schedule", "with_build_capital"]


def planned_schedule(
    problem: SitingProblem, builds: Sequence[PlannedBuild], *, source: str
) -> np.ndarray:
    """(K,) period each planned build opens (−1: not planned); checks every build.

    Raises
    ------
    InputError
        A build names a site that is neither a candidate nor an existing facility, a type the site
        cannot take, a year outside the plan, or one site twice; every problem at once.
    """
    opts = problem.options
    s = problem.settings
    opened = np.full(len(opts), -1, dtype=np.int64)
    key = {
        (sid, t): k
        for k, (sid, t, a) in enumerate(
            zip(opts["site_id"].astype(str), opts["type"], opts["action"], strict=True)
        )
        if a != "existing"
    }
    sites = set(opts["site_id"].astype(str))
    problems = []
    for i, b in enumerate(builds):
        k = key.get((b.site_id, b.type))
        if k is None:
            if b.site_id in sites:
                have = sorted(
                    {
                        str(t)
                        for sid, t, a in zip(
                            opts["site_id"], opts["type"], opts["action"], strict=True
                        )
                        if str(sid) == b.site_id and a != "existing"
                    }
                )
                hint = (
                    f"site '{b.site_id}' may become: {have}"
                    if have
                    else "the site has no option of that type"
                )
            else:
                hint = "use a candidate_id of the candidates file or a facility_id of the facilities file"
            problems.append(
                Problem(
                    source,
                    f"planned build of site '{b.site_id}' as {b.type} is not possible",
                    column=f"plan.builds[{i}].site",
                    hint=hint,
                )
            )
            continue
        if s.years and b.year not in s.years:
            problems.append(
                Problem(
                    source,
                    f"build year {b.year} outside the plan years",
                    column=f"plan.builds[{i}].year",
                )
            )
            continue
        opened[k] = s.year_index(b.year) if s.years else 0
    if problems:
        raise InputError(f"{len(problems)} planned build(s) cannot be placed", problems)
    groups = opts["group"].to_numpy()
    built = opened >= 0
    dup = pd.Series(groups[built]).duplicated(keep=False)
    if dup.any():
        raise InputError(
            "a site is built as two types",
            [
                Problem(source, f"site {opts['site_id'].iloc[k]}", column="plan.builds")
                for k in np.flatnonzero(built)[dup.to_numpy()][:5]
            ],
        )
    return opened


def with_build_capital(problem: SitingProblem, builds: Sequence[PlannedBuild]) -> SitingProblem:
    """The problem with the capital cost of the planned builds that give their own.

    A planned build's ``capital_wan_yuan`` is its whole one-off cost: it replaces the subsidies and
    the works of the cost model and is booked on the ``works`` line (``works_from = "plan"``).
    """
    if not any(b.capital_wan_yuan is not None for b in builds):
        return problem
    opts = problem.options.copy()
    key = {
        (str(sid), t): k
        for k, (sid, t, a) in enumerate(
            zip(opts["site_id"], opts["type"], opts["action"], strict=True)
        )
        if a != "existing"
    }
    money = {c: opts[c].to_numpy(dtype=float).copy() for c in CAPITAL_COLUMNS}
    source = opts["works_from"].to_numpy().copy()
    for b in builds:
        k = key.get((b.site_id, b.type))
        if k is not None and b.capital_wan_yuan is not None:
            # the plan's own figure is the whole one-off cost: booked as works, no subsidy on top
            for c in CAPITAL_COLUMNS:
                money[c][k] = 0.0
            money["works_wan_yuan"][k] = money["capital_wan_yuan"][k] = float(b.capital_wan_yuan)
            source[k] = "plan"
    for c, v in money.items():
        opts[c] = v
    opts["works_from"] = source
    out = dataclasses.replace(problem, options=opts)
    return out
