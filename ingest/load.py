"""From a reader (files or SQL) to a typed frame of one source: map columns, then parse."""

from __future__ import annotations

from typing import Protocol

import polars as pl

from core.errors import Problem, StructuralError
from core.months import Month
from ingest.mapping import ColumnMapping
from ingest.parse import parse_table
from ingest.raw import RawTable
from schemas.sources import SOURCES


class SourceReader(Protocol):
    """Anything that can hand over one source's rows for a month (files today, SQL tomorrow)."""

    def describe(self) -> str: ...

    def read(self, source: str, month: Month) -> RawTable | None: ...

    def available_months(self) -> list[Month]: ...


def load_source(reader: SourceReader, source: str, month: Month, mapping: ColumnMapping, timezone: str) -> pl.DataFrame:
    """The source's rows in contract types, with their position in the origin (`source_line`/`source_row`).

    A missing optional source gives an empty frame; a missing required one stops the month.
    """
    spec = SOURCES[source]
    raw = reader.read(source, month)
    if raw is None:
        if spec.required:
            raise StructuralError(
                f"{reader.describe()}, month {month}",
                [Problem(f"missing required source '{source}' (expected {month}/{source}.csv, .parquet or .xlsx)")],
            )
        return pl.DataFrame(schema=spec.columns)
    mapped = RawTable(raw.source, raw.origin, mapping.for_source(source).apply(raw.frame), raw.first_data_line, raw.unit)
    typed = parse_table(mapped, spec.columns, spec.required_columns, timezone)
    return typed.with_columns(mapped.line_numbers())


def load_month(reader: SourceReader, month: Month, mapping: ColumnMapping, timezone: str) -> dict[str, pl.DataFrame]:
    """Every source of a month, typed (see `load_source`)."""
    return {source: load_source(reader, source, month, mapping, timezone) for source in SOURCES}
