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

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import polars as pl
from pydantic import BaseModel, BeforeValidator, ConfigDict, StrictStr, ValidationError

from core.config_files import read_yaml_mapping
from core.errors import ConfigError, shown
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


# A value as the vendor's file spells it, or its canonical value: text, or a number for codes such as
# `1: annual`; never a list, a mapping, a null, or a yes/no that YAML read as a boolean.
def _code_as_text(value):
    if isinstance(value, str) or (isinstance(value, (int, float)) and not isinstance(value, bool)
                                  and math.isfinite(value)):
        return str(value)
    raise ValueError("expected text or a number (quote a yes/no or empty value)")


ValueCode = Annotated[str, BeforeValidator(_code_as_text)]


class _SourceEntry(BaseModel):
    """One source's entry of the file, as written; `load_mapping` checks it against the contract."""

    model_config = ConfigDict(extra="forbid", strict=True)

    columns: dict[StrictStr, StrictStr] | None = None
    values: dict[StrictStr, dict[ValueCode, ValueCode] | None] | None = None


def load_mapping(path: str | Path | None) -> ColumnMapping:
    """The column-mapping file, every problem listed in one ConfigError naming the file.

    Checked before a run starts (pipelines/cli.py), so a broken file never reaches the steps.
    """
    if not path:
        return ColumnMapping()
    path = Path(path)
    raw = read_yaml_mapping(path, "column-mapping", ConfigError)
    problems, sources = [], {}
    for source, entry in raw.items():
        if source not in SOURCES:
            problems.append(f"unknown source {shown(source)} (known: {', '.join(SOURCES)})")
            continue
        try:
            parsed = _SourceEntry.model_validate(entry or {})
        except ValidationError as exc:
            problems += [_problem(source, error) for error in exc.errors()]
            continue
        canonical = SOURCES[source].columns
        columns: dict[str, str] = {}
        for written, target in (parsed.columns or {}).items():
            vendor = written.strip()  # headers are compared without surrounding spaces (SourceMapping.apply)
            if not vendor:
                problems.append(f"{source}.columns: an empty vendor column name (mapped to {shown(target)})")
            elif vendor in columns:  # the file's keys are unique, so two spellings differing only in spaces
                problems.append(f"{source}.columns: the vendor column {shown(vendor)} is mapped twice "
                                f"(to {shown(columns[vendor])} and to {shown(target)})")
            if target not in canonical:
                problems.append(f"{source}: {shown(target)} is not a column of {source} ({', '.join(canonical)})")
            # Two spellings of one column (vendors rename headers between versions) may map to one name: a file
            # that holds both is stopped when it is read, as a header naming one column twice.
            columns.setdefault(vendor, target)
        values = {column: codes or {} for column, codes in (parsed.values or {}).items()}
        for column in values:
            if column not in canonical:
                problems.append(f"{source}: {shown(column)} is not a column of {source} ({', '.join(canonical)})")
        sources[source] = SourceMapping(columns, values)
    if problems:
        raise ConfigError(f"{path}: invalid column mapping\n" + "\n".join(f"  {p}" for p in problems))
    return ColumnMapping(sources)


def _problem(source: str, error) -> str:
    where = ".".join(str(part) for part in (source, *error["loc"]) if part != "[key]")
    if error["type"] == "extra_forbidden":
        return f"{where}: unknown key (expected columns, values)"
    if error["type"] == "model_type":
        return f"{where}: expected a mapping with columns and values, got {shown(error['input'])}"
    return f"{where}: {error['msg']} (got {shown(error['input'])})"
