"""What every command tells the user after a run: the warnings, and what was attached to the streets.

:func:`run_warnings` gathers the warnings of the inputs (e.g. no DEM), of the walking graph and of the
coverage (homes and facilities not attached to a street or on islands), once each;
:func:`attachment` counts the facilities, candidate sites and homes attached to the walking network,
and those on islands cut off from its main part. Both are pure: the CLI prints them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from isochrones import WalkGraph
from isochrones.snap import snap_points
from siting.coverage import CoverageResult, snap_demand
from siting.errors import Problem
from siting.io import Inputs

__all__ = [
    "Attached",
    "Attachment",
    "attachment",
    "attachment_of",
    "attachment_problems",
    "run_warnings",
]


def run_warnings(
    inputs: Inputs | None, graph: WalkGraph | None, coverage: CoverageResult | None
) -> tuple[Problem, ...]:
    """Every warning of the inputs, the walking graph and the coverage, each once, in that order."""
    seen: set[tuple] = set()
    out: list[Problem] = []
    for group in (
        inputs.warnings if inputs is not None else (),
        graph.problems if graph is not None else (),
        coverage.problems if coverage is not None else (),
    ):
        for p in group:
            key = (p.source, p.message, p.row)
            if key not in seen:
                seen.add(key)
                out.append(p)
    return tuple(out)


@dataclass(frozen=True)
class Attached:
    """How many of a set of points were attached to the walking network."""

    what: str
    total: int
    attached: int
    on_islands: int
    #: median straight distance from the points to the nearest walkable street, m (NaN if none)
    median_access_m: float = float("nan")

    @property
    def not_attached(self) -> int:
        return self.total - self.attached

    @property
    def share(self) -> float:
        """Attached share (1 when there is nothing to attach)."""
        return self.attached / self.total if self.total else 1.0


@dataclass(frozen=True)
class Attachment:
    """Facilities, candidate sites and homes (demand points) attached to the walking network."""

    facilities: Attached
    candidates: Attached | None
    homes: Attached

    def items(self) -> tuple[Attached, ...]:
        return tuple(a for a in (self.facilities, self.candidates, self.homes) if a is not None)

    def text(self, lang: str = "en") -> str:
        """One line, e.g. ``attached to the walking network: facilities 13 of 14 (1 on islands); …``."""
        words = _WORDS["zh" if lang == "zh" else "en"]
        parts = []
        for a in self.items():
            part = words["count"].format(what=words[a.what], n=a.attached, total=a.total)
            extra = []
            if a.not_attached:
                extra.append(words["far"].format(n=a.not_attached))
            if a.on_islands:
                extra.append(words["islands"].format(n=a.on_islands))
            if extra:
                part += words["paren"].format(words["sep"].join(extra))
            parts.append(part)
        return words["title"] + words["join"].join(parts)


_WORDS = {
    "en": {
        "title": "attached to the walking network: ",
        "count": "{what} {n:,} of {total:,}",
        "far": "{n:,} too far from a street",
        "islands": "{n:,} on islands",
        "paren": " ({})",
        "sep": ", ",
        "join": "; ",
        "facilities": "facilities",
        "candidates": "candidate sites",
        "homes": "homes",
    },
    "zh": {
        "title": "接入步行网络：",
        "count": "{what} {n:,}/{total:,}",
        "far": "{n:,} 个距道路过远",
        "islands": "{n:,} 个在孤立路网上",
        "paren": "（{}）",
        "sep": "，",
        "join": "；",
        "facilities": "现有设施",
        "candidates": "候选点",
        "homes": "居住点",
    },
}


def _count(what: str, graph: WalkGraph, snapped) -> Attached:
    ok = snapped.is_snapped
    island = graph.component[graph.edge_u[snapped.edge_row[ok]]] != 0
    access = np.asarray(snapped.access_m, dtype=float)
    access = access[np.isfinite(access)]
    median = float(np.median(access)) if len(access) else float("nan")
    return Attached(what, len(ok), int(ok.sum()), int(np.count_nonzero(island)), median)


#: What each kind of point is, in messages, and the input that holds it.
_ATTACH_WHAT = {
    "facilities": ("existing facilities", "facilities"),
    "candidates": ("candidate sites", "candidates"),
    "homes": ("homes (demand points)", "buildings"),
}


def attachment_problems(
    inputs: Inputs,
    att: Attachment,
    *,
    max_snap_m: float,
    min_share: float,
) -> list[Problem]:
    """An error for each kind of point of which the network attaches less than ``min_share``.

    A network that reaches almost none of the homes or facilities is in another place or another
    coordinate system (or the points are): the coverage would be near 0 % and the siting model
    would happily "optimise" it, so this stops the run instead (``[validation]
    min_attached_share``, :mod:`siting.plausibility`).
    """
    specs = inputs.scenario.inputs
    network = specs["network"].label if "network" in specs else "network"
    out = []
    for a in att.items():
        if a.total == 0 or a.share >= min_share:
            continue
        what, input_name = _ATTACH_WHAT[a.what]
        source = specs[input_name].label if input_name in specs else network
        distance = (
            f"; their median distance to the nearest walkable street is {a.median_access_m:,.0f} m"
            if np.isfinite(a.median_access_m)
            else ""
        )
        out.append(
            Problem(
                source,
                f"the road network ({network}) attaches only {a.attached:,} of {a.total:,} "
                f"{what} ({a.share:.0%}) within [walking] max_snap_m = {max_snap_m:g} m"
                f"{distance}; at least {min_share:.0%} must be attached "
                f"([validation] min_attached_share = {min_share:g})",
                hint="the network and these points are not in the same place: check that the "
                "network covers this district and the coordinate systems (crs/coords) of "
                f"[inputs.network] and [inputs.{input_name}]; if the network is known to be "
                "partial, lower [validation] min_attached_share",
            )
        )
    return out


def attachment(inputs: Inputs, graph: WalkGraph, coverage: CoverageResult) -> Attachment:
    """Count what the coverage attached, snapping as it does (``[walking] max_snap_m``)."""
    max_snap_m = coverage.settings.max_snap_m
    homes = snap_demand(graph, coverage.demand, max_snap_m=max_snap_m)
    return attachment_of(inputs, graph, homes, max_snap_m=max_snap_m)


def attachment_of(inputs: Inputs, graph: WalkGraph, homes, *, max_snap_m: float) -> Attachment:
    """Count the facilities and candidate sites attached (snapped here) and the homes (``homes``:
    the demand points already snapped, :func:`siting.coverage.snap_demand`)."""

    def sites(gdf, what: str) -> Attached:
        if gdf is None or len(gdf) == 0:
            return Attached(what, 0, 0, 0)
        return _count(what, graph, snap_points(graph, gdf.geometry, max_snap_m=max_snap_m))

    return Attachment(
        facilities=sites(inputs.facilities, "facilities"),
        candidates=sites(inputs.candidates, "candidates")
        if inputs.candidates is not None
        else None,
        homes=_count("homes", graph, homes),
    )
