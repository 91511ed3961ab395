"""The stage timer: wall time, CPU time of threads and of the solver's subprocess, peak memory."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

from siting.stages import StageTimer

BURN = "import time\nt = time.process_time()\nwhile time.process_time() - t < {s}: pass\n"


def burn(seconds: float) -> None:
    t = time.process_time()
    while time.process_time() - t < seconds:
        pass


def test_cpu_time_counts_threads_and_waited_child_processes():
    timer = StageTimer()
    with timer.stage("idle") as info:
        time.sleep(0.3)
        info["note"] = "slept"
    with timer.stage("child"):
        subprocess.run([sys.executable, "-c", BURN.format(s=0.4)], check=True)
    with timer.stage("thread"):
        worker = threading.Thread(target=burn, args=(0.3,))
        worker.start()
        worker.join()
    idle, child, thread = timer.records
    assert idle.note == "slept" and idle.seconds >= 0.3
    assert idle.cpu_seconds < 0.15, "sleeping costs (almost) no CPU"
    assert child.cpu_seconds >= 0.4, "the solver's subprocess is part of the stage's cost"
    assert thread.cpu_seconds >= 0.3
    assert timer.total_cpu_seconds == sum(r.cpu_seconds for r in timer.records)
    assert all(r.peak_rss_mb > 0 for r in timer.records)
