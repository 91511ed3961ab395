"""The indicator table of the district plans as data: what each indicator is, its target, its source.

Pure data and pure functions (no geometry), read by :mod:`siting.scenario` (to check
``[indicators.reported]`` when a scenario is loaded) and by :mod:`siting.indicators`.

The 16 indicators of 沙坪坝's plan (000 专栏1, targets for 2025; POLICY_RULES §8) are of two kinds:

- computed from the inputs (facilities with floor area, beds, nursing beds, operator; communities;
  housing): #1, #2, #3, #4, #6, #7, #12 — in :mod:`siting.indicators`;
- reported: figures a planner types into the scenario (``[indicators.reported]``), never computed:
  #5, #8, #9, #10, #11, #13, #14, #15, #16 — :data:`REPORTED`. A share is typed as a fraction
  (``family_doctor_signing = 0.83`` for 83 %), #15 as a number of social workers.

District-specific figures (:data:`DISTRICT_TARGETS`) apply by the scenario's
``[scenario] district_code``; elsewhere the municipal figure (004) or none.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from siting.errors import Problem

__all__ = [
    "DISTRICT_TARGETS",
    "MUNICIPAL_NURSING_SHARE",
    "REPORTED",
    "REPORTED_KEYS",
    "DistrictTarget",
    "ReportedIndicator",
    "district_target",
    "reported_indicator",
    "reported_problems",
]


@dataclass(frozen=True)
class ReportedIndicator:
    """An indicator the planner reports: ``kind`` "share" (typed 0–1, shown in %) or "ratio" (≥ 0)."""

    key: str
    number: int
    name_zh: str
    name_en: str
    target: float
    comparison: Literal[">=", ">"]
    kind: Literal["share", "ratio"]
    source: str


#: The reported indicators of 000 专栏1 (targets for 2025), in the table's order.
REPORTED: tuple[ReportedIndicator, ...] = (
    ReportedIndicator(
        "institution_quality",
        5,
        "养老机构服务基本质量达标率",
        "care institutions meeting the basic service-quality standard",
        1.0,
        ">=",
        "share",
        "000 专栏1 #5",
    ),
    ReportedIndicator(
        "family_doctor_signing",
        8,
        "居家老年人家庭医生签约服务覆盖率",
        "older people at home with a signed family doctor",
        0.8,
        ">=",
        "share",
        "000 专栏1 #8",
    ),
    ReportedIndicator(
        "geriatrics_departments",
        9,
        "二级以上综合医院设老年医学科比例",
        "general hospitals (grade II+) with a geriatrics department",
        0.65,
        ">=",
        "share",
        "000 专栏1 #9 (≥ 65 %); 004 一 (≥ 50 % by 2022)",
    ),
    ReportedIndicator(
        "medical_care_agreements",
        10,
        "医疗机构与养老机构签约率",
        "care institutions with a signed medical partner",
        0.9,
        ">=",
        "share",
        "000 专栏1 #10",
    ),
    ReportedIndicator(
        "district_senior_university",
        11,
        "区级老年大学覆盖率",
        "district-level university for the elderly",
        1.0,
        ">=",
        "share",
        "000 专栏1 #11",
    ),
    ReportedIndicator(
        "senior_associations",
        13,
        "城乡基层老年协会覆盖率",
        "urban and rural grass-roots associations of the elderly",
        0.95,
        ">=",
        "share",
        "000 专栏1 #13",
    ),
    ReportedIndicator(
        "senior_volunteers",
        14,
        "老年志愿者注册人数占老年人口比例",
        "registered older volunteers as a share of the older population",
        0.15,
        ">=",
        "share",
        "000 专栏1 #14",
    ),
    ReportedIndicator(
        "social_workers",
        15,
        "每千名老年人配备社会工作者人数或每百张养老床位配备社会工作者人数",
        "social workers per 1,000 older people or per 100 care beds",
        1.0,
        ">=",
        "ratio",
        "000 专栏1 #15",
    ),
    ReportedIndicator(
        "lottery_fund_share",
        16,
        "各级福彩公益金用于养老服务业的比例",
        "share of welfare-lottery funds spent on elderly care",
        0.8,
        ">=",
        "share",
        "000 专栏1 #16",
    ),
)
REPORTED_KEYS: tuple[str, ...] = tuple(r.key for r in REPORTED)
_BY_KEY: Mapping[str, ReportedIndicator] = {r.key: r for r in REPORTED}


@dataclass(frozen=True)
class DistrictTarget:
    """A district's own figure for an indicator, with its comparison and source."""

    value: float
    comparison: Literal[">=", ">"]
    source: str


#: Figures the documents set for one district, by 6-digit district code: 沙坪坝 500106 (000 专栏1),
#: 铜梁 500151 (003 一: "护理型床位占比超过65%", strictly more), 江津 500116 (001 §二(五)).
DISTRICT_TARGETS: Mapping[str, Mapping[str, DistrictTarget]] = {
    "500106": {
        "total_beds": DistrictTarget(10000.0, ">=", "000 专栏1 #1（沙坪坝 2025）"),
        "nursing_bed_share": DistrictTarget(0.60, ">=", "000 专栏1 #2（沙坪坝 2025）"),
    },
    "500151": {"nursing_bed_share": DistrictTarget(0.65, ">", "003 一（铜梁 2025）")},
    "500116": {"nursing_bed_share": DistrictTarget(0.50, ">=", "001 §二(五)（江津 2022）")},
}
#: The municipal nursing-type share (004 一: "护理型床位比例不低于50%", 2022): every other district.
MUNICIPAL_NURSING_SHARE = DistrictTarget(0.50, ">=", "004 一（重庆市 2022）")


def district_target(district_code: str, key: str) -> DistrictTarget | None:
    """The documents' figure for ``key`` in the district (the municipal one for nursing beds)."""
    own = DISTRICT_TARGETS.get(str(district_code)[:6], {}).get(key)
    if own is None and key == "nursing_bed_share":
        return MUNICIPAL_NURSING_SHARE
    return own


def reported_indicator(key: str) -> ReportedIndicator:
    return _BY_KEY[key]


def reported_problems(values: Any, source: str) -> list[Problem]:
    """Every problem of an ``[indicators.reported]`` table: unknown keys, non-numbers, out of range."""
    if not isinstance(values, Mapping):
        return [
            Problem(
                source,
                f"'indicators.reported' must be a table of figures, got {values!r}",
                column="indicators.reported",
                hint="e.g. [indicators.reported] family_doctor_signing = 0.83",
            )
        ]
    out = []
    for key, value in values.items():
        col = f"indicators.reported.{key}"
        spec = _BY_KEY.get(key)
        if spec is None:
            out.append(
                Problem(
                    source,
                    f"unknown reported indicator '{key}' = {value!r}",
                    column=col,
                    hint=f"the reported indicators of 000 专栏1 are {list(REPORTED_KEYS)}",
                )
            )
        elif (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            out.append(
                Problem(
                    source,
                    f"reported indicator '{key}' = {value!r} is not a number",
                    column=col,
                    hint="type the figure as a plain number (a share as 0.83 for 83 %)",
                )
            )
        elif spec.kind == "share" and not 0 <= value <= 1:
            out.append(
                Problem(
                    source,
                    f"reported indicator '{key}' = {value!r} is a share: it must be between 0 and 1",
                    column=col,
                    hint=f"e.g. {spec.target:g} for {100 * spec.target:g} % ({spec.name_zh})",
                )
            )
        elif spec.kind == "ratio" and value < 0:
            out.append(
                Problem(
                    source,
                    f"reported indicator '{key}' = {value!r} must not be negative",
                    column=col,
                    hint=f"{spec.name_zh}: a number ≥ 0",
                )
            )
    return out
