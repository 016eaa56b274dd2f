"""The default source: one file per source under `<data>/<YYYY-MM>/` (SPEC §2)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import polars as pl

from core.errors import Problem, StructuralError
from core.months import Month
from ingest.encoding import detect_encoding
from ingest.raw import RawTable

EXTENSIONS = ("csv", "parquet", "xlsx")


def read_csv_text(path: Path) -> pl.DataFrame:
    """Every column as text: types are the contract's business, not a guesser's."""
    data = path.read_bytes()
    try:
        text = data.decode(detect_encoding(data))
    except UnicodeError as exc:
        raise StructuralError(str(path), [Problem(f"not readable as UTF-8, UTF-8 with BOM or GBK/GB18030 text ({exc})")])
    first_line = text.split("\n", 1)[0]
    try:
        separator = csv.Sniffer().sniff(first_line, delimiters=",;\t").delimiter
    except csv.Error:
        separator = ","
    try:
        return pl.read_csv(io.StringIO(text), separator=separator, infer_schema=False, missing_columns="insert")
    except pl.exceptions.PolarsError as exc:
        raise StructuralError(str(path), [Problem(f"not a well-formed CSV file: {exc}")]) from exc


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
        if path.suffix == ".parquet":
            return RawTable(source, str(path), pl.read_parquet(path), first_data_line=1, unit="row")
        frame = pl.read_excel(path, engine="calamine")
        return RawTable(source, str(path), frame)
