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
from isochrones.errors import format_problems as _format
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
        r"(?P<things>homes \(demand points\)|candidate sites|existing facilities|facilities) \((?P<pct>[\d.]+%)\) within "
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
    (r"unknown site '(?P<site>[^']+)'", "未知的点位“{site}”"),
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
    (
        r"columns in the file: (?P<cols>\[.*\]); map it in \[inputs\.(?P<name>[^.\]]+)\.columns\] "
        r"(?P<key>\w+) = \"\.\.\.\"",
        '文件中的列：{cols}；请在 [inputs.{name}.columns] 中写 {key} = "..." 指定对应的列',
    ),
    (
        r"full-width digits \(全角数字, e\.g\. １２３\): retype them as ASCII digits \(半角, 123\) — the "
        r"tool does not convert them",
        "全角数字（如 １２３）：请改为半角数字（123），本工具不自动转换",
    ),
    (
        r"export the layer with the right geometry type \(one type per layer\), and check that "
        r"\[inputs\.(?P<name>[^\]]+)\] names the right file and layer",
        "请按正确的几何类型导出图层（每个图层一种类型），并检查 [inputs.{name}] 是否指向正确的文件和图层",
    ),
    (
        r"街道/镇 code\(s\) (?P<codes>\[.*\]) not in the streets layer",
        "街道/镇代码 {codes} 不在街道/镇图层中",
    ),
    (
        r"check the number \(units, a district total, a typing error\); \[validation\] max_residents "
        r"sets the bound",
        "请检查这个数（单位、是否填成了全区合计、录入错误）；上限由 [validation] max_residents 设定",
    ),
    (
        r"set `encoding = \.\.\.` for this input in the scenario \(e\.g\. 'gb18030' or 'utf-8'\)",
        "请在情景中为此输入设置 encoding = ...（如 'gb18030' 或 'utf-8'）",
    ),
    (r"layers in the file: (?P<layers>.+)", "文件中的图层：{layers}"),
    (
        r"separate items with '(?P<sep>[^']*)' and map them in \[inputs\.(?P<name>[^.\]]+)\.values\."
        r"(?P<field>[^\]]+)\] to (?P<values>.+)",
        "各项之间用“{sep}”分隔，并在 [inputs.{name}.values.{field}] 中对应到 {values}",
    ),
    (
        r"export with longitude as x, or set the layer's real CRS \(e\.g\. crs = \"(?P<crs>[^\"]+)\" in "
        r"\[inputs\.(?P<name>[^\]]+)\] for Gauss-Krüger metres\)",
        '请以经度为 x 导出，或设置图层真实的坐标系（如在 [inputs.{name}] 中设 crs = "{crs}"，高斯-克吕格米制）',
    ),
    (
        r"a lon/lat table takes a geographic CRS, e\.g\. crs = \"EPSG:4490\" \(CGCS2000\); declare an "
        r"offset with `coords`",
        '经纬度表格要用地理坐标系，例如 crs = "EPSG:4490"（CGCS2000）；偏移坐标用 coords 声明',
    ),
    (
        r"remove `crs` from \[inputs\.(?P<name>[^\]]+)\] \(or set \"EPSG:4490\"\), and declare the "
        r"offset with `coords`",
        '请删除 [inputs.{name}] 中的 crs（或设为 "EPSG:4490"），并用 coords 声明偏移',
    ),
    (
        r"remove `coords` from \[inputs\.(?P<name>[^\]]+)\] \(the layer's CRS is used as it is\), or "
        r"export the layer as longitude/latitude in its original system",
        "请删除 [inputs.{name}] 中的 coords（按图层自身坐标系读取），或把图层按原坐标系导出为经纬度",
    ),
    (
        r"check the layer's CRS \(set crs = \"EPSG:…\" in \[inputs\.(?P<name>[^\]]+)\] if the file "
        r"declares a wrong one\) and coords, or that it is this district's layer",
        '请检查图层的坐标系（文件声明有误时在 [inputs.{name}] 中设 crs = "EPSG:…"）和 coords，或确认是本区的图层',
    ),
    (
        r"give an OSM file \(\.osm, \.osm\.pbf\) or a line layer \(GeoPackage, Shapefile, GeoJSON\), "
        r"and check that \[inputs\.network\] names the right file",
        "请提供 OSM 文件（.osm、.osm.pbf）或线图层（GeoPackage、Shapefile、GeoJSON），并检查 [inputs.network] 是否指向正确的文件",
    ),
    (r"no road-class column found", "找不到道路等级列"),
    (
        r"set \[inputs\.network\.columns\] highway = \"<column>\", or for a layer without classes "
        r"\(navigation links\) set \[inputs\.network\] default_class = \"residential\"(?P<rest>.*)",
        '请设置 [inputs.network.columns] highway = "<列名>"；没有道路等级的图层（导航路网）请设 '
        '[inputs.network] default_class = "residential"{rest}',
    ),
    (
        r"(?P<keys>[\w, ]+) given for an OSM file",
        "为 OSM 文件给出了 {keys}",
    ),
    (
        r"give a GeoTIFF of elevations in metres \(e\.g\. an SRTM or 1″ DEM tile\), or remove "
        r"\[inputs\.dem\] \(walking times then ignore slopes\)",
        "请提供以米为单位的高程 GeoTIFF（如 SRTM 或 1″ DEM 图幅），或删除 [inputs.dem]（步行时间将不考虑坡度）",
    ),
    (
        r"check the tile and its nodata value — or remove \[inputs\.dem\] \(slopes are then ignored\)",
        "请检查图幅及其无数据值——或删除 [inputs.dem]（将不考虑坡度）",
    ),
    (
        r"give the DEM tile\(s\) of this district, or check the file's CRS",
        "请提供本区的 DEM 图幅，或检查文件的坐标系",
    ),
    (
        r"remove `crs` from \[inputs\.dem\]; assign the CRS in the file instead \(e\.g\. (?P<cmd>.+)\)",
        "请删除 [inputs.dem] 中的 crs；改为在文件中指定坐标系（如 {cmd}）",
    ),
    (
        r"the walk at which half of the demand attends, e\.g\. (?P<n>\d+) \(the 15-minute circle\)",
        "一半需求仍会前往的步行时间，例如 {n}（15 分钟圈）",
    ),
    (
        r"(?P<n>\d+) 社区/村 with more than (?P<max>[\d,]+) residents: (?P<list>.+)",
        "{n} 个社区/村常住人口超过 {max}：{list}",
    ),
    (
        r"(?P<n>\d+) 社区/村 with more than (?P<pct>\d+%) of their residents aged 60\+: (?P<list>.+)",
        "{n} 个社区/村60岁及以上人口占比超过 {pct}：{list}",
    ),
    (
        r"(?P<n>\d+) 社区/村 of (?P<min>[\d,]+)\+ residents with less than (?P<pct>\d+%) aged 60\+: "
        r"(?P<list>.+)",
        "{n} 个常住人口 {min} 以上的社区/村60岁及以上人口占比不足 {pct}：{list}",
    ),
    (
        r"check that the counts are per 社区/村; \[validation\] large_residents sets the bound",
        "请确认是每个社区/村的人数；上限由 [validation] large_residents 设定",
    ),
    (
        r"check that the 60\+ column is not the total or another column; \[validation\] "
        r"max_share_60p sets the bound",
        "请确认60岁及以上列不是总人口或其他列；上限由 [validation] max_share_60p 设定",
    ),
    (
        r"check that the 60\+ column holds counts, not shares or blanks; \[validation\] "
        r"min_share_60p sets the bound",
        "请确认60岁及以上列是人数，而不是比例或空白；下限由 [validation] min_share_60p 设定",
    ),
    (
        r"(?P<n>\d+) 社区/村 code\(s\) do not begin with their 街道/镇 code, e\.g\. (?P<a>\S+) in (?P<b>\S+)",
        "{n} 个社区/村代码不以其所属街道/镇代码开头，例如 {a} 属于 {b}",
    ),
    (
        r"NBS codes nest \(the first 9 digits of a 社区/村 code are its 街道/镇's\): check the "
        r"street_code column, or the codes after a boundary change",
        "统计用区划代码是嵌套的（社区/村代码的前 9 位是其街道/镇代码）：请检查 street_code 列，或区划调整后的代码",
    ),
    (
        r"give the 12-digit code of their 社区/村 as in the communities layer",
        "请填写其社区/村的 12 位代码（与社区/村图层一致）",
    ),
    (
        r"(?P<a>.+) of (?P<b>about [\d,]+) people have a community code that is not in the "
        r"communities layer: they are placed by their point",
        "{b} 人中有 {a} 人的社区/村代码不在社区/村图层中：按其坐标点定位",
    ),
    (
        r"step_count '(?P<raw>[^']*)' is not a positive whole number; the steps are counted from the "
        r"DEM climb or the length instead",
        "step_count '{raw}' 不是正整数；改按 DEM 爬升或长度估计台阶数",
    ),
    (
        r"tag step_count with the number of steps, e\.g\. step_count=(?P<n>\d+)",
        "请用台阶数标注 step_count，例如 step_count={n}",
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
    (
        r"(?P<yearof>budget|milestone|quota) year (?P<y>\S+) is outside the plan years (?P<span>\S+)",
        "{yearof}年份 {y} 不在规划年份 {span} 之内",
    ),
    (
        r"build year (?P<y>\S+) of site '(?P<site>[^']+)' is outside the plan years (?P<span>\S+)",
        "点位“{site}”的建设年份 {y} 不在规划年份 {span} 之内",
    ),
    (
        r"base_year (?P<y>\S+) must be a year before the plan \((?P<span>[^)]+)\)",
        "base_year {y} 必须是规划开始之前的年份（{span}）",
    ),
    # [access] (siting.access)
    (
        r"access\.gravity_beta must be a number > 0 \(the decay exponent\), got (?P<v>.+)",
        "access.gravity_beta 必须是大于 0 的数（距离衰减指数），实际为 {v}",
    ),
    (
        r"the weight is minutes\^\(−gravity_beta\): e\.g\. 1 or 2",
        "权重为 分钟^(−gravity_beta)：例如 1 或 2",
    ),
    (
        r"access\.sigma_minutes must be minutes > 0, got (?P<v>.+)",
        "access.sigma_minutes 必须是大于 0 的分钟数，实际为 {v}",
    ),
    (
        r"access\.bands_minutes must increase from above 0 to at most (?P<max>\S+), got (?P<v>.+)",
        "access.bands_minutes 必须从大于 0 递增到不超过 {max}，实际为 {v}",
    ),
    (
        r"column '(?P<col>[^']+)' missing: access\.supply = \"(?P<supply>[^\"]+)\" shares each "
        r"facility's (?P<what>.+)",
        '缺少列“{col}”：access.supply = "{supply}" 要按每个设施的该项数值分摊供给',
    ),
    (
        r"add the column \(map it with \[inputs\.facilities\.columns\] (?P<col>\w+) = \"…\"\), or choose "
        r"another \[access\] supply \((?P<choices>[^)]+)\)",
        '请添加该列（用 [inputs.facilities.columns] {col} = "…" 对应），或另选 [access] supply（{choices}）',
    ),
    (
        r"no (?P<col>\w+) given and type (?P<type>\w+) has no default",
        "未给出 {col}，且类型 {type} 没有默认值",
    ),
    (
        r"fill it in, or give \[access\.default_supply\.(?P<col>\w+)\] (?P<type>\w+) = …",
        "请填写，或给出 [access.default_supply.{col}] {type} = …",
    ),
    # what-if edits (siting.whatif, siting evaluate)
    (r"site '(?P<site>[^']+)' cannot open as '(?P<type>[^']+)'", "点位“{site}”不能以“{type}”开放"),
    (r"its types: (?P<types>.+)", "它可取的类型：{types}"),
    (
        r"(?P<n>\d+) problem\(s\) in (?P<what>the edits|\S+); nothing was written",
        "{what}中有 {n} 个问题；未写出任何文件",
    ),
    (r"edit file (?P<path>.+) does not exist", "调整文件 {path} 不存在"),
    (r"edit file (?P<path>.+) is not UTF-8 text", "调整文件 {path} 不是 UTF-8 文本"),
    (r"edit file (?P<path>.+) lacks column\(s\) (?P<cols>.+)", "调整文件 {path} 缺少列 {cols}"),
    (r"bad edit (?P<row>.+)", "无效的调整 {row}"),
    (r"action is open or close", "action 须为 open 或 close"),
    (
        r"siting evaluate needs a siting stage in the scenario \(\[optimize\] with a budget\)",
        "siting evaluate 需要情景中有选址环节（带预算的 [optimize]）",
    ),
    (r"no \[optimize\] budget", "没有 [optimize] 预算"),
    (r"add \[optimize\] budget_wan_yuan", "请添加 [optimize] budget_wan_yuan"),
    # outputs (siting.transaction)
    (r"output folder is not writable", "输出文件夹不可写"),
    (
        r"choose another folder with \[output\] dir or --out",
        "请用 [output] dir 或 --out 另选文件夹",
    ),
    (r"output is an input: (?P<names>.+)", "输出位置就是输入：{names}"),
    (r"output holds inputs: (?P<names>.+)", "输出位置中有输入文件：{names}"),
    (
        r"write the outputs to a folder of their own with \[output\] dir or --out",
        "请用 [output] dir 或 --out 把结果写到单独的文件夹",
    ),
    (r"output file is a folder", "输出文件是一个文件夹"),
    (r"give --out a file name, not a folder", "--out 请给文件名，而不是文件夹"),
    (r"output is locked by a running command", "输出位置正被另一个运行中的命令锁定"),
    (
        r"output is inside a folder locked by a running command",
        "输出位置所在的文件夹正被另一个运行中的命令锁定",
    ),
    (
        r"wait for it to finish, or write to another folder with \[output\] dir or --out",
        "请等它结束，或用 [output] dir 或 --out 写到另一个文件夹",
    ),
    (r"cannot publish the output: (?P<why>.+)", "无法发布输出：{why}"),
    (
        r"free the path \(a folder or a too-long name where a file goes, a full disk\) or write to "
        r"another folder with \[output\] dir or --out",
        "请腾出该路径（文件位置上的文件夹、过长的文件名、磁盘已满），或用 [output] dir 或 --out 写到另一个文件夹",
    ),
    (
        r"cannot write to the output folder (?P<folder>.+): (?P<reason>.+)",
        "无法写入输出文件夹 {folder}：{reason}",
    ),
    (
        r"the output (?P<kind>file|folder) (?P<path>.+) (?P<held>is an input|holds inputs) "
        r"\((?P<names>.+)\); siting never writes over or next to its inputs",
        "输出{kind} {path} {held}（{names}）；siting 从不覆盖输入，也不写在输入旁边",
    ),
    (
        r"the output (?P<path>.+) is a folder; give a file name \(e\.g\. (?P<eg>.+)\); nothing was written",
        "输出 {path} 是一个文件夹；请给出文件名（如 {eg}）；未写出任何文件",
    ),
    (
        r"another siting command is writing to (?P<path>.+?)(?P<owner> \(.*\))?; nothing was written",
        "另一个 siting 命令正在写入 {path}{owner}；未写出任何文件",
    ),
    (
        r"another siting command is writing to (?P<parent>.+), which holds (?P<path>.+); nothing was "
        r"written",
        "另一个 siting 命令正在写入 {parent}（其中包含 {path}）；未写出任何文件",
    ),
    (
        r"could not publish (?P<where>.+): (?P<why>.+); nothing was written \(the earlier files are "
        r"back in place\)",
        "无法发布 {where}：{why}；未写出任何文件（先前的文件已恢复原位）",
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
        "existing facilities": "现有设施",
    },
    "targets": {"milestones": "里程碑", "quotas": "配额", "milestones and quotas": "里程碑和配额"},
    "kind": {"file": "文件", "folder": "文件夹"},
    "what": {"the edits": "调整"},
    "yearof": {"budget": "预算", "milestone": "里程碑", "quota": "配额"},
    "held": {"is an input": "就是输入", "holds inputs": "中有输入文件"},
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
    return _format(
        problems,
        limit=limit,
        render=lambda p: problem_text(p, lang),
        more="  …… 另有 {n} 个" if lang == "zh" else "  ... and {n} more",
    )
