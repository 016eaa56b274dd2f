"""A real SMTP server (aiosmtpd) on loopback that records what it accepts and can misbehave on cue."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import ssl
from contextlib import contextmanager
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: bytes

    @property
    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)


@dataclass
class Recorder:
    """aiosmtpd handler. `refuse`: recipient → reply to RCPT; `transient`: recipient → how many
    times to answer 451 first; `drop_on_rcpt`: which RCPT commands (1-based) drop the connection,
    before any data went out; `drop_on_data`: which messages (1-based) lose the connection once
    their data has arrived; `stall_after_data`: seconds to wait before answering a message's data
    (it is accepted all the same, as a slow server would)."""

    received: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    transient: dict[str, int] = field(default_factory=dict)
    drop_on_rcpt: set[int] = field(default_factory=set)
    drop_on_data: set[int] = field(default_factory=set)
    stall_after_data: float = 0
    data_commands: int = 0
    rcpt_commands: int = 0
    rcpt_replies: list[str] = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpt_commands += 1
        if self.rcpt_commands in self.drop_on_rcpt:
            server.transport.close()
            return "421 4.3.2 going away"
        if address in self.refuse:
            reply = self.refuse[address]
        elif self.transient.get(address, 0) > 0:
            self.transient[address] -= 1
            reply = "451 4.3.0 mailbox busy, try again later"
        else:
            envelope.rcpt_tos.append(address)
            reply = "250 OK"
        self.rcpt_replies.append(f"{address}: {reply}")
        return reply

    async def handle_DATA(self, server, session, envelope):
        self.data_commands += 1
        if self.data_commands in self.drop_on_data:
            server.transport.close()  # the data arrived, then the connection drops before the answer
            return "421 4.3.2 going away"
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        if self.stall_after_data:
            await asyncio.sleep(self.stall_after_data)
        return "250 Message accepted for delivery"


class Credentials:
    def __init__(self, user: str, password: str):
        self.user, self.password = user, password
        self.attempts = 0

    def __call__(self, server, session, envelope, mechanism, auth_data):
        self.attempts += 1
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == self.user
              and auth_data.password.decode() == self.password)
        return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535 itself


@contextmanager
def smtp_server(recorder: Recorder | None = None, credentials: Credentials | None = None,
                tls_context: ssl.SSLContext | None = None, implicit_tls: ssl.SSLContext | None = None):
    """Yields (recorder, port). `tls_context` offers STARTTLS; `implicit_tls` serves TLS from the start."""
    recorder = recorder or Recorder()
    options = {}
    if credentials is not None:
        options.update(authenticator=credentials, auth_required=True,
                       auth_require_tls=tls_context is not None or implicit_tls is not None)
    if tls_context is not None:
        options.update(tls_context=tls_context, require_starttls=True)
    if implicit_tls is not None:
        options.update(ssl_context=implicit_tls)
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield recorder, port
    finally:
        controller.stop()
