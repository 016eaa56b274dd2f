"""Everything the reports print, gathered once per month, and the small lookups every part shares."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import polars as pl

from core.calendar import MonthCalendar
from core.months import Month
from core.policy import Policy
from metrics.coaching import FOLLOWUP_SCHEMA
from metrics.health import CENTER


@dataclass(frozen=True)
class ReportInputs:
    month: Month
    policy: Policy
    scorecard: pl.DataFrame  # agent_scorecard with the pooling columns
    health: pl.DataFrame  # management_health of the month
    trend: pl.DataFrame  # management_health rows of up to 12 months, this one included
    eligibility: pl.DataFrame
    winners: pl.DataFrame
    draw_seed: int
    draw_pool_size: int
    coaching: pl.DataFrame
    ledger: pl.DataFrame  # the month's valid discipline rows with complaint_status
    complaints: pl.DataFrame  # the month's valid complaint rows, with `first_substantiated`
    deductions: pl.DataFrame  # the month's valid QA deductions, with agent_id and team_id
    teams: pl.DataFrame  # valid teams
    data_quality: pl.DataFrame  # data_quality.csv's rows
    quality_reasons: pl.DataFrame  # source, reason, rows: why rows were quarantined
    warnings: pl.DataFrame
    expectations: pl.DataFrame  # the believability suites' results (schemas/expectations.py)
    calendar: MonthCalendar
    calibration: pl.DataFrame  # qa_calibration.csv: per evaluator, leniency and whether flagged (SPEC §13)
    fairness: pl.DataFrame  # award_fairness.csv: award rates per shift cohort and site against the center's
    evaluations: pl.DataFrame  # the month's valid QA evaluations (agent_id, evaluator_id), for who evaluated whom
    unaddressed: dict[str, str] = field(default_factory=dict)  # team_id → why its report has no recipient
    # coaching_followup: last month's coaching list with each agent's outcome this month (SPEC §7)
    followup: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=FOLLOWUP_SCHEMA))

    def by_team(self, team_ids: list[str]) -> dict[str, "ReportInputs"]:
        """Per team, only what its report needs: its own agents' rows (and the center's trend). The large
        frames are split once for all teams, not filtered once per team; rows keep their order."""
        # distinct pairs: an agent listed twice gives its rows once (as a filter would), to each of its teams
        team_of_agent = self.scorecard.select("agent_id", pl.col("team_id").alias("_team")).unique(maintain_order=True)

        def split(frame: pl.DataFrame, by_agent: bool = False) -> dict[str, pl.DataFrame]:
            keyed = frame.join(team_of_agent, on="agent_id", how="inner", maintain_order="left") if by_agent \
                else frame.with_columns(pl.col("team_id").alias("_team"))
            parts = {key[0]: part.drop("_team") for key, part in keyed.partition_by("_team", as_dict=True).items()}
            return {team: parts.get(team, frame.clear()) for team in team_ids}

        scorecard, winners, coaching, deductions, teams, followup = (
            split(frame) for frame in (self.scorecard, self.winners, self.coaching, self.deductions, self.teams,
                                       self.followup))
        eligibility, ledger, complaints, evaluations = (
            split(frame, by_agent=True) for frame in (self.eligibility, self.ledger, self.complaints, self.evaluations))
        return {team: replace(
            self,
            scorecard=scorecard[team],
            health=self.health.filter(pl.col("team_id").is_in([team, CENTER])),
            trend=self.trend.filter(pl.col("team_id").is_in([team, CENTER])),
            eligibility=eligibility[team],
            winners=winners[team],
            coaching=coaching[team],
            followup=followup[team],
            ledger=ledger[team],
            complaints=complaints[team],
            deductions=deductions[team],
            evaluations=evaluations[team],
            teams=teams[team],
            unaddressed={k: v for k, v in self.unaddressed.items() if k == team},
        ) for team in team_ids}


def group_sizes(scorecard: pl.DataFrame) -> dict[str, dict]:
    """Per team and for the center: the n behind each pooled rate."""
    sums = [pl.len().alias("headcount"), pl.col("csat_responses").sum(), pl.col("qa_evals").sum(),
            pl.col("required_shifts").sum(), pl.col("ranked").sum().alias("ranked_count")]
    by_team = {row["team_id"]: row for row in scorecard.group_by("team_id").agg(sums).iter_rows(named=True)}
    by_team[CENTER] = scorecard.select(sums).row(0, named=True)
    return by_team


def last_month_row(trend: pl.DataFrame, month: Month, team_id: str) -> dict | None:
    return month_row(trend, month.previous(), team_id)


def month_row(trend: pl.DataFrame, month: Month, team_id: str) -> dict | None:
    """A team's (or CENTER's) trend row of `month`: its figures and, for this month and last, the samples
    behind them (metrics.changes.group_samples)."""
    rows = trend.filter((pl.col("month") == str(month)) & (pl.col("team_id") == team_id))
    return rows.row(0, named=True) if rows.height else None


def team_names(inputs: ReportInputs) -> dict[str, str]:
    return dict(inputs.teams.select("team_id", "team_name").iter_rows())
