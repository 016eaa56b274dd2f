"""A generated month with bad rows, through the real Dagster definitions, as `ccpulse run` does it."""

import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from core.months import Month
from pipelines.cli import run_month
from schemas.sources import SOURCES
from synthetic.generator import GenerateOptions, generate

MONTH = Month(2026, 10)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    data = tmp_path_factory.mktemp("data")
    generate(GenerateOptions(agents=80, month=MONTH, out=data, months_back=1, seed=11, bad_rows=True))
    return data


@pytest.fixture(scope="module")
def finished_month(generated, tmp_path_factory):
    home = tmp_path_factory.mktemp("dagster_home")
    patch = pytest.MonkeyPatch()
    patch.setenv("DAGSTER_HOME", str(home))
    out = tmp_path_factory.mktemp("out")
    ok, messages = run_month(MONTH, str(generated), str(out))
    patch.undo()
    assert ok, messages
    return generated / str(MONTH), out / str(MONTH), home


def test_rows_in_equal_rows_used_plus_rows_quarantined(finished_month):
    data, out, _ = finished_month
    quality = pl.read_csv(out / "data_quality.csv", encoding="utf8")
    assert quality["source"].to_list() == list(SOURCES)
    for row in quality.iter_rows(named=True):
        # Counted here straight from the file, not by the code under test.
        lines_in_file = pl.read_csv(data / f"{row['source']}.csv", infer_schema=False).height
        quarantined = pl.read_csv(out / "data_quality" / f"quarantine_{row['source']}.csv", infer_schema=False)
        assert row["rows_read"] == lines_in_file
        assert row["rows_used"] + row["rows_quarantined"] == lines_in_file
        assert row["rows_quarantined"] == quarantined.height
        assert row["rows_quarantined"] > 0  # the generator breaks every source


def test_every_injected_bad_row_lands_in_quarantine_with_its_reason(finished_month):
    data, out, _ = finished_month
    injected = pl.read_csv(data / "_injected_bad_rows.csv", infer_schema=False)
    assert set(injected["source"]) == set(SOURCES)
    for entry in injected.iter_rows(named=True):
        quarantine = pl.read_csv(out / "data_quality" / f"quarantine_{entry['source']}.csv", infer_schema=False)
        reasons = quarantine.filter(pl.col(entry["key_column"]) == entry["key"])["reasons"].to_list()
        assert reasons, f"{entry} not quarantined"
        assert any(entry["reason"] in r.split("; ") for r in reasons), (entry, reasons)


def test_outputs_are_utf8_with_bom(finished_month):
    _, out, _ = finished_month
    assert (out / "data_quality.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    quarantine = (out / "data_quality" / "quarantine_teams.csv").read_bytes()
    assert quarantine.startswith(b"\xef\xbb\xbf")
    assert quarantine[3:].split(b"\n")[0].decode().startswith("source_line,reasons,team_id")


def test_the_run_is_recorded_in_the_instance_with_failed_checks(finished_month):
    from dagster import AssetCheckKey, AssetKey, DagsterInstance

    _, _, home = finished_month
    with DagsterInstance.from_config(str(home)) as instance:
        record = instance.get_latest_materialization_event(AssetKey("valid_attendance"))
        history = instance.event_log_storage.get_asset_check_execution_history(
            AssetCheckKey(AssetKey("valid_attendance"), "no_quarantined_rows"), limit=1
        )
        conserved = instance.event_log_storage.get_asset_check_execution_history(
            AssetCheckKey(AssetKey("valid_attendance"), "rows_conserved"), limit=1
        )
    assert record.asset_materialization.partition == "2026-10"
    assert record.asset_materialization.metadata["rows_quarantined"].value > 0
    assert history[0].status.value == "FAILED"
    assert conserved[0].status.value == "SUCCEEDED"


def test_a_structural_error_stops_the_month_naming_file_and_column(generated, tmp_path, dagster_home):
    broken = tmp_path / "data"
    month = broken / str(MONTH)
    month.mkdir(parents=True)
    for path in (generated / str(MONTH)).iterdir():
        (month / path.name).write_bytes(path.read_bytes())
    csat = pl.read_csv(month / "csat_responses.csv", infer_schema=False).drop("score")
    csat.write_csv(month / "csat_responses.csv")
    result = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "run", "--month", str(MONTH), "--data", str(broken),
         "--out", str(tmp_path / "out")],
        capture_output=True, text=True, env={**os.environ, "DAGSTER_HOME": str(dagster_home)},
    )
    assert result.returncode == 1
    assert f"{MONTH}/csat_responses.csv" in result.stderr
    assert "missing required column: score" in result.stderr
    assert not (tmp_path / "out" / str(MONTH) / "data_quality.csv").exists()
