"""Formula cells in a spreadsheet: read as the values it stored, never as a silent 0 (SPEC §2).

A spreadsheet stores, beside each formula, the value it last calculated, and that is what is
read. A file written by a program rather than by Excel or LibreOffice may hold formulas with no
value, or with a placeholder 0 and a flag asking to be recalculated when opened (xlsxwriter and
openpyxl write `fullCalcOnLoad`): read as they are, every such score would be 0. Those cells
stop the month, named, so a person opens the file in a spreadsheet program and saves it.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PACKAGE_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
# A cell, with any namespace prefix the writer chose: its reference and what it holds.
_CELL = re.compile(rb"<(?:\w+:)?c\s[^>]*?\br=\"([A-Z]+)(\d+)\"[^>]*?(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")


class XlsxTooLarge(ValueError):
    """A workbook whose parts would uncompress to more than the bound."""


_CHUNK = 1024 * 1024


def check_uncompressed_size(workbook: BinaryIO, limit: int) -> None:
    """Raise XlsxTooLarge when the workbook's parts uncompress to more than `limit` bytes.

    An XLSX is a zip: a few MB can hold gigabytes of repeated XML (a decompression bomb), which the
    spreadsheet reader would inflate whole. The sizes the zip declares are checked first; since they
    can lie, the parts are then inflated here a chunk at a time, counting, and the count stops at the
    limit (a part that inflates to more than it declared fails its checksum and reads as damaged).
    A file that is not a zip is left to the reader, which says what is wrong with it.
    """
    try:
        archive = zipfile.ZipFile(workbook)
    except zipfile.BadZipFile:
        return
    with archive:
        declared = sum(info.file_size for info in archive.infolist())
        if declared > limit:
            raise XlsxTooLarge(f"its parts declare {declared:,} bytes uncompressed")
        inflated = 0
        for info in archive.infolist():
            try:
                with archive.open(info) as part:
                    while chunk := part.read(_CHUNK):
                        inflated += len(chunk)
                        if inflated > limit:
                            raise XlsxTooLarge(f"its parts uncompress to more than {inflated:,} bytes")
            except (zipfile.BadZipFile, NotImplementedError, RuntimeError, EOFError, OSError) as error:
                raise ValueError(f"part {info.filename!r} cannot be read: {error}") from None


@dataclass(frozen=True)
class UncalculatedCell:
    column: int  # 0-based, counted from column A
    reference: str  # B7


def _first_sheet(archive: zipfile.ZipFile, workbook: ElementTree.Element) -> str:
    """The part holding the workbook's first sheet (the one read, as polars and calamine do)."""
    sheet = workbook.find(f"{_MAIN}sheets/{_MAIN}sheet")
    relationship = sheet.get(f"{_REL}id") if sheet is not None else None
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    for rel in rels.iter(f"{_PACKAGE_REL}Relationship"):
        if rel.get("Id") == relationship:
            target = rel.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
    return "xl/worksheets/sheet1.xml"


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - ord("A") + 1
    return number - 1


def uncalculated_formula_cells(workbook: Path | BinaryIO) -> list[UncalculatedCell]:
    """The first sheet's formula cells that have no value a person's spreadsheet program calculated."""
    try:
        with zipfile.ZipFile(workbook) as archive:
            workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
            sheet = archive.read(_first_sheet(archive, workbook))
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError):
        return []  # not a workbook this can look into; reading it will say what is wrong
    if not _FORMULA.search(sheet):
        return []
    calculation = workbook.find(f"{_MAIN}calcPr")
    recalculate = calculation is not None and calculation.get("fullCalcOnLoad") in ("1", "true")
    found = []
    for match in _CELL.finditer(sheet):
        body = match.group(3) or b""
        if not _FORMULA.search(body):
            continue
        value = _VALUE.search(body)
        if recalculate or value is None or not value.group(1).strip():
            found.append(UncalculatedCell(_column_number(match.group(1)), (match.group(1) + match.group(2)).decode()))
    return found
