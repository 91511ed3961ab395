"""What the documents say about each facility type: where it may stand, whom it serves, how big it is.

Pure data and pure functions, used alike by the siting model (:mod:`siting.model`), which only
places a type where it fits, and by the indicators (:mod:`siting.indicators`), which count a
facility only for the unit it is the facility of.

=========================  ===========================================  =====================================
rule                       meaning                                      source
=========================  ===========================================  =====================================
types by unit kind         a 社区养老服务站 and a 小区养老服务点 stand in a    001 §二(一), annex 1; 000 ch.4 §1
                           社区, a 村级互助养老点 in a 村, a 街道养老服务中心
                           in a 街道, a 乡镇养老服务中心 in a 镇/乡
one center per 街道/镇      "一街道（镇）一中心": a 街道 needs a street       001 §二(一); 003 task 8
                           center, a 镇/乡 a town center
one station per 社区,       "一村（社区）一站（点）": a 社区 needs a 社区养老   001 §二(一); 003 task 8; 000 ch.4 §1
one point per 村            服务站 (a 小区养老服务点 is the tier below it and
                           a 村级互助养老点 is a village's: neither is a
                           社区's station); a 村 needs a 村级互助养老点 (a
                           station in a 村 serves it too)
size: station              ≥ 300 m²; ≥ 200 m² in a 社区 with few older      001 annex 1; 002 §13
                           people (``small_community_elderly``, 500 by
                           default: the same threshold as the sharing rule)
size: street center        ≥ 1,500 m² with ≥ 20 beds in its care area      001 annex 1; 002 §13
size: town center          ≥ 800 m²                                      001 annex 1; 002 §17
village and compound       no size standard                              001 annex 1; 000 ch.4 §1
points
=========================  ===========================================  =====================================

A site whose floor area (or beds) is unknown is taken to meet the standard, and counted as such
(assumption: the candidates file is a list of rooms the district considers usable).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

__all__ = [
    "CENTER_FOR_KIND",
    "CENTER_TYPES",
    "SIZE_KEYS",
    "SIZE_SOURCES",
    "STATION_TYPES",
    "TYPES_FOR_UNIT_KIND",
    "UNIT_TYPES",
    "SizeStandards",
    "fits_unit",
    "meets_size",
    "size_standards",
]

#: The center type each kind of 街道/镇 needs ("一街道（镇）一中心").
CENTER_FOR_KIND: Mapping[str, str] = {"street": "street_center", "town": "town_center"}
CENTER_TYPES: tuple[str, ...] = ("street_center", "town_center")
#: Types that give a 社区/村 its own station or point ("一村（社区）一站（点）"): a 社区 only by a
#: 社区养老服务站; a 村 by a 村级互助养老点 or a station.
UNIT_TYPES: Mapping[str, tuple[str, ...]] = {
    "community": ("station",),
    "village": ("village_point", "station"),
}
#: Every type that is some unit's station or point (the union of :data:`UNIT_TYPES`).
STATION_TYPES: tuple[str, ...] = ("station", "village_point")
#: Types a new site may take, by the kind of the 社区/村 (or 街道/镇) it stands in.
TYPES_FOR_UNIT_KIND: Mapping[str, tuple[str, ...]] = {
    "community": ("station", "compound_point", "street_center", "town_center"),
    "village": ("village_point", "street_center", "town_center"),
    "street": ("street_center", "station", "compound_point", "village_point"),
    "town": ("town_center", "station", "compound_point", "village_point"),
}
SIZE_SOURCES: Mapping[str, str] = {
    "station": "001 附件1; 002 §13",
    "street_center": "001 附件1; 002 §13",
    "town_center": "001 附件1; 002 §17",
}


@dataclass(frozen=True)
class SizeStandards:
    """Minimum floor area (m²) and beds per type (001 annex 1; 002 §13, §17).

    ``station_small_m2`` applies in a 社区 with fewer than ``small_community_elderly`` older
    people ("老年人口较少的社区降低至200平方米"; the documents give no number for "few": the
    sharing rule's 500 is used, see :mod:`siting.indicators`).
    """

    station_m2: float = 300.0
    station_small_m2: float = 200.0
    street_center_m2: float = 1500.0
    street_center_beds: float = 20.0
    town_center_m2: float = 800.0
    small_community_elderly: float = 500.0

    def min_area(self, site_type: str, community_elderly: float = math.inf) -> float:
        if site_type == "station":
            small = community_elderly < self.small_community_elderly
            return self.station_small_m2 if small else self.station_m2
        if site_type == "street_center":
            return self.street_center_m2
        if site_type == "town_center":
            return self.town_center_m2
        return 0.0

    def min_beds(self, site_type: str) -> float:
        return self.street_center_beds if site_type == "street_center" else 0.0


#: ``[rules]`` keys of the size standards → :class:`SizeStandards` fields.
SIZE_KEYS: Mapping[str, str] = {
    "station_min_m2": "station_m2",
    "station_small_min_m2": "station_small_m2",
    "street_center_min_m2": "street_center_m2",
    "street_center_min_beds": "street_center_beds",
    "town_center_min_m2": "town_center_m2",
}


def size_standards(rules: Mapping[str, object], small_community_elderly: float) -> SizeStandards:
    """The size standards of a scenario's ``[rules]`` section (defaults: 001 annex 1)."""
    kw = {field: rules[key] for key, field in SIZE_KEYS.items() if key in rules}
    return SizeStandards(small_community_elderly=float(small_community_elderly), **kw)  # type: ignore[arg-type]


def fits_unit(types: np.ndarray, community_kind: np.ndarray, street_kind: np.ndarray) -> np.ndarray:
    """(n,) whether each type may stand where it is: in its 社区/村's kind and its 街道/镇's kind.

    A kind that is unknown (empty: the site lies outside every polygon) does not restrict.
    """
    types = np.asarray(types, dtype=object)
    ok = np.ones(len(types), dtype=bool)
    for kinds in (np.asarray(community_kind, dtype=object), np.asarray(street_kind, dtype=object)):
        for kind, allowed in TYPES_FOR_UNIT_KIND.items():
            sel = kinds == kind
            ok[sel] &= np.isin(types[sel], allowed)
    return ok


def meets_size(
    types: np.ndarray,
    floor_area_m2: np.ndarray,
    beds: np.ndarray,
    community_elderly: np.ndarray,
    standards: SizeStandards,
) -> np.ndarray:
    """(n,) whether each site is big enough for its type (unknown area or beds: yes)."""
    types = np.asarray(types, dtype=object)
    area = np.asarray(floor_area_m2, dtype=float)
    beds = np.asarray(beds, dtype=float)
    el = np.asarray(community_elderly, dtype=float)
    need_area = np.array(
        [standards.min_area(str(t), e) for t, e in zip(types, el, strict=True)], dtype=float
    )
    need_beds = np.array([standards.min_beds(str(t)) for t in types], dtype=float)
    ok_area = ~np.isfinite(area) | (area >= need_area - 1e-9)
    ok_beds = ~np.isfinite(beds) | (beds >= need_beds - 1e-9)
    return ok_area & ok_beds
