"""The default source: one file per source under `<data>/<YYYY-MM>/` (SPEC §2)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import polars as pl
from fastexcel import FastExcelError

from core.errors import Problem, StructuralError
from core.months import Month
from ingest.encoding import DamagedText, detect_encoding
from ingest.parse import MAX_EXAMPLES
from ingest.raw import RawTable
from ingest.xlsx import uncalculated_formula_cells
from schemas.catalog import FILE_EXTENSIONS

EXTENSIONS = FILE_EXTENSIONS


def read_csv_text(path: Path) -> pl.DataFrame:
    """Every column as text: types are the contract's business, not a guesser's."""
    data = path.read_bytes()
    try:
        text = data.decode(detect_encoding(data))
    except DamagedText as exc:
        raise StructuralError(str(path), [Problem(f"damaged UTF-8 text: {exc}")]) from None
    except UnicodeError as exc:
        raise StructuralError(str(path), [Problem(f"not readable as UTF-8, UTF-8 with BOM or GBK/GB18030 text ({exc})")])
    first_line = text.split("\n", 1)[0]
    try:
        separator = csv.Sniffer().sniff(first_line, delimiters=",;\t").delimiter
    except csv.Error:
        separator = ","
    try:
        frame = pl.read_csv(io.StringIO(text), separator=separator, infer_schema=False, missing_columns="insert")
    except pl.exceptions.PolarsError:
        # The parser's own message quotes the rest of the file; say where the file goes wrong instead.
        raise StructuralError(str(path), [Problem(f"not a well-formed CSV file: {malformed_line(text, separator)}")]) \
            from None
    if any(frame[name].str.contains("\n", literal=True).any() for name in frame.columns):
        swallowed = swallowed_rows(text, separator)
        if swallowed:
            raise StructuralError(str(path), [Problem(f"not a well-formed CSV file: {swallowed}")])
    return frame


def swallowed_rows(text: str, separator: str) -> str:
    """A quoted field that runs over lines which are whole rows themselves: a quote opened by mistake
    and closed by another one further down, so the rows between would vanish into one value. A real
    line break in a value (an address, a name) holds no line with a full row's separators."""
    lines = text.splitlines()
    reader = csv.reader(io.StringIO(text), delimiter=separator)
    start, width = 1, None
    for record in reader:
        width = len(record) if width is None else width
        inner = [line for value in record if "\n" in value for line in value.splitlines()[1:]]
        rows = [line for line in inner if line.count(separator) >= width - 1]
        if rows:
            return (f"line {start}: a quoted field runs over {reader.line_num - start + 1} lines and holds "
                    f"{len(rows)} that look like whole rows (a quote missing or extra?): {_excerpt(lines, start)}")
        start = reader.line_num + 1
    return ""


def _refuse_uncalculated_formulas(path: Path, frame: pl.DataFrame) -> None:
    """Stop on formula cells without a calculated value (they would read as 0 or empty), naming them."""
    cells = uncalculated_formula_cells(path)
    if not cells:
        return
    by_column: dict[int, list[str]] = {}
    for cell in cells:
        by_column.setdefault(cell.column, []).append(cell.reference)
    problems = []
    for column, references in sorted(by_column.items()):
        name = frame.columns[column] if column < frame.width else None
        shown = ", ".join(references[:MAX_EXAMPLES]) + (f" and {len(references) - MAX_EXAMPLES} more"
                                                        if len(references) > MAX_EXAMPLES else "")
        problems.append(Problem(
            f"{len(references)} formula cell{'s' if len(references) > 1 else ''} without a calculated value "
            f"({shown}); open the file in Excel or LibreOffice and save it, or export values", name))
    raise StructuralError(str(path), problems)


def malformed_line(text: str, separator: str) -> str:
    """Where a CSV that does not parse goes wrong: the line of the first bad record, briefly."""
    lines = text.splitlines()
    reader = csv.reader(io.StringIO(text), delimiter=separator, strict=True)
    start, width = 1, None
    try:
        for record in reader:
            width = len(record) if width is None else width
            if len(record) > width:
                return f"line {start} has {len(record)} fields, the header has {width}: {_excerpt(lines, start)}"
            start = reader.line_num + 1
    except csv.Error as error:
        if "end of data" in str(error):  # the record ran on to the end of the file
            return f"line {start}: a quoted field opens here and never closes: {_excerpt(lines, start)}"
        return f"line {start}: {error}: {_excerpt(lines, start)}"
    # A quote inside an unquoted field (`12"3`) is read as text here but stops stricter parsers.
    sep = re.escape(separator)
    stray = re.compile(f'(?<=[^{sep}"])"(?=[^{sep}"])')
    for number, line in enumerate(lines, start=1):
        if stray.search(line):
            return f"line {number}: a quote inside a field that is not quoted: {_excerpt(lines, number)}"
    return "the parser could not read it, and no single line is to blame"


def _excerpt(lines: list[str], number: int, width: int = 80) -> str:
    line = lines[number - 1] if 0 < number <= len(lines) else ""
    return repr(line if len(line) <= width else line[:width] + "…")


class FileSource:
    """Reads `<data>/<YYYY-MM>/<source>.{csv,parquet,xlsx}`."""

    def __init__(self, data_dir: str | Path):
        self.data_dir = Path(data_dir)

    def describe(self) -> str:
        return f"files under {self.data_dir}"

    def available_months(self) -> list[Month]:
        """Months that have a folder, oldest first."""
        months = []
        for folder in self.data_dir.glob("[0-9][0-9][0-9][0-9]-[0-9][0-9]"):
            try:
                months.append(Month.parse(folder.name))
            except ValueError:
                continue
        return sorted(months)

    def locate(self, source: str, month: Month) -> Path | None:
        folder = self.data_dir / str(month)
        found = [folder / f"{source}.{ext}" for ext in EXTENSIONS if (folder / f"{source}.{ext}").exists()]
        if len(found) > 1:
            raise StructuralError(
                str(folder), [Problem(f"more than one file for {source}: {', '.join(p.name for p in found)}")]
            )
        return found[0] if found else None

    def read(self, source: str, month: Month) -> RawTable | None:
        path = self.locate(source, month)
        if path is None:
            return None
        if path.suffix == ".csv":
            return RawTable(source, str(path), read_csv_text(path))
        try:
            if path.suffix == ".parquet":
                return RawTable(source, str(path), pl.read_parquet(path), first_data_line=1, unit="row")
            frame = pl.read_excel(path, engine="calamine")
            _refuse_uncalculated_formulas(path, frame)
            return RawTable(source, str(path), frame)
        except (pl.exceptions.PolarsError, FastExcelError, OSError, ValueError) as error:  # cut short, damaged
            kind = "Parquet" if path.suffix == ".parquet" else "XLSX"
            first_line = str(error).strip().splitlines()[0][:200] if str(error).strip() else type(error).__name__
            raise StructuralError(str(path), [Problem(f"not a readable {kind} file (cut short or damaged?): "
                                                      f"{first_line}")]) from None
