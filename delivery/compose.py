"""The message a manager receives: subject and body (plain text and HTML) in the report's
language, the month's headline figures, and the PDFs attached."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

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
    figures: tuple[tuple[str, str], ...]
    sha256: str

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

    @property
    def message_id_digest(self) -> str:
        parts = [self.month, self.recipient, self.kind, self.nonce] + sorted(r.name + r.sha256 for r in self.reports)
        return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


def sha256_of(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _message(subject: str, sender: str, recipient: str, kind: str, month: str, identity: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = recipient
    message["Date"] = formatdate(localtime=False, usegmt=True)
    domain = sender.rsplit("@", 1)[-1].strip(">") or "ccpulse.invalid"
    message["Message-ID"] = f"<ccpulse.{month}.{identity}@{domain}>"
    message[KIND_HEADER] = kind
    message["X-Ccpulse-Month"] = month
    return message


def compose(letter: Letter, language: str, sender: str) -> EmailMessage:
    t = Translator(language)
    titles = ", ".join(report.title for report in letter.reports)
    subject = t("email_subject", month=letter.month, reports=titles)
    if letter.kind != FIRST:
        subject = t(f"email_prefix_{letter.kind}") + subject
    context = {
        "t": t, "lang": language, "month": letter.month, "kind": letter.kind, "subject": subject,
        "reports": [{"title": report.title, "figures": report.figures, "file": report.attachment_name(letter.month),
                     "replaced_at": letter.replaced_at.get(report.name, "")} for report in letter.reports],
    }
    # The same letter always gets the same Message-ID, so a mail client can tell a duplicate.
    message = _message(subject, sender, letter.recipient, letter.kind, letter.month, letter.message_id_digest[:32])
    message.set_content(_templates.get_template("email.txt").render(**context))
    message.add_alternative(_templates.get_template("email.html").render(**context), subtype="html")
    for report, shown in zip(letter.reports, context["reports"]):
        message.add_attachment(report.path.read_bytes(), maintype="application", subtype="pdf", filename=shown["file"])
    message["Content-Language"] = language  # after the parts are made: making them moves Content-* headers inward
    return message


def compose_alert(language: str, sender: str, recipient: str, month: str, job: str, run_id: str, when: str,
                  failures: list[str]) -> EmailMessage:
    """The run-failure alert for ops: which month, which run, what failed, what to do."""
    t = Translator(language)
    message = _message(t("alert_subject", month=month), sender, recipient, "alert", month, f"alert.{run_id}")
    message.set_content(_templates.get_template("alert.txt").render(
        t=t, month=month, job=job, run_id=run_id, when=when, failures=failures or [t("alert_no_step")]))
    return message
