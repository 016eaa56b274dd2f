"""Awards (SPEC §6): eligibility with the criteria not met, the winners, the lucky draw."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from core.months import Month
from core.policy import Policy
from metrics.coaching import leaving

AWARDS = ["service_star", "perfect_attendance", "most_improved", "lucky_draw"]
MOST_IMPROVED_MIN_DELTA = 5
MOST_IMPROVED_WINNERS = 3
LUCKY_DRAW_MIN_ATTENDANCE = 0.95


def criteria(policy: Policy) -> dict[str, list[tuple[str, pl.Expr]]]:
    """Per award, (criterion as printed, expression true when met). A null value is not met."""
    return {
        "service_star": [
            ("ranked", pl.col("ranked")),
            ("cohort_percentile>=0.9", pl.col("cohort_percentile") >= 0.9),
            (f"qa_score>={policy.qa_target:g}", pl.col("qa_score") >= policy.qa_target),
            (f"csat>={policy.csat_target:g}", pl.col("csat") >= policy.csat_target),
            ("complaints_substantiated=0", pl.col("complaints_substantiated") == 0),
            ("penalties=0", pl.col("penalties") == 0),
            ("qa_critical_errors=0", pl.col("qa_critical_errors") == 0),
            ("absences=0", pl.col("absences") == 0),
        ],
        "perfect_attendance": [
            ("not_new_hire", ~pl.col("new_hire")),
            ("not_leaving", ~leaving()),  # SPEC §6: no attendance award for a month cut short by leaving
            ("required_shifts>=1", pl.col("required_shifts") >= 1),
            ("leave_shifts=0", pl.col("leave_shifts") == 0),
            ("absences=0", pl.col("absences") == 0),
            ("late_count=0", pl.col("late_count") == 0),
        ],
        "most_improved": [
            ("ranked", pl.col("ranked")),
            ("ranked_last_month", pl.col("composite_delta").is_not_null()),
            (f"composite_delta>={MOST_IMPROVED_MIN_DELTA}", pl.col("composite_delta") >= MOST_IMPROVED_MIN_DELTA),
        ],
        "lucky_draw": [
            ("not_leaving", ~leaving()),
            (f"attendance_rate>={LUCKY_DRAW_MIN_ATTENDANCE:g}", pl.col("attendance_rate") >= LUCKY_DRAW_MIN_ATTENDANCE),
            ("absences=0", pl.col("absences") == 0),
            ("serious_late_count=0", pl.col("serious_late_count") == 0),
            ("penalties=0", pl.col("penalties") == 0),
        ],
    }


def award_eligibility(card: pl.DataFrame, policy: Policy) -> pl.DataFrame:
    """Every agent × award: eligible, and the unmet criteria `;`-separated (empty when eligible)."""
    frames = []
    for award, checks in criteria(policy).items():
        unmet = [pl.when(met.fill_null(False)).then(None).otherwise(pl.lit(name)) for name, met in checks]
        frames.append(
            card.select(
                "month",
                "agent_id",
                pl.lit(award).alias("award"),
                pl.concat_str(unmet, separator=";", ignore_nulls=True).alias("unmet"),
            )
        )
    eligibility = pl.concat(frames).with_columns(eligible=pl.col("unmet") == "")
    return eligibility.select("month", "agent_id", "award", "eligible", "unmet").sort("award", "agent_id")


@dataclass(frozen=True)
class LuckyDraw:
    seed: int
    pool: list[str]
    winners: list[str]


def lucky_draw_seed(salt: str, month: Month) -> int:
    return int(hashlib.sha256(f"{salt}:{month}".encode("utf-8")).hexdigest()[:16], 16)


def lucky_draw(eligibility: pl.DataFrame, month: Month, policy: Policy) -> LuckyDraw:
    """SPEC §6, to the letter, so anyone can re-draw with Python's standard library."""
    pool = sorted(eligibility.filter((pl.col("award") == "lucky_draw") & pl.col("eligible"))["agent_id"].to_list())
    seed = lucky_draw_seed(policy.lucky_draw_salt, month)
    winners = random.Random(seed).sample(pool, min(policy.lucky_draw_winners, len(pool)))
    return LuckyDraw(seed, pool, winners)


Describe = Callable[[str, dict, LuckyDraw], str]


def award_winners(card: pl.DataFrame, eligibility: pl.DataFrame, draw: LuckyDraw, describe: Describe) -> pl.DataFrame:
    """awards.csv: month, award, agent_id, agent_name, team_id, reason.

    `describe(award, scorecard_row, draw)` words the reason (the deed, for HR and for praise)
    in the report's language.
    """
    eligible = eligibility.filter(pl.col("eligible")).select("award", "agent_id")

    def winners_of(award: str) -> pl.DataFrame:
        winners = card.join(eligible.filter(pl.col("award") == award), on="agent_id")
        return winners.with_columns(award=pl.lit(award)).sort("agent_id")

    improved = (
        winners_of("most_improved")
        .sort(["composite_delta", "agent_id"], descending=[True, False])
        .head(MOST_IMPROVED_WINNERS)
    )
    drawn = card.filter(pl.col("agent_id").is_in(draw.winners)).with_columns(award=pl.lit("lucky_draw"))
    drawn = drawn.sort(pl.col("agent_id").replace_strict(draw.winners, list(range(len(draw.winners)))))
    rows = [
        {"month": row["month"], "award": row["award"], "agent_id": row["agent_id"], "agent_name": row["agent_name"],
         "team_id": row["team_id"], "reason": describe(row["award"], row, draw)}
        for frame in (winners_of("service_star"), winners_of("perfect_attendance"), improved, drawn)
        for row in frame.iter_rows(named=True)
    ]
    schema = {"month": pl.String, "award": pl.String, "agent_id": pl.String, "agent_name": pl.String,
              "team_id": pl.String, "reason": pl.String}
    return pl.DataFrame(rows, schema=schema)
