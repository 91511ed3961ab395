"""Outputs appear whole or not at all.

Every file is written to a temporary name in its target folder and moved into place with
``os.replace`` (atomic on one file system) only after it was written completely; on any error the
temporary file is removed and the previous output, if any, is left untouched.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from siting.errors import InputError, Problem

__all__ = ["atomic_path", "ensure_writable_dir"]


def ensure_writable_dir(folder: Path) -> Path:
    """Create ``folder`` if needed and check that files can be written in it."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".siting-probe-"):
            pass
    except OSError as exc:
        raise InputError(
            f"cannot write to the output folder {folder}: {exc.strerror or exc}",
            [
                Problem(
                    str(folder),
                    "output folder is not writable",
                    hint="choose another folder with [output] dir or --out",
                )
            ],
        ) from None
    return folder


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; move it onto ``target`` when the block succeeds.

    Examples
    --------
    >>> with atomic_path(out / "table.csv") as tmp:  # doctest: +SKIP
    ...     frame.to_csv(tmp)
    """
    target = Path(target)
    ensure_writable_dir(target.parent)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}-", suffix=target.suffix)
    os.close(fd)
    tmp = Path(name)
    tmp.unlink()  # writers such as GDAL want to create the file themselves
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
