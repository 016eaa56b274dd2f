"""Is the month believable? The Great Expectations suites on generated months, with one
thing broken at a time, and the blocking check stopping a Dagster run."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import polars as pl
import pypdf
import pytest

from core.calendar import month_calendar
from core.months import Month
from core.policy import Policy
from ingest.files import FileSource
from ingest.history import load_valid_month
from ingest.load import load_month
from ingest.mapping import load_mapping
from pipelines.cli import run_month
from schemas.expectations import BLOCK, SUITES, WARN, SuiteInputs, rostered_agents, run_suites
from schemas.validate import validate_month
from synthetic.generator import GenerateOptions, generate

pytestmark = pytest.mark.xdist_group("expectations")

MONTH = Month(2026, 10)


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("believable")
    generate(GenerateOptions(agents=60, month=MONTH, out=folder, months_back=1, seed=11, team_size=15))
    return folder


def suites(data: Path, policy: Policy = Policy(), change=None, docs: Path | None = None,
           month: Month = MONTH) -> pl.DataFrame:
    """Run the suites on the month, after `change(source, frame) -> frame` edits the typed frames."""
    reader = FileSource(data)
    frames = load_month(reader, month, load_mapping(None), policy.timezone)
    if change is not None:
        frames = {source: change(source, frame) for source, frame in frames.items()}
    outcomes = validate_month(frames, month)
    last = load_valid_month(reader, month.previous(), load_mapping(None), policy.timezone)
    calendar = month_calendar(month, policy.operating_weekdays, policy.holidays,
                              last and last.valid["attendance"]["shift_date"].to_list(),
                              outcomes["attendance"].valid["shift_date"].to_list(), policy.holiday_calendar)
    inputs = SuiteInputs(month, policy, dict(last.rows_read) if last else {},
                         rostered_agents(outcomes["agents"].valid, month), calendar)
    return run_suites({s: o.valid for s, o in outcomes.items()}, {s: o.rows_read for s, o in outcomes.items()},
                      inputs, docs)


def examples(results: pl.DataFrame, expectation: str) -> str:
    return results.filter(pl.col("expectation") == expectation)["unexpected_examples"][0]


def failures(results: pl.DataFrame) -> dict[str, str]:
    return {f"{row['source']}.{row['expectation']}": row["severity"]
            for row in results.filter(~pl.col("passed")).iter_rows(named=True)}


def test_a_generated_month_passes_every_suite_and_writes_data_docs(data, tmp_path):
    results = suites(data, docs=tmp_path / "docs")
    assert results.height == len(SUITES)
    assert failures(results) == {}
    volume = results.filter((pl.col("source") == "csat_responses") & (pl.col("expectation") == "row_volume"))
    assert "(allowed " in volume["observed"][0]  # evaluated: last month has enough rows to judge
    index = (tmp_path / "docs" / "index.html").read_text(encoding="utf-8")
    assert "csat_responses" in index and "attendance" in index


def test_half_the_csat_rows_missing_trips_the_volume_expectation(data):
    results = suites(data, change=lambda source, frame: frame.head(frame.height // 2)
                     if source == "csat_responses" else frame)
    assert failures(results) == {"csat_responses.row_volume": WARN}
    row = results.filter((pl.col("source") == "csat_responses") & (pl.col("expectation") == "row_volume")).row(
        0, named=True)
    previous = FileSource(data).read("csat_responses", MONTH.previous()).frame.height
    received = FileSource(data).read("csat_responses", MONTH).frame.height // 2
    per_day = previous * 31 / 30  # October has 31 working days in this 7-day center, September 30
    assert row["observed"] == f"{received} (allowed {math.floor(per_day * 0.6)}–{math.ceil(per_day * 1.4)})"


def test_all_csat_scores_five_trips_the_distribution_expectation(data):
    results = suites(data, change=lambda source, frame: frame.with_columns(pl.lit(5, dtype=pl.Int64).alias("score"))
                     if source == "csat_responses" else frame)
    assert failures(results) == {"csat_responses.not_nearly_all_fives": WARN}


def test_a_missing_week_inside_the_month_warns_and_names_the_days(data):
    week = (pl.col("shift_date") >= dt.date(2026, 10, 8)) & (pl.col("shift_date") <= dt.date(2026, 10, 14))
    results = suites(data, change=lambda source, frame: frame.filter(~week) if source == "attendance" else frame)
    assert failures(results) == {"attendance.every_expected_day_has_shifts": WARN}  # a closed week is no stop
    assert examples(results, "every_expected_day_has_shifts") == "missing: " + "; ".join(
        f"2026-10-{day:02d}" for day in range(8, 15))


def test_an_export_cut_off_after_the_20th_blocks_and_names_the_missing_days(data):
    results = suites(data, change=lambda source, frame: frame.filter(pl.col("shift_date") <= dt.date(2026, 10, 20))
                     if source == "attendance" else frame)
    assert failures(results) == {"attendance.shifts_reach_the_last_expected_day": BLOCK,
                                 "attendance.every_expected_day_has_shifts": WARN}
    assert examples(results, "shifts_reach_the_last_expected_day") == "missing: " + ", ".join(
        f"2026-10-{day}" for day in range(21, 32))


def test_an_export_that_starts_late_blocks(data):
    results = suites(data, change=lambda source, frame: frame.filter(pl.col("shift_date") >= dt.date(2026, 10, 4))
                     if source == "attendance" else frame)
    assert failures(results)["attendance.shifts_start_on_the_first_expected_day"] == BLOCK
    assert examples(results, "shifts_start_on_the_first_expected_day") == "missing: 2026-10-01, 2026-10-02, 2026-10-03"


def test_a_holiday_in_the_policy_is_not_a_missing_day(data):
    national_day = pl.col("shift_date") == dt.date(2026, 10, 1)
    close = lambda source, frame: frame.filter(~national_day) if source == "attendance" else frame  # noqa: E731
    assert failures(suites(data, change=close))["attendance.shifts_start_on_the_first_expected_day"] == BLOCK
    assert failures(suites(data, Policy(holidays=[dt.date(2026, 10, 1)]), change=close)) == {}


@pytest.fixture(scope="module")
def weekday_center(tmp_path_factory) -> Path:
    """A Monday-to-Friday center, closed on 2026-02-17 (Spring Festival) too."""
    folder = tmp_path_factory.mktemp("weekdays")
    generate(GenerateOptions(agents=60, month=Month(2026, 2), out=folder, months_back=1, seed=3, team_size=15,
                             calendar="weekdays", holidays=(dt.date(2026, 2, 17),)))
    return folder


def test_a_weekday_center_runs_under_the_default_policy_and_its_holiday_only_warns(weekday_center):
    results = suites(weekday_center, month=Month(2026, 2))
    assert failures(results) == {"attendance.every_expected_day_has_shifts": WARN}
    assert examples(results, "every_expected_day_has_shifts") == "missing: 2026-02-17"
    # February has 19 working days (20 weekdays) against January's 22: the volumes are compared per day
    volume = results.filter((pl.col("source") == "attendance") & (pl.col("expectation") == "row_volume"))
    assert volume["passed"][0] and "(allowed " in volume["observed"][0]


def test_weekdays_set_in_the_policy_and_the_holiday_listed_make_february_clean(weekday_center):
    policy = Policy(operating_weekdays=["mon", "tue", "wed", "thu", "fri"], holidays=[dt.date(2026, 2, 17)])
    assert failures(suites(weekday_center, policy, month=Month(2026, 2))) == {}


def test_agents_on_the_roster_a_week_or_more_are_expected_on_the_rota():
    agents = pl.DataFrame({
        "agent_id": ["whole_month", "hired_31st", "hired_25th", "left_2nd", "left_7th"],
        "hire_date": [dt.date(2024, 1, 1), dt.date(2026, 10, 31), dt.date(2026, 10, 25), dt.date(2024, 1, 1),
                      dt.date(2024, 1, 1)],
        "exit_date": [None, None, None, dt.date(2026, 10, 2), dt.date(2026, 10, 7)]})
    assert rostered_agents(agents, MONTH) == ["hired_25th", "left_7th", "whole_month"]


def test_the_policy_sets_each_expectations_severity(data):
    policy = Policy(expectation_severity={"csat_responses.not_nearly_all_fives": "block",
                                          "attendance.shifts_reach_the_last_expected_day": "warn"})
    results = suites(data, policy, change=lambda source, frame: frame.with_columns(pl.lit(5, dtype=pl.Int64)
                                                                                     .alias("score"))
                     if source == "csat_responses" else frame)
    assert failures(results) == {"csat_responses.not_nearly_all_fives": BLOCK}
    assert results.filter(pl.col("expectation") == "shifts_reach_the_last_expected_day")["severity"][0] == WARN


@pytest.mark.slow
def test_dagster_warns_on_all_fives_and_blocks_on_an_export_cut_off_early(data, tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    fives = tmp_path / "fives"
    for month in (MONTH.previous(), MONTH):
        (fives / str(month)).mkdir(parents=True)
        for path in (data / str(month)).iterdir():
            (fives / str(month) / path.name).write_bytes(path.read_bytes())
    csat = fives / str(MONTH) / "csat_responses.csv"
    pl.read_csv(csat, infer_schema_length=None).with_columns(pl.lit(5).alias("score")).write_csv(csat)

    ok, messages, _ = run_month(MONTH, str(fives), str(tmp_path / "out"))
    assert ok, messages  # a warning lets the month go on...
    month_out = tmp_path / "out" / str(MONTH)
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(month_out / "center_report.pdf").pages)
    assert "at least 5% of CSAT scores are not 5" in " ".join(text.split())  # ...and the director is told
    assert (month_out / "data_docs" / "index.html").exists()

    attendance = fives / str(MONTH) / "attendance.csv"
    frame = pl.read_csv(attendance, infer_schema_length=None)
    frame.filter(pl.col("shift_date") <= "2026-10-29").write_csv(attendance)
    ok, messages, _ = run_month(MONTH, str(fives), str(tmp_path / "out_blocked"))
    assert not ok
    stopped = [line for line in messages if "shifts_reach_the_last_expected_day" in line]
    assert stopped and "missing: 2026-10-30, 2026-10-31" in stopped[0], messages
    assert not (tmp_path / "out_blocked" / str(MONTH) / "agent_scorecard.csv").exists()
