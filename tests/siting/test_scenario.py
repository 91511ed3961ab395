"""Scenario files: extends, overrides, relative paths, hashes and clear errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from siting.errors import ScenarioError
from siting.scenario import load_scenario


def test_paths_relative_to_the_file_that_names_them(tiny):
    sc = load_scenario(tiny)
    assert sc.inputs["facilities"].path == tiny.parent / "facilities.csv"
    assert sc.inputs["facilities"].coords == "gcj02"
    assert sc.inputs["communities"].columns["pop_60p"] == "60岁及以上"
    assert sc.settings["walking"]["speed"] == "older_adult"  # default filled in
    assert sc.name == "小区测试"


def test_folder_means_its_scenario_toml(tiny):
    assert load_scenario(tiny.parent).path == tiny


def test_extends_overrides_a_few_values(tiny, tmp_path):
    child = tmp_path / "variants" / "fast.toml"
    child.parent.mkdir()
    child.write_text(
        f'extends = "{tiny.as_posix()}"\n[scenario]\nname = "快走"\n[walking]\nspeed = 1.0\n'
        '[inputs.roster]\npath = "../tiny/roster.csv"\n',
        encoding="utf-8",
    )
    sc = load_scenario(child)
    assert sc.name == "快走"
    assert sc.settings["walking"]["speed"] == 1.0
    # the parent's paths stay relative to the parent, the child's to the child
    assert sc.inputs["facilities"].path == tiny.parent / "facilities.csv"
    assert sc.inputs["roster"].path == (child.parent / "../tiny/roster.csv").resolve()
    # the child keeps the rest of the parent's roster section
    assert sc.inputs["roster"].coords == "bd09"
    assert sc.sha256 != load_scenario(tiny).sha256


def test_hash_is_the_same_wherever_the_scenario_lives(tiny, tmp_path):
    copy = tmp_path / "elsewhere"
    shutil.copytree(tiny.parent, copy)
    assert load_scenario(copy / "scenario.toml").sha256 == load_scenario(tiny).sha256


def test_extending_itself_is_an_error(tmp_path):
    a = tmp_path / "a.toml"
    b = tmp_path / "b.toml"
    a.write_text('extends = "b.toml"\n', encoding="utf-8")
    b.write_text('extends = "a.toml"\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match="cycle"):
        load_scenario(a)
    a.write_text('extends = "a.toml"\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"a\.toml: key 'extends' makes a cycle"):
        load_scenario(a)


def test_unknown_keys_and_wrong_types_name_file_and_key(tiny):
    text = tiny.read_text(encoding="utf-8")
    tiny.write_text(
        text + '\n[walking]\nsped = 1.0\nmax_snap_m = "far"\n[inputs.roster2]\npath = "x.csv"\n',
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(tiny)
    msg = str(info.value)
    assert f"{tiny}, column 'walking.sped': unknown key 'walking.sped'" in msg
    assert "'walking.max_snap_m' must be int or float, got 'far'" in msg
    assert "unknown input 'roster2'" in msg


def test_missing_required_input_and_bad_toml(tmp_path):
    p = tmp_path / "s.toml"
    p.write_text('[inputs.streets]\npath = "a.gpkg"\n', encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(p)
    assert "required input 'network' is missing" in str(info.value)
    assert "required input 'communities' is missing" in str(info.value)
    p.write_text("[inputs\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="not valid TOML"):
        load_scenario(p)
    with pytest.raises(ScenarioError, match="does not exist"):
        load_scenario(Path(tmp_path / "nope.toml"))
