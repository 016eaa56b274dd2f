"""Ops alerting (SPEC §11): a failed run emails the policy's ops_alert_recipients."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from dagster import DefaultSensorStatus, RunFailureSensorContext, SkipReason, run_failure_sensor

from assets.resources import CcpulseSettings, MailSettings
from core.months import Month
from delivery.addresses import InvalidAddress, checked_address
from delivery.compose import compose_alert
from delivery.transports import SendFailed
from pipelines.failures import step_failure_lines
from pipelines.jobs import monthly_job, send_job

ALERTS_FOLDER = "ops_alerts"  # under the month's out folder (or the out folder), for the outbox transport


@run_failure_sensor(
    name="ccpulse_ops_alert",
    monitored_jobs=[monthly_job, send_job],
    default_status=DefaultSensorStatus.RUNNING,
    description="Emails the policy's ops_alert_recipients when a ccpulse run fails: month, run, failed steps.",
)
def ops_alert_on_failure(context: RunFailureSensorContext, settings: CcpulseSettings, mail: MailSettings):
    run = context.dagster_run
    policy = settings.policy()
    if not policy.ops_alert_recipients:
        return SkipReason(f"run {run.run_id} failed, but the policy lists no ops_alert_recipients")
    month = run.tags.get("dagster/partition", "?")
    when = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    failures = step_failure_lines(context.get_step_failure_events())
    try:
        folder = Path(settings.out_dir) / str(Month.parse(month))
    except ValueError:  # a run without a month: the out folder itself
        folder = Path(settings.out_dir)
    transport = mail.transport_for(folder / ALERTS_FOLDER)
    try:
        for text in policy.ops_alert_recipients:
            try:
                recipient = checked_address(text)
            except InvalidAddress as error:
                context.log.error(f"ops alert not sent: {error}")
                continue
            message = compose_alert(policy.language, mail.sender, recipient, month, run.job_name, run.run_id, when,
                                    failures)
            try:
                transport.send(message, recipient)
            except SendFailed as failure:
                context.log.error(f"ops alert to {recipient} failed: {failure.detail}")
    finally:
        transport.close()
    return None
