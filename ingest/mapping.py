"""Column mapping: load a vendor's export (Chinese headers and values included) unedited.

The mapping file is YAML, one entry per source:

    attendance:
      columns:            # vendor header -> canonical column
        班次编号: shift_id
        工号: agent_id
      values:             # canonical column -> {vendor value -> canonical value}
        leave_type: {无: none, 年假: annual, 病假: sick, 事假: personal, 其他: other}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from core.config_files import read_yaml_mapping
from core.errors import ConfigError
from schemas.sources import SOURCES


@dataclass(frozen=True)
class SourceMapping:
    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)

    def apply(self, frame: pl.DataFrame) -> pl.DataFrame:
        # Headers are compared without surrounding spaces; spreadsheets often carry them.
        frame = frame.rename({name: name.strip() for name in frame.columns})
        renames = {vendor: canonical for vendor, canonical in self.columns.items() if vendor in frame.columns}
        clashes = [canonical for canonical in renames.values() if canonical in frame.columns]
        if clashes:
            raise ConfigError(f"mapping targets columns the file already has: {', '.join(clashes)}")
        frame = frame.rename(renames)
        replacements = [
            pl.col(column).cast(pl.String).str.strip_chars().replace(mapping).alias(column)
            for column, mapping in self.values.items()
            if column in frame.columns
        ]
        return frame.with_columns(replacements) if replacements else frame


@dataclass(frozen=True)
class ColumnMapping:
    sources: dict[str, SourceMapping] = field(default_factory=dict)

    def for_source(self, source: str) -> SourceMapping:
        return self.sources.get(source, SourceMapping())


def load_mapping(path: str | Path | None) -> ColumnMapping:
    if not path:
        return ColumnMapping()
    path = Path(path)
    raw = read_yaml_mapping(path, "column-mapping", ConfigError)
    problems, sources = [], {}
    for source, entry in raw.items():
        if source not in SOURCES:
            problems.append(f"unknown source {source!r} (known: {', '.join(SOURCES)})")
            continue
        entry = entry or {}
        unknown_keys = set(entry) - {"columns", "values"}
        if unknown_keys:
            problems.append(f"{source}: unknown keys {sorted(unknown_keys)} (expected columns, values)")
        canonical = SOURCES[source].columns
        columns = {str(k).strip(): str(v) for k, v in (entry.get("columns") or {}).items()}
        values = {str(k): {str(a): str(b) for a, b in (v or {}).items()} for k, v in (entry.get("values") or {}).items()}
        for target in list(columns.values()) + list(values):
            if target not in canonical:
                problems.append(f"{source}: {target!r} is not a column of {source} ({', '.join(canonical)})")
        sources[source] = SourceMapping(columns, values)
    if problems:
        raise ConfigError(f"{path}: invalid column mapping\n" + "\n".join(f"  {p}" for p in problems))
    return ColumnMapping(sources)
