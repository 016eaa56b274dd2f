"""SPEC §6–§8 on hand-built scorecards; every expected value worked out by hand."""

import hashlib
import random
from functools import partial

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.months import Month
from core.policy import Policy
from metrics.awards import award_eligibility, award_winners, lucky_draw
from metrics.coaching import coaching_list
from metrics.complaints import complaint_statuses
from metrics.health import management_health, unknown_complaint_warnings
from reports.i18n import Translator, award_deed
from tests.rows import OCTOBER, D, T, frame

POLICY = Policy()
SCORECARD_SCHEMA = {
    "month": pl.String, "agent_id": pl.String, "agent_name": pl.String, "team_id": pl.String,
    "shift_pattern": pl.String, "new_hire": pl.Boolean, "ranked": pl.Boolean, "composite": pl.Float64,
    "cohort_percentile": pl.Float64, "qa_score": pl.Float64, "csat": pl.Float64, "csat_responses": pl.Int64,
    "complaints_substantiated": pl.Int64, "penalties": pl.Int64, "qa_critical_errors": pl.Int64,
    "absences": pl.Int64, "required_shifts": pl.Int64, "leave_shifts": pl.Int64, "late_count": pl.Int64,
    "serious_late_count": pl.Int64, "attendance_rate": pl.Float64, "composite_delta": pl.Float64,
    "cohort_rank": pl.Int64, "cohort_size": pl.Int64, "exit_date": pl.Date, "qa_evals": pl.Int64,
    "worked_shifts": pl.Int64,
}


def person(agent_id, **values):
    base = {"month": "2026-10", "agent_id": agent_id, "agent_name": f"name {agent_id}", "team_id": "T1",
            "shift_pattern": "day", "new_hire": False, "ranked": True, "composite": 80.0, "cohort_percentile": 0.5,
            "qa_score": 92.0, "csat": 0.97, "csat_responses": 30, "complaints_substantiated": 0, "penalties": 0,
            "qa_critical_errors": 0, "absences": 0, "required_shifts": 20, "leave_shifts": 0, "late_count": 0,
            "serious_late_count": 0, "attendance_rate": 1.0, "composite_delta": None, "exit_date": None,
            "qa_evals": 3, "worked_shifts": 20}
    return {**base, **values}


def scorecard(*rows):
    return pl.DataFrame(list(rows), schema=SCORECARD_SCHEMA)


AWARD_CARD = scorecard(
    person("S1", cohort_percentile=0.95, composite_delta=6.0, cohort_rank=2, cohort_size=21),  # (21 - 2) / 20
    person("S2", cohort_percentile=1.0, qa_score=95.0, csat=0.99, penalties=1),  # a top performer with a penalty
    person("S3", cohort_percentile=0.5, qa_score=85.0, csat=0.9, late_count=1, composite_delta=8.0),
    person("S4", new_hire=True, ranked=False, composite=None, cohort_percentile=None, qa_score=None, csat=None,
           attendance_rate=0.95),
    person("S5", composite_delta=8.0, serious_late_count=1, late_count=1),
    person("S6", composite_delta=5.0, attendance_rate=0.9499),
    person("S7", composite_delta=4.9, leave_shifts=1),
    person("S8", exit_date=D(2026, 10, 12)),
)


@pytest.fixture  # per test: mutation testing ties each test to the functions it calls
def eligibility():
    frame_ = award_eligibility(AWARD_CARD, POLICY)
    return {(row["agent_id"], row["award"]): row for row in frame_.iter_rows(named=True)}


def test_every_agent_has_a_row_per_award(eligibility):
    assert len(eligibility) == 8 * 4


@pytest.mark.parametrize("agent,award,unmet", [
    ("S1", "service_star", ""),
    ("S2", "service_star", "penalties=0"),
    ("S3", "service_star", "cohort_percentile>=0.9;qa_score>=90;csat>=0.96"),
    ("S4", "service_star", "ranked;cohort_percentile>=0.9;qa_score>=90;csat>=0.96"),
    ("S1", "perfect_attendance", ""),
    ("S3", "perfect_attendance", "late_count=0"),
    ("S4", "perfect_attendance", "not_new_hire"),
    ("S8", "perfect_attendance", "not_leaving"),  # clean attendance, but leaving this month (SPEC §6)
    ("S8", "lucky_draw", "not_leaving"),
    ("S7", "perfect_attendance", "leave_shifts=0"),
    ("S4", "most_improved", "ranked;ranked_last_month;composite_delta>=5"),
    ("S6", "most_improved", ""),
    ("S7", "most_improved", "composite_delta>=5"),
    ("S2", "most_improved", "ranked_last_month;composite_delta>=5"),
    ("S4", "lucky_draw", ""),
    ("S5", "lucky_draw", "serious_late_count=0"),
    ("S6", "lucky_draw", "attendance_rate>=0.95"),
    ("S2", "lucky_draw", "penalties=0"),
])
def test_unmet_criteria(eligibility, agent, award, unmet):
    row = eligibility[(agent, award)]
    assert (row["eligible"], row["unmet"]) == (unmet == "", unmet)


def spec_draw(pool, month, salt="ccpulse", winners=3):
    """SPEC §6's draw, written out here from the text."""
    seed = int(hashlib.sha256(f"{salt}:{month}".encode()).hexdigest()[:16], 16)
    return seed, random.Random(seed).sample(sorted(pool), min(winners, len(pool)))


def test_winners():
    eligibility = award_eligibility(AWARD_CARD, POLICY)
    draw = lucky_draw(eligibility, OCTOBER, POLICY)
    # pool: attendance >= 0.95, no absence, no serious lateness, no penalty: S1 S3 S4 S7
    assert draw.pool == ["S1", "S3", "S4", "S7"]
    assert (draw.seed, draw.winners) == spec_draw(["S1", "S3", "S4", "S7"], "2026-10")
    winners = award_winners(AWARD_CARD, eligibility, draw, partial(award_deed, Translator("en")))
    by_award = {award: rows["agent_id"].to_list() for (award,), rows in winners.group_by("award")}
    assert by_award["service_star"] == ["S1"]
    assert by_award["perfect_attendance"] == ["S1", "S2", "S6"]  # S5 was late once
    # deltas 8 (S3), 8 (S5), 6 (S1), 5 (S6): three largest, ties by agent_id
    assert by_award["most_improved"] == ["S3", "S5", "S1"]
    assert by_award["lucky_draw"] == draw.winners
    assert winners.columns == ["month", "award", "agent_id", "agent_name", "team_id", "reason"]
    s2 = winners.filter(pl.col("agent_id") == "S2").row(0, named=True)
    assert (s2["month"], s2["agent_name"], s2["team_id"]) == ("2026-10", "name S2", "T1")
    nobody = award_winners(AWARD_CARD, eligibility.with_columns(eligible=pl.lit(False)),
                           lucky_draw(eligibility.with_columns(eligible=pl.lit(False)), OCTOBER, POLICY),
                           partial(award_deed, Translator("en")))
    assert nobody.height == 0 and nobody.schema == winners.schema  # an empty awards.csv keeps its columns
    star = winners.filter(pl.col("award") == "service_star").row(0, named=True)
    assert star["reason"] == ("No. 2 of 21 in the day cohort (composite 80.0); QA 92.0, CSAT 97.0% (n=30); "
                              "no complaints, penalties, critical errors or absences")


@settings(max_examples=50, deadline=None)
@given(st.lists(st.from_regex(r"A[0-9]{4}", fullmatch=True), unique=True, max_size=30),
       st.integers(2000, 2100), st.integers(1, 12))
def test_the_draw_is_reproducible_and_changes_with_the_month(pool, year, month_number):
    month = Month(year, month_number)
    cards = scorecard(*[person(a) for a in pool])
    eligibility = award_eligibility(cards, POLICY)
    first, again = lucky_draw(eligibility, month, POLICY), lucky_draw(eligibility, month, POLICY)
    assert first == again
    assert (first.seed, first.winners) == spec_draw(pool, str(month))
    assert lucky_draw(eligibility, month.next(), POLICY).seed != first.seed


# --- coaching -------------------------------------------------------------------------------

def test_coaching_list_and_buddies():
    cards = scorecard(
        person("B1", composite=90.0, cohort_percentile=1.0),
        person("B0", composite=90.0, cohort_percentile=1.0),       # same composite: B0 wins on agent_id
        person("B2", composite=95.0, cohort_percentile=0.95, qa_critical_errors=1),  # coached: never a buddy
        person("B3", composite=50.0, cohort_percentile=0.05),      # bottom of the cohort
        person("N1", new_hire=True, ranked=False, composite=None, cohort_percentile=None),
        person("B4", shift_pattern="night", composite=70.0, cohort_percentile=0.95, qa_score=75.0),
        person("U2", ranked=False, composite=None, cohort_percentile=None, serious_late_count=1, qa_score=79.9),
        person("X1", team_id="T2", composite=99.0, cohort_percentile=1.0),  # another team's best: not a buddy
        person("B5", composite=80.0, cohort_percentile=0.5),       # ranked, not coached, below B0: not the buddy
        person("Q0", ranked=False, composite=None, cohort_percentile=None, qa_score=None),  # no figure: no reason
        person("A9", team_id="T2", serious_late_count=1),          # T2's only one: listed after T1's agents
    )
    listed = coaching_list(cards, POLICY)
    assert listed.columns == ["month", "team_id", "agent_id", "agent_name", "shift_pattern", "on_coaching_list",
                              "new_hire", "reasons", "to_watch", "qa_evals", "focus", "focus_items",
                              "buddy_agent_id", "buddy_agent_name"]
    assert listed["agent_id"].to_list() == ["B2", "B3", "B4", "N1", "U2", "A9"]  # by team, then agent
    plan = {row["agent_id"]: row for row in listed.iter_rows(named=True)}
    assert (plan["N1"]["month"], plan["N1"]["agent_name"], plan["N1"]["shift_pattern"], plan["N1"]["new_hire"]) == (
        "2026-10", "name N1", "day", True)
    assert (plan["B2"]["buddy_agent_name"], plan["A9"]["buddy_agent_id"]) == ("name B0", "X1")
    assert plan["B2"]["reasons"] == "qa_critical"
    assert plan["B3"]["reasons"] == "bottom_decile"
    assert plan["B4"]["reasons"] == "qa_below_80"
    assert plan["U2"]["reasons"] == "qa_below_80;serious_late"
    assert (plan["N1"]["on_coaching_list"], plan["N1"]["reasons"]) == (False, "")
    assert {a: plan[a]["buddy_agent_id"] for a in plan} == {
        "B2": "B0", "B3": "B0", "N1": "B0", "U2": "B0", "B4": None, "A9": "X1"}


# --- management health ----------------------------------------------------------------------

HEALTH_CARD = pl.DataFrame(
    {
        "agent_id": ["A1", "A2", "A3"], "team_id": ["T1", "T1", "T2"], "qa_evals": [3, 1, 4],
        "exit_date": [None, D(2026, 10, 20), None], "csat_top2": [9, 10, 0], "csat_responses": [10, 10, 0],
        "qa_score_sum": [270.0, 80.0, 360.0], "worked_shifts": [18, 20, 19], "required_shifts": [20, 20, 20],
        "ranked": [True, True, False], "cohort_percentile": [0.95, 0.5, None], "penalties": [1, 0, 2],
    },
    schema_overrides={"exit_date": pl.Date},
)
LEDGER = frame(
    "discipline",
    {"action_id": "D1", "agent_id": "A1", "category": "fine", "incident_date": D(2026, 10, 1),
     "action_date": D(2026, 10, 3), "complaint_id": "C-SEP"},
    {"action_id": "D2", "agent_id": "A3", "category": "verbal_warning", "incident_date": D(2026, 9, 20),
     "action_date": D(2026, 10, 5), "complaint_id": "C-OPEN"},
    {"action_id": "D3", "agent_id": "A3", "category": "written_warning", "incident_date": D(2026, 10, 5),
     "action_date": D(2026, 10, 5), "complaint_id": "C-NONE"},
    {"action_id": "D4", "agent_id": "A1", "kind": "reward", "category": "praise", "incident_date": D(2026, 10, 1),
     "action_date": D(2026, 10, 9)},
    {"action_id": "D5", "agent_id": "A2", "kind": "reward", "category": "bonus", "incident_date": D(2026, 10, 1),
     "action_date": D(2026, 10, 8), "complaint_id": "C-LATE"},
)
EVALUATIONS = frame("qa_evaluations", {"evaluation_id": "E1", "agent_id": "A1"}, {"evaluation_id": "E2", "agent_id": "A3"})
DEDUCTIONS = frame(
    "qa_deductions",
    {"evaluation_id": "E1", "category": "etiquette", "points": 2.0},
    {"evaluation_id": "E1", "category": "knowledge", "points": 3.0},
    {"evaluation_id": "E2", "category": "process", "points": 5.0},
    {"evaluation_id": "E2", "category": "business_risk", "points": 5.0},
)
HISTORY = {
    Month(2026, 9): frame(
        "complaints",
        {"complaint_id": "C-SEP", "status": "substantiated", "closed_at": T(2026, 9, 28), "received_at": T(2026, 9, 1)},
        {"complaint_id": "C-OPEN", "status": "investigating", "received_at": T(2026, 9, 1)},
        {"complaint_id": "C-LATE", "status": "open", "received_at": T(2026, 9, 29)},
        {"complaint_id": "C-LATE", "status": "open", "received_at": T(2026, 9, 29)},  # an exported copy
    ),
    OCTOBER: frame(
        "complaints",
        {"complaint_id": "C-LATE", "status": "unsubstantiated", "received_at": T(2026, 9, 29),
         "closed_at": T(2026, 10, 4)},
    ),
}


def test_complaint_status_is_the_latest_months_row():
    statuses = dict(complaint_statuses(HISTORY).select("complaint_id", "status").iter_rows())
    assert statuses == {"C-SEP": "substantiated", "C-OPEN": "investigating", "C-LATE": "unsubstantiated"}
    newest_first = complaint_statuses(dict(reversed(list(HISTORY.items()))))  # the months' order is the calendar's
    assert dict(newest_first.select("complaint_id", "status").iter_rows()) == statuses
    assert newest_first.filter(pl.col("complaint_id") == "C-LATE")["status_month"].to_list() == ["2026-10"]
    september_only = dict(complaint_statuses({Month(2026, 9): HISTORY[Month(2026, 9)]}).select(
        "complaint_id", "status").iter_rows())
    assert september_only["C-LATE"] == "open"


def test_a_penalty_citing_an_unknown_complaint_is_a_warning():
    ledger = pl.concat([LEDGER, frame("discipline", {"action_id": "D0", "agent_id": "A2", "category": "fine",
                                                     "incident_date": D(2026, 10, 2), "action_date": D(2026, 10, 2),
                                                     "complaint_id": "C-GONE"})])  # last in, first by id
    warnings = unknown_complaint_warnings(ledger, complaint_statuses(HISTORY))
    assert warnings.rows() == [
        ("discipline", "D0", "C-GONE", "cites complaint_id C-GONE found in no month up to this one; "
                                       "counted as not substantiated"),
        ("discipline", "D3", "C-NONE", "cites complaint_id C-NONE found in no month up to this one; "
                                       "counted as not substantiated"),
    ]
    assert warnings.columns == ["source", "key", "complaint_id", "warning"]


@pytest.fixture  # per test: mutation testing ties each test to the functions it calls
def health():
    result = management_health(HEALTH_CARD, LEDGER, EVALUATIONS, DEDUCTIONS, complaint_statuses(HISTORY),
                               ["T1", "T2", "T3"], OCTOBER, POLICY)
    return {row["team_id"]: row for row in result.iter_rows(named=True)}


def test_health_rows_for_every_team_and_the_center(health):
    assert list(health) == ["T1", "T2", "T3", "ALL"]


def test_team_one(health):
    t1 = health["T1"]
    assert (t1["headcount"], t1["penalties"], t1["severe_penalties"], t1["rewards"]) == (2, 1, 1, 2)
    assert (t1["penalty_rate_per_100"], t1["severe_penalty_rate_per_100"], t1["reward_penalty_ratio"]) == (50, 50, 2)
    assert t1["median_action_lag_days"] == 7  # lags 2, 8, 7
    assert t1["untimely_action_share"] == pytest.approx(1 / 3)  # only 8 > 7
    assert t1["premature_complaint_penalties"] == 0  # C-SEP was substantiated
    assert (t1["qa_coverage"], t1["discretionary_deduction_share"], t1["attrition_rate"]) == (0.5, 0.4, 0.5)
    assert (t1["csat"], t1["qa_score"], t1["attendance_rate"]) == (0.95, 87.5, 0.95)
    assert t1["undisciplined_top_performers"] == 1
    assert t1["status"] == "red"
    assert t1["flags"] == "severe_penalty_rate_per_100>=5;csat<0.96;untimely_action_share>0.2;qa_coverage<0.8"


def test_team_two(health):
    t2 = health["T2"]
    assert (t2["headcount"], t2["penalties"], t2["severe_penalties"], t2["rewards"]) == (1, 2, 0, 0)
    assert (t2["penalty_rate_per_100"], t2["reward_penalty_ratio"]) == (200, 0)
    assert (t2["median_action_lag_days"], t2["untimely_action_share"]) == (7.5, 0.5)  # lags 15, 0
    assert t2["premature_complaint_penalties"] == 2  # C-OPEN still investigating, C-NONE unknown
    assert (t2["qa_coverage"], t2["discretionary_deduction_share"], t2["attrition_rate"]) == (1.0, 0.5, 0.0)
    assert (t2["csat"], t2["qa_score"]) == (None, 90.0)  # no responses: null, and no csat flag
    assert (t2["status"], t2["flags"]) == ("red", "premature_complaint_penalties>=1;untimely_action_share>0.2")


def test_a_team_without_active_agents(health):
    t3 = health["T3"]
    assert (t3["headcount"], t3["penalties"], t3["penalty_rate_per_100"], t3["qa_coverage"]) == (0, 0, None, None)
    assert (t3["median_action_lag_days"], t3["untimely_action_share"], t3["csat"]) == (None, None, None)
    assert (t3["status"], t3["flags"]) == ("green", "")


def test_the_center(health):
    center = health["ALL"]
    assert (center["headcount"], center["penalties"], center["severe_penalties"], center["rewards"]) == (3, 3, 1, 2)
    assert center["penalty_rate_per_100"] == 100
    assert center["severe_penalty_rate_per_100"] == pytest.approx(100 / 3)
    assert center["reward_penalty_ratio"] == pytest.approx(2 / 3)
    assert (center["median_action_lag_days"], center["untimely_action_share"]) == (7, 0.4)  # 2 15 0 8 7
    assert center["premature_complaint_penalties"] == 2
    assert center["qa_coverage"] == pytest.approx(2 / 3)
    assert center["discretionary_deduction_share"] == pytest.approx(7 / 15)
    assert center["attrition_rate"] == pytest.approx(1 / 3)
    assert (center["csat"], center["qa_score"], center["attendance_rate"]) == (0.95, 88.75, 0.95)
    assert center["flags"] == ("severe_penalty_rate_per_100>=5;premature_complaint_penalties>=1;csat<0.96;"
                               "untimely_action_share>0.2;qa_coverage<0.8")


def test_amber_and_green():
    calm = HEALTH_CARD.with_columns(qa_evals=pl.lit(3), csat_top2=pl.col("csat_responses"), penalties=pl.lit(0))
    timely = LEDGER.filter(pl.col("kind") == "reward").with_columns(incident_date=pl.col("action_date"))
    health = management_health(calm, timely, EVALUATIONS, DEDUCTIONS, complaint_statuses(HISTORY), ["T1", "T2"],
                               OCTOBER, POLICY)
    assert health.select("team_id", "status", "flags").rows() == [
        ("T1", "green", ""), ("T2", "green", ""), ("ALL", "green", "")]
    strict = management_health(calm, timely, EVALUATIONS, DEDUCTIONS, complaint_statuses(HISTORY), ["T1", "T2"],
                               OCTOBER, Policy(csat_target=1.0))
    assert strict.filter(pl.col("team_id") == "T1").select("status", "flags").row(0) == ("green", "")  # 20/20
