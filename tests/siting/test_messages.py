"""Error messages in the chosen language (siting.messages): the problems of a broken scenario as
`siting validate` prints them, in Chinese by default and as written with --lang en."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from isochrones.errors import Problem
from siting.cli import main
from siting.messages import CATALOGUE, format_problems, problem_text, translate

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "data" / "demo-small"
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_entry_is_a_whole_pattern_with_a_chinese_sentence():
    for pattern, zh in CATALOGUE:
        compiled = re.compile(pattern)
        fields = {f for _, f, _, _ in string.Formatter().parse(zh) if f}
        assert fields <= set(compiled.groupindex), pattern  # every placeholder is carried over
        assert CJK.search(zh), zh


def test_a_scenarios_mistakes_in_chinese_and_in_english(capsys, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        f'extends = "{(SMALL / "scenario.toml").as_posix()}"\n'
        '[walking]\nspeeed = "frail"\nmax_snap_m = "far"\n',
        encoding="utf-8",
    )
    assert main(["validate", str(bad)]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert f"情景 {bad} 有 2 个问题" in out
    assert f"{bad}，列“walking.speeed”：未知的键“walking.speeed”——[walking] 中可用的键：" in out
    assert (
        f"{bad}，列“walking.max_snap_m”：“walking.max_snap_m”必须是整数 或 数值，实际为 'far'"
        in out
    )
    assert main(["--lang", "en", "validate", str(bad)]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert f"scenario {bad} has 2 problem(s)" in out
    assert "unknown key 'walking.speeed' — known keys of [walking]:" in out
    assert "'walking.max_snap_m' must be int or float, got 'far'" in out


def test_a_missing_scenario_and_bad_toml(capsys, tmp_path):
    assert main(["validate", str(tmp_path / "nope.toml")]) == 1
    out = capsys.readouterr().out
    assert f"情景文件 {tmp_path / 'nope.toml'} 不存在" in out
    assert "请检查路径；不给出情景则在演示区上运行" in out
    broken = tmp_path / "broken.toml"
    broken.write_text("[walking\nspeed = 1\n", encoding="utf-8")
    assert main(["validate", str(broken)]) == 1
    assert f"{broken} 不是有效的 TOML：" in capsys.readouterr().out


def test_the_place_of_a_problem():
    p = Problem("a.gpkg (layer '社区村')", "codes must be unique", row="1, 2", column="代码")
    assert problem_text(p, "zh") == "a.gpkg（图层“社区村”），第 1, 2 行，列“代码”：代码不能重复"
    assert problem_text(p, "en") == str(p)
    feature = Problem("facilities.csv", "outside the district", row="B0FFE97DYB")
    assert problem_text(feature, "zh") == "facilities.csv，记录 B0FFE97DYB：位于区界之外"
    many = [Problem("f.csv", "file not found")] * 3
    assert format_problems(many, "zh", limit=2).splitlines()[-1] == "  …… 另有 1 个"


def test_a_message_without_an_entry_is_printed_as_written():
    text = "the solver crashed with status 7"
    assert translate(text, "zh") == text
    assert translate("codes must be unique", "en") == "codes must be unique"
    # clauses joined by "; " are translated one by one
    assert translate("codes must be unique; file not found", "zh") == "代码不能重复；找不到文件"


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        (
            "scenario /x/s.toml: 3 problem(s) in the inputs; nothing was written",
            "情景 /x/s.toml：输入中有 3 个问题，未写出任何文件",
        ),
        ("'pop_60p' exceeds 'pop_total'", "“pop_60p”大于“pop_total”"),
        (
            "12 record(s) lie outside the district (more than 100 m)",
            "12 条记录位于区界之外（超过 100 米）",
        ),
        (
            "non-numeric values in column for 'pop_total' (e.g. 'abc')",
            "“pop_total”列有非数值 (e.g. 'abc')",
        ),
        (
            "'code' must be a 12-digit 社区/村 code (NBS 统计用区划代码, ASCII digits only), got "
            "'50019900100' (11 characters)",
            "“code”必须是 12 位社区/村代码（统计用区划代码，半角数字），实际为 '50019900100'（11 个字符）",
        ),
        (
            "the road network (/x/roads.gpkg) attaches only 0 of 22 candidate sites (0%) within "
            "[walking] max_snap_m = 300 m; at least 50% must be attached ([validation] "
            "min_attached_share = 0.5)",
            "路网（/x/roads.gpkg）在 [walking] max_snap_m = 300 米内只接入了 22 个候选点中的 0 个（0%）；"
            "至少要接入 50%（[validation] min_attached_share = 0.5）",
        ),
        (
            "the walking speed must be a number of m/s above 0 and at most 3, got 4.8",
            "步行速度必须是大于 0、不超过 3 的米/秒数值，实际为 4.8",
        ),
    ],
)
def test_messages_the_code_writes(english, chinese):
    assert translate(english, "zh") == chinese


def test_a_plan_that_cannot_meet_its_milestone_says_why_in_chinese(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    plan = ROOT / "data" / "demo" / "plans" / "tongliang_style.toml"
    assert main(["plan", str(plan)]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert "无法达到其里程碑" in out
    assert re.search(
        r"里程碑“2025年居家养老服务覆盖率 ≥ 80%”（plan\.milestones\[0\]）无法达到：2025年老年人的 80% "
        r"是 [\d,]+ 人，而现有设施加上全部允许的候选点只覆盖 [\d,]+ 人（[\d.]+%）",
        out,
    )
    assert not (tmp_path / "output").exists()
