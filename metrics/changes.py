"""Is a change on last month beyond sampling noise? (SPEC §10 "Changes beyond noise")

A rate (CSAT, attendance, QA coverage) is compared by a pooled two-proportion z-test, the QA score
by a Welch t-test on the evaluations; either is called a change only when |statistic| ≥ 1.96 (95%),
so nobody acts on two unlucky surveys. The formulas are two lines each, over counts, means and
variances, so the reports can test any team and month from the sums they already carry.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import polars as pl

from metrics.health import CENTER

BEYOND_NOISE = 1.96  # |z| or |t| at 95%, two-sided

# A rate's successes and trials in a group's samples (group_samples' columns).
PROPORTIONS = {"csat": ("csat_top2", "csat_responses"), "attendance_rate": ("worked_shifts", "required_shifts"),
               "qa_coverage": ("qa_covered", "headcount")}
SAMPLE_COLUMNS = {"csat_top2": pl.Int64, "csat_responses": pl.Int64, "worked_shifts": pl.Int64,
                  "required_shifts": pl.Int64, "qa_covered": pl.Int64, "qa_evals": pl.Int64,
                  "qa_score_var": pl.Float64, "qa_coverage": pl.Float64}
TESTED = ("csat", "qa_score", "attendance_rate", "qa_coverage")


def two_proportion_z(hits_now: int, n_now: int, hits_before: int, n_before: int) -> float | None:
    """z = (p1 − p2) / √(p(1 − p)(1/n1 + 1/n2)), p pooled; None when it cannot be told (an empty month,
    or a pooled rate of 0 or 1, where the two months cannot differ)."""
    if not n_now or not n_before:
        return None
    pooled = (hits_now + hits_before) / (n_now + n_before)
    spread = pooled * (1 - pooled) * (1 / n_now + 1 / n_before)
    if spread <= 0:
        return None
    return (hits_now / n_now - hits_before / n_before) / math.sqrt(spread)


def welch_t(mean_now: float, var_now: float | None, n_now: int,
            mean_before: float, var_before: float | None, n_before: int) -> float | None:
    """t = (m1 − m2) / √(s1²/n1 + s2²/n2), s² the sample variances (n − 1); None when a month has fewer
    than 2 evaluations (no variance) or both months scored every evaluation alike."""
    if n_now < 2 or n_before < 2 or var_now is None or var_before is None:
        return None
    spread = var_now / n_now + var_before / n_before
    if spread <= 0:
        return None
    return (mean_now - mean_before) / math.sqrt(spread)


@dataclass(frozen=True)
class NoiseTest:
    statistic: float | None  # z for a rate, Welch t for the QA score; None when it cannot be computed
    n_now: int | None
    n_before: int | None

    @property
    def beyond_noise(self) -> bool:
        return self.statistic is not None and abs(self.statistic) >= BEYOND_NOISE


def noise_test(field: str, now: dict, before: dict) -> NoiseTest | None:
    """The test for `field` between two groups' rows (group_samples' columns and the month's values);
    None for a field that is not a sample (a headcount, penalties: every one is counted)."""
    if field in PROPORTIONS:
        hits, trials = PROPORTIONS[field]
        n_now, n_before = now.get(trials), before.get(trials)
        if n_now is None or n_before is None or now.get(hits) is None or before.get(hits) is None:
            return NoiseTest(None, n_now, n_before)
        return NoiseTest(two_proportion_z(now[hits], n_now, before[hits], n_before), n_now, n_before)
    if field == "qa_score":
        n_now, n_before = now.get("qa_evals"), before.get("qa_evals")
        if None in (n_now, n_before, now.get("qa_score"), before.get("qa_score")):
            return NoiseTest(None, n_now, n_before)
        return NoiseTest(welch_t(now["qa_score"], now.get("qa_score_var"), n_now,
                                 before["qa_score"], before.get("qa_score_var"), n_before), n_now, n_before)
    return None


def group_samples(card: pl.DataFrame, evaluations: pl.DataFrame, min_qa_evals: int) -> pl.DataFrame:
    """Per team and for the center (`ALL`): the counts behind each tested rate and the QA scores'
    sample variance, from a month's scorecard (active agents) and its valid evaluations."""
    team_of = card.select("agent_id", "team_id")
    scores = evaluations.select("agent_id", "score").join(team_of, on="agent_id", how="inner")

    def both(frame: pl.DataFrame) -> pl.DataFrame:  # each row under its team and under the center
        return pl.concat([frame, frame.with_columns(team_id=pl.lit(CENTER))])

    counts = both(card).group_by("team_id").agg(
        pl.col("csat_top2").sum(), pl.col("csat_responses").sum(), pl.col("worked_shifts").sum(),
        pl.col("required_shifts").sum(), qa_covered=(pl.col("qa_evals") >= min_qa_evals).sum(),
        qa_coverage=(pl.col("qa_evals") >= min_qa_evals).mean())
    variances = both(scores).group_by("team_id").agg(qa_evals=pl.len(), qa_score_var=pl.col("score").var(ddof=1))
    return counts.join(variances, on="team_id", how="left").with_columns(
        pl.col("qa_evals").fill_null(0)).cast(SAMPLE_COLUMNS).select("team_id", *SAMPLE_COLUMNS)
