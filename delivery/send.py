"""Who gets what, what is still due, and sending it: exactly once per month, recipient and
report version (SPEC §11).

`route` addresses every report; `plan` leaves out what the log says was already delivered
(a changed report goes out again, marked as a correction; `force` resends on purpose);
`deliver` sends the letters one by one, logging each as it goes, so a failure for one
recipient costs only that recipient.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage

from delivery.addresses import InvalidAddress, checked_address
from delivery.compose import CORRECTION, FIRST, RESEND, Letter, Report
from delivery.log import FAILED, INVALID_ADDRESS, NO_ADDRESS, SENT, DeliveryLog, now_text
from delivery.transports import SendFailed, Transport


@dataclass(frozen=True)
class Unroutable:
    """A report that has nobody to go to, or an address that was refused before sending."""

    report: Report
    address: str  # as on file; "" when there is none
    status: str  # NO_ADDRESS or INVALID_ADDRESS
    detail: str


Routing = dict[str, list[Report]]  # recipient (normal form) → the reports addressed to them


def route(center: Report | None, center_recipients: list[str], team_reports: dict[str, Report],
          supervisor_emails: dict[str, str | None]) -> tuple[Routing, list[Unroutable]]:
    """The center report to the policy's recipients, each team report to its supervisor."""
    routing: Routing = {}
    unroutable: list[Unroutable] = []

    def address(report: Report, text: str | None, missing: str) -> None:
        if text is None or not text.strip():
            unroutable.append(Unroutable(report, "", NO_ADDRESS, missing))
            return
        try:
            recipient = checked_address(text)
        except InvalidAddress as error:
            unroutable.append(Unroutable(report, text, INVALID_ADDRESS, str(error)))
            return
        reports = routing.setdefault(recipient, [])
        if report not in reports:
            reports.append(report)

    if center is not None:
        if not center_recipients:
            address(center, None, "the policy lists no center_report_recipients")
        for text in center_recipients:
            address(center, text, "")
    for team_id in sorted(team_reports):
        address(team_reports[team_id], supervisor_emails.get(team_id), f"team {team_id} has no supervisor_email")
    return routing, unroutable


def plan(month: str, routing: Routing, delivered: dict[tuple[str, str], list[dict]], force: bool = False,
         only: set[str] | None = None) -> list[Letter]:
    """One letter per recipient holding what they have not received in this version yet."""
    letters = []
    for recipient in sorted(routing):
        if only and recipient not in only:
            continue
        due, replaced = [], {}
        for report in routing[recipient]:
            earlier = delivered.get((recipient, report.name), [])
            if any(row["sha256"] == report.sha256 for row in earlier):
                if force:
                    due.append(report)
                continue
            if earlier:
                replaced[report.name] = earlier[-1]["logged_at"]
            due.append(report)
        if not due:
            continue
        kind = CORRECTION if replaced else (RESEND if force else FIRST)
        letters.append(Letter(month, recipient, due, kind, replaced, nonce=now_text() if force else ""))
    return letters


def undelivered(routing: Routing, delivered: dict[tuple[str, str], list[dict]]) -> list[tuple[str, Report]]:
    """(recipient, report) pairs whose current version has not gone out."""
    return [(recipient, report) for recipient in sorted(routing) for report in routing[recipient]
            if not any(row["sha256"] == report.sha256 for row in delivered.get((recipient, report.name), []))]


def _row(month: str, recipient: str, report: Report, status: str, kind: str = "", transport: str = "",
         message_id: str = "", attempts: int = 0, detail: str = "") -> dict:
    return {"logged_at": now_text(), "month": month, "recipient": recipient, "report": report.name,
            "sha256": report.sha256, "status": status, "kind": kind, "transport": transport,
            "message_id": message_id, "attempts": attempts, "detail": detail}


def deliver(month: str, routing: Routing, unroutable: list[Unroutable], log: DeliveryLog, transport: Transport,
            compose: Callable[[Letter], EmailMessage], force: bool = False, only: set[str] | None = None) -> list[dict]:
    """Send what is due and log it; returns the log rows this delivery wrote."""
    written: list[dict] = []
    with log.locked():
        earlier = log.rows()
        known_problems = {(row["recipient"], row["report"], row["sha256"], row["status"]) for row in earlier}
        problems = [_row(month, item.address, item.report, item.status, detail=item.detail) for item in unroutable]
        # An unchanged problem is logged once, not on every re-run.
        problems = [row for row in problems
                    if (row["recipient"], row["report"], row["sha256"], row["status"]) not in known_problems]
        log.append(problems)
        written += problems

        fatal: SendFailed | None = None
        try:
            for letter in plan(month, routing, log.delivered(), force, only):
                message = compose(letter)
                status, attempts, detail = SENT, 0, ""
                if fatal is not None:
                    status, detail = FAILED, f"not tried: {fatal.detail}"
                else:
                    try:
                        attempts = transport.send(message, letter.recipient)
                    except SendFailed as failure:
                        status, attempts, detail = FAILED, failure.attempts, failure.detail
                        fatal = failure if failure.fatal else None
                rows = [_row(month, letter.recipient, report, status, letter.kind, transport.name,
                             message["Message-ID"], attempts, detail) for report in letter.reports]
                log.append(rows)  # as each message goes out: a crash later cannot make it go out again
                written += rows
        finally:
            transport.close()
    return written
