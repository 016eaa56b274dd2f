"""The synthetic center looks like a real one, and is the same for the same seed."""

import hashlib
from pathlib import Path

import polars as pl
import pytest

from core.months import Month
from ingest.files import FileSource
from ingest.load import load_source
from ingest.mapping import ColumnMapping
from schemas.catalog import DEDUCTION_CATEGORIES
from schemas.sources import SOURCES
from synthetic.generator import GenerateOptions, generate

MONTH = Month(2026, 10)
MONTHS = MONTH.back(2)


def _digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(folder).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def center(tmp_path_factory):
    """Three months of a 300-agent center, loaded through the real readers."""
    out = tmp_path_factory.mktemp("center")
    generate(GenerateOptions(agents=300, month=MONTH, out=out, months_back=2, seed=3))
    reader = FileSource(out)
    return out, {
        str(month): {s: load_source(reader, s, month, ColumnMapping(), "Asia/Shanghai") for s in SOURCES}
        for month in MONTHS
    }


def test_same_seed_same_files_other_seed_other_files(tmp_path):
    def run(seed, name):
        generate(GenerateOptions(agents=40, month=MONTH, out=tmp_path / name, months_back=1, seed=seed, bad_rows=True))
        return _digest(tmp_path / name)

    assert run(5, "a") == run(5, "b")
    assert run(5, "a") != run(6, "c")


def test_one_folder_per_month(center):
    out, _ = center
    assert sorted(p.name for p in out.iterdir()) == ["2026-08", "2026-09", "2026-10"]
    assert sorted(p.name for p in (out / "2026-10").iterdir()) == sorted(f"{s}.csv" for s in SOURCES)


def test_about_twenty_agents_per_team(center):
    _, months = center
    agents = months["2026-10"]["agents"]
    per_team = agents.group_by("team_id").len()["len"]
    assert months["2026-10"]["teams"].height == 15
    assert 10 <= per_team.mean() <= 30


def test_names_are_chinese_and_latin(center):
    names = center[1]["2026-10"]["agents"]["agent_name"]
    chinese = names.str.contains(r"^[\p{Han}]+$").sum()
    latin = names.str.contains(r"^[A-Za-z' ]+$").sum()
    assert chinese > 0.6 * len(names) and latin > 0.1 * len(names)


def test_shift_patterns_and_night_shifts_ending_next_day(center):
    _, months = center
    agents, shifts = months["2026-10"]["agents"], months["2026-10"]["attendance"]
    assert set(agents["shift_pattern"]) == {"day", "night", "rotating"}
    crosses_midnight = shifts.filter(pl.col("scheduled_end").dt.date() > pl.col("shift_date"))
    assert crosses_midnight.height > 0
    assert (shifts["scheduled_end"] > shifts["scheduled_start"]).all()


def test_lateness_is_mostly_on_time_with_a_serious_tail(center):
    shifts = center[1]["2026-10"]["attendance"].filter(pl.col("clock_in").is_not_null())
    late = (shifts["clock_in"] - shifts["scheduled_start"]).dt.total_minutes()
    on_time_share = (late <= 0).mean()
    serious_share = (late >= 20).mean()
    assert 0.85 < on_time_share < 0.99
    assert 0.001 < serious_share < 0.03


def test_leave_approved_and_not(center):
    shifts = center[1]["2026-10"]["attendance"]
    leave = shifts.filter(pl.col("leave_type") != "none")
    assert set(leave["leave_type"]) == {"annual", "sick", "personal", "other"}
    assert set(leave["leave_approved"]) == {True, False}
    absent = shifts.filter(pl.col("clock_in").is_null() & ~(pl.col("leave_approved")))
    assert 0 < absent.height < 0.02 * shifts.height


def test_qa_scores_around_85_with_critical_errors_and_every_deduction_category(center):
    qa, deductions = center[1]["2026-10"]["qa_evaluations"], center[1]["2026-10"]["qa_deductions"]
    assert 80 <= qa["score"].mean() <= 90
    assert 0 < qa["critical_error"].sum() < 0.1 * qa.height
    assert set(deductions["category"]) == set(DEDUCTION_CATEGORIES)
    assert deductions["evaluation_id"].is_in(qa["evaluation_id"].implode()).all()
    per_agent = qa.group_by("agent_id").len()["len"]
    assert per_agent.min() >= 1 and per_agent.max() <= 5


def test_csat_mostly_top_two_with_varying_counts(center):
    csat = center[1]["2026-10"]["csat_responses"]
    assert (csat["score"] >= 4).mean() > 0.8
    assert set(csat["score"]) == {1, 2, 3, 4, 5}
    counts = csat.group_by("agent_id").len()["len"]
    assert (counts < 10).sum() > 0 and (counts >= 10).sum() > 0.5 * len(counts)


def test_complaints_in_every_status_and_some_closed_in_a_later_month(center):
    _, months = center
    complaints = pl.concat([months[str(m)]["complaints"].with_columns(month=pl.lit(str(m))) for m in MONTHS])
    assert set(complaints["status"]) == {"open", "investigating", "substantiated", "unsubstantiated", "withdrawn"}
    seen_twice = complaints.group_by("complaint_id").agg(pl.col("status"), pl.col("month")).filter(
        pl.col("month").list.len() == 2
    )
    assert seen_twice.height > 0
    for statuses in seen_twice["status"]:
        assert statuses[0] in ("open", "investigating") and statuses[1] not in ("open", "investigating")
    assert complaints["agent_id"].null_count() > 0  # some unattributed


def test_ledger_has_lags_and_penalties_citing_complaints(center):
    _, months = center
    ledger = pl.concat([months[str(m)]["discipline"] for m in MONTHS])
    lag = (ledger["action_date"] - ledger["incident_date"]).dt.total_days()
    assert (lag <= 3).mean() > 0.5 and (lag > 7).sum() > 0
    assert set(ledger["kind"]) == {"reward", "penalty"}
    citing = ledger.filter(pl.col("complaint_id").is_not_null())
    assert citing.height > 0 and (citing["kind"] == "penalty").all()


def test_hires_exits_and_team_moves_across_months(center):
    _, months = center
    sep, octo = months["2026-09"]["agents"], months["2026-10"]["agents"]
    assert octo.filter(pl.col("hire_date") >= MONTH.first_day).height > 0
    assert octo.filter(pl.col("exit_date").is_between(MONTH.first_day, MONTH.last_day)).height > 0
    moved = sep.join(octo, on="agent_id").filter(pl.col("team_id") != pl.col("team_id_right"))
    assert moved.height > 0


@pytest.mark.parametrize("fmt,encoding", [("parquet", "utf-8"), ("xlsx", "utf-8"), ("csv", "gbk"), ("csv", "utf-8-sig")])
def test_every_output_format_reads_back_to_the_same_month(tmp_path, fmt, encoding):
    def load_all(out):
        reader = FileSource(out)
        return {s: load_source(reader, s, MONTH, ColumnMapping(), "Asia/Shanghai").drop(
            pl.selectors.starts_with("source_")) for s in SOURCES}

    generate(GenerateOptions(agents=25, month=MONTH, out=tmp_path / "csv", months_back=0, seed=2))
    generate(GenerateOptions(agents=25, month=MONTH, out=tmp_path / fmt, months_back=0, seed=2, fmt=fmt,
                             encoding=encoding))
    expected, actual = load_all(tmp_path / "csv"), load_all(tmp_path / fmt)
    for source in SOURCES:
        assert actual[source].equals(expected[source]), source
