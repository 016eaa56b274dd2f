"""Delivery as a hostile data supplier and a flaky network would try it (SPEC §11): header
injection, lists passed off as one address, a message that cannot be built, a report cut short
on disk, and a server that answers only after the client gave up."""

from __future__ import annotations

import email
import email.policy
import hashlib
from pathlib import Path

import pytest

from assets.delivery import month_routing
from core.manifest import CENTER, TEAM, ReportEntry, read_manifest, record_reports
from delivery.compose import Letter, Report, compose
from delivery.log import BROKEN, FAILED, INVALID_ADDRESS, SENT, UNKNOWN, DeliveryLog
from delivery.send import deliver, route
from delivery.transports import OutboxTransport, SmtpConfig, SmtpTransport
from reports.render import LaidOut, UnreadablePdf, parses_as, write_checked
from tests.pdfs import pdf_bytes
from tests.smtp_server import Recorder, smtp_server

MONTH = "2026-10"
SENDER = "ccpulse <reports@ops.example.com>"


def _compose(letter, pdfs):
    return compose(letter, "en", SENDER, pdfs)


def _month(tmp_path, teams: dict[str, tuple[str, str | None]]) -> tuple:
    """A rendered month: the center report and one PDF per team (title, address), in a manifest."""
    folder = tmp_path / MONTH
    entries = []

    def add(kind, report, team_id, title, address, pages=1):
        data = pdf_bytes(f"{report} v1", pages)
        (folder / report).parent.mkdir(parents=True, exist_ok=True)
        (folder / report).write_bytes(data)
        entries.append(ReportEntry(report, kind, team_id, title, address, hashlib.sha256(data).hexdigest(), pages,
                                   "fingerprint", "2026-11-03 06:00 UTC+08:00", [f"summary of {title}"]))

    add(CENTER, "center_report.pdf", None, "Center report", None, pages=2)
    for number, (team_id, (title, address)) in enumerate(teams.items(), start=1):
        add(TEAM, f"teams/T{number}.pdf", team_id, title, address)
    record_reports(folder, MONTH, CENTER, [e for e in entries if e.kind == CENTER])
    record_reports(folder, MONTH, TEAM, [e for e in entries if e.kind == TEAM])
    return folder, {e.report: e for e in entries}


def _outbox(folder) -> dict[str, email.message.EmailMessage]:
    messages = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                for p in (folder / "outbox").glob("*.eml")]
    return {m["To"].addresses[0].addr_spec: m for m in messages}


def test_line_breaks_in_names_never_reach_a_header_and_injected_addresses_are_refused(tmp_path):
    folder, entries = _month(tmp_path, {
        "T1": ("Team report: 上海\r\nBcc: evil@example.com", "sup1@example.com"),
        "T2": ("Team report: B", "sup2@example.com\r\nBcc: evil@example.com"),
        "T3": ("Team report: C", '"Li, Na" <li.na@example.com>'),
        "T4": ("Team report: D", "a@example.com, evil@example.com"),
    })
    routing = month_routing(folder, read_manifest(folder), ["director@example.com"])
    rows = deliver(MONTH, routing, DeliveryLog(folder), OutboxTransport(folder / "outbox"), _compose)
    sent = _outbox(folder)
    assert sorted(sent) == ["director@example.com", "li.na@example.com", "sup1@example.com"]
    for message in sent.values():  # the text may stay in a subject; it never becomes a header or a recipient
        assert message["Bcc"] is None and message["Cc"] is None and len(message["To"].addresses) == 1
    subject = sent["sup1@example.com"]["Subject"]
    assert "\r" not in subject and "\n" not in subject and subject.endswith("Team report: 上海 Bcc: evil@example.com")
    assert sent["li.na@example.com"]["To"].addresses[0].display_name == "Li, Na"  # display names are accepted
    refused = {row["report"]: row for row in rows if row["status"] == INVALID_ADDRESS}
    assert sorted(refused) == ["teams/T2.pdf", "teams/T4.pdf"]


def test_a_message_that_cannot_be_built_is_logged_and_the_others_still_go_out(tmp_path):
    folder, _ = _month(tmp_path, {"T1": ("Team report: A", "sup1@example.com"),
                                  "T2": ("Team report: B", "sup2@example.com")})
    def fragile(letter, pdfs):
        if letter.recipient == "sup1@example.com":
            raise ValueError("a header the library refuses")
        return _compose(letter, pdfs)

    routing = month_routing(folder, read_manifest(folder), ["director@example.com"])
    rows = deliver(MONTH, routing, DeliveryLog(folder), OutboxTransport(folder / "outbox"), fragile)
    status = {row["recipient"]: (row["status"], row["detail"]) for row in rows}
    assert status["sup1@example.com"][0] == FAILED and "could not be built" in status["sup1@example.com"][1]
    assert status["sup2@example.com"][0] == SENT and status["director@example.com"][0] == SENT
    assert sorted(_outbox(folder)) == ["director@example.com", "sup2@example.com"]


@pytest.mark.parametrize("damage", ["cut short", "swapped", "missing"])
def test_a_broken_pdf_is_refused_and_logged_and_the_others_still_go_out(tmp_path, damage):
    folder, entries = _month(tmp_path, {"T1": ("Team report: A", "sup1@example.com"),
                                        "T2": ("Team report: B", "sup2@example.com")})
    path = folder / "teams/T1.pdf"
    if damage == "cut short":  # a run killed while writing it (had it not been written atomically)
        path.write_bytes(path.read_bytes()[:300])
    elif damage == "swapped":  # another team's report put in its place
        path.write_bytes((folder / "teams/T2.pdf").read_bytes())
    else:
        path.unlink()
    routing = month_routing(folder, read_manifest(folder), ["director@example.com"])
    log = DeliveryLog(folder)
    rows = deliver(MONTH, routing, log, OutboxTransport(folder / "outbox"), _compose)
    (broken,) = [row for row in rows if row["status"] == BROKEN]
    assert broken["recipient"] == "sup1@example.com" and broken["report"] == "teams/T1.pdf"
    assert sorted(_outbox(folder)) == ["director@example.com", "sup2@example.com"]
    assert not any(row["status"] == SENT and row["report"] == "teams/T1.pdf" for row in log.rows())


def test_a_pdf_swapped_after_the_check_fails_its_message_and_goes_nowhere(tmp_path):
    """Delivery checks every PDF first, then reads each again as its message attaches it (one message's PDFs in
    memory at a time): a file swapped in between is caught by the second check, not sent."""
    folder, _ = _month(tmp_path, {"T1": ("Team report: A", "sup1@example.com"),
                                  "T2": ("Team report: B", "sup2@example.com")})

    def swap_then_compose(letter, pdfs):
        if letter.recipient == "sup1@example.com":
            (folder / "teams/T1.pdf").write_bytes(pdf_bytes("swapped after the check"))
        return _compose(letter, pdfs)

    rows = deliver(MONTH, month_routing(folder, read_manifest(folder), []), DeliveryLog(folder),
                   OutboxTransport(folder / "outbox"), swap_then_compose)
    statuses = {(row["recipient"], row["report"]): (row["status"], row["detail"]) for row in rows}
    status, detail = statuses["sup1@example.com", "teams/T1.pdf"]
    assert status == FAILED and "is not the file the render step wrote" in detail
    assert statuses["sup2@example.com", "teams/T2.pdf"][0] == SENT
    assert sorted(_outbox(folder)) == ["sup2@example.com"]


def test_a_pdf_that_does_not_read_back_is_removed_and_recorded_without_a_digest(tmp_path, monkeypatch):
    """The render step parses every file it writes: one that is not what was written (a disk that cut it short)
    is removed, so that delivery finds nothing to send and logs it broken_report; the others are untouched."""
    import reports.render as render

    def cut_short(path, data):
        Path(path).write_bytes(data[: len(data) // 2])

    renderer = render.Renderer()
    context = {"lang": "en", "title": "T", "month": MONTH, "generated_at": "now", "footer_meta": "",
               "brief": (), "small_sample_note": ""}
    html = "base.html"
    good = write_checked(tmp_path / "good.pdf", renderer.lay_out(html, context, render.Earlier(), "UTC"))
    monkeypatch.setattr(render, "write_bytes_atomically", cut_short)
    bad = write_checked(tmp_path / "bad.pdf", renderer.lay_out(html, context, render.Earlier(), "UTC"))
    assert (bad.sha256, bad.pages) == ("", 0) and not (tmp_path / "bad.pdf").exists()
    assert good.sha256 == hashlib.sha256((tmp_path / "good.pdf").read_bytes()).hexdigest() and good.pages == 1


@pytest.mark.parametrize("on_disk, laid_out, refusal", [
    (pdf_bytes("one page"), 3, "parses to 1 pages, WeasyPrint laid out 3"),
    (b"%PDF-1.7\n not a PDF after all", 1, "does not parse as a PDF"),
])
def test_a_written_pdf_that_does_not_read_back_as_laid_out_is_never_recorded(tmp_path, on_disk, laid_out, refusal,
                                                                            monkeypatch, caplog):
    """Each PDF is parsed where it was laid out and read back where it is written; delivery trusts a file only by
    that file's SHA-256."""
    import reports.render as render

    with pytest.raises(UnreadablePdf, match=refusal):
        parses_as(on_disk, laid_out, "T1.pdf")
    good = pdf_bytes("two pages", pages=2)
    assert parses_as(good, 2, "T1.pdf") is None
    pdf = LaidOut(2, hashlib.sha256(good).hexdigest(), "", "", data=good)
    target = tmp_path / "T1.pdf"
    monkeypatch.setattr(render, "write_bytes_atomically", lambda path, data: Path(path).write_bytes(data + b"%"))
    assert write_checked(target, pdf).sha256 == "" and not target.exists()
    assert "does not read back as written" in caplog.text
    monkeypatch.undo()
    assert write_checked(target, pdf).sha256 == pdf.sha256 and target.read_bytes() == good


def test_a_server_that_answers_after_the_timeout_gets_the_message_once(tmp_path):
    folder, _ = _month(tmp_path, {"T1": ("Team report: A", "sup1@example.com"),
                                  "T2": ("Team report: B", "sup2@example.com")})
    routing = month_routing(folder, read_manifest(folder), [])
    recorder = Recorder(stall_after_data=1.5)  # accepts each message, but answers only after 1.5 s
    with smtp_server(recorder) as (server, port):
        transport = SmtpTransport(SmtpConfig("127.0.0.1", port, "none", timeout_seconds=0.5, attempts=4,
                                             first_wait_seconds=0.01), SENDER)
        log = DeliveryLog(folder)
        rows = deliver(MONTH, routing, log, transport, _compose)
        again = deliver(MONTH, routing, log, SmtpTransport(transport.config, SENDER), _compose)
    assert [(row["recipient"], row["status"], row["attempts"]) for row in rows if row["recipient"]] == [
        ("sup1@example.com", UNKNOWN, 1), ("sup2@example.com", UNKNOWN, 1)]  # not retried
    assert sorted(got.recipients[0] for got in server.received) == ["sup1@example.com", "sup2@example.com"]
    assert again == []  # held for a person to decide: a duplicate is worse than a question


def test_a_recipients_list_in_one_field_is_refused_not_half_used(tmp_path):
    report = Report("center_report.pdf", tmp_path / "c.pdf", "Center report", (), "0" * 64, 1)
    routing = route(report, ["director@example.com; evil@example.com", "ops@example.com"], {}, {})
    assert list(routing.reports) == ["ops@example.com"]
    assert [u.status for u in routing.unroutable] == [INVALID_ADDRESS]


def test_the_to_header_keeps_a_display_name_with_a_comma_as_one_address(tmp_path):
    data = pdf_bytes("c")
    report = Report("center_report.pdf", tmp_path / "c.pdf", "Center report", (), hashlib.sha256(data).hexdigest(), 1)
    letter = Letter(MONTH, "li.na@example.com", [report], display_name="Li, Na\r\nBcc: evil@example.com")
    message = compose(letter, "en", SENDER, {"center_report.pdf": data})
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    (to,) = parsed["To"].addresses
    assert to.addr_spec == "li.na@example.com" and to.display_name == "Li, Na Bcc: evil@example.com"
    assert parsed["Bcc"] is None


def test_a_later_message_never_replaces_an_earlier_one_in_the_outbox(tmp_path):
    folder, _ = _month(tmp_path, {"T1": ("Team report: A", "sup1@example.com")})
    outbox = folder / "outbox"
    deliver(MONTH, month_routing(folder, read_manifest(folder), []), DeliveryLog(folder), OutboxTransport(outbox),
            _compose)
    (first,) = outbox.iterdir()
    before = first.read_bytes()
    # sup1 is made a center recipient too: a new first message to the same address, with the center report
    deliver(MONTH, month_routing(folder, read_manifest(folder), ["sup1@example.com"]), DeliveryLog(folder),
            OutboxTransport(outbox), _compose)
    files = sorted(outbox.iterdir())
    assert len(files) == 2 and first.read_bytes() == before  # the team report's message is still there, unchanged
    attached = {part.get_filename() for path in files for part in email.message_from_bytes(
        path.read_bytes(), policy=email.policy.default).iter_attachments()}
    assert attached == {"ccpulse_2026-10_team_T1.pdf", "ccpulse_2026-10_center_report.pdf"}


def test_a_display_name_that_looks_like_an_address_is_dropped_and_titles_stay_on_one_line(tmp_path):
    folder, _ = _month(tmp_path, {"T1": ("Team report: 上海\r\nBcc: evil@example.com",
                                         "=?utf-8?b?ZXZpbEBldmlsLmV4YW1wbGU=?= <s005@example.com>")})
    deliver(MONTH, month_routing(folder, read_manifest(folder), []), DeliveryLog(folder),
            OutboxTransport(folder / "outbox"), _compose)
    (message,) = _outbox(folder).values()
    (to,) = message["To"].addresses
    assert (to.addr_spec, to.display_name) == ("s005@example.com", "")  # "evil@evil.example" shown nowhere
    body = message.get_body(("plain",)).get_content()
    assert "\nBcc:" not in body and "Team report: 上海 Bcc: evil@example.com" in body
