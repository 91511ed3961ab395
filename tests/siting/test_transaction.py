"""Every command is a transaction: all of its outputs or none, never over an input, one at a time."""

from __future__ import annotations

import contextvars
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyogrio
import pytest

from siting.cli import main
from siting.errors import OutputError
from siting.transaction import Transaction, atomic_path, file_sha256, transaction
from tests.siting.refusal import assert_refused, snapshot

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "data" / "demo-small"


@pytest.fixture
def small_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "demo-small"
    shutil.copytree(SMALL, folder)
    return folder


def _set_output(scenario: Path, out: str) -> None:
    text = scenario.read_text(encoding="utf-8")
    text = text.replace('dir = "output/demo-small"', f'dir = "{out}"')
    scenario.write_text(text, encoding="utf-8")


# -- library level ------------------------------------------------------------------------------


def test_a_transaction_publishes_all_files_at_commit_and_none_before(tmp_path):
    out = tmp_path / "out"
    with Transaction("test", folders=[out], manifest=(out, "test.run.json")) as tx:
        for name in ("a.csv", "b.csv"):
            with atomic_path(out / name) as tmp:
                tmp.write_text(name)
        assert not out.exists()  # staged in the nearest existing folder, hidden
        assert [p.name.startswith(".siting-stage-") for p in tmp_path.iterdir()] == [True]
        published = tx.commit()
    assert [p.name for p in published] == ["a.csv", "b.csv"]
    assert sorted(p.name for p in out.iterdir()) == ["a.csv", "b.csv", "test.run.json"]
    assert not list(tmp_path.glob(".siting-*"))
    record = json.loads((out / "test.run.json").read_text("utf-8"))
    assert record["status"] == "complete"
    assert {f["path"]: f["sha256"] for f in record["files"]} == {
        "a.csv": file_sha256(out / "a.csv"),
        "b.csv": file_sha256(out / "b.csv"),
    }


def test_a_failed_transaction_publishes_nothing_and_keeps_the_earlier_files(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.csv").write_text("earlier")
    before = snapshot([tmp_path])
    with pytest.raises(RuntimeError), Transaction("test", folders=[out]):
        with atomic_path(out / "a.csv") as tmp:
            tmp.write_text("new")
        with atomic_path(out / "b.csv") as tmp:
            tmp.write_text("new")
        raise RuntimeError("the map failed")
    assert snapshot([tmp_path]) == before


def test_nested_writers_join_the_command_transaction(tmp_path):
    from siting.tables import write_tables

    out = tmp_path / "out"
    with Transaction("test", folders=[out]) as tx:
        written = write_tables({"t": pd.DataFrame({"x": [1]})}, out, xlsx="t.xlsx")
        assert not out.exists()  # the nested transaction did not publish on its own
        tx.commit()
    assert sorted(p.name for p in written) == ["t.csv", "t.xlsx"]
    assert all(p.exists() for p in written)


def test_outside_a_transaction_a_writer_publishes_its_own_files(tmp_path):
    from siting.tables import write_tables

    written = write_tables({"t": pd.DataFrame({"x": [1]})}, tmp_path / "o", xlsx="t.xlsx")
    assert all(p.exists() for p in written)
    assert not list(tmp_path.rglob(".siting-*"))


def test_a_second_writer_to_a_locked_folder_is_refused(tmp_path):
    from siting.errors import InputError

    out = tmp_path / "out"
    with (
        transaction("run", folders=[out]),
        pytest.raises(InputError, match="another siting command is writing to"),
    ):
        # a second, independent transaction (as another process would open)
        contextvars.Context().run(lambda: Transaction("run", folders=[out]).__enter__())


def test_an_output_that_is_or_holds_an_input_is_refused(tmp_path):
    from siting.errors import InputError

    inp = tmp_path / "data" / "layers.gpkg"
    inp.parent.mkdir()
    inp.write_bytes(b"input")
    with pytest.raises(InputError, match="holds inputs"):
        Transaction("run", folders=[inp.parent], inputs=[inp]).__enter__()
    with pytest.raises(InputError, match="is an input"):
        Transaction("export", files=[inp], inputs=[inp]).__enter__()
    assert inp.read_bytes() == b"input"


def test_stale_staging_of_a_killed_run_is_removed_at_start(tmp_path):
    out = tmp_path / "out"
    tx = Transaction("run", folders=[out]).__enter__()
    with atomic_path(out / "big.bin") as tmp:
        tmp.write_bytes(b"x" * 1000)
    stage = next(tmp_path.glob(".siting-stage-*"))
    tx._targets[0].lock.release()  # as a killed process's lock is freed; its staging stays
    tx._targets[0].stage = None
    from siting import transaction as tr

    tr._ACTIVE.set(None)
    tr._LIVE_STAGES.discard(stage)  # the process that made it is gone
    assert stage.exists()
    with Transaction("run", folders=[out]):
        assert not stage.exists()


# -- commands ------------------------------------------------------------------------------------


def test_run_writes_a_manifest_of_every_file_input_and_version(small_copy, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(small_copy)]) == 0
    out = tmp_path / "output" / "demo-small"
    record = json.loads((out / "run.json").read_text("utf-8"))
    assert record["command"] == "run" and record["status"] == "complete"
    assert record["argv"] == ["siting", "run", str(small_copy)]
    files = {f["path"]: f["sha256"] for f in record["files"]}
    assert "siting_summary.csv" in files and "layers.gpkg" in files
    for rel, digest in files.items():
        path = Path(rel) if Path(rel).is_absolute() else out / rel
        assert file_sha256(path) == digest
    assert str(tmp_path / "maps" / "demo-small.html") in files  # the map, outside the folder
    inputs = {Path(i["path"]).name: i["sha256"] for i in record["inputs"]}
    assert inputs["boundaries.gpkg"] == file_sha256(small_copy / "boundaries.gpkg")
    assert inputs["scenario.toml"] == file_sha256(small_copy / "scenario.toml")
    roster = next(i for i in record["inputs"] if Path(i["path"]).name == "roster.csv")
    assert roster["private"] and "bytes" not in roster  # its size would count the people
    assert record["scenario"]["settings_sha256"]
    assert record["tool_version"]
    assert "pulp" in json.dumps(record.get("solver", {})).lower()


def test_run_into_the_input_folder_is_refused_and_the_input_kept(small_copy, tmp_path, capsys):
    shutil.copy(small_copy / "boundaries.gpkg", small_copy / "layers.gpkg")
    text = (
        (small_copy / "scenario.toml")
        .read_text("utf-8")
        .replace('path = "boundaries.gpkg"', 'path = "layers.gpkg"')
    )
    (small_copy / "scenario.toml").write_text(text, "utf-8")
    _set_output(small_copy / "scenario.toml", str(small_copy))
    os.chdir(tmp_path)
    try:
        assert_refused(
            ["run", str(small_copy)],
            capsys,
            inputs=[small_copy],
            outputs=[tmp_path / "maps"],
            says=[f"the output folder {small_copy} holds inputs", "layers.gpkg", "scenario.toml"],
        )
    finally:
        os.chdir(ROOT)


@pytest.mark.parametrize("fault", ["map", "export", "isochrones"])
def test_a_fault_late_in_a_run_leaves_the_earlier_run_untouched(
    fault, small_copy, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(small_copy)]) == 0
    capsys.readouterr()
    # the second run has another budget: had anything been published, the files would differ
    text = (small_copy / "scenario.toml").read_text("utf-8")
    (small_copy / "scenario.toml").write_text(
        text.replace("per_year_wan_yuan = 60", "per_year_wan_yuan = 20"), "utf-8"
    )
    target = {
        "map": "siting.pipeline.write_map_for",
        "export": "siting.pipeline.write_export",
        "isochrones": "siting.pipeline.write_catchments",
    }[fault]

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(target, broken)
    text = assert_refused(
        ["--lang", "en", "run", str(small_copy)],
        capsys,
        inputs=[small_copy],
        outputs=[tmp_path / "output", tmp_path / "maps"],
        says=["nothing was written", "--debug"],
        exit_code=3,
    )
    assert len(text.strip().splitlines()) <= 3  # one line, not a traceback


def test_debug_shows_the_traceback(small_copy, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("siting.pipeline.write_map_for", broken)
    assert main(["--debug", "run", str(small_copy)]) == 3
    assert "Traceback" in capsys.readouterr().err
    assert not (tmp_path / "output").exists() and not (tmp_path / "maps").exists()


def test_map_and_export_after_run_keep_the_proposed_sites(small_copy, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(small_copy)]) == 0
    layers = tmp_path / "output" / "demo-small" / "layers.gpkg"
    before = {name for name, _ in pyogrio.list_layers(layers)}
    n_sites = len(pd.read_csv(tmp_path / "output" / "demo-small" / "siting_sites.csv"))
    assert n_sites > 0
    proposed = [n for n in before if "proposed" in n or "新增" in n or "拟建" in n]
    assert proposed, before
    n_before = len(pyogrio.read_dataframe(layers, layer=proposed[0]))
    assert main(["export", str(small_copy)]) == 0
    assert {name for name, _ in pyogrio.list_layers(layers)} == before
    assert len(pyogrio.read_dataframe(layers, layer=proposed[0])) == n_before == n_sites
    html_before = (tmp_path / "maps" / "demo-small.html").read_text("utf-8")
    assert main(["map", str(small_copy)]) == 0
    html_after = (tmp_path / "maps" / "demo-small.html").read_text("utf-8")
    name = str(pd.read_csv(out_csv := layers.with_name("siting_sites.csv")).iloc[0, 1])
    assert out_csv.exists()
    forms = (name, json.dumps(name)[1:-1])  # as text, or as an escaped JSON string
    assert any(f in html_before for f in forms) and any(f in html_after for f in forms)


def _wait_for(predicate, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_a_killed_run_publishes_nothing_and_the_next_run_cleans_up(small_copy, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "siting", "run", str(small_copy)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:  # kill it once it has staged some output
        staged = _wait_for(
            lambda: any(p.is_file() for p in tmp_path.rglob(".siting-stage-*/**/*")), 120
        )
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert staged
    assert not (tmp_path / "output" / "demo-small").exists()
    assert not (tmp_path / "maps").exists()
    assert list(tmp_path.rglob(".siting-stage-*"))  # hidden, and removed by the next run
    second = subprocess.run(
        [sys.executable, "-m", "siting", "run", str(small_copy)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert second.returncode == 0, second.stdout + second.stderr
    assert not list(tmp_path.rglob(".siting-*"))
    assert (tmp_path / "output" / "demo-small" / "run.json").exists()


def test_two_runs_into_one_folder_at_once_the_second_is_refused(small_copy, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    first = subprocess.Popen(
        [sys.executable, "-m", "siting", "run", str(small_copy)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert _wait_for(lambda: any(tmp_path.glob(".siting-stage-*")), 120)
        second = subprocess.run(
            [sys.executable, "-m", "siting", "--lang", "en", "run", str(small_copy)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert second.returncode == 1
        assert "another siting command is writing to" in " ".join(second.stdout.split())
        assert first.wait(600) == 0
    finally:
        if first.poll() is None:
            first.kill()
    record = json.loads((tmp_path / "output" / "demo-small" / "run.json").read_text("utf-8"))
    assert record["status"] == "complete"


def test_a_publish_that_fails_half_way_is_undone(tmp_path, monkeypatch):
    out = tmp_path / "out"
    with Transaction("test", folders=[out], manifest=(out, "test.run.json")):
        for name in ("a.csv", "b.csv", "c.csv"):
            with atomic_path(out / name) as tmp:
                tmp.write_text(f"earlier {name}")
    before = snapshot([tmp_path])
    real = os.replace
    calls = {"n": 0}

    def failing(src, dst):
        calls["n"] += 1
        if calls["n"] == 5:  # manifest aside, a aside, a in, b aside, then b in fails
            raise OSError(5, "Input/output error")
        return real(src, dst)

    with (
        pytest.raises(OutputError, match="Input/output error; nothing was written"),
        Transaction("test", folders=[out], manifest=(out, "test.run.json")),
    ):
        for name in ("a.csv", "b.csv", "c.csv", "d.csv"):
            with atomic_path(out / name) as tmp:
                tmp.write_text(f"new {name}")
        monkeypatch.setattr(os, "replace", failing)
    monkeypatch.setattr(os, "replace", real)
    assert calls["n"] > 5  # the undo moved files back
    assert snapshot([tmp_path]) == before


def test_a_publish_into_a_new_folder_that_fails_leaves_no_folder(tmp_path, monkeypatch):
    out = tmp_path / "new" / "out"
    real = os.replace
    calls = {"n": 0}

    def failing(src, dst):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(28, "No space left on device")
        return real(src, dst)

    with pytest.raises(OutputError, match="No space"), Transaction("test", folders=[out]):
        for name in ("a.csv", "b.csv"):
            with atomic_path(out / name) as tmp:
                tmp.write_text(name)
        monkeypatch.setattr(os, "replace", failing)
    monkeypatch.setattr(os, "replace", real)
    assert list(tmp_path.iterdir()) == []


# -- found by a hostile review -------------------------------------------------------------------


def test_an_input_reached_through_a_symlink_or_extends_is_still_an_input(
    small_copy, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "link").symlink_to(small_copy)
    plan = small_copy / "plan.toml"
    plan.write_text('extends = "scenario.toml"\n[scenario]\nname = "p"\n', "utf-8")
    for argv, says in [
        (["export", str(small_copy), "--out", "link/boundaries.gpkg"], "is an input"),
        (["coverage", str(small_copy), "--out", "link"], "holds inputs"),
        (["map", str(plan), "--out", str(small_copy / "scenario.toml")], "is an input"),
    ]:
        assert_refused(
            ["--lang", "en", *argv],
            capsys,
            inputs=[small_copy],
            outputs=[tmp_path / "maps", tmp_path / "output"],
            says=[says],
        )


def test_one_folder_has_one_lock_whatever_its_spelling(tmp_path):
    from siting.errors import InputError

    (tmp_path / "out").mkdir()
    (tmp_path / "alias").symlink_to(tmp_path / "out")
    with transaction("run", folders=[tmp_path / "out"]):
        for other in (
            {"folders": [tmp_path / "alias"]},
            {"folders": [tmp_path / "x" / ".." / "out"]},
            {"files": [tmp_path / "out" / "layers.gpkg"]},  # a file inside the locked folder
        ):
            with pytest.raises(InputError, match="another siting command is writing to"):
                contextvars.Context().run(lambda o=other: Transaction("export", **o).__enter__())


def test_a_rerun_leaves_one_runs_files_and_other_manifests_stay_true(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("the planner's own file")
    with Transaction("run", folders=[out], manifest=(out, "run.json")):
        for name in ("a.csv", "b.csv"):
            with atomic_path(out / name) as tmp:
                tmp.write_text(name)
    with (
        Transaction("export", files=[out / "a.csv"], manifest=(out, "a.csv.run.json")),
        atomic_path(out / "a.csv") as tmp,
    ):
        tmp.write_text("exported")
    record = json.loads((out / "run.json").read_text("utf-8"))
    assert [f["path"] for f in record["files"]] == ["b.csv"]
    assert [(f["path"], f["by"]) for f in record["replaced_later"]] == [("a.csv", "export")]
    with (
        Transaction("run", folders=[out], manifest=(out, "run.json")),
        atomic_path(out / "c.csv") as tmp,  # this run no longer writes b.csv
    ):
        tmp.write_text("c")
    assert sorted(p.name for p in out.iterdir()) == [
        "a.csv",
        "a.csv.run.json",
        "c.csv",
        "notes.txt",
        "run.json",
    ]
    assert (out / "notes.txt").read_text() == "the planner's own file"


KILL_DURING_PUBLISH = """
import os, sys
from pathlib import Path
from siting.transaction import Transaction, atomic_path
out = Path(sys.argv[1])
real = os.replace
n = {"calls": 0}
def dying(src, dst):
    n["calls"] += 1
    if n["calls"] == 4:
        os._exit(9)  # as kill -9 in the middle of the renames
    return real(src, dst)
with Transaction("run", folders=[out], manifest=(out, "run.json")):
    for name in ("a.csv", "b.csv", "c.csv"):
        with atomic_path(out / name) as tmp:
            tmp.write_text("new " + name)
    os.replace = dying
"""


def test_a_kill_during_publish_is_undone_by_the_next_command(tmp_path):
    out = tmp_path / "out"
    with Transaction("run", folders=[out], manifest=(out, "run.json")):
        for name in ("a.csv", "b.csv", "c.csv"):
            with atomic_path(out / name) as tmp:
                tmp.write_text("earlier " + name)
    before = snapshot([out])
    script = tmp_path / "die.py"
    script.write_text(KILL_DURING_PUBLISH)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, str(script), str(out)], env=env, timeout=120)
    assert done.returncode == 9
    assert snapshot([out]) != before  # half published, manifest moved aside
    with Transaction("run", folders=[out]):  # the next command on that folder
        pass
    assert snapshot([out]) == before
    assert not list(tmp_path.rglob(".siting-*"))


def test_sigterm_publishes_nothing_and_leaves_no_staging(small_copy, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "siting", "run", str(small_copy)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert _wait_for(lambda: any(tmp_path.glob(".siting-stage-*")), 120)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 130
    finally:
        if proc.poll() is None:
            proc.kill()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo-small"]


def test_a_home_folder_output_dir_is_expanded(tmp_path, monkeypatch):
    from siting.scenario import load_scenario

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    sc = load_scenario(SMALL, overrides={"output": {"dir": "~/siting-out"}})
    assert sc.output_dir() == tmp_path / "home" / "siting-out"


def test_the_same_run_twice_gives_the_same_bytes(small_copy, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    hashes = []
    for _ in range(2):
        assert main(["run", str(small_copy)]) == 0
        record = json.loads((tmp_path / "output" / "demo-small" / "run.json").read_text("utf-8"))
        hashes.append({f["path"]: f["sha256"] for f in record["files"]})
        assert record["stage_seconds"] and record["model_solve_seconds"] >= 0
    assert hashes[0] == hashes[1]


def test_a_kill_just_after_the_last_rename_keeps_the_complete_publish(tmp_path):
    out = tmp_path / "out"
    with Transaction("run", folders=[out], manifest=(out, "run.json")):
        for name in ("a.csv", "b.csv", "c.csv"):
            with atomic_path(out / name) as tmp:
                tmp.write_text("earlier " + name)
    script = tmp_path / "die.py"
    # 8 renames: the earlier manifest aside, 3 × (earlier file aside, new file in), the manifest
    script.write_text(
        KILL_DURING_PUBLISH.replace(
            '    if n["calls"] == 4:\n        os._exit(9)  # as kill -9 in the middle of the renames\n'
            "    return real(src, dst)",
            '    real(src, dst)\n    if n["calls"] == 8:\n        os._exit(9)',
        )
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    assert subprocess.run([sys.executable, str(script), str(out)], env=env).returncode == 9
    published = {p: h for p, h in snapshot([out]).items() if ".siting-" not in str(p)}
    assert (out / "a.csv").read_text() == "new a.csv"
    with Transaction("run", folders=[out]):
        pass
    assert snapshot([out]) == published  # complete: kept, not undone
    assert not list(tmp_path.rglob(".siting-*"))
