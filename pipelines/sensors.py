"""When a month runs, and who hears when it does not (SPEC §1, §11, §12).

- `ccpulse_data_landed` (sensor): starts month M once its data is complete: every required source present
  and unchanged for CCPULSE_DATA_SETTLE_SECONDS (files), or M listed by the `months` query (SQL).
- `ccpulse_monthly_schedule`: the deadline, day `schedule_day` of M+1 at 06:00 in the center's timezone. It
  starts M if the data is complete and nothing has started M yet; if the data is still incomplete, it emails
  ops "data for M has not landed: missing …" once, instead of a run that can only fail.
- `ccpulse_ops_alert` (run-failure sensor): any failed run of this code location (the monthly job, delivery,
  the UI's Materialize, an asset backfill) emails ops: the month, what failed, a link to the run, where the
  outputs are.

A month is never started twice: each launcher asks the instance for runs of M first, and the sensor's run
key is the month.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
import zoneinfo
from collections.abc import Callable
from pathlib import Path

from dagster import (
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunFailureSensorContext,
    RunRequest,
    RunsFilter,
    ScheduleEvaluationContext,
    SensorEvaluationContext,
    SkipReason,
    run_failure_sensor,
    schedule,
    sensor,
)

from assets.common import folder_tags
from assets.delivery import month_policy_file
from assets.partitions import FIRST_MONTH, POLICY_AT_LOAD, monthly_partitions
from assets.resources import CcpulseSettings, MailSettings
from core.months import Month
from delivery.addresses import InvalidAddress, checked_address
from delivery.compose import compose_alert, compose_data_late_alert
from delivery.transports import SendFailed
from pipelines.failures import step_failure_lines
from pipelines.jobs import monthly_job
from schemas.expectations import load_policy_for_run

ALERTS_FOLDER = "ops_alerts"  # under the month's out folder (or the out folder), for the outbox transport
SENSOR_SECONDS = int(os.environ.get("CCPULSE_SENSOR_INTERVAL_SECONDS") or 300)


def _settle_seconds() -> int:
    return int(os.environ.get("CCPULSE_DATA_SETTLE_SECONDS") or 1800)


def last_ended_month(now: dt.datetime) -> Month:
    """The month the schedule and the data sensor look after: the one that ended last, in the center's clock."""
    return Month.of(now.astimezone(zoneinfo.ZoneInfo(POLICY_AT_LOAD.timezone)).date()).previous()


def runs_of(instance, month: Month) -> list:
    """Every run recorded for month M, whatever launched it."""
    return list(instance.get_runs(RunsFilter(tags={"dagster/partition": str(month)})))


def send_ops_alert(settings: CcpulseSettings, mail: MailSettings, month: str, log,
                   build: Callable[[str, str], object]) -> int:
    """Send `build(language, recipient)` to each ops_alert_recipient of the month's policy (the one its run recorded,
    else the code location's); how many went out."""
    try:
        folder = Path(settings.out_dir) / str(Month.parse(month))
    except ValueError:  # a run without a month: the out folder itself
        folder = Path(settings.out_dir)
    policy = load_policy_for_run(month_policy_file(folder, fallback=settings.policy_file) or None)
    if not policy.ops_alert_recipients:
        log.info(f"no ops alert for {month}: the policy lists no ops_alert_recipients")
        return 0
    transport = mail.transport_for(folder / ALERTS_FOLDER)
    sent = 0
    try:
        for text in policy.ops_alert_recipients:
            try:
                recipient = checked_address(text)
            except InvalidAddress as error:
                log.error(f"ops alert not sent: {error}")
                continue
            try:
                transport.send(build(policy.language, recipient), recipient)
                sent += 1
            except SendFailed as failure:
                log.error(f"ops alert to {recipient} failed: {failure.detail}")
    finally:
        transport.close()
    return sent


@run_failure_sensor(
    name="ccpulse_ops_alert",
    default_status=DefaultSensorStatus.RUNNING,
    description="Emails the policy's ops_alert_recipients when any run of ccpulse fails (the monthly job, "
    "delivery, a Materialize from the asset graph, an asset backfill): month, failed steps, a link to the run.",
)
def ops_alert_on_failure(context: RunFailureSensorContext, settings: CcpulseSettings, mail: MailSettings):
    run = context.dagster_run
    month = run.tags.get("dagster/partition", "?")
    when = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    failures = step_failure_lines(context.get_step_failure_events())
    out = run.tags.get("ccpulse/out", settings.out_dir)
    out_folder = str(Path(out) / month) if month != "?" else out
    ui_url = os.environ.get("CCPULSE_UI_URL", "").rstrip("/")
    sent = send_ops_alert(settings, mail, month, context.log, lambda language, recipient: compose_alert(
        language, mail.sender, recipient, month, run.job_name, run.run_id, when, failures, ui_url, out_folder))
    return None if sent else SkipReason(f"run {run.run_id} failed; no ops alert went out (no ops_alert_recipients?)")


@sensor(
    name="ccpulse_data_landed",
    job=monthly_job,
    minimum_interval_seconds=SENSOR_SECONDS,
    default_status=DefaultSensorStatus.RUNNING,
    description="Starts last month's run once its data is complete: every required source present and unchanged "
    "for CCPULSE_DATA_SETTLE_SECONDS (30 min by default), or the month listed by the SQL `months` query. "
    "Never starts a month that already has a run.",
)
def data_landed(context: SensorEvaluationContext, settings: CcpulseSettings):
    month = last_ended_month(dt.datetime.now(dt.timezone.utc))
    if str(month) not in monthly_partitions.get_partition_keys():
        return SkipReason(f"{month} is not a partition (partitions start at {FIRST_MONTH})")
    started = runs_of(context.instance, month)
    if started:
        return SkipReason(f"{month} already has a run ({started[0].run_id}, {started[0].status.value})")
    landing = settings.reader().landing(month)
    cursor = json.loads(context.cursor) if context.cursor else {}
    now = time.time()
    if not landing.complete:
        context.update_cursor(json.dumps({"month": str(month), "signature": landing.signature, "since": now}))
        return SkipReason(f"data for {month} incomplete: missing {', '.join(landing.missing)}")
    if cursor.get("month") != str(month) or cursor.get("signature") != landing.signature:
        context.update_cursor(json.dumps({"month": str(month), "signature": landing.signature, "since": now}))
        if _settle_seconds() > 0:
            return SkipReason(f"data for {month} complete; starting once unchanged for {_settle_seconds()} s")
        cursor = {"since": now}
    waited = now - cursor["since"]
    if waited < _settle_seconds():
        return SkipReason(f"data for {month} complete and unchanged for {waited:.0f} of {_settle_seconds()} s")
    return RunRequest(run_key=str(month), partition_key=str(month), tags=folder_tags())


@schedule(
    name="ccpulse_monthly_schedule",
    job=monthly_job,
    cron_schedule=f"0 6 {POLICY_AT_LOAD.schedule_day} * *",
    execution_timezone=POLICY_AT_LOAD.timezone,
    default_status=DefaultScheduleStatus.RUNNING if os.environ.get("CCPULSE_SCHEDULE", "running") == "running"
    else DefaultScheduleStatus.STOPPED,
    description="The deadline for last month: starts it if its data is complete and nothing started it yet; "
    "otherwise emails ops once that its data has not landed, naming what is missing.",
)
def monthly_deadline(context: ScheduleEvaluationContext, settings: CcpulseSettings, mail: MailSettings):
    month = last_ended_month(context.scheduled_execution_time)
    started = runs_of(context.instance, month)
    if started:
        return SkipReason(f"{month} already has a run ({started[0].run_id}, {started[0].status.value})")
    landing = settings.reader().landing(month)
    if landing.complete:
        return RunRequest(run_key=f"deadline-{month}", partition_key=str(month), tags=folder_tags())
    when = context.scheduled_execution_time.astimezone(zoneinfo.ZoneInfo(POLICY_AT_LOAD.timezone)).isoformat(
        timespec="minutes")
    data = str(Path(settings.data_dir) / str(month)) if settings.source == "files" else settings.reader().describe()
    sent = send_ops_alert(settings, mail, str(month), context.log, lambda language, recipient: compose_data_late_alert(
        language, mail.sender, recipient, str(month), landing.missing, data, when))
    return SkipReason(f"data for {month} has not landed: missing {', '.join(landing.missing)} "
                      f"({sent} ops alert(s) sent)")
