"""Running a solver on the model and reading what it really proved.

PuLP with CBC (default) or HiGHS (``solver = "highs"``, PuLP's highspy interface). The objective
and bound are returned in the objective's own sense (``model.sign``); a run is only called
``optimal`` when the solver says so *and* its bound is within ``mip_gap`` of the plan it returns,
else ``not_proven`` (the solver said optimal but its bound does not show it) or ``time_limit``.
CBC is never given a start: the CBC 2.10 bundled with PuLP can stop at a mipstart and call it
optimal (reproduced on a two-site capacitated instance whose LP bound was 3× better).
"""

from __future__ import annotations

import math
import os
import re
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pulp

from siting.errors import SitingError

if TYPE_CHECKING:
    from siting.model.formulation import Model
    from siting.model.settings import ModelSettings

__all__ = ["Run", "gap", "run_solver"]

_NUM = r"(-?\d[\d.]*(?:e[+-]?\d+)?|-?inf)"


@dataclass(frozen=True)
class Run:
    status: str  # optimal | not_proven | time_limit | infeasible | no_solution
    objective: float | None
    bound: float | None
    seconds: float


def gap(objective: float | None, bound: float | None) -> float | None:
    """Relative gap ``|bound − objective| / |objective|`` (None without both)."""
    if objective is None or bound is None:
        return None
    return abs(bound - objective) / max(abs(objective), 1e-9)


@contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Silence the process's standard output (file descriptor 1) for a block."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 1)
            yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


class _HiGHSStart(pulp.HiGHS):  # type: ignore[misc, valid-type]
    """PuLP's highspy interface with the variables' initial values passed as a start."""

    def __init__(self, *args: Any, start: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.start = start

    def createAndConfigureSolver(self, lp: pulp.LpProblem) -> None:
        with _quiet_stdout():  # highspy prints a banner when a model is created
            super().createAndConfigureSolver(lp)

    def callSolver(self, lp: pulp.LpProblem) -> None:
        if self.start:
            import highspy

            sol = highspy.HighsSolution()
            sol.col_value = [float(v.varValue or 0.0) for v in lp.variables()]
            sol.value_valid = True
            lp.solverModel.setSolution(sol)
        lp.solverModel.run()


def _cbc(**options: Any) -> pulp.LpSolver:
    """CBC: a ``cbc`` on the PATH (PuLP 4's way), else the binary bundled with PuLP 3."""
    coin = pulp.COIN_CMD(**options)
    if coin.available():
        return coin
    with (
        warnings.catch_warnings()
    ):  # PULP_CBC_CMD is deprecated for PuLP 4.0, still the bundled CBC
        warnings.simplefilter("ignore", DeprecationWarning)
        return pulp.PULP_CBC_CMD(**options)


def _certified(
    status: str, objective: float, bound: float | None, mip_gap: float
) -> tuple[str, float | None]:
    if status != "optimal":
        return status, bound
    if bound is None:
        return "optimal", objective
    g = gap(objective, bound)
    if g is not None and g > mip_gap + 1e-7:
        return "not_proven", bound
    return "optimal", bound


def run_solver(
    model: Model, settings: ModelSettings, *, start: bool, time_limit_s: float | None = None
) -> Run:
    """Solve ``model``; objective and bound in the objective's own sense."""
    prob = model.prob
    const = float(prob.objective.constant) if prob.objective is not None else 0.0
    sign = model.sign
    limit = max(1.0, float(settings.time_limit_s if time_limit_s is None else time_limit_s))
    t0 = time.perf_counter()
    if settings.solver == "highs":
        solver = _HiGHSStart(
            msg=False,
            timeLimit=limit,
            gapRel=settings.mip_gap,
            threads=settings.threads,
            start=start,
        )
        if not solver.available():
            raise SitingError(
                "solver = 'highs' needs the highspy package: pip install 'siting[highs]' "
                "(or use the default solver = 'cbc')"
            )
        prob.solve(solver)
        seconds = time.perf_counter() - t0
        hs = prob.solverModel
        info = hs.getInfo()
        mstatus = hs.modelStatusToString(hs.getModelStatus()).lower()
        has_solution = prob.sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible)
        bound = (
            sign * (float(info.mip_dual_bound) + const)
            if math.isfinite(info.mip_dual_bound)
            else None
        )
        if "infeasible" in mstatus:
            return Run("infeasible", None, None, seconds)
        if not has_solution:
            return Run("no_solution", None, bound, seconds)
        obj = model.objective_value()
        status, bound = _certified(
            "optimal" if mstatus == "optimal" else "time_limit", obj, bound, settings.mip_gap
        )
        return Run(status, obj, bound, seconds)
    with tempfile.TemporaryDirectory(prefix="siting-cbc-") as tmp:
        log_path = Path(tmp) / "cbc.log"
        solver = _cbc(
            msg=False,
            timeLimit=limit,
            gapRel=settings.mip_gap,
            warmStart=False,
            threads=settings.threads,
            logPath=str(log_path),
        )
        prob.solve(solver)
        seconds = time.perf_counter() - t0
        text = log_path.read_text(errors="replace") if log_path.exists() else ""
    result = re.search(r"Result - (.*)", text)
    result_text = result.group(1).lower() if result else ""
    # CBC's log is in the model's (minimisation) sense without the objective's constant
    found = re.findall(rf"(?:Upper|Lower) bound:\s+{_NUM}", text)
    relaxation = re.findall(rf"Continuous objective value is {_NUM}", text)
    bound = float(found[-1]) if found else (float(relaxation[-1]) if relaxation else None)
    bound = None if bound is None else sign * (bound + const)
    if prob.status == pulp.LpStatusInfeasible or "infeasible" in result_text:
        return Run("infeasible", None, None, seconds)
    if prob.sol_status not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        return Run("no_solution", None, bound, seconds)
    obj = model.objective_value()
    if result_text.startswith("optimal"):  # within mip_gap; CBC prints no final bound then
        return Run("optimal", obj, obj, seconds)
    return Run("time_limit", obj, bound, seconds)
