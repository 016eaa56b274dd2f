"""Load generated months into the reference schema (examples/sql/schema.sql), for the SQL source's
tests and benchmark: rosters as monthly snapshots, activity as events, one row per complaint
with its latest status."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from ingest.files import FileSource
from ingest.load import load_month
from ingest.mapping import ColumnMapping

SCHEMA_SQL = Path(__file__).resolve().parents[1] / "examples" / "sql" / "schema.sql"
SNAPSHOTS = {"teams": "teams_monthly", "agents": "agents_monthly"}


def reference_tables(data_dir: Path, timezone: str) -> dict[str, pl.DataFrame]:
    """Every generated month under `data_dir`, as the reference schema's tables."""
    reader = FileSource(data_dir)
    by_source: dict[str, list[pl.DataFrame]] = {}
    for month in reader.available_months():
        frames = load_month(reader, month, ColumnMapping(), timezone)
        for source, frame in frames.items():
            frame = frame.drop(pl.selectors.starts_with("source_"))
            if source in SNAPSHOTS:
                frame = frame.select(pl.lit(month.first_day).alias("snapshot_month"), pl.all())
            by_source.setdefault(source, []).append(frame)
    tables = {SNAPSHOTS.get(source, source): pl.concat(frames) for source, frames in by_source.items()}
    # The months' files repeat a complaint when its status changes; the database keeps the latest.
    tables["complaints"] = tables["complaints"].unique("complaint_id", keep="last", maintain_order=True)
    return tables


def load_reference_database(uri: str, data_dir: Path, timezone: str) -> dict[str, int]:
    """Create the reference schema in an empty database and load the months; rows per table."""
    import adbc_driver_postgresql.dbapi

    tables = reference_tables(data_dir, timezone)
    with adbc_driver_postgresql.dbapi.connect(uri, autocommit=True) as connection, connection.cursor() as cursor:
        # timestamptz columns take the generated wall-clock times as the center's local times.
        cursor.execute("SELECT set_config('TimeZone', $1, false)", (timezone,))
        cursor.fetchall()
        for statement in re.split(r";\s*$", SCHEMA_SQL.read_text(encoding="utf-8"), flags=re.M):
            if statement.strip():
                cursor.execute(statement)  # prepared one at a time: ADBC takes no multi-statement text
        for table, frame in tables.items():
            # Staged as Arrow's types, then cast into the schema's (numeric, smallint, timestamptz).
            cursor.adbc_ingest(f"stage_{table}", frame.to_arrow(), mode="create", temporary=True)
            columns = ", ".join(frame.columns)
            cursor.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM stage_{table}")
        cursor.execute("ANALYZE")
    return {table: frame.height for table, frame in tables.items()}
