"""Group `delivery`: each manager gets their PDFs by email, exactly once a month (SPEC §11).

Delivery reads the month folder's `manifest.json` (which file is whose report, and the SHA-256
the render step recorded), never a path made from an id, and checks each PDF before it goes out.
"""

from collections import Counter
from pathlib import Path

import polars as pl
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    Config,
    Failure,
    MaterializeResult,
    MetadataValue,
)

from assets.common import monthly_asset, monthly_check
from assets.partitions import partition_month
from assets.reports import center_report, team_reports
from assets.resources import CcpulseSettings, MailSettings
from core.errors import PolicyError
from core.manifest import CENTER, GROUP, TABLE, TEAM, ReportEntry, read_manifest
from core.output import markdown_preview, markdown_text
from core.policy import RECORDED_POLICY
from delivery.addresses import InvalidAddress, checked_address
from delivery.compose import Report, compose
from delivery.log import (BROKEN, FAILED, INVALID_ADDRESS, NO_ADDRESS, SENT, SHARED_ADDRESS, UNKNOWN, DeliveryLog,
                          LogNotWritten)
from delivery.send import Routing, deliver, route, undelivered
from schemas.expectations import load_policy_for_run

DELIVERY = "delivery"
ALL_DELIVERED = "every_report_delivered"
ALL_ADDRESSED = "every_report_has_a_recipient"
LOG_ROW_SCHEMA = {"recipient": pl.String, "report": pl.String, "status": pl.String, "kind": pl.String,
                  "attempts": pl.Int64, "detail": pl.String}


class DeliveryConfig(Config):
    force: bool = False  # send again what was already delivered, or held as unknown (`ccpulse send --force`)
    recipients: list[str] = []  # only these recipients; all when empty
    # A policy file for this delivery instead of the month's recorded one (`ccpulse send --policy`). Run config, not
    # the code server's CCPULSE_POLICY: a send launched from the UI would otherwise follow whatever policy the
    # server was started with, not the one the month was made with.
    policy_file: str = ""


def month_policy_file(folder: Path, override: str = "", fallback: str = "") -> str:
    """The policy file a later step of the month follows (SPEC §11, bound to its month): the explicit override,
    else the one the month's run recorded beside its outputs, else `fallback` ("" for the defaults) for a month
    folder without one."""
    if override:
        return override
    recorded = folder / RECORDED_POLICY
    return str(recorded) if recorded.is_file() else fallback


def center_report_unaddressed(folder: Path, policy_file: str) -> str:
    """Why the month's center report has nobody to go to under this policy file; "" when it has somebody (or the
    month has no rendered center report). `ccpulse run` and `send` end with it as a warning (SPEC §11)."""
    center = next((e for e in read_manifest(folder).values() if e.kind == CENTER), None)
    if center is None:
        return ""
    routing = route(report_of(folder, center), load_policy_for_run(policy_file or None).center_report_recipients, {}, {})
    if routing.reports:
        return ""
    return "; ".join(item.detail for item in routing.unroutable) + f" ({policy_file or 'the default policy'})"


def report_of(folder: Path, entry: ReportEntry) -> Report:
    """A manifest entry as delivery sends it: the file it names in the month folder, checked against its SHA-256."""
    return Report(name=entry.report, path=folder / entry.report, title=entry.title, summary=tuple(entry.summary),
                  sha256=entry.sha256, pages=entry.pages, reader_name=entry.supervisor_name or "", status=entry.status,
                  teams_by_status=tuple(sorted(entry.teams_by_status.items())), table=entry.kind == TABLE,
                  counted="centers" if entry.kind == GROUP else "teams")


def month_routing(folder: Path, manifest: dict[str, ReportEntry], center_recipients: list[str]) -> Routing:
    """Every report of the manifest addressed: the center report to the policy's recipients, each team
    report to the supervisor address the render step recorded for it, unless another supervisor's team shares it."""
    entries = list(manifest.values())
    center = next((report_of(folder, e) for e in entries if e.kind == CENTER), None)
    teams = {e.team_id: report_of(folder, e) for e in entries if e.kind == TEAM}
    addresses = {e.team_id: e.address for e in entries if e.kind == TEAM}
    supervisors = {e.team_id: e.supervisor_id for e in entries if e.kind == TEAM}
    tables = [report_of(folder, e) for e in entries if e.kind == TABLE]  # team_comparison.csv: the director's only
    return route(center, center_recipients, teams, addresses, supervisors, tables)


def delivery_summary(this_run: pl.DataFrame, pending: int, held: int, missing: int, refused: int, withheld: int = 0,
                     stopped: str = "") -> str:
    def count(status: str) -> int:
        return this_run.filter(pl.col("status") == status).height

    sent = this_run.filter(pl.col("status") == SENT)
    return (f"{sent['recipient'].n_unique()} message(s) sent ({sent.height} report(s)), {count(FAILED)} failed, "
            f"{count(UNKNOWN)} with unknown outcome, {count(BROKEN)} refused as broken, {pending} report(s) still due "
            f"({held} held after an unknown outcome), {missing} without a recipient, {refused} refused address(es)"
            + (f", {withheld} withheld (their supervisor_email is another supervisor's too)" if withheld else "")
            + (f"; delivery stopped: {stopped}" if stopped else ""))


@monthly_asset(
    deps=[center_report, team_reports],  # read from manifest.json, not from the IO manager
    group_name="delivery",
    kinds={"email"},
    check_specs=[
        monthly_check(ALL_DELIVERED, asset=DELIVERY, blocking=True,
                       description="Every addressed report went out in its current version: nothing failed, "
                       "nothing broken was refused, no send ended with an unknown outcome, nothing is still due. "
                       "A failure fails the run, so ops are alerted and `ccpulse run`/`send` exit non-zero."),
        monthly_check(ALL_ADDRESSED, asset=DELIVERY, description="Every report has somebody to go to "
                       "(a team's valid supervisor_email, the policy's center_report_recipients); no "
                       "supervisor_email is shared by teams of different supervisors (their reports are withheld)."),
    ],
    description="Emails each team report to its supervisor and the center report to the policy's recipients: "
    "`.eml` files in `outbox/` by default, SMTP as a setting. Each PDF is checked against `manifest.json` first. "
    "The language and recipients are those of the policy the month was run with (its `policy.yaml`), unless config "
    "`policy_file` overrides it. "
    "`delivery_log.csv` keeps what went to whom (month, recipient, PDF SHA-256): re-runs send nothing twice; a "
    "changed report goes out as a correction; an unknown outcome is held for a person to decide.",
)
def delivery(context: AssetExecutionContext, config: DeliveryConfig, settings: CcpulseSettings, mail: MailSettings):
    month = partition_month(context.partition_key)
    folder = settings.month_dir(month)
    # The language and the center recipients are those the month was run with, whoever launches this step.
    policy_file = month_policy_file(folder, config.policy_file, settings.policy_file)
    try:
        policy = load_policy_for_run(policy_file or None)
    except PolicyError as error:  # it names the file and every problem
        raise Failure(str(error), allow_retries=False) from None
    manifest = read_manifest(folder)
    if not manifest:
        raise Failure(f"no rendered reports of {month} in {folder} (no manifest.json): run the month first",
                      allow_retries=False)
    routing = month_routing(folder, manifest, policy.center_report_recipients)

    try:
        only = {checked_address(text) for text in config.recipients}
    except InvalidAddress as error:
        raise Failure(str(error), allow_retries=False) from None
    if only - set(routing.reports):
        # The month's own recipients are not listed: every supervisor's address would sit in the event log (SPEC §12).
        raise Failure(f"{', '.join(sorted(only - set(routing.reports)))}: no report of {month} is addressed to them "
                      f"({len(routing.reports)} recipient(s) have one: the policy's center_report_recipients and the "
                      f"team addresses in {folder / 'manifest.json'})", allow_retries=False)

    log = DeliveryLog(folder)
    transport = mail.transport_for(folder / "outbox")
    try:
        written = deliver(str(month), routing, log, transport,
                          lambda letter, attachments: compose(letter, policy.language, mail.sender, attachments),
                          force=config.force, only=only or None)
    except LogNotWritten as error:  # it names the file; what went out before it is logged
        raise Failure(f"{error}. A message being sent when it failed keeps its `sending` row: the next "
                      "`ccpulse send` holds it as unknown instead of sending it again", allow_retries=False) from error

    pending = undelivered(routing, log.delivered())
    held = log.delivered(UNKNOWN)
    held_pairs = [(who, report) for who, report in pending
                  if any(row["sha256"] == report.sha256 for row in held.get((who, report.name), []))]
    refused = [item for item in routing.unroutable if item.status == INVALID_ADDRESS]
    missing = [item for item in routing.unroutable if item.status == NO_ADDRESS]
    withheld = [item for item in routing.unroutable if item.status == SHARED_ADDRESS]
    this_run = pl.DataFrame(written, schema=LOG_ROW_SCHEMA)
    sent = this_run.filter(pl.col("status") == SENT)
    problems = this_run.filter(pl.col("status").is_in([FAILED, UNKNOWN, BROKEN]))
    summary = delivery_summary(this_run, len(pending), len(held_pairs), len(missing), len(refused), len(withheld),
                               written.stopped)
    context.log.info(summary)
    return MaterializeResult(
        value={"sent": sent.height, "pending": len(pending), "without_recipient": [u.report.name for u in missing]},
        metadata={
            "summary": summary,
            "transport": transport.name,
            "policy": MetadataValue.path(policy_file) if policy_file else "defaults",
            "messages_sent": sent["recipient"].n_unique(),
            "reports_sent": sent.height,
            "this_run": MetadataValue.md(markdown_preview(this_run, rows=50) if this_run.height else "nothing due"),
            "delivery_log": MetadataValue.path(str(log.path)),
        },
        check_results=[
            AssetCheckResult(
                check_name=ALL_DELIVERED, passed=not pending and problems.height == 0,
                severity=AssetCheckSeverity.ERROR,
                description=summary,
                metadata={
                    "summary": summary,
                    # Reports and counts: who they go to is personnel data, kept in delivery_log.csv (SPEC §12).
                    "still_due": MetadataValue.md("\n".join(
                        f"- {markdown_text(name)}: {count} recipient(s)"
                        for name, count in sorted(Counter(report.name for _, report in pending).items())) or "none"),
                    "failed_unknown_or_broken": MetadataValue.md(
                        markdown_preview(problems, rows=20) if problems.height else "none"),
                },
            ),
            AssetCheckResult(
                check_name=ALL_ADDRESSED, passed=not missing and not refused and not withheld,
                severity=AssetCheckSeverity.WARN,
                metadata={
                    "without_recipient": MetadataValue.md(
                        "\n".join(f"- {markdown_text(u.report.name)}: {markdown_text(u.detail)}" for u in missing)
                        or "none"),
                    "refused_addresses": MetadataValue.md(
                        "\n".join(f"- {markdown_text(u.report.name)}: not a valid address (delivery_log.csv holds it; "
                                  "the UI does not)" for u in refused)
                        or "none"),
                    "withheld_shared_address": MetadataValue.md(
                        "\n".join(f"- {markdown_text(u.report.name)}: {markdown_text(u.detail)}" for u in withheld)
                        or "none"),
                },
            ),
        ],
    )
