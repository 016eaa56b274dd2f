"""Nothing is sent that was not checked (SPEC §11): each PDF is read once, and its bytes go out only
when they are the ones the render step wrote, read back and parsed (its SHA-256 is the manifest's).
A run killed while writing, a file cut short or swapped since, is refused and reported."""

from __future__ import annotations

import hashlib
from pathlib import Path


class BrokenReport(Exception):
    """The PDF is missing, not the one rendered, or not readable: it must not be sent."""


def checked_pdf(path: Path, sha256: str) -> bytes:
    """The file's bytes, once they are known to be the rendered report; BrokenReport otherwise.

    The render step parsed these very bytes (reports.render.read_back) before recording their SHA-256: the same
    digest means the same bytes, so they are not parsed again here (5 ms a PDF, 2.5 s for 500 teams).
    """
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise BrokenReport(f"{path.name} cannot be read ({error.strerror or error})") from None
    if hashlib.sha256(data).hexdigest() != sha256:
        raise BrokenReport(f"{path.name} is not the file the render step wrote (its SHA-256 differs from the "
                           "manifest's: cut short or changed since); run the month again")
    return data
