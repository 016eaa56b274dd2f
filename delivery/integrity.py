"""Nothing is sent that was not checked (SPEC §11): each PDF is read once, and its bytes go out
only when they are the ones the render step recorded and they parse as a PDF of that many pages.
A run killed while writing, a file cut short or swapped since, is refused and reported."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from pypdf import PdfReader


class BrokenReport(Exception):
    """The PDF is missing, not the one rendered, or not readable: it must not be sent."""


def checked_pdf(path: Path, sha256: str, pages: int) -> bytes:
    """The file's bytes, once they are known to be the rendered report; BrokenReport otherwise."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise BrokenReport(f"{path.name} cannot be read ({error.strerror or error})") from None
    if hashlib.sha256(data).hexdigest() != sha256:
        raise BrokenReport(f"{path.name} is not the file the render step wrote (its SHA-256 differs from the "
                           "manifest's: cut short or changed since); run the month again")
    try:
        found = len(PdfReader(io.BytesIO(data), strict=True).pages)
    except Exception as error:  # pypdf raises several kinds for a damaged file
        raise BrokenReport(f"{path.name} does not parse as a PDF ({error})") from None
    if found != pages:
        raise BrokenReport(f"{path.name} has {found} pages, the render step wrote {pages}")
    return data
