"""Earlier months, as the current month needs them: last month's scorecard inputs, and complaint
statuses across months (SPEC §2, §5)."""

from __future__ import annotations

import polars as pl

from core.errors import StructuralError
from core.months import Month
from ingest.load import SourceReader, load_month, load_source
from ingest.mapping import ColumnMapping
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
