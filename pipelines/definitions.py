"""The one Definitions object: what the UI shows and what `ccpulse run` materializes."""

from __future__ import annotations

import os

from dagster import Definitions, EnvVar, in_process_executor

from assets import metrics, reports
from assets.believability import data_believability
from assets.delivery import delivery
from assets.ingest import raw_assets
from assets.resources import CcpulseSettings, MailSettings
from assets.storage import MonthFolderIOManager
from assets.validated import data_quality, last_month, valid_assets
from assets.group import group_delivery, group_month
from assets.partitions import GROUP
from pipelines.jobs import MONTHLY_JOB, SEND_JOB, group_job, monthly_job, send_job  # noqa: F401 (names for the CLI)
from pipelines.sensors import data_landed, deadline_schedules, group_roll_up, ops_alert_on_failure

# Optional settings may be left unset; the out dir may not (the data dir is needed by the files source only).
OPTIONAL_SETTINGS = {
    "CCPULSE_DATA_DIR": "", "CCPULSE_POLICY": "", "CCPULSE_COLUMN_MAPPING": "", "CCPULSE_SOURCE": "files",
    "CCPULSE_SQL_URI": "", "CCPULSE_SQL_QUERIES": "",
    "CCPULSE_MAIL_TRANSPORT": "outbox", "CCPULSE_MAIL_FROM": "ccpulse <ccpulse@example.invalid>",
    "CCPULSE_SMTP_HOST": "", "CCPULSE_SMTP_PORT": "587", "CCPULSE_SMTP_SECURITY": "starttls",
    "CCPULSE_SMTP_USER": "", "CCPULSE_SMTP_PASSWORD": "", "CCPULSE_SMTP_CA_FILE": "",
    "CCPULSE_SMTP_ATTEMPTS": "4", "CCPULSE_SMTP_RETRY_WAIT_MS": "2000",
    "CCPULSE_RUN_LOCK_WAIT_SECONDS": "10", "CCPULSE_CENTERS": "", "CCPULSE_SCHEDULE": "running", "CCPULSE_UI_URL": "",
}


def apply_setting_defaults() -> None:
    """Fill in the optional settings left unset (again before each CLI run: tests unset them)."""
    for optional, default in OPTIONAL_SETTINGS.items():
        os.environ.setdefault(optional, default)
    if GROUP is not None:  # a group's runs write each center's out folder, and the group's own runs the group's
        os.environ.setdefault("CCPULSE_OUT_DIR", str(GROUP.out))


apply_setting_defaults()

# The schedule is the product's heartbeat (the deadline of SPEC §12: pipelines/sensors.py), so it runs from the
# start; CCPULSE_SCHEDULE=stopped loads it stopped (a test instance, say).
if os.environ["CCPULSE_SCHEDULE"] not in ("running", "stopped"):
    raise ValueError(f"CCPULSE_SCHEDULE is {os.environ['CCPULSE_SCHEDULE']!r}; expected 'running' or 'stopped'")

defs = Definitions(
    assets=[
        *raw_assets,
        *valid_assets,
        data_quality,
        last_month,
        data_believability,
        metrics.complaint_history,
        metrics.agent_month_metrics,
        metrics.complaint_statuses,
        metrics.last_month_scorecard,
        metrics.agent_scorecard,
        metrics.coaching,
        metrics.coaching_followup,
        metrics.award_eligibility,
        metrics.awards,
        metrics.management_health,
        metrics.qa_calibration,
        metrics.award_fairness,
        reports.health_trend,
        reports.report_inputs,
        reports.center_report,
        reports.team_reports,
        delivery,
        # A group of centers (SPEC §15): its month, made from every center's
        *([group_month, group_delivery] if GROUP else []),
    ],
    jobs=[monthly_job, send_job, *([group_job] if GROUP else [])],
    # Steps run one after another in the run's own process. With a process per step (Dagster's
    # default), each of the ~30 steps first imports Dagster, polars, pandera and WeasyPrint
    # (about 8 s): a 120-agent month took 337 s that way and 45 s in process. The one heavy step,
    # the team reports, spreads over the cores by itself, and months run in parallel as runs of
    # their own. Scaling out swaps this executor (deploy/README.md).
    executor=in_process_executor,
    schedules=deadline_schedules,
    sensors=[data_landed, ops_alert_on_failure, *([group_roll_up] if GROUP else [])],
    resources={
        "settings": CcpulseSettings(
            data_dir=EnvVar("CCPULSE_DATA_DIR"),
            out_dir=EnvVar("CCPULSE_OUT_DIR"),
            policy_file=EnvVar("CCPULSE_POLICY"),
            column_mapping_file=EnvVar("CCPULSE_COLUMN_MAPPING"),
            source=EnvVar("CCPULSE_SOURCE"),
            sql_uri=EnvVar("CCPULSE_SQL_URI"),
            sql_queries_file=EnvVar("CCPULSE_SQL_QUERIES"),
        ),
        "mail": MailSettings(
            transport=EnvVar("CCPULSE_MAIL_TRANSPORT"),
            sender=EnvVar("CCPULSE_MAIL_FROM"),
            smtp_host=EnvVar("CCPULSE_SMTP_HOST"),
            smtp_port=EnvVar.int("CCPULSE_SMTP_PORT"),
            smtp_security=EnvVar("CCPULSE_SMTP_SECURITY"),
            smtp_user=EnvVar("CCPULSE_SMTP_USER"),
            smtp_password=EnvVar("CCPULSE_SMTP_PASSWORD"),
            smtp_ca_file=EnvVar("CCPULSE_SMTP_CA_FILE"),
            smtp_attempts=EnvVar.int("CCPULSE_SMTP_ATTEMPTS"),
            smtp_first_wait_ms=EnvVar.int("CCPULSE_SMTP_RETRY_WAIT_MS"),
        ),
        # Intermediate frames are kept in the month folder they serve (never in DAGSTER_HOME, where
        # runs into other out folders would read them), so a re-run of one step reads what the steps
        # before it wrote; the same IO manager holds the month folder's run lock (assets/storage.py).
        "io_manager": MonthFolderIOManager(out_dir=EnvVar("CCPULSE_OUT_DIR"),
                                           lock_wait_seconds=EnvVar.int("CCPULSE_RUN_LOCK_WAIT_SECONDS")),
    },
)
