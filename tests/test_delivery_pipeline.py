"""Delivery through the Dagster definitions, against a real SMTP server on loopback: the right
messages arrive once, re-runs send nothing, a changed report goes out as a correction, the
credentials stay secret, and a failed run alerts ops."""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl
import pytest
from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus, RunsFilter, build_run_status_sensor_context

from assets.resources import CcpulseSettings, MailSettings
from core.manifest import read_manifest
from core.months import Month
from pipelines.cli import main, run_month, send_month
from pipelines.sensors import ops_alert_on_failure
from synthetic.generator import GenerateOptions, generate
from tests.smtp_server import Credentials, smtp_server

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("delivery_pipeline")]

MONTH = Month(2026, 10)
USER, PASSWORD = "relay-user-7q", "s3cret-Pa55-word-xyzzy"
POLICY = """center_report_recipients: [director@example.com, s001@example.com]
ops_alert_recipients: [ops@example.com]
"""


@pytest.fixture(scope="module")
def patch():
    with pytest.MonkeyPatch.context() as monkeypatch:
        yield monkeypatch


@pytest.fixture(scope="module")
def server():
    with smtp_server(credentials=Credentials(USER, PASSWORD)) as (recorder, port):
        yield recorder, port


@pytest.fixture(scope="module")
def setup(tmp_path_factory, patch, server):
    """Four teams (the generator leaves the last without supervisor_email), delivered by SMTP with a login."""
    _, port = server
    root = tmp_path_factory.mktemp("delivery")
    data, out, home = root / "data", root / "out", root / "dagster_home"
    generate(GenerateOptions(agents=40, month=MONTH, out=data, months_back=1, seed=5, team_size=10))
    policy = root / "policy.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    home.mkdir()
    for name, value in {"DAGSTER_HOME": str(home), "CCPULSE_MAIL_TRANSPORT": "smtp", "CCPULSE_SMTP_HOST": "127.0.0.1",
                        "CCPULSE_SMTP_PORT": str(port), "CCPULSE_SMTP_SECURITY": "none", "CCPULSE_SMTP_USER": USER,
                        "CCPULSE_SMTP_PASSWORD": PASSWORD, "CCPULSE_SMTP_RETRY_WAIT_MS": "10",
                        "CCPULSE_MAIL_FROM": "ccpulse <reports@ops.example.com>"}.items():
        patch.setenv(name, value)
    ok, messages, summary = run_month(MONTH, str(data), str(out), policy=str(policy))
    assert ok, messages
    return {"data": data, "out": out, "home": home, "policy": policy, "month_dir": out / str(MONTH)}


def _log(month_dir: Path) -> pl.DataFrame:
    return pl.read_csv((month_dir / "delivery_log.csv").read_bytes().removeprefix(b"\xef\xbb\xbf"),
                       infer_schema_length=None)


def _latest_checks() -> dict[str, tuple[bool, str]]:
    """The delivery checks of the instance's latest run: name → (passed, severity)."""
    with DagsterInstance.get() as instance:
        run = instance.get_runs(limit=1)[0]
        checks = {}
        for entry in instance.all_logs(run.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION):
            evaluation = entry.dagster_event.event_specific_data
            if evaluation.asset_key.to_user_string() == "delivery":
                checks[evaluation.check_name] = (evaluation.passed, str(evaluation.severity))
        return checks


def test_each_manager_gets_their_reports_once(setup, server):
    recorder, _ = server
    month_dir = setup["month_dir"]
    by_recipient = {got.recipients[0]: got.message for got in recorder.received}
    # s001 supervises T01 and is a center recipient: one message with both PDFs.
    assert sorted(by_recipient) == ["director@example.com", "s001@example.com", "s002@example.com",
                                    "s003@example.com"]
    assert len(recorder.received) == 4
    teams = pl.read_csv(setup["data"] / str(MONTH) / "teams.csv")
    assert teams.filter(pl.col("team_id") == "T04")["supervisor_email"].is_null().all()

    # T04 has no supervisor_email: its report rides with the center report, to each center recipient (SPEC §11).
    # The director's message also carries team_comparison.csv (SPEC §14).
    expected = {"director@example.com": ["center_report.pdf", "team_comparison.csv", "teams/T04.pdf"],
                "s001@example.com": ["center_report.pdf", "team_comparison.csv", "teams/T01.pdf", "teams/T04.pdf"],
                "s002@example.com": ["teams/T02.pdf"], "s003@example.com": ["teams/T03.pdf"]}
    names = dict(teams.select("team_id", "team_name").iter_rows())
    for recipient, message in by_recipient.items():
        assert message["To"] == recipient and message["From"] == "ccpulse <reports@ops.example.com>"
        attachments = list(message.iter_attachments())
        assert [part.get_filename() for part in attachments] == [
            f"ccpulse_{MONTH}_" + name.replace("teams/", "team_") for name in expected[recipient]]
        for part, name in zip(attachments, expected[recipient]):
            assert part.get_payload(decode=True) == (month_dir / name).read_bytes()
        body = message.get_body(("plain",)).get_content()
        assert "In brief:" in body and "(n=" in body  # the report's own In brief opens the email
    statuses = {entry.team_id: entry.status for entry in read_manifest(month_dir).values()}
    assert by_recipient["s002@example.com"]["Subject"] == \
        f"ccpulse {MONTH}: Team report: {names['T02']} — your team is {statuses['T02']}"
    assert by_recipient["director@example.com"]["Subject"].startswith(f"ccpulse {MONTH}: Center report — ")
    assert by_recipient["director@example.com"]["Subject"].endswith("; 1 team report to forward")

    log = _log(month_dir)
    sent = log.filter(pl.col("status") == "sent")
    # 5 reports + T04's forwarded to the two center recipients, and team_comparison.csv to each of them
    assert sent.height == 9 and set(sent["kind"]) == {"first"} and set(sent["transport"]) == {"smtp"}
    for row in sent.iter_rows(named=True):
        assert row["sha256"] == hashlib.sha256((month_dir / row["report"]).read_bytes()).hexdigest()
    assert log.filter(pl.col("status") == "no_address")["report"].to_list() == ["teams/T04.pdf"]
    assert _latest_checks() == {"every_report_delivered": (True, "AssetCheckSeverity.ERROR"),
                                             "every_report_has_a_recipient": (False, "AssetCheckSeverity.WARN")}


def test_a_rerun_sends_nothing_and_a_forced_send_resends(setup, server):
    recorder, _ = server
    before, log_before = len(recorder.received), _log(setup["month_dir"]).height
    ok, messages, summary = run_month(MONTH, str(setup["data"]), str(setup["out"]), policy=str(setup["policy"]))
    assert ok, messages
    assert len(recorder.received) == before and _log(setup["month_dir"]).height == log_before
    assert summary.startswith("0 message(s) sent")

    ok, messages, summary = send_month(MONTH, str(setup["out"]), str(setup["policy"]), force=True,
                                       recipients=["s003@example.com"])
    assert ok, messages
    assert len(recorder.received) == before + 1
    assert recorder.received[-1].message["Subject"].startswith("Resent: ")
    assert _log(setup["month_dir"]).filter(pl.col("kind") == "resend")["recipient"].to_list() == ["s003@example.com"]


def test_renaming_one_agent_corrects_only_that_teams_report(setup, server):
    recorder, _ = server
    month_dir = setup["month_dir"]
    agents_csv = setup["data"] / str(MONTH) / "agents.csv"
    agents = pl.read_csv(agents_csv, infer_schema=False)
    winners = set(pl.read_csv((month_dir / "awards.csv").read_bytes()[3:], infer_schema=False)["agent_id"])
    renamed = agents.filter(~pl.col("agent_id").is_in(list(winners)) & (pl.col("team_id") == "T02")).row(0, named=True)
    agents.with_columns(agent_name=pl.when(pl.col("agent_id") == renamed["agent_id"]).then(pl.lit("Renamed Person"))
                        .otherwise(pl.col("agent_name"))).write_csv(agents_csv)
    before, pdfs = len(recorder.received), {p: p.read_bytes() for p in month_dir.rglob("*.pdf")}
    ok, messages, _ = run_month(MONTH, str(setup["data"]), str(setup["out"]), policy=str(setup["policy"]))
    assert ok, messages
    new = recorder.received[before:]
    assert [(got.recipients, got.message["Subject"]) for got in new] == [
        (["s002@example.com"], f"Correction: ccpulse {MONTH}: Team report: {_team_name(setup, 'T02')} — your team is "
                               f"{read_manifest(month_dir)['teams/T02.pdf'].status}")]
    changed = sorted(p.relative_to(month_dir).as_posix() for p, data in pdfs.items() if p.read_bytes() != data)
    assert changed == ["teams/T02.pdf"]  # every other PDF is byte for byte what it was


def _team_name(setup, team_id: str) -> str:
    teams = pl.read_csv(setup["data"] / str(MONTH) / "teams.csv")
    return teams.filter(pl.col("team_id") == team_id)["team_name"].item()


def test_credentials_never_appear_in_output_logs_metadata_or_files(setup, server, capfd, patch):
    # A forced send that succeeds, then one that fails at login: both paths print, log and store.
    assert main(["send", "--month", str(MONTH), "--out", str(setup["out"]),
                 "--policy", str(setup["policy"]), "--force", "--to", "s002@example.com"]) == 0
    patch.setenv("CCPULSE_SMTP_PASSWORD", PASSWORD + "-wrong")
    try:  # a failed send fails the run: exit 1, with the count
        assert main(["send", "--month", str(MONTH), "--out", str(setup["out"]),
                     "--policy", str(setup["policy"]), "--force", "--to", "s002@example.com"]) == 1
        assert _latest_checks()["every_report_delivered"] == (False, "AssetCheckSeverity.ERROR")
    finally:
        patch.setenv("CCPULSE_SMTP_PASSWORD", PASSWORD)
    printed = capfd.readouterr()
    assert "1 failed" in printed.err  # the summary counts the failure
    secrets = [PASSWORD.encode(), USER.encode(), (PASSWORD + "-wrong").encode()]
    for text in (printed.out, printed.err):
        assert not any(secret.decode() in text for secret in secrets)
    scanned = 0
    for root in (setup["out"], setup["home"]):
        for path in root.rglob("*"):
            if path.is_file():
                scanned += 1
                content = path.read_bytes()
                assert not any(secret in content for secret in secrets), path
    assert scanned > 20
    failed = _log(setup["month_dir"]).filter(pl.col("status") == "failed")
    assert failed.height == 1 and "535" in failed["detail"][0]


def test_a_changed_report_goes_out_as_a_correction(setup, server):
    recorder, _ = server
    csat = setup["data"] / str(MONTH) / "csat_responses.csv"
    frame = pl.read_csv(csat, infer_schema_length=None)
    frame.head(frame.height - 40).write_csv(csat)  # late-arriving data removed: every figure moves a little
    before = len(recorder.received)
    ok, messages, _ = run_month(MONTH, str(setup["data"]), str(setup["out"]), policy=str(setup["policy"]))
    assert ok, messages
    new = recorder.received[before:]
    assert new and all(got.message["Subject"].startswith("Correction: ") for got in new)
    log = _log(setup["month_dir"])
    corrections = log.filter(pl.col("kind") == "correction")
    assert set(corrections["recipient"]) == {got.recipients[0] for got in new}
    for row in corrections.iter_rows(named=True):
        earlier = log.filter((pl.col("recipient") == row["recipient"]) & (pl.col("report") == row["report"])
                             & (pl.col("kind") == "first"))
        assert earlier.height == 1 and earlier["sha256"][0] != row["sha256"]


def test_a_failed_run_alerts_ops(setup, server, tmp_path):
    recorder, port = server
    broken = tmp_path / "broken"
    (broken / str(MONTH)).mkdir(parents=True)
    for path in (setup["data"] / str(MONTH)).iterdir():
        (broken / str(MONTH) / path.name).write_bytes(path.read_bytes())
    teams = broken / str(MONTH) / "teams.csv"
    pl.read_csv(teams).drop("site").write_csv(teams)  # a column the contract requires is gone: the month stops
    ok, messages, _ = run_month(MONTH, str(broken), str(tmp_path / "out"), policy=str(setup["policy"]))
    assert not ok
    with DagsterInstance.get() as instance:
        (run,) = instance.get_runs(RunsFilter(statuses=[DagsterRunStatus.FAILURE]), limit=1)
        (failure,) = instance.all_logs(run.run_id, of_type=DagsterEventType.PIPELINE_FAILURE)
        context = build_run_status_sensor_context(
            sensor_name="ccpulse_ops_alert", dagster_event=failure.dagster_event, dagster_instance=instance,
            dagster_run=run, resources={
                "settings": CcpulseSettings(data_dir=str(broken), out_dir=str(tmp_path / "out"),
                                            policy_file=str(setup["policy"])),
                "mail": MailSettings(transport="smtp", smtp_host="127.0.0.1", smtp_port=port, smtp_security="none",
                                     smtp_user=USER, smtp_password=PASSWORD, smtp_first_wait_ms=10),
            }).for_run_failure()
        before = len(recorder.received)
        ops_alert_on_failure(context)
    (alert,) = recorder.received[before:]
    assert alert.recipients == ["ops@example.com"]
    assert alert.message["Subject"] == f"ccpulse: the run for {MONTH} failed"
    body = alert.message.get_body(("plain",)).get_content()
    assert run.run_id in body and "[raw_teams]" in body and "missing required column: site" in body
