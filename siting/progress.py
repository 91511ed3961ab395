"""Progress of long steps: counted in the library, drawn by the command line.

A long loop (the curve's solves, a plan's years, the districts of a city run, the tiles of a
tiled coverage, the isochrones of the sites) reports ``advance(done, total)`` after each item;
nothing happens unless a reporter is installed. The command line installs one for each stage
with :func:`stage_progress`: a rich progress line with the stage's name, a bar, ``done/total``,
the time spent and the time left; before the first count it is a spinner.

The reporter is held in a context variable of the thread that runs the stage; loops report
from that thread (worker threads and Dask tasks do not report: their results are counted as the
loop collects them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

__all__ = ["advance", "reporting", "stage_progress", "tracked"]

Reporter = Callable[[int, int], None]

_REPORTER: ContextVar[Reporter | None] = ContextVar("siting_progress", default=None)

T = TypeVar("T")


def advance(done: int, total: int) -> None:
    """Report that ``done`` of ``total`` items of the current step are finished."""
    reporter = _REPORTER.get()
    if reporter is not None and total > 0:
        reporter(int(done), int(total))


def tracked(items: Iterable[T], total: int | None = None) -> Iterator[T]:
    """``items``, reporting each one done (``total`` default ``len(items)``)."""
    if total is None:
        total = len(items)  # type: ignore[arg-type]
    for i, item in enumerate(items):
        yield item
        advance(i + 1, total)


@contextmanager
def reporting(reporter: Reporter | None) -> Iterator[None]:
    """Install ``reporter`` for the steps run inside the block."""
    token = _REPORTER.set(reporter)
    try:
        yield
    finally:
        _REPORTER.reset(token)


@contextmanager
def stage_progress(console, description: str) -> Iterator[None]:
    """A transient progress line for one stage on ``console`` (nothing is drawn without a
    console or when it is not a terminal: output to a pipe or a file stays free of it).

    A spinner until the stage reports a count, then a bar with ``done/total``, elapsed and
    remaining time (rich's estimate from the rate so far).
    """
    if console is None or not console.is_terminal:  # a pipe or a file: no live line to redraw
        yield
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=None)

        def report(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        with reporting(report):
            yield
