"""A month that holds nothing to judge, and an operator's setting that cannot work, are said as they are
(SPEC §2, §12): an empty roster is not a cut-off export, no CSAT response is not a green center, and a
relative DAGSTER_HOME is one line to fix, not a traceback."""

from __future__ import annotations

import polars as pl
import pypdf
import pytest

from core.months import Month
from core.output import read_output_csv
from pipelines.cli import main, run_month
from synthetic.generator import GenerateOptions, generate

pytestmark = pytest.mark.xdist_group("empty_and_misconfigured")

MONTH = Month(2026, 10)


@pytest.fixture
def data(tmp_path):
    folder = tmp_path / "data"
    generate(GenerateOptions(agents=12, team_size=6, month=MONTH, out=folder, months_back=1, seed=4))
    return folder


def _header_only(path) -> None:
    path.write_bytes(path.read_bytes().split(b"\n", 1)[0] + b"\n")


def _expectations(out) -> dict[str, tuple[bool, str]]:
    table = read_output_csv(out / str(MONTH) / "data_quality" / "expectations.csv")
    return {f"{r['source']}.{r['expectation']}": (r["passed"], r["observed"]) for r in table.iter_rows(named=True)}


def test_an_empty_roster_stops_the_month_saying_so_not_blaming_the_attendance_export(data, tmp_path, dagster_home):
    _header_only(data / str(MONTH) / "agents.csv")
    out = tmp_path / "out"

    ok, messages, _ = run_month(MONTH, str(data), str(out), send=False)

    assert not ok
    said = "\n".join(messages)
    assert "roster_has_active_agents" in said
    assert "cut off" not in said and "missing:" not in said, said
    checks = _expectations(out)
    assert checks["agents.roster_has_active_agents"] == (False, "0 (allowed from 1.0)")
    for calendar_check in ("shifts_reach_the_last_expected_day", "shifts_start_on_the_first_expected_day",
                           "every_expected_day_has_shifts"):
        assert checks[f"attendance.{calendar_check}"] == (
            True, "not evaluated: no agent is on the roster for 7+ days of the month")
    # Nothing lost: every attendance row is in its quarantine file, with the reason.
    attendance = pl.read_csv(data / str(MONTH) / "attendance.csv")
    quarantined = read_output_csv(out / str(MONTH) / "data_quality" / "quarantine_attendance.csv")
    assert quarantined.height == attendance.height > 0
    assert not (out / str(MONTH) / "center_report.pdf").exists()


def test_a_roster_of_leavers_only_is_a_roster_with_no_active_agent(data, tmp_path, dagster_home):
    agents = data / str(MONTH) / "agents.csv"
    roster = pl.read_csv(agents, infer_schema=False)
    roster.with_columns(pl.lit("2026-09-15").alias("exit_date"),
                        pl.lit("2025-01-01").alias("hire_date")).write_csv(agents)
    out = tmp_path / "out"

    ok, _, _ = run_month(MONTH, str(data), str(out), send=False)

    assert not ok
    assert _expectations(out)["agents.roster_has_active_agents"] == (False, "0 (allowed from 1.0)")


def test_a_month_without_csat_responses_says_so_in_the_brief_and_as_a_check(data, tmp_path, dagster_home):
    _header_only(data / str(MONTH) / "csat_responses.csv")
    out = tmp_path / "out"

    ok, messages, _ = run_month(MONTH, str(data), str(out), send=False)

    assert ok, messages
    assert _expectations(out)["csat_responses.responses_present"] == (False, "0 (allowed from 1)")
    page_one = pypdf.PdfReader(out / str(MONTH) / "center_report.pdf").pages[0].extract_text()
    assert "No CSAT responses this month (n=0): satisfaction is unknown" in " ".join(page_one.split())


@pytest.mark.parametrize("command", [["run", "--month", "2026-10", "--data", "{data}", "--out", "{out}"],
                                     ["send", "--month", "2026-10", "--out", "{out}"]])
def test_a_relative_dagster_home_is_one_line_to_fix_not_a_traceback(command, data, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DAGSTER_HOME", "relative/home")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out" / "2026-10").mkdir(parents=True)
    (tmp_path / "out" / "2026-10" / "manifest.json").write_text("{}")

    code = main([part.format(data=data, out=tmp_path / "out") for part in command])

    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("ccpulse: DAGSTER_HOME must be an absolute path, not 'relative/home'")
    assert f"export DAGSTER_HOME={tmp_path / 'relative' / 'home'}" in err
    assert "Traceback" not in err and not (tmp_path / "relative").exists()
