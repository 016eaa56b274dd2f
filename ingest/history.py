"""Earlier months, as the current month needs them: last month's scorecard inputs, and complaint
statuses across months (SPEC §2, §5)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from core.errors import StructuralError
from core.months import Month
from core.policy import Policy
from ingest.load import SourceReader, load_month, load_source
from ingest.mapping import ColumnMapping
from metrics.health import complaint_statuses
from metrics.month import month_health
from schemas.validate import validate_month


def load_valid_month(
    reader: SourceReader, month: Month, mapping: ColumnMapping, timezone: str
) -> dict[str, pl.DataFrame] | None:
    """A month's validated rows per source; None when the month is not there or cannot be read."""
    if month not in reader.available_months():
        return None
    try:
        frames = load_month(reader, month, mapping, timezone)
    except StructuralError:
        return None
    return {source: outcome.valid for source, outcome in validate_month(frames, month).items()}


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


TREND_COLUMNS = {"month": pl.String, "team_id": pl.String, "headcount": pl.Int64, "csat": pl.Float64,
                 "qa_score": pl.Float64, "attendance_rate": pl.Float64, "penalty_rate_per_100": pl.Float64,
                 "attrition_rate": pl.Float64}


def earlier_health(reader: SourceReader, out_dir: Path, month: Month, mapping: ColumnMapping, policy: Policy,
                   months: int = 11) -> pl.DataFrame:
    """management_health of the `months` months before `month`, for trends.

    A month already run is read from its `management_health.csv`; one that was not is
    computed from its data when the data folder is there; others are left out.
    """
    frames = []
    for earlier in month.back(months)[:-1]:
        written = out_dir / str(earlier) / "management_health.csv"
        if written.exists():
            raw = written.read_bytes().removeprefix(b"\xef\xbb\xbf")
            frames.append(pl.read_csv(raw, schema_overrides=TREND_COLUMNS).select(list(TREND_COLUMNS)))
            continue
        valid = load_valid_month(reader, earlier, mapping, policy.timezone)
        if valid is None:
            continue
        history = earlier_complaints(reader, earlier, mapping, policy.timezone)
        history[earlier] = valid["complaints"]
        health = month_health(valid, earlier, policy, complaint_statuses(history))
        frames.append(health.select(list(TREND_COLUMNS)).cast(TREND_COLUMNS))
    return pl.concat(frames) if frames else pl.DataFrame(schema=TREND_COLUMNS)
