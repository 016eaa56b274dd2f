"""Email addresses checked before anything is sent (SPEC §11: an invalid address is refused)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from email.policy import default as _EMAIL_POLICY

from email_validator import EmailNotValidError, validate_email


# C0 and C1 control characters (NUL, BEL, ESC, DEL, …) except the white space among them, which becomes a space.
_CONTROLS = {code: None for code in (*range(0x20), *range(0x7F, 0xA0)) if not chr(code).isspace()}


class InvalidAddress(ValueError):
    pass


def header_safe(text: str) -> str:
    """A value fit for a header (SPEC §11): no line breaks (no header injection), no control characters (a NUL
    or an ESC sequence reaches the reader's mail client as it is), runs of white space as one space."""
    return " ".join(text.translate(_CONTROLS).split())


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


def shared_by_several_supervisors(addresses: Mapping[str, str],
                                  supervisors: Mapping[str, str | None]) -> dict[str, list[str]]:
    """Teams whose address (normal form, `team_id → address`) is also another supervisor's: team_id → every team
    on that address, in order. One mailbox for two supervisors means one of them would read the other team's
    report (SPEC §11, one reader per report). One supervisor leading several teams is not shared; a team whose
    supervisor_id is unknown counts as led by someone else."""
    teams_at: dict[str, list[str]] = {}
    for team_id in sorted(addresses):
        # Mail servers treat the local part's case as the same mailbox: so does this check, to be safe.
        teams_at.setdefault(addresses[team_id].casefold(), []).append(team_id)
    shared = {}
    for teams in teams_at.values():
        leaders = {supervisors.get(team_id) or f"unknown supervisor of {team_id}" for team_id in teams}
        if len(leaders) > 1:
            shared.update({team_id: teams for team_id in teams})
    return shared
