"""Plan indicators on the hand-checked district of test_coverage (see its module docstring)."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from siting.cli import main
from siting.coverage import compute_coverage
from siting.errors import InputError, ScenarioError
from siting.indicator_table import REPORTED_KEYS
from siting.indicators import (
    INDICATOR_KEYS,
    IndicatorSettings,
    compute_indicators,
    planned_facility,
)
from siting.io import load_inputs
from siting.scenario import load_scenario
from siting.tables import indicator_frame
from tests.isochrones.helpers import CRS
from tests.siting.test_coverage import BASE_FACILITIES, SPEED, P, district, facilities

SMALL = Path(__file__).resolve().parents[2] / "data" / "demo-small"


def indicators(tmp_path, **kw):
    inputs, graph = district(tmp_path, **kw)
    return compute_coverage(inputs, graph).indicators


def test_the_base_district_fails_where_it_should_with_the_numbers(tmp_path):
    ind = indicators(tmp_path)
    assert [i.key for i in ind.items][:7] == [
        "home_care_coverage",
        "center_per_street",
        "station_per_community",
        "floor_area_per_resident",
        "stations_per_center",
        "center_near_health",
        "size_standard",
    ]
    assert tuple(i.key for i in ind.items) == INDICATOR_KEYS
    cov = ind["home_care_coverage"]
    assert (
        cov.value == pytest.approx(100 * 217.5 / 490) and cov.target == 80.0 and cov.passed is False
    )
    assert cov.numbers["covered_elderly"] == pytest.approx(217.5)
    assert cov.numbers["community_pct"] == pytest.approx(37.5)
    assert cov.numbers["village_pct"] == pytest.approx(75.0)  # 15 minutes in the 村 too

    centers = ind["center_per_street"]
    assert (centers.value, centers.target, centers.passed) == (1.0, 2.0, False)
    assert "甲街道" in centers.detail_zh and "乙镇" not in centers.detail_zh

    stations = ind["station_per_community"]
    assert stations.numbers["own_station"] == 2 and stations.numbers["unserved"] == 1
    assert stations.passed is False and "二社区" in stations.detail_en

    area = ind["floor_area_per_resident"]
    assert area.value == pytest.approx(1260 / 8500) and area.passed is False
    assert "LAND" in area.detail_en and "用地" in area.detail_zh

    hub = ind["stations_per_center"]
    # S lies in 甲街道, which has no center; T is 3320 m = 69 min away, beyond 30 minutes
    assert hub.numbers["stations_without_center"] == 1 and hub.passed is False

    health = ind["center_near_health"]
    assert (health.value, health.target, health.passed) == (1.0, 1.0, True)
    # the station S (300 m² in a 社区 of 1,000 older people) and the town center T (900 m²) meet
    # 001 annex 1; the village point has no size standard
    size = ind["size_standard"]
    assert (size.value, size.target, size.passed) == (2.0, 2.0, True)
    assert not ind.all_passed


def test_a_station_below_its_size_standard_is_flagged(tmp_path):
    # S (in 一社区, 300 older people: "few", < 500) shrunk to 250 m²: the 200 m² standard of a
    # 社区 with few elderly holds (001 annex 1); at 150 m² it fails
    facs = (("S", "station", 200, 500, 250), *BASE_FACILITIES[1:])
    size = indicators(tmp_path / "a", facs=facs)["size_standard"]
    assert (size.value, size.target, size.passed) == (2.0, 2.0, True)
    facs = (("S", "station", 200, 500, 150), *BASE_FACILITIES[1:])
    size = indicators(tmp_path / "b", facs=facs)["size_standard"]
    assert (size.value, size.target, size.passed) == (1.0, 2.0, False)
    assert size.numbers["below"] == 1 and "150 m² < 200" in size.detail_zh
    # with "few" set at 100 older people, 一社区 needs the full 300 m²: 250 m² fails
    facs = (("S", "station", 200, 500, 250), *BASE_FACILITIES[1:])
    size = indicators(
        tmp_path / "c", facs=facs, settings_toml="[indicators]\nsmall_community_elderly = 100\n"
    )["size_standard"]
    assert size.passed is False and "250 m² < 300" in size.detail_zh


def test_a_small_community_may_share_a_neighbours_station(tmp_path):
    # a second station in C1 at x = 950: C2's home is 550 + 10 m = 11.7 min away
    facs = (*BASE_FACILITIES, ("S2", "station", 950, 500, 200))
    ind = indicators(tmp_path / "a", facs=facs)
    st = ind["station_per_community"]
    assert st.numbers["shared_station"] == 1 and st.passed is True
    # with a lower "small" limit C2 (100 older people) must have its own station
    ind = indicators(
        tmp_path / "b", facs=facs, settings_toml="[indicators]\nsmall_community_elderly = 50\n"
    )
    assert ind["station_per_community"].passed is False


def test_stations_go_to_their_own_centre_or_the_nearest_within_reach(tmp_path):
    reach = indicators(tmp_path / "a", settings_toml="[indicators]\nhub_reach_minutes = 70\n")
    hub = reach["stations_per_center"]
    assert 3320 / SPEED / 60 < 70
    assert hub.numbers["stations_taken_over_within_reach"] == 1 and hub.passed is True
    # a street center in 甲街道 runs S whatever the distance
    facs = (*BASE_FACILITIES, ("A", "street_center", 1800, 500, 1600))
    own = indicators(
        tmp_path / "b", facs=facs, settings_toml="[indicators]\nhub_reach_minutes = 1\n"
    )
    hub = own["stations_per_center"]
    assert hub.numbers["stations_in_own_street"] == 1 and hub.passed is True
    assert own["center_per_street"].passed is True
    # ... but has no community health center next to it
    health = own["center_near_health"]
    assert (health.value, health.target, health.passed) == (1.0, 2.0, False)
    too_many = indicators(
        tmp_path / "c",
        facs=(*facs, ("S3", "station", 1500, 500, 300)),
        settings_toml="[indicators]\nstations_per_center_max = 1\n",
    )
    assert too_many["stations_per_center"].value == 2.0
    assert too_many["stations_per_center"].passed is False


def test_targets_come_from_the_scenario(tmp_path):
    toml = "[indicators]\nhome_care_coverage_target = 0.44\nfloor_area_m2_per_resident = 0.1\n"
    ind = indicators(tmp_path, settings_toml=toml)
    assert ind["home_care_coverage"].target == 44.0 and ind["home_care_coverage"].passed is True
    assert ind["floor_area_per_resident"].passed is True


def test_without_health_facilities_the_check_is_not_assessable(tmp_path):
    ind = indicators(tmp_path, health=False)
    assert ind["center_near_health"].passed is None
    assert "cannot be checked" in ind["center_near_health"].detail_en


def test_bad_targets_are_reported_with_their_key(tmp_path):
    inputs, _ = district(tmp_path, settings_toml="[indicators]\nhome_care_coverage_target = 80\n")
    with pytest.raises(ScenarioError, match="home_care_coverage_target"):
        IndicatorSettings.from_scenario(inputs.scenario)


def test_a_village_point_in_a_community_is_not_its_station(tmp_path):
    # a village point added inside 二社区 (x = 1500): a 社区's own facility is a station
    # (001 §二(一), annex 1), so 二社区 stays without one; the village point P of 三村 serves 三村
    facs = (*BASE_FACILITIES, ("Q", "village_point", 1500, 500, 60))
    stations = indicators(tmp_path / "a", facs=facs)["station_per_community"]
    base = indicators(tmp_path / "b")["station_per_community"]
    assert stations.numbers["own_station"] == base.numbers["own_station"] == 2
    assert "二社区" in stations.detail_en
    # a station there serves it
    facs = (*BASE_FACILITIES, ("Q", "station", 1500, 500, 300))
    served = indicators(tmp_path / "c", facs=facs)["station_per_community"]
    assert served.numbers["own_station"] == 3 and served.passed


# ---------------------------------------------------------------------------------------------
# the indicators of 000 专栏1 (#1–#4, #6, #12), 001 §一, 004 一 and 000 专栏2 on hand-made inputs
# ---------------------------------------------------------------------------------------------

# (id, type, x, y, floor area, beds, nursing beds, operator, meal service, teaching point)
ATTRIBUTED = (
    ("S", "station", 200, 500, 300, 10, 0, "public_private", True, True),
    ("CP", "compound_point", 500, 300, 80, 0, 0, "public", False, None),
    ("T", "town_center", 3500, 520, 900, 20, 10, "public_private", True, False),
    ("P1", "village_point", 3000, 500, 60, 0, 0, "private", False, False),
    ("P2", "village_point", 2600, 500, 60, 0, 0, "public_private", None, False),
    ("P3", "village_point", 3200, 500, 60, 0, 0, "public", True, False),
    ("P4", "village_point", 3800, 500, 60, 0, 0, "public", False, False),
    ("P5", "village_point", 2400, 500, 60, 0, 0, None, False, False),
    ("I1", "institution", 700, 700, 2000, 100, 60, "public", None, None),
    ("I2", "institution", 2500, 300, 3000, 70, 25, "private", None, None),
)
COLUMNS = ("beds", "nursing_beds", "operator", "meal_service", "teaching_point")


def attributed(rows=ATTRIBUTED, drop=()) -> gpd.GeoDataFrame:
    """Facilities with the optional columns, as siting.io reads them (nullable booleans)."""
    fac = facilities(*(r[:5] for r in rows))
    for k, col in enumerate(COLUMNS, start=5):
        if col in drop:
            continue
        values = [r[k] for r in rows]
        if col in ("beds", "nursing_beds"):
            fac[col] = [float(v) for v in values]
        elif col == "operator":
            fac[col] = pd.Series(values, dtype=object)
        else:
            fac[col] = pd.array(values, dtype="boolean")
    return fac


def evaluate(tmp_path, fac, *, settings=None, settings_toml="", buildings=None, scenario=None):
    inputs, graph = district(tmp_path, settings_toml=settings_toml)
    inputs = dataclasses.replace(inputs, facilities=fac)
    if buildings is not None:
        inputs = dataclasses.replace(inputs, buildings=buildings)
    if scenario is not None:
        inputs = dataclasses.replace(inputs, scenario=scenario)
    res = compute_coverage(inputs, graph)
    if settings is None:
        return res.indicators
    return compute_indicators(
        inputs,
        graph,
        matrix=res.matrix,
        demand=res.demand,
        coverage_settings=res.settings,
        settings=settings,
    )


def test_without_the_optional_columns_the_new_indicators_say_what_is_missing(tmp_path):
    ind = indicators(tmp_path)  # facilities with type and floor area only, buildings without year
    for key, column in (
        ("total_beds", "beds"),
        ("nursing_bed_share", "beds"),
        ("social_operation_urban", "operator"),
        ("social_operation_rural", "operator"),
        ("social_operation_beds", "beds"),
        ("teaching_point_coverage", "teaching_point"),
        ("meal_points", "meal_service"),
        ("new_housing_provision", "year_built"),
    ):
        item = ind[key]
        assert item.passed is None and item.status == "na", key
        assert f"column {column} missing" in item.detail_en and column in item.detail_zh, key
    # no fake PASS: nothing unassessed counts as passed
    assert {i.key for i in ind.items if i.passed} == {
        "center_near_health",
        "size_standard",
        "rural_service_coverage",
    }


def test_beds_and_the_nursing_share_at_their_boundaries(tmp_path):
    ind = evaluate(tmp_path / "a", attributed())
    beds = ind["total_beds"]
    # 10 + 20 + 100 + 70 beds; no district-specific target for 500199 or no code: reported only
    assert beds.value == 200.0 and beds.passed is None and beds.status == "no_target"
    assert beds.numbers["institution_beds"] == 170.0 and beds.numbers["center_beds"] == 20.0
    assert "10,000" in beds.detail_zh and "total_beds_target" in beds.detail_en
    nursing = ind["nursing_bed_share"]
    # institutions only: (60 + 25) / (100 + 70) = 50 % against the municipal ≥ 50 % (004): PASS
    assert nursing.value == pytest.approx(50.0) and nursing.target == 50.0
    assert nursing.comparison == ">=" and nursing.passed is True
    assert nursing.numbers["nursing_beds"] == 85.0 and nursing.numbers["beds"] == 170.0
    assert "004" in nursing.detail_zh
    # 沙坪坝 (000 专栏1: 10,000 beds, ≥ 60 %), 铜梁 (003: > 65 %), 江津 (001: ≥ 50 %)
    spb = evaluate(tmp_path / "b", attributed(), settings=IndicatorSettings(district_code="500106"))
    assert (spb["total_beds"].target, spb["total_beds"].passed) == (10000.0, False)
    assert (spb["nursing_bed_share"].target, spb["nursing_bed_share"].passed) == (60.0, False)
    tl = IndicatorSettings(district_code="500151")
    assert (
        evaluate(tmp_path / "c", attributed(), settings=tl)["nursing_bed_share"].comparison == ">"
    )
    jj = evaluate(tmp_path / "d", attributed(), settings=IndicatorSettings(district_code="500116"))
    assert jj["nursing_bed_share"].passed is True and "001" in jj["nursing_bed_share"].detail_zh
    # 铜梁's "超过65%" is strict: I1 alone with 65 of 100 beds nursing-type is exactly 65 % —
    # FAIL under 003, PASS with a ≥ 65 % target set in the scenario
    rows = [r for r in ATTRIBUTED if r[0] != "I2"]
    rows = [(*r[:6], 65, *r[7:]) if r[0] == "I1" else r for r in rows]
    exact = evaluate(tmp_path / "e", attributed(rows), settings=tl)["nursing_bed_share"]
    assert exact.value == pytest.approx(65.0) and exact.passed is False
    same = evaluate(tmp_path / "f", attributed(rows), settings_toml=TARGETS_65)
    assert same["nursing_bed_share"].passed is True and same["nursing_bed_share"].comparison == ">="
    # the scenario's own beds target: 200 ≥ 200 passes, 201 fails
    ok = evaluate(
        tmp_path / "g", attributed(), settings_toml="[indicators]\ntotal_beds_target = 200\n"
    )
    assert ok["total_beds"].passed is True
    no = evaluate(
        tmp_path / "h", attributed(), settings_toml="[indicators]\ntotal_beds_target = 201\n"
    )
    assert no["total_beds"].passed is False


TARGETS_65 = "[indicators]\nnursing_bed_share_target = 0.65\n"


def test_the_district_code_of_the_scenario_picks_the_documents_figures(tmp_path):
    inputs, _ = district(tmp_path / "x")
    path = inputs.scenario.path
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            'district_name = "手算区"', 'district_name = "手算区"\ndistrict_code = "500106"'
        ),
        encoding="utf-8",
    )
    s = IndicatorSettings.from_scenario(load_scenario(path))
    assert s.district_code == "500106"
    assert s.beds_target().value == 10000.0 and s.nursing_target().value == 0.6
    ind = evaluate(tmp_path / "y", attributed(), scenario=load_scenario(path))
    assert ind["total_beds"].target == 10000.0 and ind["total_beds"].passed is False


def test_social_operation_shares_with_unknown_operators_left_out(tmp_path):
    ind = evaluate(tmp_path / "a", attributed())
    urban = ind["social_operation_urban"]
    # urban facilities: S (公建民营) and CP (public): 1 of 2 = 50 % < 90 %
    assert (urban.value, urban.target, urban.passed) == (50.0, 90.0, False)
    rural = ind["social_operation_rural"]
    # rural: T, P1, P2 social; P3, P4 public; P5 unknown (left out): 3 of 5 = 60 % ≥ 60 %: PASS
    assert rural.value == pytest.approx(60.0) and rural.target == 60.0 and rural.passed is True
    assert rural.numbers["unknown"] == 1 and "1 处运营方式未知" in rural.detail_zh
    beds = ind["social_operation_beds"]
    # beds of socially run facilities: S 10 + T 20 + I2 70 = 100 of 200 = 50 % < 60 % (004)
    assert beds.value == pytest.approx(50.0) and beds.passed is False
    assert beds.numbers["social_beds"] == 100.0 and beds.numbers["beds"] == 200.0
    at = evaluate(
        tmp_path / "b",
        attributed(),
        settings_toml="[indicators]\nsocial_operation_beds_target = 0.5\n",
    )
    assert at["social_operation_beds"].passed is True
    # one more public village point: 3 of 6 = 50 %
    rows = (*ATTRIBUTED, ("P6", "village_point", 2200, 500, 60, 0, 0, "public", False, False))
    assert evaluate(tmp_path / "c", attributed(rows))["social_operation_rural"].passed is False


def test_meal_points_and_teaching_points(tmp_path):
    ind = evaluate(tmp_path / "a", attributed())
    meal = ind["meal_points"]
    # hosts: S, CP, T, P1–P5 (institutions are not hosts); P2 unknown; S, T, P3 host one: 3 of 7
    assert meal.value == 3.0 and meal.passed is None and meal.status == "no_target"
    assert meal.numbers["hosts_known"] == 7 and meal.numbers["share_pct"] == pytest.approx(300 / 7)
    assert meal.numbers["meal_points_village_point"] == 1
    tp = ind["teaching_point_coverage"]
    # 甲街道, 一社区, 二社区: S (in 一社区 of 甲街道) hosts one: 2 of 3 = 66.7 % < 70 %
    assert tp.value == pytest.approx(200 / 3) and tp.target == 70.0 and tp.passed is False
    assert (tp.numbers["streets_covered"], tp.numbers["communities_covered"]) == (1, 1)
    low = evaluate(
        tmp_path / "b", attributed(), settings_toml="[indicators]\nteaching_point_target = 0.6\n"
    )
    assert low["teaching_point_coverage"].passed is True
    # a teaching point in 二社区 (x = 1500) completes it
    rows = (*ATTRIBUTED, ("U", "compound_point", 1500, 500, 50, 0, 0, "private", False, True))
    assert evaluate(tmp_path / "c", attributed(rows))["teaching_point_coverage"].value == 100.0


def test_urban_and_rural_service_coverage_split_the_unit_rules(tmp_path):
    ind = indicators(tmp_path)
    urban, rural = ind["urban_service_coverage"], ind["rural_service_coverage"]
    # urban pair: 甲街道 (no center), 一社区 (S), 二社区 (none): 1 of 3
    assert urban.value == pytest.approx(100 / 3) and urban.passed is False
    assert (urban.numbers["streets_with_center"], urban.numbers["communities_served"]) == (0, 1)
    assert "甲街道" in urban.detail_zh and "二社区" in urban.detail_zh
    # rural pair: 乙镇 (T) and 三村 (P): 2 of 2
    assert rural.value == 100.0 and rural.passed is True
    # the same per-unit checks as the two rules: together they make up both
    centers, stations = ind["center_per_street"], ind["station_per_community"]
    assert (
        urban.numbers["streets_with_center"] + rural.numbers["streets_with_center"] == centers.value
    )
    assert (
        urban.numbers["communities_served"] + rural.numbers["communities_served"] == stations.value
    )


def buildings_with_years(years=(2022, 2010, 2021, None)) -> gpd.GeoDataFrame:
    """The four homes of the hand district (households 10, 20, 30, 5) with a year built."""
    return gpd.GeoDataFrame(
        {
            "row": [2, 3, 4, 5],
            "name": ["B1", "B2", "B3", "B4"],
            "households": [10.0, 20.0, 30.0, 5.0],
            "year_built": [float("nan") if y is None else float(y) for y in years],
        },
        geometry=[P(100, 520), P(400, 480), P(900, 530), P(1500, 510)],
        crs=CRS,
    )


# F1 20 m from B1, F2 70 m from B3, F4 50 m from B4 (and 550 m from B3); the institution F5,
# 20 m from B1, is not a compound's community provision (002 §12) and never counts
HOUSING_FACS = (
    ("F1", "compound_point", 100, 540, 2),
    ("F2", "compound_point", 900, 600, 6),
    ("F4", "station", 1450, 510, 100),
    ("F5", "institution", 100, 500, 1000),
)


def test_new_housing_provision_per_100_households(tmp_path):
    bld = buildings_with_years()
    fac = facilities(*HOUSING_FACS)
    ind = evaluate(tmp_path / "a", fac, buildings=bld)["new_housing_provision"]
    # new since 2021: B1 (2022, 10 households: needs 2 m²) and B3 (2021, 30: needs 6 m²); B2 is
    # old, B4 undated. F1 (2 m², 20 m away) provides B1 exactly; F2 is 70 m from B3 (> 50 m)
    assert ind.numbers["new_buildings"] == 2 and ind.numbers["meeting"] == 1
    assert ind.value == 50.0 and ind.target == 100.0 and ind.passed is False
    assert ind.numbers["required_m2"] == pytest.approx(8.0)
    assert ind.numbers["provided_m2"] == pytest.approx(2.0)
    assert "B3 (0 < 6 m²)" in ind.detail_en and "B1 (" not in ind.detail_en
    # within 80 m F2 provides B3's 6 m²: 2 of 2
    far = evaluate(
        tmp_path / "b",
        fac,
        buildings=bld,
        settings_toml="[indicators]\nnew_housing_max_distance_m = 80\n",
    )["new_housing_provision"]
    assert far.value == 100.0 and far.passed is True
    # within 600 m F4 is still B4's (its nearest building), not B3's
    wide = evaluate(
        tmp_path / "c",
        fac,
        buildings=bld,
        settings_toml="[indicators]\nnew_housing_max_distance_m = 600\n",
    )["new_housing_provision"]
    assert wide.numbers["provided_m2"] == pytest.approx(8.0)
    # only B1 is new since 2022; at 30 m² per 100 households it needs 3 m² > 2
    since = evaluate(
        tmp_path / "d", fac, buildings=bld, settings_toml="[indicators]\nnew_housing_since = 2022\n"
    )["new_housing_provision"]
    assert since.numbers["new_buildings"] == 1 and since.passed is True
    more = evaluate(
        tmp_path / "e",
        fac,
        buildings=bld,
        settings_toml="[indicators]\nnew_housing_m2_per_100_households = 30\n",
    )["new_housing_provision"]
    assert more.numbers["meeting"] == 0 and more.passed is False
    # no new housing at all: nothing to check, not a PASS
    old = evaluate(tmp_path / "f", fac, buildings=buildings_with_years((2000, 2000, 2000, None)))
    assert old["new_housing_provision"].passed is None


def test_reported_indicators_are_shown_as_reported_never_computed(tmp_path):
    toml = (
        "[indicators.reported]\n"
        "family_doctor_signing = 0.83\n"
        "social_workers = 1\n"
        "geriatrics_departments = 0.5\n"
    )
    ind = indicators(tmp_path, settings_toml=toml)
    doc = ind["family_doctor_signing"]
    assert (doc.value, doc.target, doc.unit, doc.passed) == (pytest.approx(83.0), 80.0, "%", True)
    assert doc.origin == "reported" and "0.83" in doc.detail_zh and "000 专栏1 #8" in doc.source
    sw = ind["social_workers"]  # ≥ 1 per 1,000 older people: 1 passes
    assert (sw.value, sw.target, sw.unit, sw.passed) == (1.0, 1.0, "ratio", True)
    assert ind["geriatrics_departments"].passed is False  # 50 % < 65 % (000; 004's 50 % is 2022's)
    missing = ind["institution_quality"]
    assert (
        missing.passed is None and missing.status == "not_reported" and missing.origin == "reported"
    )
    frame = indicator_frame(ind, "zh").set_index("指标")
    assert frame.loc["居家老年人家庭医生签约服务覆盖率", "取得方式"] == "填报"
    assert frame.loc["居家老年人家庭医生签约服务覆盖率", "结论"] == "达标"
    assert frame.loc["养老机构服务基本质量达标率", "结论"] == "未填报"
    assert frame.loc["居家养老服务覆盖率", "取得方式"] == "计算"
    en = indicator_frame(ind, "en").set_index("indicator")
    assert en.loc["social workers per 1,000 older people or per 100 care beds", "value"] == 1.0


@pytest.mark.parametrize(
    ("toml", "words"),
    [
        ("family_doctor = 0.8", ["family_doctor", "0.8", "unknown reported indicator"]),
        ("family_doctor_signing = 1.5", ["family_doctor_signing", "1.5", "between 0 and 1"]),
        ("social_workers = -2", ["social_workers", "-2", "negative"]),
        ('senior_volunteers = "15%"', ["senior_volunteers", "15%", "not a number"]),
    ],
)
def test_bad_reported_figures_are_refused_when_the_scenario_is_read(tmp_path, toml, words):
    with pytest.raises(ScenarioError) as info:
        district(tmp_path, settings_toml=f"[indicators.reported]\n{toml}\n")
    text = str(info.value)
    for word in words:
        assert word in text
    assert "indicators.reported" in text


def test_a_bad_reported_figure_stops_the_command_before_anything_is_written(tmp_path, capsys):
    folder = tmp_path / "demo-small"
    shutil.copytree(SMALL, folder)
    with (folder / "scenario.toml").open("a", encoding="utf-8") as fh:
        fh.write("\n[indicators.reported]\nlottery_fund_share = 1.5\n")
    out = tmp_path / "out"
    assert main(["coverage", str(folder), "--out", str(out)]) == 1
    assert "lottery_fund_share" in capsys.readouterr().out
    assert not out.exists()


def test_planned_sites_count_with_the_documents_assumptions():
    from siting.standards import SizeStandards

    cols = ("name", "type", "beds", "operator", "meal_service")
    std = SizeStandards()
    # a new street center: the 20 beds of its standard (001 annex 1), run 公建民营 (002 §13)
    assert planned_facility("street_center", columns=cols, standards=std) == {
        "beds": 20.0,
        "operator": "public_private",
        "meal_service": None,
    }
    # a new village point: no beds required, operator unknown
    assert planned_facility("village_point", columns=cols, standards=std)["operator"] is None
    # an upgrade keeps what the facility had (and at least the new standard's beds)
    up = planned_facility(
        "street_center",
        columns=cols,
        standards=std,
        original={"beds": 8.0, "operator": "public", "meal_service": True},
    )
    assert up == {"beds": 20.0, "operator": "public", "meal_service": True}
    # columns the facilities input does not have stay absent
    assert planned_facility("station", columns=("type",), standards=std) == {}


def test_the_optional_columns_are_read_and_checked(tiny):
    folder = tiny.parent
    csv = folder / "facilities.csv"
    fac = pd.read_csv(csv, encoding="utf-8-sig", dtype=str)
    fac["床位"] = ["4", "0", "30"]
    fac["护理型床位"] = ["0", "0", "12"]
    fac["运营"] = ["公建民营", "村委会自办", ""]
    fac["助餐"] = ["是", "提供", "否"]
    fac.to_csv(csv, index=False, encoding="utf-8-sig")
    text = tiny.read_text(encoding="utf-8").replace(
        'floor_area_m2 = "建筑面积"',
        'floor_area_m2 = "建筑面积"\nbeds = "床位"\nnursing_beds = "护理型床位"\n'
        'operator = "运营"\nmeal_service = "助餐"',
        1,  # the facilities' mapping (the first)
    )
    text += (
        '\n[inputs.facilities.values.operator]\n"公建民营" = "public_private"\n"村委会自办" = "public"\n'
        '[inputs.facilities.values.meal_service]\n"提供" = true\n'
    )
    tiny.write_text(text, encoding="utf-8")
    inputs = load_inputs(load_scenario(tiny), network=False)
    f = inputs.facilities
    assert f["operator"].tolist()[:2] == ["public_private", "public"]
    assert pd.isna(f["operator"].iloc[2])  # blank: unknown
    assert f["meal_service"].tolist() == [True, True, False]
    assert f["nursing_beds"].tolist() == [0.0, 0.0, 12.0]
    # more nursing beds than beds, an operator not in the vocabulary, a word that is not yes/no
    fac["护理型床位"] = ["5", "0", "12"]
    fac["运营"] = ["公建民营", "物业", ""]
    fac["助餐"] = ["是", "偶尔", "否"]
    fac.to_csv(csv, index=False, encoding="utf-8-sig")
    with pytest.raises(InputError) as info:
        load_inputs(load_scenario(tiny), network=False)
    text = str(info.value)
    assert "more nursing-type beds than beds" in text and "row 2" in text
    assert "物业" in text and "operator" in text
    assert "偶尔" in text and "meal_service" in text


# ---------------------------------------------------------------------------------------------
# the demo district: the figures its files imply, before and after a plan
# ---------------------------------------------------------------------------------------------

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"
SOCIAL = ("公建民营", "民办", "民办公助")  # the demo's words for socially run (its scenario.toml)


def _district(folder: Path):
    from siting.walking import walking_graph

    inputs = load_inputs(load_scenario(folder))
    graph = walking_graph(inputs)
    return inputs, graph, compute_coverage(inputs, graph)


@pytest.fixture(scope="module")
def demo():
    return _district(DEMO)


def test_the_demo_computes_the_new_indicators_from_its_files(demo):
    inputs, _, cov = demo
    ind = cov.indicators
    raw = pd.read_csv(DEMO / "facilities_amap.csv", encoding="utf-8-sig")
    # #1: Σ 床位数 = 1,513; the demo (500199) is no real district: no target, reported only
    assert ind["total_beds"].value == raw["床位数"].sum() == 1513
    assert ind["total_beds"].status == "no_target"
    # #2: nursing-type beds of the 敬老院 and 养老院, 539 of 990, against the municipal 50 % (004)
    inst = raw[raw["类型"].isin(["敬老院", "养老院"])]
    assert (inst["护理型床位数"].sum(), inst["床位数"].sum()) == (539, 990)
    nursing = ind["nursing_bed_share"]
    assert nursing.value == pytest.approx(100 * 539 / 990) and nursing.passed is True
    # 001 §一 and 004 一 from the 运营方式 column
    social = raw["运营方式"].isin(SOCIAL)
    urban = raw["类型"].isin(["街道养老服务中心", "社区养老服务站", "小区养老服务点"])
    rural = raw["类型"].isin(["乡镇养老服务中心", "村级互助养老点"])
    assert (int((urban & social).sum()), int(urban.sum())) == (37, 38)
    assert (int((rural & social).sum()), int(rural.sum())) == (36, 99)
    assert ind["social_operation_urban"].value == pytest.approx(100 * 37 / 38)
    assert ind["social_operation_urban"].passed is True  # 97.4 % ≥ 90 %
    assert ind["social_operation_rural"].value == pytest.approx(100 * 36 / 99)
    assert ind["social_operation_rural"].passed is False  # 36.4 % < 60 %
    social_beds = raw.loc[social, "床位数"].sum()
    assert social_beds == 1214
    assert ind["social_operation_beds"].value == pytest.approx(100 * 1214 / 1513)
    assert ind["social_operation_beds"].passed is True
    # 000 专栏2: hosts are the 137 centers, stations and points, 61 of them with a meal point
    hosts = urban | rural
    assert int((hosts & (raw["助餐服务"] == "是")).sum()) == ind["meal_points"].value == 61
    assert ind["meal_points"].numbers["hosts_known"] == hosts.sum() == 137
    # #3/#4: the same units as the two rules (13 of 24 街道/镇, 116 of 319 社区/村)
    u, r = ind["urban_service_coverage"], ind["rural_service_coverage"]
    assert (u.numbers["served"], u.numbers["units"]) == (2 + 28, 4 + 69)
    assert (r.numbers["served"], r.numbers["units"]) == (11 + 88, 20 + 250)
    # #12: the demo has no teaching points
    assert ind["teaching_point_coverage"].status == "na"
    # #6: the 106 小区 built in 2021 or later; provision by a brute-force nearest-building oracle
    bld = inputs.buildings
    new = bld["year_built"].to_numpy() >= 2021
    assert int(new.sum()) == 106 == ind["new_housing_provision"].numbers["new_buildings"]
    provided = np.zeros(len(bld))
    b_geoms = np.asarray(bld.geometry.array, dtype=object)
    fac = inputs.facilities
    for geom, area, kind in zip(fac.geometry, fac["floor_area_m2"], fac["type"], strict=True):
        if kind == "institution":  # a 养老机构 is not a compound's community provision
            continue
        d = shapely.distance(b_geoms, geom)
        if d.min() <= 50.0:
            provided[int(np.argmin(d))] += area
    meets = new & (provided >= 0.2 * bld["households"].to_numpy() - 1e-9)
    housing = ind["new_housing_provision"]
    assert housing.numbers["meeting"] == int(meets.sum()) == 5
    assert housing.value == pytest.approx(100 * 5 / 106) and housing.passed is False
    # every reported indicator is "not reported", none counts as passed
    assert all(ind[k].status == "not_reported" for k in REPORTED_KEYS)


def test_after_a_plan_new_sites_count_with_the_stated_assumptions():
    from siting.model import build_problem, solve
    from siting.optimize import optimize_settings

    inputs, graph, cov = _district(SMALL)
    settings = optimize_settings(inputs.scenario, budget_wan_yuan=150.0)
    problem = build_problem(inputs, cov, graph=graph, settings=settings)
    r = solve(problem)
    o = problem.options
    built = np.zeros(len(o), dtype=bool)
    built[r.open_options] = True
    built &= ~problem.existing
    types = o["type"].to_numpy()[built]
    assert len(types) and set(o["action"].to_numpy()[built]) == {"new"}
    after, before = r.indicators, cov.indicators
    n = {t: int((types == t).sum()) for t in set(types)}
    # beds: 20 for a new street center (its standard), none for the others
    assert after["total_beds"].value == before["total_beds"].value + 20 * n.get("street_center", 0)
    # new centers and stations run 公建民营 (002 §13); new village and compound points: unknown
    urban_new = n.get("station", 0) + n.get("street_center", 0)
    ub, ua = before["social_operation_urban"].numbers, after["social_operation_urban"].numbers
    assert ua["social"] == ub["social"] + urban_new
    assert ua["unknown"] == ub["unknown"] + n.get("compound_point", 0)
    rb, ra = before["social_operation_rural"].numbers, after["social_operation_rural"].numbers
    assert ra["social"] == rb["social"] + n.get("town_center", 0)
    assert ra["unknown"] == rb["unknown"] + n.get("village_point", 0)
    # meal service of new sites is unknown: the count of meal points stays
    assert after["meal_points"].value == before["meal_points"].value
    # the unit rules and their 000 split agree after the plan too
    served = after["urban_service_coverage"].numbers["served"]
    served += after["rural_service_coverage"].numbers["served"]
    assert served == after["center_per_street"].value + after["station_per_community"].value
