"""Outputs appear whole or not at all.

Every file is written to a temporary name in its target folder and moved into place with
``os.replace`` (atomic on one file system) only after it was written completely; on any error the
temporary file is removed and the previous output, if any, is left untouched.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from siting.errors import InputError, Problem

__all__ = ["atomic_path", "ensure_writable_dir", "output_folder"]


def _not_writable(folder: Path, reason: str) -> InputError:
    return InputError(
        f"cannot write to the output folder {folder}: {reason}",
        [
            Problem(
                str(folder),
                "output folder is not writable",
                hint="choose another folder with [output] dir or --out",
            )
        ],
    )


def _missing_top(folder: Path) -> Path | None:
    """The outermost folder of ``folder``'s path that does not exist yet (None if it exists)."""
    top = None
    for parent in (folder, *folder.parents):
        if parent.exists():
            break
        top = parent
    return top


def ensure_writable_dir(folder: Path) -> Path:
    """Check that ``folder`` could be created and written in, creating nothing.

    An existing folder is probed with a temporary file (removed at once); a missing one is probed
    in its nearest existing parent, so a run that fails later leaves no empty folder behind. The
    writers create the folder when they write (:func:`atomic_path`).
    """
    folder = Path(folder)
    probe_in = next(p for p in (folder, *folder.parents) if p.exists())
    if not probe_in.is_dir():
        raise _not_writable(folder, f"{probe_in} is a file, not a folder")
    try:
        with tempfile.NamedTemporaryFile(dir=probe_in, prefix=".siting-probe-"):
            pass
    except OSError as exc:
        raise _not_writable(folder, exc.strerror or str(exc)) from None
    return folder


def _make_dir(folder: Path) -> Path:
    """Create ``folder`` (and its parents) if needed; a clear error if that is impossible."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _not_writable(folder, exc.strerror or str(exc)) from None
    return folder


@contextmanager
def output_folder(folder: Path) -> Iterator[Path]:
    """Check ``folder`` (:func:`ensure_writable_dir`); if the block fails, remove what it created.

    A folder that existed before is left as it was (the files in it are replaced atomically,
    :func:`atomic_path`); one the block created — with everything written into it — is removed,
    so a failed run leaves no output folder.
    """
    folder = ensure_writable_dir(folder)
    top = _missing_top(folder)
    try:
        yield folder
    except BaseException:
        if top is not None and top.exists():
            shutil.rmtree(top, ignore_errors=True)
        raise


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; move it onto ``target`` when the block succeeds.

    Examples
    --------
    >>> with atomic_path(out / "table.csv") as tmp:  # doctest: +SKIP
    ...     frame.to_csv(tmp)
    """
    target = Path(target)
    _make_dir(target.parent)
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
