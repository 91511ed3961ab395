"""Running a solver on the model, and what a run may be called.

PuLP with CBC (default) or HiGHS (``solver = "highs"``, PuLP's highspy interface).
:func:`run_solver` reads what the solver says (its status, its objective, its bound) and leaves the
plan in the model's variables; :func:`certify` decides what the run may be called, trusting none
of it. The plan's objective is recomputed from the problem's data (the coverage matrix, the
weights, the costs: :func:`siting.model.result.plan_objective`) and the run is

- ``objective_mismatch`` when the objective the solver reports, or the model's own value of the
  plan, differs from the recomputed one by more than :data:`OBJECTIVE_RTOL` (the caller logs a
  warning: the solver's claims about this plan cannot be trusted);
- ``optimal`` only when the solver says so *and* its bound is within ``mip_gap`` of the
  recomputed objective;
- ``not_proven`` when the solver says optimal but its bound does not show it;
- ``time_limit``, ``infeasible`` or ``no_solution`` otherwise.

Objectives and bounds are in the objective's own sense (``model.sign``), with its constant.
:func:`solver_versions` gives the versions of PuLP and of both solvers (for a run manifest); every
run records the version of the solver that ran (CBC's from the banner of its log).

CBC is never given a start: the CBC 2.10 bundled with PuLP can stop at a mipstart and call it
optimal (reproduced on a two-site capacitated instance whose LP bound was 3× better).

HiGHS is given the greedy start, but not with presolve on from highspy 1.16
(:func:`highs_presolve_with_start`). Observed on the set-covering problem (LSCP: fewest sites
covering every node) of Swain's 55 nodes, both public copies, service distances 4–30 (54
instances). In highspy itself, with a greedy start (most uncovered nodes first): highspy 1.16.0
with presolve on returned the start unchanged as "Optimal" in 15 of the 54, with an objective and
a bound equal to each other, below the start's own objective and sometimes below the true optimum
(distance 11: the 8-site start returned, objective and bound reported as 5, the optimum is 7).
highspy 1.11.0, 1.14.0 and 1.15.1 solved all 54 correctly, and so did 1.16.0 with presolve off,
or without a start. Through this tool (HiGHS given its greedy start for the least-cost stage),
28 of the 54 were not proven optimal before this check and the workaround, 23 of them with more
sites than needed (distance 15: 7 where 5 suffice); with the check alone all 28 are
``objective_mismatch``; with presolve off for the start all 54 are optimal and equal to CBC
(``tests/siting/test_certified.py``). Solves with a start and presolve off took about as long as
with presolve on (3,000 points × 300 sites: 7.7 s against 13.9 s and 8.0 s against 9.7 s for the
two slowest of six instances, 3.3 s against 2.1 s for the next). Versions after 1.16 are treated
like 1.16 until the sweep of that test passes with presolve on.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
import re
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pulp

from siting.errors import SitingError

if TYPE_CHECKING:
    from siting.model.formulation import Model
    from siting.model.settings import ModelSettings

__all__ = [
    "OBJECTIVE_RTOL",
    "Run",
    "agrees",
    "certify",
    "gap",
    "highs_presolve_with_start",
    "run_solver",
    "solver_versions",
    "version_of",
]

_NUM = r"(-?\d[\d.]*(?:e[+-]?\d+)?|-?inf)"
#: Relative tolerance of two values of one objective (the solver's and the recomputed one).
OBJECTIVE_RTOL = 1e-6
#: The first highspy version that mishandles a start with presolve on (see the module docstring).
_HIGHS_START_BUG_FROM = (1, 16)


@dataclass(frozen=True)
class Run:
    """One solve, in the objective's own sense.

    Attributes
    ----------
    status
        {"optimal", "not_proven", "objective_mismatch", "time_limit", "infeasible",
        "no_solution"}: what the run may be called (:func:`certify`).
    objective
        The plan's objective: the model's value of the variables as the solver left them, and
        after :func:`certify` the value recomputed from the problem's data when there is one.
    bound
        The solver's bound (None: none reported).
    seconds
        Wall time of the solve.
    solver_status, solver_objective
        What the solver itself said: its status ({"optimal", "time_limit", "infeasible",
        "no_solution"}) and the objective it reported for its plan.
    solver_version
        Version of the solver that ran (CBC's from its log's banner).
    presolve
        HiGHS: whether presolve was on (None: CBC).
    """

    status: str
    objective: float | None
    bound: float | None
    seconds: float
    solver_status: str = ""
    solver_objective: float | None = None
    solver_version: str = ""
    presolve: bool | None = None


def gap(objective: float | None, bound: float | None) -> float | None:
    """Relative gap ``|bound − objective| / |objective|`` (None without both)."""
    if objective is None or bound is None:
        return None
    return abs(bound - objective) / max(abs(objective), 1e-9)


def agrees(a: float, b: float, *, rtol: float = OBJECTIVE_RTOL) -> bool:
    """Whether two values of one objective are equal within ``rtol`` (relative, at least absolute)."""
    return abs(a - b) <= rtol * (1.0 + max(abs(a), abs(b)))


def certify(run: Run, recomputed: float | None, *, mip_gap: float) -> Run:
    """What ``run`` may be called, given its plan's objective recomputed from the problem's data.

    ``recomputed`` None: no independent value (the elastic re-solve); the solver's objective is
    then checked against the model's value of the plan only. ``optimal`` needs the solver's word,
    objectives that agree (:func:`agrees`) and a bound within ``mip_gap`` of the plan's objective
    (plus :data:`OBJECTIVE_RTOL`); a disagreement is ``objective_mismatch`` whatever the solver said.
    """
    said = run.solver_status or run.status
    if said not in ("optimal", "time_limit") or run.objective is None:
        return dataclasses.replace(run, solver_status=said)
    value = run.objective if recomputed is None else float(recomputed)
    claims = [c for c in (run.solver_objective, run.objective) if c is not None]
    if not all(agrees(c, value) for c in claims):
        status = "objective_mismatch"
    elif said == "optimal" and run.bound is not None and not _within_gap(value, run.bound, mip_gap):
        status = "not_proven"
    else:
        status = said
    return dataclasses.replace(run, status=status, objective=value, solver_status=said)


def _within_gap(objective: float, bound: float, mip_gap: float) -> bool:
    slack = mip_gap * abs(objective) + OBJECTIVE_RTOL * (1.0 + abs(objective))
    return abs(bound - objective) <= slack


def highs_presolve_with_start(version: str) -> bool:
    """Whether HiGHS ``version`` may run presolve on a model given a start (an unreadable
    version: no). False from highspy 1.16, which can return the start as optimal with a wrong
    objective and bound (see the module docstring)."""
    parts = re.findall(r"\d+", version)[:2]
    if len(parts) < 2:
        return False
    return (int(parts[0]), int(parts[1])) < _HIGHS_START_BUG_FROM


@functools.cache
def _highspy_version() -> str | None:
    try:
        return package_version("highspy")
    except PackageNotFoundError:
        return None


def _banner_version(text: str) -> str:
    found = re.search(r"Version:\s*(\S+)", text)
    return found.group(1) if found else ""


@functools.cache
def solver_versions() -> dict[str, str | None]:
    """The versions of PuLP and of the solvers it runs, for a run manifest.

    Returns
    -------
    dict
        ``pulp``; ``cbc`` (from the banner of the CBC binary PuLP runs) and ``cbc_path`` (that
        binary); ``highspy`` (the package, which bundles the HiGHS of the same version). None: not
        installed or not readable.
    """
    out: dict[str, str | None] = {"pulp": pulp.__version__, "cbc": None, "cbc_path": None}
    path = _cbc().path
    if path:
        out["cbc_path"] = str(path)
        try:
            text = subprocess.run(
                [str(path), "-quit"],
                capture_output=True,
                text=True,
                timeout=30,
                stdin=subprocess.DEVNULL,
                check=False,
            ).stdout
            out["cbc"] = _banner_version(text) or None
        except (OSError, subprocess.SubprocessError):
            pass
    out["highspy"] = _highspy_version()
    return out


def version_of(solver: str) -> str:
    """The version of ``solver`` ({"cbc", "highs"}) here ("" when unknown)."""
    return solver_versions()["cbc" if solver == "cbc" else "highspy"] or ""


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
    """PuLP's highspy interface with the variables' initial values passed as a start (presolve
    off for it where :func:`highs_presolve_with_start` says so)."""

    def __init__(self, *args: Any, start: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.start = start
        self.version = _highspy_version() or ""
        self.presolve = not start or highs_presolve_with_start(self.version)

    def createAndConfigureSolver(self, lp: pulp.LpProblem) -> None:
        with _quiet_stdout():  # highspy prints a banner when a model is created
            super().createAndConfigureSolver(lp)
        if not self.presolve:
            lp.solverModel.setOptionValue("presolve", "off")

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


def run_solver(
    model: Model, settings: ModelSettings, *, start: bool, time_limit_s: float | None = None
) -> Run:
    """Solve ``model``: what the solver says, uncertified (see :func:`certify`).

    ``objective`` is the model's value of the variables the solver leaves, ``solver_objective``
    the objective the solver reports; both, and the bound, in the objective's own sense.
    """
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
        ran = dict(solver_version=solver.version, presolve=solver.presolve)
        if "infeasible" in mstatus:
            return Run("infeasible", None, None, seconds, solver_status="infeasible", **ran)
        if not has_solution:
            return Run("no_solution", None, bound, seconds, solver_status="no_solution", **ran)
        reported = float(info.objective_function_value)
        status = "optimal" if mstatus == "optimal" else "time_limit"
        return Run(
            status,
            model.objective_value(),
            bound,
            seconds,
            solver_status=status,
            solver_objective=sign * (reported + const) if math.isfinite(reported) else None,
            **ran,
        )
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
    version = _banner_version(text)
    result = re.search(r"Result - (.*)", text)
    result_text = result.group(1).lower() if result else ""
    # CBC's log is in the model's (minimisation) sense without the objective's constant
    found = re.findall(rf"(?:Upper|Lower) bound:\s+{_NUM}", text)
    relaxation = re.findall(rf"Continuous objective value is {_NUM}", text)
    bound = float(found[-1]) if found else (float(relaxation[-1]) if relaxation else None)
    bound = None if bound is None else sign * (bound + const)
    reported = re.findall(rf"Objective value:\s+{_NUM}", text)
    solver_objective = sign * (float(reported[-1]) + const) if reported else None
    if prob.status == pulp.LpStatusInfeasible or "infeasible" in result_text:
        return Run("infeasible", None, None, seconds, "infeasible", solver_version=version)
    if prob.sol_status not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        return Run("no_solution", None, bound, seconds, "no_solution", solver_version=version)
    status = "optimal" if result_text.startswith("optimal") else "time_limit"
    if status == "optimal" and not ("within gap tolerance" in result_text and found):
        # proven optimal: CBC prints no final bound then. Stopped within mip_gap, it prints the
        # bound it proved, which is kept (the plan may be short of the optimum by the gap)
        bound = solver_objective if solver_objective is not None else model.objective_value()
    return Run(
        status,
        model.objective_value(),
        bound,
        seconds,
        solver_status=status,
        solver_objective=solver_objective,
        solver_version=version,
    )
