"""A whole month's management health from its validated data, for the months a run reads back."""

from __future__ import annotations

import polars as pl

from core.months import Month
from core.policy import Policy
from metrics.complaints import complaint_statuses
from metrics.health import management_health
from metrics.ranking import rank_agents
from metrics.scorecard import month_metrics


def month_health(valid: dict[str, pl.DataFrame], month: Month, policy: Policy,
                 complaint_history: dict[Month, pl.DataFrame]) -> pl.DataFrame:
    """`complaint_history`: the complaint files of the months before `month`."""
    card = rank_agents(month_metrics(valid, month, policy, complaint_history), policy)
    statuses = complaint_statuses({**complaint_history, month: valid["complaints"]})
    return management_health(card, valid["discipline"], valid["qa_evaluations"], valid["qa_deductions"], statuses,
                             valid["teams"]["team_id"].to_list(), month, policy)
