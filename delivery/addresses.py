"""Email addresses checked before anything is sent (SPEC §11: an invalid address is refused)."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email


class InvalidAddress(ValueError):
    pass


def checked_address(text: str) -> str:
    """The address in normal form (domain lower-cased), or InvalidAddress saying what is wrong.

    Syntax only: a monthly batch must not depend on DNS, and the mail server is the judge of
    whether a mailbox exists.
    """
    try:
        return validate_email(text.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise InvalidAddress(f"invalid address {text!r}: {exc}") from exc
