"""PuLP details shared by the model's modules: creating variables, the constraint senses."""

from __future__ import annotations

from typing import Any

import pulp

__all__ = ["SENSE", "new_var"]

SENSE = {">=": pulp.LpConstraintGE, "<=": pulp.LpConstraintLE, "==": pulp.LpConstraintEQ}


def new_var(
    prob: pulp.LpProblem,
    name: str,
    low: float | None,
    up: float | None,
    cat: str = pulp.LpContinuous,
) -> Any:
    """A variable of ``prob`` (PuLP ≥ 3.3 creates them through the problem)."""
    if hasattr(prob, "add_variable"):
        return prob.add_variable(name, low, up, cat=cat)
    return pulp.LpVariable(name, low, up, cat)  # pragma: no cover - older PuLP
