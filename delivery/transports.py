"""How a message leaves: `.eml` files in the month's outbox (the default) or an SMTP server.

SMTP failures are sorted into transient ones (4xx replies, dropped or refused connections,
timeouts), retried with exponential backoff on a fresh connection, and permanent ones
(5xx replies, TLS and login failures), which fail that message at once. A connection lost after
the message data went out, before the server's answer, leaves the outcome unknown: the message
may have arrived, so it is not retried (SPEC §11). Neither the user name nor the password ever
appears in an error text.
"""

from __future__ import annotations

import hashlib
import io
import smtplib
import ssl
from dataclasses import dataclass
from email.generator import BytesGenerator
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from typing import Literal, Protocol

from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from core.atomic import write_bytes_atomically
from core.names import safe_file_name

KIND_HEADER = "X-Ccpulse-Kind"


class _WholePartGenerator(BytesGenerator):
    """The standard generator, but a part's line endings are converted in one pass instead of two writes per
    line: the same bytes (a test compares them), several times faster on a base64 PDF of 6,000 lines."""

    def _write_lines(self, lines):
        if lines:  # every "\r\n", "\r" or "\n" becomes the policy's line end, as the generator's own loop does
            self.write(lines.replace("\r\n", "\n").replace("\r", "\n").replace("\n", self._NL))


# Headers are not folded below RFC 5322's hard limit of 998: the standard library's folder drops the space between
# two words that land in different encoded-words ("Software Park" read back as "SoftwarePark" in a Chinese subject).
SMTP_POLICY = SMTP.clone(max_line_length=998)


def message_bytes(message: EmailMessage) -> bytes:
    """`message.as_bytes(policy=SMTP)`: RFC 5322 with CRLF line ends."""
    buffer = io.BytesIO()
    _WholePartGenerator(buffer, mangle_from_=False, policy=SMTP_POLICY).flatten(message)
    return buffer.getvalue()


class SendFailed(Exception):
    """A message that did not go out. `fatal`: no later message can go out either (login, TLS).
    `unknown`: it may have gone out after all (the answer to its data was lost). `unreachable`: its last attempt
    failed to open a session (refused, a timeout, 4xx to the greeting or to STARTTLS): the server, not the message."""

    def __init__(self, detail: str, attempts: int, fatal: bool = False, unknown: bool = False,
                 unreachable: bool = False):
        super().__init__(detail)
        self.detail, self.attempts, self.fatal, self.unknown = detail, attempts, fatal, unknown
        self.unreachable = unreachable


class OutcomeUnknown(Exception):
    """The message data went out and the server's answer did not come back."""


class Transport(Protocol):
    name: str

    def send(self, message: EmailMessage, recipient: str) -> int:
        """Hand the message over; returns the attempts it took, or raises SendFailed."""

    def close(self) -> None: ...


class OutboxTransport:
    """Standard `.eml` files (RFC 5322, CRLF), one per message, for a mail client or relay to pick up."""

    name = "outbox"

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def file_for(self, message: EmailMessage, recipient: str) -> Path:
        """One file per message: the recipient's safe name and the message's own identity, so a later
        message never replaces an earlier one, and the same message written again after a crash before
        it was logged lands on itself. An address is data: "/", a leading "." or 300 characters are legal
        in it, never in our file name."""
        identity = hashlib.sha256(str(message["Message-ID"]).encode("utf-8")).hexdigest()[:12]
        kind = message.get(KIND_HEADER, "first")
        return self.folder / f"{safe_file_name(recipient)}.{kind}.{identity}.eml"

    def send(self, message: EmailMessage, recipient: str) -> int:
        write_bytes_atomically(self.file_for(message, recipient), message_bytes(message))
        return 1

    def close(self) -> None:
        pass


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 587
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str = ""
    password: str = ""
    ca_file: str = ""  # a private CA for the relay's certificate; the system's CAs otherwise
    timeout_seconds: float = 30
    attempts: int = 4
    first_wait_seconds: float = 2
    max_wait_seconds: float = 60

    def __repr__(self) -> str:  # never shows the credentials
        return f"SmtpConfig(host={self.host!r}, port={self.port}, security={self.security!r})"


class _KnowsWhenDataWentOut:
    """An SMTP connection that notes when a message's data, up to its closing ".", has been sent."""

    data_sent = False

    def mail(self, *args, **kwargs):
        self.data_sent = False  # a new message
        return super().mail(*args, **kwargs)

    def send(self, s):
        super().send(s)
        if isinstance(s, bytes) and s.endswith(b"\r\n.\r\n"):  # no command ends so, only the data
            self.data_sent = True


class _Smtp(_KnowsWhenDataWentOut, smtplib.SMTP):
    pass


class _SmtpSsl(_KnowsWhenDataWentOut, smtplib.SMTP_SSL):
    pass


def _is_transient(error: BaseException) -> bool:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    if isinstance(error, (ssl.SSLError, smtplib.SMTPNotSupportedError)):
        return False
    return isinstance(error, (smtplib.SMTPServerDisconnected, OSError))


class SmtpTransport:
    name = "smtp"

    def __init__(self, config: SmtpConfig, sender: str):
        self.config, self.sender = config, sender
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        context = ssl.create_default_context(cafile=config.ca_file or None)
        if config.security == "tls":
            smtp = _SmtpSsl(config.host, config.port, timeout=config.timeout_seconds, context=context)
        else:
            smtp = _Smtp(config.host, config.port, timeout=config.timeout_seconds)
        try:
            if config.security == "starttls":
                smtp.starttls(context=context)
            if config.username:
                smtp.login(config.username, config.password)
        except BaseException:
            smtp.close()  # a 454 to STARTTLS leaves the socket open: each retry would hold one more
            raise
        return smtp

    def _drop(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.close()
            finally:
                self._smtp = None

    def _hand_over(self, message: EmailMessage, recipient: str) -> None:
        if self._smtp is None:
            try:
                self._smtp = self._connect()
            except Exception as error:
                error.ccpulse_while_connecting = True  # a permanent failure here stops every message
                raise
        try:
            self._smtp.send_message(message, from_addr=self.sender, to_addrs=[recipient])
        except Exception as error:
            data_sent = self._smtp.data_sent
            if _is_transient(error) or data_sent:
                self._drop()  # the next attempt (or message) starts on a fresh connection
            if data_sent and not isinstance(error, smtplib.SMTPResponseException):
                raise OutcomeUnknown(f"{type(error).__name__}: {error}") from error
            raise

    def send(self, message: EmailMessage, recipient: str) -> int:
        config = self.config
        retrying = Retrying(
            stop=stop_after_attempt(config.attempts),
            wait=wait_exponential(multiplier=config.first_wait_seconds, max=config.max_wait_seconds),
            retry=retry_if_exception(_is_transient),
            reraise=True,
        )
        try:
            retrying(self._hand_over, message, recipient)
        except OutcomeUnknown as error:
            detail = (f"{self.describe(error)}: the connection was lost after the message data went out, so it "
                      "may have arrived; not retried (check with the recipient, then `ccpulse send --force --to`)")
            raise SendFailed(detail, retrying.statistics.get("attempt_number", 1), unknown=True) from None
        except Exception as error:
            attempts = retrying.statistics.get("attempt_number", 1)
            connecting = getattr(error, "ccpulse_while_connecting", False)
            transient = _is_transient(error)
            raise SendFailed(self.describe(error), attempts, fatal=connecting and not transient,
                             unreachable=connecting and transient) from None
        return retrying.statistics.get("attempt_number", 1)

    def describe(self, error: BaseException) -> str:
        if isinstance(error, smtplib.SMTPRecipientsRefused):
            text = "; ".join(f"{who}: {code} {reply.decode(errors='replace')}"
                             for who, (code, reply) in error.recipients.items())
        elif isinstance(error, smtplib.SMTPResponseException):
            reply = error.smtp_error.decode(errors="replace") if isinstance(error.smtp_error, bytes) else error.smtp_error
            text = f"{error.smtp_code} {reply}"
        else:
            text = f"{type(error).__name__}: {error}"
        text = f"{self.config.host}:{self.config.port}: {text}"
        for secret in (self.config.password, self.config.username):
            if secret:
                text = text.replace(secret, "***")
        return text

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self._smtp = None
