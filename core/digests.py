"""Digests of files, for what decides whether something computed earlier still holds (a report laid out, an
earlier month's health kept)."""

from __future__ import annotations

import hashlib
from pathlib import Path


def files_digest(folder: Path, patterns: tuple[str, ...]) -> str:
    """SHA-256 over the files under `folder` matching `patterns`: each one's path relative to `folder` and its
    bytes, in path order."""
    digest = hashlib.sha256()
    for path in sorted({p for pattern in patterns for p in folder.glob(pattern) if p.is_file()}):
        digest.update(f"{path.relative_to(folder)}\0".encode() + path.read_bytes() + b"\0")
    return digest.hexdigest()
