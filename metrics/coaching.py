"""Coaching list, buddies, focus and follow-up (SPEC §7), private to each team's supervisor and to the
training team (coaching.csv, coaching_followup.csv)."""

from __future__ import annotations

import polars as pl

from core.policy import Policy

COACHING_QA_BELOW = 80
COACHING_PERCENTILE_BELOW = 0.1
FOCUS_ITEMS = 3
REASONS = ["bottom_decile", "qa_below_80", "qa_critical", "serious_late"]
OUTCOMES = ["left", "off_list", "still_listed"]

PLAN_COLUMNS = ["month", "team_id", "agent_id", "agent_name", "shift_pattern", "on_coaching_list", "new_hire",
                "reasons", "to_watch", "qa_evals", "focus", "focus_items", "buddy_agent_id", "buddy_agent_name"]
FOCUS_ITEM = pl.Struct({"item_code": pl.String, "category": pl.String, "item_name": pl.String, "times": pl.Int64,
                        "points": pl.Float64})
FOLLOWUP_SCHEMA = {"month": pl.String, "agent_id": pl.String, "agent_name": pl.String, "team_id": pl.String,
                   "reasons_last_month": pl.String, "outcome": pl.String, "reasons_now": pl.String,
                   "composite_delta": pl.Float64}
COACHING_CSV = ["month", "agent_id", "team_id", "reasons", "qa_evals", "buddy_agent_id", "focus"]
FOLLOWUP_CSV = ["month", "agent_id", "team_id", "reasons_last_month", "outcome", "reasons_now", "composite_delta"]


def leaving() -> pl.Expr:
    """Leaving in the scorecard's month: an exit_date in it (an active agent's exit_date is never earlier)."""
    return pl.col("exit_date").cast(pl.Date).dt.strftime("%Y-%m").fill_null("") == pl.col("month")


def coaching_reasons(policy: Policy) -> list[tuple[str, pl.Expr]]:
    """Why an agent is on the coaching list (SPEC §7). The percentile rule applies to ranked agents only, the
    others to every active agent; low QA counts only over min_qa_evals evaluations, as one bad evaluation is no
    verdict (seed 000 rule 9)."""
    return [
        ("bottom_decile", pl.col("ranked") & (pl.col("cohort_percentile") < COACHING_PERCENTILE_BELOW)),
        ("qa_below_80", (pl.col("qa_score") < COACHING_QA_BELOW) & (pl.col("qa_evals") >= policy.min_qa_evals)),
        ("qa_critical", pl.col("qa_critical_errors") >= 1),
        ("serious_late", pl.col("serious_late_count") >= 1),
    ]


def with_reasons(card: pl.DataFrame, policy: Policy) -> pl.DataFrame:
    """The card with `reasons` (`;`-separated, "" for none; leavers get none: no one coaches an agent who is
    going), `on_coaching_list`, `to_watch` (QA below 80 on fewer than min_qa_evals evaluations) and `leaving`."""
    reasons = [pl.when(flag.fill_null(False)).then(pl.lit(name)) for name, flag in coaching_reasons(policy)]
    gone = leaving()
    return card.with_columns(
        leaving=gone,
        reasons=pl.when(gone).then(pl.lit("")).otherwise(pl.concat_str(reasons, separator=";", ignore_nulls=True)),
        to_watch=(~gone & (pl.col("qa_score") < COACHING_QA_BELOW) & (pl.col("qa_evals") < policy.min_qa_evals))
        .fill_null(False),
    ).with_columns(on_coaching_list=pl.col("reasons") != "")


def agent_deductions(deductions: pl.DataFrame, evaluations: pl.DataFrame) -> pl.DataFrame:
    """The month's QA deductions with the evaluated agent; item_name null when the data does not give it."""
    if "item_name" not in deductions.columns:
        deductions = deductions.with_columns(item_name=pl.lit(None, dtype=pl.String))
    return deductions.join(evaluations.select("evaluation_id", "agent_id"), on="evaluation_id").select(
        "agent_id", "item_code", "category", "item_name", "points")


def focus_items(points: pl.DataFrame) -> pl.DataFrame:
    """Per agent, the up to 3 deduction items that cost most points in M (SPEC §7 Focus): agent_id, item_code,
    category, item_name, times, points. Ties: more points first, then more times, then item_code, so the order
    never depends on the file's row order. An item filed under two categories keeps its most frequent one."""
    per_item = points.group_by("agent_id", "item_code").agg(
        category=pl.col("category").mode().sort().first(),
        item_name=pl.col("item_name").drop_nulls().mode().sort().first(),
        times=pl.len().cast(pl.Int64),
        points=pl.col("points").sum(),
    )
    return (per_item.sort(["agent_id", "points", "times", "item_code"], descending=[False, True, True, False])
            .group_by("agent_id", maintain_order=True).head(FOCUS_ITEMS)
            .select("agent_id", "item_code", "category", "item_name", "times", "points"))


def coaching_list(card: pl.DataFrame, policy: Policy, points: pl.DataFrame | None = None) -> pl.DataFrame:
    """Agents on the coaching list, new hires and agents to watch, each with a suggested buddy and (listed agents)
    their focus items; leavers are none of these.

    Columns: PLAN_COLUMNS. `focus` is the `;`-separated item codes, most points first; `focus_items` the same items
    as structs (item_code, category, item_name, times, points) for the report. `points` is agent_deductions().
    """
    flagged = with_reasons(card, policy)
    # A buddy: the best ranked agent of the same team and shift pattern who is not being coached (nor leaving).
    buddies = (
        flagged.filter(pl.col("ranked") & ~pl.col("on_coaching_list") & ~pl.col("leaving")
                       & pl.col("composite").is_not_null())
        .sort(["composite", "agent_id"], descending=[True, False])
        .group_by(["team_id", "shift_pattern"], maintain_order=True)
        .first()
        .select("team_id", "shift_pattern", buddy_agent_id="agent_id", buddy_agent_name="agent_name")
    )
    if points is None:
        points = pl.DataFrame(schema={"agent_id": pl.String, "item_code": pl.String, "category": pl.String,
                                      "item_name": pl.String, "points": pl.Float64})
    listed = flagged.filter(pl.col("on_coaching_list"))["agent_id"].implode()
    focus = (focus_items(points.filter(pl.col("agent_id").is_in(listed)))
             .group_by("agent_id", maintain_order=True)
             .agg(focus=pl.col("item_code").str.join(";"),
                  focus_items=pl.struct("item_code", "category", "item_name", "times", "points")))
    plan = (
        flagged.filter(~pl.col("leaving") & (pl.col("on_coaching_list") | pl.col("new_hire") | pl.col("to_watch")))
        .join(buddies, on=["team_id", "shift_pattern"], how="left")
        .join(focus, on="agent_id", how="left")
        .with_columns(focus=pl.col("focus").fill_null(""),
                      focus_items=pl.col("focus_items").fill_null(pl.lit([], dtype=pl.List(FOCUS_ITEM))))
    )
    # Someone only watched (no reason, not a new hire) gets no buddy: the supervisor looks again next month.
    plan = plan.with_columns([pl.when(pl.col("on_coaching_list") | pl.col("new_hire")).then(pl.col(c))
                              for c in ("buddy_agent_id", "buddy_agent_name")])
    return plan.select(PLAN_COLUMNS).sort("team_id", "agent_id")


def coaching_csv(plan: pl.DataFrame) -> pl.DataFrame:
    """coaching.csv (SPEC §9): the listed agents, for the training team that runs the sessions."""
    return plan.filter(pl.col("on_coaching_list")).select(COACHING_CSV)


def coaching_followup(last_card: pl.DataFrame | None, card: pl.DataFrame, policy: Policy) -> pl.DataFrame:
    """Did last month's coaching work? Every agent on M−1's list (from M−1's ranked scorecard `last_card`) with an
    outcome in M: `left` (not active in M, or leaving in M), `off_list` (no reason in M), `still_listed`.

    Columns: FOLLOWUP_SCHEMA; team_id is the agent's team in M (M−1's for those who left).
    """
    if last_card is None:
        return pl.DataFrame(schema=FOLLOWUP_SCHEMA)
    before = with_reasons(last_card, policy).filter(pl.col("on_coaching_list")).select(
        "agent_id", last_name="agent_name", last_team="team_id", reasons_last_month="reasons")
    now = with_reasons(card, policy).select("month", "agent_id", "agent_name", "team_id", "leaving", "reasons",
                                            "composite_delta")
    month = card["month"][0] if card.height else None
    joined = before.join(now, on="agent_id", how="left").with_columns(
        gone=pl.col("month").is_null() | pl.col("leaving").fill_null(False))
    return joined.select(
        month=pl.lit(month, dtype=pl.String),
        agent_id="agent_id",
        agent_name=pl.coalesce("agent_name", "last_name"),
        team_id=pl.coalesce("team_id", "last_team"),
        reasons_last_month="reasons_last_month",
        outcome=pl.when("gone").then(pl.lit("left"))
        .when(pl.col("reasons") == "").then(pl.lit("off_list")).otherwise(pl.lit("still_listed")),
        reasons_now=pl.when("gone").then(pl.lit("")).otherwise("reasons"),
        composite_delta=pl.col("composite_delta").cast(pl.Float64),
    ).sort("team_id", "agent_id")


def followup_csv(followup: pl.DataFrame) -> pl.DataFrame:
    return followup.select(FOLLOWUP_CSV)


def followup_by_team(followup: pl.DataFrame) -> pl.DataFrame:
    """Per team, what the center report may show of the follow-up (SPEC §7: a team aggregate): counts per outcome
    and the share off the list."""
    counts = followup.group_by("team_id").agg(
        last_month=pl.len(),
        **{outcome: (pl.col("outcome") == outcome).sum() for outcome in OUTCOMES},
    )
    return counts.with_columns(off_list_share=pl.col("off_list") / pl.col("last_month")).sort("team_id")
