"""The trend's earlier months (SPEC §10, §14): a month that was run is read from its management_health.csv,
never computed again; one that was not is computed from its data, to the same figures a full computation
gives, once: running the month again reads it back, and a change to its data computes it again."""

from __future__ import annotations

import polars as pl
import pytest

from core.months import Month
from core.output import write_output_csv
from ingest.files import FileSource
from ingest.history import TREND_COLUMNS, before, earlier_complaints, earlier_health, load_valid_month
from ingest.mapping import ColumnMapping
from metrics.month import month_health
from schemas.expectations import load_policy_for_run
from synthetic.generator import GenerateOptions, generate

MONTH = Month(2026, 10)
EARLIER = MONTH.back(3)[:-1]  # 2026-07, 2026-08, 2026-09
MAPPING = ColumnMapping()
POLICY = load_policy_for_run(None)


class WatchedReader:
    """The data folder's reader, noting every month whose files are read (parsed or as bytes)."""

    def __init__(self, folder):
        self.files = FileSource(folder)
        self.months_read: set[Month] = set()

    def describe(self) -> str:
        return self.files.describe()

    def available_months(self) -> list[Month]:
        return self.files.available_months()

    def read(self, source, month):
        self.months_read.add(month)
        return self.files.read(source, month)

    def read_bytes(self, source, month):
        self.months_read.add(month)
        return self.files.read_bytes(source, month)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("trend_data")
    generate(GenerateOptions(agents=40, team_size=10, month=MONTH, out=folder, months_back=3, seed=5))
    return folder


def full_computation(folder, month: Month) -> pl.DataFrame:
    """A month's health as the run of that month computes it: every source read and validated, every metric."""
    reader = FileSource(folder)
    history = earlier_complaints(reader, MONTH, MAPPING, POLICY.timezone)
    valid = load_valid_month(reader, month, MAPPING, POLICY.timezone).valid
    return month_health(valid, month, POLICY, before(history, month))


def trend_of(folder, reader, out, cache_dir=None, validated=None) -> pl.DataFrame:
    """The earlier months through `reader`, given the complaint files as the complaint_history step reads them."""
    history = earlier_complaints(FileSource(folder), MONTH, MAPPING, POLICY.timezone)
    return earlier_health(reader, out, MONTH, MAPPING, POLICY, history, months=3, cache_dir=cache_dir,
                          validated=validated)


def test_months_never_run_have_the_figures_a_full_computation_gives(data, tmp_path):
    trend = trend_of(data, FileSource(data), tmp_path / "out")
    expected = pl.concat([full_computation(data, month).select(list(TREND_COLUMNS)).cast(TREND_COLUMNS)
                          for month in EARLIER])
    assert trend["month"].unique(maintain_order=True).to_list() == ["2026-07", "2026-08", "2026-09"]
    assert trend.filter(pl.col("team_id") == "ALL").height == 3 and trend["headcount"].sum() > 0
    assert trend.equals(expected)


def test_last_month_is_computed_from_the_data_the_run_already_validated(data, tmp_path):
    last = load_valid_month(FileSource(data), MONTH.previous(), MAPPING, POLICY.timezone)
    reader = WatchedReader(data)
    trend = trend_of(data, reader, tmp_path / "out", validated=last)
    assert MONTH.previous() not in reader.months_read and Month(2026, 8) in reader.months_read
    assert trend.equals(trend_of(data, FileSource(data), tmp_path / "out"))


def test_a_month_computed_once_is_read_back_and_computed_again_when_its_data_changes(data, tmp_path):
    cache = tmp_path / "kept"
    first = trend_of(data, FileSource(data), tmp_path / "out", cache)
    assert sorted(path.name.split(".")[0] for path in cache.glob("*.parquet")) == ["2026-07", "2026-08", "2026-09"]

    class NoParsing(WatchedReader):
        def read(self, source, month):
            raise AssertionError(f"{source} of {month} parsed again")

    again = trend_of(data, NoParsing(data), tmp_path / "out", cache)  # only the files' bytes, for their digest
    assert again.equals(first)

    csat = data / "2026-08" / "csat_responses.csv"
    original = csat.read_bytes()
    try:
        frame = pl.read_csv(original, infer_schema=False)
        frame.with_columns(score=pl.lit("5")).write_csv(csat)  # every response of August now top-2
        changed = trend_of(data, FileSource(data), tmp_path / "out", cache)
        august = changed.filter(pl.col("month") == "2026-08")
        assert august.filter(pl.col("team_id") == "ALL")["csat"].to_list() == [1.0]
        assert changed.filter(pl.col("month") != "2026-08").equals(first.filter(pl.col("month") != "2026-08"))
        assert august.equals(full_computation(data, Month(2026, 8)).select(list(TREND_COLUMNS)).cast(TREND_COLUMNS))
        assert len(list(cache.glob("2026-08.*.parquet"))) == 1  # the stale one replaced
    finally:
        csat.write_bytes(original)


def test_a_month_that_was_run_is_read_from_its_csv_and_its_data_is_not_read(data, tmp_path):
    out = tmp_path / "out"
    recorded = full_computation(data, Month(2026, 8))
    # A figure no computation of the data gives, so that the trend can only have it from the file
    recorded = recorded.with_columns(csat=pl.when(pl.col("team_id") == "ALL").then(0.123).otherwise(pl.col("csat")))
    write_output_csv(recorded, out / "2026-08" / "management_health.csv")
    reader = WatchedReader(data)
    trend = trend_of(data, reader, out, tmp_path / "kept")
    assert Month(2026, 8) not in reader.months_read
    assert reader.months_read >= {Month(2026, 7), Month(2026, 9)}
    august = trend.filter(pl.col("month") == "2026-08")
    assert august.filter(pl.col("team_id") == "ALL")["csat"].to_list() == [0.123]
    assert august.equals(recorded.select(list(TREND_COLUMNS)).cast(TREND_COLUMNS))
    assert not list((tmp_path / "kept").glob("2026-08.*"))
