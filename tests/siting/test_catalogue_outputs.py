"""The catalogue, outputs and faults: every command refuses cleanly and publishes nothing.

Each case breaks one thing about where or how a command writes — an output that is or holds an
input, a folder another run holds, a file where a folder must be, a full disk while writing, a
publish that fails half-way, an unexpected error or Ctrl+C in the middle of the work — and checks
with :func:`tests.siting.refusal.assert_refused` that the command exits with the expected status,
names the path and what to do, prints no traceback, leaves every input byte-identical and
publishes nothing (no output folder, no map, no hidden temporary file).

Bad *input data* cases are in ``test_catalogue_inputs.py``; the table of both is
``docs/bad_input.md``.
"""

from __future__ import annotations

import contextvars
import errno
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from siting.transaction import Transaction
from tests.siting.refusal import assert_refused

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "data" / "demo-small"


@dataclass(frozen=True)
class Env:
    """One case's world: a copy of demo-small, the working folder, its expected outputs."""

    data: Path  # the copied scenario folder (inputs)
    work: Path  # the working directory (output/, maps/ go here)

    @property
    def scenario(self) -> Path:
        return self.data / "scenario.toml"

    def plan(self, name: str, budget: float) -> Path:
        path = self.data / f"{name}.toml"
        path.write_text(
            'extends = "scenario.toml"\n'
            f'[scenario]\nname = "{name}"\n[output]\ndir = "output/{name}"\n'
            f"[plan]\nfirst_year = 2021\nlast_year = 2023\nbudget_wan_yuan = {budget}\n",
            encoding="utf-8",
        )
        return path


@dataclass(frozen=True)
class Command:
    name: str
    argv: Callable[[Env], list[str]]
    # where the command writes by default (relative to the working folder)
    outputs: tuple[str, ...]
    out_option: bool = True  # has --out


COMMANDS = {
    "run": Command("run", lambda e: ["run", str(e.data)], ("output", "maps"), out_option=False),
    "coverage": Command("coverage", lambda e: ["coverage", str(e.data)], ("output",)),
    "optimize": Command("optimize", lambda e: ["optimize", str(e.data)], ("output", "maps")),
    "plan": Command("plan", lambda e: ["plan", str(e.plan("low", 30))], ("output", "maps")),
    "map": Command("map", lambda e: ["map", str(e.data)], ("maps",)),
    "export": Command("export", lambda e: ["export", str(e.data)], ("output",)),
    "isochrones": Command(
        "isochrones", lambda e: ["isochrones", str(e.data), "--minutes", "15"], ("output",)
    ),
    "access": Command("access", lambda e: ["access", str(e.data)], ("output",)),
    "compare": Command(
        "compare",
        lambda e: ["compare", str(e.plan("low", 30)), str(e.plan("high", 90))],
        ("output", "maps"),
    ),
}


@dataclass(frozen=True)
class Case:
    id: str
    what: str  # what is wrong, for the docs table
    command: str
    setup: Callable[[Env, pytest.MonkeyPatch], list[str] | None]  # may return extra argv
    says: tuple[str, ...] = ()
    exit_code: int = 1
    says_fn: Callable[[Env], tuple[str, ...]] | None = None
    extra: dict = field(default_factory=dict)


def _set_output_dir(env: Env, folder: Path) -> None:
    text = env.scenario.read_text("utf-8").replace(
        'dir = "output/demo-small"', f'dir = "{folder.as_posix()}"'
    )
    env.scenario.write_text(text, "utf-8")


# -- outputs that are, hold or would overwrite an input ----------------------------------------


FILE_COMMANDS = ("map", "export", "isochrones")


def _out_is_input_folder(env: Env, mp) -> list[str] | None:
    if COMMANDS_CASE[0] == "run":
        _set_output_dir(env, env.data)
        return None
    return ["--out", str(env.data)]


COMMANDS_CASE = [""]  # the command of the case being set up (set by the test)

_OUT_FILE = {
    "map": "scenario.toml",
    "export": "boundaries.gpkg",
    "isochrones": "buildings.gpkg",
}


def _out_overwrites_input(env: Env, mp) -> list[str]:
    return ["--out", str(env.data / _OUT_FILE[COMMANDS_CASE[0]])]


def _out_holds_input(env: Env, mp) -> list[str] | None:
    if COMMANDS_CASE[0] == "run":
        _set_output_dir(env, env.data.parent)
        return None
    return ["--out", str(env.data.parent)]


# -- locks, files where folders must be, unwritable places --------------------------------------


def _held_by_another_run(env: Env, mp) -> None:
    cmd = COMMANDS[COMMANDS_CASE[0]]
    first = cmd.outputs[0]
    if first == "maps":
        target = {"files": [env.work / "maps" / "demo-small.html"]}
    elif COMMANDS_CASE[0] in ("export", "isochrones"):
        name = "layers.gpkg" if COMMANDS_CASE[0] == "export" else "isochrones_15min.gpkg"
        target = {"files": [env.work / "output" / "demo-small" / name]}
    elif COMMANDS_CASE[0] == "plan":
        target = {"folders": [env.work / "output" / "low"]}
    elif COMMANDS_CASE[0] == "compare":
        target = {"folders": [env.work / "output" / "compare"]}
    else:
        target = {"folders": [env.work / "output" / "demo-small"]}
    # another command holds it: a transaction opened in a context of its own
    ctx = contextvars.Context()
    tx = ctx.run(lambda: Transaction("run", **target).__enter__())
    HELD.append(tx)


HELD: list[Transaction] = []


def _output_is_a_file(env: Env, mp) -> None:
    cmd = COMMANDS[COMMANDS_CASE[0]]
    (env.work / cmd.outputs[0]).write_text("not a folder")


def _out_under_a_file(env: Env, mp) -> list[str] | None:
    (env.work / "notes.txt").write_text("a file")
    if COMMANDS_CASE[0] == "run":
        _set_output_dir(env, env.work / "notes.txt" / "out")
        return None
    name = {"map": "m.html", "export": "l.gpkg", "isochrones": "i.gpkg"}.get(COMMANDS_CASE[0])
    return ["--out", str(env.work / "notes.txt" / (name or "out"))]


# -- faults during the work and while publishing -------------------------------------------------


def _disk_full(env: Env, mp) -> None:
    """Every write into a staging folder fails as on a full disk."""
    real_bytes, real_text = Path.write_bytes, Path.write_text

    def full(self, *args, _real, **kwargs):
        if ".siting-stage-" in str(self):
            raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return _real(self, *args, **kwargs)

    mp.setattr(Path, "write_bytes", lambda self, *a, **k: full(self, *a, _real=real_bytes, **k))
    mp.setattr(Path, "write_text", lambda self, *a, **k: full(self, *a, _real=real_text, **k))
    import pyogrio

    real_write = pyogrio.write_dataframe

    def full_gpkg(df, path, *args, **kwargs):
        if ".siting-stage-" in str(path):
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real_write(df, path, *args, **kwargs)

    mp.setattr(pyogrio, "write_dataframe", full_gpkg)


def _publish_fails_half_way(env: Env, mp) -> None:
    """The second rename of the publish fails (an I/O error): everything is undone."""
    real = os.replace
    calls = {"n": 0}

    def failing(src, dst):
        if ".siting-stage-" in str(src):
            calls["n"] += 1
            if calls["n"] == 2:
                raise OSError(errno.EIO, "Input/output error", str(dst))
        return real(src, dst)

    mp.setattr(os, "replace", failing)


def _crash_in_graph(env: Env, mp) -> None:
    def boom(*args, **kwargs):
        raise MemoryError("cannot allocate 12 GiB for the walking graph")

    mp.setattr("siting.walking.walking_graph", boom)
    mp.setattr("siting.preflight.walking_graph", boom)


def _ctrl_c_in_graph(env: Env, mp) -> None:
    def stop(*args, **kwargs):
        raise KeyboardInterrupt

    mp.setattr("siting.walking.walking_graph", stop)
    mp.setattr("siting.preflight.walking_graph", stop)


CASES: list[Case] = []
for name in COMMANDS:
    if (name != "compare" and COMMANDS[name].out_option) or name == "run":
        CASES.append(
            Case(
                f"{name}-out-is-input-folder",
                "the output folder is the input folder",
                name,
                _out_is_input_folder,
                says_fn=(
                    (lambda e: (f"{e.data} is a folder", "give a file name"))
                    if name in FILE_COMMANDS
                    else (lambda e: (f"{e.data} holds inputs", "[output] dir or --out"))
                ),
            )
        )
        CASES.append(
            Case(
                f"{name}-out-holds-inputs",
                "the output folder holds the input folder",
                name,
                _out_holds_input,
                says_fn=(
                    (lambda e: (f"{e.data.parent} is a folder", "give a file name"))
                    if name in FILE_COMMANDS
                    else (lambda e: (f"{e.data.parent} holds inputs", "demo-small/"))
                ),
            )
        )
    if name in _OUT_FILE:
        CASES.append(
            Case(
                f"{name}-out-overwrites-input",
                f"--out names an input file ({_OUT_FILE[name]})",
                name,
                _out_overwrites_input,
                says_fn=lambda e, n=name: (f"{e.data / _OUT_FILE[n]} is an input",),
            )
        )
    CASES += [
        Case(
            f"{name}-locked",
            "another command is writing to the same output",
            name,
            _held_by_another_run,
            says=("another siting command is writing to", "pid", "wait for it to finish"),
        ),
        Case(
            f"{name}-output-is-a-file",
            f"a file named {COMMANDS[name].outputs[0]}/ stands where the output folder goes",
            name,
            _output_is_a_file,
            says=("cannot write to the output folder", "is a file, not a folder"),
        ),
        Case(
            f"{name}-disk-full",
            "the disk fills up while the outputs are written",
            name,
            _disk_full,
            says=("No space left on device", "nothing was written", "--debug"),
            exit_code=3,
        ),
        Case(
            f"{name}-publish-fails",
            "a rename fails half-way through publishing the outputs",
            name,
            _publish_fails_half_way,
            says=(
                "could not publish",
                "Input/output error; nothing was written (the earlier files are back in place)",
            ),
        ),
        Case(
            f"{name}-crash",
            "an unexpected error (out of memory) in the middle of the work",
            name,
            _crash_in_graph,
            says=("MemoryError", "nothing was written", "--debug"),
            exit_code=3,
        ),
        Case(
            f"{name}-ctrl-c",
            "the user presses Ctrl+C while the walking graph is built",
            name,
            _ctrl_c_in_graph,
            exit_code=130,
        ),
    ]
    if (COMMANDS[name].out_option and name not in ("compare",)) or name == "run":
        CASES.append(
            Case(
                f"{name}-out-under-a-file",
                "the output path runs through a file",
                name,
                _out_under_a_file,
                says=("notes.txt is a file, not a folder",),
            )
        )

# settings that fail before any work, for the commands that take them
SPECIFIC: list[tuple[Case, Callable[[Env], list[str]]]] = [
    (
        Case(
            "optimize-negative-budget",
            "--budget is negative",
            "optimize",
            lambda e, mp: None,
            says=(
                "invalid [optimize] settings",
                "column 'optimize.budget_wan_yuan': budget_wan_yuan must be a number >= 0, got -5.0",
            ),
        ),
        lambda e: ["optimize", str(e.data), "--budget", "-5"],
    ),
    (
        Case(
            "optimize-target-out-of-reach",
            "min-cost to a 99 % target no plan reaches",
            "optimize",
            lambda e, mp: None,
            says=("coverage_target 99.0 % cannot be met", "reach 70.3 %"),
        ),
        lambda e: ["optimize", str(e.data), "--objective", "min-cost", "--target", "0.99"],
    ),
    (
        Case(
            "optimize-capacity-short",
            "capacitated to a 60 % target the sites' capacity cannot hold",
            "optimize",
            lambda e, mp: _append(e.scenario, _TINY_CAPACITY),
            says=(
                "coverage target 60 % within capacities: 8,919.6 older people to assign",
                "the 42 sites that may open hold 159.1 together",
            ),
        ),
        lambda e: ["optimize", str(e.data), "--objective", "capacitated", "--target", "0.6"],
    ),
    (
        Case(
            "map-tianditu-without-key",
            "--basemap tianditu without --tianditu-key",
            "map",
            lambda e, mp: None,
            says=("--tianditu-key",),
        ),
        lambda e: ["map", str(e.data), "--basemap", "tianditu"],
    ),
    (
        Case(
            "isochrones-zero-speed",
            "--speed 0",
            "isochrones",
            lambda e, mp: None,
            says=("walking speed must be > 0",),
            exit_code=2,
        ),
        lambda e: ["isochrones", str(e.data), "--speed", "0"],
    ),
    (
        Case(
            "isochrones-minutes-out-of-range",
            "--minutes 500",
            "isochrones",
            lambda e, mp: None,
            says=("minutes must be in (0, 120]",),
            exit_code=2,
        ),
        lambda e: ["isochrones", str(e.data), "--minutes", "500"],
    ),
    (
        Case(
            "plan-budget-year-outside-the-plan",
            "a budget for 2030 in a 2021–2023 plan",
            "plan",
            lambda e, mp: None,
            says=("2030",),
        ),
        lambda e: [
            "plan",
            str(
                _rewrite(
                    e.plan("bad", 30), "budget_wan_yuan = 30", "budget_wan_yuan = { 2030 = 30 }"
                )
            ),
        ],
    ),
    (
        Case(
            "scenario-missing",
            "the scenario file does not exist",
            "run",
            lambda e, mp: None,
            says=("does not exist", "nope.toml"),
        ),
        lambda e: ["run", str(e.data / "nope.toml")],
    ),
    (
        Case(
            "scenario-not-toml",
            "the scenario file is not TOML",
            "run",
            lambda e, mp: e.scenario.write_text("[scenario\nname = ", "utf-8"),
            says=("is not valid TOML",),
        ),
        lambda e: ["run", str(e.data)],
    ),
]


#: 0.01 older people per m² for every type: the sites together hold far fewer than a 60 % target.
_TINY_CAPACITY = (
    "[rules]\ncapacity_elderly_per_m2 = { station = 0.01, compound_point = 0.01, "
    "village_point = 0.01, street_center = 0.01, town_center = 0.01 }\n"
)


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text("utf-8") + "\n" + text, "utf-8")


def _rewrite(path: Path, old: str, new: str) -> Path:
    path.write_text(path.read_text("utf-8").replace(old, new), "utf-8")
    return path


@pytest.fixture
def env(tmp_path, monkeypatch) -> Env:
    data = tmp_path / "inputs" / "demo-small"
    shutil.copytree(SMALL, data)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return Env(data=data, work=work)


@pytest.fixture(autouse=True)
def _release_held():
    yield
    while HELD:
        HELD.pop()._release()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_output_and_fault_cases(case: Case, env: Env, monkeypatch, capsys):
    COMMANDS_CASE[0] = case.command
    cmd = COMMANDS[case.command]
    argv = ["--lang", "en", *cmd.argv(env)]  # plan files are written before the snapshot
    extra = case.setup(env, monkeypatch) or []
    says = case.says + (case.says_fn(env) if case.says_fn else ())
    assert_refused(
        [*argv, *extra],
        capsys,
        inputs=[env.data],
        outputs=[env.work],
        says=says,
        exit_code=case.exit_code,
    )


@pytest.mark.parametrize("case,argv", SPECIFIC, ids=[c.id for c, _ in SPECIFIC])
def test_settings_cases(case: Case, argv, env: Env, monkeypatch, capsys):
    case.setup(env, monkeypatch)
    args = ["--lang", "en", *argv(env)]
    assert_refused(
        args,
        capsys,
        inputs=[env.data],
        outputs=[env.work],
        says=case.says,
        exit_code=case.exit_code,
    )


def test_the_docs_list_every_case():
    text = (ROOT / "docs" / "bad_input.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `([a-z0-9-]+-[a-z0-9-]+)` \|", text, flags=re.MULTILINE))
    assert listed == {c.id for c in CASES} | {c.id for c, _ in SPECIFIC}
    assert len(listed) >= 80
