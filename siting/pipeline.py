"""The whole pipeline of ``siting run``: inputs → walking network → coverage → siting → outputs.

Each stage takes the previous stage's plain objects and is timed by a :class:`StageTimer`.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from siting.i18n import Language, label
from siting.io import Inputs, load_inputs
from siting.scenario import Scenario
from siting.stages import StageTimer

__all__ = ["RunResult", "run_pipeline"]


@dataclass(frozen=True)
class RunResult:
    """What a run produced: the validated inputs and the files written."""

    scenario: Scenario
    inputs: Inputs
    outputs: tuple[Path, ...] = field(default=())


def run_pipeline(
    scenario: Scenario, *, timer: StageTimer | None = None, console=None, lang: Language = "zh"
) -> RunResult:
    """Run every stage of the pipeline on ``scenario``."""
    timer = timer or StageTimer()

    def status(name: str):
        return console.status(name) if console is not None else nullcontext()

    name = label("stage_load", lang)
    with status(name), timer.stage(name) as info:
        inputs = load_inputs(scenario)
        info["note"] = f"{len(inputs.communities):,} 社区/村"
    return RunResult(scenario=scenario, inputs=inputs)
