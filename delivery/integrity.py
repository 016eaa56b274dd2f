"""Nothing is sent that was not checked (SPEC §11): each PDF is read once, and its bytes go out only
when they are the ones the render step wrote, read back and parsed (its SHA-256 is the manifest's).
A run killed while writing, a file cut short or swapped since, is refused and reported."""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl


class BrokenReport(Exception):
    """The PDF is missing, not the one rendered, or not readable: it must not be sent."""


def checked_pdf(path: Path, sha256: str) -> bytes:
    """The file's bytes, once they are known to be the rendered report; BrokenReport otherwise.

    These very bytes were parsed where they were laid out, and read back once written (reports.render.write_checked),
    before their SHA-256 was recorded: the same digest means the same bytes, so they are not parsed again here
    (5 ms a PDF, 2.5 s for 500 teams).
    """
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise BrokenReport(f"{path.name} cannot be read ({error.strerror or error})") from None
    if hashlib.sha256(data).hexdigest() != sha256:
        raise BrokenReport(f"{path.name} is not the file the render step wrote (its SHA-256 differs from the "
                           "manifest's: cut short or changed since); run the month again")
    return data


def checked_table(path: Path, sha256: str, key: str = "team_id") -> bytes:
    """A CSV's bytes once they are the ones the report step wrote (the manifest's SHA-256) and read as a table
    with its `key` column (a CSV is cheap to parse, unlike a PDF); BrokenReport otherwise."""
    data = checked_pdf(path, sha256)  # the same digest check: the bytes that were recorded, whole
    try:
        table = pl.read_csv(data.removeprefix(b"\xef\xbb\xbf"), infer_schema_length=0)
    except Exception as error:  # polars raises several kinds for a file that is no CSV
        raise BrokenReport(f"{Path(path).name} does not read as a CSV ({type(error).__name__})") from None
    if key not in table.columns:
        raise BrokenReport(f"{Path(path).name} has no {key} column")
    return data
