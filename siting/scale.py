"""How heavy computations run: in this process, or in spatial tiles on a Dask cluster.

The walking-time searches behind coverage (:func:`siting.coverage.coverage_matrix`, used for the
existing facilities and for the optimizer's candidate sites) read the current :class:`Compute`
settings. By default they run untiled in this process; inside ``with computing(tile_m=…,
executor=…)`` they are split into tiles of destinations with a halo as wide as the longest walk
(:func:`isochrones.tiles.od_times_tiled`) and the tiles run on the executor, e.g. the
``get_executor()`` of a ``dask.distributed.Client``. The results are identical either way.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

__all__ = ["Compute", "computing", "current"]


@dataclass(frozen=True)
class Compute:
    """Tile size (metres; None: untiled) and where the tiles run (None: this process)."""

    tile_m: float | None = None
    executor: Executor | None = None

    def __post_init__(self) -> None:
        if self.tile_m is not None and not self.tile_m > 0:
            raise ValueError(
                f"the tile size must be a positive number of metres, got {self.tile_m}"
            )


_UNTILED = Compute()
_CURRENT: ContextVar[Compute | None] = ContextVar("siting_compute", default=None)


def current() -> Compute:
    """The compute settings in effect."""
    return _CURRENT.get() or _UNTILED


@contextmanager
def computing(
    *, tile_m: float | None = None, executor: Executor | None = None
) -> Iterator[Compute]:
    """Run the coverage searches of the block in tiles of ``tile_m`` metres on ``executor``."""
    token = _CURRENT.set(Compute(tile_m=tile_m, executor=executor))
    try:
        yield current()
    finally:
        _CURRENT.reset(token)
