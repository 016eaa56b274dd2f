"""The SQL source: one query per source, run on PostgreSQL through ADBC and read as Arrow into polars.

The queries file is YAML, one query per source plus `months`, the months the database holds
(for last month's comparison and the 12-month trends):

    months: SELECT DISTINCT snapshot_month FROM agents_monthly
    attendance: |
      SELECT shift_id, agent_id, shift_date, ... FROM attendance
      WHERE shift_date >= :month_start AND shift_date < :month_end

`:month_start` is the month's first day and `:month_end` the first day of the next month, so
`x >= :month_start AND x < :month_end` takes the whole last day, timestamps included. Each
session runs in the center's timezone, so a date compared with a `timestamptz` column means
local midnight, and read-only, so a query can never change the database.

What a query returns goes through the same column mapping and parsing as a file (ingest/load.py):
a query missing a column, or a value that cannot be read, stops the month with the query's name.
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import polars as pl

from core.config_files import read_yaml_mapping
from core.errors import ConfigError, SourceError
from core.months import Month
from ingest.raw import Landing, RawTable
from schemas.sources import SOURCES

URI_SETTING = "CCPULSE_SQL_URI"
MONTHS_QUERY = "months"
PARAMETERS = ("month_start", "month_end")

# A colon inside a literal, a quoted name or a comment, and a `::` cast, are not parameters.
_TOKENS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|/\*.*?\*/|::|:([A-Za-z_]\w*)", re.S)


@dataclass(frozen=True)
class Query:
    """A query in PostgreSQL's positional form ($1, $2), and which parameter each position takes."""

    name: str
    text: str
    parameters: tuple[str, ...]

    @classmethod
    def parse(cls, name: str, text: str) -> "Query":
        order: list[str] = []
        unknown: list[str] = []

        def positional(match: re.Match) -> str:
            parameter = match.group(1)
            if parameter is None:
                return match.group(0)
            if parameter not in PARAMETERS:
                unknown.append(parameter)
                return match.group(0)
            if parameter not in order:
                order.append(parameter)
            return f"${order.index(parameter) + 1}"

        text = _TOKENS.sub(positional, text)
        if unknown:
            raise ConfigError(f"query '{name}': unknown parameter{'s' if len(unknown) > 1 else ''} "
                              f"{', '.join(':' + p for p in unknown)} (known: :month_start, :month_end)")
        return cls(name, text, tuple(order))

    def values(self, month: Month) -> tuple:
        bounds = {"month_start": month.first_day, "month_end": month.next().first_day}
        return tuple(bounds[parameter] for parameter in self.parameters)


@dataclass(frozen=True)
class SqlQueries:
    path: Path
    months: Query
    sources: dict[str, Query]


def load_queries(path: str | Path) -> SqlQueries:
    """The queries file, checked as a whole: every problem is listed in one error."""
    path = Path(path)
    raw = read_yaml_mapping(path, "SQL queries", ConfigError)
    problems: list[str] = []
    queries: dict[str, Query] = {}
    for name, text in raw.items():
        if name != MONTHS_QUERY and name not in SOURCES:
            problems.append(f"unknown key {name!r} (expected {MONTHS_QUERY} and sources: {', '.join(SOURCES)})")
        elif not isinstance(text, str) or not text.strip():
            problems.append(f"{name}: expected the text of a SQL query")
        else:
            try:
                queries[name] = Query.parse(name, text)
            except ConfigError as exc:
                problems.append(str(exc))
    missing = [name for name in [MONTHS_QUERY, *(s for s, spec in SOURCES.items() if spec.required)]
               if name not in raw]
    if missing:
        problems.append(f"no query for: {', '.join(missing)}")
    if problems:
        raise ConfigError(f"{path}: invalid SQL queries file\n" + "\n".join(f"  {p}" for p in problems))
    return SqlQueries(path, queries.pop(MONTHS_QUERY), queries)


def redacted(uri: str) -> str:
    """The URI without its password, fit for logs and errors."""
    parts = urlsplit(uri)
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # not a number: show nothing rather than guess
        return f"the database in {URI_SETTING}"
    if parts.scheme not in ("postgresql", "postgres") or not parts.hostname:
        return f"the database in {URI_SETTING}"
    user = f"{parts.username}@" if parts.username else ""
    return urlunsplit((parts.scheme, f"{user}{parts.hostname}{port}", parts.path, "", ""))


def _database_message(error: Exception) -> str:
    """The server's or libpq's own words, without the driver's prefixes and the echoed query."""
    text = str(error).split("\n\nQuery was:", 1)[0]
    text = re.sub(r"\s*\.?\s*SQLSTATE: \w+\s*$", "", text.strip())
    from_server = re.split(r"\b(?:ERROR|FATAL):\s+", text)
    text = from_server[-1] if len(from_server) > 1 else text.split("Failed to connect: ", 1)[-1]
    return re.sub(r"\s*\n\s*", " ", text).strip()


def _without_extension_types(table):
    """Columns of a type Arrow has no name for (PostgreSQL's `numeric`, say) come as their text."""
    import pyarrow as pa

    columns = []
    for column in table.columns:
        if isinstance(column.type, pa.BaseExtensionType):
            column = pa.chunked_array([chunk.storage for chunk in column.chunks], type=column.type.storage_type)
        columns.append(column)
    return pa.Table.from_arrays(columns, names=table.column_names)


class SqlSource:
    """Reads each source of a month with its query; months are what the `months` query returns."""

    def __init__(self, uri: str, queries: SqlQueries, timezone: str):
        if not uri:
            raise ConfigError(f"the SQL source needs a connection URI in {URI_SETTING} "
                              "(postgresql://user:password@host:5432/database)")
        self.uri = uri
        self.queries = queries
        self.timezone = timezone
        self._months: list[Month] | None = None
        self._open = None

    def describe(self) -> str:
        return f"SQL queries in {self.queries.path} on {redacted(self.uri)}"

    def _connection(self):
        """One connection per reader, opened on first use (each costs a login), closed with the reader."""
        if self._open is not None:
            return self._open
        import adbc_driver_manager
        import adbc_driver_postgresql.dbapi

        try:
            connection = adbc_driver_postgresql.dbapi.connect(self.uri, autocommit=True)
        except adbc_driver_manager.Error as exc:
            raise SourceError(
                f"cannot connect to {redacted(self.uri)} (from {URI_SETTING}): {_database_message(exc)}") from None
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('TimeZone', $1, false), "
                           "set_config('default_transaction_read_only', 'on', false)", (self.timezone,))
            cursor.fetchall()
        weakref.finalize(self, connection.close)
        self._open = connection
        return connection

    def run(self, query: Query, month: Month | None = None) -> pl.DataFrame:
        import adbc_driver_manager

        with self._connection().cursor() as cursor:
            try:
                cursor.execute(query.text, query.values(month) if query.parameters else None)
                table = cursor.fetch_arrow_table()
            except adbc_driver_manager.Error as exc:
                raise SourceError(f"query '{query.name}' in {self.queries.path} failed on {redacted(self.uri)}"
                                  f"{f' for {month}' if month else ''}: {_database_message(exc)}") from None
        return pl.from_arrow(_without_extension_types(table))

    def available_months(self) -> list[Month]:
        """Months the `months` query returns (dates, timestamps or 'YYYY-MM' text), oldest first."""
        if self._months is None:
            frame = self.run(self.queries.months)
            if frame.width != 1:
                raise SourceError(f"query '{MONTHS_QUERY}' in {self.queries.path} must return one column "
                                  f"(a date or 'YYYY-MM' per month); it returned {frame.width}")
            values = frame.to_series().drop_nulls()
            if values.dtype == pl.String:
                try:
                    months = {Month.parse(value[:7]) for value in values}
                except ValueError as exc:
                    raise SourceError(f"query '{MONTHS_QUERY}' in {self.queries.path}: {exc}") from None
            elif values.dtype == pl.Date or isinstance(values.dtype, pl.Datetime):
                months = {Month.of(value) for value in values}
            else:
                raise SourceError(f"query '{MONTHS_QUERY}' in {self.queries.path} must return dates or "
                                  f"'YYYY-MM' text; it returned {values.dtype}")
            self._months = sorted(months)
        return self._months

    def landing(self, month: Month) -> Landing:
        """The cheap completeness query: the center's `months` query lists the months whose data is in."""
        self._months = None  # asked again on every call: the data lands while the sensor watches
        listed = str(month) in {str(m) for m in self.available_months()}
        return Landing([] if listed else [f"query '{MONTHS_QUERY}' does not list {month} yet"],
                       "listed" if listed else "")

    def read(self, source: str, month: Month) -> RawTable | None:
        query = self.queries.sources.get(source)
        if query is None:
            return None  # an optional source with no query
        origin = f"query '{source}' in {self.queries.path} ({month})"
        return RawTable(source, origin, self.run(query, month), first_data_line=1, unit="row")
