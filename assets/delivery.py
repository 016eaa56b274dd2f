"""Group `delivery`: each manager gets their PDFs by email, exactly once a month (SPEC §11)."""

from pathlib import Path

import polars as pl
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    Config,
    Failure,
    MaterializeResult,
    MetadataValue,
)

from assets.common import monthly_asset
from assets.partitions import partition_month
from assets.resources import CcpulseSettings, MailSettings
from core.output import markdown_preview
from delivery.addresses import checked_address
from delivery.compose import Report, compose, sha256_of
from delivery.log import FAILED, INVALID_ADDRESS, NO_ADDRESS, SENT, DeliveryLog
from delivery.send import deliver, route, undelivered
from metrics.health import CENTER
from reports.context import ReportInputs, headline_figures, report_titles

DELIVERY = "delivery"
ALL_DELIVERED = "every_report_delivered"
ALL_ADDRESSED = "every_report_has_a_recipient"


class DeliveryConfig(Config):
    force: bool = False  # send again what was already delivered (`ccpulse send --force`)
    recipients: list[str] = []  # only these recipients; all when empty


def month_reports(folder: Path, inputs: ReportInputs, center_report: str, team_reports: dict[str, str]):
    titles, figures = report_titles(inputs), headline_figures(inputs)

    def report(path: str, key: str) -> Report:
        path = Path(path)
        return Report(name=path.relative_to(folder).as_posix(), path=path, title=titles[key],
                      figures=tuple(figures.get(key, [])), sha256=sha256_of(path))

    return report(center_report, CENTER), {team_id: report(path, team_id) for team_id, path in team_reports.items()}


@monthly_asset(
    group_name="delivery",
    kinds={"email"},
    check_specs=[
        AssetCheckSpec(ALL_DELIVERED, asset=DELIVERY, description="Every addressed report went out in its "
                       "current version and nothing failed in this run; a refused address fails it too."),
        AssetCheckSpec(ALL_ADDRESSED, asset=DELIVERY, description="Every report has somebody to go to "
                       "(a team's supervisor_email, the policy's center_report_recipients)."),
    ],
    description="Emails each team report to its supervisor and the center report to the policy's recipients: "
    "`.eml` files in `outbox/` by default, SMTP as a setting. `delivery_log.csv` keeps what went to whom "
    "(month, recipient, PDF SHA-256): re-runs send nothing twice; a changed report goes out as a correction.",
)
def delivery(context: AssetExecutionContext, config: DeliveryConfig, settings: CcpulseSettings, mail: MailSettings,
             report_inputs: ReportInputs, center_report: str, team_reports: dict):
    month = partition_month(context.partition_key)
    policy = settings.policy()
    folder = settings.month_dir(month)
    center, teams = month_reports(folder, report_inputs, center_report, team_reports)
    emails = dict(report_inputs.teams.select("team_id", "supervisor_email").iter_rows())
    routing, unroutable = route(center, policy.center_report_recipients, teams, emails)

    only = {checked_address(text) for text in config.recipients}
    if only - set(routing):
        raise Failure(f"{', '.join(sorted(only - set(routing)))}: no report of {month} is addressed to them "
                      f"(recipients: {', '.join(sorted(routing)) or 'none'})")

    log = DeliveryLog(folder)
    transport = mail.transport_for(folder / "outbox")
    written = deliver(str(month), routing, unroutable, log, transport,
                      lambda letter: compose(letter, policy.language, mail.sender),
                      force=config.force, only=only or None)

    pending = undelivered(routing, log.delivered())
    refused = [item for item in unroutable if item.status == INVALID_ADDRESS]
    missing = [item for item in unroutable if item.status == NO_ADDRESS]
    this_run = pl.DataFrame(written, schema={"recipient": pl.String, "report": pl.String, "status": pl.String,
                                             "kind": pl.String, "attempts": pl.Int64, "detail": pl.String})
    sent = this_run.filter(pl.col("status") == SENT)
    failed = this_run.filter(pl.col("status") == FAILED)
    summary = (f"{sent['recipient'].n_unique()} message(s) sent ({sent.height} report(s)), "
               f"{len(pending)} report(s) still due, {len(missing)} without a recipient, {len(refused)} refused address(es)")
    context.log.info(summary)
    return MaterializeResult(
        value={"sent": sent.height, "pending": len(pending), "without_recipient": [u.report.name for u in missing]},
        metadata={
            "summary": summary,
            "transport": transport.name,
            "messages_sent": sent["recipient"].n_unique(),
            "reports_sent": sent.height,
            "this_run": MetadataValue.md(markdown_preview(this_run, rows=50) if this_run.height else "nothing due"),
            "delivery_log": MetadataValue.path(str(log.path)),
        },
        check_results=[
            AssetCheckResult(
                check_name=ALL_DELIVERED, passed=not pending and not refused and failed.height == 0, severity=AssetCheckSeverity.ERROR,
                metadata={
                    "still_due": MetadataValue.md("\n".join(f"- {who}: {report.name}" for who, report in pending)
                                                  or "none"),
                    "failed_this_run": MetadataValue.md(markdown_preview(failed, rows=20) if failed.height else "none"),
                    "refused_addresses": MetadataValue.md("\n".join(f"- {u.report.name}: {u.detail}" for u in refused)
                                                          or "none"),
                },
            ),
            AssetCheckResult(
                check_name=ALL_ADDRESSED, passed=not missing, severity=AssetCheckSeverity.WARN,
                metadata={"without_recipient": MetadataValue.md(
                    "\n".join(f"- {u.report.name}: {u.detail}" for u in missing) or "none")},
            ),
        ],
    )
