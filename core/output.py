"""Machine-readable outputs (SPEC §9): CSV, UTF-8 with BOM so Excel opens Chinese correctly,
safe to open in a spreadsheet, written whole or not at all."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from core.atomic import write_bytes_atomically

ISO_DATETIME = "%Y-%m-%dT%H:%M:%S"
# A cell starting with one of these is a formula to Excel and LibreOffice (OWASP CSV injection).
# A leading `'` is escaped too (doubled), so that what a CSV holds reads back exactly (`read_back`).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_ESCAPED_STARTS = (*FORMULA_STARTS, "'")
_NEEDS_QUOTE = "^[" + re.escape("".join(_ESCAPED_STARTS)) + "]"
# Markdown that would turn a data value into a link, an image or markup in the Dagster UI.
_MARKDOWN = re.compile(r"([\\`*_\[\]<>|!#])")


def spreadsheet_safe(value: str) -> str:
    """One text cell as the CSVs write it: a leading `'` before a formula's first character."""
    return "'" + value if value.startswith(_ESCAPED_STARTS) else value


def read_back(cell: str) -> str:
    """The value `spreadsheet_safe` was given."""
    return cell[1:] if cell.startswith("'") else cell


def spreadsheet_safe_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Every text column made spreadsheet-safe; numbers, dates and booleans stay what they are."""
    text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    return frame.with_columns(
        pl.when(pl.col(name).str.contains(_NEEDS_QUOTE)).then(pl.lit("'") + pl.col(name)).otherwise(pl.col(name))
        .alias(name) for name in text)


def csv_bytes(frame: pl.DataFrame) -> bytes:
    text = spreadsheet_safe_frame(frame).write_csv(date_format="%Y-%m-%d", datetime_format=ISO_DATETIME)
    return b"\xef\xbb\xbf" + text.encode("utf-8")


def write_output_csv(frame: pl.DataFrame, path: Path) -> Path:
    return write_bytes_atomically(path, csv_bytes(frame))


def read_output_csv(path: Path, schema_overrides: dict | None = None) -> pl.DataFrame:
    """A CSV this module wrote, as the frame it was given (text cells' spreadsheet escaping undone)."""
    return output_csv_from_bytes(Path(path).read_bytes(), schema_overrides)


def output_csv_from_bytes(data: bytes, schema_overrides: dict | None = None,
                          columns: list[str] | None = None) -> pl.DataFrame:
    """read_output_csv of bytes already read (and checked) by the caller; only `columns` when given."""
    frame = pl.read_csv(data.removeprefix(b"\xef\xbb\xbf"), columns=columns, schema_overrides=schema_overrides,
                        infer_schema_length=None)
    text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    return frame.with_columns(
        pl.when(pl.col(name).str.starts_with("'")).then(pl.col(name).str.slice(1)).otherwise(pl.col(name)).alias(name)
        for name in text)


def markdown_text(value) -> str:
    """A data value as plain text inside Dagster's markdown: one line, markup escaped, and a bare URL
    (which the UI would turn into a link) shown as code."""
    text = " ".join(str(value).split())
    if "://" in text or "www." in text.lower():
        fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
        return f"{fence} {text.replace('|', '¦')} {fence}"
    return _MARKDOWN.sub(r"\\\1", text)


# Dagster's event log and UI are open to the whole ops team, so no personnel data goes there (SPEC §12): no agent
# or supervisor name, no email, nothing of a coaching list. A number, a date or a flag cannot hold a name; a text
# column can. So a preview shows text only from ids (`*_id`) and from these columns, which hold the pipeline's
# own words (statuses, reasons, file names); every other text column is left out, whatever it is called.
PREVIEW_TEXT_COLUMNS = frozenset({
    "month", "source", "reason", "reasons", "failed_checks", "status", "flags", "award", "file", "report", "kind",
    "expectation", "severity", "observed", "unexpected_examples", "group_kind",
})
_SHAREABLE_TYPES = (pl.Boolean, pl.Date, pl.Datetime, pl.Duration, pl.Time)


def _shareable(name: str, dtype: pl.DataType) -> bool:
    if name in PREVIEW_TEXT_COLUMNS or name.endswith("_id"):
        return True
    return dtype.is_numeric() or isinstance(dtype, _SHAREABLE_TYPES) or dtype in _SHAREABLE_TYPES


def shareable_columns(frame: pl.DataFrame) -> list[str]:
    """The columns of `frame` a Dagster preview may show (SPEC §12)."""
    return [name for name, dtype in frame.schema.items() if _shareable(name, dtype)]


def markdown_preview(frame: pl.DataFrame, rows: int = 10) -> str:
    """A small markdown table for Dagster metadata: values as plain text (a name is never a link), and only
    columns that cannot hold personnel data (`shareable_columns`); it says which columns it left out."""
    kept = shareable_columns(frame)
    left_out = [name for name in frame.columns if name not in kept]
    table = _markdown_table(frame.select(kept), rows)
    if left_out:
        table += f"\n\nNot shown here (free text, which may hold personnel data): {', '.join(left_out)}"
    return table


def _markdown_table(frame: pl.DataFrame, rows: int) -> str:
    head = frame.head(rows)
    cells = [[markdown_text(value) if value is not None else "" for value in row] for row in head.iter_rows()]
    lines = ["| " + " | ".join(head.columns) + " |", "|" + "---|" * len(head.columns)]
    lines += ["| " + " | ".join(row) + " |" for row in cells]
    if frame.height > rows:
        lines.append(f"\n… {frame.height - rows} more rows")
    return "\n".join(lines)


def markdown_profile(frame: pl.DataFrame) -> str:
    """A frame described column by column, for Dagster metadata where its rows are about people (one per agent,
    shift or penalty): type, nulls, distinct values, and the range of numbers and dates. Aggregates only, no row."""
    profile = pl.DataFrame({
        "column": frame.columns,
        "type": [str(dtype) for dtype in frame.dtypes],
        "nulls": [frame[name].null_count() for name in frame.columns],
        "distinct": [frame[name].n_unique() for name in frame.columns],
        "min": [_bound(frame[name], largest=False) for name in frame.columns],
        "max": [_bound(frame[name], largest=True) for name in frame.columns],
    }, schema={"column": pl.String, "type": pl.String, "nulls": pl.Int64, "distinct": pl.Int64, "min": pl.String,
               "max": pl.String})
    return f"{frame.height} rows\n\n" + _markdown_table(profile, profile.height)  # built of aggregates only


def _bound(series: pl.Series, largest: bool) -> str | None:
    """The smallest or largest value of a number or date column as text; None for text (it would be a value)."""
    if not _shareable("", series.dtype) or series.dtype == pl.Boolean or series.null_count() == series.len():
        return None
    value = series.max() if largest else series.min()
    return str(round(value, 2) if isinstance(value, float) else value)
