"""Email addresses checked before anything is sent (SPEC §11: an invalid address is refused)."""

from __future__ import annotations

from dataclasses import dataclass
from email.policy import default as _EMAIL_POLICY

from email_validator import EmailNotValidError, validate_email


class InvalidAddress(ValueError):
    pass


@dataclass(frozen=True)
class Addressee:
    address: str  # normal form (domain lower-cased): what identifies a recipient in the log
    display_name: str = ""


def parse_addressee(text: str) -> Addressee:
    """`li.na@example.com` or `"Li, Na" <li.na@example.com>`, checked; InvalidAddress saying what is wrong.

    Syntax only: a monthly batch must not depend on DNS, and the mail server is the judge of
    whether a mailbox exists. One address per field: a list is refused, not half-used.
    """
    cleaned = " ".join(text.split())  # a line break in a data value is never part of an address
    try:
        header = _EMAIL_POLICY.header_factory("To", cleaned)
        parsed = header.addresses
    except (ValueError, IndexError, TypeError):  # the header parser's ways of saying "not an address"
        parsed = ()
    if len(parsed) != 1 or not parsed[0].addr_spec or header.defects:
        raise InvalidAddress(f"invalid address {text!r}: expected one address, as a@b.c or \"Name\" <a@b.c>")
    display_name, address = parsed[0].display_name, parsed[0].addr_spec
    if "@" in display_name:  # "evil@example.com" <boss@example.com> would show the wrong person: drop the name
        display_name = ""
    try:
        normal = validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise InvalidAddress(f"invalid address {text!r}: {exc}") from exc
    return Addressee(normal, display_name)


def checked_address(text: str) -> str:
    """The address in normal form, or InvalidAddress."""
    return parse_addressee(text).address
