"""The monthly partitions every asset shares, in the center's timezone (SPEC §1, §12)."""

from __future__ import annotations

import datetime as dt
import os
import zoneinfo

from dagster import MonthlyPartitionsDefinition

from core.months import Month
from core.policy import Policy
from ingest.files import FileSource
from schemas.expectations import load_policy_for_run

# Definitions are built once per code-server start: the policy file's timezone and
# schedule day are read then; thresholds are read again by each run.
POLICY_AT_LOAD: Policy = load_policy_for_run(os.environ.get("CCPULSE_POLICY"))


def first_month() -> Month:
    """The first partition: CCPULSE_FIRST_MONTH, else the first month the data folder holds, else last month. A
    backfill of "missing" months then never launches runs for months without data, which could only fail."""
    if os.environ.get("CCPULSE_FIRST_MONTH"):
        return Month.parse(os.environ["CCPULSE_FIRST_MONTH"])
    data, source = os.environ.get("CCPULSE_DATA_DIR"), os.environ.get("CCPULSE_SOURCE") or "files"
    held = FileSource(data).available_months() if data and source == "files" else []
    return held[0] if held else Month.of(dt.datetime.now(zoneinfo.ZoneInfo(POLICY_AT_LOAD.timezone)).date()).previous()


FIRST_MONTH = first_month()

monthly_partitions = MonthlyPartitionsDefinition(
    start_date=str(FIRST_MONTH), fmt="%Y-%m", timezone=POLICY_AT_LOAD.timezone
)


def partition_month(partition_key: str) -> Month:
    return Month.parse(partition_key)
