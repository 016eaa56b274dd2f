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

A group of centers (SPEC §15) is the same for each center: the sensor starts every center's month M as its data
lands (one run per center-month), each center has its deadline schedule in its own timezone and on its own day,
and `ccpulse_group_roll_up` starts the group's month once every center's month has ended one way or the other.
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
from assets.group import UNFINISHED
from assets.partitions import (FIRST_MONTH, GROUP, center_month_key, monthly_partitions, policy_at_load, run_center,
                               run_month)
from assets.resources import CcpulseSettings, MailSettings
from core.months import Month
from delivery.addresses import InvalidAddress, checked_address
from delivery.compose import compose_alert, compose_data_late_alert
from delivery.transports import SendFailed
from pipelines.failures import step_failure_lines
from ingest.files import FileSource
from pipelines.jobs import group_job, monthly_job
from schemas.expectations import load_policy_for_run

ALERTS_FOLDER = "ops_alerts"  # under the month's out folder (or the out folder), for the outbox transport
SENSOR_SECONDS = int(os.environ.get("CCPULSE_SENSOR_INTERVAL_SECONDS") or 300)


def _settle_seconds() -> int:
    return int(os.environ.get("CCPULSE_DATA_SETTLE_SECONDS") or 1800)


CENTER_IDS: list[str | None] = list(GROUP.ids) if GROUP else [None]  # None: a group of one


def last_ended_month(now: dt.datetime, center_id: str | None = None) -> Month:
    """The month the schedule and the data sensor look after: the one that ended last, in the center's clock."""
    return Month.of(now.astimezone(zoneinfo.ZoneInfo(policy_at_load(center_id).timezone)).date()).previous()


def runs_of(instance, month: Month, center_id: str | None = None) -> list:
    """Every run recorded for a center's month M, whatever launched it."""
    return list(instance.get_runs(RunsFilter(tags={"dagster/partition": str(center_month_key(month, center_id))})))


def _landing(settings: CcpulseSettings, month: Month, center_id: str | None):
    """Is the center's month complete? Its own data folder (a group's center), or the code location's source."""
    if center_id is None:
        return settings.reader().landing(month)
    return FileSource(str(GROUP.center(center_id).data)).landing(month)


def _run_request(month: Month, center_id: str | None, run_key: str) -> RunRequest:
    return RunRequest(run_key=run_key, partition_key=center_month_key(month, center_id), tags=folder_tags(center_id))


def _named(center_id: str | None, text: str) -> str:
    return f"{center_id}: {text}" if center_id else text


def send_ops_alert(settings: CcpulseSettings, mail: MailSettings, month: str, log,
                   build: Callable[[str, str], object], center_id: str | None = None) -> int:
    """Send `build(language, recipient)` to each ops_alert_recipient of the month's policy (the one its run recorded,
    else the center's or the code location's); how many went out."""
    out, fallback = settings.out_dir, settings.policy_file
    if center_id is not None:
        center = GROUP.center(center_id)
        out, fallback = str(center.out), str(center.policy or "")
    elif GROUP is not None:
        out, fallback = str(GROUP.out), ""
    try:
        folder = Path(out) / str(Month.parse(month))
    except ValueError:  # a run without a month: the out folder itself
        folder = Path(out)
    policy = load_policy_for_run(month_policy_file(folder, fallback=fallback) or None)
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
    month = run_month(run.tags) or "?"
    center_id = run_center(run.tags)
    when = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    failures = step_failure_lines(context.get_step_failure_events())
    out = run.tags.get("ccpulse/out", settings.out_dir)
    out_folder = str(Path(out) / month) if month != "?" else out
    ui_url = os.environ.get("CCPULSE_UI_URL", "").rstrip("/")
    what = f"{month} ({center_id})" if center_id else month  # the subject says which center failed
    sent = send_ops_alert(settings, mail, month, context.log, lambda language, recipient: compose_alert(
        language, mail.sender, recipient, what, run.job_name, run.run_id, when, failures, ui_url, out_folder),
        center_id)
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
    cursor = json.loads(context.cursor) if context.cursor else {}
    cursor = cursor if all(isinstance(v, dict) for v in cursor.values()) else {}  # a cursor of an older release
    requests, skipped = [], []
    for center_id in CENTER_IDS:
        outcome = _landed(context, settings, center_id, cursor)
        (requests if isinstance(outcome, RunRequest) else skipped).append(outcome)
    context.update_cursor(json.dumps(cursor))
    if requests:
        return requests
    return SkipReason("; ".join(skipped))


def _landed(context: SensorEvaluationContext, settings: CcpulseSettings, center_id: str | None,
            cursor: dict) -> RunRequest | str:
    """A center's month M once its data is complete and settled, else why not (`cursor[center]` keeps what the
    sensor saw of it, and since when)."""
    month = last_ended_month(dt.datetime.now(dt.timezone.utc), center_id)
    if str(month) not in monthly_partitions.get_partition_keys():
        return _named(center_id, f"{month} is not a partition (partitions start at {FIRST_MONTH})")
    started = runs_of(context.instance, month, center_id)
    if started:
        return _named(center_id, f"{month} already has a run ({started[0].run_id}, {started[0].status.value})")
    landing = _landing(settings, month, center_id)
    seen = cursor.get(center_id or "", {})
    now = time.time()
    if not landing.complete:
        cursor[center_id or ""] = {"month": str(month), "signature": landing.signature, "since": now}
        return _named(center_id, f"data for {month} incomplete: missing {', '.join(landing.missing)}")
    if seen.get("month") != str(month) or seen.get("signature") != landing.signature:
        cursor[center_id or ""] = seen = {"month": str(month), "signature": landing.signature, "since": now}
        if _settle_seconds() > 0:
            return _named(center_id, f"data for {month} complete; starting once unchanged for {_settle_seconds()} s")
    waited = now - seen["since"]
    if waited < _settle_seconds():
        return _named(center_id, f"data for {month} complete and unchanged for {waited:.0f} of {_settle_seconds()} s")
    return _run_request(month, center_id, str(center_month_key(month, center_id)))


def _deadline_schedule(center_id: str | None):
    policy = policy_at_load(center_id)

    @schedule(
        name="ccpulse_monthly_schedule" + (f"_{center_id}" if center_id else ""),
        job=monthly_job,
        cron_schedule=f"0 6 {policy.schedule_day} * *",
        execution_timezone=policy.timezone,
        default_status=DefaultScheduleStatus.RUNNING if os.environ.get("CCPULSE_SCHEDULE", "running") == "running"
        else DefaultScheduleStatus.STOPPED,
        description="The deadline for last month" + (f" of center {center_id}" if center_id else "") + ": starts it "
        "if its data is complete and nothing started it yet; otherwise emails ops once that its data has not landed, "
        "naming what is missing.",
    )
    def monthly_deadline(context: ScheduleEvaluationContext, settings: CcpulseSettings, mail: MailSettings):
        month = last_ended_month(context.scheduled_execution_time, center_id)
        started = runs_of(context.instance, month, center_id)
        if started:
            return SkipReason(f"{month} already has a run ({started[0].run_id}, {started[0].status.value})")
        landing = _landing(settings, month, center_id)
        if landing.complete:
            return _run_request(month, center_id, f"deadline-{center_month_key(month, center_id)}")
        when = context.scheduled_execution_time.astimezone(zoneinfo.ZoneInfo(policy.timezone)).isoformat(
            timespec="minutes")
        if center_id is not None:
            data = str(GROUP.center(center_id).data / str(month))
        else:
            data = str(Path(settings.data_dir) / str(month)) if settings.source == "files" else settings.reader().describe()
        what = f"{month} ({center_id})" if center_id else str(month)
        sent = send_ops_alert(settings, mail, str(month), context.log,
                              lambda language, recipient: compose_data_late_alert(
                                  language, mail.sender, recipient, what, landing.missing, data, when), center_id)
        return SkipReason(f"data for {what} has not landed: missing {', '.join(landing.missing)} "
                          f"({sent} ops alert(s) sent)")

    return monthly_deadline


# One deadline per center, each on its own policy's day and clock (a group of one: the one it always had).
deadline_schedules = [_deadline_schedule(center_id) for center_id in CENTER_IDS]
monthly_deadline = deadline_schedules[0]  # a group of one's


def deadline_passed(month: Month, center_id: str | None, now: dt.datetime) -> bool:
    """Has center's deadline for month M (day schedule_day of M+1, 06:00 in its clock) passed?"""
    policy = policy_at_load(center_id)
    following = month.next()
    deadline = dt.datetime(following.year, following.month, policy.schedule_day, 6,
                           tzinfo=zoneinfo.ZoneInfo(policy.timezone))
    return now >= deadline


def group_month_due(instance, month: Month, now: dt.datetime) -> tuple[str | None, str]:
    """Whether the group's month M is to be rolled up (again), and why (not). Due once every center's month M ended
    (succeeded or failed), or every center's deadline passed with none still running (a center without data is then
    reported not available, with the reason); due again when a center's run of M ended after the group's last
    roll-up started (ops fixed a center and re-ran it; a roll-up launched early). The run key says which state of
    the centers it rolls up, so that state is rolled up once."""
    waiting, running, ended = [], [], []
    for center_id in GROUP.ids:
        records = instance.get_run_records(
            RunsFilter(tags={"dagster/partition": str(center_month_key(month, center_id))}))
        if any(record.dagster_run.status in UNFINISHED for record in records):
            running.append(center_id)
        elif not records and not deadline_passed(month, center_id, now):
            waiting.append(center_id)
        ended += [record.end_time for record in records if record.end_time]
    if running:
        return None, f"{month}: still running for {', '.join(running)}"
    if waiting:
        return None, f"{month}: no run yet for {', '.join(waiting)}, whose deadline has not passed"
    rolled_up = instance.get_run_records(RunsFilter(tags={"dagster/partition": str(month)}), limit=1)
    if rolled_up and rolled_up[0].dagster_run.status in UNFINISHED:
        return None, f"the group's {month} is being rolled up (run {rolled_up[0].dagster_run.run_id})"
    last_end = max(ended, default=0.0)
    if rolled_up and (rolled_up[0].start_time or rolled_up[0].create_timestamp.timestamp()) >= last_end:
        return None, f"the group's {month} is rolled up from every center's latest run"
    return f"group-{month}-{last_end:.0f}", f"{month}: every center's month has ended"


@sensor(
    name="ccpulse_group_roll_up",
    job=group_job,
    minimum_interval_seconds=SENSOR_SECONDS,
    default_status=DefaultSensorStatus.RUNNING,
    description="Starts the group's month (group_health.csv, group_report.pdf, its email) once every center's month "
    "has ended, succeeded or failed, or every center's deadline has passed; again when a center's month is re-run "
    "after it (the changed group report goes out as a correction).",
)
def group_roll_up(context: SensorEvaluationContext):
    now = dt.datetime.now(dt.timezone.utc)
    month = min(last_ended_month(now, center_id) for center_id in GROUP.ids)
    if str(month) not in monthly_partitions.get_partition_keys():
        return SkipReason(f"{month} is not a partition (partitions start at {FIRST_MONTH})")
    run_key, why = group_month_due(context.instance, month, now)
    if run_key is None:
        return SkipReason(why)
    return RunRequest(run_key=run_key, partition_key=str(month), tags=folder_tags())
