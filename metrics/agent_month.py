"""Per-agent monthly metrics (SPEC §4), from the validated sources of one month."""

from __future__ import annotations

import polars as pl

from core.months import Month
from core.policy import Policy
from metrics.complaints import first_substantiated
from schemas.catalog import SEVERE_PENALTIES
from schemas.roster import active_agents

# The §4 metrics, in the order SPEC §4 defines them (and agent_scorecard.csv lists them).
METRIC_COLUMNS = [
    "scheduled_shifts",
    "leave_shifts",
    "worked_shifts",
    "absences",
    "late_count",
    "serious_late_count",
    "required_shifts",
    "attendance_rate",
    "punctuality_rate",
    "new_hire",
    "qa_evals",
    "qa_score",
    "qa_critical_errors",
    "csat_responses",
    "csat",
    "complaints_received",
    "complaints_substantiated",
    "penalties",
    "severe_penalties",
    "rewards",
]
# Kept beside the metrics so pooled team rates are ratios of sums (SPEC §8), never means of ratios.
POOLING_COLUMNS = ["csat_top2", "qa_score_sum"]
COUNT_COLUMNS = [
    "scheduled_shifts", "leave_shifts", "worked_shifts", "absences", "late_count", "serious_late_count",
    "qa_evals", "qa_critical_errors", "csat_responses", "csat_top2", "complaints_received",
    "complaints_substantiated", "penalties", "severe_penalties", "rewards",
]


def ratio(numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
    """numerator / denominator, null when the denominator is 0 (SPEC §8)."""
    return pl.when(denominator != 0).then(numerator / denominator).otherwise(None)


def shift_flags(attendance: pl.DataFrame, policy: Policy) -> pl.DataFrame:
    """Per shift: on_leave, worked, absent, late_minutes, late, serious_late (SPEC §4)."""
    worked = pl.col("clock_in").is_not_null()
    on_leave = (pl.col("leave_type") != "none") & pl.col("leave_approved")
    # Exact minutes (seconds / 60): the policy compares a duration, not a rounded clock.
    minutes = (pl.col("clock_in") - pl.col("scheduled_start")).dt.total_microseconds() / 60_000_000
    late_minutes = pl.when(worked).then(pl.max_horizontal(minutes, pl.lit(0.0)))
    return attendance.with_columns(
        on_leave=on_leave,
        worked=worked,
        absent=~worked & ~on_leave,
        late_minutes=late_minutes,
    ).with_columns(
        late=(pl.col("late_minutes") > policy.late_grace_minutes).fill_null(False),
        serious_late=(pl.col("late_minutes") >= policy.serious_late_minutes).fill_null(False),
    )


def attendance_per_agent(attendance: pl.DataFrame, policy: Policy) -> pl.DataFrame:
    return (
        shift_flags(attendance, policy)
        .group_by("agent_id")
        .agg(
            scheduled_shifts=pl.len(),
            leave_shifts=(pl.col("on_leave") & ~pl.col("worked")).sum(),
            worked_shifts=pl.col("worked").sum(),
            absences=pl.col("absent").sum(),
            late_count=pl.col("late").sum(),
            serious_late_count=pl.col("serious_late").sum(),
        )
    )


def qa_per_agent(evaluations: pl.DataFrame) -> pl.DataFrame:
    return evaluations.group_by("agent_id").agg(
        qa_evals=pl.len(),
        qa_score_sum=pl.col("score").sum(),
        qa_critical_errors=pl.col("critical_error").sum(),
    )


def csat_per_agent(responses: pl.DataFrame) -> pl.DataFrame:
    return responses.group_by("agent_id").agg(
        csat_responses=pl.len(),
        csat_top2=(pl.col("score") >= 4).sum(),
    )


def complaints_per_agent(complaints: pl.DataFrame, month: Month, substantiated_earlier: list[str]) -> pl.DataFrame:
    """Received: complaints received in M. Substantiated: complaints whose row in M says so and
    that no earlier month's file already showed as substantiated (`substantiated_earlier`).

    A complaint received earlier and closed in M is a status update: it is not received again,
    but its substantiation counts in M when M is the first month it is known (each complaint is
    counted as substantiated once, SPEC §4).
    """
    received_in_month = pl.col("received_at").is_between(month.start, month.end, closed="left")
    return (
        complaints.filter(pl.col("agent_id").is_not_null())
        .group_by("agent_id")
        .agg(
            complaints_received=received_in_month.sum(),
            complaints_substantiated=first_substantiated(substantiated_earlier).sum(),
        )
    )


def discipline_per_agent(discipline: pl.DataFrame) -> pl.DataFrame:
    penalty = pl.col("kind") == "penalty"
    return discipline.group_by("agent_id").agg(
        penalties=penalty.sum(),
        severe_penalties=(penalty & pl.col("category").is_in(SEVERE_PENALTIES)).sum(),
        rewards=(pl.col("kind") == "reward").sum(),
    )


def agent_month_metrics(
    agents: pl.DataFrame,
    attendance: pl.DataFrame,
    evaluations: pl.DataFrame,
    responses: pl.DataFrame,
    complaints: pl.DataFrame,
    discipline: pl.DataFrame,
    month: Month,
    policy: Policy,
    substantiated_earlier: list[str],
) -> pl.DataFrame:
    """One row per active agent: identity, every §4 metric, and the pooling sums.

    `substantiated_earlier`: complaints an earlier month already counted as substantiated.
    """
    roster = active_agents(agents, month).select(
        pl.lit(str(month)).alias("month"), "agent_id", "agent_name", "team_id", "shift_pattern", "hire_date",
        "exit_date",
    )
    card = roster
    for part in (
        attendance_per_agent(attendance, policy),
        qa_per_agent(evaluations),
        csat_per_agent(responses),
        complaints_per_agent(complaints, month, substantiated_earlier),
        discipline_per_agent(discipline),
    ):
        card = card.join(part, on="agent_id", how="left")
    card = card.with_columns([pl.col(name).fill_null(0).cast(pl.Int64) for name in COUNT_COLUMNS])
    card = card.with_columns(
        new_hire=(pl.lit(month.first_day) - pl.col("hire_date")).dt.total_days() < policy.min_tenure_days,
        required_shifts=pl.col("scheduled_shifts") - pl.col("leave_shifts"),
    )
    card = card.with_columns(
        attendance_rate=ratio(pl.col("worked_shifts"), pl.col("required_shifts")),
        punctuality_rate=ratio(pl.col("worked_shifts") - pl.col("late_count"), pl.col("worked_shifts")),
        qa_score=ratio(pl.col("qa_score_sum"), pl.col("qa_evals")),
        csat=ratio(pl.col("csat_top2"), pl.col("csat_responses")),
    )
    identity = ["month", "agent_id", "agent_name", "team_id", "shift_pattern", "hire_date", "exit_date"]
    return card.select(identity + METRIC_COLUMNS + POOLING_COLUMNS).sort("agent_id")
