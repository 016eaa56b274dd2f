"""Delivery without Dagster: routing, the exactly-once plan, and sending through a real SMTP
server (aiosmtpd on loopback) that refuses, stalls and drops connections on cue."""

from __future__ import annotations

import email
import email.message
import email.policy
import hashlib
import ssl
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest
import trustme

from delivery.compose import _ATTACHMENTS, CORRECTION, FIRST, RESEND, Letter, Report, _set_boundaries, compose
from delivery.log import FAILED, INVALID_ADDRESS, LOG_COLUMNS, NO_ADDRESS, SENT, UNKNOWN, DeliveryLog
from delivery.send import deliver, plan, route, undelivered
from delivery.transports import OutboxTransport, SendFailed, SmtpConfig, SmtpTransport, message_bytes
from core.names import safe_file_name
from tests.pdfs import pdf_bytes
from tests.smtp_server import Credentials, Recorder, smtp_server

MONTH = "2026-10"
SENDER = "ccpulse <reports@ops.example.com>"


def _pdf(folder: Path, name: str, body: str) -> Report:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pdf_bytes(body))
    summary = ("CSAT: 95.0% (n=120)", "QA score: 91.2 (n=12)")
    return Report(name=name, path=path, title=f"Report {name}", summary=summary,
                  sha256=hashlib.sha256(path.read_bytes()).hexdigest(), pages=1)


@pytest.fixture
def month_dir(tmp_path) -> Path:
    folder = tmp_path / MONTH
    folder.mkdir()
    return folder


def _reports(folder: Path, version: str = "v1") -> tuple[Report, dict[str, Report]]:
    center = _pdf(folder, "center_report.pdf", f"center {version}")
    teams = {team: _pdf(folder, f"teams/{team}.pdf", f"{team} {version}") for team in ("T01", "T02", "T03", "T04")}
    return center, teams


EMAILS = {"T01": "sup1@example.com", "T02": "sup2@example.com", "T03": None, "T04": "not an address"}


def _send(folder, transport, version="v1", force=False, only=None, emails=EMAILS, center_to=("director@example.com",),
          reports=None):
    center, teams = reports or _reports(folder, version)
    routing = route(center, list(center_to), teams, emails)
    log = DeliveryLog(folder)
    rows = deliver(MONTH, routing, log, transport, lambda letter, pdfs: compose(letter, "en", SENDER, pdfs),
                   force=force, only=only)
    return rows, routing, log


def _smtp(port: int, **overrides) -> SmtpTransport:
    settings = {"host": "127.0.0.1", "port": port, "security": "none", "attempts": 4, "first_wait_seconds": 0.01,
                "timeout_seconds": 5, **overrides}
    return SmtpTransport(SmtpConfig(**settings), SENDER)


def test_routing_groups_a_recipients_reports_and_lists_the_unroutable(month_dir):
    center, teams = _reports(month_dir)
    emails = {"T01": "Sup1@EXAMPLE.com", "T02": "sup1@example.com", "T03": None, "T04": "sup4@example"}
    routing = route(center, ["director@example.com", "Sup1@example.com"], teams, emails)
    unroutable = routing.unroutable
    # The team reports that cannot go to their supervisors ride with the center report, to each of its recipients.
    assert {who: [r.name for r in reports] for who, reports in routing.reports.items()} == {
        "director@example.com": ["center_report.pdf", "teams/T03.pdf", "teams/T04.pdf"],
        # domain case folded, local part kept
        "Sup1@example.com": ["center_report.pdf", "teams/T01.pdf", "teams/T03.pdf", "teams/T04.pdf"],
        "sup1@example.com": ["teams/T02.pdf"],
    }
    assert routing.forward == {who: {"teams/T03.pdf": NO_ADDRESS, "teams/T04.pdf": INVALID_ADDRESS}
                               for who in ("director@example.com", "Sup1@example.com")}
    assert [(u.report.name, u.status) for u in unroutable] == [("teams/T03.pdf", NO_ADDRESS),
                                                               ("teams/T04.pdf", INVALID_ADDRESS)]
    assert "sup4@example" in unroutable[1].detail

    routing = route(center, [], {}, {})
    assert routing.reports == {} and routing.unroutable[0].detail == "the policy lists no center_report_recipients"


def test_plan_sends_each_version_once_corrects_changes_and_resends_on_purpose(month_dir):
    center, teams = _reports(month_dir)
    routing = route(center, ["director@example.com"], teams, EMAILS)
    first = plan(MONTH, routing, {})
    assert [(letter.recipient, letter.kind) for letter in first] == [
        ("director@example.com", FIRST), ("sup1@example.com", FIRST), ("sup2@example.com", FIRST)]

    sent = {("sup1@example.com", "teams/T01.pdf"): [{"sha256": teams["T01"].sha256, "logged_at": "2026-11-03T06:00"}],
            ("sup2@example.com", "teams/T02.pdf"): [{"sha256": "an older version", "logged_at": "2026-11-03T06:01"}]}
    again = {letter.recipient: letter for letter in plan(MONTH, routing, sent)}
    assert set(again) == {"director@example.com", "sup2@example.com"}
    assert again["sup2@example.com"].kind == CORRECTION
    assert again["sup2@example.com"].replaced_at == {"teams/T02.pdf": "2026-11-03T06:01"}

    forced = plan(MONTH, routing, sent, force=True, only={"sup1@example.com"})
    assert [(letter.recipient, letter.kind) for letter in forced] == [("sup1@example.com", RESEND)]
    assert forced[0].message_id_digest != first[1].message_id_digest
    assert undelivered(routing, sent) == [("director@example.com", center), ("director@example.com", teams["T03"]),
                                          ("director@example.com", teams["T04"]), ("sup2@example.com", teams["T02"])]


def test_outbox_gets_one_eml_per_recipient_and_a_rerun_adds_none(month_dir):
    outbox = month_dir / "outbox"
    rows, _, log = _send(month_dir, OutboxTransport(outbox))
    files = sorted(path.name for path in outbox.iterdir())
    assert [name.split(".first.")[0] for name in files] == [
        safe_file_name(who) for who in ["director@example.com", "sup1@example.com", "sup2@example.com"]]
    assert [(row["report"], row["status"]) for row in rows if row["status"] != SENT] == [
        ("teams/T03.pdf", NO_ADDRESS), ("teams/T04.pdf", INVALID_ADDRESS)]

    (sup1,) = outbox.glob(f"{safe_file_name('sup1@example.com')}.first.*.eml")
    message = email.message_from_bytes(sup1.read_bytes(), policy=email.policy.default)
    assert message["To"] == "sup1@example.com" and message["Subject"] == "ccpulse 2026-10: Report teams/T01.pdf"
    (attachment,) = message.iter_attachments()
    assert attachment.get_filename() == "ccpulse_2026-10_team_T01.pdf"
    assert attachment.get_content() == (month_dir / "teams/T01.pdf").read_bytes()
    assert "CSAT: 95.0% (n=120)" in message.get_body(("plain",)).get_content()

    log_before = log.path.read_bytes()
    rows, _, _ = _send(month_dir, OutboxTransport(outbox))
    assert rows == [] and len(list(outbox.iterdir())) == 3
    assert log.path.read_bytes() == log_before  # an unchanged problem is not logged again

    rows, _, _ = _send(month_dir, OutboxTransport(outbox), version="v2")  # every report changed
    assert {row["kind"] for row in rows if row["status"] == SENT} == {CORRECTION}
    assert len(list(outbox.iterdir())) == 6  # the corrections beside the first messages, none replaced
    (correction,) = outbox.glob(f"{safe_file_name('sup1@example.com')}.correction.*.eml")
    corrected = email.message_from_bytes(correction.read_bytes(), policy=email.policy.default)
    assert corrected["Subject"].startswith("Correction: ")
    assert "correction" in corrected.get_body(("plain",)).get_content()


def test_an_outbox_file_name_stays_in_the_outbox(month_dir):
    center, _ = _reports(month_dir)
    routing = route(center, ["a/../../b@example.com", "team/lead@example.com"], {}, {})
    assert [u.status for u in routing.unroutable] == [INVALID_ADDRESS]  # ".." is refused by the address check
    outbox = month_dir / "outbox"
    deliver(MONTH, routing, DeliveryLog(month_dir), OutboxTransport(outbox),
            lambda letter, pdfs: compose(letter, "en", SENDER, pdfs))
    # "/" is legal in an address, never in a file name
    assert [path.name.split(".first.")[0] for path in outbox.iterdir()] == [safe_file_name("team/lead@example.com")]
    assert safe_file_name("team/lead@example.com").startswith("team_lead_example.com-")


def test_smtp_delivers_to_the_right_recipients_with_their_attachments(month_dir):
    with smtp_server() as (server, port):
        rows, routing, log = _send(month_dir, _smtp(port))
    by_recipient = {got.recipients[0]: got for got in server.received}
    assert sorted(by_recipient) == ["director@example.com", "sup1@example.com", "sup2@example.com"]
    for recipient, got in by_recipient.items():
        assert got.recipients == [recipient] and got.sender == "reports@ops.example.com"
        message = got.message
        assert message["To"] == recipient
        names = [part.get_filename() for part in message.iter_attachments()]
        expected = [report.attachment_name(MONTH) for report in routing.reports[recipient]]
        assert names == expected
        for part, report in zip(message.iter_attachments(), routing.reports[recipient]):
            assert hashlib.sha256(part.get_content()).hexdigest() == report.sha256
    sent = [row for row in log.rows() if row["status"] == SENT]
    assert {(row["recipient"], row["report"]) for row in sent} == {
        ("director@example.com", "center_report.pdf"), ("sup1@example.com", "teams/T01.pdf"),
        ("sup2@example.com", "teams/T02.pdf"),  # and the unaddressed T03, T04 for the director to forward
        ("director@example.com", "teams/T03.pdf"), ("director@example.com", "teams/T04.pdf")}
    assert all(row["transport"] == "smtp" and row["attempts"] == "1" for row in sent)


def test_nothing_is_sent_twice_across_runs_and_force_resends(month_dir):
    with smtp_server() as (server, port):
        _send(month_dir, _smtp(port))
        _send(month_dir, _smtp(port))
        assert len(server.received) == 3
        _send(month_dir, _smtp(port), force=True, only={"sup2@example.com"})
        assert len(server.received) == 4
        assert server.received[-1].message["Subject"].startswith("Resent: ")


def test_a_refused_recipient_fails_alone_and_is_logged(month_dir):
    recorder = Recorder(refuse={"sup1@example.com": "550 5.1.1 no such mailbox"})
    with smtp_server(recorder) as (server, port):
        rows, routing, log = _send(month_dir, _smtp(port))
    assert sorted(got.recipients[0] for got in server.received) == ["director@example.com", "sup2@example.com"]
    (failed,) = [row for row in rows if row["status"] == FAILED]
    assert failed["recipient"] == "sup1@example.com" and failed["attempts"] == 1  # permanent: not retried
    assert "550 5.1.1 no such mailbox" in failed["detail"]
    assert undelivered(routing, log.delivered()) == [("sup1@example.com", routing.reports["sup1@example.com"][0])]

    with smtp_server() as (server, port):  # the mailbox exists now: the next run sends only what is due
        _send(month_dir, _smtp(port))
    assert [got.recipients for got in server.received] == [["sup1@example.com"]]


def test_transient_refusals_are_retried_with_backoff(month_dir):
    recorder = Recorder(transient={"sup2@example.com": 2})
    with smtp_server(recorder) as (server, port):
        started = time.perf_counter()
        rows, _, _ = _send(month_dir, _smtp(port, first_wait_seconds=0.2))
        waited = time.perf_counter() - started
    (row,) = [row for row in rows if row["recipient"] == "sup2@example.com"]
    assert (row["status"], row["attempts"]) == (SENT, 3)
    assert waited >= 0.2 + 0.4  # two waits, the second twice the first
    assert [got.recipients[0] for got in server.received].count("sup2@example.com") == 1


def test_retries_give_up_after_the_last_attempt(month_dir):
    recorder = Recorder(transient={"sup2@example.com": 10})
    with smtp_server(recorder) as (server, port):
        rows, _, _ = _send(month_dir, _smtp(port, attempts=3))
    (row,) = [row for row in rows if row["recipient"] == "sup2@example.com"]
    assert (row["status"], row["attempts"]) == (FAILED, 3) and "451" in row["detail"]
    assert len(server.received) == 2


def test_a_connection_dropped_before_the_data_is_retried_on_a_new_one(month_dir):
    recorder = Recorder(drop_on_rcpt={2})  # the second message's RCPT loses the connection: nothing went out
    with smtp_server(recorder) as (server, port):
        rows, routing, log = _send(month_dir, _smtp(port))
    recipients = sorted(got.recipients[0] for got in server.received)
    assert recipients == ["director@example.com", "sup1@example.com", "sup2@example.com"]  # each exactly once
    attempts = {row["recipient"]: row["attempts"] for row in rows if row["status"] == SENT}
    assert attempts == {"director@example.com": 1, "sup1@example.com": 2, "sup2@example.com": 1}
    assert undelivered(routing, log.delivered()) == []


def test_a_connection_dropped_after_the_data_is_unknown_held_and_sent_again_only_when_forced(month_dir):
    recorder = Recorder(drop_on_data={2})  # the second message's data arrived, then the connection dropped
    with smtp_server(recorder) as (server, port):
        rows, routing, log = _send(month_dir, _smtp(port))
        (unknown,) = [row for row in rows if row["status"] == UNKNOWN]
        assert unknown["recipient"] == "sup1@example.com" and unknown["attempts"] == 1  # not retried
        assert "may have arrived" in unknown["detail"]
        assert sorted(got.recipients[0] for got in server.received) == ["director@example.com", "sup2@example.com"]

        again, _, _ = _send(month_dir, _smtp(port))  # a re-run does not guess: the report stays held
        assert again == [] and len(server.received) == 2
        assert undelivered(routing, log.delivered()) == [("sup1@example.com", routing.reports["sup1@example.com"][0])]

        forced, _, _ = _send(month_dir, _smtp(port), force=True, only={"sup1@example.com"})
    assert [(row["recipient"], row["status"], row["kind"]) for row in forced] == [("sup1@example.com", SENT, RESEND)]
    assert [got.recipients[0] for got in server.received][-1] == "sup1@example.com"


def test_a_wrong_password_fails_every_message_without_leaking_it(month_dir):
    credentials = Credentials("ccpulse-relay", "right horse battery")
    with smtp_server(credentials=credentials) as (server, port):
        rows, _, log = _send(month_dir, _smtp(port, username="ccpulse-relay", password="wrong staple 9f3k"))
    # One login (smtplib tries PLAIN, then LOGIN), not one per attempt and message: no retry storm.
    assert server.received == [] and credentials.attempts == 2
    failed = [row for row in rows if row["status"] == FAILED]
    # The director's message (the center report, T03 and T04 to forward) fails with 535; the others are not tried.
    assert len(failed) == 5 and all("535" in row["detail"] for row in failed[:3])
    assert failed[3]["detail"].startswith("not tried") and failed[4]["detail"].startswith("not tried")
    text = log.path.read_text(encoding="utf-8-sig")
    assert "wrong staple 9f3k" not in text and "ccpulse-relay" not in text


def test_login_then_starttls_and_implicit_tls(month_dir, tmp_path):
    authority = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(server_context)
    ca_file = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    credentials = Credentials("ccpulse-relay", "right horse battery")

    with smtp_server(credentials=credentials, tls_context=server_context) as (server, port):
        _send(month_dir, _smtp(port, security="starttls", ca_file=str(ca_file), username="ccpulse-relay",
                               password="right horse battery"))
    assert len(server.received) == 3

    with smtp_server(credentials=credentials, tls_context=server_context) as (server, port):
        center = _reports(month_dir)[0]
        letter = Letter(MONTH, "x@example.com", [center])
        message = compose(letter, "en", SENDER, {center.name: center.path.read_bytes()})
        with pytest.raises(SendFailed, match="CERTIFICATE_VERIFY_FAILED") as failure:
            _smtp(port, security="starttls").send(message, "x@example.com")
        assert failure.value.fatal and failure.value.attempts == 1  # an untrusted certificate is not retried

    with smtp_server(implicit_tls=server_context) as (server, port):
        other = month_dir.parent / "implicit" / MONTH
        other.mkdir(parents=True)
        _send(other, _smtp(port, security="tls", ca_file=str(ca_file)))
    assert len(server.received) == 3


def test_two_deliveries_of_one_month_at_once_send_each_message_once(month_dir):
    class Slow(OutboxTransport):
        def send(self, message, recipient):
            time.sleep(0.05)
            return super().send(message, recipient)

    outbox = month_dir / "outbox"
    reports = _reports(month_dir)  # written once: a PDF rewritten while the other thread hashes it is a change
    threads = [threading.Thread(target=_send, args=(month_dir, Slow(outbox)), kwargs={"reports": reports})
               for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sent = [row for row in DeliveryLog(month_dir).rows() if row["status"] == SENT]
    assert len(sent) == 5 and len(list(outbox.iterdir())) == 3  # 3 messages, the director's with 3 reports


def test_outbox_files_hold_exactly_what_the_standard_generator_writes(month_dir):
    center = _pdf(month_dir, "center_report.pdf", "center " + "x" * 4000)
    letter = Letter(MONTH, "director@example.com", [center], FIRST)
    message = compose(letter, "en", SENDER, {center.name: center.path.read_bytes()})
    written = message_bytes(message)
    # SMTP's policy, folding headers only past RFC 5322's 998 (tests/test_emails.py: the folder loses spaces)
    assert written == message.as_bytes(policy=email.policy.SMTP.clone(max_line_length=998))
    assert written.count(b"\r\n") > 20 and b"\n" not in written.replace(b"\r\n", b"")  # CRLF only (RFC 5322)
    parsed = email.message_from_bytes(written, policy=email.policy.default)
    assert next(parsed.iter_attachments()).get_content() == center.path.read_bytes()

    mixed = email.message.EmailMessage()
    mixed.set_content("a lone\rreturn, a\r\nCRLF and a\nnewline\n\n")
    assert message_bytes(mixed) == mixed.as_bytes(policy=email.policy.SMTP.clone(max_line_length=998))


def test_the_log_written_message_by_message_is_the_log_written_at_once(month_dir, tmp_path):
    rows, _, log = _send(month_dir, OutboxTransport(month_dir / "outbox"))
    (tmp_path / "at_once").mkdir()
    at_once = DeliveryLog(tmp_path / "at_once")
    at_once.append(rows)
    assert len(rows) == 7 and log.path.read_bytes() == at_once.path.read_bytes()  # 2 problems, 3 messages (5 reports)
    assert DeliveryLog(month_dir).rows() == [{key: str(row[key]) for key in LOG_COLUMNS} for row in rows]


@pytest.mark.parametrize("data", [bytes(range(256)) * 700 + b"tail", bytes(57 * 3), b""])  # a part line, whole lines, none
def test_an_attachment_is_encoded_as_the_standard_library_encodes_it(data):
    ours, theirs = email.message.EmailMessage(), email.message.EmailMessage()
    ours.add_attachment(data, maintype="application", subtype="pdf", filename="a.pdf", content_manager=_ATTACHMENTS)
    theirs.add_attachment(data, maintype="application", subtype="pdf", filename="a.pdf")
    (mine,), (standard,) = list(ours.iter_attachments()), list(theirs.iter_attachments())
    assert mine.get_payload() == standard.get_payload() and mine.items() == standard.items()
    assert mine.get_content() == data


def test_a_text_that_holds_the_mime_boundary_stops_its_message(month_dir):
    center = _pdf(month_dir, "center_report.pdf", "center")
    letter = Letter(MONTH, "director@example.com", [center], FIRST)
    fine = compose(letter, "en", SENDER, {center.name: center.path.read_bytes()})
    assert fine.get_boundary() == f"=_ccpulse_{letter.message_id_digest[:24]}_0"
    hostile = email.message.EmailMessage()
    hostile.set_content("plain ASCII goes out as 7bit:\n--=_ccpulse_0123456789abcdef01234567_0\n")
    hostile.add_attachment(b"%PDF", maintype="application", subtype="pdf", filename="a.pdf")
    assert hostile.get_body(("plain",))["Content-Transfer-Encoding"] == "7bit"
    with pytest.raises(ValueError, match="holds its MIME boundary"):
        _set_boundaries(hostile, "0123456789abcdef01234567")


def test_a_log_locked_again_keeps_what_another_delivery_wrote_meanwhile(month_dir):
    def row(recipient):
        return {key: "" for key in LOG_COLUMNS} | {"month": MONTH, "recipient": recipient, "status": SENT}

    ours, theirs = DeliveryLog(month_dir), DeliveryLog(month_dir)
    with ours.locked():
        ours.append([row("a@example.com")])
    with theirs.locked():
        theirs.append([row("b@example.com")])
    with ours.locked():  # the same object, a new session: it starts from the file, not from what it wrote
        ours.append([row("c@example.com")])
    assert [r["recipient"] for r in DeliveryLog(month_dir).rows()] == ["a@example.com", "b@example.com",
                                                                        "c@example.com"]
