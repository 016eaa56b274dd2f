"""Only what changed is laid out again (SPEC §14): a report whose inputs and render environment match the
manifest's, and whose file is still the recorded one, is kept; anything the reader sees changing lays it out."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import hashlib
import json

import polars as pl
import pytest

from core.months import Month
from core.policy import Policy
from pipelines.cli import run_month
from reports import fingerprint
from core.digests import files_digest
from reports.fingerprint import fonts_digest, inputs_fingerprint, stylesheet_families
from synthetic.generator import GenerateOptions, generate

MONTH = Month(2026, 10)


def _manifest(out) -> dict[str, dict]:
    document = json.loads((out / str(MONTH) / "manifest.json").read_text(encoding="utf-8"))
    return {entry["report"]: entry for entry in document["reports"]}


@pytest.mark.slow
def test_a_corrected_name_lays_out_its_teams_report_again_and_no_other_and_a_damaged_file_is_remade(tmp_path, dagster_home):
    data, out, policy = tmp_path / "data", tmp_path / "out", tmp_path / "policy.yaml"
    policy.write_text("center_report_recipients: [director@example.com]\n", encoding="utf-8")
    policy_file = str(policy)
    generate(GenerateOptions(agents=18, team_size=6, month=MONTH, out=data, months_back=0, seed=5))
    assert run_month(MONTH, str(data), str(out), policy=policy_file)[0]  # and sent
    first = _manifest(out)
    sent = set((out / str(MONTH) / "outbox").glob("*.eml"))
    files = {report: (out / str(MONTH) / report).stat().st_mtime_ns for report in first if report.endswith(".pdf")}

    roster = data / str(MONTH) / "agents.csv"
    agents = pl.read_csv(roster, infer_schema=False)
    winners = pl.read_csv(out / str(MONTH) / "awards.csv", infer_schema=False)["agent_id"]
    agent = agents.filter((pl.col("team_id") == "T02") & ~pl.col("agent_id").is_in(winners.implode()))["agent_id"][0]
    agents.with_columns(pl.when(pl.col("agent_id") == agent).then(pl.lit("Zhou Corrected")).otherwise("agent_name")
                        .alias("agent_name")).write_csv(roster)
    assert run_month(MONTH, str(data), str(out), policy=policy_file)[0]
    second = _manifest(out)
    # one correction, to T02's supervisor, with T02's report alone
    (correction,) = set((out / str(MONTH) / "outbox").glob("*.eml")) - sent
    message = email.message_from_bytes(correction.read_bytes(), policy=email.policy.default)
    teams = pl.read_csv(data / str(MONTH) / "teams.csv", infer_schema=False)
    assert message["To"].addresses[0].addr_spec == teams.filter(pl.col("team_id") == "T02")["supervisor_email"][0]
    assert message["Subject"].startswith("Correction:")
    assert [part.get_filename() for part in message.iter_attachments()] == [f"ccpulse_{MONTH}_team_T02.pdf"]

    relaid = {report for report, written in files.items() if (out / str(MONTH) / report).stat().st_mtime_ns != written}
    assert relaid == {"teams/T02.pdf"}
    assert second["teams/T02.pdf"]["sha256"] != first["teams/T02.pdf"]["sha256"]
    assert {report: entry["sha256"] for report, entry in second.items() if report != "teams/T02.pdf"} \
        == {report: entry["sha256"] for report, entry in first.items() if report != "teams/T02.pdf"}

    assert run_month(MONTH, str(data), str(out), policy=policy_file, send=False)[0]  # nothing changed: nothing laid out
    assert {report for report, written in files.items() if report != "teams/T02.pdf"
            and (out / str(MONTH) / report).stat().st_mtime_ns != written} == set()
    assert _manifest(out) == second

    report = out / str(MONTH) / "teams" / "T01.pdf"  # a file cut short since it was recorded is laid out again
    report.write_bytes(report.read_bytes()[:-10])
    assert run_month(MONTH, str(data), str(out), policy=policy_file, send=False)[0]
    assert hashlib.sha256(report.read_bytes()).hexdigest() == second["teams/T01.pdf"]["sha256"]
    assert _manifest(out) == second


def _frame(**columns) -> pl.DataFrame:
    return pl.DataFrame(columns)


def test_the_inputs_fingerprint_changes_with_each_input_and_only_then():
    policy = Policy()
    team = _frame(agent_id=["A1", "A2"], score=[90.5, 80.0])
    base = inputs_fingerprint("team.html", "team_context", team, policy, MONTH)
    assert base == inputs_fingerprint("team.html", "team_context", team.clone(), Policy(), Month(2026, 10))
    changed = {
        "a cell": inputs_fingerprint("team.html", "team_context", _frame(agent_id=["A1", "A2"], score=[90.5, 80.1]),
                                     policy, MONTH),
        "a row": inputs_fingerprint("team.html", "team_context", team.head(1), policy, MONTH),
        "a column's type": inputs_fingerprint("team.html", "team_context", team.with_columns(pl.col("score")
                                                                                            .cast(pl.Float32)),
                                              policy, MONTH),
        "the policy": inputs_fingerprint("team.html", "team_context", team, policy.model_copy(
            update={"csat_target": policy.csat_target + 0.01}), MONTH),
        "the language": inputs_fingerprint("team.html", "team_context", team, policy.model_copy(
            update={"language": "zh-CN"}), MONTH),
        "the month": inputs_fingerprint("team.html", "team_context", team, policy, Month(2026, 9)),
        "the template": inputs_fingerprint("center.html", "team_context", team, policy, MONTH),
    }
    assert base not in changed.values() and len(set(changed.values())) == len(changed)
    with pytest.raises(TypeError, match="cannot fingerprint"):
        inputs_fingerprint(object())


@pytest.mark.parametrize("part", ["templates", "messages", "code", "fonts", "ccpulse", "weasyprint", "polars"])
def test_the_render_environment_covers_templates_fonts_code_and_versions(part, monkeypatch):
    parts = fingerprint.environment_parts()
    team = _frame(agent_id=["A1"])
    fingerprint.render_environment.cache_clear()
    base = inputs_fingerprint("team.html", team)
    monkeypatch.setattr(fingerprint, "environment_parts", lambda: {**parts, part: parts[part] + "-changed"})
    fingerprint.render_environment.cache_clear()
    try:
        assert inputs_fingerprint("team.html", team) != base
    finally:
        monkeypatch.undo()
        fingerprint.render_environment.cache_clear()
    assert inputs_fingerprint("team.html", team) == base


def test_a_template_edit_and_a_font_update_change_their_digests(tmp_path):
    (tmp_path / "team.html").write_text("<p>{{ t('hello') }}</p>", encoding="utf-8")
    (tmp_path / "report.css").write_text("html { font-family: 'Noto Sans CJK SC', sans-serif }", encoding="utf-8")
    before = files_digest(tmp_path, ("**/*",))
    (tmp_path / "team.html").write_text("<p>{{ t('hello') }}!</p>", encoding="utf-8")
    assert files_digest(tmp_path, ("**/*",)) != before

    assert stylesheet_families((tmp_path / "report.css").read_text()) == ["Noto Sans CJK SC", "sans-serif"]
    fonts = fonts_digest(["Noto Sans CJK SC"])
    assert fonts == fonts_digest(["Noto Sans CJK SC"]) and fonts != fonts_digest(["Noto Sans"])


def test_the_environment_names_the_fonts_the_stylesheet_uses():
    families = stylesheet_families((fingerprint.REPORTS / "templates" / "report.css").read_text(encoding="utf-8"))
    assert "Noto Sans CJK SC" in families  # the system font behind any subset the templates carry
    assert {"templates", "messages", "code", "fonts", "ccpulse", "weasyprint", "pydyf", "matplotlib", "polars"} \
        <= set(fingerprint.environment_parts())
    assert dataclasses.is_dataclass(Month(2026, 10))
