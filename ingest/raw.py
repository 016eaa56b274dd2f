"""What every reader (files, SQL) hands to parsing: one source's rows as read, and where from."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class RawTable:
    source: str
    origin: str  # a file path, or "sql:<source>" — named in every error
    frame: pl.DataFrame
    first_data_line: int = 2  # line (1-based) of the first data row: 2 below a header, 1 for Parquet/SQL
    unit: str = "line"  # what a person looks for in `origin`: "line" in a CSV/XLSX, "row" elsewhere
    # Each row's line (or row) number when rows were skipped (blank rows of a spreadsheet); else None,
    # and the rows follow each other from `first_data_line`.
    lines: pl.Series | None = None

    def locate(self, position: int) -> str:
        """Where the 0-based data row `position` is, in the terms of the origin."""
        number = self.lines[position] if self.lines is not None else position + self.first_data_line
        return f"{self.unit} {number}"

    def line_numbers(self) -> pl.Series:
        if self.lines is not None:
            return self.lines.cast(pl.Int64).alias(f"source_{self.unit}")
        return pl.int_range(self.first_data_line, self.first_data_line + self.frame.height, eager=True).alias(
            f"source_{self.unit}"
        )


@dataclass(frozen=True)
class Landing:
    """Whether a month's data has landed (the data sensor and the schedule's deadline ask it)."""

    missing: list[str]  # required sources with no data yet (or why the month is not there)
    signature: str  # changes while the data is still being written

    @property
    def complete(self) -> bool:
        return not self.missing
