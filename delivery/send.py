"""Who gets what, what is still due, and sending it: exactly once per month, recipient and
report version (SPEC §11).

`route` addresses every report; `plan` leaves out what the log says was already delivered (a
changed report goes out again, marked as a correction; `force` resends on purpose) and what is
held because an earlier send's outcome is unknown; `deliver` checks each PDF once, then sends
the letters one by one, logging each as it goes (its intent before it goes out, its outcome
after), so a failure for one recipient (a refused address, a message that cannot be built, a lost
connection) costs only that recipient. A server that cannot be reached for several messages in a
row stops the delivery instead: the rest stay due for the next `ccpulse send`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from email.message import EmailMessage

from delivery.addresses import Addressee, InvalidAddress, parse_addressee, shared_by_several_supervisors
from delivery.compose import CORRECTION, FIRST, RESEND, Letter, Report
from delivery.integrity import BrokenReport, checked_pdf, checked_table
from delivery.log import (BROKEN, FAILED, INVALID_ADDRESS, NO_ADDRESS, SENDING, SENT, SHARED_ADDRESS, UNKNOWN,
                          DeliveryLog, now_text)
from delivery.transports import SendFailed, Transport

# Messages in a row whose server could not be reached (refused, 4xx to the greeting or to STARTTLS) before delivery
# stops trying: each message retries on its own with backoff, so 500 teams against a relay that is down would
# take hours; three in a row say it is the server, not the message.
CONNECTION_FAILURES_BEFORE_STOPPING = 3
INTENT = "being handed over; its outcome replaces this row (left here, the delivery stopped before it knew)"


@dataclass(frozen=True)
class Unroutable:
    """A report that has nobody to go to, or an address that was refused before sending."""

    report: Report
    address: str  # as on file; "" when there is none
    status: str  # NO_ADDRESS, INVALID_ADDRESS or SHARED_ADDRESS
    detail: str


@dataclass
class Routing:
    reports: dict[str, list[Report]] = field(default_factory=dict)  # recipient (normal form) → their reports
    names: dict[str, str] = field(default_factory=dict)  # recipient → display name, as the data gave it
    unroutable: list[Unroutable] = field(default_factory=list)
    # recipient → report name → why it is theirs to forward (the Unroutable status): a team report that cannot go
    # to its supervisor rides with the center report, to each of its recipients (SPEC §11)
    forward: dict[str, dict[str, str]] = field(default_factory=dict)


def route(center: Report | None, center_recipients: list[str], team_reports: dict[str, Report],
          supervisor_emails: dict[str, str | None], supervisor_ids: dict[str, str | None] | None = None,
          tables: list[Report] | None = None) -> Routing:
    """The center report to the policy's recipients, each team report to its supervisor; `tables`
    (team_comparison.csv) go with the center report, to its recipients only (SPEC §14).

    Given `supervisor_ids` (team → supervisor_id), team reports whose address is also another supervisor's are
    withheld (SHARED_ADDRESS), every one of them: one supervisor must not read another team's report. A team report
    that cannot go to its supervisor (none of its own, invalid, withheld) is attached to the center report's message
    for its recipients to forward (SPEC §11); it stays listed as unroutable, since its supervisor did not get it.
    """
    routing = Routing()

    def add(report: Report, addressee: Addressee) -> None:
        reports = routing.reports.setdefault(addressee.address, [])
        routing.names.setdefault(addressee.address, addressee.display_name)
        if report not in reports:
            reports.append(report)

    def parsed(report: Report, text: str | None, missing: str) -> Addressee | None:
        if text is None or not text.strip():
            routing.unroutable.append(Unroutable(report, "", NO_ADDRESS, missing))
            return None
        try:
            return parse_addressee(text)
        except InvalidAddress as error:
            routing.unroutable.append(Unroutable(report, text, INVALID_ADDRESS, str(error)))
            return None

    directors: list[Addressee] = []
    if center is not None:
        if not center_recipients:
            parsed(center, None, "the policy lists no center_report_recipients")
        for text in center_recipients:
            if (addressee := parsed(center, text, "")) is not None:
                add(center, addressee)
                for table in tables or []:
                    add(table, addressee)
                directors.append(addressee)
    supervisors = {team_id: parsed(team_reports[team_id], supervisor_emails.get(team_id),
                                   f"team {team_id} has no supervisor_email") for team_id in sorted(team_reports)}
    supervisors = {team_id: addressee for team_id, addressee in supervisors.items() if addressee is not None}
    shared = {} if supervisor_ids is None else shared_by_several_supervisors(
        {team_id: addressee.address for team_id, addressee in supervisors.items()}, supervisor_ids)
    for team_id, addressee in supervisors.items():
        if team_id in shared:
            others = ", ".join(other for other in shared[team_id] if other != team_id)
            routing.unroutable.append(Unroutable(
                team_reports[team_id], addressee.address, SHARED_ADDRESS,
                f"withheld: team {team_id} shares this supervisor_email with team(s) {others}, led by another "
                "supervisor, so one of them would read the other's report; correct supervisor_email in the teams data"))
        else:
            add(team_reports[team_id], addressee)
    stranded = sorted((item for item in routing.unroutable if item.report is not center), key=lambda i: i.report.name)
    for director in directors:
        for item in stranded:
            add(item.report, director)
            routing.forward.setdefault(director.address, {}).setdefault(item.report.name, item.status)
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
        forward = routing.forward.get(recipient, {})
        letters.append(Letter(month, recipient, due, kind, replaced, nonce=now_text() if force else "",
                              display_name=routing.names.get(recipient, ""),
                              forward={report.name: forward[report.name] for report in due if report.name in forward}))
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
        return checked_file(self._reports[name])

    def __iter__(self) -> Iterator[str]:
        return iter(self._reports)

    def __len__(self) -> int:
        return len(self._reports)


def checked_file(report: Report) -> bytes:
    """A report's bytes once checked: a PDF by its digest (the render step parsed those bytes), a table by its
    digest and by reading it as a CSV."""
    return (checked_table if report.table else checked_pdf)(report.path, report.sha256)


def check_reports(routing: Routing) -> tuple[Routing, CheckedReports]:
    """Each routed PDF read and checked: the routing with each report's problem set, and the good ones, whose
    bytes are what is attached (checked again as they are read)."""
    checked: dict[str, Report] = {}
    for reports in routing.reports.values():
        for report in reports:
            if report.name in checked:
                continue
            try:
                checked_file(report)
                checked[report.name] = report
            except BrokenReport as broken:
                checked[report.name] = replace(report, problem=str(broken))
    reports = {who: [checked[report.name] for report in reports] for who, reports in routing.reports.items()}
    return replace(routing, reports=reports), CheckedReports({name: r for name, r in checked.items() if not r.problem})


Compose = Callable[[Letter, Mapping[str, bytes]], EmailMessage]


class DeliveryRows(list):
    """The log rows a delivery wrote, and why it stopped before the end ("" when it did not)."""

    stopped: str = ""


def deliver(month: str, routing: Routing, log: DeliveryLog, transport: Transport, compose: Compose,
            force: bool = False, only: set[str] | None = None) -> DeliveryRows:
    """Check, send what is due and log it; returns the log rows this delivery wrote.

    Raises LogNotWritten when the log cannot be written: nothing is handed over whose intent is not on disk, and an
    intent whose outcome could not be written stays there, so that the next delivery holds it as `unknown`.
    """
    written = DeliveryRows()
    with log.locked():
        written += log.settle_dangling_intents()  # an earlier delivery's message that may have gone out: held
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
        letters = plan(month, sendable, log.delivered(), log.delivered(UNKNOWN), force, only)
        fatal: SendFailed | None = None
        unreachable = 0  # messages in a row whose server could not be reached
        try:
            for number, letter in enumerate(letters):
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
                        # The intent is on disk before the message can go out: a crash from here on leaves it,
                        # and the next delivery holds the message as `unknown` instead of sending it again.
                        log.record_intent([_row(month, letter.recipient, report, SENDING, letter.kind,
                                                transport.name, message_id, detail=INTENT)
                                           for report in letter.reports])
                        try:
                            attempts = transport.send(message, letter.recipient)
                            unreachable = 0
                        except SendFailed as failure:
                            status = UNKNOWN if failure.unknown else FAILED
                            attempts, detail = failure.attempts, failure.detail
                            fatal = failure if failure.fatal else None
                            unreachable = unreachable + 1 if failure.unreachable else 0
                rows = [_row(month, letter.recipient, report, status, letter.kind, transport.name,
                             message_id, attempts, detail) for report in letter.reports]
                log.append(rows)  # as each message goes out: a crash later cannot make it go out again
                written += rows
                if unreachable >= CONNECTION_FAILURES_BEFORE_STOPPING:
                    left = letters[number + 1:]
                    if left:  # left due, not failed: the next `ccpulse send` sends them once the server is back
                        written.stopped = (
                            f"the mail server could not be reached for {unreachable} messages in a row ({detail}); "
                            f"{len(left)} more message(s) ({sum(len(other.reports) for other in left)} report(s)) "
                            "not tried and left due: `ccpulse send` sends them once the server answers")
                    break
        finally:
            transport.close()
    return written
