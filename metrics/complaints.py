"""Complaints across months (SPEC §2, §4): a complaint's status is its row in the latest month that
holds it, and it counts as substantiated once, in the first month a file shows it so."""

from __future__ import annotations

import polars as pl

from core.months import Month
from schemas.catalog import COMPLAINT_STATUSES

STATUS_SCHEMA = {"complaint_id": pl.String, "status": pl.String, "status_month": pl.String}


def _usable(complaints: pl.DataFrame) -> pl.DataFrame:
    """A month's file read as it is: copies of one row count once; rows of one month that disagree
    on a complaint's status, or give an unknown status, say nothing reliable and are passed over
    (the current month's bad rows are already quarantined)."""
    return (
        complaints.filter(pl.col("complaint_id").is_not_null() & pl.col("status").is_in(COMPLAINT_STATUSES))
        .unique(subset=["complaint_id", "status"])
        .filter(~pl.col("complaint_id").is_duplicated())
    )


def complaint_statuses(complaints_by_month: dict[Month, pl.DataFrame]) -> pl.DataFrame:
    """complaint_id → status: its row in the latest month that holds it (SPEC §2)."""
    frames = [_usable(complaints).select("complaint_id", "status", status_month=pl.lit(str(month)))
              for month, complaints in complaints_by_month.items()]
    if not frames:
        return pl.DataFrame(schema=STATUS_SCHEMA)
    return pl.concat(frames).sort("status_month").group_by("complaint_id", maintain_order=True).last() \
        .sort("complaint_id")


def substantiated_before(complaints_by_month: dict[Month, pl.DataFrame], month: Month) -> list[str]:
    """Complaints some month before `month` already showed as substantiated: they were counted then."""
    ids = set()
    for earlier, complaints in complaints_by_month.items():
        if earlier < month:
            ids.update(_usable(complaints).filter(pl.col("status") == "substantiated")["complaint_id"].to_list())
    return sorted(ids)


def first_substantiated(earlier: list[str]) -> pl.Expr:
    """True for a row of this month's file that makes its complaint substantiated for the first time."""
    return (pl.col("status") == "substantiated") & ~pl.col("complaint_id").is_in(earlier)
