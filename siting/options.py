"""The columns a siting model chooses from, shared by the single-year and multi-year models.

Both :func:`siting.optimize.build_problem` and :func:`siting.plan.build_plan` build *blocks*: a
:class:`~siting.coverage.CoverageMatrix` over some sites (existing facilities, candidates, upgrades)
and a dict of per-column fields (scalars or arrays). :func:`assemble_options` stacks the blocks into
one matrix and one table, gives every column its id (``site`` for an existing facility, else
``site:type``) and locates it in its 街道/镇 and 社区/村.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from siting.coverage import CoverageMatrix
from siting.policy import locate

if TYPE_CHECKING:
    from siting.io import Inputs

__all__ = ["assemble_options", "column_values"]


def column_values(
    frame: pd.DataFrame | None, name: str, rows: np.ndarray, default: Any = np.nan
) -> np.ndarray:
    """``frame[name]`` at positions ``rows``, or ``default`` everywhere when there is no such column."""
    if frame is None or name not in frame:
        return np.full(len(rows), default, dtype=object if isinstance(default, str) else float)
    return frame[name].to_numpy()[rows]


def assemble_options(
    blocks: Sequence[tuple[CoverageMatrix, Mapping[str, Any]]],
    inputs: Inputs,
    *,
    id_column: str,
) -> tuple[CoverageMatrix, pd.DataFrame]:
    """Stack the blocks: one matrix (columns in block order) and one table of their fields.

    The table gets ``id_column`` first (``site_id`` for ``action == "existing"``, else
    ``site_id:type``) and the ``street`` and ``community`` positions each column lies in
    (:func:`~siting.policy.locate`, −1 outside).
    """
    matrix = blocks[0][0]
    for mat, _ in blocks[1:]:
        matrix = matrix.hstack(mat)
    table = pd.concat(
        [
            pd.DataFrame(
                {k: (v if np.ndim(v) else np.full(mat.shape[1], v)) for k, v in cols.items()}
            )
            for mat, cols in blocks
        ],
        ignore_index=True,
    )
    table.insert(
        0,
        id_column,
        np.where(
            table["action"] == "existing",
            table["site_id"],
            table["site_id"] + ":" + table["type"].astype(str),
        ),
    )
    geoms = matrix.site_geometry
    table["street"] = locate(geoms, np.asarray(inputs.streets.geometry.array, dtype=object))
    table["community"] = locate(geoms, np.asarray(inputs.communities.geometry.array, dtype=object))
    return matrix, table
