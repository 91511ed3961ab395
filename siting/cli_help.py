"""The command line's help in Chinese or English.

The parser is written with English help (:func:`siting.cli.build_parser`); :func:`localize`
puts the Chinese text of every description, command and option in place when the language is
``zh``, and argparse's own words (usage, the section titles, ``-h``). The language of the help is
:func:`help_language`: ``--lang`` on the command line, else the locale (``LC_ALL``,
``LC_MESSAGES``, ``LANG``: English when it starts with ``en``), else Chinese — the scenario's
language cannot be known before the arguments are read.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

__all__ = ["HELP_ZH", "help_language", "localize"]

_SCENARIO = "scenario TOML file or its folder (default: the demo district)"
_OUT_DIR = "output folder (default: the scenario's [output] dir)"
_TABLES_DIR = "output folder for the tables (default: the scenario's [output] dir)"

#: English help → Chinese help.
HELP_ZH: dict[str, str] = {
    "养老服务设施步行覆盖与选址规划工具 — walking coverage and siting of elderly-care facilities. "
    "Without a SCENARIO, commands run on the embedded demo district (fictional).": (
        "养老服务设施步行覆盖与选址规划工具。不给出情景（SCENARIO）时，各命令在内置的演示区（虚构）上运行。"
    ),
    "more log output (-vv for debug)": "输出更多日志（-vv 为调试级）",
    "show the full traceback of an unexpected error (to report it)": (
        "意外错误时显示完整的调用栈（便于报告问题）"
    ),
    "language of tables and reports (default: the scenario's, else zh)": (
        "表格与报告的语言（默认取情景设置，否则为中文 zh）"
    ),
    "show program's version number and exit": "显示版本号并退出",
    "check every input of a scenario and print a summary (writes nothing)": (
        "检查情景的全部输入并打印摘要（不写出文件）"
    ),
    _SCENARIO: "情景 TOML 文件或其所在文件夹（默认：演示区）",
    "do not read the road network (nor check the walking graph, the DEM's elevations "
    "and what the network attaches)": "不读取路网（也不检查步行网络、DEM 高程及设施与居住点的接入）",
    "walking isochrones (home → facility) of the facilities; writes a GeoPackage": (
        "各设施的步行等时圈（居住点 → 设施），写出 GeoPackage"
    ),
    "time bands in minutes (default: 15 25)": "时间分段（分钟，默认 15 25）",
    "flat walking speed: m/s or a preset (frail 0.64, older_adult 0.8, default 1.0, adult 1.3)": (
        "平地步速：米/秒，或预设值（frail 0.64、older_adult 0.8、default 1.0、adult 1.3）"
    ),
    "also draw the candidate sites' isochrones": "同时绘制候选点的等时圈",
    "output GeoPackage (default: <output dir>/isochrones_<minutes>min.gpkg, e.g. "
    "isochrones_15-25min.gpkg; `siting run` writes isochrones.gpkg)": (
        "输出的 GeoPackage（默认：<输出文件夹>/isochrones_<分钟>min.gpkg，如 isochrones_15-25min.gpkg；"
        "`siting run` 写出 isochrones.gpkg）"
    ),
    "coverage of the elderly per 社区/村, 街道/镇 and district, and the plan indicators": (
        "按社区/村、街道/镇和全区统计老年人步行覆盖，并核对规划指标"
    ),
    "flat walking speed: m/s or a preset (frail, older_adult, default, adult)": (
        "平地步速：米/秒，或预设值（frail、older_adult、default、adult）"
    ),
    _TABLES_DIR: "表格的输出文件夹（默认：情景的 [output] dir）",
    "supply-aware accessibility (2SFCA, E2SFCA, gravity) per 社区/村 and 街道/镇, "
    "before and after the scenario's plan": (
        "考虑供给的可达性（两步移动搜寻 2SFCA、E2SFCA、重力模型），按社区/村和街道/镇，规划前后对比"
    ),
    "measure (default: the scenario's [access] method, else 2sfca)": (
        "可达性方法（默认取情景的 [access] method，否则为 2sfca）"
    ),
    "the one-page meeting report (PDF and PNG): map, indicators, budget curve, spend, gaps": (
        "会议用一页纸（PDF 与 PNG）：地图、规划指标、预算—覆盖率曲线、分项支出、规则缺口"
    ),
    "paper, landscape (default a4)": "纸张，横向（默认 a4）",
    "the figures of an edited plan: the optimized plan with the edits of EDITS applied": (
        "调整后方案的指标：在优化方案上应用 EDITS 中的调整后重新计算"
    ),
    "edit file (CSV: site_id, action open|close, type)": (
        "调整文件（CSV：site_id、action 为 open 或 close、type）"
    ),
    "leave out the budget–coverage curve (it solves the model once per budget)": (
        "不画预算—覆盖率曲线（每个预算求解一次模型）"
    ),
    "leave the budget–coverage curve out of the report (it solves the model once per budget: "
    "the largest stage of a large district's run)": (
        "会议一页纸不画预算—覆盖率曲线（每个预算求解一次模型：大区县运行中最耗时的阶段）"
    ),
    "the HTML coverage map for meetings (self-contained, works offline)": (
        "会议用的 HTML 覆盖地图（单个文件，可离线打开）"
    ),
    "base map (default none: the road network is the background)": (
        "底图（默认 none：以路网为背景）"
    ),
    "Tianditu web key (needed with --basemap tianditu)": (
        "天地图 Web 密钥（--basemap tianditu 时需要；密钥会写入 HTML 文件）"
    ),
    "load Leaflet from the package CDN instead of inlining it": "从 CDN 加载 Leaflet，而不内嵌",
    "output HTML (default: maps/<scenario>.html)": "输出的 HTML（默认：maps/<情景>.html）",
    "GIS layers for the planning bureau (GeoPackage, Shapefile zip or GeoJSON)": (
        "交给规划部门的 GIS 图层（GeoPackage、Shapefile 压缩包或 GeoJSON）"
    ),
    "file format (default gpkg)": "文件格式（默认 gpkg）",
    "CRS: CGCS2000 EPSG:4490 (default), its 3° Gauss-Krüger zone, WGS84, or GCJ-02 for Amap": (
        "坐标系：CGCS2000 EPSG:4490（默认）、其 3° 高斯-克吕格分带、WGS84，或用于高德的 GCJ-02"
    ),
    "output file (folder for geojson); default in the scenario's output dir": (
        "输出文件（geojson 为文件夹）；默认在情景的输出文件夹中"
    ),
    "choose new centers, stations and points within budget (MIP)": (
        "在预算内选址新建中心、站和点（混合整数规划）"
    ),
    "budget in 万元 (capital + operating over the horizon)": "预算（万元，规划期内建设与运营合计）",
    "objective (default: the scenario's [optimize] objective): most coverage, least cost, "
    "both; least total walk (p-median), least worst walk (p-center), most second coverage "
    "(backup), coverage within capacities (capacitated), most attendance with distance decay "
    "(attendance), the worst-served 社区/村 first (maximin)": (
        "优化目标（默认取情景的 [optimize] objective）：覆盖最多、费用最少、两者兼顾；"
        "总步行最短（p-中位）、最远步行最短（p-中心）、备份覆盖最多（backup）、容量约束下的覆盖"
        "（capacitated）、按距离衰减的吸引量最多（attendance）、优先提高覆盖最差的社区/村（maximin）"
    ),
    "district coverage target for min-cost, e.g. 0.8": "费用最少目标下的全区覆盖率目标，如 0.8",
    "number of new sites (instead of a budget)": "新建点数（代替预算）",
    "enforce a policy rule as a hard constraint (repeatable)": "将一条政策规则设为硬约束（可重复）",
    "policy profile: the documents' rules (default) or coverage and money only": (
        "政策规则集：文件规则（默认），或只考虑覆盖与资金"
    ),
    "MIP solver (default cbc)": "MIP 求解器（默认 cbc）",
    "solver time limit in seconds": "求解时限（秒）",
    "also sweep budgets: the budget–coverage curve with its knee (budget_curve.csv)": (
        "同时扫描预算：预算—覆盖曲线及其拐点（budget_curve.csv）"
    ),
    _OUT_DIR: "输出文件夹（默认：情景的 [output] dir）",
    "the five-year plan: what to build each year within each year's budget, milestones": (
        "五年规划：在各年预算内逐年建设什么，以及阶段目标"
    ),
    "scenario TOML with a [plan] section (e.g. data/demo/plans/tongliang_style.toml)": (
        "含 [plan] 的情景 TOML（如 data/demo/plans/tongliang_style.toml）"
    ),
    "compare plan scenarios side by side, with one map of all of them": (
        "并列比较多个规划情景，并生成一张包含全部方案的地图"
    ),
    "two or more scenario TOML files with a [plan] section": "两个或更多含 [plan] 的情景 TOML 文件",
    "output folder (default: output/compare)": "输出文件夹（默认：output/compare）",
    "run the whole pipeline on a scenario": "在一个情景上运行完整流程",
    "run many districts' pipelines as Dask tasks; one city report, map and GeoPackage": (
        "以 Dask 任务运行多个区县的流程；生成一份全市报告、地图与 GeoPackage"
    ),
    "scenario TOML files (or folders), one per district": "情景 TOML 文件（或文件夹），每个区县一个",
    "output folder (default output/city)": "输出文件夹（默认 output/city）",
    "city map HTML (default maps/<out folder name>.html)": "全市地图 HTML（默认 maps/<输出文件夹名>.html）",
    "compute the walking-time searches in square tiles of this size (km), with a "
    "halo as wide as the longest walk; the results are identical": (
        "按此边长（千米）的方块分片计算步行时间，并留出最长步行距离的缓冲；结果完全相同"
    ),
    "address of a Dask scheduler (tcp://host:8786); default: a local cluster": (
        "Dask 调度器地址（tcp://host:8786）；默认：本机集群"
    ),
    "workers of the local Dask cluster (default 2)": "本机 Dask 集群的进程数（默认 2）",
    "show this help message and exit": "显示帮助并退出",
}

_TITLES_ZH = {"positional arguments": "位置参数", "options": "选项"}


class _ChineseFormatter(argparse.HelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):
        return super().add_usage(usage, actions, groups, "用法：" if prefix is None else prefix)


def help_language(argv: Sequence[str], environ: dict | None = None) -> str:
    """The help's language: ``--lang`` in ``argv``, else the locale, else ``zh``."""
    args = list(argv)
    for i, a in enumerate(args):
        if a == "--lang" and i + 1 < len(args):
            return "en" if args[i + 1] == "en" else "zh"
        if a.startswith("--lang="):
            return "en" if a.split("=", 1)[1] == "en" else "zh"
    env = os.environ if environ is None else environ
    for key in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(key, "")
        if value:
            return "en" if value.lower().startswith("en") else "zh"
    return "zh"


def _describe_commands(parser: argparse.ArgumentParser) -> None:
    """Give each command's own help (``siting optimize --help``) its one-line summary."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {c.dest: c.help for c in action._choices_actions}
            for name, sub in action.choices.items():
                if sub.description is None:
                    sub.description = helps.get(name)
                _describe_commands(sub)


def localize(parser: argparse.ArgumentParser, lang: str) -> None:
    """Put the help of ``parser`` and its commands in ``lang`` (``en``: as written), each
    command's help headed by its summary."""
    _describe_commands(parser)
    if lang != "zh":
        return
    parser.formatter_class = _ChineseFormatter
    if parser.description in HELP_ZH:
        parser.description = HELP_ZH[parser.description]
    for group in parser._action_groups:  # argparse keeps its groups here
        if group.title in _TITLES_ZH:
            group.title = _TITLES_ZH[group.title]
    for action in parser._actions:
        if action.help in HELP_ZH:
            action.help = HELP_ZH[action.help]
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:  # the command list of the parent's help
                if choice.help in HELP_ZH:
                    choice.help = HELP_ZH[choice.help]
            for sub in dict.fromkeys(action.choices.values()):
                if sub.description in HELP_ZH:
                    sub.description = HELP_ZH[sub.description]
                localize(sub, lang)
