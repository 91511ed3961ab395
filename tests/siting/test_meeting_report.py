"""The one-page meeting report (siting.meeting_report, `siting report`): one landscape page as PDF
and PNG whose figures are the plan's, read back from the PDF's text; the PDF rendered with
pdftoppm; reproducible; refused whole when no Chinese font is installed."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from siting import meeting_report
from siting.cli import main
from siting.equity import cjk_font
from siting.errors import OutputError
from siting.i18n import label
from siting.maps import proposed_layer
from siting.reports import money_frame

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "data" / "demo-small"
DATE = dt.date(2026, 3, 1)

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None,
    reason="poppler-utils not installed (CI installs Debian's poppler-utils)",
)
needs_cjk = pytest.mark.skipif(
    cjk_font() is None, reason="no CJK font (CI installs fonts-noto-cjk)"
)


@pytest.fixture(scope="module")
def small(small_siting):
    inputs, graph, coverage, result = small_siting
    curve = meeting_report.report_curve(result, inputs, coverage, graph)
    return inputs, graph, coverage, result, curve


@pytest.fixture(scope="module")
def page(small, tmp_path_factory):
    inputs, _graph, coverage, result, curve = small
    out = tmp_path_factory.mktemp("report")
    pdf, png = meeting_report.write_report(
        inputs, coverage, out, siting=result, curve=curve, date=DATE
    )
    return pdf, png


def _text(pdf: Path) -> str:
    out = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    )
    return re.sub(r"[ \t]+", " ", out.stdout)


def _png_size(png: Path) -> tuple[int, int]:
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@needs_cjk
def test_one_landscape_page_as_pdf_and_png(page):
    pdf, png = page
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    boxes = re.findall(rb"/MediaBox \[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", data)
    assert len(boxes) == 1  # one page
    w, h = (float(x) for x in boxes[0])
    assert w == pytest.approx(297 / 25.4 * 72, abs=0.5) and h == pytest.approx(
        210 / 25.4 * 72, abs=0.5
    )  # A4
    assert _png_size(png) == (int(297 / 25.4 * 150), int(210 / 25.4 * 150))


@needs_cjk
@needs_poppler
def test_the_page_shows_the_plans_figures(small, page, tmp_path):
    inputs, _graph, _coverage, result, curve = small
    pdf, _ = page
    text = _text(pdf)
    s = result.summary
    # the headline: coverage before → after, new sites, money (of the budget)
    assert f"{s['coverage_before_pct']:.1f}% → {s['coverage_after_pct']:.1f}%" in text
    proposed = proposed_layer(result)
    assert len(proposed) == s["n_new_sites"] > 0
    money = money_frame(result)
    total = float(money.iloc[-1, -1])  # the money table's grand total, by its own code path
    assert total == pytest.approx(s["spent_wan_yuan"], abs=0.01)
    assert f"{total:,.0f} / 150" in text
    # every indicator with its verdict and its document
    for item in result.indicators.items:
        assert label(f"ind_{item.key}", "zh")[:8] in text
        assert item.source.split(";")[0].strip() in text
    assert "未达标" in text or "达标" in text
    # spend by line: the bars' numbers are the money table's columns
    for line, wan in meeting_report.spend_by_line(result).items():
        assert f"{wan:,.1f}" in text
        col = [c for c in money.columns if label(f"line_{line}", "zh") in c]
        assert float(money[col[0]].iloc[-1]) == pytest.approx(wan, abs=0.01)
    # the rule gaps, counted per rule
    for rule, n in meeting_report.gap_counts(result).items():
        assert f"{label(f'rule_{rule}', 'zh')}：缺 {n} 个" in text
    assert sum(meeting_report.gap_counts(result).values()) == len(result.gaps)
    # the curve's knee, when it has one
    if curve.knee_budget_wan_yuan is not None:
        assert f"拐点 {curve.knee_budget_wan_yuan:,.0f} 万元" in text
    assert "情景 sha256 " + inputs.scenario.sha256[:12] in text
    # pdftoppm renders the page (looked at: maps/report_demo-small.png)
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(tmp_path / "p")], check=True)
    rendered = sorted(tmp_path.glob("p*.png"))
    assert len(rendered) == 1 and rendered[0].stat().st_size > 30_000
    maps_dir = ROOT / "maps"
    if maps_dir.is_dir():  # for people to look at; git-ignored
        shutil.copy(page[1], maps_dir / "report_demo-small.png")


@needs_cjk
def test_same_inputs_same_bytes(small, page, tmp_path):
    inputs, _graph, coverage, result, curve = small
    pdf, png = meeting_report.write_report(
        inputs, coverage, tmp_path, siting=result, curve=curve, date=DATE
    )
    assert pdf.read_bytes() == page[0].read_bytes()
    assert png.read_bytes() == page[1].read_bytes()


@needs_cjk
@needs_poppler
def test_without_a_plan_and_in_english(small, tmp_path):
    inputs, _graph, coverage, _result, _curve = small
    pdf, _ = meeting_report.write_report(inputs, coverage, tmp_path, lang="en", date=DATE)
    text = _text(pdf)
    assert "elderly-care facility plan on one page" in text
    assert f"{coverage.coverage_pct:.1f}%" in text
    assert "no siting stage in this scenario" in text
    assert "no budget curve computed" in text


def test_no_chinese_font_writes_nothing(small, tmp_path, monkeypatch):
    inputs, _graph, coverage, result, _curve = small
    monkeypatch.setattr(meeting_report, "cjk_font", lambda: None)
    with pytest.raises(OutputError, match="Chinese font") as info:
        meeting_report.write_report(inputs, coverage, tmp_path / "out", siting=result)
    assert "fonts-noto-cjk" in str(info.value.problems[0])
    assert not (tmp_path / "out").exists()


def test_unknown_paper_is_named(small, tmp_path):
    inputs, _graph, coverage, _result, _curve = small
    with pytest.raises(OutputError, match="paper"):
        meeting_report.write_report(inputs, coverage, tmp_path, paper="letter")
    assert list(tmp_path.iterdir()) == []


@needs_cjk
def test_siting_report_command(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["report", str(SMALL), "--out", str(out), "--paper", "a3", "--no-curve"]) == 0
    printed = capsys.readouterr().out
    assert {p.name for p in out.iterdir()} == {"report.pdf", "report.png", "report.run.json"}
    assert _png_size(out / "report.png") == (int(420 / 25.4 * 150), int(297 / 25.4 * 150))  # A3
    assert "会议一页纸" in printed and "A3 横向 PDF 与 PNG" in printed
