"""SPEC §5 rankings on hand-built agent-month rows; expected numbers worked out by hand."""

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.policy import Policy
from metrics.ranking import pooled_csat, rank_agents

POLICY = Policy()


def agent(agent_id, team="T1", pattern="day", qa=90.0, n=10, top2=9, worked=20, required=20, late=0, subst=0,
          new_hire=False, qa_evals=3):
    return {"agent_id": agent_id, "team_id": team, "shift_pattern": pattern, "new_hire": new_hire,
            "qa_evals": qa_evals, "qa_score": qa if qa_evals else None, "csat_responses": n, "csat_top2": top2,
            "worked_shifts": worked, "required_shifts": required, "late_count": late,
            "complaints_substantiated": subst}


def card(*rows) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema={
        "agent_id": pl.String, "team_id": pl.String, "shift_pattern": pl.String, "new_hire": pl.Boolean,
        "qa_evals": pl.Int64, "qa_score": pl.Float64, "csat_responses": pl.Int64, "csat_top2": pl.Int64,
        "worked_shifts": pl.Int64, "required_shifts": pl.Int64, "late_count": pl.Int64,
        "complaints_substantiated": pl.Int64,
    })


CENTER = card(
    agent("R1", qa=90, n=10, top2=9),
    agent("R2", qa=80, n=30, top2=30, worked=18, late=2, subst=1),
    agent("R3", team="T2", qa=95, n=10, top2=10, late=4),
    agent("R4", team="T2", pattern="night", qa=70, n=20, top2=10, worked=10, subst=5),
    agent("U1", n=20, top2=11, new_hire=True),
)


def by_id(frame: pl.DataFrame) -> dict:
    return {row["agent_id"]: row for row in frame.iter_rows(named=True)}


@pytest.fixture  # per test: mutation testing ties each test to the functions it calls
def ranked():
    previous = pl.DataFrame({"agent_id": ["R1", "R2", "U1"], "composite": [80.0, 83.0, 70.0]})
    return by_id(rank_agents(CENTER, POLICY, previous))


def test_pooled_csat_counts_every_active_agent():
    # (9 + 30 + 10 + 10 + 11) / (10 + 30 + 10 + 20 + 20) = 70 / 90
    assert pooled_csat(CENTER) == pytest.approx(7 / 9)


def test_components(ranked):
    # k·p0 = 20 · 7/9 = 140/9
    r1, r2, r3, r4 = ranked["R1"], ranked["R2"], ranked["R3"], ranked["R4"]
    assert (r1["quality"], r1["attendance"], r1["conduct"]) == (0.9, 1.0, 1.0)
    assert r1["satisfaction"] == pytest.approx((9 + 140 / 9) / 30)        # 221/270 = 0.8185
    assert r2["satisfaction"] == pytest.approx((30 + 140 / 9) / 50)       # 410/450 = 0.9111
    assert r2["attendance"] == pytest.approx((18 - 0.5 * 2) / 20)         # 0.85
    assert r2["conduct"] == pytest.approx(0.75)
    assert r3["attendance"] == pytest.approx((20 - 0.5 * 4) / 20)         # 0.9
    assert r4["conduct"] == 0.0                                            # 1 - 5·0.25 clamps at 0
    assert r4["attendance"] == 0.5


def test_composites(ranked):
    assert ranked["R1"]["composite"] == pytest.approx(100 * (0.4 * 0.9 + 0.3 * 221 / 270 + 0.2 + 0.1))  # 90.5556
    assert ranked["R2"]["composite"] == pytest.approx(100 * (0.32 + 0.3 * 410 / 450 + 0.2 * 0.85 + 0.075))  # 83.8333
    assert ranked["R3"]["composite"] == pytest.approx(100 * (0.38 + 0.3 * 230 / 270 + 0.18 + 0.1))  # 91.5556
    assert ranked["R4"]["composite"] == pytest.approx(100 * (0.28 + 0.3 * 230 / 360 + 0.1))  # 57.1667


def test_ranks_and_percentiles(ranked):
    assert {a: ranked[a]["team_rank"] for a in ["R1", "R2", "R3", "R4"]} == {"R1": 1, "R2": 2, "R3": 1, "R4": 2}
    # day cohort: R3 91.56, R1 90.56, R2 83.83; night cohort: R4 alone
    assert {a: ranked[a]["cohort_rank"] for a in ["R1", "R2", "R3", "R4"]} == {"R1": 2, "R2": 3, "R3": 1, "R4": 1}
    assert {a: ranked[a]["cohort_percentile"] for a in ["R1", "R2", "R3", "R4"]} == {
        "R1": 0.5, "R2": 0.0, "R3": 1.0, "R4": 1.0}


def test_unranked_agents_have_a_reason_and_no_components(ranked):
    u1 = ranked["U1"]
    assert (u1["ranked"], u1["not_ranked_reason"]) == (False, "new_hire")
    for column in ["quality", "satisfaction", "attendance", "conduct", "composite", "team_rank", "cohort_rank",
                   "cohort_percentile", "composite_delta"]:
        assert u1[column] is None, column


def test_composite_delta_only_when_ranked_both_months(ranked):
    assert ranked["R1"]["composite_delta"] == pytest.approx(100 * (0.4 * 0.9 + 0.3 * 221 / 270 + 0.3) - 80)
    assert ranked["R2"]["composite_delta"] == pytest.approx(0.8333333)
    assert ranked["R3"]["composite_delta"] is None  # not ranked last month


@pytest.mark.parametrize("row,reason", [
    (agent("X", new_hire=True, qa_evals=0, n=0, top2=0, required=0, worked=0), "new_hire"),
    (agent("X", qa_evals=2, n=0, top2=0), "few_qa_evals"),
    (agent("X", n=9, top2=9, required=0, worked=0), "few_csat_responses"),
    (agent("X", required=0, worked=0), "no_required_shifts"),
])
def test_first_reason_in_spec_order(row, reason):
    result = by_id(rank_agents(card(row, agent("OK")), POLICY))
    assert result["X"]["not_ranked_reason"] == reason


def test_ties_share_the_lower_rank_number():
    four = card(agent("A", qa=99), agent("B", qa=90), agent("C", qa=90), agent("D", qa=60))
    result = by_id(rank_agents(four, POLICY))
    assert [result[a]["cohort_rank"] for a in "ABCD"] == [1, 2, 2, 4]
    assert [result[a]["team_rank"] for a in "ABCD"] == [1, 2, 2, 4]
    assert [result[a]["cohort_percentile"] for a in "ABCD"] == pytest.approx([1.0, 2 / 3, 2 / 3, 0.0])


def test_a_one_agent_cohort_is_at_the_top():
    result = by_id(rank_agents(card(agent("N", pattern="night", qa=10)), POLICY))
    assert (result["N"]["cohort_rank"], result["N"]["cohort_percentile"]) == (1, 1.0)


def test_no_csat_responses_is_the_center_mean_when_the_policy_ranks_them():
    policy = Policy(min_csat_responses=0)
    result = by_id(rank_agents(card(agent("Z", n=0, top2=0), agent("Y", n=10, top2=8)), policy))
    assert result["Z"]["satisfaction"] == pytest.approx(0.8)  # (0 + 20·0.8) / (0 + 20) = p0


# --- invariants -----------------------------------------------------------------------------

agents_strategy = st.lists(
    st.builds(
        dict,
        team=st.sampled_from(["T1", "T2", "T3"]),
        pattern=st.sampled_from(["day", "night", "rotating"]),
        qa=st.floats(0, 100, allow_nan=False),
        n=st.integers(0, 60),
        share=st.floats(0, 1),
        required=st.integers(0, 25),
        worked_share=st.floats(0, 1),
        late=st.integers(0, 5),
        subst=st.integers(0, 5),
        new_hire=st.booleans(),
        qa_evals=st.integers(0, 6),
    ),
    min_size=1, max_size=40,
)


def build(specs) -> pl.DataFrame:
    rows = []
    for i, s in enumerate(specs):
        worked = round(s["required"] * s["worked_share"])
        rows.append(agent(f"A{i:03d}", team=s["team"], pattern=s["pattern"], qa=s["qa"], n=s["n"],
                          top2=round(s["n"] * s["share"]), worked=worked, required=s["required"],
                          late=min(s["late"], worked), subst=s["subst"], new_hire=s["new_hire"],
                          qa_evals=s["qa_evals"]))
    return card(*rows)


@settings(max_examples=150, deadline=None)
@given(agents_strategy)
def test_ranks_agree_with_composite_order(specs):
    result = rank_agents(build(specs), POLICY).filter(pl.col("ranked"))
    for group, rank in (("shift_pattern", "cohort_rank"), ("team_id", "team_rank")):
        for _, members in result.group_by(group):
            rows = members.select("composite", rank).rows()
            for composite_a, rank_a in rows:
                higher = sum(1 for composite_b, _ in rows if round(composite_b, 9) > round(composite_a, 9))
                assert rank_a == higher + 1  # rank = 1 + number strictly better: ties share the lower number


@settings(max_examples=150, deadline=None)
@given(agents_strategy, st.sampled_from(["new_hire", "few_qa_evals", "no_required_shifts"]))
def test_adding_an_unranked_agent_changes_no_rank(specs, why):
    # An unranked newcomer without CSAT responses leaves p0, and so every composite, as it was.
    # (One with responses moves p0, the center mean every agent is shrunk toward: SPEC §5.)
    before = rank_agents(build(specs), POLICY).select("agent_id", "team_rank", "cohort_rank", "cohort_percentile")
    newcomer = agent("ZZZ", n=0, top2=0, new_hire=why == "new_hire", qa_evals=0 if why == "few_qa_evals" else 3,
                     required=0 if why == "no_required_shifts" else 20, worked=0 if why == "no_required_shifts" else 20)
    after = rank_agents(pl.concat([build(specs), card(newcomer)]), POLICY)
    assert after.filter(pl.col("agent_id") == "ZZZ")["ranked"].to_list() == [False]
    assert after.filter(pl.col("agent_id") != "ZZZ").select(before.columns).equals(before)
