"""The siting model: one problem, one set of rules, one solve path, one result, for one year or five.

The flow shows in the modules: :mod:`~siting.model.settings` (options) →
:mod:`~siting.model.build` (a district → :class:`~siting.model.problem.SitingProblem`) →
:mod:`~siting.model.rules` (the policy rules, one unit each) and :mod:`~siting.model.money` →
:mod:`~siting.model.formulation` (the MIP) → :mod:`~siting.model.solving` (stages, solver,
explanations) → :mod:`~siting.model.result` (the frozen :class:`~siting.model.result.SitingResult`).
``siting optimize`` (:mod:`siting.optimize`) and ``siting plan`` (:mod:`siting.plan`) are two front
doors to it; tables and maps are the deliverables' business.
"""

from siting.model.build import build_problem
from siting.model.problem import SitingProblem
from siting.model.result import SitingResult, coverage_fraction
from siting.model.settings import Milestone, ModelSettings, PlannedBuild, Quota
from siting.model.solving import evaluate, solve

__all__ = [
    "Milestone",
    "ModelSettings",
    "PlannedBuild",
    "Quota",
    "SitingProblem",
    "SitingResult",
    "build_problem",
    "coverage_fraction",
    "evaluate",
    "solve",
]
