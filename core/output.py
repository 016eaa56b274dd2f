"""Machine-readable outputs (SPEC §9): CSV, UTF-8 with BOM so Excel opens Chinese correctly."""

from __future__ import annotations

from pathlib import Path

import polars as pl

ISO_DATETIME = "%Y-%m-%dT%H:%M:%S"


def write_output_csv(frame: pl.DataFrame, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.write_csv(path, include_bom=True, date_format="%Y-%m-%d", datetime_format=ISO_DATETIME)
    return path


def markdown_preview(frame: pl.DataFrame, rows: int = 10) -> str:
    """A small markdown table for Dagster metadata (values as text, pipes escaped)."""
    head = frame.head(rows)
    cells = [[("" if value is None else str(value)).replace("|", "\\|") for value in row] for row in head.iter_rows()]
    lines = ["| " + " | ".join(head.columns) + " |", "|" + "---|" * len(head.columns)]
    lines += ["| " + " | ".join(row) + " |" for row in cells]
    if frame.height > rows:
        lines.append(f"\n… {frame.height - rows} more rows")
    return "\n".join(lines)
