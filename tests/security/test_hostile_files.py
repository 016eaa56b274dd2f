"""A damaged input stops the month with a short message naming the file and the line, never a
raw parser error or a dump of the rest of the file (SPEC §2, bad input)."""

from __future__ import annotations

import pytest

from core.errors import StructuralError
from core.months import Month
from ingest.files import FileSource
from ingest.load import load_source
from ingest.mapping import ColumnMapping
from tests.rows import GOOD, frame

MONTH = Month(2026, 10)


def _folder(tmp_path):
    folder = tmp_path / str(MONTH)
    folder.mkdir()
    return folder


def _load(tmp_path, source: str):
    return load_source(FileSource(tmp_path), source, MONTH, ColumnMapping(), "Asia/Shanghai")


def _csv(rows: int) -> str:
    good = frame("csat_responses", *[{"response_id": f"R{i}"} for i in range(rows)])
    return good.write_csv(datetime_format="%Y-%m-%dT%H:%M:%S")


def test_a_truncated_parquet_file_is_named_in_one_short_message(tmp_path):
    path = _folder(tmp_path) / "csat_responses.parquet"
    frame("csat_responses", *[{"response_id": f"R{i}"} for i in range(500)]).write_parquet(path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])  # a copy that was cut short
    with pytest.raises(StructuralError) as error:
        _load(tmp_path, "csat_responses")
    message = str(error.value)
    assert str(path) in message and "not a readable Parquet file" in message
    assert len(message) < 400


def test_an_unbalanced_quote_names_its_line_and_quotes_nothing_after_it(tmp_path):
    lines = _csv(400).splitlines()
    lines[7] = lines[7].replace(",", ',"', 1)  # data row 6 (line 8) opens a quote that never closes
    path = _folder(tmp_path) / "csat_responses.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(StructuralError) as error:
        _load(tmp_path, "csat_responses")
    message = str(error.value)
    assert str(path) in message and "line 8: a quoted field opens here and never closes" in message
    assert lines[9][:20] not in message and len(message) < 400  # the rest of the file is not dumped


def test_a_stray_quote_inside_a_field_names_its_line(tmp_path):
    lines = _csv(50).splitlines()
    lines[3] = lines[3].replace("R", 'R"', 1)
    path = _folder(tmp_path) / "csat_responses.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(StructuralError, match="line 4: a quote inside a field that is not quoted"):
        _load(tmp_path, "csat_responses")


def test_a_quoted_line_break_is_data_not_damage(tmp_path):
    rows = frame("teams", {"team_name": "上海\r\n1组"}, {"team_id": "T2"})
    path = _folder(tmp_path) / "teams.csv"
    path.write_text(rows.write_csv(), encoding="utf-8")
    assert _load(tmp_path, "teams")["team_name"].to_list() == ["上海\r\n1组", GOOD["teams"]["team_name"]]


def test_a_damaged_spreadsheet_is_named(tmp_path):
    path = _folder(tmp_path) / "agents.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(StructuralError, match="not a readable XLSX file") as error:
        _load(tmp_path, "agents")
    assert str(path) in str(error.value) and len(str(error.value)) < 400


def test_utf8_cut_in_the_middle_of_a_character_stops_instead_of_turning_names_into_mojibake(tmp_path):
    names = ["蔡晨勇", "王芳", "李雷", "张伟", "刘洋", "陈静", "杨磊", "黄敏", "赵军", "周杰", "韩梅梅"]
    data = frame("agents", *[{"agent_id": f"A{n}", "agent_name": name} for n, name in enumerate(names)]) \
        .write_csv().encode("utf-8")
    path = _folder(tmp_path) / "agents.csv"
    path.write_bytes(data[: data.rindex("梅".encode()) + 1])  # the last name cut one byte into a character
    with pytest.raises(StructuralError) as error:
        _load(tmp_path, "agents")
    assert str(path) in str(error.value) and f"damaged UTF-8 text: line {len(names) + 1}" in str(error.value)
    path.write_bytes(data.replace("晨".encode(), b"\xe6\x99"))  # a byte lost inside the text
    with pytest.raises(StructuralError, match="line 2: a character is not valid UTF-8, though the text around it is"):
        _load(tmp_path, "agents")


def test_a_quote_that_swallows_whole_rows_stops_the_month(tmp_path):
    lines = _csv(60).splitlines()
    lines[7] = lines[7].replace(",chat", ',"email')  # a quote opened in the channel column…
    lines[30] = lines[30].replace(",chat", ',voice"')  # …and closed 23 rows further down
    path = _folder(tmp_path) / "csat_responses.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(StructuralError) as error:
        _load(tmp_path, "csat_responses")
    assert "line 8: a quoted field runs over 24 lines and holds 23 that look like whole rows" in str(error.value)


def test_a_huge_value_is_quoted_short(tmp_path):
    rows = _csv(3).splitlines()
    rows[2] = rows[2].replace(",4,", "," + "X" * 1_000_000 + ",", 1)  # a score of a million X's (a line < 1 MiB)
    path = _folder(tmp_path) / "csat_responses.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(StructuralError) as error:
        _load(tmp_path, "csat_responses")
    assert "(1,000,002 characters)" in str(error.value) and len(str(error.value)) < 500


def test_a_team_may_not_take_the_whole_centers_id(tmp_path):
    from schemas.validate import MonthContext, validate_source

    outcome = validate_source("teams", frame("teams", {"team_id": "ALL"}, {"team_id": "T2"}), MonthContext(MONTH),
                              "teams of 2026-10")
    assert outcome.valid["team_id"].to_list() == ["T2"]
    assert outcome.quarantine["reasons"].to_list() == ["team_id ALL is reserved for the whole center"]
