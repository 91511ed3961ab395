"""The part of a plan script's scenario file the script derives: ``quota = [...]`` and ``builds = [...]``.

A plan script derives its quotas and planned builds from the document's figures and the demo's
units; ``--write-toml`` writes them into ``[plan]`` of its scenario between two marker lines, so
that ``siting plan <scenario>`` plans the same programme. On every run the script derives them
again and says when the file differs (the demo data or the script changed).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from siting.model import PlannedBuild, Quota

BEGIN = "# --- written by scripts/{script} --write-toml (do not edit by hand) ---"
END = "# --- end of the written part ---"


def toml_string(text: str) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def quota_line(q: Quota) -> str:
    parts = [f"year = {q.year}"]
    if q.unit:
        parts.append(f"unit = {toml_string(q.unit)}")
    parts += [f"type = {toml_string(q.type)}", f"at_least = {q.at_least}"]
    if q.at_most is not None:
        parts.append(f"at_most = {q.at_most}")
    parts.append(f"count_existing = {'true' if q.count_existing else 'false'}")
    if q.hard:
        parts.append("hard = true")
    parts += [f"name = {toml_string(q.name)}", f"source = {toml_string(q.source)}"]
    return "  { " + ", ".join(parts) + " },"


def build_line(b: PlannedBuild) -> str:
    parts = [
        f"site = {toml_string(b.site_id)}",
        f"type = {toml_string(b.type)}",
        f"year = {b.year}",
    ]
    if b.capital_wan_yuan is not None:
        parts.append(f"capital_wan_yuan = {b.capital_wan_yuan:g}")
    return "  { " + ", ".join(parts) + " },"


def block(
    quotas: Sequence[Quota],
    builds: Sequence[PlannedBuild] = (),
    *,
    comments: Mapping[int, str] | None = None,
    build_comment: str = "",
) -> str:
    """``quota = [...]`` (a comment line before quota ``i`` where ``comments`` has one) and
    ``builds = [...]``."""
    comments = comments or {}
    lines = ["quota = ["]
    for i, q in enumerate(quotas):
        if i in comments:
            lines.append(f"  # {comments[i]}")
        lines.append(quota_line(q))
    lines.append("]")
    if builds:
        if build_comment:
            lines.append(f"# {build_comment}")
        lines.append("builds = [")
        lines += [build_line(b) for b in builds]
        lines.append("]")
    return "\n".join(lines)


def write(path: Path, script: str, text: str) -> None:
    """Replace the written part of ``path`` (between the markers of ``script``) by ``text``."""
    begin = BEGIN.format(script=script)
    old = path.read_text(encoding="utf-8")
    if begin not in old or END not in old:
        raise SystemExit(f"{path} has no marker lines {begin!r} … {END!r} in its [plan] section")
    new = re.sub(
        re.escape(begin) + r".*?" + re.escape(END),
        lambda _: f"{begin}\n{text}\n{END}",
        old,
        flags=re.S,
    )
    path.write_text(new, encoding="utf-8")


def differs(
    settings_quotas: Sequence[Quota],
    quotas: Sequence[Quota],
    settings_builds: Sequence[PlannedBuild] = (),
    builds: Sequence[PlannedBuild] = (),
) -> bool:
    return list(settings_quotas) != list(quotas) or list(settings_builds) != list(builds)
