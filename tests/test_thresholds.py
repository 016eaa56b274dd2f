"""Every threshold of SPEC §5–§8 at its exact edge and one step either side, and every status with
the flags it lists. The values are written here, from the SPEC, not read from the code: a `>=` that
becomes `>` or an `amber` that becomes `green` fails a test below."""

from __future__ import annotations

import polars as pl
import pytest

from core.policy import Policy
from metrics.agent_month import agent_month_metrics
from metrics.awards import award_eligibility
from metrics.coaching import coaching_list
from metrics.complaints import complaint_statuses
from metrics.health import management_health
from metrics.ranking import rank_agents
from tests.rows import OCTOBER, D, frame

POLICY = Policy()
EPSILON = 1e-6


# --- §5 ranking eligibility ---------------------------------------------------------------------

def ranking_row(**values) -> dict:
    row = {"agent_id": "A1", "team_id": "T1", "shift_pattern": "day", "new_hire": False, "qa_evals": 3,
           "qa_score": 90.0, "csat_responses": 10, "csat_top2": 9, "worked_shifts": 20, "required_shifts": 20,
           "late_count": 0, "complaints_substantiated": 0}
    return {**row, **values}


@pytest.mark.parametrize("values, reason", [
    ({"qa_evals": 3}, None), ({"qa_evals": 2}, "few_qa_evals"), ({"qa_evals": 4}, None),
    ({"csat_responses": 10}, None), ({"csat_responses": 9, "csat_top2": 8}, "few_csat_responses"),
    ({"csat_responses": 11}, None),
    ({"required_shifts": 1, "worked_shifts": 1}, None), ({"required_shifts": 0, "worked_shifts": 0},
                                                         "no_required_shifts"),
    ({"new_hire": True}, "new_hire"),
])
def test_ranking_needs_three_evaluations_ten_responses_and_a_required_shift(values, reason):
    ranked = rank_agents(pl.DataFrame([ranking_row(**values)]), POLICY).row(0, named=True)
    assert (ranked["ranked"], ranked["not_ranked_reason"]) == (reason is None, reason)


@pytest.mark.parametrize("hired, new_hire", [
    (D(2026, 9, 1), False),   # exactly 30 days before 1 October: not a new hire
    (D(2026, 9, 2), True),    # 29 days
    (D(2026, 8, 31), False),  # 31 days
])
def test_tenure_of_exactly_thirty_days_is_not_a_new_hire(hired, new_hire):
    roster = frame("agents", {"agent_id": "A1", "hire_date": hired})
    empty = {s: frame(s).clear() for s in ("attendance", "qa_evaluations", "csat_responses", "complaints",
                                           "discipline")}
    card = agent_month_metrics(roster, empty["attendance"], empty["qa_evaluations"], empty["csat_responses"],
                               empty["complaints"], empty["discipline"], OCTOBER, POLICY, [])
    assert card["new_hire"].to_list() == [new_hire]


def test_tied_agents_share_the_best_rank_and_the_next_rank_skips():
    # A1, A2, A3 tie on every figure: each is 1st ("min" ranks), A4 below them is 4th
    rows = [ranking_row(agent_id=f"A{n}") for n in (1, 2, 3)] + [ranking_row(agent_id="A4", qa_score=80.0)]
    ranked = rank_agents(pl.DataFrame(rows), POLICY).sort("agent_id")
    assert ranked["team_rank"].to_list() == [1, 1, 1, 4] and ranked["cohort_rank"].to_list() == [1, 1, 1, 4]


def test_the_attendance_component_never_falls_below_zero():
    # 8 lates at 0.25 outweigh 1 worked shift of 20: (1 - 2) / 20 is floored at 0
    ranked = rank_agents(pl.DataFrame([ranking_row(worked_shifts=1, late_count=8)]), POLICY).row(0, named=True)
    assert ranked["attendance"] == 0.0


# --- §6 awards ------------------------------------------------------------------------------------

def award_row(**values) -> dict:
    row = {"month": "2026-10", "agent_id": "A1", "agent_name": "A", "team_id": "T1", "shift_pattern": "day",
           "new_hire": False, "ranked": True, "composite": 90.0, "cohort_percentile": 0.95, "qa_score": 95.0,
           "csat": 0.99, "csat_responses": 30, "complaints_substantiated": 0, "penalties": 0,
           "qa_critical_errors": 0, "absences": 0, "required_shifts": 20, "leave_shifts": 0, "late_count": 0,
           "serious_late_count": 0, "attendance_rate": 1.0, "composite_delta": 10.0, "exit_date": None,
           "qa_evals": 3, "worked_shifts": 20}
    return {**row, **values}


def test_eligibility_rows_come_by_award_then_agent_with_the_month():
    card = pl.DataFrame([award_row(agent_id="A2"), award_row(agent_id="A1")],
                        schema_overrides={"composite_delta": pl.Float64, "cohort_percentile": pl.Float64})
    rows = award_eligibility(card, POLICY)
    assert rows.columns == ["month", "agent_id", "award", "eligible", "unmet"]
    assert rows.select("award", "agent_id").rows() == sorted(rows.select("award", "agent_id").rows())
    assert rows["agent_id"].to_list()[:2] == ["A1", "A2"] and rows["month"].unique().to_list() == ["2026-10"]


def unmet(award: str, **values) -> str | None:
    """The award's unmet criteria for one agent ("" when eligible)."""
    card = pl.DataFrame([award_row(**values)], schema_overrides={"composite_delta": pl.Float64,
                                                                 "cohort_percentile": pl.Float64})
    rows = award_eligibility(card, POLICY).filter(pl.col("award") == award)
    return rows["unmet"][0]


@pytest.mark.parametrize("values, missing", [
    ({"cohort_percentile": 0.9}, ""), ({"cohort_percentile": 0.9 - EPSILON}, "cohort_percentile>=0.9"),
    ({"qa_score": 90.0}, ""), ({"qa_score": 90.0 - EPSILON}, "qa_score>=90"),
    ({"csat": 0.96}, ""), ({"csat": 0.96 - EPSILON}, "csat>=0.96"),
    ({"complaints_substantiated": 1}, "complaints_substantiated=0"), ({"penalties": 1}, "penalties=0"),
    ({"qa_critical_errors": 1}, "qa_critical_errors=0"), ({"absences": 1}, "absences=0"),
    ({"ranked": False, "cohort_percentile": None}, "ranked;cohort_percentile>=0.9"),
])
def test_service_star_edges(values, missing):
    assert unmet("service_star", **values) == missing


@pytest.mark.parametrize("values, missing", [
    ({}, ""), ({"new_hire": True}, "not_new_hire"), ({"required_shifts": 0}, "required_shifts>=1"),
    ({"required_shifts": 1}, ""), ({"leave_shifts": 1}, "leave_shifts=0"), ({"absences": 1}, "absences=0"),
    ({"late_count": 1}, "late_count=0"),
])
def test_perfect_attendance_edges(values, missing):
    assert unmet("perfect_attendance", **values) == missing


@pytest.mark.parametrize("delta, missing", [(5.0, ""), (5.0 - EPSILON, "composite_delta>=5"), (5.1, ""),
                                            (None, "ranked_last_month;composite_delta>=5")])
def test_most_improved_needs_a_delta_of_five(delta, missing):
    assert unmet("most_improved", composite_delta=delta) == missing


@pytest.mark.parametrize("values, missing", [
    ({"attendance_rate": 0.95}, ""), ({"attendance_rate": 0.95 - EPSILON}, "attendance_rate>=0.95"),
    ({"attendance_rate": None}, "attendance_rate>=0.95"), ({"absences": 1}, "absences=0"),
    ({"serious_late_count": 1}, "serious_late_count=0"), ({"penalties": 1}, "penalties=0"),
])
def test_the_lucky_draw_pool_edges(values, missing):
    assert unmet("lucky_draw", **values) == missing


# --- §7 coaching -----------------------------------------------------------------------------------

@pytest.mark.parametrize("values, reasons", [
    ({"cohort_percentile": 0.1}, None), ({"cohort_percentile": 0.1 - EPSILON}, "bottom_decile"),
    ({"qa_score": 80.0}, None), ({"qa_score": 80.0 - EPSILON}, "qa_below_80"),
    ({"qa_score": 80.0 - EPSILON, "qa_evals": 2}, ""),  # too few evaluations: to watch, not listed
    ({"qa_critical_errors": 1}, "qa_critical"), ({"serious_late_count": 1}, "serious_late"),
    ({"ranked": False, "cohort_percentile": 0.0}, None),  # the percentile rule is for ranked agents only
])
def test_coaching_edges(values, reasons):
    card = pl.DataFrame([award_row(**values)]).with_columns(pl.col("cohort_percentile").cast(pl.Float64))
    plan = coaching_list(card, POLICY)
    assert (plan["reasons"][0] if plan.height else None) == reasons


# --- §8 management health: edges and every status --------------------------------------------------

def health_of(agents: int = 20, severe: int = 0, untimely: int = 0, actions: int = 5, covered: int | None = None,
              top2: int | None = 24, responses: int = 25, premature: bool = False, policy: Policy = POLICY,
              **columns: list):
    """One team T1 of `agents`, the given severe penalties among `actions` ledger rows (`untimely` of them
    late), `covered` agents with 3+ QA evaluations (all by default), CSAT `top2` of `responses`."""
    covered = agents if covered is None else covered
    card = pl.DataFrame({
        "agent_id": [f"A{n}" for n in range(agents)], "team_id": ["T1"] * agents,
        "qa_evals": [3 if n < covered else 0 for n in range(agents)], "exit_date": [None] * agents,
        "csat_top2": [top2 if n == 0 else 0 for n in range(agents)] if top2 is not None else [0] * agents,
        "csat_responses": [responses if n == 0 else 0 for n in range(agents)] if top2 is not None else [0] * agents,
        "qa_score_sum": [270.0] * agents, "worked_shifts": [20] * agents, "required_shifts": [20] * agents,
        "ranked": [False] * agents, "cohort_percentile": [None] * agents, "penalties": [0] * agents,
    }, schema_overrides={"exit_date": pl.Date, "cohort_percentile": pl.Float64}).with_columns(
        pl.Series(name, values, dtype=pl.Float64 if name == "cohort_percentile" else None)
        for name, values in columns.items())  # per-agent values a test sets
    rows = []
    for n in range(actions):
        late = n < untimely
        rows.append({"action_id": f"D{n}", "agent_id": f"A{n % agents}", "kind": "penalty" if n < max(severe, 1)
                     else "reward", "category": "fine" if n < severe else ("verbal_warning" if n == 0 else "praise"),
                     "incident_date": D(2026, 10, 1), "action_date": D(2026, 10, 9 if late else 8),
                     "complaint_id": "C1" if premature and n == 0 else None})
    ledger = frame("discipline", *rows)
    complaints = {OCTOBER: frame("complaints", {"complaint_id": "C1", "status": "investigating"})}
    health = management_health(card, ledger, frame("qa_evaluations").clear(), frame("qa_deductions").clear(),
                               complaint_statuses(complaints), ["T1"], OCTOBER, policy)
    return {row["team_id"]: row for row in health.iter_rows(named=True)}


def test_a_top_performer_is_from_the_ninetieth_percentile_and_needs_a_penalty():
    # A0 exactly at 0.9 with a penalty counts; just under 0.9, no penalty, unranked or mid-cohort do not
    health = health_of(agents=5, ranked=[True, True, True, False, True],
                       cohort_percentile=[0.9, 0.9 - EPSILON, 0.95, None, 0.5], penalties=[1, 1, 0, 2, 1])
    assert health["T1"]["undisciplined_top_performers"] == 1 and health["ALL"]["undisciplined_top_performers"] == 1
    assert health["T1"]["month"] == "2026-10"


def test_a_calm_team_and_center_are_green_with_no_flag():
    health = health_of()
    assert (health["T1"]["status"], health["T1"]["flags"]) == ("green", "")
    assert (health["ALL"]["status"], health["ALL"]["flags"]) == ("green", "")


@pytest.mark.parametrize("severe, status", [(1, "red"), (0, "green")])
def test_severe_penalties_of_exactly_five_per_hundred_turn_a_team_red(severe, status):
    health = health_of(agents=20, severe=severe)  # 1 of 20 agents: exactly 5.0 per 100
    for team in ("T1", "ALL"):
        assert health[team]["severe_penalty_rate_per_100"] == (5.0 if severe else 0.0)
        assert (health[team]["status"], health[team]["flags"]) == (
            status, "severe_penalty_rate_per_100>=5" if severe else "")


def test_just_under_five_severe_penalties_per_hundred_is_not_red():
    health = health_of(agents=21, severe=1)  # 4.76 per 100
    assert (health["T1"]["status"], health["T1"]["flags"]) == ("green", "")


def test_a_premature_penalty_turns_a_team_red():
    health = health_of(premature=True)
    for team in ("T1", "ALL"):
        assert (health[team]["status"], health[team]["flags"]) == ("red", "premature_complaint_penalties>=1")


@pytest.mark.parametrize("values, status, flags", [
    ({"untimely": 1}, "green", ""),  # 1 of 5 untimely: exactly 20%, not above it
    ({"untimely": 2}, "amber", "untimely_action_share>0.2"),
    ({"covered": 16}, "green", ""),  # 16 of 20: exactly 80%
    ({"covered": 15}, "amber", "qa_coverage<0.8"),
    ({"top2": 24}, "green", ""),  # 24 of 25: exactly the 96% target
    ({"top2": 23}, "amber", "csat<0.96"),
], ids=["untimely_at_a_fifth", "untimely_above", "coverage_at_80", "coverage_under", "csat_at_target",
        "csat_under"])
def test_each_amber_threshold_at_its_edge_for_the_team_and_the_center(values, status, flags):
    health = health_of(**values)
    for team in ("T1", "ALL"):
        assert (health[team]["status"], health[team]["flags"]) == (status, flags)


def test_untimely_share_just_above_a_fifth_is_amber():
    health = health_of(untimely=1, actions=4)  # 25%
    assert (health["T1"]["status"], health["T1"]["flags"]) == ("amber", "untimely_action_share>0.2")


def test_null_rates_raise_no_flag():
    health = health_of(top2=None, actions=0, covered=0, agents=20)  # no CSAT, no ledger; coverage 0 is not null
    assert health["T1"]["csat"] is None and health["T1"]["untimely_action_share"] is None
    assert (health["T1"]["status"], health["T1"]["flags"]) == ("amber", "qa_coverage<0.8")
    empty = management_health(pl.DataFrame(schema={"agent_id": pl.String, "team_id": pl.String}).with_columns(
        [pl.lit(None, dtype=t).alias(c) for c, t in {
            "qa_evals": pl.Int64, "exit_date": pl.Date, "csat_top2": pl.Int64, "csat_responses": pl.Int64,
            "qa_score_sum": pl.Float64, "worked_shifts": pl.Int64, "required_shifts": pl.Int64, "ranked": pl.Boolean,
            "cohort_percentile": pl.Float64, "penalties": pl.Int64}.items()]),
        frame("discipline").clear(), frame("qa_evaluations").clear(), frame("qa_deductions").clear(),
        complaint_statuses({}), ["T9"], OCTOBER, POLICY)
    team = empty.filter(pl.col("team_id") == "T9").row(0, named=True)
    assert (team["headcount"], team["qa_coverage"], team["csat"], team["status"], team["flags"]) == (
        0, None, None, "green", "")


def test_red_and_amber_together_list_every_flag_red_first():
    health = health_of(severe=1, untimely=2, covered=15, top2=20)
    assert health["T1"]["status"] == "red"
    assert health["T1"]["flags"] == ("severe_penalty_rate_per_100>=5;csat<0.96;untimely_action_share>0.2;"
                                     "qa_coverage<0.8")
    assert (health["ALL"]["status"], health["ALL"]["flags"]) == ("red", health["T1"]["flags"])


def test_a_custom_red_limit_is_used():
    health = health_of(agents=20, severe=1, policy=Policy(severe_penalty_red_per_100=5.1))
    assert (health["T1"]["status"], health["T1"]["flags"]) == ("green", "")
    health = health_of(agents=20, severe=1, policy=Policy(severe_penalty_red_per_100=4.9))
    assert (health["T1"]["status"], health["T1"]["flags"]) == ("red", "severe_penalty_rate_per_100>=4.9")
