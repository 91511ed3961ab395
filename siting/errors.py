"""The exception tree of :mod:`siting`.

``SitingError`` → ``InputError`` (→ ``ScenarioError``, ``OutputError``), ``InfeasibleError``.
Input errors carry every :class:`~isochrones.errors.Problem` found, so a user fixes a file in one pass.
"""

from __future__ import annotations

from collections.abc import Iterable

from isochrones.errors import Problem, format_problems

__all__ = [
    "InfeasibleError",
    "InputError",
    "OutputError",
    "Problem",
    "ScenarioError",
    "SitingError",
]


class SitingError(Exception):
    """Base class of every error raised by :mod:`siting`."""


class InputError(SitingError, ValueError):
    """An input file or value cannot be used as given; ``problems`` lists every problem found."""

    def __init__(self, summary: str, problems: Iterable[Problem] = ()) -> None:
        self.problems = list(problems)
        text = summary
        if self.problems:
            text += "\n" + format_problems(self.problems)
        super().__init__(text)


class ScenarioError(InputError):
    """The scenario file is malformed: unknown key, wrong type, bad value, circular ``extends``."""


class OutputError(InputError):
    """The outputs cannot be written where asked: not writable, locked by another command, or
    the place of an input (:mod:`siting.transaction`). Nothing was written."""


class InfeasibleError(SitingError):
    """No plan satisfies the constraints; the message names the constraint group and the numbers."""
