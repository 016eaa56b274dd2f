"""Earlier months, as the current month needs them: last month's data, complaint files across
months, and earlier months' management health for the trends (SPEC §2, §5, §10)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from core.errors import StructuralError
from core.months import Month
from core.output import read_output_csv
from core.policy import Policy
from ingest.load import SourceReader, load_month, load_source
from ingest.mapping import ColumnMapping
from metrics.month import month_health
from schemas.validate import validate_month


@dataclass(frozen=True)
class MonthData:
    """A month's sources, validated as the month itself would be."""

    month: Month
    valid: dict[str, pl.DataFrame]
    rows_read: dict[str, int]  # per source, valid and quarantined


def load_valid_month(reader: SourceReader, month: Month, mapping: ColumnMapping, timezone: str) -> MonthData | None:
    """A month's validated rows per source; None when the month is not there or cannot be read."""
    if month not in reader.available_months():
        return None
    try:
        frames = load_month(reader, month, mapping, timezone)
    except StructuralError:
        return None
    outcomes = validate_month(frames, month)
    return MonthData(month, {source: outcome.valid for source, outcome in outcomes.items()},
                     {source: outcome.rows_read for source, outcome in outcomes.items()})


def earlier_complaints(
    reader: SourceReader, month: Month, mapping: ColumnMapping, timezone: str
) -> dict[Month, pl.DataFrame]:
    """The complaints file of every available month before `month` (typed, not validated)."""
    found = {}
    for earlier in reader.available_months():
        if earlier >= month:
            continue
        try:
            found[earlier] = load_source(reader, "complaints", earlier, mapping, timezone)
        except StructuralError:
            continue  # an unreadable old month cannot tell a status; the current month is what is validated
    return found


def before(complaint_history: dict[Month, pl.DataFrame], month: Month) -> dict[Month, pl.DataFrame]:
    """The complaint files of the months before `month`."""
    return {earlier: frame for earlier, frame in complaint_history.items() if earlier < month}


TREND_COLUMNS = {"month": pl.String, "team_id": pl.String, "headcount": pl.Int64, "csat": pl.Float64,
                 "qa_score": pl.Float64, "attendance_rate": pl.Float64, "penalty_rate_per_100": pl.Float64,
                 "attrition_rate": pl.Float64, "status": pl.String}


def earlier_health(reader: SourceReader, out_dir: Path, month: Month, mapping: ColumnMapping, policy: Policy,
                   complaint_history: dict[Month, pl.DataFrame], months: int = 11) -> pl.DataFrame:
    """management_health of the `months` months before `month`, for trends.

    A month already run is read from its `management_health.csv`; one that was not is
    computed from its data when the data folder is there; others are left out.
    `complaint_history` holds the complaint files of the months before `month`.
    """
    frames = []
    for earlier in month.back(months)[:-1]:
        written = out_dir / str(earlier) / "management_health.csv"
        if written.exists():
            frames.append(read_output_csv(written, TREND_COLUMNS).select(list(TREND_COLUMNS)))
            continue
        data = load_valid_month(reader, earlier, mapping, policy.timezone)
        if data is None:
            continue
        health = month_health(data.valid, earlier, policy, before(complaint_history, earlier))
        frames.append(health.select(list(TREND_COLUMNS)).cast(TREND_COLUMNS))
    return pl.concat(frames) if frames else pl.DataFrame(schema=TREND_COLUMNS)
