"""The message a manager receives: subject and body (plain text and HTML) in the report's
language, the sentences each report opens with, and the PDFs attached — the very bytes that were
checked against the manifest, read once."""

from __future__ import annotations

import binascii
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.contentmanager import ContentManager, raw_data_manager
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from delivery.addresses import header_safe
from delivery.transports import KIND_HEADER
from reports.i18n import Translator
from reports.render import TEMPLATES

FIRST, CORRECTION, RESEND = "first", "correction", "resend"

_templates = Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined,
                         autoescape=select_autoescape(["html"], default_for_string=True), keep_trailing_newline=True)


@dataclass(frozen=True)
class Report:
    name: str  # its path in the month folder, which names it in the log: center_report.pdf, teams/T01.pdf
    path: Path
    title: str
    summary: tuple[str, ...]
    sha256: str  # as the render step recorded it (manifest.json)
    pages: int = 0
    problem: str = ""  # why it must not be sent (missing, cut short, changed since rendering); "" when checked
    reader_name: str = ""  # a team report's supervisor, whom its email greets by name
    status: str = ""  # red, amber or green: the subject says it, the HTML shows it as a labelled colour
    teams_by_status: tuple[tuple[str, int], ...] = ()  # the center report's teams per status
    table: bool = False  # a CSV that travels with the center report (team_comparison.csv), not a PDF report
    counted: str = "teams"  # what teams_by_status counts: a group report's are "centers"

    @property
    def content_type(self) -> tuple[str, str]:
        return ("text", "csv") if self.table else ("application", "pdf")

    def attachment_name(self, month: str) -> str:
        return f"ccpulse_{month}_" + self.name.replace("teams/", "team_", 1).replace("/", "_")


@dataclass
class Letter:
    """One message to one recipient, with every report of theirs that is still to go out."""

    month: str
    recipient: str
    reports: list[Report]
    kind: str = FIRST
    replaced_at: dict[str, str] = field(default_factory=dict)  # report name → when its earlier version went out
    nonce: str = ""  # set for a forced resend, so that it is a new message
    display_name: str = ""
    forward: dict[str, str] = field(default_factory=dict)  # report name → why the recipient forwards it (SPEC §11)

    @property
    def message_id_digest(self) -> str:
        parts = [self.month, self.recipient, self.kind, self.nonce] + sorted(r.name + r.sha256 for r in self.reports)
        return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


def _message(subject: str, sender: str, recipient: str, kind: str, month: str, identity: str,
             display_name: str = "") -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = header_safe(subject)
    message["From"] = sender
    # An Address, not a string: the policy quotes a name with a comma and encodes non-ASCII text as one unit, where
    # formataddr leaves `Li, Na =?utf-8?…?=` that a reader parses as two addresses.
    message["To"] = Address(display_name=header_safe(display_name), addr_spec=recipient)
    message["Date"] = formatdate(localtime=False, usegmt=True)
    domain = sender.rsplit("@", 1)[-1].strip(">") or "ccpulse.invalid"
    message["Message-ID"] = f"<ccpulse.{month}.{identity}@{domain}>"
    message[KIND_HEADER] = kind
    message["X-Ccpulse-Month"] = month
    return message


# The colour of a status label in the HTML email; the label also holds the word, so colour is never the only sign.
STATUS_COLOURS = {"red": "#b42318", "amber": "#b54708", "green": "#067647"}
SMALL_SAMPLE_MARK = "†"


def _headline(t: Translator, report: Report) -> str:
    """The report's title with its status, as the subject says it: "Center report — 2 teams red"."""
    counts = dict(report.teams_by_status)
    if counts:
        worst = next((status for status in ("red", "amber") if counts.get(status)), "")
        status = (t(f"email_subject_{report.counted}_{worst}", count=counts[worst]) if worst
                  else t(f"email_subject_{report.counted}_green", count=sum(counts.values())))
    elif report.status in STATUS_COLOURS:
        status = t(f"email_subject_team_{report.status}")
    else:  # a manifest written before reports recorded their status
        return report.title
    return t("email_headline", report=report.title, status=status)


def _labels(t: Translator, report: Report) -> list[dict]:
    """The status labels shown beside a report's title: a team's status, or the center's teams per status."""
    if report.teams_by_status:
        return [{"text": t("email_label_teams", count=count, status=t(f"status_{status}")),
                 "colour": STATUS_COLOURS[status]}
                for status in STATUS_COLOURS for name, count in report.teams_by_status if name == status and count]
    if report.status in STATUS_COLOURS:
        return [{"text": t(f"status_{report.status}"), "colour": STATUS_COLOURS[report.status]}]
    return []


def _greeting(t: Translator, own: list[Report]) -> str:
    """By name when every report of the letter is one supervisor's; the director has no name in the data."""
    names = {header_safe(report.reader_name) for report in own}
    if len(names) == 1 and (name := names.pop()):
        return t("email_greeting_name", name=name)
    return t("email_greeting")


def compose(letter: Letter, language: str, sender: str, attachments: Mapping[str, bytes]) -> EmailMessage:
    """The letter as a message; `attachments` holds each report's checked bytes by report name."""
    t = Translator(language)
    own = [report for report in letter.reports if report.name not in letter.forward]
    forwarded = [report for report in letter.reports if report.name in letter.forward]
    # A table rides with the report it details: the subject names it only when it goes alone (a correction of it).
    headlines = [_headline(t, report) for report in own if not report.table] or [report.title for report in own]
    if forwarded:
        headlines.append(t("email_subject_forward", count=len(forwarded)))
    subject = t("email_subject", month=letter.month, reports=t("email_subject_separator").join(headlines))
    if letter.kind != FIRST:
        subject = t(f"email_prefix_{letter.kind}") + subject

    def shown(report: Report) -> dict:
        return {"title": header_safe(report.title), "summary": [header_safe(line) for line in report.summary],
                "file": report.attachment_name(letter.month), "labels": _labels(t, report),
                "label_text": t.join([label["text"] for label in _labels(t, report)]),
                "replaced_at": letter.replaced_at.get(report.name, ""),
                "why": t(f"unaddressed_{letter.forward[report.name]}") if report.name in letter.forward else ""}

    context = {
        "t": t, "lang": language, "month": letter.month, "kind": letter.kind, "subject": header_safe(subject),
        "greeting": _greeting(t, own), "reports": [shown(report) for report in own],
        # The group director's message: the group report, about centers, whose directors answer for their figures.
        "group": any(report.counted == "centers" for report in own),
        "forwarded": [shown(report) for report in forwarded],
        # The footer explains the † only when a sentence of the body carries one.
        "small_sample": any(SMALL_SAMPLE_MARK in line for report in own for line in report.summary),
    }
    # The same letter always gets the same Message-ID, so a mail client can tell a duplicate.
    message = _message(subject, sender, letter.recipient, letter.kind, letter.month, letter.message_id_digest[:32],
                       letter.display_name)
    message.set_content(_templates.get_template("email.txt").render(**context))
    message.add_alternative(_templates.get_template("email.html").render(**context), subtype="html")
    for report in own + forwarded:
        maintype, subtype = report.content_type
        message.add_attachment(attachments[report.name], maintype=maintype, subtype=subtype,
                               filename=report.attachment_name(letter.month), content_manager=_ATTACHMENTS)
        if report.table:  # the CSV's bytes are UTF-8 (with BOM): said, so that a previewer shows Chinese as written
            message.get_payload()[-1].set_param("charset", "utf-8")
    message["Content-Language"] = language  # after the parts are made: making them moves Content-* headers inward
    _set_boundaries(message, letter.message_id_digest)
    # Its headers are folded only past RFC 5322's 998 (the parts are encoded already): the standard library's folder
    # drops the space between two words split into different encoded-words, "Software Park" → "SoftwarePark".
    message.policy = message.policy.clone(max_line_length=998)
    return message


def _set_attachment(part: EmailMessage, data: bytes, maintype: str, subtype: str, filename: str) -> None:
    """The standard bytes handler's headers, and the same base64 lines made in one pass instead of one call per
    57 bytes (a 330 KB PDF is 6,000 of them)."""
    raw_data_manager.set_content(part, b"", maintype, subtype, cte="base64", filename=filename)
    width = part.policy.max_line_length // 4 * 4
    encoded = binascii.b2a_base64(data, newline=False).decode("ascii")
    lines = [encoded[start:start + width] for start in range(0, len(encoded), width)]
    part.set_payload("\n".join(lines) + "\n" if lines else "")


_ATTACHMENTS = ContentManager()
_ATTACHMENTS.add_set_handler(bytes, _set_attachment)


def _set_boundaries(message: EmailMessage, digest: str) -> None:
    """Boundaries of our own, from the letter's identity: the generator would otherwise search the whole
    message for a random one that does not occur in it. Base64 lines hold no "-"; the text parts are checked."""
    multiparts = [part for part in message.walk() if part.is_multipart()]
    texts = [part.get_payload() for part in message.walk() if part.get_content_maintype() == "text"]
    for number, part in enumerate(multiparts):
        boundary = f"=_ccpulse_{digest[:24]}_{number}"
        if any(boundary in text for text in texts):
            raise ValueError(f"the text of the message holds its MIME boundary {boundary}")
        part.set_boundary(boundary)


def compose_alert(language: str, sender: str, recipient: str, month: str, job: str, run_id: str, when: str,
                  failures: list[str], ui_url: str, out_folder: str) -> EmailMessage:
    """The run-failure alert for ops: which month, which run (a link to it in the UI at `ui_url`, or how to find
    it there), what failed, where the outputs are, what to do."""
    t = Translator(language)
    message = _message(t("alert_subject", month=month), sender, recipient, "alert", month, f"alert.{run_id}")
    message.set_content(_templates.get_template("alert.txt").render(
        t=t, month=month, job=job, run_id=run_id, when=when, failures=failures or [t("alert_no_step")],
        ui_url=ui_url, out_folder=out_folder))
    return message


def compose_data_late_alert(language: str, sender: str, recipient: str, month: str, missing: list[str],
                            data: str, when: str) -> EmailMessage:
    """The schedule day's alert when month M's data is still incomplete: said once, instead of a run that fails."""
    t = Translator(language)
    message = _message(t("late_subject", month=month), sender, recipient, "alert", month, f"late.{month}")
    message.set_content(_templates.get_template("data_late.txt").render(
        t=t, month=month, missing=missing, data=data, when=when))
    return message
