"""The partitions every asset shares: months in the center's timezone (SPEC §1, §12), and, for a group of centers
(SPEC §15, `CCPULSE_CENTERS` names its centers.yaml), months × centers.

Without a centers file ccpulse is a group of one: monthly partitions, as before. With one, the centers are a
static dimension read from the file when the code location loads. Adding a center is an edit of centers.yaml and a
reload of the code location, never a code change; static rather than dynamic partitions because the file is the
one record of which centers exist: dynamic partitions would be a second one, kept in the instance, that a sensor
must keep in step with the file (and that would still list a center after it left the file).
"""

from __future__ import annotations

import datetime as dt
import os
import zoneinfo

from dagster import MonthlyPartitionsDefinition, MultiPartitionKey, MultiPartitionsDefinition, StaticPartitionsDefinition

from core.centers import Center, Group, load_group
from core.months import Month
from core.policy import Policy
from ingest.files import FileSource
from schemas.expectations import load_policy_for_run

MONTH, CENTER = "month", "center"
CENTER_TAG = "ccpulse/center"

# The group, when this code location serves one (read once per code-server start, as the policy is).
GROUP: Group | None = load_group(os.environ["CCPULSE_CENTERS"]) if os.environ.get("CCPULSE_CENTERS") else None


def _policy_at_load(center: Center | None = None) -> Policy:
    if center is not None:
        return load_policy_for_run(str(center.policy) if center.policy else None)
    return load_policy_for_run(os.environ.get("CCPULSE_POLICY"))


# Definitions are built once per code-server start: the policy files' timezones and schedule days are read then;
# thresholds are read again by each run.
POLICY_AT_LOAD: Policy = _policy_at_load()
CENTER_POLICIES_AT_LOAD: dict[str, Policy] = {c.id: _policy_at_load(c) for c in GROUP.centers} if GROUP else {}


def policies_at_load() -> list[Policy]:
    """Every policy the code location serves: its own, or each center's."""
    return list(CENTER_POLICIES_AT_LOAD.values()) or [POLICY_AT_LOAD]


def policy_at_load(center_id: str | None) -> Policy:
    """The policy a center's schedule and sensor read at load (the code location's own for a group of one)."""
    return CENTER_POLICIES_AT_LOAD[center_id] if center_id else POLICY_AT_LOAD


def _partitions_timezone() -> str:
    """A group's months end last where the clock is furthest behind: partitions in that timezone never offer a month
    that some center is still living through."""
    if not GROUP:
        return POLICY_AT_LOAD.timezone
    now = dt.datetime.now(dt.timezone.utc)
    return min((policy.timezone for policy in CENTER_POLICIES_AT_LOAD.values()),
               key=lambda name: now.astimezone(zoneinfo.ZoneInfo(name)).utcoffset())


def _data_folders() -> list[str]:
    if GROUP:
        return [str(center.data) for center in GROUP.centers]
    data, source = os.environ.get("CCPULSE_DATA_DIR"), os.environ.get("CCPULSE_SOURCE") or "files"
    return [data] if data and source == "files" else []


def first_month() -> Month:
    """The first partition: CCPULSE_FIRST_MONTH, else the first month the data folders hold, else last month. A
    backfill of "missing" months then never launches runs for months without data, which could only fail."""
    if os.environ.get("CCPULSE_FIRST_MONTH"):
        return Month.parse(os.environ["CCPULSE_FIRST_MONTH"])
    held = [month for folder in _data_folders() for month in FileSource(folder).available_months()[:1]]
    return min(held) if held else Month.of(dt.datetime.now(zoneinfo.ZoneInfo(_partitions_timezone())).date()).previous()


FIRST_MONTH = first_month()

monthly_partitions = MonthlyPartitionsDefinition(start_date=str(FIRST_MONTH), fmt="%Y-%m", timezone=_partitions_timezone())

# What a center's assets are partitioned by: its months, or (a group) its months × the group's centers.
center_month_partitions = (
    MultiPartitionsDefinition({MONTH: monthly_partitions, CENTER: StaticPartitionsDefinition(GROUP.ids)})
    if GROUP else monthly_partitions)


def partition_month(partition_key: str) -> Month:
    """The month of a partition key: `2026-09`, or a group's `sh|2026-09` (MultiPartitionKey)."""
    if isinstance(partition_key, MultiPartitionKey):
        return Month.parse(partition_key.keys_by_dimension[MONTH])
    return Month.parse(partition_key.rsplit("|", 1)[-1])


def partition_center(partition_key: str) -> str | None:
    """The center id of a group's partition key; None for a group of one."""
    if isinstance(partition_key, MultiPartitionKey):
        return partition_key.keys_by_dimension[CENTER]
    return partition_key.split("|", 1)[0] if "|" in partition_key else None


def center_month_key(month: Month | str, center_id: str | None = None) -> str:
    """The partition key of a center's month: the month for a group of one, else month × center."""
    if center_id is None:
        return str(month)
    return MultiPartitionKey({MONTH: str(month), CENTER: center_id})


def run_center(tags) -> str | None:
    """The center a run's tags say it serves: Dagster's tag of the center dimension, or the center of its partition
    key (a launch that gave `dagster/partition` = `sh|2026-09` alone); None for a month of a group of one."""
    if tags.get(f"dagster/partition/{CENTER}"):
        return tags[f"dagster/partition/{CENTER}"]
    return partition_center(tags["dagster/partition"]) if tags.get("dagster/partition") else None


def run_month(tags) -> str | None:
    """The month a run serves, from its tags: `2026-09` whether or not the run is a center's of a group."""
    if tags.get(f"dagster/partition/{MONTH}"):
        return tags[f"dagster/partition/{MONTH}"]
    return str(partition_month(tags["dagster/partition"])) if tags.get("dagster/partition") else None
