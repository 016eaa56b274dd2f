"""From a reader (files or SQL) to a typed frame of one source: map columns, then parse."""

from __future__ import annotations

from collections import defaultdict
from typing import Protocol

import polars as pl

from core.errors import Problem, StructuralError, visible
from core.months import Month
from ingest.mapping import ColumnMapping, SourceMapping
from ingest.parse import OFFSET, parse_table
from ingest.raw import RawTable
from schemas.sources import SOURCES
from schemas.validate import AS_WRITTEN


class SourceReader(Protocol):
    """Anything that can hand over one source's rows for a month (files today, SQL tomorrow)."""

    def describe(self) -> str: ...

    def read(self, source: str, month: Month) -> RawTable | None: ...

    def available_months(self) -> list[Month]: ...


def refuse_columns_mapped_together(raw: RawTable, mapping: SourceMapping) -> None:
    """Stop when two of the file's columns become one after the mapping (` score` and `score`, or a
    vendor column mapped to a name the file also has): which one to read could only be guessed."""
    by_name: dict[str, list[str]] = defaultdict(list)
    for written in raw.frame.columns:
        stripped = written.strip()  # as SourceMapping.apply compares headers
        by_name[mapping.columns.get(stripped, stripped)].append(written)
    problems = [
        Problem(f"{len(headers)} columns of the file become this one after the column mapping "
                f"({', '.join(repr(visible(h)) for h in headers)}); which one holds the data cannot be told",
                visible(name))
        for name, headers in by_name.items() if len(headers) > 1
    ]
    if problems:
        raise StructuralError(raw.origin, problems)


def _as_written(raw: pl.DataFrame, columns: dict[str, pl.DataType]) -> list[pl.Series]:
    """The text of each date-time column that carried an offset, as the file wrote it: its typed value
    is converted to the center's wall clock, which a person would not find in the file."""
    written = []
    for name, target in columns.items():
        if not isinstance(target, pl.Datetime) or name not in raw.columns:
            continue
        dtype = raw.schema[name]
        if dtype == pl.String:
            text = raw[name].str.strip_chars()
            if text.str.contains(OFFSET).any():
                written.append(text.alias(AS_WRITTEN + name))
        elif isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
            written.append(raw[name].dt.to_string("%Y-%m-%d %H:%M:%S%:z").alias(AS_WRITTEN + name))
    return written


def load_source(reader: SourceReader, source: str, month: Month, mapping: ColumnMapping, timezone: str) -> pl.DataFrame:
    """The source's rows in contract types, with their position in the origin (`source_line`/`source_row`)
    and, for date-times the file wrote with an offset, their text as written (`AS_WRITTEN` + column).

    A missing optional source gives an empty frame; a missing required one stops the month.
    """
    spec = SOURCES[source]
    raw = reader.read(source, month)
    if raw is None:
        if month not in reader.available_months():  # the same words for every source: said once (pipelines/failures)
            raise StructuralError(f"{reader.describe()}, month {month}", [Problem(
                f"no data for {month}: the month has not landed (the data holds {_months(reader)})")])
        if spec.required:
            raise StructuralError(
                f"{reader.describe()}, month {month}",
                [Problem(f"missing required source '{source}' (expected {month}/{source}.csv, .parquet or .xlsx)")],
            )
        return pl.DataFrame(schema=spec.columns)
    source_mapping = mapping.for_source(source)
    refuse_columns_mapped_together(raw, source_mapping)
    mapped = RawTable(raw.source, raw.origin, source_mapping.apply(raw.frame), raw.first_data_line, raw.unit,
                      raw.lines)
    typed = parse_table(mapped, spec.columns, spec.required_columns, timezone)
    return typed.with_columns(mapped.line_numbers(), *_as_written(mapped.frame, spec.columns))


def _months(reader: SourceReader) -> str:
    held = reader.available_months()
    return "no month" if not held else str(held[0]) if len(held) == 1 else f"{held[0]} to {held[-1]}, {len(held)} months"


def load_month(reader: SourceReader, month: Month, mapping: ColumnMapping, timezone: str) -> dict[str, pl.DataFrame]:
    """Every source of a month, typed (see `load_source`)."""
    return {source: load_source(reader, source, month, mapping, timezone) for source in SOURCES}
