"""Input files as a hostile supplier or a careless operator leaves them, round two (issue 23, SPEC §2
"Files are what they say they are"): links out of the data folder, headers naming a column twice,
files too large to be exports, CR line endings, spreadsheet bombs and blank rows, and values whose
difference is invisible. Each case runs on a small generated month."""

from __future__ import annotations

import io
import os
import shutil
import zipfile
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as parquet
import pytest
import xlsxwriter

import ingest.files
from core.errors import StructuralError
from core.months import Month
from ingest.files import FileSource, RefusedFile
from ingest.load import load_month, load_source
from ingest.mapping import ColumnMapping, SourceMapping
from schemas.sources import SOURCES
from schemas.validate import validate_month
from synthetic.generator import GenerateOptions, generate

MONTH = Month(2026, 10)
TZ = "Asia/Shanghai"
SECRET = "root:x:0:0:the-secret-line:/root:/bin/bash"


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("generated")
    generate(GenerateOptions(agents=12, team_size=6, month=MONTH, out=data, months_back=0, seed=3))
    return data


@pytest.fixture
def data(generated, tmp_path) -> Path:
    """A fresh copy of the generated month's data folder, for one test to spoil."""
    copy = tmp_path / "data"
    shutil.copytree(generated, copy)
    return copy


def folder(data: Path) -> Path:
    return data / str(MONTH)


def load(data: Path, source: str, mapping: ColumnMapping = ColumnMapping()) -> pl.DataFrame:
    return load_source(FileSource(data), source, MONTH, mapping, TZ)


def csv_lines(data: Path, source: str) -> list[str]:
    return (folder(data) / f"{source}.csv").read_text(encoding="utf-8").splitlines()


def write_lines(data: Path, source: str, lines: list[str], ending: str = "\n") -> Path:
    path = folder(data) / f"{source}.csv"
    path.write_bytes(ending.join(lines).encode("utf-8") + ending.encode())
    return path


# --- item 3: a data file is a regular file inside <data>/<YYYY-MM>/, never a link ----------------

def _secret_file(tmp_path: Path) -> Path:
    """A file outside the data folder, shaped so that reading it as agents.csv would fail on a line
    that an error quotes (a stray quote): what a link to /etc/passwd did."""
    secret = tmp_path / "outside" / "passwd"
    secret.parent.mkdir()
    secret.write_text(f'agent_id,agent_name\n"{SECRET}\n', encoding="utf-8")
    return secret


def test_a_data_file_that_links_outside_the_data_folder_is_refused_naming_it_and_quoting_nothing(data, tmp_path):
    path = folder(data) / "agents.csv"
    path.unlink()
    path.symlink_to(_secret_file(tmp_path))
    with pytest.raises(RefusedFile) as error:
        load(data, "agents")
    message = str(error.value)
    assert error.value.origin == str(path)
    assert "refused: it is a symbolic link" in message
    assert "the-secret-line" not in message and "root:x" not in message


def test_etc_passwd_behind_a_link_is_refused(data):
    path = folder(data) / "teams.csv"
    path.unlink()
    path.symlink_to("/etc/passwd")
    with pytest.raises(RefusedFile, match="it is a symbolic link") as error:
        load(data, "teams")
    assert "root" not in str(error.value).replace(str(data), "")


def test_a_link_to_a_file_inside_the_month_folder_is_refused_too(data):
    month = folder(data)
    (month / "qa_evaluations.csv").rename(month / "qa_evaluations.backup")
    (month / "qa_evaluations.csv").symlink_to("qa_evaluations.backup")  # inside, but a link all the same
    with pytest.raises(RefusedFile, match="it is a symbolic link"):
        load(data, "qa_evaluations")


def test_a_month_folder_that_is_a_link_is_refused(data, tmp_path):
    """Decision: the month folder must be a real folder; a link in its place (to anywhere) is refused,
    naming it, so a supplier cannot point a month at files outside the data folder."""
    elsewhere = tmp_path / "elsewhere"
    shutil.move(folder(data), elsewhere)
    folder(data).symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(RefusedFile, match="the month folder is a symbolic link") as error:
        load(data, "agents")
    assert error.value.origin == str(folder(data))


def test_the_data_folder_itself_may_be_a_link_an_operator_chose(data, tmp_path):
    link = tmp_path / "data-link"
    link.symlink_to(data, target_is_directory=True)
    assert load(link, "agents").height == 12


@pytest.mark.parametrize("kind", ["fifo", "folder"])
def test_a_pipe_or_a_folder_named_like_a_source_is_refused_without_waiting(data, kind):
    path = folder(data) / "discipline.csv"
    path.unlink()
    if kind == "fifo":
        os.mkfifo(path)  # opening it for reading would wait for a writer forever
    else:
        path.mkdir()
    with pytest.raises(RefusedFile, match="it is not a regular file"):
        load(data, "discipline")


def test_a_file_swapped_for_a_link_after_the_folder_was_listed_is_still_not_followed(data, tmp_path, monkeypatch):
    """No check-then-use gap: the file is opened with O_NOFOLLOW and read from that descriptor, so a
    link put in its place between listing the folder and opening the file is refused, not followed."""
    source = FileSource(data)
    listed = FileSource._candidates
    secret = _secret_file(tmp_path)

    def swap_after_listing(self, name, month_fd, month_folder):
        found = listed(self, name, month_fd, month_folder)
        path = month_folder / found[0]
        path.unlink()
        path.symlink_to(secret)
        return found

    monkeypatch.setattr(FileSource, "_candidates", swap_after_listing)
    with pytest.raises(RefusedFile, match="it is a symbolic link") as error:
        source.read("agents", MONTH)
    assert "the-secret-line" not in str(error.value)


# --- item 5: a header naming one column twice stops the month ---------------------------------

def test_a_csv_header_naming_a_column_twice_stops_the_month_naming_file_and_column(data):
    lines = csv_lines(data, "qa_evaluations")
    assert lines[0] == "evaluation_id,agent_id,evaluated_at,evaluator_id,channel,score,critical_error"
    lines = [line + "," + line.split(",")[5] for line in lines]  # …,score,critical_error,score
    path = write_lines(data, "qa_evaluations", lines)
    with pytest.raises(StructuralError) as error:
        load(data, "qa_evaluations")
    assert error.value.origin == str(path) and error.value.columns == ["score"]
    assert "the header names this column 2 times (columns 6 and 8)" in str(error.value)


def test_a_spreadsheet_header_naming_a_column_twice_stops_the_month(data):
    frame = pl.read_csv(folder(data) / "qa_evaluations.csv", infer_schema=False)
    path = folder(data) / "qa_evaluations.xlsx"
    workbook = xlsxwriter.Workbook(path)
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, frame.columns + ["score"])
    for number, row in enumerate(frame.iter_rows(), start=1):
        sheet.write_row(number, 0, list(row) + [row[5]])
    workbook.close()
    (folder(data) / "qa_evaluations.csv").unlink()
    with pytest.raises(StructuralError) as error:
        load(data, "qa_evaluations")
    assert error.value.origin == str(path) and error.value.columns == ["score"]
    assert "2 times (columns 6 and 8)" in str(error.value)


def test_a_parquet_file_naming_a_column_twice_stops_the_month(data):
    frame = pl.read_csv(folder(data) / "qa_evaluations.csv", infer_schema=False)
    table = pa.Table.from_arrays([pa.array(frame[name].to_list()) for name in frame.columns] + [pa.array(
        frame["score"].to_list())], names=frame.columns + ["score"])
    path = folder(data) / "qa_evaluations.parquet"
    parquet.write_table(table, path)
    (folder(data) / "qa_evaluations.csv").unlink()
    with pytest.raises(StructuralError) as error:
        load(data, "qa_evaluations")
    assert error.value.origin == str(path) and error.value.columns == ["score"]


def test_a_vendor_column_mapped_onto_a_column_the_file_also_has_stops_the_month(data):
    lines = csv_lines(data, "qa_evaluations")
    lines = [line + "," + line.split(",")[5] for line in lines]
    lines[0] = lines[0].rsplit(",", 1)[0] + ",得分"  # the vendor's score column beside ours
    path = write_lines(data, "qa_evaluations", lines)
    mapping = ColumnMapping({"qa_evaluations": SourceMapping(columns={"得分": "score"})})
    with pytest.raises(StructuralError) as error:
        load(data, "qa_evaluations", mapping)
    assert error.value.origin == str(path) and error.value.columns == ["score"]
    assert "2 columns of the file become this one after the column mapping ('score', '得分')" in str(error.value)


def test_two_headers_that_differ_only_in_spaces_are_one_column_twice(data):
    lines = csv_lines(data, "csat_responses")
    lines = [line + "," + line.split(",")[3] for line in lines]
    lines[0] += "x"
    lines[0] = lines[0][: -len("scorex")] + " score "
    path = write_lines(data, "csat_responses", lines)
    with pytest.raises(StructuralError) as error:
        load(data, "csat_responses")
    assert error.value.origin == str(path) and error.value.columns == ["score"]
    assert "('score', ' score ')" in str(error.value)


# --- item 8: sizes are bounded, CR endings read, spreadsheet bombs and blank rows -----------------

def test_a_single_line_of_megabytes_stops_at_once_naming_file_and_line(data):
    """The 20 MB single-line CSV that took 256 s: refused before any parser sees it (the real limit)."""
    lines = csv_lines(data, "csat_responses")
    lines.insert(3, ",".join(["4"] * 600_000))  # 1.2 MB, 600,000 fields
    path = write_lines(data, "csat_responses", lines)
    with pytest.raises(StructuralError) as error:
        load(data, "csat_responses")
    message = str(error.value)
    assert error.value.origin == str(path)
    assert "line 4 is 1,199,999 bytes long, over the limit of 1 MiB for one line" in message
    assert len(message) < 400


def test_the_line_limit_applies_to_cr_endings_too(data, monkeypatch):
    monkeypatch.setattr(ingest.files, "MAX_CSV_LINE_BYTES", 100)
    lines = csv_lines(data, "csat_responses")
    lines[5] += "," * 120
    write_lines(data, "csat_responses", lines, ending="\r")
    with pytest.raises(StructuralError, match="line 6 is 171 bytes long, over the limit of 100 bytes"):
        load(data, "csat_responses")


def test_a_header_of_thousands_of_columns_is_refused(data, monkeypatch):
    monkeypatch.setattr(ingest.files, "MAX_COLUMNS", 10)
    lines = csv_lines(data, "csat_responses")
    lines = [line + ",a,b,c,d,e,f" for line in lines]
    write_lines(data, "csat_responses", lines)
    with pytest.raises(StructuralError, match="the header has 11 columns, over the limit of 10"):
        load(data, "csat_responses")


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
def test_more_rows_than_the_limit_stop_the_month_naming_the_file(data, monkeypatch, fmt):
    rows = pl.read_csv(folder(data) / "teams.csv", infer_schema=False)
    assert rows.height == 2
    monkeypatch.setattr(ingest.files, "MAX_ROWS", 2)
    assert load(data, "teams").height == 2  # at the limit: read
    bigger = pl.concat([rows, rows.with_columns(pl.col("team_id") + "X")])
    (folder(data) / "teams.csv").unlink()
    path = folder(data) / f"teams.{fmt}"
    {"csv": bigger.write_csv, "parquet": bigger.write_parquet, "xlsx": bigger.write_excel}[fmt](path)
    with pytest.raises(StructuralError, match="more than 2 rows, over the limit for one source") as error:
        load(data, "teams")
    assert error.value.origin == str(path)


def test_a_file_over_the_size_limit_is_not_read(data, monkeypatch):
    monkeypatch.setattr(ingest.files, "MAX_FILE_BYTES", 10_000)
    path = folder(data) / "attendance.csv"
    with pytest.raises(StructuralError, match="over the limit of 10,000 bytes for one source") as error:
        load(data, "attendance")
    assert error.value.origin == str(path)


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"])
def test_every_line_ending_reads_the_same_rows(data, generated, ending):
    """CR-only endings stopped the month with a misleading "missing column"."""
    expected = load(generated, "csat_responses")
    write_lines(data, "csat_responses", csv_lines(data, "csat_responses"), ending=ending)
    loaded = load(data, "csat_responses")
    assert loaded.equals(expected) and loaded.height == expected.height > 100


def test_a_quoted_line_break_in_a_cr_file_stays_in_its_value(data):
    lines = csv_lines(data, "teams")
    name = lines[1].split(",")[1]
    lines[1] = lines[1].replace(name, f'"{name}\r2楼"', 1)
    write_lines(data, "teams", lines, ending="\r")
    assert load(data, "teams")["team_name"].to_list()[0] == f"{name}\r2楼"


def _bomb(path: Path, rows: int) -> None:
    """A workbook whose sheet is `rows` rows of the same XML: a small file that inflates a lot."""
    row = '<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>T1</t></is></c></row>'
    sheet = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
             'spreadsheetml/2006/main"><sheetData>' + "".join(row.format(n=n) for n in range(1, rows + 1))
             + "</sheetData></worksheet>")
    staged = io.BytesIO()
    pl.DataFrame({"team_id": ["T1"]}).write_excel(staged)
    with zipfile.ZipFile(io.BytesIO(staged.getvalue())) as source, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            target.writestr(name, sheet if name == "xl/worksheets/sheet1.xml" else source.read(name))


def test_a_spreadsheet_that_inflates_past_the_limit_is_refused_before_it_is_opened(data, monkeypatch):
    monkeypatch.setattr(ingest.files, "MAX_XLSX_UNCOMPRESSED_BYTES", 500_000)
    path = folder(data) / "teams.xlsx"
    _bomb(path, 20_000)  # about 1.3 MB of XML in a file a tenth of that
    assert path.stat().st_size < 150_000
    (folder(data) / "teams.csv").unlink()
    with pytest.raises(StructuralError) as error:
        load(data, "teams")
    assert error.value.origin == str(path)
    assert "its parts declare" in str(error.value) and "over the limit of 500,000 bytes" in str(error.value)
    assert "decompression bomb" in str(error.value)


def _lie_about_size(path: Path, part: str, size: int) -> None:
    """Rewrite the sizes a zip declares for `part` (local header and central directory) to `size`."""
    data = bytearray(path.read_bytes())
    name = part.encode()
    for signature, size_at, name_at in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            if data[start + name_at: start + name_at + len(name)] == name:
                data[start + size_at: start + size_at + 4] = size.to_bytes(4, "little")
            start += 4
    path.write_bytes(bytes(data))


def test_a_spreadsheet_that_lies_about_its_size_is_refused(data, monkeypatch):
    monkeypatch.setattr(ingest.files, "MAX_XLSX_UNCOMPRESSED_BYTES", 500_000)
    path = folder(data) / "teams.xlsx"
    _bomb(path, 20_000)
    _lie_about_size(path, "xl/worksheets/sheet1.xml", 1_000)  # declares 1 KB, inflates to 1.3 MB
    (folder(data) / "teams.csv").unlink()
    with pytest.raises(StructuralError, match="not a readable XLSX file") as error:
        load(data, "teams")
    assert error.value.origin == str(path)


def test_blank_spreadsheet_rows_are_skipped_and_kept_rows_keep_their_line(data):
    """1M blank formatted rows were quarantined into a 127 MB CSV; they are no rows at all."""
    frame = pl.read_csv(folder(data) / "agents.csv", infer_schema=False)
    path = folder(data) / "agents.xlsx"
    workbook = xlsxwriter.Workbook(path)
    sheet, formatted = workbook.add_worksheet(), workbook.add_format({"bg_color": "yellow"})
    sheet.write_row(0, 0, frame.columns)
    line = 1
    for number, row in enumerate(frame.iter_rows()):
        if number == 3:  # blank rows between data rows: formatted cells, empty strings, spaces
            for _ in range(3):
                sheet.write_blank(line, 0, None, formatted)
                sheet.write_string(line, 1, "", formatted)
                sheet.write_string(line, 2, "   ")
                line += 1
        sheet.write_row(line, 0, [value or "" for value in row])
        line += 1
    for blank in range(line, line + 500):  # and a tail of formatted blank rows
        sheet.write_string(blank, 0, " ", formatted)
    workbook.close()
    (folder(data) / "agents.csv").unlink()
    loaded = load(data, "agents")
    assert loaded["agent_id"].to_list() == frame["agent_id"].to_list()
    assert loaded["source_line"].to_list() == [2, 3, 4] + list(range(8, 17))
    outcomes = validate_month({**load_month(FileSource(data), MONTH, ColumnMapping(), TZ)}, MONTH)
    assert outcomes["agents"].quarantine.height == 0 and outcomes["agents"].rows_read == 12


def test_an_unreadable_value_after_blank_spreadsheet_rows_names_its_real_line(data):
    frame = pl.read_csv(folder(data) / "teams.csv", infer_schema=False)
    path = folder(data) / "agents.xlsx"
    agents = pl.read_csv(folder(data) / "agents.csv", infer_schema=False).head(2).with_columns(
        pl.Series("hire_date", ["2024-01-01", "not a date"]))
    workbook = xlsxwriter.Workbook(path)
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, agents.columns)
    sheet.write_row(1, 0, [value or "" for value in agents.row(0)])
    sheet.write_blank(2, 0, None, workbook.add_format({"bold": True}))  # a formatted, empty row
    sheet.write_row(3, 0, [value or "" for value in agents.row(1)])
    workbook.close()
    (folder(data) / "agents.csv").unlink()
    assert frame.height == 2
    with pytest.raises(StructuralError, match=r"line 4: hire_date='not a date'"):
        load(data, "agents")


# --- item 14: values shown as the file wrote them ------------------------------------------------

def _quarantine(data: Path, source: str):
    return validate_month(load_month(FileSource(data), MONTH, ColumnMapping(), TZ), MONTH)[source]


@pytest.mark.parametrize("hidden, shown", [("\ufeff", "<U+FEFF>"), ("\u200b", "<U+200B>"), ("\x07", "<U+0007>")])
def test_an_invisible_character_in_an_id_is_shown_in_the_quarantine_reason(data, hidden, shown):
    lines = csv_lines(data, "csat_responses")
    agent = lines[4].split(",")[1]
    lines[4] = lines[4].replace(agent, hidden + agent, 1)
    write_lines(data, "csat_responses", lines)
    outcome = _quarantine(data, "csat_responses")
    assert outcome.quarantine["reasons"].to_list() == [
        f"unknown agent_id ({shown}{agent} holds invisible characters)"]
    assert outcome.quarantine["source_line"].to_list() == [5]
    assert dict(outcome.reason_counts) == {"unknown agent_id": 1}  # counted as the reason it is


def test_a_visible_unknown_id_keeps_its_plain_reason(data):
    lines = csv_lines(data, "csat_responses")
    lines[4] = lines[4].replace(lines[4].split(",")[1], "NOBODY", 1)
    write_lines(data, "csat_responses", lines)
    assert _quarantine(data, "csat_responses").quarantine["reasons"].to_list() == ["unknown agent_id"]


def test_an_offset_time_is_quoted_as_the_file_wrote_it(data):
    """20:30 UTC on 31 October is 04:30 on 1 November in Shanghai: outside the month, and the
    quarantine shows what the file says, not the converted 2026-11-01T04:30."""
    lines = csv_lines(data, "csat_responses")
    written = "2026-10-31T20:30:00+00:00"
    fields = lines[6].split(",")
    fields[2] = written
    lines[6] = ",".join(fields)
    write_lines(data, "csat_responses", lines)
    outcome = _quarantine(data, "csat_responses")
    assert outcome.quarantine["reasons"].to_list() == ["responded_at outside 2026-10"]
    assert outcome.quarantine["responded_at"].to_list() == [written]
    assert outcome.quarantine.columns == ["source_line", "reasons", *SOURCES["csat_responses"].columns]
    assert outcome.valid.columns == list(SOURCES["csat_responses"].columns)
    assert outcome.valid.height == len(lines) - 2


def test_a_header_with_an_invisible_character_is_named_visibly(data):
    lines = csv_lines(data, "csat_responses")
    lines[0] = lines[0].replace("agent_id", "\u200bagent_id")
    write_lines(data, "csat_responses", lines)
    with pytest.raises(StructuralError) as error:
        load(data, "csat_responses")
    assert "missing required column: agent_id (found: response_id, <U+200B>agent_id, responded_at" \
        in str(error.value)


def test_an_unreadable_value_with_a_control_character_is_quoted_escaped(data):
    lines = csv_lines(data, "csat_responses")
    fields = lines[2].split(",")
    fields[3] = "4\x1b[2J"  # an escape sequence that would clear the ops person's terminal
    lines[2] = ",".join(fields)
    write_lines(data, "csat_responses", lines)
    with pytest.raises(StructuralError) as error:
        load(data, "csat_responses")
    assert "line 3: score='4\\x1b[2J'" in str(error.value) and "\x1b" not in str(error.value)


def test_an_offset_time_from_parquet_is_quoted_with_its_zone(data):
    csv_path = folder(data) / "csat_responses.csv"
    frame = pl.read_csv(csv_path, infer_schema=False).with_columns(
        pl.col("responded_at").str.to_datetime("%Y-%m-%dT%H:%M:%S").dt.replace_time_zone(TZ)
        .dt.convert_time_zone("UTC"), pl.col("score").cast(pl.Int64))
    frame = frame.with_columns(pl.when(pl.int_range(pl.len()) == 4)
                               .then(pl.datetime(2026, 10, 31, 20, 30, time_zone="UTC"))
                               .otherwise(pl.col("responded_at")).alias("responded_at"))
    frame.write_parquet(folder(data) / "csat_responses.parquet")
    csv_path.unlink()
    outcome = _quarantine(data, "csat_responses")
    assert outcome.quarantine["responded_at"].to_list() == ["2026-10-31 20:30:00+00:00"]
    assert outcome.quarantine["source_row"].to_list() == [5]
    assert outcome.valid.height == frame.height - 1
