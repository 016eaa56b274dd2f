"""The one Definitions object: what the UI shows and what `ccpulse run` materializes."""

from __future__ import annotations

import os

from dagster import (
    AssetSelection,
    Definitions,
    EnvVar,
    FilesystemIOManager,
    build_schedule_from_partitioned_job,
    define_asset_job,
)

from assets import metrics, reports
from assets.ingest import raw_assets
from assets.partitions import POLICY_AT_LOAD, monthly_partitions
from assets.resources import CcpulseSettings
from assets.validated import data_quality, valid_assets

MONTHLY_JOB = "ccpulse_monthly"

# Optional settings may be left unset; required ones (data and out dirs) may not.
for optional, default in {"CCPULSE_POLICY": "", "CCPULSE_COLUMN_MAPPING": "", "CCPULSE_SOURCE": "files"}.items():
    os.environ.setdefault(optional, default)

monthly_job = define_asset_job(
    MONTHLY_JOB,
    selection=AssetSelection.all(),
    partitions_def=monthly_partitions,
    description="Everything for one month: ingest, validate, and every output of SPEC §9.",
)

# Month M runs on day `schedule_day` of M+1 at 06:00 in the center's timezone (SPEC §1).
monthly_schedule = build_schedule_from_partitioned_job(
    monthly_job,
    name="ccpulse_monthly_schedule",
    day_of_month=POLICY_AT_LOAD.schedule_day,
    hour_of_day=6,
    minute_of_hour=0,
    description="Runs last month's partition once its data has landed.",
)

defs = Definitions(
    assets=[
        *raw_assets,
        *valid_assets,
        data_quality,
        metrics.agent_month_metrics,
        metrics.complaint_statuses,
        metrics.agent_scorecard,
        metrics.coaching,
        metrics.award_eligibility,
        metrics.awards,
        metrics.management_health,
        reports.health_trend,
        reports.report_inputs,
        reports.center_report,
        reports.team_reports,
    ],
    jobs=[monthly_job],
    schedules=[monthly_schedule],
    resources={
        "settings": CcpulseSettings(
            data_dir=EnvVar("CCPULSE_DATA_DIR"),
            out_dir=EnvVar("CCPULSE_OUT_DIR"),
            policy_file=EnvVar("CCPULSE_POLICY"),
            column_mapping_file=EnvVar("CCPULSE_COLUMN_MAPPING"),
            source=EnvVar("CCPULSE_SOURCE"),
        ),
        # Intermediate frames are kept in the instance's storage folder, so a re-run of one
        # step (or a backfill) reads what the steps before it wrote.
        "io_manager": FilesystemIOManager(),
    },
)
