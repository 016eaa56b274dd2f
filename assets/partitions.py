"""The monthly partitions every asset shares, in the center's timezone (SPEC §1, §12)."""

from __future__ import annotations

import os

from dagster import MonthlyPartitionsDefinition

from core.months import Month
from core.policy import Policy
from schemas.expectations import load_policy_for_run

# Definitions are built once per code-server start: the policy file's timezone and
# schedule day are read then; thresholds are read again by each run.
POLICY_AT_LOAD: Policy = load_policy_for_run(os.environ.get("CCPULSE_POLICY"))
FIRST_MONTH = Month.parse(os.environ.get("CCPULSE_FIRST_MONTH", "2024-01"))

monthly_partitions = MonthlyPartitionsDefinition(
    start_date=str(FIRST_MONTH), fmt="%Y-%m", timezone=POLICY_AT_LOAD.timezone
)


def partition_month(partition_key: str) -> Month:
    return Month.parse(partition_key)
