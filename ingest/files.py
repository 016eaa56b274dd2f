"""The default source: one file per source under `<data>/<YYYY-MM>/` (SPEC §2).

Files are what they say they are: a source is read only from a regular file directly inside the
month folder, opened without following a symbolic link (and the month folder likewise), and read
from the descriptor that was checked, so nothing can be swapped in between the check and the read.
Sizes are bounded before a parser sees the file, so a hostile or broken export stops the month with
a message instead of taking the machine's memory.
"""

from __future__ import annotations

import csv
import errno
import hashlib
import io
import os
import re
import stat
from collections import Counter
from pathlib import Path

import fastexcel
import polars as pl
import pyarrow.parquet as parquet
from fastexcel import FastExcelError

from core.errors import Problem, StructuralError, visible
from core.months import Month
from ingest.encoding import DamagedText, detect_encoding
from ingest.parse import MAX_EXAMPLES
from ingest.raw import Landing, RawTable
from ingest.xlsx import XlsxTooLarge, check_uncompressed_size, uncalculated_formula_cells
from schemas.catalog import FILE_EXTENSIONS, OPTIONAL_SOURCES, SOURCE_NAMES

EXTENSIONS = FILE_EXTENSIONS

# The bounds of one input (SPEC §2), in one place. Tests set them smaller to stay fast.
MAX_CSV_LINE_BYTES = 1024 * 1024  # one physical line of a CSV
MAX_XLSX_UNCOMPRESSED_BYTES = 256 * 1024 * 1024  # all parts of a workbook, uncompressed
MAX_ROWS = 2_000_000  # data rows of one source
# Not in the SPEC's list, but what keeps the bounds above from being dodged: a file this large is
# not read at all (2,000,000 rows of an export are a few hundred MB).
MAX_FILE_BYTES = 1024 * 1024 * 1024
MAX_COLUMNS = 1_000  # a source has at most a dozen; a header of thousands is not an export of ours

_MIB = 1024 * 1024


def _size(limit: int) -> str:
    return f"{limit / _MIB:g} MiB" if limit >= _MIB else f"{limit:,} bytes"


def read_csv_text(path: Path | str, data: bytes | None = None) -> pl.DataFrame:
    """Every column as text: types are the contract's business, not a guesser's.

    `data` is the file's content when the caller already read it (from a checked descriptor).
    """
    origin = str(path)
    if data is None:
        data = Path(path).read_bytes()
    # `\n` and `\r\n` end lines as polars reads them; a file with no `\n` at all ends them with `\r`
    # (old Mac and some Excel exports), which polars reads only when told.
    eol = "\n" if b"\n" in data or b"\r" not in data else "\r"
    _refuse_long_line(origin, data, eol.encode())
    try:
        text = data.decode(detect_encoding(data))
    except DamagedText as exc:
        raise StructuralError(origin, [Problem(f"damaged UTF-8 text: {exc}")]) from None
    except UnicodeError as exc:
        raise StructuralError(origin, [Problem(f"not readable as UTF-8, UTF-8 with BOM or GBK/GB18030 text ({exc})")])
    first_line = text.split(eol, 1)[0]
    try:
        separator = csv.Sniffer().sniff(first_line, delimiters=",;\t").delimiter
    except csv.Error:
        separator = ","
    header = next(csv.reader(io.StringIO(text, newline=""), delimiter=separator), [])
    _refuse_header(origin, header)
    try:
        frame = pl.read_csv(io.StringIO(text, newline=""), separator=separator, eol_char=eol, infer_schema=False,
                            missing_columns="insert", n_rows=MAX_ROWS + 1)
    except pl.exceptions.PolarsError:
        # The parser's own message quotes the rest of the file; say where the file goes wrong instead.
        raise StructuralError(origin, [Problem(f"not a well-formed CSV file: {malformed_line(text, separator)}")]) \
            from None
    _refuse_too_many_rows(origin, frame.height)
    if any(frame[name].str.contains(eol, literal=True).any() for name in frame.columns):
        swallowed = swallowed_rows(text, separator)
        if swallowed:
            raise StructuralError(origin, [Problem(f"not a well-formed CSV file: {swallowed}")])
    return frame


def _refuse_long_line(origin: str, data: bytes, eol: bytes) -> None:
    """Stop on a line longer than MAX_CSV_LINE_BYTES, naming it and quoting nothing of it.

    Steps a whole limit at a time: each window must hold a line end, so a file is checked in about
    size / limit searches, not one per line."""
    start, limit = 0, MAX_CSV_LINE_BYTES
    while len(data) - start > limit:
        last = data.rfind(eol, start, start + limit + 1)
        if last == -1:
            number = data.count(eol, 0, start) + 1
            end = data.find(eol, start)
            length = (len(data) if end == -1 else end) - start
            raise StructuralError(origin, [Problem(
                f"line {number:,} is {length:,} bytes long, over the limit of {_size(limit)} for one line "
                f"(not a CSV export of rows?)")])
        start = last + 1


def _refuse_header(origin: str, header: list[str]) -> None:
    """Stop on a header too wide to be an export, or naming a column twice (a reader would keep one
    of the two silently, or rename the other)."""
    if len(header) > MAX_COLUMNS:
        raise StructuralError(origin, [Problem(
            f"the header has {len(header):,} columns, over the limit of {MAX_COLUMNS:,} (not a CSV export of rows?)")])
    # Columns without a name (a spreadsheet's formatted empty columns, a trailing separator) are no
    # column of the contract and are left alone.
    repeated = [name for name, count in Counter(header).items() if count > 1 and name.strip()]
    if repeated:
        raise StructuralError(origin, [
            Problem(f"the header names this column {header.count(name)} times (columns "
                    f"{_and([str(i + 1) for i, n in enumerate(header) if n == name])}); "
                    f"which one holds the data cannot be told", visible(name))
            for name in repeated])


def _and(items: list[str]) -> str:
    return ", ".join(items[:-1]) + f" and {items[-1]}" if len(items) > 1 else "".join(items)


def _refuse_too_many_rows(origin: str, rows: int) -> None:
    if rows > MAX_ROWS:
        raise StructuralError(origin, [Problem(f"more than {MAX_ROWS:,} rows, over the limit for one source")])


def swallowed_rows(text: str, separator: str) -> str:
    """A quoted field that runs over lines which are whole rows themselves: a quote opened by mistake
    and closed by another one further down, so the rows between would vanish into one value. A real
    line break in a value (an address, a name) holds no line with a full row's separators."""
    lines = text.splitlines()
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
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


def _refuse_uncalculated_formulas(origin: str, workbook: bytes, frame: pl.DataFrame) -> None:
    """Stop on formula cells without a calculated value (they would read as 0 or empty), naming them."""
    cells = uncalculated_formula_cells(io.BytesIO(workbook))
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
    raise StructuralError(origin, problems)


def malformed_line(text: str, separator: str) -> str:
    """Where a CSV that does not parse goes wrong: the line of the first bad record, briefly."""
    lines = text.splitlines()
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, strict=True)
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


class RefusedFile(StructuralError):
    """An input that is not a regular file inside the month folder (SPEC §2). Its message names the
    file and never anything read from it: it was not read."""

    def __init__(self, origin: str, why: str):
        super().__init__(origin, [Problem(f"refused: {why}; ccpulse reads only regular files inside the "
                                          f"month folder, never through a symbolic link")])


_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
# Opening a FIFO for reading waits for a writer; O_NONBLOCK makes it return, and fstat then refuses it.
_OPEN_FILE_FLAGS = _OPEN_FLAGS | os.O_NONBLOCK


class FileSource:
    """Reads `<data>/<YYYY-MM>/<source>.{csv,parquet,xlsx}`.

    The data folder itself may be a link (an operator's choice of where it lives); below it, the month
    folder and the files must be real: each is opened relative to its parent's descriptor with
    O_NOFOLLOW, and a file is read from the descriptor that fstat checked as a regular file.
    """

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

    def landing(self, month: Month) -> Landing:
        """Has the month's data landed? The required sources without a file, and a signature of every source
        file (name, size, modification time) that changes while an export is still being written. Reads no
        file's content."""
        folder = self.data_dir / str(month)
        try:
            names = set(os.listdir(folder)) if folder.is_dir() and not folder.is_symlink() else set()
        except OSError:
            names = set()
        present = {source: f"{source}.{ext}" for source in SOURCE_NAMES for ext in EXTENSIONS
                   if f"{source}.{ext}" in names}
        missing = [source for source in SOURCE_NAMES if source not in present and source not in OPTIONAL_SOURCES]
        stamps = []
        for name in sorted(present.values()):
            try:
                status = os.lstat(folder / name)
            except OSError:
                continue
            stamps.append(f"{name}:{status.st_size}:{status.st_mtime_ns}")
        return Landing(missing, hashlib.sha256("|".join(stamps).encode()).hexdigest()[:16])

    def _open_month(self, month: Month) -> int | None:
        """A descriptor of the month folder, or None when there is none; a link in its place is refused."""
        folder = self.data_dir / str(month)
        try:
            data_fd = os.open(self.data_dir, _OPEN_FLAGS & ~os.O_NOFOLLOW | os.O_DIRECTORY)
        except FileNotFoundError:
            return None
        try:
            return os.open(str(month), _OPEN_FLAGS | os.O_DIRECTORY, dir_fd=data_fd)
        except FileNotFoundError:
            return None
        except OSError as error:
            if error.errno in (errno.ELOOP, errno.ENOTDIR):
                kind = "a symbolic link" if folder.is_symlink() else "not a folder"
                raise RefusedFile(str(folder), f"the month folder is {kind}") from None
            raise
        finally:
            os.close(data_fd)

    def _candidates(self, source: str, month_fd: int, folder: Path) -> list[str]:
        names = set(os.listdir(month_fd))
        found = [f"{source}.{ext}" for ext in EXTENSIONS if f"{source}.{ext}" in names]
        if len(found) > 1:
            raise StructuralError(str(folder), [Problem(f"more than one file for {source}: {', '.join(found)}")])
        return found

    def read_bytes(self, source: str, month: Month) -> tuple[Path, bytes] | None:
        """The source's file and its content, read only when it is a regular file of a bounded size."""
        folder = self.data_dir / str(month)
        month_fd = self._open_month(month)
        if month_fd is None:
            return None
        try:
            found = self._candidates(source, month_fd, folder)
            if not found:
                return None
            path = folder / found[0]
            try:
                fd = os.open(found[0], _OPEN_FILE_FLAGS, dir_fd=month_fd)
            except OSError as error:
                if error.errno == errno.ELOOP:
                    raise RefusedFile(str(path), "it is a symbolic link") from None
                raise
        finally:
            os.close(month_fd)
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            os.close(fd)
            raise RefusedFile(str(path), "it is not a regular file (a folder, a pipe or a device)")
        with os.fdopen(fd, "rb") as file:
            if status.st_size > MAX_FILE_BYTES:
                raise StructuralError(str(path), [Problem(
                    f"the file is {status.st_size:,} bytes, over the limit of {_size(MAX_FILE_BYTES)} for one source")])
            data = file.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:  # it grew while being read
            raise StructuralError(str(path), [Problem(f"the file is over the limit of {_size(MAX_FILE_BYTES)}")])
        return path, data

    def read(self, source: str, month: Month) -> RawTable | None:
        found = self.read_bytes(source, month)
        if found is None:
            return None
        path, data = found
        origin = str(path)
        if path.suffix == ".csv":
            return RawTable(source, origin, read_csv_text(origin, data))
        kind = "Parquet" if path.suffix == ".parquet" else "XLSX"
        try:
            if path.suffix == ".parquet":
                return RawTable(source, origin, _read_parquet(origin, data), first_data_line=1, unit="row")
            return _read_xlsx(source, origin, data)
        except (pl.exceptions.PolarsError, FastExcelError, OSError, ValueError) as error:  # cut short, damaged
            first_line = str(error).strip().splitlines()[0][:200] if str(error).strip() else type(error).__name__
            raise StructuralError(origin, [Problem(f"not a readable {kind} file (cut short or damaged?): "
                                                   f"{first_line}")]) from None


def _read_parquet(origin: str, data: bytes) -> pl.DataFrame:
    """A Parquet file, its row count and column names checked from its footer before any row is read."""
    footer = parquet.ParquetFile(io.BytesIO(data))
    _refuse_too_many_rows(origin, footer.metadata.num_rows)
    _refuse_header(origin, footer.schema_arrow.names)
    return pl.read_parquet(io.BytesIO(data))


def _read_xlsx(source: str, origin: str, data: bytes) -> RawTable:
    """The first sheet of a workbook whose parts, uncompressed, stay within the bound; rows that are
    entirely blank (formatted but empty cells a spreadsheet keeps) are skipped, each kept row keeping
    its line number in the sheet."""
    try:
        check_uncompressed_size(io.BytesIO(data), MAX_XLSX_UNCOMPRESSED_BYTES)
    except XlsxTooLarge as error:
        raise StructuralError(origin, [Problem(f"{error}, over the limit of {_size(MAX_XLSX_UNCOMPRESSED_BYTES)} "
                                               f"(a decompression bomb, or not an export of rows?)")]) from None
    frame = pl.read_excel(io.BytesIO(data), engine="calamine", drop_empty_rows=False)
    # The reader renames a repeated header `score` to `score_1`; only then is the header read as written
    # (a second pass over the sheet), so that a real column named `score_1` is not mistaken for one.
    renamed = [name for name in frame.columns
               if (match := re.fullmatch(r"(.+)_\d+", name)) and match.group(1) in frame.columns]
    _refuse_header(origin, _xlsx_header(data) if renamed else frame.columns)
    _refuse_uncalculated_formulas(origin, data, frame)
    blank = pl.all_horizontal(
        (pl.col(name).cast(pl.String).str.strip_chars() == "").fill_null(True) for name in frame.columns
    ) if frame.width else pl.lit(True)
    lines = pl.int_range(2, frame.height + 2, eager=True)
    kept = frame.with_columns(lines.alias("__line")).filter(~blank)
    _refuse_too_many_rows(origin, kept.height)
    return RawTable(source, origin, kept.drop("__line"), lines=kept["__line"])


def _xlsx_header(data: bytes) -> list[str]:
    """The first sheet's header row as written."""
    sheet = fastexcel.read_excel(data).load_sheet(0, header_row=None, n_rows=1)
    row = sheet.to_polars().row(0) if sheet.height else ()
    return ["" if value is None else str(value) for value in row]
