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
    # codes
    (
        r"'(?P<field>[^']+)' must be a (?P<n>\d+)-digit (?P<what>\S+) code \(NBS 统计用区划代码, ASCII digits "
        r"only\), got '(?P<value>[^']*)' \((?P<len>\d+) characters\)",
        "“{field}”必须是 {n} 位{what}代码（统计用区划代码，半角数字），实际为 '{value}'（{len} 个字符）",
    ),
    (
        r"'(?P<field>[^']+)' holds full-width digits \(全角\), e\.g\. '(?P<value>[^']*)'",
        "“{field}”含全角数字，例如 '{value}'",
    ),
    (
        r"retype the codes in ASCII digits \(半角\), e\.g\. (?P<value>.+)",
        "请用半角数字重新输入代码，例如 {value}",
    ),
    (
        r"give the full (?P<n>\d+)-digit code.*",
        "请填写完整的 {n} 位代码（统计用区划代码）",
    ),
    # populations
    (
        r"'(?P<field>[^']+)' above (?P<max>[\d,]+) in one 社区/村 is impossible: (?P<rest>.+)",
        "一个社区/村的“{field}”超过 {max} 是不可能的：{rest}",
    ),
    (r"'(?P<field>[^']+)' exceeds the 60\+ population", "“{field}”超过了60岁及以上人口"),
    (r"more nursing-type beds than beds", "护理型床位多于总床位"),
    (
        r"nursing_beds counts the nursing-type beds among the facility's beds",
        "nursing_beds 是设施床位中的护理型床位数",
    ),
    # files
    (
        r"(?P<n>\d+) formula cell\(s\) without a saved value \(they would read as blank\): (?P<cells>.+)",
        "{n} 个公式单元格没有保存的值（读出来会是空白）：{cells}",
    ),
    (
        r"cannot decode the text as (?P<a>\S+) or (?P<b>\S+): (?P<detail>.+)",
        "无法按 {a} 或 {b} 解码文本：{detail}",
    ),
    (
        r"empty or unknown value\(s\) (?P<values>.+) in list column for '(?P<field>[^']+)'",
        "“{field}”列表列有空值或未知取值 {values}",
    ),
    # geometry
    (
        r"no usable polygon is left in the layer: every feature was dropped \(see the problems of "
        r"this file\)",
        "图层中没有可用的面：所有要素都被剔除了（见此文件的其他问题）",
    ),
    (
        r"check that \[inputs\.(?P<name>[^\]]+)\] names the right file and layer \(a point or line "
        r"layer, or another input's layer, cannot stand in for it\)",
        "请检查 [inputs.{name}] 是否指向正确的文件和图层（点图层、线图层或其他输入的图层都不能代替）",
    ),
    (
        r"a table cannot hold polygons",
        "表格文件不能存放面",
    ),
    (r"give a GeoPackage, Shapefile or GeoJSON", "请提供 GeoPackage、Shapefile 或 GeoJSON"),
    (r"invalid geometry \((?P<detail>.+)\)", "几何无效（{detail}）"),
    (
        r"repair it in GIS \(e\.g\. QGIS 'Fix geometries' or `make_valid`\)",
        "请在 GIS 中修复（如 QGIS 的“修复几何”或 make_valid）",
    ),
    (
        r"polygons (?P<a>\S+) and (?P<b>\S+) overlap by (?P<area>[\d,]+) m²",
        "面 {a} 与 {b} 重叠 {area} 平方米",
    ),
    (
        r"communities must not overlap: fix the boundaries \(overlaps up to \[validation\] "
        r"overlap_tolerance_m2 = (?P<tol>\S+) are ignored\)",
        "社区/村之间不能重叠：请修正边界（不超过 [validation] overlap_tolerance_m2 = {tol} 的重叠不计）",
    ),
    (
        r"community (?P<code>\S+) extends (?P<area>[\d,]+) m² beyond its 街道/镇",
        "社区/村 {code} 超出其所属街道/镇 {area} 平方米",
    ),
    (
        r"communities must nest inside their 街道/镇 polygon",
        "社区/村必须位于所属街道/镇的面之内",
    ),
    # coordinate systems
    (
        r"\[scenario\] crs = '(?P<crs>[^']*)' is not a CRS",
        "[scenario] 中的 crs = '{crs}' 不是有效的坐标系",
    ),
    (
        r"\[scenario\] crs = '(?P<crs>[^']*)' \((?P<name>[^)]*)\) is not a projected CRS in metres: "
        r"distances and walking times are computed in it",
        "[scenario] 中的 crs = '{crs}'（{name}）不是以米为单位的投影坐标系：距离和步行时间要在其中计算",
    ),
    (
        r"give a projected CRS in metres, e\.g\. crs = \"EPSG:4544\" .*",
        '请给出以米为单位的投影坐标系，例如 crs = "EPSG:4544"（CGCS2000 3度带高斯-克吕格，中央经线 105°E），或 crs = "auto"',
    ),
    (
        r"give an EPSG code, e\.g\. \"EPSG:4490\" \(CGCS2000 lon/lat\) or \"EPSG:4545\"",
        '请给出 EPSG 代码，例如 "EPSG:4490"（CGCS2000 经纬度）或 "EPSG:4545"',
    ),
    (r"the layer has no CRS", "图层没有坐标系"),
    (
        r"define it in the file \(e\.g\. EPSG:4490\) or set `crs = \"EPSG:4490\"` in "
        r"\[inputs\.(?P<name>[^\]]+)\]",
        '请在文件中定义（如 EPSG:4490），或在 [inputs.{name}] 中设置 crs = "EPSG:4490"',
    ),
    (
        r"crs = '(?P<crs>[^']*)' is not a longitude/latitude CRS, but a table gives lon/lat",
        "crs = '{crs}' 不是经纬度坐标系，而表格给出的是经纬度",
    ),
    (
        r"coords = '(?P<coords>[^']*)' in \[inputs\.(?P<name>[^\]]+)\], but the layer is in projected "
        r"metres \((?P<crs>[^)]*)\): coords says which offset longitudes/latitudes carry",
        "[inputs.{name}] 中设了 coords = '{coords}'，但图层是以米为单位的投影坐标（{crs}）：coords 只说明经纬度带有哪种偏移",
    ),
    (
        r"all (?P<n>[\d,]+) buildings lie outside every community: the layer would be dropped "
        r"entirely (?P<rest>.*)",
        "全部 {n} 栋建筑都不在任何社区/村内：整个图层将被剔除 {rest}",
    ),
    (
        r"longitude and latitude look swapped: column '(?P<lon>[^']+)' holds values like "
        r"(?P<a>\S+) and column '(?P<lat>[^']+)' values like (?P<b>\S+)",
        "经度和纬度似乎填反了：列“{lon}”的值约为 {a}，列“{lat}”的值约为 {b}",
    ),
    (
        r"swap the mapping: lon = \"(?P<a>[^\"]+)\", lat = \"(?P<b>[^\"]+)\"",
        '请交换对应关系：lon = "{a}"，lat = "{b}"',
    ),
    (r"use one of (?P<values>.+)", "请使用以下之一：{values}"),
    # the road network and the DEM
    (
        r"the road network \((?P<path>[^)]+)\) attaches only (?P<n>[\d,]+) of (?P<m>[\d,]+) "
        r"(?P<things>homes \(demand points\)|candidate sites|facilities) \((?P<pct>[\d.]+%)\) within "
        r"\[walking\] max_snap_m = (?P<snap>\S+) m(?:; their median distance to the nearest walkable "
        r"street is (?P<med>[\d,]+) m)?; at least (?P<min>\S+) must be attached "
        r"\(\[validation\] min_attached_share = (?P<share>\S+)\)",
        "路网（{path}）在 [walking] max_snap_m = {snap} 米内只接入了 {m} 个{things}中的 {n} 个（{pct}）；"
        "至少要接入 {min}（[validation] min_attached_share = {share}）",
    ),
    (
        r"the network and these points are not in the same place: check that the network covers "
        r"this district and the coordinate systems \(crs/coords\) of \[inputs\.network\] and "
        r"\[inputs\.(?P<name>[^\]]+)\]; if the network is known to be partial, lower \[validation\] "
        r"min_attached_share",
        "路网与这些点不在同一位置：请检查路网是否覆盖本区，以及 [inputs.network] 和 [inputs.{name}] "
        "的坐标系（crs/coords）；若已知路网不完整，可调低 [validation] min_attached_share",
    ),
    (
        r"x and y look swapped \(latitudes in the x axis\) or the CRS is wrong: coordinates like "
        r"(?P<xy>\([^)]*\)) in a longitude/latitude CRS \((?P<crs>[^)]*)\)",
        "x 与 y 似乎颠倒了（纬度在 x 轴上），或坐标系有误：经纬度坐标系（{crs}）中出现 {xy} 这样的坐标",
    ),
    (
        r"first_year (?P<a>\S+) and last_year (?P<b>\S+) must be years, first ≤ last",
        "first_year {a} 与 last_year {b} 必须是年份，且 first ≤ last",
    ),
    (
        r"(?P<key>\[\w+\] \w+) must be a share from 0 to 1, got (?P<value>.+)",
        "{key} 必须是 0 到 1 之间的比例，实际为 {value}",
    ),
    (
        r"open the workbook in Excel or WPS and save it .*",
        "请用 Excel 或 WPS 打开工作簿并保存（这样会存下公式的计算值），或把公式替换为数值",
    ),
    (r"remove it or convert it to centrelines", "请删除它，或转换为中心线"),
    (
        r"a table \((?P<suffix>[^)]+)\) cannot hold road centrelines",
        "表格文件（{suffix}）不能存放道路中心线",
    ),
    (
        r"(?P<kind>\w+) geometry; road centrelines must be LineString or MultiLineString",
        "{kind} 几何；道路中心线必须是 LineString 或 MultiLineString",
    ),
    (
        r"OpenStreetMap file (?P<path>.+) does not exist — check the path",
        "OpenStreetMap 文件 {path} 不存在——请检查路径",
    ),
    (r"not a readable raster: (?P<detail>.+)", "不是可读取的栅格：{detail}"),
    (r"every cell is nodata", "所有栅格单元都是无数据值"),
    (
        r"the DEM covers none of the district \(its extent in (?P<rest>.+)\)",
        "DEM 完全不覆盖本区（其范围，{rest}）",
    ),
    (
        r"crs = '(?P<crs>[^']*)' in \[inputs\.dem\]: a DEM is read in the CRS its file declares",
        "[inputs.dem] 中设了 crs = '{crs}'：DEM 按其文件声明的坐标系读取",
    ),
    # settings
    (
        r"the walking speed must be a number of m/s above 0 and at most 3, got (?P<value>.+)",
        "步行速度必须是大于 0、不超过 3 的米/秒数值，实际为 {value}",
    ),
    (
        r"unknown walking-speed preset '(?P<value>[^']+)'",
        "未知的步速预设“{value}”",
    ),
    (
        r"\[walking\] max_snap_m must be a number of metres > 0, got (?P<value>.+)",
        "[walking] max_snap_m 必须是大于 0 的米数，实际为 {value}",
    ),
    (
        r"\[roster\] min_count must be a whole number >= 1, got (?P<value>[^:]+): (?P<rest>.+)",
        "[roster] min_count 必须是不小于 1 的整数，实际为 {value}（它是显示的最小计数，更小的计数会被隐去）",
    ),
    (r"unknown (?P<what>[a-z_]+) '(?P<value>[^']+)'", "未知的 {what}“{value}”"),
    (
        r"decay_half_minutes must be a number of minutes in \(0, 1440\], got (?P<value>.+)",
        "decay_half_minutes 必须是 (0, 1440] 内的分钟数，实际为 {value}",
    ),
    (
        r"(?P<key>[\w.\[\]]+) must be a number >= 0, got (?P<value>.+)",
        "{key} 必须是不小于 0 的数，实际为 {value}",
    ),
    (
        r"(?P<key>[\w.\[\]]+) must be a positive number of minutes, got (?P<value>.+)",
        "{key} 必须是正的分钟数，实际为 {value}",
    ),
    (
        r"\[demand\] (?P<key>\w+) must be a finite number >= 0 \(the weight of one older person of "
        r"the group; 1 = no extra weight\), got (?P<value>.+)",
        "[demand] {key} 必须是不小于 0 的有限数（该群体一名老年人的权重；1 表示不加权），实际为 {value}",
    ),
    (r"e\.g\. (?P<example>.+)", "例如 {example}"),
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
    # no plan: what cannot be met, with the numbers (siting.model.rules, siting.model.solving)
    (r"no plan satisfies the rules", "没有满足全部规则的方案"),
    (
        r"no plan satisfies the rules: (?P<why>.+)",
        "没有满足全部规则的方案：{why}",
    ),
    (
        r"plan '(?P<name>[^']+)' cannot meet its (?P<targets>milestones and quotas|milestones|quotas):",
        "规划“{name}”无法达到其{targets}：",
    ),
    (
        r"plan '(?P<name>[^']+)' cannot meet its (?P<targets>milestones and quotas|milestones|quotas) "
        r"within its limits; the smallest relaxation that works:",
        "规划“{name}”在现有限制下无法达到其{targets}；可行的最小放宽：",
    ),
    (
        r"coverage_target (?P<pct>[\d.]+) % cannot be met: the existing facilities and every "
        r"candidate together reach (?P<best>[\d.]+) % of the elderly \((?P<n>[\d,]+) of (?P<m>[\d,]+)\)",
        "覆盖率目标 {pct}% 无法达到：现有设施加上全部候选点也只覆盖 {best}% 的老年人（{m} 人中的 {n} 人）",
    ),
    (
        r"milestone '(?P<name>[^']+)' \((?P<where>plan\.milestones\[\d+\])\) cannot be met: "
        r"(?P<pct>[\d.]+) % of (?P<scope>the elderly|the elderly of the 社区|the elderly of the 村) in "
        r"(?P<year>\S+) is (?P<need>[\d,]+) people, but the existing facilities and every allowed "
        r"candidate together reach (?P<best>[\d,]+) \((?P<bestpct>[\d.]+) %\)",
        "里程碑“{name}”（{where}）无法达到：{year}年{scope}的 {pct}% 是 {need} 人，"
        "而现有设施加上全部允许的候选点只覆盖 {best} 人（{bestpct}%）",
    ),
    (
        r"milestone '(?P<name>[^']+)' \((?P<where>plan\.milestones\[\d+\])\) cannot be met: "
        r"(?P<n>\d+) 社区/村 cannot reach (?P<pct>[\d.]+) % even with every candidate: (?P<list>.+)",
        "里程碑“{name}”（{where}）无法达到：{n} 个社区/村即使用上全部候选点也达不到 {pct}%：{list}",
    ),
    (
        r"community_floor (?P<pct>\d+) %: (?P<n>\d+) 社区/村 cannot reach it even with every "
        r"candidate: (?P<list>.+)",
        "社区/村覆盖率下限 {pct}%：{n} 个社区/村即使用上全部候选点也达不到：{list}",
    ),
    (
        r"coverage target (?P<pct>[\d.]+) % cannot be met under the other rules: at most "
        r"(?P<best>[\d.]+) % of the elderly \((?P<short>[\d,]+) short\)",
        "在其他规则之下覆盖率目标 {pct}% 无法达到：最多 {best}% 的老年人（差 {short} 人）",
    ),
    (r"(?P<name>.+): short by (?P<n>[\d,.]+) older people", "{name}：还差 {n} 名老年人"),
    (
        r"new_sites = (?P<n>\d+) cannot be met \((?P<off>\d+) off\) under the other rules",
        "在其他规则之下无法恰好新建 {n} 处（相差 {off} 处）",
    ),
    (
        r"the planned builds \(plan\.builds\) alone spend (?P<spend>[\d,.]+) 万元 in (?P<year>\S+), "
        r"above its budget of (?P<budget>[\d,.]+) 万元",
        "仅已定的建设（plan.builds）在 {year} 年就花费 {spend} 万元，超过当年预算 {budget} 万元",
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


_WORDS: dict[str, dict[str, str]] = {
    "things": {
        "homes (demand points)": "居住点（需求点）",
        "candidate sites": "候选点",
        "facilities": "现有设施",
    },
    "targets": {"milestones": "里程碑", "quotas": "配额", "milestones and quotas": "里程碑和配额"},
    "scope": {
        "the elderly": "老年人",
        "the elderly of the 社区": "社区老年人",
        "the elderly of the 村": "村老年人",
    },
}


@cache
def _compiled() -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((re.compile(p, re.S), zh) for p, zh in CATALOGUE)


def translate(text: str | None, lang: Language) -> str | None:
    """``text`` in ``lang``: the Chinese sentence of its :data:`CATALOGUE` entry in ``'zh'``
    (as written when there is none, or in ``'en'``). A message of several lines, or of several
    clauses joined by ``"; "``, is translated line by line and clause by clause."""
    if text is None or lang != "zh":
        return text
    if "\n" in text:  # several lines ("- " items): each on its own
        return "\n".join(
            (line[:2] + (translate(line[2:], lang) or ""))
            if line.startswith("- ")
            else (translate(line, lang) or line)
            for line in text.split("\n")
        )
    for pattern, zh in _compiled():
        m = pattern.fullmatch(text)
        if m:
            parts = m.groupdict()
            if parts.get("what"):  # Python type names (scenario keys)
                parts["what"] = " 或 ".join(
                    _TYPES.get(t.strip(), t.strip()) for t in parts["what"].split(" or ")
                )
            for group, words in _WORDS.items():  # fixed English words carried in a message
                if parts.get(group):
                    parts[group] = words.get(parts[group], parts[group])
            if parts.get("why"):  # a message inside a message
                parts["why"] = translate(parts["why"], lang) or parts["why"]
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
