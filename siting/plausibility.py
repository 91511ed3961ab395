"""Bounds on what an input may say: the impossible is an error, the implausible a warning.

The bounds are the scenario's ``[validation]`` settings (next to the polygon tolerances of
:mod:`siting.polygon_checks`)::

    [validation]
    max_residents = 1000000        # error: more residents in one 社区/村 is impossible
    large_residents = 100000       # warning: more residents in one 社区/村 than this is implausible
    max_share_60p = 0.6            # warning: more than this share of a 社区/村 aged 60+
    min_share_60p = 0.02           # warning: less than this share aged 60+ (社区/村 of 1,000+ residents)
    min_attached_share = 0.5       # error: the network attaches less than this share of the homes,
                                   # of the facilities or of the candidate sites

Why these numbers (assumptions, documented in ``docs/bad_input.md``): the largest 社区 in China
have some 100,000 residents (Chongqing's largest some 50,000; the city has 32 million in all), so a
社区/村 of a million is a typing or unit error; Chongqing's oldest rural 村 (2020 census) have
around 40–50 % of their residents aged 60+, so above 60 % the 60+ count is more likely a total or a
wrong column; below 2 % in a 社区/村 of 1,000 or more residents, the 60+ column is likely a share
or empty. The impossible orders (80+ > 65+ > 60+ > total, negative counts, counts that are not
whole numbers or finite) are errors in :mod:`siting.io` whatever these settings say.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd

from siting.errors import Problem, ScenarioError

__all__ = ["LIMIT_KEYS", "InputLimits", "population_problems"]

#: The ``[validation]`` keys of :class:`InputLimits`.
LIMIT_KEYS: tuple[str, ...] = (
    "max_residents",
    "large_residents",
    "max_share_60p",
    "min_share_60p",
    "min_attached_share",
)
#: 社区/村 below this many residents are not checked for a low 60+ share (new estates, campuses).
MIN_SHARE_CHECK_RESIDENTS = 1000
#: Population columns bounded by ``max_residents``.
POPULATION_COLUMNS: tuple[str, ...] = (
    "pop_total",
    "pop_60p",
    "pop_65p",
    "pop_80p",
    "n_disabled",
    "n_extreme_poor",
    "n_living_alone",
)


@dataclass(frozen=True)
class InputLimits:
    """The plausibility bounds of ``[validation]`` (see the module docstring for each)."""

    max_residents: float = 1_000_000
    large_residents: float = 100_000
    max_share_60p: float = 0.6
    min_share_60p: float = 0.02
    min_attached_share: float = 0.5

    @classmethod
    def from_scenario(cls, scenario: Any) -> InputLimits:
        """The scenario's ``[validation]`` bounds; every bad value at once as a ScenarioError."""
        raw = dict(scenario.section("validation"))
        source = str(scenario.path)
        problems = []
        values = {}
        for f in fields(cls):
            if f.name not in raw:
                continue
            value = raw[f.name]
            share = f.name.endswith("share") or "_share_" in f.name
            ok = (
                isinstance(value, int | float)
                and not isinstance(value, bool)
                and math.isfinite(value)
                and (0 <= value <= 1 if share else value > 0)
            )
            if not ok:
                problems.append(
                    Problem(
                        source,
                        f"[validation] {f.name} must be "
                        + ("a share from 0 to 1" if share else "a number > 0")
                        + f", got {value!r}",
                        column=f"validation.{f.name}",
                        hint=f"e.g. {f.name} = {f.default}",
                    )
                )
            else:
                values[f.name] = float(value)
        if problems:
            raise ScenarioError(f"scenario {source}: invalid [validation] settings", problems)
        return cls(**values)


def _rows_text(rows, limit: int = 8) -> str:
    rows = list(rows)
    text = ", ".join(str(r) for r in rows[:limit])
    return text + (f" … ({len(rows)} rows)" if len(rows) > limit else "")


def _listing(com: pd.DataFrame, mask: np.ndarray, detail, limit: int = 5) -> str:
    """``500199001003 德寺社区 (…), …`` for the first ``limit`` communities of ``mask``."""
    idx = np.flatnonzero(mask)
    names = com["name"] if "name" in com else pd.Series([""] * len(com), index=com.index)
    parts = [
        f"{com['code'].iloc[i]} {names.iloc[i]} ({detail(i)})".replace("  ", " ")
        for i in idx[:limit]
    ]
    more = f" … ({len(idx)} in all)" if len(idx) > limit else ""
    return ", ".join(parts) + more


def population_problems(
    label: str,
    com: pd.DataFrame,
    columns: dict[str, str],
    limits: InputLimits = InputLimits(),
) -> list[Problem]:
    """Impossible populations (errors) and implausible ones (warnings) of the 社区/村 layer.

    Parameters
    ----------
    label
        The file (and layer) for messages.
    com
        Canonical communities (``row``, ``code``, ``name``, ``pop_total``, ``pop_60p`` …).
    columns
        The scenario's column mapping (canonical → the file's column), for messages.
    limits
        The bounds.
    """
    out: list[Problem] = []
    rows = com["row"].to_numpy()

    def col(name: str) -> str:
        return columns.get(name, name)

    for name in POPULATION_COLUMNS:
        if name not in com:
            continue
        values = com[name].to_numpy(dtype=float)
        high = values > limits.max_residents
        if high.any():
            out.append(
                Problem(
                    label,
                    f"'{name}' above {limits.max_residents:,.0f} in one 社区/村 is impossible: "
                    + _listing(com, high, lambda i, v=values: f"{v[i]:,.0f}"),
                    row=_rows_text(rows[high]),
                    column=col(name),
                    hint="check the number (units, a district total, a typing error); "
                    "[validation] max_residents sets the bound",
                )
            )
    if "pop_total" not in com or "pop_60p" not in com:
        return out
    total = com["pop_total"].to_numpy(dtype=float)
    old = com["pop_60p"].to_numpy(dtype=float)
    sane = (total <= limits.max_residents) & (old <= total)
    large = sane & (total > limits.large_residents)
    if large.any():
        out.append(
            Problem(
                label,
                f"{int(large.sum())} 社区/村 with more than {limits.large_residents:,.0f} residents: "
                + _listing(com, large, lambda i: f"{total[i]:,.0f}"),
                row=_rows_text(rows[large]),
                column=col("pop_total"),
                hint="check that the counts are per 社区/村; [validation] large_residents sets "
                "the bound",
                severity="warning",
            )
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total > 0, old / total, np.nan)
    high = sane & (share > limits.max_share_60p)
    if high.any():
        out.append(
            Problem(
                label,
                f"{int(high.sum())} 社区/村 with more than {limits.max_share_60p:.0%} of their "
                "residents aged 60+: "
                + _listing(
                    com, high, lambda i: f"{old[i]:,.0f} of {total[i]:,.0f}, {share[i]:.1%}"
                ),
                row=_rows_text(rows[high]),
                column=col("pop_60p"),
                hint="check that the 60+ column is not the total or another column; "
                "[validation] max_share_60p sets the bound",
                severity="warning",
            )
        )
    low = sane & (total >= MIN_SHARE_CHECK_RESIDENTS) & (share < limits.min_share_60p)
    if low.any():
        out.append(
            Problem(
                label,
                f"{int(low.sum())} 社区/村 of {MIN_SHARE_CHECK_RESIDENTS:,}+ residents with less "
                f"than {limits.min_share_60p:.0%} aged 60+: "
                + _listing(com, low, lambda i: f"{old[i]:,.0f} of {total[i]:,.0f}, {share[i]:.1%}"),
                row=_rows_text(rows[low]),
                column=col("pop_60p"),
                hint="check that the 60+ column holds counts, not shares or blanks; "
                "[validation] min_share_60p sets the bound",
                severity="warning",
            )
        )
    return out
