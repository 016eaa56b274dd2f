"""Fair rankings (SPEC §5): who is ranked, the four components, composite, ranks and delta."""

from __future__ import annotations

import polars as pl

from core.policy import Policy

RANK_COLUMNS = [
    "ranked", "not_ranked_reason", "quality", "satisfaction", "attendance", "conduct", "composite",
    "team_rank", "cohort_rank", "cohort_percentile", "composite_delta",
]
# Composites equal to this many decimals are ties; float noise must not split them.
TIE_DECIMALS = 9


def pooled_csat(card: pl.DataFrame) -> float | None:
    """p0: the center's top-2-box share over all active agents' responses."""
    responses = card["csat_responses"].sum()
    return card["csat_top2"].sum() / responses if responses else None


def not_ranked_reason(policy: Policy) -> pl.Expr:
    """The first reason that applies, in the order SPEC §5 gives; null when ranked."""
    return (
        pl.when(pl.col("new_hire")).then(pl.lit("new_hire"))
        .when(pl.col("qa_evals") < policy.min_qa_evals).then(pl.lit("few_qa_evals"))
        .when(pl.col("csat_responses") < policy.min_csat_responses).then(pl.lit("few_csat_responses"))
        .when(pl.col("required_shifts") < 1).then(pl.lit("no_required_shifts"))
        .otherwise(None)
    )


def _rank_within(group: str) -> pl.Expr:
    """1, 2, 2, 4: ties share the lower rank number."""
    key = pl.col("composite").round(TIE_DECIMALS)
    return key.rank(method="min", descending=True).over(group).cast(pl.Int64)


def rank_agents(card: pl.DataFrame, policy: Policy, previous_composite: pl.DataFrame | None = None) -> pl.DataFrame:
    """Add the §5 columns to the agent-month metrics.

    `previous_composite` has agent_id and composite of last month's ranked agents; without
    it every composite_delta is null.
    """
    p0 = pooled_csat(card)
    k, weights = policy.csat_prior_weight, policy.weights
    card = card.with_columns(not_ranked_reason=not_ranked_reason(policy)).with_columns(
        ranked=pl.col("not_ranked_reason").is_null()
    )
    only_ranked = lambda expr: pl.when(pl.col("ranked")).then(expr).otherwise(None)  # noqa: E731
    prior = pl.lit(p0, dtype=pl.Float64)
    # SPEC §13: a center that opts in ranks on QA scores with each evaluator's leniency taken out.
    qa = pl.col("qa_score_adjusted") if policy.qa_adjust_for_evaluator else pl.col("qa_score")
    card = card.with_columns(
        quality=only_ranked(qa / 100),
        satisfaction=only_ranked((pl.col("csat_top2") + k * prior) / (pl.col("csat_responses") + k)),
        attendance=only_ranked(
            ((pl.col("worked_shifts") - policy.late_penalty * pl.col("late_count")) / pl.col("required_shifts")).clip(0, 1)
        ),
        conduct=only_ranked(pl.max_horizontal(1 - policy.complaint_penalty * pl.col("complaints_substantiated"), pl.lit(0.0))),
    )
    card = card.with_columns(
        composite=100
        * (
            weights.quality * pl.col("quality")
            + weights.satisfaction * pl.col("satisfaction")
            + weights.attendance * pl.col("attendance")
            + weights.conduct * pl.col("conduct")
        )
    )
    ranked = card.filter(pl.col("ranked") & pl.col("composite").is_not_null()).select(
        "agent_id",
        team_rank=_rank_within("team_id"),
        cohort_rank=_rank_within("shift_pattern"),
        cohort_size=pl.len().over("shift_pattern"),
    )
    ranked = ranked.with_columns(
        cohort_percentile=pl.when(pl.col("cohort_size") == 1)
        .then(1.0)
        .otherwise((pl.col("cohort_size") - pl.col("cohort_rank")) / (pl.col("cohort_size") - 1))
    )  # cohort_size stays beside the ranks (for "No. 4 of 39"); agent_scorecard.csv leaves it out
    card = card.join(ranked, on="agent_id", how="left")
    if previous_composite is not None and previous_composite.height:
        last = previous_composite.select("agent_id", pl.col("composite").alias("_last_composite"))
        card = card.join(last, on="agent_id", how="left").with_columns(
            composite_delta=pl.col("composite") - pl.col("_last_composite")
        ).drop("_last_composite")
    else:
        card = card.with_columns(composite_delta=pl.lit(None, dtype=pl.Float64))
    return card.sort("agent_id")


def previous_composites(previous_card: pl.DataFrame | None) -> pl.DataFrame | None:
    """Last month's ranked agents and their composite, for composite_delta."""
    if previous_card is None:
        return None
    return previous_card.filter(pl.col("ranked")).select("agent_id", "composite")

