"""Personnel data stays out of Dagster's event log (SPEC §12, §7): everyone with the UI reads the event log,
metadata and compute logs, so a month's run leaves there counts, ids and aggregates, never an agent's or a
supervisor's name or email, and never the coaching list."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from core.months import Month
from core.output import read_output_csv
from pipelines.cli import run_month
from synthetic.generator import GenerateOptions, generate

pytestmark = pytest.mark.slow

MONTH = Month(2026, 10)
# Every name is checked, the two-character Chinese ones (4 of this roster) included: none of them occurs in any
# other text the run writes (checked with this seed). Should one ever collide with unrelated Chinese text, the
# failure names the file: look at it before raising this to 3. A one-character value would match by chance.
SHORTEST_NAME_CHECKED = 2
DIRECTOR = "li.director@example.com"


@pytest.fixture(scope="module")
def finished_month(tmp_path_factory):
    """One small month with bad rows in every source (quarantine previews hold copies of roster rows) and the
    month before it (last_month, coaching follow-up), run as `ccpulse run` runs it, in its own DAGSTER_HOME."""
    root = tmp_path_factory.mktemp("privacy")
    home = root / "dagster_home"
    home.mkdir()
    generate(GenerateOptions(agents=24, team_size=8, month=MONTH, out=root / "data", months_back=1, seed=5,
                             bad_rows=True))
    policy = root / "policy.yaml"  # the director's address is personnel data too
    policy.write_text(f"center_report_recipients: [{DIRECTOR}]\n", encoding="utf-8")
    patch = pytest.MonkeyPatch()  # the `dagster_home` fixture's setting, for the whole module
    patch.setenv("DAGSTER_HOME", str(home))
    try:
        ok, messages, _ = run_month(MONTH, str(root / "data"), str(root / "out"), policy=str(policy))
    finally:
        patch.undo()
    assert ok, messages
    return root / "data", root / "out" / str(MONTH), home


def _personnel(data: Path) -> set[str]:
    """Every agent and supervisor name and email the generated months hold (this month's and last month's), and
    the director's address."""
    found: set[str] = set()
    for folder in data.iterdir():
        if not folder.is_dir():
            continue
        agents = pl.read_csv(folder / "agents.csv", infer_schema=False)
        teams = pl.read_csv(folder / "teams.csv", infer_schema=False)
        for column in (agents["agent_name"], agents["email"], teams["supervisor_name"], teams["supervisor_email"]):
            found |= {value for value in column.drop_nulls().to_list() if value.strip()}
    return found | {DIRECTOR}


def _forms(value: str) -> set[bytes]:
    """How a value can sit in Dagster's files: as UTF-8, JSON-escaped (`\\u738b`), and markdown-escaped."""
    escaped = value.replace("_", "\\_").replace("*", "\\*")
    return {value.encode("utf-8"), json.dumps(value, ensure_ascii=True)[1:-1].encode("ascii"),
            escaped.encode("utf-8"), json.dumps(escaped, ensure_ascii=True)[1:-1].encode("ascii")}


def _checked(values: set[str]) -> set[str]:
    return {v for v in values if "@" in v or len(v) >= SHORTEST_NAME_CHECKED}


def test_no_name_or_email_of_agents_or_supervisors_is_anywhere_under_dagster_home(finished_month):
    data, _, home = finished_month
    people = _personnel(data)
    checked = _checked(people)
    # The test means something: the roster is there, with emails and long names to look for.
    assert sum("@" in v for v in checked) >= 24 and sum("@" not in v for v in checked) >= 24
    files = [path for path in home.rglob("*") if path.is_file()]
    assert any(path.suffix == ".db" for path in files)  # the event log itself is among them
    leaks = {}
    for path in files:
        content = path.read_bytes()
        found = sorted(v for v in checked if any(form in content for form in _forms(v)))
        if found:
            leaks[str(path.relative_to(home))] = found[:5]
    assert leaks == {}


def test_the_event_log_still_tells_counts_and_per_team_aggregates(finished_month):
    from dagster import AssetKey, DagsterInstance

    _, out, home = finished_month
    scorecard = read_output_csv(out / "agent_scorecard.csv")
    quarantined = read_output_csv(out / "data_quality" / "quarantine_agents.csv")
    patch = pytest.MonkeyPatch()
    patch.setenv("DAGSTER_HOME", str(home))
    try:
        with DagsterInstance.get() as instance:
            def metadata(asset: str) -> dict:
                event = instance.get_latest_materialization_event(AssetKey(asset))
                return {k: getattr(v, "value", v) for k, v in event.asset_materialization.metadata.items()}

            card, raw, valid, coaching = (metadata(a) for a in ("agent_scorecard", "raw_agents", "valid_agents",
                                                                 "coaching"))
    finally:
        patch.undo()
    assert card["dagster/row_count"] == scorecard.height == 24 and card["ranked"] == scorecard["ranked"].sum()
    assert raw["dagster/row_count"] == 24 + quarantined.height and valid["rows_quarantined"] == quarantined.height == 3
    assert coaching["on_coaching_list"] >= 1  # 24 agents with bad rows: somebody is to be coached
    teams = sorted(scorecard["team_id"].unique())
    assert len(teams) == 3
    for shown in (str(card["preview"]), str(coaching["preview"])):  # per team, not per agent
        assert all(f"| {team} |" in shown for team in teams), shown
        assert not any(agent in shown for agent in scorecard["agent_id"]), shown
    # The roster's profile: each column's type and nulls, no value of a text column.
    assert "| agent\\_name | String | 0 | " in str(raw["preview"]) and "@" not in str(raw["preview"])


def test_a_preview_shows_ids_numbers_and_the_pipelines_words_never_other_text():
    from core.output import markdown_preview, markdown_profile

    frame = pl.DataFrame({"agent_id": ["A1", "A2"], "agent_name": ["王小明", "Mary Smith"],
                          "email": ["a1@example.com", None], "nickname": ["Xiaoming", "M"], "penalties": [2, 0],
                          "status": ["red", "green"]})
    table = markdown_preview(frame)
    assert table.splitlines()[:4] == ["| agent_id | penalties | status |", "|---|---|---|", "| A1 | 2 | red |",
                                      "| A2 | 0 | green |"]
    # A text column it does not know (`nickname`) is left out like the known personnel columns, and named.
    assert table.endswith("Not shown here (free text, which may hold personnel data): agent_name, email, nickname")
    profile = markdown_profile(frame)
    assert r"| agent\_name | String | 0 | 2 |  |  |" in profile and "| penalties | Int64 | 0 | 2 | 0 | 2 |" in profile
    assert not any(value in profile for value in ("王小明", "Mary", "example.com", "Xiaoming", "A1"))
