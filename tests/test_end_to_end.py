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
from tests.spec_columns import SPEC_COACHING, SPEC_COACHING_FOLLOWUP, SPEC_FAIRNESS, SPEC_HEALTH, SPEC_SCORECARD

MONTH = Month(2026, 10)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    data = tmp_path_factory.mktemp("data")
    # QA001 scores 12 points kinder than the other evaluators (SPEC §13)
    generate(GenerateOptions(agents=80, month=MONTH, out=data, months_back=2, seed=11, bad_rows=True,
                             evaluator_bias=12))
    return data


@pytest.fixture(scope="module")
def finished_month(generated, tmp_path_factory):
    home = tmp_path_factory.mktemp("dagster_home")
    patch = pytest.MonkeyPatch()
    patch.setenv("DAGSTER_HOME", str(home))
    patch.setenv("CCPULSE_RENDER_WORKERS", "2")  # the reports of a real center: through the render workers
    out = tmp_path_factory.mktemp("out")
    for month in MONTH.back(2):  # three months, oldest first, as the schedule would run them
        ok, messages, _ = run_month(month, str(generated), str(out))
        assert ok, messages
    patch.undo()
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


def test_the_run_is_recorded_in_the_instance_with_its_folders_and_failed_checks(finished_month):
    from dagster import AssetCheckKey, AssetKey, DagsterInstance

    data, out, home = finished_month
    with DagsterInstance.from_config(str(home)) as instance:
        record = instance.get_latest_materialization_event(AssetKey("valid_attendance"))
        history = instance.event_log_storage.get_asset_check_execution_history(
            AssetCheckKey(AssetKey("valid_attendance"), "no_quarantined_rows"), limit=1
        )
        conserved = instance.event_log_storage.get_asset_check_execution_history(
            AssetCheckKey(AssetKey("valid_attendance"), "rows_conserved"), limit=1
        )
        run = instance.get_run_by_id(record.run_id)
    assert run.tags["ccpulse/data"] == str(data.parent.resolve()) and run.tags["ccpulse/out"] == str(out.parent)
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


# --- SPEC §9 outputs over three months ------------------------------------------------------

def read_output(folder: Path, name: str) -> pl.DataFrame:
    raw = (folder / name).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), f"{name} is not UTF-8 with BOM"
    return pl.read_csv(raw[3:], infer_schema_length=None)


def test_the_outputs_have_the_specs_columns(finished_month):
    _, out, _ = finished_month
    assert read_output(out, "agent_scorecard.csv").columns == SPEC_SCORECARD
    assert read_output(out, "award_eligibility.csv").columns == ["month", "agent_id", "award", "eligible", "unmet"]
    assert read_output(out, "awards.csv").columns == ["month", "award", "agent_id", "agent_name", "team_id", "reason"]
    assert read_output(out, "management_health.csv").columns == SPEC_HEALTH
    assert read_output(out, "data_quality.csv").columns == [
        "source", "rows_read", "rows_used", "rows_quarantined", "failed_checks"]
    assert read_output(out, "award_fairness.csv").columns == SPEC_FAIRNESS
    assert read_output(out, "coaching.csv").columns == SPEC_COACHING
    assert read_output(out, "coaching_followup.csv").columns == SPEC_COACHING_FOLLOWUP
    assert read_output(out, "qa_calibration.csv").columns == [
        "month", "evaluator_id", "evaluations", "paired_evaluations", "mean_score", "leniency", "flagged"]
    assert "lucky_draw_salt: ccpulse" in (out / "policy.yaml").read_text(encoding="utf-8")


def test_the_scorecard_covers_the_active_roster(finished_month):
    data, out, _ = finished_month
    card = read_output(out, "agent_scorecard.csv")
    roster = pl.read_csv(data / "agents.csv", try_parse_dates=True)
    active = roster.filter(
        (pl.col("hire_date") <= pl.date(2026, 10, 31))
        & (pl.col("exit_date").is_null() | (pl.col("exit_date") >= pl.date(2026, 10, 1)))
        & pl.col("team_id").is_in(pl.read_csv(data / "teams.csv")["team_id"].implode())
        & pl.col("shift_pattern").is_in(["day", "night", "rotating"])
        & ~pl.col("agent_id").is_duplicated()
        & (pl.col("exit_date").is_null() | (pl.col("exit_date") >= pl.col("hire_date")))
    )
    assert sorted(card["agent_id"]) == sorted(active["agent_id"])
    assert card.filter(pl.col("ranked"))["composite"].null_count() == 0
    health = read_output(out, "management_health.csv")
    assert health.filter(pl.col("team_id") == "ALL")["headcount"].item() == card.height


def test_composite_delta_is_the_change_between_the_months_files(finished_month):
    _, out, _ = finished_month
    october = read_output(out, "agent_scorecard.csv")
    september = read_output(out.parent / "2026-09", "agent_scorecard.csv")
    both = october.join(september.filter(pl.col("ranked")), on="agent_id", suffix="_sep").filter(pl.col("ranked"))
    assert both.height > 10
    assert both["composite_delta"].to_list() == pytest.approx(
        (both["composite"] - both["composite_sep"]).to_list(), abs=1e-9)
    only_now = october.filter(pl.col("ranked") & ~pl.col("agent_id").is_in(both["agent_id"].implode()))
    assert only_now["composite_delta"].null_count() == only_now.height


def test_awards_go_to_eligible_agents_and_the_draw_can_be_redone(finished_month):
    import hashlib
    import random

    _, out, _ = finished_month
    eligibility = read_output(out, "award_eligibility.csv")
    awards = read_output(out, "awards.csv")
    eligible = set(eligibility.filter(pl.col("eligible")).select("award", "agent_id").iter_rows())
    assert set(awards.select("award", "agent_id").iter_rows()) <= eligible
    pool = sorted(eligibility.filter((pl.col("award") == "lucky_draw") & pl.col("eligible"))["agent_id"])
    seed = int(hashlib.sha256(b"ccpulse:2026-10").hexdigest()[:16], 16)
    assert awards.filter(pl.col("award") == "lucky_draw")["agent_id"].to_list() == random.Random(seed).sample(pool, 3)
    assert eligibility.filter(~pl.col("eligible"))["unmet"].null_count() == 0


def test_a_policy_file_changes_the_run_and_is_recorded(generated, tmp_path, dagster_home):
    policy = tmp_path / "policy.yaml"
    policy.write_text("lucky_draw_winners: 5\nlucky_draw_salt: spring-party\n", encoding="utf-8")
    ok, messages, _ = run_month(MONTH, str(generated), str(tmp_path / "out"), policy=str(policy))
    assert ok, messages
    out = tmp_path / "out" / str(MONTH)
    assert read_output(out, "awards.csv").filter(pl.col("award") == "lucky_draw").height == 5
    recorded = (out / "policy.yaml").read_text(encoding="utf-8")
    assert "lucky_draw_winners: 5" in recorded and "lucky_draw_salt: spring-party" in recorded


def test_an_invalid_policy_stops_before_the_run(generated, tmp_path, dagster_home):
    policy = tmp_path / "policy.yaml"
    policy.write_text("weights: {quality: 0.5, satisfaction: 0.5, attendance: 0.5, conduct: 0}\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "run", "--month", str(MONTH), "--data", str(generated),
         "--out", str(tmp_path / "out"), "--policy", str(policy)],
        capture_output=True, text=True, env={**os.environ, "DAGSTER_HOME": str(dagster_home)},
    )
    assert result.returncode == 2
    assert "weights must sum to 1, they sum to 1.5" in result.stderr
    assert not (tmp_path / "out").exists()


def test_the_lenient_evaluator_is_the_only_one_flagged_and_the_fairness_table_covers_every_group(finished_month):
    data, out, _ = finished_month
    calibration = read_output(out, "qa_calibration.csv")
    assert calibration.columns == ["month", "evaluator_id", "evaluations", "paired_evaluations", "mean_score",
                                   "leniency", "flagged"]
    assert calibration.filter(pl.col("flagged"))["evaluator_id"].to_list() == ["QA001"]
    assert calibration.filter(pl.col("evaluator_id") == "QA001")["leniency"][0] >= 5
    card = read_output(out, "agent_scorecard.csv")
    evaluated = card.filter(pl.col("qa_evals") > 0)
    assert evaluated["qa_score_adjusted"].null_count() == 0 and evaluated["qa_flagged_evaluator_share"].null_count() == 0
    assert card.filter(pl.col("qa_evals") == 0)["qa_score_adjusted"].null_count() == card.filter(
        pl.col("qa_evals") == 0).height
    fairness = read_output(out, "award_fairness.csv")
    teams = pl.read_csv(data / "teams.csv")
    groups = card["shift_pattern"].n_unique() + card.join(teams, on="team_id")["site"].n_unique()
    assert fairness.height == groups * 4
    awards = read_output(out, "awards.csv")
    for row in fairness.filter(pl.col("group_kind") == "shift_pattern").iter_rows(named=True):
        cohort = card.filter(pl.col("shift_pattern") == row["group"])
        won = awards.filter((pl.col("award") == row["award"]) & pl.col("agent_id").is_in(cohort["agent_id"].implode()))
        assert (row["active_agents"], row["winners"]) == (cohort.height, won["agent_id"].n_unique())
