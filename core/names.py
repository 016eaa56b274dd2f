"""File names made from data (SPEC §2): an id is never a path.

A team's PDF and an email file are named after a team id or an address that the center's data
supplies, and any Unicode text is a valid id: `../center_report`, `/etc/x`, 300 characters,
emoji. Every such name comes from `safe_file_name`, so none can leave its folder, clash with a
file of ours, or be too long for the file system.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_UNSAFE_RUN = re.compile(r"[^A-Za-z0-9_.-]+")
SLUG_LENGTH = 40


def id_digest(identifier: str) -> str:
    return hashlib.sha256(identifier.encode("utf-8")).hexdigest()


def safe_file_name(identifier: str, digits: int = 8) -> str:
    """The id itself when it matches SAFE_ID; otherwise a readable ASCII slug of it and the first
    `digits` hex digits of its SHA-256 (`../center_report` → `center_report-3f1c9a0b`)."""
    if SAFE_ID.fullmatch(identifier):
        return identifier
    ascii_text = unicodedata.normalize("NFKD", identifier).encode("ascii", "ignore").decode("ascii")
    slug = _UNSAFE_RUN.sub("_", ascii_text)
    slug = slug.lstrip("._-")[:SLUG_LENGTH].rstrip("._-") or "id"
    return f"{slug}-{id_digest(identifier)[:digits]}"


def safe_file_names(identifiers: list[str]) -> dict[str, str]:
    """A distinct safe name per id. Two ids whose names collide (told apart by case only, or an id
    crafted to equal another's slug and digest) both get the longer, full-digest form."""
    names = {identifier: safe_file_name(identifier) for identifier in identifiers}
    seen: dict[str, list[str]] = {}
    for identifier, name in names.items():
        seen.setdefault(name.lower(), []).append(identifier)  # case-insensitive file systems exist
    for clashing in seen.values():
        if len(clashing) > 1:
            for identifier in clashing:
                names[identifier] = f"{safe_file_name(identifier)[:SLUG_LENGTH]}-{id_digest(identifier)}"
    return names
