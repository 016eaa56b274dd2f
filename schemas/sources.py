"""pandera (polars) models for the eight input sources of SPEC §2.

The models state what a row must look like on its own (types, nullability, allowed values,
ranges). What depends on the month or on other sources (the month window, known and active
agents) is added per run in `schemas.validate`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pandera.polars as pa
import polars as pl

from schemas.catalog import (
    COMPLAINT_STATUSES,
    DEDUCTION_CATEGORIES,
    DISCIPLINE_KINDS,
    LEAVE_TYPES,
    MINOR_PENALTIES,
    PENALTY_CATEGORIES,
    QA_CHANNELS,
    REWARD_CATEGORIES,
    SEVERE_PENALTIES,
    SEVERITIES,
    SHIFT_PATTERNS,
    SOURCE_NAMES,
)


def _in_order(data, earlier: str, later: str, strict: bool):
    """Row check that `later` comes after `earlier`; rows with either missing pass."""
    first, second = pl.col(earlier), pl.col(later)
    in_order = second > first if strict else second >= first
    return data.lazyframe.select(in_order | first.is_null() | second.is_null())


class Teams(pa.DataFrameModel):
    team_id: str = pa.Field(unique=True)
    team_name: str
    site: str
    supervisor_id: str
    supervisor_name: str
    supervisor_email: Optional[str] = pa.Field(nullable=True)


class Agents(pa.DataFrameModel):
    agent_id: str = pa.Field(unique=True)
    agent_name: str
    team_id: str
    shift_pattern: str = pa.Field(isin=SHIFT_PATTERNS)
    hire_date: pl.Date
    exit_date: Optional[pl.Date] = pa.Field(nullable=True)
    email: Optional[str] = pa.Field(nullable=True)

    @pa.dataframe_check(error="exit_date before hire_date")
    def exit_after_hire(cls, data):
        return _in_order(data, "hire_date", "exit_date", strict=False)


class Attendance(pa.DataFrameModel):
    shift_id: str = pa.Field(unique=True)
    agent_id: str
    shift_date: pl.Date
    scheduled_start: pl.Datetime
    scheduled_end: pl.Datetime
    clock_in: Optional[pl.Datetime] = pa.Field(nullable=True)
    clock_out: Optional[pl.Datetime] = pa.Field(nullable=True)
    leave_type: str = pa.Field(isin=LEAVE_TYPES)
    leave_approved: bool

    @pa.dataframe_check(error="scheduled_end not after scheduled_start")
    def shift_ends_after_start(cls, data):
        return _in_order(data, "scheduled_start", "scheduled_end", strict=True)

    @pa.dataframe_check(error="clock_out before clock_in")
    def clock_out_after_clock_in(cls, data):
        return _in_order(data, "clock_in", "clock_out", strict=True)


class QaEvaluations(pa.DataFrameModel):
    evaluation_id: str = pa.Field(unique=True)
    agent_id: str
    evaluated_at: pl.Datetime
    evaluator_id: str
    channel: str = pa.Field(isin=QA_CHANNELS)
    score: float = pa.Field(in_range={"min_value": 0, "max_value": 100})
    critical_error: bool


class QaDeductions(pa.DataFrameModel):
    evaluation_id: str
    item_code: str
    category: str = pa.Field(isin=DEDUCTION_CATEGORIES)
    points: float = pa.Field(gt=0)
    # SPEC §2: optional, the QA form's wording of the item ("未核实客户身份"), shown beside the code
    item_name: Optional[str] = pa.Field(nullable=True)


class CsatResponses(pa.DataFrameModel):
    response_id: str = pa.Field(unique=True)
    agent_id: str
    responded_at: pl.Datetime
    score: int = pa.Field(in_range={"min_value": 1, "max_value": 5})
    channel: str


class Complaints(pa.DataFrameModel):
    complaint_id: str = pa.Field(unique=True)
    agent_id: Optional[str] = pa.Field(nullable=True)
    received_at: pl.Datetime
    category: str
    severity: str = pa.Field(isin=SEVERITIES)
    status: str = pa.Field(isin=COMPLAINT_STATUSES)
    closed_at: Optional[pl.Datetime] = pa.Field(nullable=True)

    @pa.dataframe_check(error="closed_at before received_at")
    def closed_after_received(cls, data):
        return _in_order(data, "received_at", "closed_at", strict=False)


class Discipline(pa.DataFrameModel):
    action_id: str = pa.Field(unique=True)
    agent_id: str
    kind: str = pa.Field(isin=DISCIPLINE_KINDS)
    category: str
    reason_code: str
    incident_date: pl.Date
    action_date: pl.Date
    amount: Optional[float] = pa.Field(nullable=True, ge=0)
    complaint_id: Optional[str] = pa.Field(nullable=True)
    issued_by: str

    @pa.dataframe_check(error="action_date before incident_date")
    def action_after_incident(cls, data):
        return _in_order(data, "incident_date", "action_date", strict=False)

    @pa.dataframe_check(error="category not valid for kind")
    def category_fits_kind(cls, data):
        kind, category = pl.col("kind"), pl.col("category")
        fits = ((kind == "penalty") & category.is_in(PENALTY_CATEGORIES)) | (
            (kind == "reward") & category.is_in(REWARD_CATEGORIES)
        )
        # An unknown kind is reported by the kind check alone.
        return data.lazyframe.select(fits | ~kind.is_in(DISCIPLINE_KINDS) | kind.is_null() | category.is_null())


@dataclass(frozen=True)
class SourceSpec:
    """One input source: its model, its id column, and where its rows are dated."""

    name: str
    model: type[pa.DataFrameModel]
    id_column: str | None
    month_column: str | None  # the column that puts a row in month M (SPEC §2); None for snapshots
    required: bool = True
    description: str = ""
    optional_columns: frozenset[str] = frozenset()  # may be absent from the file: read as null


    @property
    def columns(self) -> dict[str, pl.DataType]:
        """Canonical column name → polars type, in contract order."""
        return {name: column.dtype.type for name, column in self.model.to_schema().columns.items()}

    @property
    def required_columns(self) -> set[str]:
        return set(self.columns) - self.optional_columns


SOURCES: dict[str, SourceSpec] = {
    spec.name: spec
    for spec in [
        SourceSpec("teams", Teams, "team_id", None, description="Teams with their supervisor and her email."),
        SourceSpec("agents", Agents, "agent_id", None, description="Roster snapshot at the month's end."),
        SourceSpec("attendance", Attendance, "shift_id", "shift_date", description="One row per scheduled shift."),
        SourceSpec("qa_evaluations", QaEvaluations, "evaluation_id", "evaluated_at", description="QA evaluations."),
        SourceSpec(
            "qa_deductions", QaDeductions, None, None, required=False, description="Points deducted per QA item.",
            optional_columns=frozenset({"item_name"}),
        ),
        SourceSpec("csat_responses", CsatResponses, "response_id", "responded_at", description="CSAT survey answers."),
        SourceSpec(
            "complaints",
            Complaints,
            "complaint_id",
            "received_at",
            description="Complaints received in the month, plus earlier ones closed in it.",
        ),
        SourceSpec("discipline", Discipline, "action_id", "action_date", description="The reward/penalty ledger."),
    ]
}

assert tuple(SOURCES) == SOURCE_NAMES, "schemas/catalog.py lists the sources in the same order"

# Validation order: each source may only refer to sources validated before it.
AGENT_ACTIVITY_SOURCES = ["attendance", "qa_evaluations", "csat_responses", "complaints", "discipline"]
