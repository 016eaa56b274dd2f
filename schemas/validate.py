"""Row-level validation: keep the good rows, quarantine the others with every reason (SPEC §2, §9).

One lazy pandera pass per source finds every problem of every row. Checks that depend on the
month or on other sources (month window, known and active agents, known teams and QA
evaluations) are added to the source's model here.
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from dataclasses import dataclass, field

import pandera.polars as pa
import polars as pl

from core.errors import Problem, StructuralError, has_invisible, shown, visible
from core.months import Month
from schemas.catalog import CENTER_TEAM_ID
from schemas.roster import active_agents
from schemas.sources import AGENT_ACTIVITY_SOURCES, SOURCES

ROW = "__row"
# A reader's companion column holding a date-time's text as the file wrote it (with its offset), shown
# in the quarantine in place of the converted value (ingest/load.py adds it).
AS_WRITTEN = "source_as_written:"

# What each source is checked against: the validated source it refers to. SOURCES lists
# the sources in an order where each comes after the one it refers to.
UPSTREAM: dict[str, str | None] = {"teams": None, "agents": "teams", "qa_deductions": "qa_evaluations"} | {
    source: "agents" for source in AGENT_ACTIVITY_SOURCES
}


@dataclass(frozen=True)
class MonthContext:
    """What a source's rows are checked against, besides their own model."""

    month: Month
    team_ids: frozenset[str] = frozenset()
    agent_ids: frozenset[str] = frozenset()
    active_agent_ids: frozenset[str] = frozenset()
    evaluation_ids: frozenset[str] = frozenset()  # valid QA evaluations of the month
    quarantined_evaluation_ids: frozenset[str] = frozenset()


@dataclass
class ValidationOutcome:
    source: str
    valid: pl.DataFrame
    quarantine: pl.DataFrame  # source position columns, `reasons`, then the row as read
    reason_counts: Counter = field(default_factory=Counter)  # reason → rows failing it

    @property
    def rows_read(self) -> int:
        return self.valid.height + self.quarantine.height

    @property
    def failed_checks(self) -> str:
        """`reason (rows); …`, most frequent first, ties alphabetical — the data_quality.csv column."""
        ordered = sorted(self.reason_counts.items(), key=lambda item: (-item[1], item[0]))
        return "; ".join(f"{reason} ({count})" for reason, count in ordered)


def _column_check(predicate, error: str) -> pa.Check:
    return pa.Check(lambda data: data.lazyframe.select(predicate(pl.col(data.key))), error=error)


def _month_check(column: str, dtype: pl.DataType, month: Month) -> pa.Check:
    if dtype == pl.Date:
        return _column_check(lambda c: c.is_between(month.first_day, month.last_day), f"{column} outside {month}")
    return _column_check(lambda c: c.is_between(month.start, month.end, closed="left"), f"{column} outside {month}")


def _agent_checks(context: MonthContext) -> list[pa.Check]:
    known, active = list(context.agent_ids), list(context.active_agent_ids)
    return [
        _column_check(lambda c: c.is_in(known), "unknown agent_id"),
        # Unknown ids fail the check above only, not this one too.
        _column_check(lambda c: ~c.is_in(known) | c.is_in(active), f"agent not active in {context.month}"),
    ]


def _complaint_in_month(month: Month) -> pa.Check:
    """Complaints received in M, plus earlier complaints closed in M (SPEC §2)."""

    def check(data):
        received, closed = pl.col("received_at"), pl.col("closed_at")
        in_month = received.is_between(month.start, month.end, closed="left")
        closed_in_month = (received < month.start) & closed.is_between(month.start, month.end, closed="left")
        return data.lazyframe.select(in_month | closed_in_month.fill_null(False))

    return pa.Check(check, error=f"received_at outside {month} and not closed in it")


def schema_for(source: str, context: MonthContext) -> pa.DataFrameSchema:
    """The source's model plus the month's context checks."""
    spec = SOURCES[source]
    schema = spec.model.to_schema()
    columns = spec.columns

    def add(column: str, checks: list[pa.Check]) -> None:
        nonlocal schema
        schema = schema.update_column(column, checks=list(schema.columns[column].checks) + checks)

    if source in AGENT_ACTIVITY_SOURCES:
        add("agent_id", _agent_checks(context))
    if source == "teams":  # the whole center's row in management_health.csv is team_id ALL (SPEC §9)
        add("team_id", [_column_check(lambda c: c != CENTER_TEAM_ID,
                                      f"team_id {CENTER_TEAM_ID} is reserved for the whole center")])
    if source == "agents":
        team_ids = list(context.team_ids)
        add("team_id", [_column_check(lambda c: c.is_in(team_ids), "unknown team_id")])
    if source == "qa_deductions":
        valid, quarantined = list(context.evaluation_ids), list(context.quarantined_evaluation_ids)
        add(
            "evaluation_id",
            [
                _column_check(lambda c: c.is_in(valid) | c.is_in(quarantined), "unknown evaluation_id"),
                _column_check(lambda c: ~c.is_in(quarantined), "its evaluation is quarantined"),
            ],
        )
    if source == "complaints":
        schema = copy.copy(schema)
        schema.checks = list(schema.checks) + [_complaint_in_month(context.month)]
    elif spec.month_column:
        add(spec.month_column, [_month_check(spec.month_column, columns[spec.month_column], context.month)])
    return schema


_BUILTIN_REASONS = [
    (re.compile(r"^field_uniqueness$"), "duplicate {column}"),
    (re.compile(r"^not_nullable$"), "missing {column}"),
    (re.compile(r"^isin\((.*)\)$"), "{column} not one of {args}"),
    (re.compile(r"^in_range\((.*)\)$"), "{column} outside {args}"),
    (re.compile(r"^greater_than\((.*)\)$"), "{column} not above {args}"),
    (re.compile(r"^greater_than_or_equal_to\((.*)\)$"), "{column} below {args}"),
]


def _reason(check: str, column: str | None) -> str:
    for pattern, template in _BUILTIN_REASONS:
        match = pattern.match(check)
        if match:
            args = match.group(1) if match.groups() else ""
            args = re.sub(r"[\[\]' ]", "", args).replace(",", "/") if check.startswith("isin") else args
            args = args.replace(", ", "..") if check.startswith("in_range") else args
            return template.format(column=column, args=args)
    return check  # our own checks carry their reason as their error text


def _reason_shown(reason: str, value) -> str:
    """A quarantined row's reason, with the value it is about when that value holds characters a
    reader cannot see (`unknown agent_id` for a `\ufeffA1` that looks like a known `A1`)."""
    if isinstance(value, str) and has_invisible(value):
        return f"{reason} ({visible(value)} holds invisible characters)"
    return reason


def validate_source(source: str, frame: pl.DataFrame, context: MonthContext, origin: str) -> ValidationOutcome:
    """Split a parsed source into valid rows and quarantined rows with their reasons.

    `frame` holds the canonical columns (typed) and may hold position columns (`source_*`),
    which are kept in the quarantine only.
    """
    written = {name.removeprefix(AS_WRITTEN): name for name in frame.columns if name.startswith(AS_WRITTEN)}
    position_columns = [name for name in frame.columns if name.startswith("source_") and name not in written.values()]
    data = frame.drop(position_columns + list(written.values()))
    schema = schema_for(source, context)
    try:
        schema.validate(data, lazy=True)
        failures = pl.DataFrame(schema={"index": pl.Int64, "reason": pl.String, "shown": pl.String})
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
        structural = cases.filter(pl.col("index").is_null())
        if structural.height:
            problems = [
                Problem(f"{row['check']} (found {shown(row['failure_case'])})", row["column"])
                for row in structural.iter_rows(named=True)
            ]
            raise StructuralError(origin, problems) from errors
        failures = cases.select(
            pl.col("index").cast(pl.Int64),
            pl.struct("check", "column")
            .map_elements(lambda row: _reason(row["check"], row["column"]), return_dtype=pl.String)
            .alias("reason"),
            pl.col("failure_case"),
        ).unique(["index", "reason"], keep="first").with_columns(
            pl.struct("reason", "failure_case")
            .map_elements(lambda row: _reason_shown(row["reason"], row["failure_case"]), return_dtype=pl.String)
            .alias("shown")
        )

    # The counts are per reason (data_quality.csv, the brief); each row's reasons show its values.
    reasons = (
        failures.sort("index", "reason")
        .group_by("index", maintain_order=True)
        .agg(pl.col("shown").str.join("; ").alias("reasons"))
    )
    numbered = frame.with_row_index(ROW).with_columns(pl.col(ROW).cast(pl.Int64))
    bad = numbered.join(reasons, left_on=ROW, right_on="index", how="inner").sort(ROW)
    valid = numbered.filter(~pl.col(ROW).is_in(reasons["index"].implode())).drop(
        [ROW] + position_columns + list(written.values()))
    # The row as the file wrote it: a date-time written with an offset shows that text, not its conversion.
    quarantine = bad.select(position_columns + ["reasons"]
                            + [pl.col(written[name]).alias(name) if name in written else pl.col(name)
                               for name in data.columns])
    return ValidationOutcome(source, valid, quarantine, Counter(dict(failures["reason"].value_counts().iter_rows())))


def context_for(source: str, month: Month, upstream: ValidationOutcome | None) -> MonthContext:
    """The month's checks for `source`, from the validated source it refers to."""
    referred = UPSTREAM[source]
    if referred == "teams":
        return MonthContext(month, team_ids=frozenset(upstream.valid["team_id"]))
    if referred == "agents":
        roster = upstream.valid
        return MonthContext(
            month,
            agent_ids=frozenset(roster["agent_id"]),
            active_agent_ids=frozenset(active_agents(roster, month)["agent_id"]),
        )
    if referred == "qa_evaluations":
        valid = frozenset(upstream.valid["evaluation_id"])
        return MonthContext(
            month,
            evaluation_ids=valid,
            quarantined_evaluation_ids=frozenset(upstream.quarantine["evaluation_id"].drop_nulls()) - valid,
        )
    return MonthContext(month)


def validate_month(frames: dict[str, pl.DataFrame], month: Month) -> dict[str, ValidationOutcome]:
    """Every source of a month, each checked against the ones it refers to (no Dagster needed)."""
    outcomes: dict[str, ValidationOutcome] = {}
    for source in SOURCES:
        referred = UPSTREAM[source]
        context = context_for(source, month, outcomes[referred] if referred else None)
        outcomes[source] = validate_source(source, frames[source], context, origin=f"{source} of {month}")
    return outcomes


def quarantine_reasons(outcomes: list[ValidationOutcome]) -> pl.DataFrame:
    """source, reason, rows: how many rows of each source failed each check, most frequent first."""
    rows = [{"source": o.source, "reason": reason, "rows": count} for o in outcomes
            for reason, count in sorted(o.reason_counts.items(), key=lambda item: (-item[1], item[0]))]
    return pl.DataFrame(rows, schema={"source": pl.String, "reason": pl.String, "rows": pl.Int64})


def data_quality_table(outcomes: list[ValidationOutcome]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "source": [o.source for o in outcomes],
            "rows_read": [o.rows_read for o in outcomes],
            "rows_used": [o.valid.height for o in outcomes],
            "rows_quarantined": [o.quarantine.height for o in outcomes],
            "failed_checks": [o.failed_checks for o in outcomes],
        }
    )
