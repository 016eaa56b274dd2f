"""Delivery when the data, the disk or the network misbehave (SPEC §11, "At most once, also across
crashes" and "One reader per report"): two supervisors on one address, a disk that fills while the
server has the message, a `kill -9` while the server answers DATA, a relay that is down, and
control characters or commas in what reaches a header."""

from __future__ import annotations

import asyncio
import email
import email.policy
import errno
import hashlib
import os
import signal
import socketserver
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pytest

import delivery.log
from assets.delivery import month_routing
from assets.reports import unaddressed_teams
from core.manifest import CENTER, TEAM, ReportEntry, read_manifest, record_reports
from core.months import Month
from delivery.addresses import header_safe
from delivery.compose import Letter, Report, compose
from delivery.log import FAILED, LOG_FILE, SENDING, SENT, SHARED_ADDRESS, UNKNOWN, DeliveryLog, LogNotWritten
from delivery.send import CONNECTION_FAILURES_BEFORE_STOPPING, deliver
from delivery.transports import OutboxTransport, SmtpConfig, SmtpTransport
from tests.pdfs import pdf_bytes
from tests.smtp_server import Received, Recorder, free_port, smtp_server

MONTH = "2026-10"
SENDER = "ccpulse <reports@ops.example.com>"
REPO = Path(__file__).resolve().parents[2]


def _compose(letter, pdfs):
    return compose(letter, "en", SENDER, pdfs)


def _month(tmp_path: Path, teams: dict[str, tuple[str | None, str | None]]) -> Path:
    """A rendered month: the center report and one PDF per team, recorded in the manifest with each team's
    (supervisor_email, supervisor_id)."""
    folder = tmp_path / MONTH
    entries = []

    def add(kind, report, team_id, address, supervisor_id):
        data = pdf_bytes(f"{report} v1")
        (folder / report).parent.mkdir(parents=True, exist_ok=True)
        (folder / report).write_bytes(data)
        entries.append(ReportEntry(report, kind, team_id, f"Report {team_id or 'center'}", address,
                                   hashlib.sha256(data).hexdigest(), 1, "fingerprint", "2026-11-03 06:00 UTC+08:00",
                                   [f"summary of {report}"], supervisor_id=supervisor_id))

    add(CENTER, "center_report.pdf", None, None, None)
    for team_id, (address, supervisor_id) in teams.items():
        add(TEAM, f"teams/{team_id}.pdf", team_id, address, supervisor_id)
    record_reports(folder, MONTH, CENTER, [e for e in entries if e.kind == CENTER])
    record_reports(folder, MONTH, TEAM, [e for e in entries if e.kind == TEAM])
    return folder


TWO_TEAMS = {"T1": ("sup1@example.com", "S1"), "T2": ("sup2@example.com", "S2")}


def _outbox(folder: Path) -> dict[str, email.message.EmailMessage]:
    messages = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                for p in (folder / "outbox").glob("*.eml")]
    return {m["To"].addresses[0].addr_spec: m for m in messages}


def _smtp(port: int, **overrides) -> SmtpTransport:
    settings = {"host": "127.0.0.1", "port": port, "security": "none", "attempts": 2, "first_wait_seconds": 0.01,
                "timeout_seconds": 5, **overrides}
    return SmtpTransport(SmtpConfig(**settings), SENDER)


def _statuses(rows) -> list[tuple[str, str, str]]:
    return [(row["recipient"], row["report"], row["status"]) for row in rows]


# ---- 6. One reader per report: two supervisors on one address ------------------------------------------------

def test_teams_of_two_supervisors_on_one_address_are_withheld_and_one_supervisor_gets_both_of_hers(tmp_path):
    folder = _month(tmp_path, {
        "T1": ("shared@example.com", "S1"), "T2": ("Shared@EXAMPLE.com", "S2"),  # one mailbox, two supervisors
        "T3": ("sup3@example.com", "S3"), "T4": ('"Wang, Fang" <sup3@example.com>', "S3"),  # one supervisor, 2 teams
    })
    routing = month_routing(folder, read_manifest(folder), ["director@example.com"])
    log = DeliveryLog(folder)
    rows = deliver(MONTH, routing, log, OutboxTransport(folder / "outbox"), _compose)

    sent = _outbox(folder)
    assert sorted(sent) == ["director@example.com", "sup3@example.com"]  # nothing to shared@ in any case
    attached = sorted(part.get_filename() for part in sent["sup3@example.com"].iter_attachments())
    assert attached == ["ccpulse_2026-10_team_T3.pdf", "ccpulse_2026-10_team_T4.pdf"]
    withheld = {row["report"]: row for row in rows if row["status"] == SHARED_ADDRESS}
    assert sorted(withheld) == ["teams/T1.pdf", "teams/T2.pdf"]
    assert "shares this supervisor_email with team(s) T2" in withheld["teams/T1.pdf"]["detail"]
    assert "with team(s) T1" in withheld["teams/T2.pdf"]["detail"]
    # A re-run neither sends them nor logs the same warning again.
    assert deliver(MONTH, routing, log, OutboxTransport(folder / "outbox"), _compose) == []


def test_a_month_with_two_supervisors_on_one_address_withholds_both_and_the_directors_brief_names_them(tmp_path):
    """Through `ccpulse run` on a small generated month: the warning, the log, the director's In brief."""
    from pipelines.cli import run_month
    from synthetic.generator import GenerateOptions, generate

    month = Month(2026, 10)
    data, out, home = tmp_path / "data", tmp_path / "out", tmp_path / "home"
    generate(GenerateOptions(agents=24, team_size=6, month=month, out=data, months_back=1, seed=5))
    for earlier in month.back(1):
        teams = pl.read_csv(data / str(earlier) / "teams.csv", infer_schema=False)
        names = dict(teams.select("team_id", "team_name").iter_rows())
        emails = dict(teams.select("team_id", "supervisor_email").iter_rows())
        # T02's supervisor is someone else than T01's (the generator gives each team its own), on T01's address.
        teams.with_columns(supervisor_email=pl.when(pl.col("team_id") == "T02").then(pl.lit(emails["T01"]))
                           .otherwise(pl.col("supervisor_email"))).write_csv(data / str(earlier) / "teams.csv")
    policy = tmp_path / "policy.yaml"
    policy.write_text("center_report_recipients: [director@example.com]\n", encoding="utf-8")
    home.mkdir()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DAGSTER_HOME", str(home))
        ok, messages, summary = run_month(month, str(data), str(out), policy=str(policy))
    assert ok, messages  # a warning, not a failed run
    assert "2 withheld (their supervisor_email is another supervisor's too)" in summary
    folder = out / str(month)
    sent = _outbox(folder)
    assert emails["T01"] not in sent and emails["T03"] in sent and "director@example.com" in sent
    rows = DeliveryLog(folder).rows()
    assert sorted(row["report"] for row in rows if row["status"] == SHARED_ADDRESS) == ["teams/T01.pdf",
                                                                                       "teams/T02.pdf"]
    brief = read_manifest(folder)["center_report.pdf"].summary
    withheld = ("2 team reports were withheld, not emailed, as teams of different supervisors share a supervisor "
                f"email: {names['T01']}; {names['T02']}; they are attached to this report's email: forward each to "
                "its own supervisor and correct the teams data.")
    assert brief[-1].endswith(withheld)  # after the team without an address, in the last sentence
    assert withheld in sent["director@example.com"].get_body(("plain",)).get_content()
    # SPEC §11: the director has them in hand to forward.
    attached = [part.get_filename() for part in sent["director@example.com"].iter_attachments()]
    assert {f"ccpulse_{month}_team_T01.pdf", f"ccpulse_{month}_team_T02.pdf"} <= set(attached)


def test_the_brief_counts_a_shared_address_only_among_teams_with_a_report():
    teams = pl.DataFrame({"team_id": ["T1", "T2", "T3", "T4", "T5"], "supervisor_id": ["S1", "S2", "S3", "S3", "S5"],
                          "supervisor_email": ["a@example.com", "A@example.com", "c@example.com", "c@example.com",
                                               "a@example.com"]})
    # T5 (no active agent, so no report) shares a@ too; T3 and T4 are one supervisor's.
    assert unaddressed_teams(teams, {"T1", "T2", "T3", "T4"}) == {"T1": "shared_address", "T2": "shared_address"}
    assert unaddressed_teams(teams.filter(pl.col("team_id") != "T2"), {"T1", "T3", "T4"}) == {}


# ---- 7. At most once, also across crashes ----------------------------------------------------------------------

def _full_disk_at(status: str):
    """The log write that holds a `status` row fails as a full disk does; every other write is real."""
    real = delivery.log.write_bytes_atomically

    def write(path, data, *args, **kwargs):
        if f",{status},".encode() in data:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(path, data, *args, **kwargs)

    return write


def test_a_disk_full_after_the_server_took_the_message_names_the_log_and_the_next_send_does_not_repeat_it(
        tmp_path, monkeypatch):
    folder = _month(tmp_path, TWO_TEAMS)
    routing = month_routing(folder, read_manifest(folder), ["director@example.com"])
    log = DeliveryLog(folder)
    with smtp_server() as (server, port):
        with monkeypatch.context() as patch:
            patch.setattr(delivery.log, "write_bytes_atomically", _full_disk_at(SENT))
            with pytest.raises(LogNotWritten) as failure:
                deliver(MONTH, routing, log, _smtp(port), _compose)
        assert str(folder / LOG_FILE) in str(failure.value) and "No space left on device" in str(failure.value)
        assert [got.recipients for got in server.received] == [["director@example.com"]]  # it had the first one
        assert _statuses(log.rows()) == [("director@example.com", "center_report.pdf", SENDING)]  # the intent stayed

        again = deliver(MONTH, routing, log, _smtp(port), _compose)  # the disk has room again
        assert _statuses(again) == [("director@example.com", "center_report.pdf", UNKNOWN),
                                    ("sup1@example.com", "teams/T1.pdf", SENT),
                                    ("sup2@example.com", "teams/T2.pdf", SENT)]
        assert "before its outcome was logged" in again[0]["detail"]
        assert deliver(MONTH, routing, log, _smtp(port), _compose) == []  # held for a person, not resent
    assert sorted(got.recipients[0] for got in server.received) == [
        "director@example.com", "sup1@example.com", "sup2@example.com"]  # each once
    assert SENDING not in {row["status"] for row in log.rows()}


def test_a_disk_full_before_the_message_goes_out_sends_nothing_and_names_the_log(tmp_path, monkeypatch):
    folder = _month(tmp_path, TWO_TEAMS)
    routing = month_routing(folder, read_manifest(folder), ["director@example.com"])
    log = DeliveryLog(folder)
    with smtp_server() as (server, port):
        with monkeypatch.context() as patch:
            patch.setattr(delivery.log, "write_bytes_atomically", _full_disk_at(SENDING))
            with pytest.raises(LogNotWritten, match=f"{LOG_FILE}: the delivery log could not be written"):
                deliver(MONTH, routing, log, _smtp(port), _compose)
        assert server.received == [] and log.rows() == []  # no intent on disk, so nothing was handed over
        rows = deliver(MONTH, routing, log, _smtp(port), _compose)
    assert [row["status"] for row in rows] == [SENT, SENT, SENT] and len(server.received) == 3


@dataclass
class HoldsTheFirstData(Recorder):
    """Takes the first message's data and answers only once released: the client is killed meanwhile."""

    release: threading.Event = field(default_factory=threading.Event)

    async def handle_DATA(self, server, session, envelope):
        self.data_commands += 1
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        while self.data_commands == 1 and not self.release.is_set():
            await asyncio.sleep(0.02)
        return "250 Message accepted for delivery"


SEND_IN_A_CHILD = """
import sys
from pathlib import Path
from core.manifest import CENTER, read_manifest
from delivery.compose import Report, compose
from delivery.log import DeliveryLog
from delivery.send import deliver, route
from delivery.transports import SmtpConfig, SmtpTransport

folder, port = Path(sys.argv[1]), int(sys.argv[2])
entries = list(read_manifest(folder).values())
report = lambda e: Report(e.report, folder / e.report, e.title, tuple(e.summary), e.sha256, e.pages)
center = next(report(e) for e in entries if e.kind == CENTER)
teams = [e for e in entries if e.kind != CENTER]
routing = route(center, ["director@example.com"], {e.team_id: report(e) for e in teams},
                {e.team_id: e.address for e in teams}, {e.team_id: e.supervisor_id for e in teams})
deliver("%s", routing, DeliveryLog(folder), SmtpTransport(SmtpConfig("127.0.0.1", port, "none"), "%s"),
        lambda letter, pdfs: compose(letter, "en", "%s", pdfs))
""" % (MONTH, SENDER, SENDER)


def test_a_kill_while_the_server_answers_data_leaves_an_intent_that_the_next_send_holds(tmp_path):
    folder = _month(tmp_path, TWO_TEAMS)
    recorder = HoldsTheFirstData()
    with smtp_server(recorder) as (server, port):
        child = subprocess.Popen([sys.executable, "-c", SEND_IN_A_CHILD, str(folder), str(port)], cwd=REPO,
                                 env={**os.environ, "PYTHONPATH": str(REPO)}, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 60
            while not server.received and child.poll() is None and time.monotonic() < deadline:
                time.sleep(0.02)
            assert server.received, child.stderr.read().decode(errors="replace") if child.poll() is not None else ""
            os.kill(child.pid, signal.SIGKILL)  # the server has the data and has not answered yet
            child.wait(10)
        finally:
            recorder.release.set()
            if child.poll() is None:
                child.kill()
            child.stderr.close()
        assert child.returncode == -signal.SIGKILL
        log = DeliveryLog(folder)
        assert _statuses(log.rows()) == [("director@example.com", "center_report.pdf", SENDING)]

    with smtp_server() as (again, port):
        routing = month_routing(folder, read_manifest(folder), ["director@example.com"])
        rows = deliver(MONTH, routing, log, _smtp(port), _compose)
    assert _statuses(rows) == [("director@example.com", "center_report.pdf", UNKNOWN),
                               ("sup1@example.com", "teams/T1.pdf", SENT), ("sup2@example.com", "teams/T2.pdf", SENT)]
    assert sorted(got.recipients[0] for got in again.received) == ["sup1@example.com", "sup2@example.com"]


# ---- 12. A relay that is down: stop after a few messages, leave the rest due ------------------------------------

FIVE_TEAMS = {f"T{n}": (f"sup{n}@example.com", f"S{n}") for n in range(1, 6)}  # six messages with the director's


@dataclass
class RefusesStarttls(Recorder):
    """Offers STARTTLS and answers 454 to it, as a relay whose certificate store is broken does."""

    sessions: int = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.sessions += 1
        session.host_name = hostname
        return [*responses[:-1], "250-STARTTLS", responses[-1]]


@contextmanager
def busy_greeting():
    """A server that greets every connection with `421 too busy` and hangs up; yields (connections, port)."""
    connections = []

    class Busy(socketserver.BaseRequestHandler):
        def handle(self):
            connections.append(1)
            self.request.sendall(b"421 4.3.2 too busy, try again later\r\n")

    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), Busy) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield connections, server.server_address[1]
        finally:
            server.shutdown()


@contextmanager
def refusing():
    """A port nothing listens on: every connection is refused."""
    yield None, free_port()


@contextmanager
def refusing_starttls():
    recorder = RefusesStarttls()
    with smtp_server(recorder) as (_, port):
        yield recorder, port


@pytest.mark.parametrize("server, security, reply", [
    (refusing, "none", "ConnectionRefusedError"),
    (busy_greeting, "none", "421 4.3.2 too busy"),
    (refusing_starttls, "starttls", "454 TLS not available"),
])
def test_a_relay_that_is_down_stops_delivery_after_a_few_messages_and_leaves_the_rest_due(
        tmp_path, server, security, reply):
    folder = _month(tmp_path, FIVE_TEAMS)
    routing = month_routing(folder, read_manifest(folder), ["director@example.com"])
    log = DeliveryLog(folder)
    with server() as (seen, port):
        rows = deliver(MONTH, routing, log, _smtp(port, security=security), _compose)
    tried = CONNECTION_FAILURES_BEFORE_STOPPING
    assert _statuses(rows) == [("director@example.com", "center_report.pdf", FAILED),
                               ("sup1@example.com", "teams/T1.pdf", FAILED),
                               ("sup2@example.com", "teams/T2.pdf", FAILED)]
    assert all(reply in row["detail"] and row["attempts"] == 2 for row in rows)
    assert rows.stopped.startswith(f"the mail server could not be reached for {tried} messages in a row")
    assert "3 more message(s) (3 report(s)) not tried and left due" in rows.stopped
    if isinstance(seen, RefusesStarttls):
        assert seen.sessions == tried * 2  # 3 messages of 2 attempts, not 6
    elif seen is not None:
        assert len(seen) == tried * 2

    with smtp_server() as (back, port):  # the relay is back: the next send sends all six, each once
        again = deliver(MONTH, routing, log, _smtp(port), _compose)
    assert [row["status"] for row in again] == [SENT] * 6
    assert sorted(got.recipients[0] for got in back.received) == [
        "director@example.com", *[f"sup{n}@example.com" for n in range(1, 6)]]


def test_recipients_refused_one_after_another_do_not_stop_delivery(tmp_path):
    """A 451 to RCPT is about that mailbox, not the server: every message is still tried."""
    folder = _month(tmp_path, FIVE_TEAMS)
    recorder = Recorder(transient={f"sup{n}@example.com": 10 for n in range(1, 6)})
    with smtp_server(recorder) as (server, port):
        rows = deliver(MONTH, month_routing(folder, read_manifest(folder), ["director@example.com"]),
                       DeliveryLog(folder), _smtp(port), _compose)
    assert [row["status"] for row in rows] == [SENT] + [FAILED] * 5 and rows.stopped == ""
    assert recorder.rcpt_commands == 1 + 5 * 2


# ---- 13. Header values: no control characters, one display name one address --------------------------------------

def test_header_values_lose_control_characters():
    dirty = "Team\x00 A\x1b[31m\x07\x7f\x9b red\r\nBcc: x@example.com\x85"
    assert header_safe(dirty) == "Team A[31m red Bcc: x@example.com"


def test_control_characters_in_a_team_name_never_reach_the_subject_or_the_body(tmp_path):
    data = pdf_bytes("t")
    report = Report("teams/T1.pdf", tmp_path / "t.pdf", "Team report: 上海\x00\x1b]0;owned\x07 \x7fA",
                    ("CSAT\x1b[2J 95%",), hashlib.sha256(data).hexdigest(), 1)
    message = compose(Letter(MONTH, "sup1@example.com", [report]), "en", SENDER, {report.name: data})
    raw = message.as_bytes(policy=email.policy.SMTP)
    assert not any(byte in raw for byte in (0, 0x07, 0x1B, 0x7F))
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Subject"].endswith("Team report: 上海]0;owned A")
    assert "CSAT[2J 95%" in parsed.get_body(("plain",)).get_content()


def test_a_display_name_with_a_comma_and_chinese_stays_one_address(tmp_path):
    folder = _month(tmp_path, {"T1": ('"Li, Na 阳丽" <li.na@example.com>', "S1")})
    deliver(MONTH, month_routing(folder, read_manifest(folder), []), DeliveryLog(folder),
            OutboxTransport(folder / "outbox"), _compose)
    (path,) = (folder / "outbox").glob("*.eml")
    (to,) = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)["To"].addresses
    assert (to.display_name, to.addr_spec) == ("Li, Na 阳丽", "li.na@example.com")
    # And as a client that reads the header without decoding it first sees it: one address.
    raw_to = next(line for line in path.read_bytes().split(b"\r\n") if line.startswith(b"To:"))
    assert raw_to.count(b",") == 0 and raw_to.endswith(b"<li.na@example.com>")


def test_a_display_name_with_control_characters_loses_them(tmp_path):
    data = pdf_bytes("c")
    report = Report("center_report.pdf", tmp_path / "c.pdf", "Center report", (), hashlib.sha256(data).hexdigest(), 1)
    letter = Letter(MONTH, "li.na@example.com", [report], display_name="Li\x00, Na\x1b 阳丽\x07")
    parsed = email.message_from_bytes(compose(letter, "en", SENDER, {report.name: data}).as_bytes(),
                                      policy=email.policy.default)
    (to,) = parsed["To"].addresses
    assert (to.display_name, to.addr_spec) == ("Li, Na 阳丽", "li.na@example.com")
