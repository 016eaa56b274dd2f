"""Group `validated`: each source's good rows; bad rows quarantined with reasons (SPEC §2, §9).

Each validated asset carries two checks: `no_quarantined_rows` (a warning naming the
reasons) and `rows_conserved` (rows in = rows used + rows quarantined). The
`data_quality` asset writes `data_quality.csv` and the quarantine files.
"""

import polars as pl
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetIn,
    AssetsDefinition,
    MaterializeResult,
    MetadataValue,
)

from assets.common import monthly_asset, monthly_check
from assets.ingest import raw_key
from assets.partitions import partition_month
from assets.resources import CcpulseSettings
from core.output import markdown_preview, write_output_csv
from ingest.history import load_valid_month
from schemas.sources import SOURCES
from schemas.validate import (
    UPSTREAM,
    ValidationOutcome,
    context_for,
    data_quality_table,
    quarantine_reasons,
    validate_source,
)


def valid_key(source: str) -> str:
    return f"valid_{source}"


def _reasons_table(outcome: ValidationOutcome) -> str:
    rows = pl.DataFrame(
        {"reason": list(outcome.reason_counts), "rows": list(outcome.reason_counts.values())},
        schema={"reason": pl.String, "rows": pl.Int64},
    ).sort("rows", descending=True)
    return markdown_preview(rows, rows=50)


def _where_and_why(source: str, quarantine: pl.DataFrame) -> pl.DataFrame:
    """Of each quarantined row, what the UI may show (SPEC §12): where it was, its id and its reasons. The rest of a
    bad row (a name, an email, a penalty) stays in data_quality/quarantine_<source>.csv."""
    id_column = SOURCES[source].id_column
    return quarantine.select(pl.selectors.starts_with("source_"), *([id_column] if id_column else []), "reasons")


def _checks(source: str, raw: pl.DataFrame, outcome: ValidationOutcome) -> list[AssetCheckResult]:
    key = valid_key(source)
    return [
        AssetCheckResult(
            asset_key=key,
            check_name="no_quarantined_rows",
            passed=outcome.quarantine.height == 0,
            severity=AssetCheckSeverity.WARN,
            description=f"{outcome.quarantine.height} of {raw.height} rows quarantined: {outcome.failed_checks}"
            if outcome.quarantine.height else f"all {raw.height} rows passed the contract",
            metadata={
                "rows_quarantined": outcome.quarantine.height,
                "reasons": MetadataValue.md(_reasons_table(outcome)),
                "examples": MetadataValue.md(markdown_preview(_where_and_why(source, outcome.quarantine), rows=5)),
            },
        ),
        AssetCheckResult(
            asset_key=key,
            check_name="rows_conserved",
            passed=raw.height == outcome.valid.height + outcome.quarantine.height,
            severity=AssetCheckSeverity.ERROR,
            metadata={
                "rows_read": raw.height,
                "rows_used": outcome.valid.height,
                "rows_quarantined": outcome.quarantine.height,
            },
        ),
    ]


def _validate(context: AssetExecutionContext, source: str, raw: pl.DataFrame, upstream: ValidationOutcome | None):
    month = partition_month(context.partition_key)
    checks = context_for(source, month, upstream)
    outcome = validate_source(source, raw, checks, origin=f"{source} of {month}")
    return MaterializeResult(
        value=outcome,
        metadata={
            "dagster/row_count": outcome.valid.height,
            "rows_read": outcome.rows_read,
            "rows_quarantined": outcome.quarantine.height,
            "failed_checks": outcome.failed_checks or "none",
        },
        check_results=_checks(source, raw, outcome),
    )


def build_valid_asset(source: str) -> AssetsDefinition:
    spec, upstream = SOURCES[source], UPSTREAM[source]
    common = dict(
        name=valid_key(source),
        group_name="validated",
        kinds={"polars", "pandera"},
        check_specs=[
            monthly_check("no_quarantined_rows", asset=valid_key(source),
                           description="Warns when rows failed the contract and were quarantined; says how many "
                           "and why (the rows are in data_quality/quarantine_<source>.csv)."),
            monthly_check(
                "rows_conserved", asset=valid_key(source), description="Rows in = rows used + rows quarantined."
            ),
        ],
        description=(
            f"{spec.description} Rows that pass the pandera model `{spec.model.__name__}` and the month's checks"
            + (f" against `{valid_key(upstream)}`" if upstream else "")
            + "; the others are quarantined with their reasons."
        ),
    )
    if upstream is None:

        @monthly_asset(ins={"raw": AssetIn(raw_key(source))}, **common)
        def _valid(context: AssetExecutionContext, raw: pl.DataFrame):
            return _validate(context, source, raw, None)

    else:

        @monthly_asset(ins={"raw": AssetIn(raw_key(source)), "upstream": AssetIn(valid_key(upstream))}, **common)
        def _valid(context: AssetExecutionContext, raw: pl.DataFrame, upstream: ValidationOutcome):
            return _validate(context, source, raw, upstream)

    return _valid


valid_assets = [build_valid_asset(source) for source in SOURCES]


@monthly_asset(
    ins={valid_key(source): AssetIn(valid_key(source)) for source in SOURCES},
    group_name="validated",
    kinds={"polars", "csv"},
    description="`data_quality.csv` (rows read, used and quarantined per source, with the failed checks) and "
    "`data_quality/quarantine_<source>.csv` (each bad row, where it was and why), SPEC §9.",
)
def data_quality(context: AssetExecutionContext, settings: CcpulseSettings, **validated: ValidationOutcome):
    month = partition_month(context.partition_key)
    folder = settings.month_dir(month)
    outcomes = [validated[valid_key(source)] for source in SOURCES]
    for outcome in outcomes:
        write_output_csv(outcome.quarantine, folder / "data_quality" / f"quarantine_{outcome.source}.csv")
    table = data_quality_table(outcomes)
    path = write_output_csv(table, folder / "data_quality.csv")
    return MaterializeResult(
        value={"table": table, "reasons": quarantine_reasons(outcomes)},
        metadata={
            "dagster/row_count": table.height,
            "path": MetadataValue.path(str(path)),
            "rows_quarantined": int(table["rows_quarantined"].sum()),
            "summary": MetadataValue.md(markdown_preview(table)),
        },
    )


@monthly_asset(
    group_name="validated",
    kinds={"polars", "pandera"},
    description="Last month's sources, read and validated as this month's are: the baseline for this month's "
    "volumes and calendar (the weekdays that had shifts) and for last month's composites. None when last month's "
    "data is not there or cannot be read.",
)
def last_month(context: AssetExecutionContext, settings: CcpulseSettings):
    month = partition_month(context.partition_key).previous()
    data = load_valid_month(settings.reader(), month, settings.mapping(), settings.policy().timezone)
    rows = {"source": list(data.rows_read), "rows_read": list(data.rows_read.values())} if data else {}
    return MaterializeResult(value=data, metadata={
        "month": str(month), "available": data is not None,
        "rows_read": MetadataValue.md(markdown_preview(pl.DataFrame(rows)) if data else "not there")})
