"""SPEC §13 on small frames written here, every expected number worked out by hand."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.policy import Policy
from metrics.calibration import agent_calibration, award_fairness, evaluation_deltas, evaluator_leniency
from metrics.ranking import rank_agents
from tests.spec_columns import SPEC_FAIRNESS

POLICY = Policy()  # evaluator_prior_weight 5, evaluator_flag_points 5.0, min_evaluator_pairs 10


def evaluations(*rows: tuple[str, str, float]) -> pl.DataFrame:
    """(agent_id, evaluator_id, score) rows."""
    return pl.DataFrame({"evaluation_id": [f"E{i}" for i in range(len(rows))],
                         "agent_id": [r[0] for r in rows], "evaluator_id": [r[1] for r in rows],
                         "score": [float(r[2]) for r in rows]})


def leniency(frame: pl.DataFrame, policy: Policy = POLICY) -> dict[str, dict]:
    return {row["evaluator_id"]: row for row in evaluator_leniency(frame, "2026-10", policy).iter_rows(named=True)}


SMALL = evaluations(
    ("A", "e1", 90), ("A", "e2", 80), ("A", "e2", 70),  # A: e1 against e2's mean 75; e2 against e1's 90
    ("B", "e1", 60),  # B is evaluated by e1 only: no pair
    ("C", "e1", 95), ("C", "e3", 85),  # C: e1 against 85, e3 against 95
)


def test_each_evaluation_is_compared_with_the_other_evaluators_of_the_same_agent():
    deltas = {row["evaluation_id"]: (row["others_mean"], row["delta"])
              for row in evaluation_deltas(SMALL).iter_rows(named=True)}
    assert deltas == {"E0": (75.0, 15.0), "E1": (90.0, -10.0), "E2": (90.0, -20.0), "E3": (None, None),
                      "E4": (85.0, 10.0), "E5": (95.0, -10.0)}


def test_leniency_is_the_sum_of_deltas_shrunk_by_the_prior_weight():
    table = leniency(SMALL)
    # e1: deltas 15 and 10 (B gives no pair): 25 / (2 + 5); e2: -30 / (2 + 5); e3: -10 / (1 + 5)
    assert (table["e1"]["evaluations"], table["e1"]["paired_evaluations"]) == (3, 2)
    assert table["e1"]["leniency"] == pytest.approx(25 / 7)
    assert table["e1"]["mean_score"] == pytest.approx((90 + 60 + 95) / 3)
    assert table["e2"]["leniency"] == pytest.approx(-30 / 7)
    assert table["e3"]["leniency"] == pytest.approx(-10 / 6)
    assert not any(row["flagged"] for row in table.values())  # fewer than 10 pairs each
    strict = leniency(SMALL, Policy(evaluator_prior_weight=0))
    assert strict["e1"]["leniency"] == pytest.approx(12.5) and strict["e3"]["leniency"] == pytest.approx(-10)


def test_an_evaluator_without_a_pair_has_zero_leniency():
    alone = leniency(evaluations(("A", "e1", 90), ("B", "e1", 40), ("C", "e2", 70)))
    assert alone["e1"]["paired_evaluations"] == 0 and alone["e1"]["leniency"] == 0.0
    assert alone["e2"]["leniency"] == 0.0 and not alone["e2"]["flagged"]


def _pairs(count: int, gap: float) -> pl.DataFrame:
    """`count` agents each scored 80 by e2 and 80 + gap by e1: e1 has `count` pairs of delta `gap`."""
    return evaluations(*[row for n in range(count) for row in ((f"A{n}", "e1", 80 + gap), (f"A{n}", "e2", 80))])


@pytest.mark.parametrize("count, gap, flagged", [
    (10, 7.5, True),    # 10 pairs: 75 / 15 = 5.0, exactly the flag points, exactly the pairs
    (10, 7.4, False),   # 74 / 15 = 4.93: just under the points
    (9, 8.0, False),    # 9 pairs: one short, though 72 / 14 = 5.14
    (10, -7.5, True),   # harsh counts as much as lenient
    (10, -7.4, False),
])
def test_flags_sit_on_the_policy_edges(count, gap, flagged):
    table = leniency(_pairs(count, gap))
    assert table["e1"]["paired_evaluations"] == count
    assert table["e1"]["leniency"] == pytest.approx(count * gap / (count + 5))
    assert table["e1"]["flagged"] is flagged


def test_agents_get_their_share_by_flagged_evaluators_and_an_adjusted_score():
    # e1 scores 10 points above e2 and e3, who agree: e1's deltas are +10 (100 / 15 = 6.67: flagged);
    # e2's and e3's are 80 - mean(90, 80) = -5 (-50 / 15 = -3.33: not flagged)
    frame = evaluations(*[row for n in range(10) for row in ((f"A{n}", "e1", 90), (f"A{n}", "e2", 80),
                                                            (f"A{n}", "e3", 80))],
                        ("Y", "e3", 50), ("Z", "e1", 99), ("Z", "e1", 97))
    table = evaluator_leniency(frame, "2026-10", POLICY)
    lenient = {row["evaluator_id"]: row["leniency"] for row in table.iter_rows(named=True)}
    assert lenient["e1"] == pytest.approx(100 / 15) and lenient["e2"] == pytest.approx(-50 / 15)
    assert table.filter(pl.col("flagged"))["evaluator_id"].to_list() == ["e1"]
    agents = {row["agent_id"]: row for row in agent_calibration(frame, table).iter_rows(named=True)}
    assert agents["A0"]["qa_flagged_evaluator_share"] == pytest.approx(1 / 3)
    assert agents["A0"]["qa_score_adjusted"] == pytest.approx((90 - 100 / 15 + 80 + 50 / 15 + 80 + 50 / 15) / 3)
    assert agents["Y"]["qa_flagged_evaluator_share"] == 0.0
    assert agents["Y"]["qa_score_adjusted"] == pytest.approx(50 + 50 / 15)
    assert agents["Z"]["qa_flagged_evaluator_share"] == 1.0  # only e1 evaluated Z: no pair, but e1 is flagged
    assert agents["Z"]["qa_score_adjusted"] == pytest.approx(98 - 100 / 15)


def test_the_adjusted_score_is_clamped_to_the_scale():
    # 20 pairs of easy 100 / hard 10: easy's leniency 20 * 90 / 25 = +72, hard's -72
    frame = evaluations(*[row for n in range(20) for row in ((f"A{n}", "hard", 10), (f"A{n}", "easy", 100))],
                        ("LOW", "easy", 10), ("HIGH", "hard", 95))
    agents = {row["agent_id"]: row["qa_score_adjusted"]
              for row in agent_calibration(frame, evaluator_leniency(frame, "2026-10", POLICY)).iter_rows(named=True)}
    assert agents["A0"] == pytest.approx((10 + 72 + 100 - 72) / 2)
    assert agents["LOW"] == 0.0 and agents["HIGH"] == 100.0  # 10 - 72 and 95 + 72, clamped


def test_quality_uses_the_adjusted_score_only_when_the_center_opts_in():
    card = pl.DataFrame({"agent_id": ["A", "B"], "team_id": ["T", "T"], "shift_pattern": ["day", "day"],
                         "new_hire": [False, False], "qa_evals": [5, 5], "qa_score": [90.0, 80.0],
                         "qa_score_adjusted": [84.0, 83.0], "csat_responses": [20, 20], "csat_top2": [19, 19],
                         "required_shifts": [20, 20], "worked_shifts": [20, 20], "late_count": [0, 0],
                         "complaints_substantiated": [0, 0]})
    plain = rank_agents(card, Policy()).select("agent_id", "quality", "team_rank").rows()
    adjusted = rank_agents(card, Policy(qa_adjust_for_evaluator=True)).select("agent_id", "quality", "team_rank").rows()
    assert plain == [("A", pytest.approx(0.9), 1), ("B", pytest.approx(0.8), 2)]
    assert adjusted == [("A", pytest.approx(0.84), 1), ("B", pytest.approx(0.83), 2)]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["A", "B", "C", "D"]), st.sampled_from(["e1", "e2", "e3"]),
                          st.floats(0, 80, allow_nan=False)), min_size=1, max_size=30),
       st.floats(0, 20, allow_nan=False))
def test_shifting_every_score_by_the_same_points_changes_no_leniency(rows, shift):
    frame = evaluations(*rows)
    before = leniency(frame)
    after = leniency(frame.with_columns(pl.col("score") + shift))
    for evaluator, row in before.items():
        assert after[evaluator]["leniency"] == pytest.approx(row["leniency"], abs=1e-9)
        assert after[evaluator]["paired_evaluations"] == row["paired_evaluations"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(20, 80, allow_nan=False), min_size=1, max_size=15),
       st.floats(0.5, 15, allow_nan=False), st.sampled_from([1, -1]))
def test_a_biased_evaluators_leniency_has_the_sign_of_the_bias(true_scores, bias, sign):
    """Others score each agent's true level; the biased evaluator adds `bias` (or takes it away)."""
    rows = [row for n, score in enumerate(true_scores)
            for row in ((f"A{n}", "biased", score + sign * bias), (f"A{n}", "fair1", score), (f"A{n}", "fair2", score))]
    table = leniency(evaluations(*rows))
    assert table["biased"]["leniency"] * sign > 0
    assert table["fair1"]["leniency"] * sign < 0 and table["fair2"]["leniency"] * sign < 0


def test_award_fairness_counts_every_group_and_award_even_without_winners():
    card = pl.DataFrame({"agent_id": ["A1", "A2", "A3", "A4", "A5"], "ranked": [True, True, False, True, False],
                         "shift_pattern": ["day", "day", "night", "night", "day"],
                         "team_id": ["T1", "T1", "T2", "T2", "T2"]})
    teams = pl.DataFrame({"team_id": ["T1", "T2"], "site": ["上海", "成都"]})
    winners = pl.DataFrame({"agent_id": ["A1", "A1", "A4", "A2"],
                            "award": ["service_star", "perfect_attendance", "perfect_attendance", "lucky_draw"]})
    table = award_fairness(card, winners, teams, "2026-10")
    assert table.height == (2 + 2) * 4  # two shift cohorts and two sites, four awards each
    rows = {(r["group_kind"], r["group"], r["award"]): r for r in table.iter_rows(named=True)}
    day_star = rows[("shift_pattern", "day", "service_star")]
    assert (day_star["active_agents"], day_star["ranked_agents"], day_star["winners"]) == (3, 2, 1)
    assert day_star["award_rate"] == pytest.approx(1 / 3) and day_star["center_award_rate"] == pytest.approx(1 / 5)
    night_star = rows[("shift_pattern", "night", "service_star")]
    assert (night_star["winners"], night_star["award_rate"]) == (0, 0.0)
    chengdu = rows[("site", "成都", "perfect_attendance")]  # T2: A3, A4, A5; A4 won
    assert (chengdu["active_agents"], chengdu["winners"], chengdu["award_rate"]) == (3, 1, pytest.approx(1 / 3))
    assert chengdu["center_award_rate"] == pytest.approx(2 / 5)
    assert rows[("site", "上海", "most_improved")]["winners"] == 0
    assert table.columns == SPEC_FAIRNESS
    assert table["month"].unique().to_list() == ["2026-10"]
    assert rows[("shift_pattern", "day", "most_improved")]["center_award_rate"] == 0.0  # no one in the center won it
    assert {table[c].dtype for c in ("active_agents", "ranked_agents", "winners")} == {pl.Int64}
    # sorted by kind, group, then the awards in SPEC order
    assert [(r[0], r[1]) for r in table.select("group_kind", "group").unique(maintain_order=True).rows()] == [
        ("shift_pattern", "day"), ("shift_pattern", "night"), ("site", "上海"), ("site", "成都")]
    assert table["award"].to_list()[:4] == ["service_star", "perfect_attendance", "most_improved", "lucky_draw"]


def test_award_fairness_puts_a_team_without_a_site_under_an_empty_site():
    card = pl.DataFrame({"agent_id": ["A1", "A2"], "ranked": [True, True], "shift_pattern": ["day", "day"],
                         "team_id": ["T1", "T9"]})  # T9 is not in the teams file
    teams = pl.DataFrame({"team_id": ["T1"], "site": [None]}, schema={"team_id": pl.String, "site": pl.String})
    table = award_fairness(card, pl.DataFrame({"agent_id": [], "award": []}, schema={"agent_id": pl.String,
                                                                                       "award": pl.String}),
                           teams, "2026-10")
    sites = table.filter(pl.col("group_kind") == "site")
    assert sites["group"].unique().to_list() == [""] and sites["active_agents"].unique().to_list() == [2]
