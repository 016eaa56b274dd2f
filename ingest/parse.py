"""Turn a raw table (strings from CSV, or typed from Parquet/XLSX/SQL) into the contract's types.

A value that is present but cannot be read as its column's type is a structural problem
(SPEC §2): the month stops, and the error names the file, the column and example rows.
"""

from __future__ import annotations

import polars as pl

from core.errors import Problem, StructuralError, cut, shown, visible
from ingest.raw import RawTable

MAX_EXAMPLES = 5

_TRUE = ["true", "t", "yes", "y", "1", "是", "真", "对", "√"]
_FALSE = ["false", "f", "no", "n", "0", "否", "假", "错", "×"]
OFFSET = r"(Z|z|[+-]\d{2}:?\d{2})$"  # a date-time written with its UTC offset

EXPECTED_FORM = {
    pl.String: "text",
    pl.Date: "a date (YYYY-MM-DD)",
    pl.Datetime: "a date-time (YYYY-MM-DD HH:MM[:SS], optionally with an offset)",
    pl.Float64: "a number",
    pl.Int64: "a whole number",
    pl.Boolean: "true/false (also yes/no, 1/0, 是/否)",
}


def _clean_text(column: str) -> pl.Expr:
    text = pl.col(column).cast(pl.String).str.strip_chars()
    return pl.when(text == "").then(None).otherwise(text)


def _parse_date(column: str, dtype: pl.DataType) -> pl.Expr:
    if dtype == pl.Date:
        return pl.col(column)
    if isinstance(dtype, pl.Datetime):
        return pl.col(column).dt.date()
    text = _clean_text(column).str.replace_all("/", "-")
    return pl.coalesce(
        text.str.to_date("%Y-%m-%d", strict=False),
        # Excel exports dates as midnight date-times.
        text.str.replace("T", " ").str.to_datetime("%Y-%m-%d %H:%M:%S%.f", strict=False).dt.date(),
    )


def _parse_datetime(column: str, dtype: pl.DataType, timezone: str) -> pl.Expr:
    if isinstance(dtype, pl.Datetime):
        value = pl.col(column)
        if dtype.time_zone is not None:
            value = value.dt.convert_time_zone(timezone).dt.replace_time_zone(None)
        return value.cast(pl.Datetime("us"))
    if dtype == pl.Date:
        return pl.col(column).cast(pl.Datetime("us"))
    text = _clean_text(column).str.replace("T", " ").str.replace_all("/", "-")
    with_offset = text.str.contains(OFFSET)
    aware = (
        text.str.replace(r"([+-]\d{2})(\d{2})$", "$1:$2")
        .str.to_datetime("%Y-%m-%d %H:%M:%S%.f%#z", strict=False, time_unit="us")
        .dt.convert_time_zone(timezone)
        .dt.replace_time_zone(None)
    )
    naive = pl.coalesce(
        text.str.to_datetime("%Y-%m-%d %H:%M:%S%.f", strict=False, time_unit="us"),
        text.str.to_datetime("%Y-%m-%d %H:%M", strict=False, time_unit="us"),
        text.str.to_date("%Y-%m-%d", strict=False).cast(pl.Datetime("us")),
    )
    return pl.when(with_offset).then(aware).otherwise(naive)


def _parse_float(column: str, dtype: pl.DataType) -> pl.Expr:
    if dtype.is_numeric():
        return pl.col(column).cast(pl.Float64)
    return _clean_text(column).cast(pl.Float64, strict=False)


def _parse_int(column: str, dtype: pl.DataType) -> pl.Expr:
    if dtype.is_integer():
        return pl.col(column).cast(pl.Int64)
    number = _parse_float(column, dtype)
    # "4.0" is a whole number; "4.5" is not, and stays unread.
    return pl.when(number == number.round(0)).then(number.cast(pl.Int64, strict=False))


def _parse_bool(column: str, dtype: pl.DataType) -> pl.Expr:
    if dtype == pl.Boolean:
        return pl.col(column)
    if dtype.is_numeric():
        value = pl.col(column)
        return pl.when(value == 1).then(True).when(value == 0).then(False)
    text = _clean_text(column).str.to_lowercase()
    return pl.when(text.is_in(_TRUE)).then(True).when(text.is_in(_FALSE)).then(False)


def parse_expression(column: str, source_dtype: pl.DataType, target: pl.DataType, timezone: str) -> pl.Expr:
    """An expression reading `column` (of `source_dtype`) as `target`; unreadable values become null."""
    if target == pl.String:
        return _clean_text(column)
    if target == pl.Date:
        return _parse_date(column, source_dtype)
    if isinstance(target, pl.Datetime):
        return _parse_datetime(column, source_dtype, timezone)
    if target == pl.Float64:
        return _parse_float(column, source_dtype)
    if target == pl.Int64:
        return _parse_int(column, source_dtype)
    if target == pl.Boolean:
        return _parse_bool(column, source_dtype)
    raise TypeError(f"no reader for {target}")


def _expected_form(target: pl.DataType) -> str:
    return EXPECTED_FORM[pl.Datetime if isinstance(target, pl.Datetime) else target]


def parse_table(raw: RawTable, columns: dict[str, pl.DataType], required: set[str], timezone: str) -> pl.DataFrame:
    """Cast `raw` to `columns` (canonical name → polars type), in that column order.

    Missing required columns and unreadable values are collected over the whole table and
    raised together, so one run shows every structural problem of the file.
    """
    frame = raw.frame
    problems: list[Problem] = []
    missing = [name for name in columns if name not in frame.columns and name in required]
    if missing:
        problems.append(
            Problem(
                f"missing required column{'s' if len(missing) > 1 else ''}: {', '.join(missing)} "
                f"(found: {', '.join(cut(visible(c), 40) for c in frame.columns[:20]) or 'no columns'}"
                f"{f' and {frame.width - 20} more' if frame.width > 20 else ''})",
                column=missing[0],
            )
        )
    present = {name: target for name, target in columns.items() if name in frame.columns}
    parsed = frame.select(
        [parse_expression(name, frame.schema[name], target, timezone).alias(name) for name, target in present.items()]
        + [pl.lit(None, dtype=target).alias(name) for name, target in columns.items() if name not in frame.columns]
    )
    for name, target in present.items():
        given = _clean_text(name).is_not_null() if frame.schema[name] == pl.String else pl.col(name).is_not_null()
        unread = frame.select(given.alias("given")).to_series() & parsed[name].is_null()
        count = int(unread.sum())
        if count:
            positions = unread.arg_true().head(MAX_EXAMPLES).to_list()
            examples = [f"{raw.locate(position)}: {name}={shown(frame[name][position])}" for position in positions]
            problems.append(
                Problem(f"{count} value{'s' if count > 1 else ''} not readable as {_expected_form(target)}", name, examples)
            )
    if problems:
        raise StructuralError(raw.origin, problems)
    return parsed
