"""Coaching list and buddy suggestions (SPEC §7), private to each team's supervisor."""

from __future__ import annotations

import polars as pl

COACHING_QA_BELOW = 80
COACHING_PERCENTILE_BELOW = 0.1


def coaching_reasons() -> list[tuple[str, pl.Expr]]:
    """Why an agent is on the coaching list; the percentile rule applies to ranked agents only,
    the others to every active agent (low QA, a critical error or serious lateness needs
    coaching whether or not there were enough surveys to rank)."""
    return [
        ("bottom_10pct_of_cohort", pl.col("ranked") & (pl.col("cohort_percentile") < COACHING_PERCENTILE_BELOW)),
        (f"qa_score<{COACHING_QA_BELOW}", pl.col("qa_score") < COACHING_QA_BELOW),
        ("qa_critical_error", pl.col("qa_critical_errors") >= 1),
        ("serious_lateness", pl.col("serious_late_count") >= 1),
    ]


def coaching_list(card: pl.DataFrame) -> pl.DataFrame:
    """Agents on the coaching list, and new hires, each with a suggested buddy.

    Columns: month, team_id, agent_id, agent_name, shift_pattern, on_coaching_list, new_hire,
    reasons (`;`-separated), buddy_agent_id, buddy_agent_name (null when no one qualifies).
    """
    reasons = [pl.when(flag.fill_null(False)).then(pl.lit(name)) for name, flag in coaching_reasons()]
    flagged = card.with_columns(reasons=pl.concat_str(reasons, separator=";", ignore_nulls=True)).with_columns(
        on_coaching_list=pl.col("reasons") != ""
    )
    # A buddy: the best ranked agent of the same team and shift pattern who is not being coached.
    buddies = (
        flagged.filter(pl.col("ranked") & ~pl.col("on_coaching_list") & pl.col("composite").is_not_null())
        .sort(["composite", "agent_id"], descending=[True, False])
        .group_by(["team_id", "shift_pattern"], maintain_order=True)
        .first()
        .select("team_id", "shift_pattern", buddy_agent_id="agent_id", buddy_agent_name="agent_name")
    )
    return (
        flagged.filter(pl.col("on_coaching_list") | pl.col("new_hire"))
        .join(buddies, on=["team_id", "shift_pattern"], how="left")
        .select(
            "month", "team_id", "agent_id", "agent_name", "shift_pattern", "on_coaching_list", "new_hire",
            "reasons", "buddy_agent_id", "buddy_agent_name",
        )
        .sort("team_id", "agent_id")
    )
