"""Wall time, CPU time and peak memory of each stage of a run.

CPU time is the user and system time spent during the stage by the process (every thread,
``time.process_time``) and by the child processes it waited for (the CBC solver): the measure of
cost that threads and subprocesses do not hide.

Peak memory is the highest resident set size (RSS) of the process seen while the stage ran,
sampled every 20 ms by a background thread (``ru_maxrss`` cannot be reset between stages).
"""

from __future__ import annotations

import resource
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
    cpu_seconds: float = 0.0


def _cpu_seconds() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


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
        cpu = _cpu_seconds()
        thread.start()
        try:
            yield info
        finally:
            stop.set()
            thread.join()
            peak[0] = max(peak[0], proc.memory_info().rss)
            self.records.append(
                StageRecord(
                    name,
                    time.perf_counter() - start,
                    peak[0] / 2**20,
                    info.get("note", ""),
                    _cpu_seconds() - cpu,
                )
            )

    @property
    def total_seconds(self) -> float:
        return sum(r.seconds for r in self.records)

    @property
    def total_cpu_seconds(self) -> float:
        return sum(r.cpu_seconds for r in self.records)
