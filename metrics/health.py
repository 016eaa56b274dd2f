"""Management health per team and for the whole center (SPEC §8)."""

from __future__ import annotations

import polars as pl

from core.months import Month
from core.policy import Policy
from metrics.agent_month import ratio
from schemas.catalog import CENTER_TEAM_ID, SEVERE_PENALTIES

CENTER = CENTER_TEAM_ID
DISCRETIONARY_CATEGORIES = ["etiquette", "process", "other"]
UNTIMELY_AMBER_SHARE = 0.2
QA_COVERAGE_AMBER_BELOW = 0.8
TOP_PERFORMER_PERCENTILE = 0.9

HEALTH_COLUMNS = [
    "month", "team_id", "headcount", "penalties", "severe_penalties", "rewards", "penalty_rate_per_100",
    "severe_penalty_rate_per_100", "reward_penalty_ratio", "median_action_lag_days", "untimely_action_share",
    "premature_complaint_penalties", "qa_coverage", "discretionary_deduction_share", "attrition_rate", "csat",
    "qa_score", "attendance_rate", "undisciplined_top_performers", "status", "flags",
]


def cited_complaints(discipline: pl.DataFrame, statuses: pl.DataFrame) -> pl.DataFrame:
    """Ledger rows citing a complaint, with its status; `unknown` when no month up to M holds it."""
    return (
        discipline.filter(pl.col("complaint_id").is_not_null())
        .join(statuses.select("complaint_id", "status"), on="complaint_id", how="left")
        .with_columns(complaint_status=pl.col("status").fill_null("unknown"))
        .drop("status")
    )


def unknown_complaint_warnings(discipline: pl.DataFrame, statuses: pl.DataFrame) -> pl.DataFrame:
    """Data-quality warnings: ledger rows kept although the complaint they cite is nowhere."""
    unknown = cited_complaints(discipline, statuses).filter(pl.col("complaint_status") == "unknown").sort("action_id")
    return unknown.select(
        source=pl.lit("discipline"),
        key=pl.col("action_id"),
        complaint_id=pl.col("complaint_id"),
        warning=pl.lit("cites complaint_id ") + pl.col("complaint_id") + pl.lit(" found in no month up to this one; "
                                                                               "counted as not substantiated"),
    )


def _by_group(frame: pl.DataFrame, team: str = "team_id") -> pl.DataFrame:
    """Each row once under its team and once under the center."""
    return pl.concat([frame.with_columns(group=pl.col(team)), frame.with_columns(group=pl.lit(CENTER))])


def management_health(
    card: pl.DataFrame,
    discipline: pl.DataFrame,
    evaluations: pl.DataFrame,
    deductions: pl.DataFrame,
    statuses: pl.DataFrame,
    team_ids: list[str],
    month: Month,
    policy: Policy,
) -> pl.DataFrame:
    """One row per team (every team of the roster file, even one with no active agent) and `ALL`."""
    team_of = card.select("agent_id", "team_id")
    people = _by_group(card).group_by("group").agg(
        headcount=pl.len(),
        qa_covered=(pl.col("qa_evals") >= policy.min_qa_evals).sum(),
        leavers=pl.col("exit_date").is_between(month.first_day, month.last_day).sum(),
        csat_top2=pl.col("csat_top2").sum(),
        csat_responses=pl.col("csat_responses").sum(),
        qa_score_sum=pl.col("qa_score_sum").sum(),
        qa_evals=pl.col("qa_evals").sum(),
        worked=pl.col("worked_shifts").sum(),
        required=pl.col("required_shifts").sum(),
        undisciplined_top_performers=(
            pl.col("ranked") & (pl.col("cohort_percentile") >= TOP_PERFORMER_PERCENTILE) & (pl.col("penalties") >= 1)
        ).sum(),
    )
    penalty = pl.col("kind") == "penalty"
    lag = (pl.col("action_date") - pl.col("incident_date")).dt.total_days()
    ledger = cited_status(discipline, statuses).join(team_of, on="agent_id", how="inner")
    actions = _by_group(ledger).group_by("group").agg(
        penalties=penalty.sum(),
        severe_penalties=(penalty & pl.col("category").is_in(SEVERE_PENALTIES)).sum(),
        rewards=(pl.col("kind") == "reward").sum(),
        median_action_lag_days=lag.median(),
        untimely_actions=(lag > policy.timely_days).sum(),
        actions=pl.len(),
        premature_complaint_penalties=(
            penalty & pl.col("complaint_id").is_not_null() & (pl.col("complaint_status") != "substantiated")
        ).sum(),
    )
    points = (
        deductions.join(evaluations.select("evaluation_id", "agent_id"), on="evaluation_id")
        .join(team_of, on="agent_id", how="inner")
    )
    deducted = _by_group(points).group_by("group").agg(
        discretionary_points=pl.col("points").filter(pl.col("category").is_in(DISCRETIONARY_CATEGORIES)).sum(),
        all_points=pl.col("points").sum(),
    )
    groups = pl.DataFrame({"group": sorted(set(team_ids) | set(card["team_id"])) + [CENTER]})
    health = (
        groups.join(people, on="group", how="left")
        .join(actions, on="group", how="left")
        .join(deducted, on="group", how="left")
        .with_columns(
            [pl.col(c).fill_null(0) for c in ("headcount", "penalties", "severe_penalties", "rewards", "actions",
                                              "untimely_actions", "premature_complaint_penalties",
                                              "undisciplined_top_performers")]
        )
    )
    health = health.with_columns(
        month=pl.lit(str(month)),
        team_id=pl.col("group"),
        penalty_rate_per_100=ratio(100 * pl.col("penalties"), pl.col("headcount")),
        severe_penalty_rate_per_100=ratio(100 * pl.col("severe_penalties"), pl.col("headcount")),
        reward_penalty_ratio=ratio(pl.col("rewards"), pl.col("penalties")),
        untimely_action_share=ratio(pl.col("untimely_actions"), pl.col("actions")),
        qa_coverage=ratio(pl.col("qa_covered"), pl.col("headcount")),
        discretionary_deduction_share=ratio(pl.col("discretionary_points"), pl.col("all_points")),
        attrition_rate=ratio(pl.col("leavers"), pl.col("headcount")),
        csat=ratio(pl.col("csat_top2"), pl.col("csat_responses")),
        qa_score=ratio(pl.col("qa_score_sum"), pl.col("qa_evals")),
        attendance_rate=ratio(pl.col("worked"), pl.col("required")),
    )
    return _with_status(health, policy).select(HEALTH_COLUMNS)


def cited_status(discipline: pl.DataFrame, statuses: pl.DataFrame) -> pl.DataFrame:
    """The ledger with `complaint_status` of the complaint each row cites (null when none)."""
    return discipline.join(
        cited_complaints(discipline, statuses).select("action_id", "complaint_status"), on="action_id", how="left"
    )


def _with_status(health: pl.DataFrame, policy: Policy) -> pl.DataFrame:
    """red / amber / green and every flag that applies (a null value raises no flag)."""
    red = [
        (f"severe_penalty_rate_per_100>={policy.severe_penalty_red_per_100:g}",
         pl.col("severe_penalty_rate_per_100") >= policy.severe_penalty_red_per_100),
        ("premature_complaint_penalties>=1", pl.col("premature_complaint_penalties") >= 1),
    ]
    amber = [
        (f"csat<{policy.csat_target:g}", pl.col("csat") < policy.csat_target),
        (f"untimely_action_share>{UNTIMELY_AMBER_SHARE:g}", pl.col("untimely_action_share") > UNTIMELY_AMBER_SHARE),
        (f"qa_coverage<{QA_COVERAGE_AMBER_BELOW:g}", pl.col("qa_coverage") < QA_COVERAGE_AMBER_BELOW),
    ]

    def any_of(rules):
        return pl.any_horizontal([flag.fill_null(False) for _, flag in rules])

    flags = [pl.when(flag.fill_null(False)).then(pl.lit(name)) for name, flag in red + amber]
    return health.with_columns(
        status=pl.when(any_of(red)).then(pl.lit("red")).when(any_of(amber)).then(pl.lit("amber")).otherwise(
            pl.lit("green")),
        flags=pl.concat_str(flags, separator=";", ignore_nulls=True),
    )
