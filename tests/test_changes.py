"""SPEC §10: changes beyond noise (z and Welch t, hand-computed at the edge), one number per change
(the brief and the key-figure card print the same), and why a status (red reasons apart from amber)."""

import math

import polars as pl
import pytest

from core.months import Month
from core.policy import Policy
from metrics.changes import group_samples, noise_test, two_proportion_z, welch_t
from metrics.health import CENTER
from reports.brief import _moves, _status_sentence
from reports.changes import change_between, change_text, subtracts
from reports.context import _kpi_tiles
from reports.i18n import Translator
from reports.inputs import ReportInputs
from reports.status import status_why

MONTH = Month.parse("2026-10")
EN, ZH = Translator("en"), Translator("zh-CN")


# --- the statistics --------------------------------------------------------------------------------

def test_z_just_under_1_96_is_noise():
    # 81/100 against 69/100: pooled p = 150/200 = 0.75; p(1−p) = 0.1875; × (1/100 + 1/100) = 0.00375;
    # √ = 0.0612372; z = (0.81 − 0.69) / 0.0612372 = 1.959592 < 1.96
    z = two_proportion_z(81, 100, 69, 100)
    assert z == pytest.approx(1.959592, abs=1e-6)
    assert not noise_test("csat", {"csat_top2": 81, "csat_responses": 100},
                          {"csat_top2": 69, "csat_responses": 100}).beyond_noise


def test_z_just_over_1_96_is_a_change():
    # 86/100 against 75/100: pooled p = 161/200 = 0.805; p(1−p) = 0.156975; × 0.02 = 0.0031395;
    # √ = 0.0560312; z = 0.11 / 0.0560312 = 1.96319 ≥ 1.96; the other way round it is −1.96319
    assert two_proportion_z(86, 100, 75, 100) == pytest.approx(1.96319, abs=1e-5)
    test = noise_test("attendance_rate", {"worked_shifts": 75, "required_shifts": 100},
                      {"worked_shifts": 86, "required_shifts": 100})
    assert test.statistic == pytest.approx(-1.96319, abs=1e-5) and test.beyond_noise
    assert (test.n_now, test.n_before) == (100, 100)


def test_welch_t_at_the_edge():
    # s² = 100 over 45 evaluations and 80 over 45: √(100/45 + 80/45) = √4 = 2;
    # 86.06 − 90 = −3.94 → t = −1.97 (a change); 86.1 − 90 = −3.9 → t = −1.95 (noise)
    assert welch_t(86.06, 100, 45, 90, 80, 45) == pytest.approx(-1.97)
    assert welch_t(86.1, 100, 45, 90, 80, 45) == pytest.approx(-1.95)
    over = noise_test("qa_score", {"qa_score": 86.06, "qa_score_var": 100.0, "qa_evals": 45},
                      {"qa_score": 90.0, "qa_score_var": 80.0, "qa_evals": 45})
    under = noise_test("qa_score", {"qa_score": 86.1, "qa_score_var": 100.0, "qa_evals": 45},
                       {"qa_score": 90.0, "qa_score_var": 80.0, "qa_evals": 45})
    assert over.beyond_noise and not under.beyond_noise


def test_empty_single_and_identical_months_are_never_called_out():
    assert two_proportion_z(0, 0, 5, 10) is None and two_proportion_z(5, 10, 0, 0) is None  # n = 0
    assert two_proportion_z(1, 1, 1, 1) is None  # n = 1 each, pooled p = 1: nothing can differ
    assert two_proportion_z(1, 1, 0, 1) == pytest.approx(math.sqrt(2))  # p = 0.5: 1/√(0.25·2) = 1.414 < 1.96
    assert two_proportion_z(40, 50, 40, 50) == 0.0  # identical months
    assert welch_t(80, None, 1, 90, 4.0, 10) is None  # one evaluation has no variance
    assert welch_t(80, 0.0, 5, 90, 0.0, 5) is None  # every evaluation scored alike in both months
    assert welch_t(85, 9.0, 10, 85, 9.0, 10) == 0.0
    assert not noise_test("csat", {"csat_top2": 0, "csat_responses": 0},
                          {"csat_top2": 9, "csat_responses": 10}).beyond_noise
    assert noise_test("headcount", {"headcount": 3}, {"headcount": 9}) is None  # counted, not sampled


def test_group_samples_per_team_and_center():
    card = pl.DataFrame({"agent_id": ["a", "b", "c"], "team_id": ["T1", "T1", "T2"], "csat_top2": [8, 9, 5],
                         "csat_responses": [10, 10, 5], "worked_shifts": [20, 18, 10], "required_shifts": [20, 20, 10],
                         "qa_evals": [3, 1, 2]})
    scores = pl.DataFrame({"agent_id": ["a", "a", "a", "b", "c", "c", "gone"], "score": [80.0, 90, 100, 70, 60, 60, 0]})
    rows = {r["team_id"]: r for r in group_samples(card, scores, 3).iter_rows(named=True)}
    # T1: scores 80, 90, 100, 70 → mean 85, squared deviations 25 + 25 + 225 + 225 = 500, s² = 500/3
    assert rows["T1"]["qa_evals"] == 4 and rows["T1"]["qa_score_var"] == pytest.approx(500 / 3)
    assert (rows["T1"]["csat_top2"], rows["T1"]["csat_responses"], rows["T1"]["qa_covered"]) == (17, 20, 1)
    assert rows["T1"]["qa_coverage"] == 0.5 and rows["T2"]["qa_score_var"] == 0.0
    # the center: 80, 90, 100, 70, 60, 60 → mean 76.67, Σ(x − m)² = 11.11 + 177.78 + 544.44 + 44.44 + 2 · 277.78
    # = 1333.33, s² = 1333.33 / 5 = 266.67 (the agent not active left out)
    assert rows[CENTER]["qa_evals"] == 6 and rows[CENTER]["qa_score_var"] == pytest.approx(1333.3333 / 5)
    assert (rows[CENTER]["worked_shifts"], rows[CENTER]["required_shifts"]) == (48, 50)


# --- the brief and the cards ---------------------------------------------------------------------

def _trend(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, infer_schema_length=None)


def _inputs(trend: pl.DataFrame, policy: Policy | None = None) -> ReportInputs:
    none = pl.DataFrame()
    return ReportInputs(month=MONTH, policy=policy or Policy(), scorecard=none, health=none, trend=trend,
                        eligibility=none, winners=none, draw_seed=0, draw_pool_size=0, coaching=none, ledger=none,
                        complaints=none, deductions=none, teams=none, data_quality=none, quality_reasons=none,
                        warnings=none, expectations=none, calendar=None, calibration=none, fairness=none,
                        evaluations=none)


def _csat(month: str, team: str, top2: int, n: int) -> dict:
    return {"month": month, "team_id": team, "csat": top2 / n, "csat_top2": top2, "csat_responses": n}


def test_the_brief_calls_out_a_change_beyond_noise_and_not_a_larger_one_within_it():
    # T1: 86/100 → 75/100, −11 pt, z = −1.963 (beyond noise); T2: 81/100 → 69/100, −12 pt, z = −1.960 (noise)
    trend = _trend([_csat("2026-09", "T1", 86, 100), _csat("2026-10", "T1", 75, 100),
                    _csat("2026-09", "T2", 81, 100), _csat("2026-10", "T2", 69, 100)])
    said = _moves(EN, _inputs(trend), ["T1", "T2"], {"T1": "Alpha", "T2": "Beta"})
    assert said == ("Changes since last month beyond sampling noise: Alpha: CSAT fell 11.0 pt to 75.0% "
                    "(n=100 last month, 100 now).")
    assert "Beta" not in said
    zh = _moves(ZH, _inputs(trend), ["T1", "T2"], {"T1": "Alpha", "T2": "Beta"})
    assert "Alpha满意度下降 11.0 个百分点，至 75.0%（n：上月 100，本月 100）" in zh and "Beta" not in zh
    # within noise everywhere: no sentence at all
    assert _moves(EN, _inputs(trend), ["T2"], {"T2": "Beta"}) == ""
    # the reader's own team is not named before each of its changes
    assert _moves(EN, _inputs(trend), ["T1"]) == ("Changes since last month beyond sampling noise: CSAT fell 11.0 pt "
                                                  "to 75.0% (n=100 last month, 100 now).")


def test_the_brief_lists_the_three_largest_changes_and_says_how_many_there_are():
    # 90/100 → 70/100 (z ≈ −3.4), 85 → 70 (z ≈ −2.5), 80 → 95 (+ z ≈ 3.2), 88 → 75 (z ≈ −2.4): four beyond noise
    rows = [(team, before, now) for team, before, now in (("T1", 90, 70), ("T2", 85, 70), ("T3", 80, 95), ("T4", 88, 75))]
    trend = _trend([row for team, before, now in rows
                    for row in (_csat("2026-09", team, before, 100), _csat("2026-10", team, now, 100))])
    said = _moves(EN, _inputs(trend), ["T1", "T2", "T3", "T4"], {"T1": "A", "T2": "B", "T3": "C", "T4": "D"})
    assert said.startswith("Changes since last month beyond sampling noise, the largest 3 of 4 (all are marked ▲ or "
                           "▼ in the tables): A: CSAT fell 20.0 pt")
    assert "B: CSAT fell 15.0 pt" in said and "D: CSAT fell 13.0 pt" in said and "C:" not in said  # declines first
    assert "最大的 3 项" in _moves(ZH, _inputs(trend), ["T1", "T2", "T3", "T4"], {"T1": "A", "T2": "B", "T3": "C",
                                                                                  "T4": "D"})


def test_the_brief_and_the_card_print_one_number_for_one_change():
    # 90.149 → 86.351: the change is −3.798, printed −3.8; the printed figures 90.1 and 86.4 subtract to −3.7.
    # s² = 10 over 50 evaluations each month: t = −3.798 / √(0.2 + 0.2) = −6.0, beyond noise.
    before = {"month": "2026-09", "team_id": CENTER, "qa_score": 90.149, "qa_score_var": 10.0, "qa_evals": 50}
    now = {**before, "month": "2026-10", "qa_score": 86.351}
    said = _moves(EN, _inputs(_trend([before, now])), [CENTER], {CENTER: "The center"})
    assert "QA score fell 3.8 to 86.4 (n=50 last month, 50 now)" in said
    health = {"csat": None, "qa_score": 86.351, "attendance_rate": None, "penalty_rate_per_100": None,
              "headcount": 20, "attrition_rate": None}
    sizes = {"csat_responses": 0, "qa_evals": 50, "required_shifts": 0}
    tiles = {tile["label"]: tile for tile in _kpi_tiles(EN, Policy(), health, sizes, now, before)}
    assert tiles["QA score"]["last"] == "last month 90.1 (n=50): -3.8 ▼*" and tiles["QA score"]["rounded"]
    change = change_between("qa_score", now, before)
    assert change_text(EN, change) == "-3.8" and change_text(EN, change, unsigned=True) == "3.8"
    assert not subtracts(EN, change)  # hence the * and the footnote
    assert subtracts(EN, change_between("qa_score", {"qa_score": 86.4}, {"qa_score": 90.1}))


# --- why a status -------------------------------------------------------------------------------

RED_AND_AMBER = {"team_id": "T1", "status": "red", "headcount": 20, "penalties": 4, "rewards": 6,
                 "severe_penalties": 0, "severe_penalty_rate_per_100": 0.0, "premature_complaint_penalties": 1,
                 "csat": 0.93, "untimely_action_share": 0.3, "qa_coverage": 0.9,
                 "flags": "premature_complaint_penalties>=1;csat<0.96;untimely_action_share>0.2"}


def test_a_status_says_why_red_apart_from_amber_with_what_to_do():
    assert status_why(EN, RED_AND_AMBER, Policy(), {"csat_responses": 200}) == (
        "Red: 1 penalty issued on a complaint not yet substantiated: review it. Also amber: CSAT 93.0% (n=200) "
        "under the 96% target: listen to the low-rated contacts; 3 of 10 rewards and penalties (30%) given more than "
        "7 days after the event: act sooner.")
    assert status_why(ZH, RED_AND_AMBER, Policy(), {"csat_responses": 200}).startswith(
        "红色原因：1 次处罚所依据的投诉尚未认定属实：请复核该处罚。另有黄色原因：满意度 93.0%（n=200）低于目标 96%")
    assert status_why(EN, {**RED_AND_AMBER, "status": "green", "flags": ""}, Policy()) == ""


def test_the_red_sentence_gives_no_amber_reason_as_a_cause_of_red():
    said = _status_sentence(EN, "brief_center", {**RED_AND_AMBER, "team_id": CENTER}, _inputs(pl.DataFrame()),
                            {"csat_responses": 200}, "20")
    red, amber = said.split(" Also amber: ")
    assert red == ("The whole center is red (1 penalty issued on a complaint not yet substantiated: review it; "
                   "20 agents).")
    assert "CSAT" not in red and amber.startswith("CSAT 93.0% (n=200) under the 96% target")
