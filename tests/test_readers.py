"""Reading files as vendors write them: encodings, formats, mapped headers, and structural errors."""

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from core.errors import ConfigError, StructuralError
from ingest.files import FileSource
from ingest.load import load_source
from ingest.mapping import ColumnMapping, load_mapping
from synthetic.writer import write_source
from tests.rows import OCTOBER, frame

FIXTURES = Path(__file__).parent / "fixtures"
TZ = "Asia/Shanghai"
NO_MAPPING = ColumnMapping()


def load(folder: Path, source: str, mapping: ColumnMapping = NO_MAPPING) -> pl.DataFrame:
    return load_source(FileSource(folder), source, OCTOBER, mapping, TZ)


def month_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "2026-10"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


AGENTS = frame(
    "agents",
    {"agent_id": "A1", "agent_name": "欧阳娜娜"},
    {"agent_id": "A2", "agent_name": "Zoë O'Brien", "exit_date": dt.date(2026, 10, 20), "email": "a2@example.com"},
    {"agent_id": "A3", "agent_name": "龚琳", "shift_pattern": "night"},
)


@pytest.mark.parametrize("fmt,encoding", [
    ("csv", "utf-8"), ("csv", "utf-8-sig"), ("csv", "gbk"), ("parquet", "utf-8"), ("xlsx", "utf-8"),
])
def test_every_format_and_encoding_reads_the_same_rows(tmp_path, fmt, encoding):
    agents = AGENTS if encoding != "gbk" else AGENTS.with_columns(pl.col("agent_name").str.replace("ë", "e"))
    write_source(agents, month_dir(tmp_path) / "agents", fmt, encoding)
    loaded = load(tmp_path, "agents")
    assert loaded.drop(pl.selectors.starts_with("source_")).equals(agents)
    first_line = 1 if fmt == "parquet" else 2
    assert loaded[loaded.columns[-1]].to_list() == [first_line, first_line + 1, first_line + 2]


def test_gbk_bytes_are_really_gbk(tmp_path):
    path = write_source(AGENTS.head(1), month_dir(tmp_path) / "agents", "csv", "gbk")
    raw = path.read_bytes()
    assert "欧阳娜娜".encode("gbk") in raw
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")


def test_bom_is_not_part_of_the_first_header(tmp_path):
    path = write_source(AGENTS, month_dir(tmp_path) / "agents", "csv", "utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert load(tmp_path, "agents")["agent_id"].to_list() == ["A1", "A2", "A3"]


def test_vendor_export_with_chinese_headers_and_values_loads_through_a_mapping():
    mapping = load_mapping(FIXTURES / "vendor_mapping.yaml")
    loaded = load(FIXTURES / "vendor_export", "attendance", mapping)
    assert loaded["shift_id"].to_list() == ["SH-001", "SH-002", "SH-003"]
    assert loaded["leave_type"].to_list() == ["none", "sick", "none"]
    assert loaded["leave_approved"].to_list() == [False, True, False]
    assert loaded["shift_date"].to_list() == [dt.date(2026, 10, 5), dt.date(2026, 10, 6), dt.date(2026, 10, 6)]
    assert loaded["scheduled_end"][0] == dt.datetime(2026, 10, 6, 6, 0)  # a night shift ends the next day
    assert loaded["clock_in"].to_list()[:2] == [dt.datetime(2026, 10, 5, 21, 4), None]
    assert "备注" not in loaded.columns  # a vendor's extra column is not carried along


def test_without_the_mapping_the_vendor_export_is_a_structural_error_naming_the_file():
    with pytest.raises(StructuralError) as caught:
        load(FIXTURES / "vendor_export", "attendance")
    message = str(caught.value)
    assert "attendance.csv" in message
    assert "missing required columns: shift_id, agent_id" in message
    assert "班次编号" in message  # the headers it did find


def test_mapping_errors_name_the_source_and_column(tmp_path):
    path = tmp_path / "mapping.yaml"
    path.write_text("attendance:\n  columns: {工号: agent_no}\nrosters: {}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_mapping(path)
    assert "'agent_no' is not a column of attendance" in str(caught.value)
    assert "unknown source 'rosters'" in str(caught.value)


def test_unreadable_values_stop_the_month_naming_file_column_and_lines(tmp_path):
    folder = month_dir(tmp_path)
    (folder / "qa_evaluations.csv").write_text(
        "evaluation_id,agent_id,evaluated_at,evaluator_id,channel,score,critical_error\n"
        "E1,A1,2026-10-02 10:00,QA1,voice,88,false\n"
        "E2,A1,02/10/2026,QA1,voice,eighty,false\n"
        "E3,A1,2026-10-03 10:00,QA1,voice,91,maybe\n",
        encoding="utf-8",
    )
    with pytest.raises(StructuralError) as caught:
        load(tmp_path, "qa_evaluations")
    error = caught.value
    assert error.origin.endswith("2026-10/qa_evaluations.csv")
    assert error.columns == ["evaluated_at", "score", "critical_error"]
    message = str(error)
    assert "line 3: evaluated_at='02/10/2026'" in message
    assert "line 3: score='eighty'" in message
    assert "line 4: critical_error='maybe'" in message


def test_missing_required_file_names_the_source(tmp_path):
    month_dir(tmp_path)
    with pytest.raises(StructuralError) as caught:
        load(tmp_path, "attendance")
    assert "missing required source 'attendance'" in str(caught.value)
    assert "2026-10" in str(caught.value)


def test_missing_optional_source_is_an_empty_table(tmp_path):
    month_dir(tmp_path)
    loaded = load(tmp_path, "qa_deductions")
    assert loaded.height == 0
    assert loaded.schema["points"] == pl.Float64


def test_two_files_for_one_source_are_ambiguous(tmp_path):
    write_source(AGENTS, month_dir(tmp_path) / "agents", "csv")
    write_source(AGENTS, month_dir(tmp_path) / "agents", "parquet")
    with pytest.raises(StructuralError, match="more than one file for agents"):
        load(tmp_path, "agents")


def test_offsets_are_converted_to_the_centers_wall_clock(tmp_path):
    (month_dir(tmp_path) / "csat_responses.csv").write_text(
        "response_id;agent_id;responded_at;score;channel\n"
        "R1;A1;2026-10-05T13:00:00Z;5;chat\n"
        "R2;A1;2026-10-05T21:00:00+08:00;4;chat\n"
        "R3;A1;2026-10-05T08:00:00-0500;4.0;chat\n"
        "R4;A1;2026-10-05 21:00;3;chat\n",
        encoding="utf-8",
    )
    loaded = load(tmp_path, "csat_responses")
    assert loaded["responded_at"].to_list() == [dt.datetime(2026, 10, 5, 21, 0)] * 4
    assert loaded["score"].to_list() == [5, 4, 4, 3]


@pytest.mark.parametrize("text,value", [
    ("true", True), ("FALSE", False), ("1", True), ("0", False), ("是", True), ("否", False), ("Y", True), ("", None),
])
def test_boolean_spellings(tmp_path, text, value):
    (month_dir(tmp_path) / "attendance.csv").write_text(
        "shift_id,agent_id,shift_date,scheduled_start,scheduled_end,clock_in,clock_out,leave_type,leave_approved\n"
        f"S1,A1,2026-10-01,2026-10-01 09:00,2026-10-01 18:00,,,sick,{text}\n",
        encoding="utf-8",
    )
    assert load(tmp_path, "attendance")["leave_approved"].to_list() == [value]


def test_a_fractional_csat_score_is_not_a_whole_number(tmp_path):
    (month_dir(tmp_path) / "csat_responses.csv").write_text(
        "response_id,agent_id,responded_at,score,channel\nR1,A1,2026-10-05 10:00,4.5,chat\n", encoding="utf-8"
    )
    with pytest.raises(StructuralError, match="not readable as a whole number"):
        load(tmp_path, "csat_responses")


# --- spreadsheets with formulas (SPEC §2) -------------------------------------------------------

def _workbook_with_formulas(path: Path, calculated: dict[str, str] | None, recalculate: bool,
                            drop_values: bool = False) -> None:
    """QA scores written as formulas (=B2-5), then the file as a spreadsheet program would leave it:
    `calculated` gives the cells' stored values (Excel after saving), `recalculate` keeps the writer's
    ask-to-recalculate flag, `drop_values` removes the stored values (as openpyxl writes formulas)."""
    import re
    import zipfile

    import xlsxwriter

    rows = frame("qa_evaluations", {"evaluation_id": "E1", "score": 95.0}, {"evaluation_id": "E2"},
                 {"evaluation_id": "E3"})
    staged = path.with_suffix(".staged.xlsx")
    rows.with_columns(pl.col("score").cast(pl.String)).write_excel(staged)
    with zipfile.ZipFile(staged) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    for row in (3, 4):  # score is column F: E2 and E3 become formulas on E1's score
        sheet = re.sub(rf'<c r="F{row}"[^>]*>.*?</c>', f'<c r="F{row}"><f>F2-{row}</f><v>0</v></c>', sheet)
        if calculated:
            sheet = sheet.replace(f'<c r="F{row}"><f>F2-{row}</f><v>0</v>',
                                  f'<c r="F{row}"><f>F2-{row}</f><v>{calculated[f"F{row}"]}</v>')
        if drop_values:
            sheet = sheet.replace(f"<f>F2-{row}</f><v>0</v>", f"<f>F2-{row}</f>")
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    workbook = parts["xl/workbook.xml"].decode()
    if recalculate and "fullCalcOnLoad" not in workbook:
        workbook = workbook.replace("</workbook>", '<calcPr fullCalcOnLoad="1"/></workbook>')
    if not recalculate:
        workbook = workbook.replace(' fullCalcOnLoad="1"', "")
    parts["xl/workbook.xml"] = workbook.encode()
    with zipfile.ZipFile(path, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)
    staged.unlink()


def test_formula_cells_read_as_the_values_the_spreadsheet_stored(tmp_path):
    folder = tmp_path / str(OCTOBER)
    folder.mkdir()
    _workbook_with_formulas(folder / "qa_evaluations.xlsx", {"F3": "92", "F4": "91"}, recalculate=False)
    typed = load_source(FileSource(tmp_path), "qa_evaluations", OCTOBER, ColumnMapping(), "Asia/Shanghai")
    assert typed["score"].to_list() == [95.0, 92.0, 91.0]


@pytest.mark.parametrize("recalculate, drop_values", [(True, False), (False, True)])
def test_formula_cells_without_a_calculated_value_stop_the_month_naming_file_and_cells(tmp_path, recalculate,
                                                                                       drop_values):
    folder = tmp_path / str(OCTOBER)
    folder.mkdir()
    path = folder / "qa_evaluations.xlsx"
    _workbook_with_formulas(path, None, recalculate=recalculate, drop_values=drop_values)
    with pytest.raises(StructuralError) as error:
        load_source(FileSource(tmp_path), "qa_evaluations", OCTOBER, ColumnMapping(), "Asia/Shanghai")
    assert error.value.origin == str(path) and error.value.columns == ["score"]
    assert "2 formula cells without a calculated value (F3, F4)" in str(error.value)
