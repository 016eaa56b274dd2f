"""The emails a manager reads (issue 26 item 9) and the team reports that ride with the center report to its
recipients when they cannot go to their supervisors (SPEC §11): routing, exactly-once and the words, in both
languages."""

from __future__ import annotations

import hashlib
import html
import io
from email import message_from_bytes, policy
from email.generator import BytesGenerator
from dataclasses import replace
from pathlib import Path

import pytest

from delivery.compose import CORRECTION, FIRST, Letter, Report, compose
from delivery.log import NO_ADDRESS, SENT, SHARED_ADDRESS, DeliveryLog
from delivery.send import deliver, plan, route
from delivery.transports import OutboxTransport, message_bytes
from reports.i18n import catalog
from tests.pdfs import pdf_bytes

MONTH = "2026-10"
SENDER = "ccpulse <reports@ops.example.com>"
DIRECTOR = "director@example.com"


def _pdf(folder: Path, name: str, body: str, **fields) -> Report:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pdf_bytes(body))
    return Report(name=name, path=path, title=fields.pop("title", f"Report {name}"),
                  summary=fields.pop("summary", ("CSAT: 95.0% (n=120)",)),
                  sha256=hashlib.sha256(path.read_bytes()).hexdigest(), pages=1, **fields)


@pytest.fixture
def month_dir(tmp_path) -> Path:
    folder = tmp_path / MONTH
    folder.mkdir()
    return folder


def _month(folder: Path, version: str = "v1") -> tuple[Report, dict[str, Report]]:
    center = _pdf(folder, "center_report.pdf", "center", title="Center report", status="amber",
                  teams_by_status=(("amber", 1), ("green", 1), ("red", 2)))
    teams = {team: _pdf(folder, f"teams/{team}.pdf", f"{team} {version if team == 'T03' else 'v1'}",
                        title=f"Team report: {team}", status="amber", reader_name=f"Supervisor {team}")
             for team in ("T01", "T02", "T03", "T04")}
    return center, teams


# T03 has no address; T01 and T04 share one but have different supervisors: withheld, both (SPEC §11).
EMAILS = {"T01": "shared@example.com", "T02": "sup2@example.com", "T03": None, "T04": "shared@example.com"}
SUPERVISORS = {"T01": "S1", "T02": "S2", "T03": "S3", "T04": "S4"}


def _routing(folder: Path, version: str = "v1"):
    center, teams = _month(folder, version)
    return route(center, [DIRECTOR], teams, EMAILS, SUPERVISORS)


def test_every_team_report_without_a_supervisor_to_take_it_is_attached_to_the_directors_message(month_dir):
    routing = _routing(month_dir)
    assert {who: [r.name for r in reports] for who, reports in routing.reports.items()} == {
        DIRECTOR: ["center_report.pdf", "teams/T01.pdf", "teams/T03.pdf", "teams/T04.pdf"],
        "sup2@example.com": ["teams/T02.pdf"]}
    assert routing.forward == {DIRECTOR: {"teams/T01.pdf": SHARED_ADDRESS, "teams/T03.pdf": NO_ADDRESS,
                                          "teams/T04.pdf": SHARED_ADDRESS}}
    # Still unroutable: their supervisors did not get them, and the log and the checks say so.
    assert sorted((u.report.name, u.status) for u in routing.unroutable) == [
        ("teams/T01.pdf", SHARED_ADDRESS), ("teams/T03.pdf", NO_ADDRESS), ("teams/T04.pdf", SHARED_ADDRESS)]
    letters = plan(MONTH, routing, {})
    assert letters[0].recipient == DIRECTOR and letters[0].forward == routing.forward[DIRECTOR]
    assert letters[1].forward == {}


def test_no_center_recipient_means_no_message_to_carry_them(month_dir):
    center, teams = _month(month_dir)
    routing = route(center, [], teams, EMAILS, SUPERVISORS)
    assert routing.reports == {"sup2@example.com": [teams["T02"]]} and routing.forward == {}


def test_the_directors_message_goes_once_and_a_changed_attached_team_report_is_a_correction(month_dir):
    def send(version: str):
        return deliver(MONTH, _routing(month_dir, version), DeliveryLog(month_dir), OutboxTransport(outbox),
                       lambda letter, pdfs: compose(letter, "en", SENDER, pdfs))

    outbox = month_dir / "outbox"
    first = [row for row in send("v1") if row["status"] == SENT]
    assert sorted((row["recipient"], row["report"], row["kind"]) for row in first) == [
        (DIRECTOR, "center_report.pdf", FIRST), (DIRECTOR, "teams/T01.pdf", FIRST),
        (DIRECTOR, "teams/T03.pdf", FIRST), (DIRECTOR, "teams/T04.pdf", FIRST),
        ("sup2@example.com", "teams/T02.pdf", FIRST)]
    # The same letter has the same identity each time it is planned: the log keys it by recipient and SHA-256.
    replanned = plan(MONTH, _routing(month_dir), {})[0]
    assert {row["message_id"] for row in first if row["recipient"] == DIRECTOR} == {
        f"<ccpulse.{MONTH}.{replanned.message_id_digest[:32]}@ops.example.com>"}
    assert [row for row in send("v1") if row["status"] == SENT] == []  # a re-run sends nothing twice
    assert len(list(outbox.iterdir())) == 2

    again = [row for row in send("v2") if row["status"] == SENT]  # T03's report changed
    assert [(row["recipient"], row["report"], row["kind"]) for row in again] == [
        (DIRECTOR, "teams/T03.pdf", CORRECTION)]
    newest = max(outbox.iterdir(), key=lambda path: path.stat().st_mtime_ns)
    text = newest.read_text(encoding="utf-8")
    assert "Subject: Correction: ccpulse 2026-10: 1 team report to forward" in text
    assert "ccpulse_2026-10_team_T03.pdf" in text and "ccpulse_2026-10_center_report.pdf" not in text


def _letter(reports: list[Report], forward: dict[str, str] | None = None, recipient: str = DIRECTOR) -> Letter:
    return Letter(MONTH, recipient, reports, forward=forward or {})


def _bodies(letter: Letter, language: str = "en"):
    pdfs = {report.name: report.path.read_bytes() for report in letter.reports}
    message = compose(letter, language, SENDER, pdfs)
    return (message, message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content())


def test_the_subject_carries_the_status_in_both_languages(month_dir):
    center, teams = _month(month_dir)
    director = _letter([center, teams["T03"]], {"teams/T03.pdf": NO_ADDRESS})
    supervisor = _letter([replace(teams["T02"], title="Team report: 武汉光谷2组")], recipient="sup2@example.com")
    assert _bodies(director)[0]["Subject"] == "ccpulse 2026-10: Center report — 2 teams red; 1 team report to forward"
    assert _bodies(supervisor)[0]["Subject"] == "ccpulse 2026-10: Team report: 武汉光谷2组 — your team is amber"
    assert _bodies(director, "zh-CN")[0]["Subject"] == \
        "ccpulse 2026-10：Center report — 2 个班组红色预警；另附 1 份班组报告待转交"
    assert _bodies(supervisor, "zh-CN")[0]["Subject"] == \
        "ccpulse 2026-10：Team report: 武汉光谷2组 — 本班组黄色预警"
    calm = replace(center, teams_by_status=(("amber", 3), ("green", 1)))
    assert _bodies(_letter([calm]))[0]["Subject"] == "ccpulse 2026-10: Center report — no team red, 3 amber"
    green = replace(center, teams_by_status=(("green", 4),))
    assert _bodies(_letter([green]))[0]["Subject"] == "ccpulse 2026-10: Center report — all 4 teams green"


def test_a_supervisor_is_greeted_by_name_and_the_director_neutrally(month_dir):
    center, teams = _month(month_dir)
    _, text, html = _bodies(_letter([teams["T02"]], recipient="sup2@example.com"))
    assert text.startswith("Hello Supervisor T02,\n") and "<p>Hello Supervisor T02,</p>" in html
    _, text, _ = _bodies(_letter([teams["T02"]], recipient="sup2@example.com"), "zh-CN")
    assert text.startswith("Supervisor T02，您好：\n")
    # The director's letter carries T03's report to forward: T03's supervisor is not the one reading it.
    _, text, _ = _bodies(_letter([center, teams["T03"]], {"teams/T03.pdf": NO_ADDRESS}))
    assert text.startswith("Hello,\n")


def test_one_attachment_is_one_report_in_both_languages(month_dir):
    center, teams = _month(month_dir)
    _, one, _ = _bodies(_letter([teams["T02"]]))
    assert "Attached is your contact-center report for 2026-10." in one and "The attached PDF is the record." in one
    _, two, _ = _bodies(_letter([teams["T01"], teams["T02"]]))
    assert "Attached are your contact-center reports for 2026-10." in two
    assert "The attached PDFs are the record." in two
    _, one_zh, _ = _bodies(_letter([teams["T02"]]), "zh-CN")
    _, two_zh, _ = _bodies(_letter([teams["T01"], teams["T02"]]), "zh-CN")
    assert "附件为您 2026-10 的呼叫中心报告。" in one_zh
    assert "附件为您 2026-10 的 2 份呼叫中心报告。" in two_zh


def test_the_html_shows_each_status_as_a_coloured_label_with_its_word(month_dir):
    center, teams = _month(month_dir)
    _, text, html = _bodies(_letter([center]))
    assert ">2 red</span>" in html and "background: #b42318" in html
    assert ">1 amber</span>" in html and ">1 green</span>" in html
    assert html.index(">2 red<") < html.index(">1 amber<") < html.index(">1 green<")  # worst first
    assert "Center report [2 red; 1 amber; 1 green]" in text
    _, _, html = _bodies(_letter([teams["T02"]]), "zh-CN")
    assert "background: #b54708" in html and ">黄色预警</span>" in html


def test_the_footer_explains_the_small_sample_mark_only_when_the_body_shows_one(month_dir):
    _, teams = _month(month_dir)
    mark = catalog("en")["email_footer_small_sample"]
    _, text, html = _bodies(_letter([teams["T02"]]))
    assert "†" not in text and "†" not in html
    marked = replace(teams["T02"], summary=("CSAT: 80.0% (n=12)†",))
    _, text, html = _bodies(_letter([marked]))
    assert text.count(mark) == 1 and html.count(mark) == 1


def test_the_director_is_told_which_attached_reports_to_forward_and_why(month_dir):
    center, teams = _month(month_dir)
    forward = {"teams/T03.pdf": NO_ADDRESS, "teams/T04.pdf": SHARED_ADDRESS}
    message, text, body = _bodies(_letter([center, teams["T03"], teams["T04"]], forward))
    assert [part.get_filename() for part in message.iter_attachments()] == [
        "ccpulse_2026-10_center_report.pdf", "ccpulse_2026-10_team_T03.pdf", "ccpulse_2026-10_team_T04.pdf"]
    en = catalog("en")
    assert en["email_forward_heading"].format(count=2) in text
    assert f"Team report: T03 [amber]: {en['unaddressed_no_address']} (ccpulse_2026-10_team_T03.pdf)" in text
    assert en["unaddressed_shared_address"] in html.unescape(body)
    # Their own briefs speak to "your team": the director reads the reason instead.
    assert text.count("CSAT: 95.0% (n=120)") == 1
    _, text, _ = _bodies(_letter([center, teams["T03"]], {"teams/T03.pdf": NO_ADDRESS}), "zh-CN")
    zh = catalog("zh-CN")
    assert zh["email_forward_heading_one"] in text and zh["unaddressed_no_address"] in text


def test_a_long_subject_keeps_every_space_through_the_outbox_and_smtp(month_dir):
    """The subject now carries the status, long enough that the standard folder split it into encoded-words and
    dropped the space between them: "Dalian Software Park" read back as "Dalian SoftwarePark"."""
    team = _pdf(month_dir, "teams/T01.pdf", "T01", title="班组报告：Dalian Software Park2组", status="amber")
    message = compose(_letter([team]), "en", SENDER, {team.name: team.path.read_bytes()})
    smtp = io.BytesIO()
    BytesGenerator(smtp).flatten(message)  # what smtplib's send_message writes
    for data in (message_bytes(message), smtp.getvalue()):
        assert message_from_bytes(data, policy=policy.default)["Subject"] == \
            "ccpulse 2026-10: 班组报告：Dalian Software Park2组 — your team is amber"


@pytest.mark.parametrize("language, intro, subject, footer", [
    ("en", "Attached is the group report for 2026-10. In brief:", "ccpulse 2026-10: Group report — 2 centers red",
     "Questions about a center's figures go to that center's director."),
    ("zh-CN", "附件为 2026-10 的集团报告。本月摘要：", "2 个中心红色预警", "请联系该中心负责人。"),
])
def test_the_group_directors_message_is_about_centers(month_dir, language, intro, subject, footer):
    report = _pdf(month_dir, "group_report.pdf", "group", title="Group report", summary=("2 centers are red.",),
                  teams_by_status=(("amber", 1), ("red", 2)), counted="centers")
    message = compose(Letter("2026-10", "group.director@example.com", [report]), language,
                      "ccpulse <c@example.com>", {report.name: report.path.read_bytes()})
    text = message.get_body(("plain",)).get_content()
    assert subject in message["Subject"] and intro in text and footer in text
    assert "team" not in message["Subject"] and "班组" not in message["Subject"]
