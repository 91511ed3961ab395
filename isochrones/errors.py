"""Exceptions and the problem record shared by every loader.

Validation collects every problem it finds, then raises once, so a user fixes a file in one pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

__all__ = ["IsochronesError", "NetworkInputError", "Problem", "format_problems"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as precisely as possible.

    Parameters
    ----------
    source
        The file (and layer) the problem is in.
    message
        What is wrong.
    row
        The row, feature id or OSM id concerned, if any.
    column
        The column or tag concerned, if any.
    hint
        How to fix it.
    severity
        ``"error"`` stops the run; ``"warning"`` is reported and the run goes on.
    """

    source: str
    message: str
    row: int | str | None = None
    column: str | None = None
    hint: str | None = None
    severity: str = "error"

    def __str__(self) -> str:
        where = self.source
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column '{self.column}'"
        text = f"{where}: {self.message}"
        if self.hint:
            text += f" — {self.hint}"
        return text


def format_problems(
    problems: Iterable[Problem],
    *,
    limit: int = 50,
    render: Callable[[Problem], str] = str,
    more: str = "  ... and {n} more",
) -> str:
    """Render problems one per line (each through ``render``), at most ``limit`` of them plus a
    line ``more`` with the count ``n`` of the rest."""
    problems = list(problems)
    lines = [f"  - {render(p)}" for p in problems[:limit]]
    if len(problems) > limit:
        lines.append(more.format(n=len(problems) - limit))
    return "\n".join(lines)


class IsochronesError(Exception):
    """Base class of every error raised by :mod:`isochrones`."""


class NetworkInputError(IsochronesError, ValueError):
    """A road network, DEM or point layer cannot be used as given.

    ``problems`` lists every problem found; the message shows them all.
    """

    def __init__(self, summary: str, problems: Iterable[Problem] = ()) -> None:
        self.problems = list(problems)
        text = summary
        if self.problems:
            text += "\n" + format_problems(self.problems)
        super().__init__(text)
