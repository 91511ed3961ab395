"""Every command is a transaction: its outputs appear together, or not at all.

A :class:`Transaction` covers the folders (and single files, such as a map in ``maps/``) a command
writes. While it is open:

- each target is **locked** (a lock file per target in the system's temporary folder, held with
  the operating system's file lock through :mod:`filelock`, so a killed process frees it); a
  second command writing to the same folder is refused at once with a clear message;
- stale staging folders of earlier runs that were killed (``.siting-stage-*`` for that target)
  are removed;
- a target that **is** an input, **holds** an input (a folder the command writes into that
  contains one of the scenario's input files) or would **overwrite** one is refused before any
  work;
- writers (:func:`atomic_path`) write into a hidden staging folder on the same file system
  (``.siting-stage-…`` in the target, or in its nearest existing parent when the target does not
  exist yet, so a failed run creates no folder).

:meth:`Transaction.commit` moves every staged file into place with ``os.replace`` (atomic per
file), the previous manifest first removed and the new manifest written last, so a folder whose
manifest lists a file with its sha256 holds that run's file. A failed command, or one that leaves
the block without committing because of an error, publishes nothing and leaves no temporary
file. A ``kill -9`` during the work leaves only the hidden staging folder, which the next run on
that target removes; a kill during the few milliseconds of renames can leave some files renamed
and no manifest, which the manifest's absence shows.

The manifest (``run.json`` for ``siting run``, ``<command>.run.json`` otherwise) records the
command and its arguments, the scenario's file and settings hashes, every input file with its
size and sha256, the tool, Python and solver versions, every published file with its size and
sha256, and the status ``complete``.

Outside a transaction, :func:`atomic_path` replaces one file atomically (library use). Inside
one, nested transactions (a writer such as :func:`siting.tables.write_tables` opening its own)
join the outer one.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import errno
import hashlib
import json
import os
import platform
import shutil
import sys
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from siting.errors import OutputError, Problem

if TYPE_CHECKING:
    from siting.scenario import Scenario

__all__ = [
    "Transaction",
    "atomic_path",
    "ensure_writable_dir",
    "file_sha256",
    "scenario_inputs",
    "set_command_line",
    "transaction",
]

_STAGE = ".siting-stage-"
_ARGV: contextvars.ContextVar[tuple[str, ...] | None] = contextvars.ContextVar(
    "siting_argv", default=None
)
_ACTIVE: contextvars.ContextVar[Transaction | None] = contextvars.ContextVar(
    "siting_transaction", default=None
)


def file_sha256(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def _not_writable(folder: Path, reason: str) -> OutputError:
    return OutputError(
        f"cannot write to the output folder {folder}: {reason}",
        [
            Problem(
                str(folder),
                "output folder is not writable",
                hint="choose another folder with [output] dir or --out",
            )
        ],
    )


def _existing_ancestor(path: Path) -> Path:
    return next(p for p in (path, *path.parents) if p.exists())


def ensure_writable_dir(folder: Path) -> Path:
    """Check that ``folder`` could be created and written in, creating nothing.

    An existing folder is probed with a temporary file (removed at once); a missing one is probed
    in its nearest existing parent.
    """
    folder = Path(folder)
    probe_in = _existing_ancestor(folder)
    if not probe_in.is_dir():
        raise _not_writable(folder, f"{probe_in} is a file, not a folder")
    try:
        with tempfile.NamedTemporaryFile(dir=probe_in, prefix=".siting-probe-"):
            pass
    except OSError as exc:
        raise _not_writable(folder, exc.strerror or str(exc)) from None
    return folder


def scenario_inputs(scenario: Scenario) -> list[Path]:
    """The files a scenario reads: the scenario file, the files it ``extends``, and every input
    (a Shapefile with its sidecar files)."""
    paths = [Path(scenario.path), *_extends_chain(Path(scenario.path))]
    for spec in scenario.inputs.values():
        p = Path(spec.path)
        paths.append(p)
        if p.suffix.lower() == ".shp" and p.parent.exists():
            paths.extend(q for q in p.parent.glob(p.stem + ".*") if q != p)
    return paths


def _extends_chain(path: Path) -> list[Path]:
    """The scenario files ``path`` extends, nearest first (read with the TOML parser only)."""
    import tomllib

    chain: list[Path] = []
    seen = {path.resolve()}
    while True:
        try:
            with path.open("rb") as fh:
                parent = tomllib.load(fh).get("extends")
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
            return chain
        if not isinstance(parent, str):
            return chain
        path = (path.parent / Path(parent).expanduser()).resolve()
        if path in seen:
            return chain
        seen.add(path)
        chain.append(path)


def _key(target: Path) -> str:
    return hashlib.sha1(str(target).encode()).hexdigest()[:12]


def _lock_dir() -> Path:
    folder = Path(tempfile.gettempdir()) / "siting-locks"
    if not folder.exists():
        folder.mkdir(exist_ok=True)
        with contextlib.suppress(OSError):  # every user may lock (the umask cuts mkdir's mode)
            os.chmod(folder, 0o1777)
    return folder


def _resolve(path: Path) -> Path:
    """The real path: ``~`` expanded, symlinks followed (so one place has one spelling)."""
    return Path(path).expanduser().resolve(strict=False)


def _same(a: Path, b: Path) -> bool:
    """One file or folder, by path or, where both exist, by device and inode (bind mounts)."""
    if a == b:
        return True
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:  # pragma: no cover
        return False


def _holds(folder: Path, path: Path) -> bool:
    """Is ``path`` inside ``folder`` (by path, or through a bind mount of one of its parents)?"""
    if _inside(path, folder):
        return True
    if not folder.exists():
        return False
    return any(_same(parent, folder) for parent in path.parents if parent.exists())


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - another user's process
        return True
    return True


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
    except ValueError:
        return False
    return True


class _Target:
    """One locked target: a folder the command writes into, or a single file."""

    def __init__(self, path: Path, *, is_file: bool) -> None:
        self.path = path
        self.is_file = is_file
        self.folder = path.parent if is_file else path
        self.key = _key(path)
        self.lock: Any = None
        self.stage: Path | None = None

    def stage_dir(self) -> Path:
        if self.stage is None:
            base = _existing_ancestor(self.folder)
            name = f"{_STAGE}{self.key}-{os.getpid()}-{os.urandom(3).hex()}"
            self.stage = base / name
            _LIVE_STAGES.add(self.stage)
            try:
                self.stage.mkdir()
            except OSError as exc:
                raise _not_writable(self.folder, exc.strerror or str(exc)) from None
        return self.stage

    def staged(self, target: Path) -> Path:
        rel = target.name if self.is_file else target.relative_to(self.folder)
        out = self.stage_dir() / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        return out

    def clean_stale(self) -> int:
        """Remove staging folders earlier, killed commands left: this target's (its lock is
        ours now) and any other whose process is gone. A command killed while it published
        left a journal: the earlier files it had moved aside are put back first."""
        n = 0
        bases = {p for p in (self.folder, self.folder.parent) if p.is_dir()}
        bases.add(_existing_ancestor(self.folder))
        for base in bases:
            for stale in base.glob(f"{_STAGE}*"):
                parts = stale.name[len(_STAGE) :].split("-")
                pid = int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else None
                if stale in _LIVE_STAGES:
                    continue  # a staging folder of a command running in this process
                if parts[0] == self.key or (pid is not None and not _pid_alive(pid)):
                    _undo_journal(stale)
                    shutil.rmtree(stale, ignore_errors=True)
                    n += 1
        return n


class Transaction:
    """The outputs of one command, published whole on :meth:`commit` or not at all.

    Parameters
    ----------
    command
        The command's name (``run``, ``map`` …), for the manifest and messages.
    folders
        Folders the command writes into.
    files
        Single files the command writes outside those folders (a map in ``maps/``).
    inputs
        The files the command reads: no target may be, hold or overwrite one of them.
    scenario
        The scenario, for the manifest (its inputs are added to ``inputs``).
    manifest
        Folder (one of ``folders``) and file name of the manifest; None writes none.
    argv
        The command line, for the manifest.
    """

    def __init__(
        self,
        command: str,
        *,
        folders: Sequence[Path] = (),
        files: Sequence[Path] = (),
        inputs: Iterable[Path] = (),
        scenario: Scenario | None = None,
        manifest: tuple[Path, str] | None = None,
        argv: Sequence[str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.command = command
        self.scenario = scenario
        if argv is None:
            argv = _ARGV.get()
        self.argv = list(argv) if argv is not None else None
        self.inputs = [_resolve(p) for p in inputs]
        self._private: set[Path] = set()
        if scenario is not None:
            self.inputs += [_resolve(p) for p in scenario_inputs(scenario)]
            from siting.io import PRIVATE_INPUTS

            self._private = {
                _resolve(spec.path)
                for name, spec in scenario.inputs.items()
                if name in PRIVATE_INPUTS
            }
        self.manifest = None if manifest is None else (_resolve(manifest[0]), manifest[1])
        self.extra = dict(extra or {})
        self._targets: list[_Target] = []
        self._staged: dict[Path, Path] = {}  # final path → staged path
        self._pending = [(Path(f), False) for f in folders] + [(Path(f), True) for f in files]
        self._open = False
        self._committed: tuple[Path, ...] | None = None
        self._token: contextvars.Token | None = None
        self._started = dt.datetime.now(dt.UTC)
        self._input_hashes: list[dict[str, Any]] | None = None

    # -- targets -------------------------------------------------------------------------------
    def _check_inputs(self, target: _Target) -> None:
        held = [
            inp
            for inp in dict.fromkeys(self.inputs)
            if _same(inp, target.path) or (not target.is_file and _holds(target.path, inp))
        ]
        if not held:
            return
        what = "is an input" if _same(held[0], target.path) else "holds inputs"

        def shown(p: Path) -> str:
            if what == "holds inputs" and _inside(p, target.path):
                return str(p.relative_to(target.path))
            return str(p)

        names = ", ".join(shown(p) for p in held[:6]) + (
            f" and {len(held) - 6} more" if len(held) > 6 else ""
        )
        raise OutputError(
            f"the output {'file' if target.is_file else 'folder'} {target.path} {what} "
            f"({names}); siting never writes over or next to its inputs",
            [
                Problem(
                    str(target.path),
                    f"output {what}: {names}",
                    hint="write the outputs to a folder of their own with [output] dir or --out",
                )
            ],
        )

    def add(self, path: Path, *, is_file: bool) -> _Target:
        """Lock one more target (used when a writer writes outside the declared ones)."""
        from filelock import FileLock, Timeout

        path = _resolve(path)
        for t in self._targets:
            if t.path == path or (not t.is_file and _inside(path, t.path)):
                return t
        target = _Target(path, is_file=is_file)
        if is_file and path.is_dir():
            raise OutputError(
                f"the output {path} is a folder; give a file name "
                f"(e.g. {path / 'layers.gpkg'}); nothing was written",
                [
                    Problem(
                        str(path),
                        "output file is a folder",
                        hint="give --out a file name, not a folder",
                    )
                ],
            )
        self._check_inputs(target)
        ensure_writable_dir(target.folder)
        self._probe_ancestors(path)
        lock_path = _lock_dir() / f"{target.key}.lock"
        lock = FileLock(str(lock_path), timeout=0, mode=0o666)
        try:
            lock.acquire()
        except Timeout:
            owner = ""
            info = lock_path.with_suffix(".owner")
            if info.exists():
                owner = f" ({info.read_text(errors='replace').strip()})"
            raise OutputError(
                f"another siting command is writing to {path}{owner}; nothing was written",
                [
                    Problem(
                        str(path),
                        "output is locked by a running command",
                        hint="wait for it to finish, or write to another folder with "
                        "[output] dir or --out",
                    )
                ],
            ) from None
        target.lock = lock
        lock_path.with_suffix(".owner").write_text(
            f"pid {os.getpid()}, {self.command}, since {self._started:%Y-%m-%d %H:%M:%S} UTC"
        )
        target.clean_stale()
        self._targets.append(target)
        return target

    def _probe_ancestors(self, path: Path) -> None:
        """Refuse when another command holds a folder that contains ``path``."""
        from filelock import FileLock, Timeout

        mine = {t.key for t in self._targets}
        for parent in path.parents:
            key = _key(parent)
            lock_path = _lock_dir() / f"{key}.lock"
            if key in mine or not lock_path.exists():
                continue
            probe = FileLock(str(lock_path), timeout=0, mode=0o666)
            try:
                probe.acquire()
            except Timeout:
                raise OutputError(
                    f"another siting command is writing to {parent}, which holds {path}; "
                    "nothing was written",
                    [
                        Problem(
                            str(path),
                            "output is inside a folder locked by a running command",
                            hint="wait for it to finish, or write to another folder with "
                            "[output] dir or --out",
                        )
                    ],
                ) from None
            probe.release()

    def _target_for(self, path: Path) -> _Target:
        path = _resolve(path)
        for t in self._targets:
            if (t.is_file and t.path == path) or (not t.is_file and _inside(path, t.path)):
                return t
        return self.add(path, is_file=True)

    # -- writing -------------------------------------------------------------------------------
    def path(self, final: Path) -> Path:
        """The staging path where a writer writes what will become ``final`` at commit."""
        final = _resolve(final)
        self._check_inputs(_Target(final, is_file=True))
        target = self._target_for(final)
        staged = self._staged.get(final)
        if staged is None:
            staged = target.staged(final)
            self._staged[final] = staged
        return staged

    def discard(self, final: Path) -> None:
        """Forget a staged file (its writer failed)."""
        staged = self._staged.pop(_resolve(final), None)
        if staged is not None:
            _remove(staged)

    # -- life cycle ----------------------------------------------------------------------------
    def __enter__(self) -> Transaction:
        outer = _ACTIVE.get()
        if outer is not None:  # join the enclosing command's transaction
            for p, is_file in self._pending:
                outer.add(p, is_file=is_file)
            self._outer = outer
            return outer
        self._outer = None
        try:
            for p, is_file in self._pending:
                self.add(p, is_file=is_file)
            self._input_hashes = self._hash_inputs()
        except BaseException:
            self._release()
            raise
        self._open = True
        self._token = _ACTIVE.set(self)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._outer is not None:
            return
        try:
            if exc_type is None and self._committed is None:
                self.commit()
        finally:
            if self._token is not None:
                _ACTIVE.reset(self._token)
                self._token = None
            self._release()

    def _release(self) -> None:
        for t in self._targets:
            if t.stage is not None:
                _LIVE_STAGES.discard(t.stage)
                if t.stage.exists():
                    shutil.rmtree(t.stage, ignore_errors=True)
            if t.lock is not None:
                Path(t.lock.lock_file).with_suffix(".owner").unlink(missing_ok=True)
                t.lock.release()
        self._targets = []
        self._open = False

    def _hash_inputs(self) -> list[dict[str, Any]]:
        out = []
        for p in dict.fromkeys(self.inputs):
            if p in self._private:  # its size would tell how many people it lists
                out.append({"path": str(p), "sha256": file_sha256(p), "private": True})
            elif p.is_file():
                out.append({"path": str(p), "bytes": p.stat().st_size, "sha256": file_sha256(p)})
        return out

    def commit(self) -> tuple[Path, ...]:
        """Publish every staged file, then the manifest; return the published paths.

        Publishing is renames only (the manifest is computed from the staged files first). An
        earlier file is moved aside before its replacement goes in; if any rename fails, every
        step is undone (earlier files back, new folders removed) and the error is raised.
        """
        if self._committed is not None:
            return self._committed
        finals = sorted((f for f, st in self._staged.items() if st.exists()), key=str)
        for final in finals:  # nothing is moved if one would overwrite an input
            self._check_inputs(_Target(final, is_file=True))
        for final in finals:  # on disk before any rename (a power cut leaves no empty file)
            _fsync_tree(self._staged[final])
        moves: list[tuple[Path | None, Path]] = [(self._staged[f], f) for f in finals]
        if self.manifest is not None:
            man = self.manifest[0] / self.manifest[1]
            earlier = _read_manifest(man)
            for old in _manifest_files(earlier, self.manifest[0]):
                # what the earlier run of this command wrote and this one does not: gone, so
                # the folder holds one run's files (the user's own files are never touched)
                if old not in self._staged and old.is_file() and _inside(old, self.manifest[0]):
                    moves.append((None, old))
            moves += self._supersede(man, set(finals))
            record = self._record([(f, self._staged[f]) for f in finals])
            staged_man = self.path(man)
            staged_man.write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", "utf-8")
            moves.append((staged_man, man))
            if man.exists():  # the earlier manifest goes first: files without one are unfinished
                moves.insert(0, (None, man))
        plan: list[tuple[Path, Path | None]] = []  # (final, where its earlier version goes)
        aside: set[Path] = set()  # moved aside by an earlier step (the earlier manifest)
        for i, (staged, final) in enumerate(moves):
            exists = (final.exists() or final.is_symlink()) and final not in aside
            if staged is None:
                aside.add(final)
            backup = self._target_for(final).stage_dir() / f".old-{i}" if exists else None
            plan.append((final, backup))
        last = moves[-1][0] if moves else None  # its rename done = everything published
        journal = _write_journal(
            plan, {t.stage for t in self._targets if t.stage is not None}, last=last
        )
        done: list[tuple[Path, Path | None]] = []  # (final, its earlier version moved aside)
        created: list[Path] = []
        try:
            for (staged, final), (_, backup) in zip(moves, plan, strict=True):
                if final.is_dir() and not (staged is not None and staged.is_dir()):
                    raise OSError(errno.EISDIR, "a folder stands where a file goes", str(final))
                if backup is not None:
                    os.replace(final, backup)
                if staged is None:  # only moved aside
                    done.append((final, backup))
                    continue
                missing = [p for p in (final.parent, *final.parent.parents) if not p.exists()]
                final.parent.mkdir(parents=True, exist_ok=True)
                created.extend(reversed(missing))
                done.append((final, backup))
                os.replace(staged, final)
        except BaseException as exc:
            for final, backup in reversed(done):
                try:
                    if final.exists():
                        _remove(final)
                    if backup is not None and backup.exists():
                        os.replace(backup, final)
                except OSError:  # pragma: no cover - best effort, the error below is raised
                    pass
            for folder in reversed(created):
                with contextlib.suppress(OSError):
                    folder.rmdir()
            for j in journal:
                j.unlink(missing_ok=True)
            if isinstance(exc, OSError):
                where = exc.filename or "an output"
                raise OutputError(
                    f"could not publish {where}: {exc.strerror or exc}; nothing was written "
                    "(the earlier files are back in place)",
                    [
                        Problem(
                            str(where),
                            f"cannot publish the output: {exc.strerror or exc}",
                            hint="free the path (a folder or a too-long name where a file goes, "
                            "a full disk) or write to another folder with [output] dir or --out",
                        )
                    ],
                ) from exc
            raise
        for j in journal:  # published: nothing to undo any more
            j.unlink(missing_ok=True)
        published = tuple(finals)
        self._staged = {}
        self._committed = published
        return published

    def _supersede(self, man: Path, replaced: set[Path]) -> list[tuple[Path, Path]]:
        """Other manifests in the folder that list a file this command replaces: rewritten with
        that file moved to ``replaced_later`` (so no manifest claims a file it did not write)."""
        out: list[tuple[Path, Path]] = []
        for other in sorted(man.parent.glob("*run.json")):
            if other == man:
                continue
            record = _read_manifest(other)
            if not record or not isinstance(record.get("files"), list):
                continue
            keep, gone = [], []
            for entry in record["files"]:
                path = _manifest_path(entry, other.parent)
                (gone if path in replaced else keep).append(entry)
            if not gone:
                continue
            record["files"] = keep
            record["replaced_later"] = [
                *record.get("replaced_later", []),
                *({**e, "by": self.command} for e in gone),
            ]
            staged = self.path(other)
            staged.write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", "utf-8")
            out.append((staged, other))
        return out

    def note_timings(self, timer: Any, siting: Any = None) -> None:
        """Put the run's wall times in the manifest (never in the tables: same inputs, same
        tables)."""
        self.extra["stage_seconds"] = {r.name: round(r.seconds, 3) for r in timer.records}
        if siting is not None and hasattr(siting, "solve_seconds"):
            self.extra["model_build_seconds"] = round(float(siting.build_seconds), 3)
            self.extra["model_solve_seconds"] = round(float(siting.solve_seconds), 3)

    def _record(self, published: Sequence[tuple[Path, Path]]) -> dict[str, Any]:
        """The manifest, from the staged files: (final path, staged path) pairs."""
        from siting import __version__

        try:
            from siting.model.solver import solver_versions
        except ImportError:  # pragma: no cover
            solver_versions = None  # type: ignore[assignment]
        base = self.manifest[0] if self.manifest else None

        def shown(p: Path) -> str:
            if base is not None and _inside(p, base):
                return str(p.relative_to(base))
            return str(p)

        record: dict[str, Any] = {
            "tool": "siting",
            "tool_version": __version__,
            "command": self.command,
            "argv": self.argv,
            "status": "complete",
            "started": self._started.isoformat(timespec="seconds"),
            "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "python": platform.python_version(),
            "platform": sys.platform,
        }
        if self.scenario is not None:
            record["scenario"] = {
                "path": str(self.scenario.path),
                "name": self.scenario.name,
                "file_sha256": file_sha256(Path(self.scenario.path)),
                "settings_sha256": self.scenario.sha256,
            }
        record["inputs"] = self._input_hashes or []
        if solver_versions is not None:
            record["solver"] = solver_versions()
        record.update(self.extra)
        files = []
        for final, staged in published:
            if staged.is_dir():
                files += [
                    (final / q.relative_to(staged), q)
                    for q in sorted(staged.rglob("*"))
                    if q.is_file()
                ]
            else:
                files.append((final, staged))
        record["files"] = [
            {"path": shown(f), "bytes": q.stat().st_size, "sha256": file_sha256(q)}
            for f, q in files
        ]
        return record


_JOURNAL = "publish-journal.json"
_LIVE_STAGES: set[Path] = set()  # staging folders of the transactions open in this process


def _read_manifest(path: Path) -> dict[str, Any]:
    """A manifest's record ({} when missing or not ours): plain JSON, nothing evaluated."""
    try:
        record = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) and record.get("tool") == "siting" else {}


def _manifest_path(entry: Any, base: Path) -> Path | None:
    if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
        return None
    p = Path(entry["path"])
    return _resolve(p if p.is_absolute() else base / p)


def _manifest_files(record: dict[str, Any], base: Path) -> list[Path]:
    files = record.get("files") if isinstance(record.get("files"), list) else []
    return [p for p in (_manifest_path(e, base) for e in files) if p is not None]


def _write_journal(
    plan: list[tuple[Path, Path | None]], stages: set[Path], *, last: Path | None
) -> list[Path]:
    """Before the renames: what goes where, in every staging folder involved, so a command
    killed while it publishes is undone by the next one (:func:`_undo_journal`)."""
    text = json.dumps(
        {
            "moves": [[str(f), None if b is None else str(b)] for f, b in plan],
            "stages": sorted(str(s) for s in stages),
            "last_staged": None if last is None else str(last),
        }
    )
    out = []
    for stage in sorted(stages):
        path = stage / _JOURNAL
        path.write_text(text, "utf-8")
        _fsync_tree(path)
        out.append(path)
    return out


def _undo_journal(stage: Path) -> None:
    """Put back what a killed command had published half-way (earlier files back, its new
    files removed), then forget the journal in every staging folder it names."""
    try:
        record = json.loads((stage / _JOURNAL).read_text("utf-8"))
        moves = [(Path(f), None if b is None else Path(b)) for f, b in record["moves"]]
        stages = [Path(p) for p in record["stages"]]
        last = record.get("last_staged")
    except (OSError, ValueError, KeyError, TypeError):
        return
    if last is not None and not Path(last).exists() and moves and moves[-1][0].exists():
        moves = []  # the last rename was done: the publish was complete, keep it
    for final, backup in reversed(moves):
        with contextlib.suppress(OSError):
            if backup is not None and backup.exists():
                if final.exists():
                    _remove(final)
                os.replace(backup, final)
            elif backup is None and final.exists() and not any(_inside(final, s) for s in stages):
                _remove(final)
    for other in stages:
        (other / _JOURNAL).unlink(missing_ok=True)


def _fsync_tree(path: Path) -> None:
    for p in sorted(path.rglob("*")) if path.is_dir() else [path]:
        if p.is_file():
            fd = os.open(p, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def transaction(command: str = "write", **kwargs: Any) -> Transaction:
    """A :class:`Transaction` (joins the enclosing one when a command already opened one)."""
    return Transaction(command, **kwargs)


def set_command_line(argv: Sequence[str]) -> None:
    """Record the command line for the manifests of this process's transactions."""
    _ARGV.set(tuple(argv))


def active() -> Transaction | None:
    """The transaction of the running command, if any."""
    return _ACTIVE.get()


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a path to write ``target`` to; it becomes ``target`` when the command commits.

    Inside a transaction the path is in the transaction's staging folder; outside one, it is a
    hidden temporary file next to ``target``, moved onto it when the block succeeds. Either way a
    writer that fails leaves nothing.

    Examples
    --------
    >>> with atomic_path(out / "table.csv") as tmp:  # doctest: +SKIP
    ...     frame.to_csv(tmp)
    """
    target = Path(target)
    tx = _ACTIVE.get()
    if tx is not None:
        staged = tx.path(target)
        _remove(staged)  # writers such as GDAL want to create the file themselves
        try:
            yield staged
        except BaseException:
            tx.discard(target)
            raise
        return
    with Transaction("write", files=[target]) as single:
        yield single.path(target)
