"""Two runs share nothing they did not ask to share (SPEC §11, isolation): two centers run at once
into two out folders under one DAGSTER_HOME each get their own reports; delivery from one out
folder never reads the other's; and two runs of one month into one folder never interleave."""

from __future__ import annotations

import os
import subprocess
import sys

import polars as pl
import pytest
from filelock import FileLock

from core.manifest import read_manifest
from core.months import Month
from pipelines.cli import main, run_month
from synthetic.generator import GenerateOptions, generate

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("isolation")]

MONTH = Month(2026, 10)


@pytest.fixture(scope="module")
def two_centers(tmp_path_factory):
    """Center A (6 teams) and center B (3 teams) run at the same time, under one DAGSTER_HOME."""
    root = tmp_path_factory.mktemp("two_centers")
    home = root / "home"
    home.mkdir()
    centers = {"A": (30, 5, 1), "B": (15, 5, 2)}  # agents, team size, seed
    for name, (agents, team_size, seed) in centers.items():
        generate(GenerateOptions(agents=agents, team_size=team_size, month=MONTH, out=root / name / "data",
                                 months_back=0, seed=seed))
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    runs = {name: subprocess.Popen([sys.executable, "-m", "pipelines.cli", "run", "--month", str(MONTH), "--data",
                                    str(root / name / "data"), "--out", str(root / name / "out")],
                                   env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for name in centers}
    for name, run in runs.items():
        out, err = run.communicate(timeout=600)
        assert run.returncode == 0, (name, err)
    return root


def _team_ids(root, name) -> list[str]:
    return sorted(pl.read_csv(root / name / "data" / str(MONTH) / "teams.csv")["team_id"].to_list())


def test_each_center_gets_its_own_teams_reports(two_centers):
    root = two_centers
    for name, teams in (("A", 6), ("B", 3)):
        folder = root / name / "out" / str(MONTH)
        reported = sorted(e.team_id for e in read_manifest(folder).values() if e.kind == "team")
        assert len(_team_ids(root, name)) == teams and reported == _team_ids(root, name)
        assert sorted(p.stem for p in (folder / "teams").glob("*.pdf")) == reported
        roster = pl.read_csv(root / name / "data" / str(MONTH) / "agents.csv")
        card = pl.read_csv((folder / "agent_scorecard.csv").read_bytes()[3:])
        mine = card.join(roster.select("agent_id", "agent_name"), on="agent_id", suffix="_roster")
        assert mine.height == card.height and (mine["agent_name"] == mine["agent_name_roster"]).all()


def test_no_intermediate_frame_is_kept_in_dagster_home(two_centers):
    kept = [p for p in (two_centers / "home").rglob("*") if p.is_file() and "compute_logs" not in p.parts
            and p.suffix not in (".db", ".yaml", ".lock")]
    assert kept == []
    for name in ("A", "B"):
        frames = list((two_centers / name / "out" / str(MONTH) / ".intermediate").glob("*.pickle"))
        assert len(frames) > 20 and all(oct(p.stat().st_mode)[-3:] == "600" for p in frames)


def test_sending_from_one_out_folder_reads_nothing_of_the_other(two_centers, monkeypatch):
    root = two_centers
    monkeypatch.setenv("DAGSTER_HOME", str(root / "home"))
    os.rename(root / "A" / "out", root / "A" / "moved-away")  # center A's outputs are gone: B must not care
    try:
        assert main(["send", "--month", str(MONTH), "--out", str(root / "B" / "out"), "--force"]) == 0
    finally:
        os.rename(root / "A" / "moved-away", root / "A" / "out")
    log = pl.read_csv((root / "B" / "out" / str(MONTH) / "delivery_log.csv").read_bytes()[3:], infer_schema=False)
    resent = log.filter(pl.col("kind") == "resend")["report"].to_list()
    teams = pl.read_csv(root / "B" / "data" / str(MONTH) / "teams.csv")
    assert sorted(resent) == [f"teams/{t}.pdf" for t in teams.filter(pl.col("supervisor_email").is_not_null())["team_id"]]


def test_a_second_run_of_the_same_month_into_the_same_folder_is_refused_while_the_first_holds_it(
        two_centers, monkeypatch):
    root = two_centers
    monkeypatch.setenv("DAGSTER_HOME", str(root / "home"))
    monkeypatch.setenv("CCPULSE_RUN_LOCK_WAIT_SECONDS", "1")
    folder = root / "B" / "out" / str(MONTH)
    before = (folder / "agent_scorecard.csv").read_bytes()
    with FileLock(str(folder / ".run.lock")):  # a run of this month into this folder is under way
        ok, messages, _ = run_month(MONTH, str(root / "B" / "data"), str(root / "B" / "out"))
    assert not ok
    assert any("is being written by another run" in line and "waited 1 s" in line for line in messages), messages
    assert (folder / "agent_scorecard.csv").read_bytes() == before
