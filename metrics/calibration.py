"""QA calibration and award fairness (SPEC §13): the same rules for everyone (seed 000 rules 1–2).

An agent's QA score, rank and award rest on who happened to evaluate them. Each evaluation is
compared with the same agent's scores by the other evaluators of the month; an evaluator whose
scores run consistently above (lenient) or below (harsh) their colleagues' on the same agents
is flagged, and each agent gets a QA score with their evaluators' leniency taken out. Award
rates per shift cohort and per site are set beside the center's, so a cohort that never wins
shows.
"""

from __future__ import annotations

import polars as pl

from core.policy import Policy
from metrics.agent_month import ratio
from metrics.awards import AWARDS

EVALUATOR_COLUMNS = ["month", "evaluator_id", "evaluations", "paired_evaluations", "mean_score", "leniency", "flagged"]
AGENT_CALIBRATION_COLUMNS = ["qa_flagged_evaluator_share", "qa_score_adjusted"]
FAIRNESS_COLUMNS = ["month", "group_kind", "group", "active_agents", "ranked_agents", "award", "winners", "award_rate",
                    "center_award_rate"]


def evaluation_deltas(evaluations: pl.DataFrame) -> pl.DataFrame:
    """Each evaluation with `others_mean`, the mean of the same agent's scores by the other evaluators
    (null when there are none), and `delta` = score − others_mean."""
    by_agent = [pl.col("score").sum().over("agent_id"), pl.len().over("agent_id")]
    by_pair = [pl.col("score").sum().over("agent_id", "evaluator_id"), pl.len().over("agent_id", "evaluator_id")]
    others_sum, others_n = by_agent[0] - by_pair[0], by_agent[1] - by_pair[1]
    return evaluations.with_columns(others_mean=ratio(others_sum, others_n)).with_columns(
        delta=pl.col("score") - pl.col("others_mean"))


def evaluator_leniency(evaluations: pl.DataFrame, month: str, policy: Policy) -> pl.DataFrame:
    """qa_calibration.csv: per evaluator, evaluations, paired evaluations (m_e), mean score, leniency
    Σdelta / (m_e + evaluator_prior_weight) (positive: lenient; 0.0 without pairs), flagged."""
    table = evaluation_deltas(evaluations).group_by("evaluator_id").agg(
        evaluations=pl.len(),
        paired_evaluations=pl.col("delta").is_not_null().sum().cast(pl.Int64),
        mean_score=pl.col("score").mean(),
        delta_sum=pl.col("delta").sum(),  # nulls are skipped: only paired evaluations count
    )
    table = table.with_columns(
        month=pl.lit(month),
        evaluations=pl.col("evaluations").cast(pl.Int64),
        leniency=pl.col("delta_sum") / (pl.col("paired_evaluations") + policy.evaluator_prior_weight),
    ).with_columns(
        leniency=pl.when(pl.col("paired_evaluations") == 0).then(0.0).otherwise(pl.col("leniency")),
    ).with_columns(
        flagged=(pl.col("paired_evaluations") >= policy.min_evaluator_pairs)
        & (pl.col("leniency").abs() >= policy.evaluator_flag_points),
    )
    return table.select(EVALUATOR_COLUMNS).sort("evaluator_id")


def agent_calibration(evaluations: pl.DataFrame, leniency: pl.DataFrame) -> pl.DataFrame:
    """Per agent with evaluations: the share given by flagged evaluators, and the QA score with each
    evaluator's leniency taken out, clamped to 0–100."""
    scored = evaluations.join(leniency.select("evaluator_id", "leniency", "flagged"), on="evaluator_id", how="left")
    return scored.group_by("agent_id").agg(
        qa_flagged_evaluator_share=pl.col("flagged").fill_null(False).mean(),
        qa_score_adjusted=(pl.col("score") - pl.col("leniency").fill_null(0.0)).mean().clip(0, 100),
    )


def with_calibration(card: pl.DataFrame, evaluations: pl.DataFrame, month: str, policy: Policy) -> pl.DataFrame:
    """The agent-month card with the two §13 columns (null for an agent without evaluations)."""
    calibrated = agent_calibration(evaluations, evaluator_leniency(evaluations, month, policy))
    return card.join(calibrated, on="agent_id", how="left").with_columns(
        pl.col("qa_flagged_evaluator_share").cast(pl.Float64), pl.col("qa_score_adjusted").cast(pl.Float64))


def award_fairness(card: pl.DataFrame, winners: pl.DataFrame, teams: pl.DataFrame, month: str) -> pl.DataFrame:
    """award_fairness.csv: per shift cohort and per site, active and ranked agents, and per award the
    winners and the award rate beside the center's. One row per group and award, winners or not."""
    people = card.select("agent_id", "ranked", pl.col("shift_pattern").alias("shift_pattern"), "team_id").join(
        teams.select("team_id", "site"), on="team_id", how="left").with_columns(pl.col("site").fill_null(""))
    won = winners.select("agent_id", "award").unique()
    active = people.height
    frames = []
    for kind in ("shift_pattern", "site"):
        groups = people.group_by(kind).agg(active_agents=pl.len(), ranked_agents=pl.col("ranked").sum())
        awards = pl.DataFrame({"award": AWARDS})
        counted = people.join(won, on="agent_id").group_by(kind, "award").agg(winners=pl.col("agent_id").n_unique())
        rows = groups.join(awards, how="cross").join(counted, on=[kind, "award"], how="left")
        frames.append(rows.select(
            month=pl.lit(month), group_kind=pl.lit(kind), group=pl.col(kind), active_agents=pl.col("active_agents"),
            ranked_agents=pl.col("ranked_agents"), award=pl.col("award"), winners=pl.col("winners").fill_null(0)))
    table = pl.concat(frames).with_columns(pl.col(c).cast(pl.Int64) for c in ("active_agents", "ranked_agents",
                                                                            "winners"))
    center = won.group_by("award").agg(center_winners=pl.col("agent_id").n_unique())
    table = table.join(center, on="award", how="left").with_columns(
        award_rate=ratio(pl.col("winners"), pl.col("active_agents")),
        center_award_rate=ratio(pl.col("center_winners").fill_null(0), pl.lit(active)),
    )
    order = {award: n for n, award in enumerate(AWARDS)}
    return table.select(FAIRNESS_COLUMNS).sort(
        "group_kind", "group", pl.col("award").replace_strict(order, return_dtype=pl.Int64))
