"""Asset `data_believability` (group `validated`): the Great Expectations suites of
schemas/expectations.py run on the month's valid rows, one asset check per expectation.

A failed expectation the policy marks `block` fails its check with ERROR severity, and
those checks are blocking, so the metrics (which depend on this asset) do not run on
unbelievable data. `warn` gives a WARN failure and the month goes on; its check is not
labelled blocking, since it cannot stop the month (the policy the code location loaded
decides which are: a change of `expectation_severity` takes effect when it reloads). The results feed
the center report's data-quality appendix; the GX Data Docs go to `<month>/data_docs/`.
"""

import tempfile
import time
from pathlib import Path

import polars as pl
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetIn,
    MaterializeResult,
    MetadataValue,
)

from assets.common import monthly_asset, monthly_check
from assets.partitions import partition_month, policies_at_load
from assets.resources import CcpulseSettings
from assets.validated import valid_key
from core.atomic import replace_folder
from core.output import markdown_preview, write_output_csv
from core.calendar import month_calendar
from ingest.history import MonthData
from schemas.expectations import BLOCK, SUITES, SuiteInputs, rostered_agents, run_suites, severity
from schemas.sources import SOURCES
from schemas.validate import ValidationOutcome

DATA_BELIEVABILITY = "data_believability"


CHECK_NAMES = {(spec.source, spec.name): spec.check_name for spec in SUITES}


@monthly_asset(
    ins={**{source: AssetIn(valid_key(source)) for source in SOURCES}, "last_month": AssetIn("last_month")},
    group_name="validated",
    kinds={"great_expectations", "pandas"},
    check_specs=[monthly_check(spec.check_name, asset=DATA_BELIEVABILITY,
                               # A group's centers may differ: the check can block where some center's policy
                               # blocks it, and each run's result severity follows its own center's policy.
                               blocking=any(severity(spec, policy) == BLOCK for policy in policies_at_load()),
                               description=f"{spec.key}: {spec.description} "
                                           f"({'/'.join(sorted({severity(spec, p) for p in policies_at_load()}))})")
                 for spec in SUITES],
    description="Is the month believable? Volume against last month, null shares, distributions, roster and "
    "calendar coverage, per source (Great Expectations on a pandas copy). Writes `data_quality/expectations.csv` "
    "and the GX Data Docs in `data_docs/`.",
)
def data_believability(context: AssetExecutionContext, settings: CcpulseSettings, last_month: MonthData | None,
                       **valid: ValidationOutcome):
    started = time.perf_counter()
    month = partition_month(context.partition_key)
    policy = settings.policy()
    folder = settings.month_dir(month)
    calendar = month_calendar(month, policy.operating_weekdays, policy.holidays,
                              last_month and last_month.valid["attendance"]["shift_date"].unique().to_list(),
                              valid["attendance"].valid["shift_date"].unique().to_list(), policy.holiday_calendar)
    inputs = SuiteInputs(month=month, policy=policy, calendar=calendar,
                         previous_rows=dict(last_month.rows_read) if last_month else {},
                         rostered_agent_ids=rostered_agents(valid["agents"].valid, month))
    docs = folder / "data_docs"
    with tempfile.TemporaryDirectory(dir=folder, prefix=".data_docs.") as building:  # swapped in whole
        results = run_suites({source: outcome.valid for source, outcome in valid.items()},
                             {source: outcome.rows_read for source, outcome in valid.items()}, inputs,
                             Path(building) / "docs")
        replace_folder(Path(building) / "docs", docs)
    write_output_csv(results, folder / "data_quality" / "expectations.csv")
    index = docs / "index.html"
    checks = [
        AssetCheckResult(
            check_name=CHECK_NAMES[(row["source"], row["expectation"])],
            passed=row["passed"],
            severity=AssetCheckSeverity.ERROR if row["severity"] == BLOCK else AssetCheckSeverity.WARN,
            description=f"{row['source']}.{row['expectation']}: {row['description']}: observed {row['observed']}"
            + (f"; {row['unexpected_examples']}" if row["unexpected_examples"] else ""),
            metadata={"observed": row["observed"], "unexpected_examples": row["unexpected_examples"] or "none",
                      "policy_severity": row["severity"], "data_docs": MetadataValue.url(index.as_uri())},
        )
        for row in results.iter_rows(named=True)
    ]
    failed = results.filter(~pl.col("passed"))
    return MaterializeResult(
        value={"results": results, "calendar": calendar},
        check_results=checks,
        metadata={
            "dagster/row_count": results.height,
            "failed": failed.height,
            "calendar": calendar.describe(),
            "blocking_failures": failed.filter(pl.col("severity") == BLOCK).height,
            "failed_expectations": MetadataValue.md(markdown_preview(failed.drop("description"), rows=30)
                                                    if failed.height else "none"),
            "data_docs": MetadataValue.url(index.as_uri()),  # on the machine that ran it: under ccpulse/out, at
            "in_ccpulse_out": f"{month}/data_docs/index.html",
            "seconds": round(time.perf_counter() - started, 2),
        },
    )
