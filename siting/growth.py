r"""How the older population of each 社区/村 grows over the plan years.

The older population of community :math:`c` in year :math:`j` is its base figure (the census year,
``base_year = 2020``) times :math:`(1 + r_c)^{j - \text{base\_year}}`. ``growth`` is ``"census"``
(default), ``"none"``, an annual rate, or a table of rates by kind (``community``/``village``) or
12-digit code (``default`` for the rest).

The ``"census"`` projection is a one-line cohort balance from the census age shares:

.. math::

    r_c = \frac{P^{60\text{–}64}_c / 5}{P^{60+}_c} - m

- inflow: the people turning 60 each year are taken to be as many as one fifth of those aged
  60–64 (:math:`P^{60+} - P^{65+}` of the communities file, else the district's 2020 census shares
  60–64 and 60+ of :data:`CENSUS_2020`); this assumes the next cohort is as large as the last. In
  Chongqing the cohort born 1961–1965 (aged 55–59 in 2020) is larger than the one born 1956–1960
  (the famine years), so the projection *understates* growth in 2021–2025;
- outflow: ``mortality_60p`` = 3 % of the 60+ die each year (assumption: China's 2020 deaths, 998
  万 (NBS 2020 statistical bulletin), about four in five of them aged 60+, over the 60+ population
  of 2.64 亿 (2020 census): 0.8 × 998 / 26,402 ≈ 3.0 %); migration is ignored.

For 铜梁 (60–64 5.12 %, 60+ 26.08 %) this gives 0.0512 / 5 / 0.2608 − 0.03 ≈ +0.93 % a year; the
demo district, generated with 铜梁's shares, gets the same. Every rate used is in the result.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from siting.errors import Problem, ScenarioError

__all__ = [
    "CENSUS_2020",
    "DEFAULT_MORTALITY_60P",
    "annual_growth_rates",
    "growth_factors",
    "growth_problems",
]

#: Share of the 60+ who die in a year (see the module notes).
DEFAULT_MORTALITY_60P = 0.03

#: 2020 census by district: code → (name, share aged 60–64, share aged 60+) of the residents
#: (NBS county tables as tabulated by the MIT-licensed ``tudigong`` project).
CENSUS_2020: Mapping[str, tuple[str, float, float]] = {
    "500101": ("万州区", 0.0504, 0.2393),
    "500102": ("涪陵区", 0.0314, 0.2116),
    "500103": ("渝中区", 0.0573, 0.1976),
    "500104": ("大渡口区", 0.0596, 0.1958),
    "500105": ("江北区", 0.0546, 0.1905),
    "500106": ("沙坪坝区", 0.048, 0.1678),
    "500107": ("九龙坡区", 0.0511, 0.1808),
    "500108": ("南岸区", 0.0512, 0.1807),
    "500109": ("北碚区", 0.0513, 0.2123),
    "500110": ("綦江区", 0.0537, 0.2517),
    "500111": ("大足区", 0.0478, 0.2264),
    "500112": ("渝北区", 0.043, 0.164),
    "500113": ("巴南区", 0.0522, 0.2183),
    "500114": ("黔江区", 0.0382, 0.1848),
    "500115": ("长寿区", 0.0486, 0.2537),
    "500116": ("江津区", 0.0548, 0.2502),
    "500117": ("合川区", 0.0592, 0.2707),
    "500118": ("永川区", 0.0506, 0.2079),
    "500119": ("南川区", 0.0426, 0.2364),
    "500120": ("璧山区", 0.047, 0.2135),
    "500151": ("铜梁区", 0.0512, 0.2608),
    "500152": ("潼南区", 0.0563, 0.2571),
    "500153": ("荣昌区", 0.0567, 0.2508),
    "500154": ("开州区", 0.0431, 0.2278),
    "500155": ("梁平区", 0.0455, 0.2495),
    "500156": ("武隆区", 0.0386, 0.2357),
    "500229": ("城口县", 0.046, 0.2051),
    "500230": ("丰都县", 0.0429, 0.2458),
    "500231": ("垫江县", 0.0421, 0.245),
    "500233": ("忠县", 0.0513, 0.2653),
    "500235": ("云阳县", 0.0441, 0.2349),
    "500236": ("奉节县", 0.0452, 0.2226),
    "500237": ("巫山县", 0.0415, 0.2193),
    "500238": ("巫溪县", 0.0506, 0.2321),
    "500240": ("石柱土家族自治县", 0.0415, 0.2323),
    "500241": ("秀山土家族苗族自治县", 0.0339, 0.1995),
    "500242": ("酉阳土家族苗族自治县", 0.0367, 0.2061),
    "500243": ("彭水苗族土家族自治县", 0.0361, 0.2029),
}


def annual_growth_rates(
    communities: pd.DataFrame,
    growth: str | float | Mapping[str, float] = "census",
    *,
    mortality_60p: float = DEFAULT_MORTALITY_60P,
    district_code: str = "",
) -> tuple[np.ndarray, np.ndarray]:
    """Annual growth rate of each community's older population, and where each comes from.

    Parameters
    ----------
    communities
        ``code``, ``kind``; for the census projection ``pop_60p`` and optionally ``pop_65p``.
    growth
        "census", "none", a rate, or rates by ``community``/``village``/12-digit code/``default``.
    mortality_60p
        Yearly deaths as a share of the 60+ (census projection).
    district_code
        The district, for the census shares of :data:`CENSUS_2020` when a community lacks
        ``pop_65p``.

    Returns
    -------
    (rates, sources)
        Two arrays of ``len(communities)``: the rate and a short text saying its source.
    """
    n = len(communities)
    if isinstance(growth, str) and growth == "none":
        return np.zeros(n), np.full(n, "none", dtype=object)
    if _is_number(growth):
        return np.full(n, float(growth)), np.full(n, "scenario", dtype=object)
    census, census_src = _census_rates(communities, mortality_60p, district_code)
    if isinstance(growth, Mapping):
        codes = communities["code"].astype(str).to_numpy()
        kinds = communities["kind"].astype(str).to_numpy()
        rates = census.copy()
        src = census_src.copy()
        for i, (c, k) in enumerate(zip(codes, kinds, strict=True)):
            for key in (c, k, "default"):
                if key in growth:
                    rates[i] = float(growth[key])
                    src[i] = f"scenario ({key})"
                    break
        return rates, src
    return census, census_src


def _census_rates(
    communities: pd.DataFrame, mortality_60p: float, district_code: str
) -> tuple[np.ndarray, np.ndarray]:
    n = len(communities)
    p60 = (
        communities["pop_60p"].to_numpy(dtype=float)
        if "pop_60p" in communities
        else np.full(n, np.nan)
    )
    p65 = (
        communities["pop_65p"].to_numpy(dtype=float)
        if "pop_65p" in communities
        else np.full(n, np.nan)
    )
    ok = np.isfinite(p60) & np.isfinite(p65) & (p60 > 0) & (p65 <= p60) & (p65 >= 0)
    rates = np.full(n, np.nan)
    src = np.full(n, "", dtype=object)
    with np.errstate(invalid="ignore", divide="ignore"):
        rates[ok] = (p60[ok] - p65[ok]) / 5.0 / p60[ok] - mortality_60p
    src[ok] = "census: community 60–64 share"
    if (~ok).any():
        if district_code in CENSUS_2020:
            name, s6064, s60 = CENSUS_2020[district_code]
            rates[~ok] = s6064 / 5.0 / s60 - mortality_60p
            src[~ok] = f"census 2020: {name} 60–64 and 60+ shares"
        elif ok.any():
            w = p60[ok]
            rates[~ok] = float(np.average(rates[ok], weights=w))
            src[~ok] = "census: district mean of the communities with 65+ figures"
        else:
            raise ScenarioError(
                "the census projection of the elderly needs pop_65p in the communities file "
                f"or a district code of Chongqing ({district_code!r} is not one)",
                [
                    Problem(
                        "communities",
                        "no 65+ figures (pop_65p) to project the older population",
                        column="plan.growth",
                        hint='add pop_65p, set [scenario] district_code, or give [plan] growth = 0.02 or "none"',
                    )
                ],
            )
    return rates, src


def growth_problems(growth: Any, source: str) -> list[Problem]:
    out = []
    if isinstance(growth, str):
        if growth not in ("census", "none"):
            out.append(
                Problem(
                    source,
                    f"unknown growth {growth!r}",
                    column="plan.growth",
                    hint='use "census", "none", an annual rate such as 0.02, or a table of rates',
                )
            )
    elif _is_number(growth):
        if not -0.5 < growth < 0.5:
            out.append(
                Problem(
                    source, f"annual growth rate {growth!r} is implausible", column="plan.growth"
                )
            )
    elif isinstance(growth, Mapping):
        for k, v in growth.items():
            if not (_is_number(v) and -0.5 < v < 0.5):
                out.append(
                    Problem(
                        source,
                        f"growth rate of '{k}' must be a number in (−0.5, 0.5), got {v!r}",
                        column=f"plan.growth.{k}",
                    )
                )
    else:
        out.append(
            Problem(
                source,
                f"growth must be a string, a number or a table, got {growth!r}",
                column="plan.growth",
            )
        )
    return out


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def growth_factors(
    communities: pd.DataFrame,
    demand_community: np.ndarray,
    years: tuple[int, ...],
    *,
    base_year: int,
    growth: str | float | Mapping[str, float],
    mortality_60p: float,
    district_code: str = "",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(m, T) factor of each demand point's older people in each year, and the rates and sources
    per community (points outside every community take the district's elderly-weighted mean)."""
    rates, sources = annual_growth_rates(
        communities, growth, mortality_60p=mortality_60p, district_code=district_code
    )
    dc = np.asarray(demand_community, dtype=np.int64)
    r = np.zeros(len(dc))
    inside = dc >= 0
    r[inside] = rates[dc[inside]]
    if (~inside).any():
        if len(rates):
            el = (
                np.maximum(communities["elderly"].to_numpy(dtype=float), 1e-9)
                if "elderly" in communities
                else np.ones(len(rates))
            )
            r[~inside] = float(np.average(rates, weights=el))
        else:
            district = pd.DataFrame(
                {"code": [""], "kind": [""], "pop_60p": [np.nan], "pop_65p": [np.nan]}
            )
            r[~inside] = annual_growth_rates(
                district, growth, mortality_60p=mortality_60p, district_code=district_code
            )[0][0]
    steps = np.array([y - base_year for y in years], dtype=float)
    return (1.0 + r[:, None]) ** steps[None, :], rates, sources
