"""Wall time and peak memory of each stage of a run.

Peak memory is the highest resident set size (RSS) of the process seen while the stage ran,
sampled every 20 ms by a background thread (``ru_maxrss`` cannot be reset between stages).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import psutil

__all__ = ["StageRecord", "StageTimer"]


@dataclass(frozen=True)
class StageRecord:
    """One finished stage."""

    name: str
    seconds: float
    peak_rss_mb: float
    note: str = ""


@dataclass
class StageTimer:
    """Records stages as they run: ``with timer.stage("name"): ...``."""

    interval_s: float = 0.02
    records: list[StageRecord] = field(default_factory=list)

    @contextmanager
    def stage(self, name: str) -> Iterator[dict]:
        """Time a stage; the yielded dict may receive a ``note`` to show in the table."""
        proc = psutil.Process()
        peak = [proc.memory_info().rss]
        stop = threading.Event()

        def sample() -> None:
            while not stop.wait(self.interval_s):
                peak[0] = max(peak[0], proc.memory_info().rss)

        thread = threading.Thread(target=sample, daemon=True)
        info: dict = {}
        start = time.perf_counter()
        thread.start()
        try:
            yield info
        finally:
            stop.set()
            thread.join()
            peak[0] = max(peak[0], proc.memory_info().rss)
            self.records.append(
                StageRecord(
                    name, time.perf_counter() - start, peak[0] / 2**20, info.get("note", "")
                )
            )

    @property
    def total_seconds(self) -> float:
        return sum(r.seconds for r in self.records)
