"""Error messages in the chosen language: the problems of bad input as the CLI prints them.

The loaders and checks write their messages in English (:class:`~isochrones.errors.Problem`:
file, row, column, what is wrong, how to fix it). In Chinese mode the CLI prints each problem with
its place in Chinese (文件，第 N 行，列“x”) and the message and hint through :data:`CATALOGUE`:
one entry per message of the loaders and checks a planner meets most (a scenario key, a file, a
column, a value, a code, a CRS, a place outside the district), each an English pattern with the
named parts it carries over (paths, keys, values: never translated) and the Chinese sentence.
A message with no entry is printed as written (English); ``tests/siting/test_messages.py``
checks each entry against a message the code really produces.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from isochrones.errors import Problem
from siting.i18n import Language

__all__ = ["CATALOGUE", "format_problems", "problem_text", "translate"]

_V = r"(?P<value>.+)"

#: English message (a regular expression matched whole, with named parts) → Chinese.
CATALOGUE: tuple[tuple[str, str], ...] = (
    # the scenario file
    (r"scenario file (?P<path>.+) does not exist", "情景文件 {path} 不存在"),
    (r"file not found", "找不到文件"),
    (
        r"check the path, or run without a scenario for the demo",
        "请检查路径；不给出情景则在演示区上运行",
    ),
    (r"(?P<path>.+) is not valid TOML: (?P<detail>.+)", "{path} 不是有效的 TOML：{detail}"),
    (r"(?P<path>.+) is not UTF-8 text: (?P<detail>.+)", "{path} 不是 UTF-8 文本：{detail}"),
    (r"scenario (?P<path>.+) has (?P<n>\d+) problem\(s\)", "情景 {path} 有 {n} 个问题"),
    (
        r"scenario (?P<path>.+): (?P<n>\d+) problem\(s\) in the inputs; nothing was written",
        "情景 {path}：输入中有 {n} 个问题，未写出任何文件",
    ),
    (r"scenario (?P<path>.+): required inputs cannot be read", "情景 {path}：必需的输入无法读取"),
    (r"unknown key '(?P<key>[^']+)'", "未知的键“{key}”"),
    (r"known keys: (?P<keys>.+)", "可用的键：{keys}"),
    (r"known keys of \[(?P<section>[^\]]+)\]: (?P<keys>.+)", "[{section}] 中可用的键：{keys}"),
    (r"'(?P<key>[^']+)' must be a table", "“{key}”必须是一个表（[...] 节）"),
    (
        r"'(?P<key>[^']+)' must be true or false, got (?P<value>.+)",
        "“{key}”必须是 true 或 false，实际为 {value}",
    ),
    (
        r"write (?P<key>\S+) = true \(or false\), without quotes",
        "写成 {key} = true（或 false），不加引号",
    ),
    (
        r"'(?P<key>[^']+)' must be (?P<what>(?:int|float|str|list|dict|bool)(?: or \w+)*), "
        r"got (?P<value>.+)",
        "“{key}”必须是{what}，实际为 {value}",
    ),
    (r"'(?P<key>[^']+)' is a rule: it moved to \[rules\]", "“{key}”是一条规则：已移到 [rules]"),
    (r"unknown input '(?P<name>[^']+)'", "未知的输入“{name}”"),
    (r"known inputs: (?P<names>.+)", "可用的输入：{names}"),
    (r"input '(?P<name>[^']+)' has no 'path'", "输入“{name}”没有 path"),
    (r"required input '(?P<name>[^']+)' is missing", "缺少必需的输入“{name}”"),
    (
        r"add an \[inputs\.(?P<name>[^\]]+)\] table with a 'path'",
        "添加 [inputs.{name}] 节并写明 path",
    ),
    (r"a scenario cannot extend itself", "情景不能继承自身"),
    # files, layers, sheets
    (r"unsupported file type '(?P<suffix>[^']*)'", "不支持的文件类型“{suffix}”"),
    (r"layer '(?P<layer>[^']+)' not found", "找不到图层“{layer}”"),
    (r"sheet '(?P<sheet>[^']+)' not found", "找不到工作表“{sheet}”"),
    (r"sheets in the workbook: (?P<names>.+)", "工作簿中的工作表：{names}"),
    (
        r"the file has (?P<n>\d+) layers and no layer is named",
        "文件有 {n} 个图层，但没有指定图层",
    ),
    (r"unknown encoding '(?P<enc>[^']*)'", "未知的编码“{enc}”"),
    (r"unknown format '(?P<fmt>[^']*)'", "未知的格式“{fmt}”"),
    # columns and values
    (
        r"column '(?P<col>[^']+)' \(for '(?P<field>[^']+)'\) not found",
        "找不到列“{col}”（对应“{field}”）",
    ),
    (
        r"column '(?P<col>[^']+)' \(given for '(?P<field>[^']+)'\) is not in the layer",
        "图层中没有列“{col}”（为“{field}”指定）",
    ),
    (r"coordinate column\(s\) (?P<cols>.+) not found", "找不到坐标列 {cols}"),
    (r"missing values in required column for '(?P<field>[^']+)'", "必填列“{field}”有缺失值"),
    (r"empty value in required column for '(?P<field>[^']+)'", "必填列“{field}”有空值"),
    (r"empty code in column for '(?P<field>[^']+)'", "“{field}”列有空代码"),
    (
        r"non-numeric values in column for '(?P<field>[^']+)'(?P<sample>.*)",
        "“{field}”列有非数值{sample}",
    ),
    (r"use plain numbers \(no units or text\)", "请使用纯数字（不带单位或文字）"),
    (r"infinite values in column for '(?P<field>[^']+)'", "“{field}”列有无穷大值"),
    (r"negative values in column for '(?P<field>[^']+)'", "“{field}”列有负值"),
    (
        r"values above (?P<max>\S+) in column for '(?P<field>[^']+)'",
        "“{field}”列有大于 {max} 的值",
    ),
    (r"'(?P<field>[^']+)' must be whole numbers", "“{field}”必须是整数"),
    (r"unknown value\(s\) (?P<values>.+) for '(?P<field>[^']+)'", "“{field}”有未知取值 {values}"),
    (
        r"unknown yes/no value\(s\) (?P<values>.+) for '(?P<field>[^']+)'",
        "“{field}”有无法识别的是/否取值 {values}",
    ),
    (r"duplicate (?P<col>\S+) (?P<values>.+)", "{col} 重复：{values}"),
    (r"codes must be unique", "代码不能重复"),
    (r"missing or empty geometry", "几何为空或缺失"),
    (r"missing or non-numeric coordinates", "坐标缺失或不是数值"),
    (
        r"wrong geometry type (?P<found>.+); \[inputs\.(?P<name>[^\]]+)\] needs (?P<needs>.+)",
        "几何类型错误：{found}；[inputs.{name}] 需要 {needs}",
    ),
    (
        r"map them in \[inputs\.(?P<name>[^.\]]+)\.values\.(?P<field>[^\]]+)\] to one of (?P<values>.+)",
        "在 [inputs.{name}.values.{field}] 中把它们对应到 {values} 之一",
    ),
    (
        r"check \[inputs\.(?P<name>[^\]]+)\] path in the scenario",
        "请检查情景中 [inputs.{name}] 的 path",
    ),
    (r"'(?P<a>[^']+)' exceeds '(?P<b>[^']+)'", "“{a}”大于“{b}”"),
    (
        r"age bands must nest: 80\+ ≤ 65\+ ≤ 60\+ ≤ total",
        "年龄段必须嵌套：80岁及以上 ≤ 65岁及以上 ≤ 60岁及以上 ≤ 常住人口",
    ),
    # places and coordinate systems
    (
        r"(?P<n>[\d,]+) record\(s\) lie outside the district \(more than (?P<tol>\S+) m\)",
        "{n} 条记录位于区界之外（超过 {tol} 米）",
    ),
    (r"outside the district", "位于区界之外"),
    (
        r"crs = '(?P<crs>[^']*)' in \[inputs\.(?P<name>[^\]]+)\] is not a CRS",
        "[inputs.{name}] 中的 crs = '{crs}' 不是有效的坐标系",
    ),
    (
        r"unknown coordinate system coords = '(?P<coords>[^']*)' in \[inputs\.(?P<name>[^\]]+)\]",
        "[inputs.{name}] 中的 coords = '{coords}' 不是已知的坐标系",
    ),
    (
        r"DEM file not found: walking times will ignore slopes",
        "找不到 DEM 文件：步行时间将不考虑坡度",
    ),
    (
        r"every 社区/村 must belong to a 街道/镇 of the streets layer",
        "每个社区/村都必须属于街道/镇图层中的一个街道/镇",
    ),
    (
        r"check the street_code column, or the codes after a boundary change",
        "请检查 street_code 列，或区划调整后的代码",
    ),
    # walking network warnings
    (
        r"(?P<n>[\d,]+) of (?P<m>[\d,]+) homes \((?P<k>[\d,]+) older people\) are on islands cut off "
        r"from the main walking network: they count as not covered; by community: (?P<list>.+)",
        "{m} 个居住点中有 {n} 个（{k} 名老年人）在与主路网隔断的孤立路网上：计为未覆盖；按社区/村：{list}",
    ),
    (
        r"(?P<n>[\d,]+) of (?P<m>[\d,]+) homes \((?P<k>[\d,]+) older people\) are farther than "
        r"(?P<d>\S+) m from any walkable street: they count as not covered; by community: (?P<list>.+)",
        "{m} 个居住点中有 {n} 个（{k} 名老年人）距可步行道路超过 {d} 米：计为未覆盖；按社区/村：{list}",
    ),
    (
        r"check the network's extent, missing footpaths, and \[walking\] max_snap_m",
        "请检查路网范围、缺失的步行道，以及 [walking] max_snap_m",
    ),
    (
        r"the source is on an island of (?P<n>[\d,]+) nodes, cut off from the main walking network",
        "该设施位于只有 {n} 个节点的孤立路网上，与主步行网络隔断",
    ),
    (
        r"check for missing links \(bridges, stairs, footways\) or access tags",
        "请检查缺失的连接（桥梁、梯道、步行道）或通行标签",
    ),
    (r"no DEM given: every edge is treated as flat", "未提供 DEM：每条路段按平地计算"),
    (
        r"check the coordinates; the coordinate-system check, when it reports, says which system fits",
        "请检查坐标；坐标系检查若有报告，会指出哪个坐标系吻合",
    ),
    # outputs
    (r"nothing was written", "未写出任何文件"),
)


_TYPES = {
    "int": "整数",
    "float": "数值",
    "str": "字符串",
    "list": "列表",
    "dict": "表",
    "bool": "true/false",
}


@cache
def _compiled() -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((re.compile(p, re.S), zh) for p, zh in CATALOGUE)


def translate(text: str | None, lang: Language) -> str | None:
    """``text`` in ``lang``: the Chinese sentence of its :data:`CATALOGUE` entry in ``'zh'``
    (as written when there is none, or in ``'en'``). A message of several clauses joined by
    ``"; "`` is translated clause by clause."""
    if text is None or lang != "zh":
        return text
    for pattern, zh in _compiled():
        m = pattern.fullmatch(text)
        if m:
            parts = m.groupdict()
            if "what" in parts:  # a Python type name (scenario keys): said in Chinese
                parts["what"] = " 或 ".join(
                    _TYPES.get(t.strip(), t.strip()) for t in parts["what"].split(" or ")
                )
            return zh.format(**parts)
    if "; " in text:
        parts = text.split("; ")
        done = [translate(p, lang) or p for p in parts]
        if done != parts:
            return "；".join(done)
    return text


def problem_text(p: Problem, lang: Language) -> str:
    """One problem as a line: where (file, row, column), what, how to fix it."""
    if lang != "zh":
        return str(p)
    where = re.sub(r" \(layer '([^']*)'\)", r"（图层“\1”）", p.source)
    where = re.sub(r" \(sheet '([^']*)'\)", r"（工作表“\1”）", where)
    if p.row is not None:  # a row number (or several), else a feature's id
        row = str(p.row)
        where += f"，第 {row} 行" if re.fullmatch(r"[\d,\s–-]+", row) else f"，记录 {row}"
    if p.column is not None:
        where += f"，列“{p.column}”"
    text = f"{where}：{translate(p.message, lang)}"
    if p.hint:
        text += f"——{translate(p.hint, lang)}"
    return text


def format_problems(problems: Iterable[Problem], lang: Language, *, limit: int = 50) -> str:
    """The problems one per line (at most ``limit``, then how many more), in ``lang``."""
    problems = list(problems)
    lines = [f"  - {problem_text(p, lang)}" for p in problems[:limit]]
    if len(problems) > limit:
        rest = len(problems) - limit
        lines.append(f"  …… 另有 {rest} 个" if lang == "zh" else f"  ... and {rest} more")
    return "\n".join(lines)
