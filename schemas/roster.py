"""Who counts in a month, light to import (polars only): the metrics and the report workers need it without
pandera."""

from __future__ import annotations

import polars as pl

from core.months import Month


def active_agents(agents: pl.DataFrame, month: Month) -> pl.DataFrame:
    """SPEC §4: hired by the month's last day and not gone before its first day."""
    return agents.filter(
        (pl.col("hire_date") <= month.last_day)
        & (pl.col("exit_date").is_null() | (pl.col("exit_date") >= month.first_day))
    )
