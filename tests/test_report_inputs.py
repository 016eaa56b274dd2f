"""ReportInputs.by_team: each team report gets exactly its own agents' rows, in their order."""

import polars as pl

from metrics.health import CENTER
from reports.inputs import ReportInputs


def inputs(scorecard: list[tuple], ledger: list[tuple], teams: list[tuple]) -> ReportInputs:
    by_agent = {"agent_id": pl.String, "row": pl.Int64}
    by_team = {"team_id": pl.String, "row": pl.Int64}
    none = pl.DataFrame(schema=by_agent)
    team_rows = pl.DataFrame(teams, schema=by_team, orient="row")
    return ReportInputs(
        month=None, policy=None, draw_seed=0, draw_pool_size=0, calendar=None,
        scorecard=pl.DataFrame(scorecard, schema={"agent_id": pl.String, "team_id": pl.String}, orient="row"),
        health=pl.DataFrame([(CENTER, 0), *teams], schema=by_team, orient="row"), trend=team_rows,
        eligibility=pl.DataFrame(ledger, schema=by_agent, orient="row"), winners=team_rows, coaching=team_rows,
        ledger=pl.DataFrame(ledger, schema=by_agent, orient="row"), complaints=none, deductions=team_rows,
        teams=team_rows, data_quality=none, quality_reasons=none, warnings=none, expectations=none,
        calibration=none, fairness=none, evaluations=none, unaddressed={"T2": "no supervisor_email"})


def test_each_team_gets_its_own_agents_rows_once_and_in_order():
    # a1 is listed twice (it must not double its rows); zz is in no team; T3 has no agent
    split = inputs([("a1", "T1"), ("b1", "T2"), ("a1", "T1"), ("a2", "T1")],
                   [("a1", 1), ("b1", 2), ("a2", 3), ("zz", 4), ("a1", 5), (None, 6)],
                   [("T2", 7), ("T1", 8)]).by_team(["T1", "T2", "T3"])
    assert split["T1"].ledger.rows() == [("a1", 1), ("a2", 3), ("a1", 5)]
    assert split["T2"].ledger.rows() == [("b1", 2)] and split["T2"].eligibility.rows() == [("b1", 2)]
    assert split["T3"].ledger.rows() == [] and split["T3"].ledger.schema == split["T1"].ledger.schema
    assert split["T1"].teams.rows() == [("T1", 8)] and split["T1"].health.rows() == [(CENTER, 0), ("T1", 8)]
    assert split["T2"].unaddressed == {"T2": "no supervisor_email"} and split["T1"].unaddressed == {}
    assert split["T1"].scorecard["agent_id"].to_list() == ["a1", "a1", "a2"]  # the scorecard itself is not altered
