"""Ids are data, never paths (SPEC §2); outputs are written whole and safe to open in a
spreadsheet (SPEC §9). Fast checks of the functions every writer goes through."""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.atomic import write_bytes_atomically
from core.names import SAFE_ID, safe_file_name, safe_file_names
from core.output import csv_bytes, read_back, spreadsheet_safe, write_output_csv

HOSTILE_IDS = ["../center_report", "../../../x", "/etc/passwd", "..", ".", "T" * 300, "🐉🔥", "团队一", "a/b", "",
               "con", "x\x00y", "-rf", "=1+1"]
SAFE_CHARACTERS = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


@pytest.mark.parametrize("identifier", HOSTILE_IDS)
def test_a_hostile_id_gives_a_plain_short_file_name(identifier, tmp_path):
    name = safe_file_name(identifier)
    assert SAFE_ID.fullmatch(name), name  # no separator, no leading dot, at most 64 characters
    assert name not in (".", "..") and "/" not in name
    (tmp_path / f"{name}.pdf").write_bytes(b"x")  # the file system takes it, inside the folder
    assert [p.name for p in tmp_path.iterdir()] == [f"{name}.pdf"]


def test_a_safe_id_is_its_own_name_and_others_get_a_slug_and_digest():
    assert safe_file_name("T01") == "T01" and safe_file_name("team-7.b") == "team-7.b"
    assert re.fullmatch(r"center_report-[0-9a-f]{8}", safe_file_name("../center_report"))
    assert re.fullmatch(r"id-[0-9a-f]{8}", safe_file_name("🐉🔥"))
    assert len(safe_file_name("T" * 300)) == 40 + 1 + 8
    assert safe_file_name("../center_report") != safe_file_name("./center_report")


def test_names_that_would_clash_are_told_apart():
    crafted = safe_file_name("x!")  # an id chosen to equal another id's slug and digest
    names = safe_file_names(["x!", crafted, "T01", "t01", "T02"])
    assert len({name.lower() for name in names.values()}) == 5
    assert names["T02"] == "T02"  # ids that clash with nothing keep their name


@given(st.lists(st.text(min_size=0, max_size=80), max_size=12, unique=True))
def test_every_id_gets_a_distinct_safe_name(identifiers):
    names = safe_file_names(identifiers)
    assert len({name.lower() for name in names.values()}) == len(identifiers)
    for name in names.values():
        assert SAFE_CHARACTERS.fullmatch(name) and len(name) <= 105


@given(st.text(max_size=40))
def test_a_spreadsheet_cell_never_starts_a_formula_and_reads_back_exactly(value):
    cell = spreadsheet_safe(value)
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert read_back(cell) == value


def test_csv_text_cells_are_escaped_and_numbers_stay_numbers():
    frame = pl.DataFrame({"agent_name": ['=HYPERLINK("http://evil.example","click")', "+1", "-2", "@SUM(A1)",
                                         "\tx", "李雷", None],
                          "composite_delta": [-3.25, 1.0, -0.5, 0.0, 2.0, None, -1.0],
                          "absences": [0, 1, 2, 3, 4, 5, 6]})
    raw = csv_bytes(frame)
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw[3:].decode("utf-8"))))
    assert [row[0] for row in rows[1:]] == ["'=HYPERLINK(\"http://evil.example\",\"click\")", "'+1", "'-2",
                                            "'@SUM(A1)", "'\tx", "李雷", ""]
    assert [row[1] for row in rows[1:]] == ["-3.25", "1.0", "-0.5", "0.0", "2.0", "", "-1.0"]  # not quoted


def test_a_write_that_fails_half_way_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "agent_scorecard.csv"
    write_output_csv(pl.DataFrame({"a": [1]}), target)
    before = target.read_bytes()

    def killed(descriptor):
        raise KeyboardInterrupt("killed while writing")

    monkeypatch.setattr(os, "fsync", killed)
    with pytest.raises(KeyboardInterrupt):
        write_bytes_atomically(target, b"half of a new file")
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["agent_scorecard.csv"]


def test_a_new_file_is_never_seen_half_written(tmp_path, monkeypatch):
    target = tmp_path / "center_report.pdf"
    seen = []
    real_fsync = os.fsync

    def look_then_sync(descriptor):
        seen.append(target.exists())  # while the bytes are being written, the target is not there yet
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", look_then_sync)
    write_bytes_atomically(target, b"%PDF whole")
    assert seen == [False] and target.read_bytes() == b"%PDF whole"


def test_data_in_dagster_markdown_is_text_never_a_link():
    from core.output import markdown_preview, markdown_text

    assert markdown_text("[Open the report](http://127.0.0.1:8765/x)") == "` [Open the report](http://127.0.0.1:8765/x) `"
    assert markdown_text("[x](y) **bold** <b>") == r"\[x\](y) \*\*bold\*\* \<b\>"
    assert markdown_text("line\nbreak | pipe") == r"line break \| pipe"
    table = markdown_preview(pl.DataFrame({"team_id": ["![img](https://evil.example/a.png)", "T01"]}))
    assert "![img](https" not in table.replace("` ![img](https://evil.example/a.png) `", "")
