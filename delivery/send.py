"""Who gets what, what is still due, and sending it: exactly once per month, recipient and
report version (SPEC §11).

`route` addresses every report; `plan` leaves out what the log says was already delivered (a
changed report goes out again, marked as a correction; `force` resends on purpose) and what is
held because an earlier send's outcome is unknown; `deliver` checks each PDF once, then sends
the letters one by one, logging each as it goes, so a failure for one recipient (a refused
address, a message that cannot be built, a lost connection) costs only that recipient.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from email.message import EmailMessage

from delivery.addresses import InvalidAddress, parse_addressee
from delivery.compose import CORRECTION, FIRST, RESEND, Letter, Report
from delivery.integrity import BrokenReport, checked_pdf
from delivery.log import BROKEN, FAILED, INVALID_ADDRESS, NO_ADDRESS, SENT, UNKNOWN, DeliveryLog, now_text
from delivery.transports import SendFailed, Transport


@dataclass(frozen=True)
class Unroutable:
    """A report that has nobody to go to, or an address that was refused before sending."""

    report: Report
    address: str  # as on file; "" when there is none
    status: str  # NO_ADDRESS or INVALID_ADDRESS
    detail: str


@dataclass
class Routing:
    reports: dict[str, list[Report]] = field(default_factory=dict)  # recipient (normal form) → their reports
    names: dict[str, str] = field(default_factory=dict)  # recipient → display name, as the data gave it
    unroutable: list[Unroutable] = field(default_factory=list)


def route(center: Report | None, center_recipients: list[str], team_reports: dict[str, Report],
          supervisor_emails: dict[str, str | None]) -> Routing:
    """The center report to the policy's recipients, each team report to its supervisor."""
    routing = Routing()

    def address(report: Report, text: str | None, missing: str) -> None:
        if text is None or not text.strip():
            routing.unroutable.append(Unroutable(report, "", NO_ADDRESS, missing))
            return
        try:
            addressee = parse_addressee(text)
        except InvalidAddress as error:
            routing.unroutable.append(Unroutable(report, text, INVALID_ADDRESS, str(error)))
            return
        reports = routing.reports.setdefault(addressee.address, [])
        routing.names.setdefault(addressee.address, addressee.display_name)
        if report not in reports:
            reports.append(report)

    if center is not None:
        if not center_recipients:
            address(center, None, "the policy lists no center_report_recipients")
        for text in center_recipients:
            address(center, text, "")
    for team_id in sorted(team_reports):
        address(team_reports[team_id], supervisor_emails.get(team_id), f"team {team_id} has no supervisor_email")
    return routing


def _holds(rows: list[dict], report: Report) -> bool:
    return any(row["sha256"] == report.sha256 for row in rows)


def plan(month: str, routing: Routing, delivered: dict[tuple[str, str], list[dict]],
         unknown: dict[tuple[str, str], list[dict]] | None = None, force: bool = False,
         only: set[str] | None = None) -> list[Letter]:
    """One letter per recipient holding what they have not received in this version yet.

    A version whose earlier send ended `unknown` is held back: it goes again only with `force`.
    """
    unknown = unknown or {}
    letters = []
    for recipient in sorted(routing.reports):
        if only and recipient not in only:
            continue
        due, replaced = [], {}
        for report in routing.reports[recipient]:
            key = (recipient, report.name)
            earlier = delivered.get(key, [])
            if _holds(earlier, report) or _holds(unknown.get(key, []), report):
                if force:
                    due.append(report)
                continue
            if earlier:
                replaced[report.name] = earlier[-1]["logged_at"]
            due.append(report)
        if not due:
            continue
        kind = CORRECTION if replaced else (RESEND if force else FIRST)
        letters.append(Letter(month, recipient, due, kind, replaced, nonce=now_text() if force else "",
                              display_name=routing.names.get(recipient, "")))
    return letters


def undelivered(routing: Routing, delivered: dict[tuple[str, str], list[dict]]) -> list[tuple[str, Report]]:
    """(recipient, report) pairs whose current version has not gone out."""
    return [(recipient, report) for recipient in sorted(routing.reports) for report in routing.reports[recipient]
            if not _holds(delivered.get((recipient, report.name), []), report)]


def _row(month: str, recipient: str, report: Report, status: str, kind: str = "", transport: str = "",
         message_id: str = "", attempts: int = 0, detail: str = "") -> dict:
    return {"logged_at": now_text(), "month": month, "recipient": recipient, "report": report.name,
            "sha256": report.sha256, "status": status, "kind": kind, "transport": transport,
            "message_id": message_id, "attempts": attempts, "detail": detail}


class CheckedReports(Mapping[str, bytes]):
    """The bytes of the reports that passed their check, read and checked again when a message attaches them:
    one message's PDFs are in memory at a time, not every team's (165 MB for 500 teams), and a file changed
    since the first check fails its message instead of going out."""

    def __init__(self, reports: dict[str, Report]):
        self._reports = reports

    def __getitem__(self, name: str) -> bytes:
        report = self._reports[name]
        return checked_pdf(report.path, report.sha256)

    def __iter__(self) -> Iterator[str]:
        return iter(self._reports)

    def __len__(self) -> int:
        return len(self._reports)


def check_reports(routing: Routing) -> tuple[Routing, CheckedReports]:
    """Each routed PDF read and checked: the routing with each report's problem set, and the good ones, whose
    bytes are what is attached (checked again as they are read)."""
    checked: dict[str, Report] = {}
    for reports in routing.reports.values():
        for report in reports:
            if report.name in checked:
                continue
            try:
                checked_pdf(report.path, report.sha256)
                checked[report.name] = report
            except BrokenReport as broken:
                checked[report.name] = replace(report, problem=str(broken))
    reports = {who: [checked[report.name] for report in reports] for who, reports in routing.reports.items()}
    return replace(routing, reports=reports), CheckedReports({name: r for name, r in checked.items() if not r.problem})


Compose = Callable[[Letter, Mapping[str, bytes]], EmailMessage]


def deliver(month: str, routing: Routing, log: DeliveryLog, transport: Transport, compose: Compose,
            force: bool = False, only: set[str] | None = None) -> list[dict]:
    """Check, send what is due and log it; returns the log rows this delivery wrote."""
    written: list[dict] = []
    with log.locked():
        routing, contents = check_reports(routing)
        earlier = log.rows()
        known_problems = {(row["recipient"], row["report"], row["sha256"], row["status"]) for row in earlier}
        problems = [_row(month, item.address, item.report, item.status, detail=item.detail)
                    for item in routing.unroutable]
        problems += [_row(month, recipient, report, BROKEN, detail=report.problem)
                     for recipient, reports in sorted(routing.reports.items()) for report in reports
                     if report.problem and (not only or recipient in only)]
        # An unchanged problem is logged once, not on every re-run.
        problems = [row for row in problems
                    if (row["recipient"], row["report"], row["sha256"], row["status"]) not in known_problems]
        log.append(problems)
        written += problems

        sendable = replace(routing, reports={who: [r for r in reports if not r.problem]
                                             for who, reports in routing.reports.items()})
        fatal: SendFailed | None = None
        try:
            for letter in plan(month, sendable, log.delivered(), log.delivered(UNKNOWN), force, only):
                status, attempts, detail, message_id = SENT, 0, "", ""
                try:
                    message = compose(letter, contents)
                    message_id = message["Message-ID"]
                except Exception as error:  # one message that cannot be built stops no other
                    status, detail = FAILED, f"the message could not be built: {type(error).__name__}: {error}"
                else:
                    if fatal is not None:
                        status, detail = FAILED, f"not tried: {fatal.detail}"
                    else:
                        try:
                            attempts = transport.send(message, letter.recipient)
                        except SendFailed as failure:
                            status = UNKNOWN if failure.unknown else FAILED
                            attempts, detail = failure.attempts, failure.detail
                            fatal = failure if failure.fatal else None
                rows = [_row(month, letter.recipient, report, status, letter.kind, transport.name,
                             message_id, attempts, detail) for report in letter.reports]
                log.append(rows)  # as each message goes out: a crash later cannot make it go out again
                written += rows
        finally:
            transport.close()
    return written
