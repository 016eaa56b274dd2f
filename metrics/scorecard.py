"""The agent scorecard of a month (SPEC §4, §5) from its validated sources."""

from __future__ import annotations

import polars as pl

from core.months import Month
from core.policy import Policy
from metrics.agent_month import METRIC_COLUMNS, agent_month_metrics
from metrics.calibration import AGENT_CALIBRATION_COLUMNS, with_calibration
from metrics.complaints import substantiated_before
from metrics.ranking import RANK_COLUMNS, rank_agents

# SPEC §9's columns, then the two of §13 (which §9 does not place: last, so earlier columns keep their place)
SCORECARD_COLUMNS = (["month", "agent_id", "agent_name", "team_id", "shift_pattern"] + METRIC_COLUMNS + RANK_COLUMNS
                     + AGENT_CALIBRATION_COLUMNS)


def month_metrics(valid: dict[str, pl.DataFrame], month: Month, policy: Policy,
                  complaint_history: dict[Month, pl.DataFrame]) -> pl.DataFrame:
    """§4 per active agent, with the §13 calibration columns; `complaint_history` holds earlier months'
    complaint files (each complaint substantiated once)."""
    card = agent_month_metrics(
        valid["agents"], valid["attendance"], valid["qa_evaluations"], valid["csat_responses"],
        valid["complaints"], valid["discipline"], month, policy, substantiated_before(complaint_history, month),
    )
    return with_calibration(card, valid["qa_evaluations"], str(month), policy)


def last_month_card(previous_valid: dict[str, pl.DataFrame] | None, month: Month, policy: Policy,
                    complaint_history: dict[Month, pl.DataFrame]) -> pl.DataFrame | None:
    """Last month's ranked scorecard, computed from its data under this month's policy (None without its data)."""
    if previous_valid is None:
        return None
    previous = month.previous()
    return rank_agents(month_metrics(previous_valid, previous, policy, complaint_history), policy)


def scorecard_csv(card: pl.DataFrame) -> pl.DataFrame:
    """agent_scorecard.csv's columns, in the order SPEC §9 lists them."""
    return card.select(SCORECARD_COLUMNS)
