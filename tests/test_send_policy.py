"""A month is bound to the policy it was run with (SPEC §11): `ccpulse send` after `ccpulse run --no-send`
uses the policy recorded beside the month's outputs (`<out>/<YYYY-MM>/policy.yaml`) — its language and its
center recipients — unless `--policy` overrides it, and a center report with nobody to go to is a warning
printed at the end of `run` and `send`."""

from __future__ import annotations

import os
import shutil
from email import message_from_bytes, policy as email_policy
from pathlib import Path

import polars as pl
import pytest
import yaml

from core.manifest import read_manifest
from core.months import Month
from pipelines.cli import main
from synthetic.generator import GenerateOptions, generate

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("send_policy")]

MONTH = Month(2026, 10)
ZH_POLICY = "language: zh-CN\ncenter_report_recipients: [director@example.com]\n"
EN_POLICY = "language: en\ncenter_report_recipients: [other.director@example.com]\n"
CATALOG = Path(__file__).resolve().parents[1] / "reports" / "messages"


# What `ccpulse run`/`send` put in the process's environment: given back after each test, so that a policy of
# these tests never reaches a later test's runs or the processes it starts.
SETTINGS = ("CCPULSE_DATA_DIR", "CCPULSE_OUT_DIR", "CCPULSE_POLICY", "CCPULSE_COLUMN_MAPPING", "CCPULSE_SOURCE",
            "CCPULSE_MAIL_TRANSPORT")


def _keep_settings(patch: pytest.MonkeyPatch) -> None:
    for name in SETTINGS:
        patch.setenv(name, os.environ.get(name, ""))  # records the value to give back, however the CLI changes it
    patch.setenv("CCPULSE_MAIL_TRANSPORT", "outbox")


@pytest.fixture(autouse=True)
def settings_given_back(monkeypatch):
    _keep_settings(monkeypatch)


def _catalog(language: str) -> dict[str, str]:
    return yaml.safe_load((CATALOG / f"{language}.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def month_run(tmp_path_factory):
    """One month (two teams) run with the Chinese policy and --no-send, under its own DAGSTER_HOME; the
    tests send from copies of its out folder, so each starts from the month as `run` left it."""
    root = tmp_path_factory.mktemp("send_policy")
    data, out, home = root / "data", root / "out", root / "dagster_home"
    home.mkdir()
    generate(GenerateOptions(agents=12, team_size=6, month=MONTH, out=data, months_back=0, seed=3))
    policy = root / "zh.yaml"
    policy.write_text(ZH_POLICY, encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DAGSTER_HOME", str(home))
        _keep_settings(patch)
        code = main(["run", "--month", str(MONTH), "--data", str(data), "--out", str(out), "--policy", str(policy),
                     "--no-send"])
    assert code == 0
    return {"data": data, "out": out}


def _fresh_out(month_run, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    shutil.copytree(month_run["out"], out)
    return out


def _outbox(folder: Path) -> dict[str, object]:
    """The .eml files of the month's outbox: recipient → message."""
    messages = {}
    for path in sorted((folder / "outbox").glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=email_policy.default)
        messages[message["To"].addresses[0].addr_spec] = message
    return messages


def _log(folder: Path) -> pl.DataFrame:
    return pl.read_csv((folder / "delivery_log.csv").read_bytes().removeprefix(b"\xef\xbb\xbf"),
                       infer_schema_length=None)


def _team_names(month_run) -> dict[str, str]:
    teams = pl.read_csv(month_run["data"] / str(MONTH) / "teams.csv")
    return dict(teams.select("supervisor_email", "team_name").drop_nulls().iter_rows())


def _to_forward(folder: Path) -> list[str]:
    """The attachments of the team reports without a supervisor_email: the center report's message carries them."""
    return [f"ccpulse_{MONTH}_" + entry.report.replace("teams/", "team_", 1)
            for entry in sorted(read_manifest(folder).values(), key=lambda entry: entry.report)
            if entry.kind == "team" and not entry.address]


def _team_headline(catalog: dict[str, str], folder: Path, address: str, title: str) -> str:
    """"Team report: <team> — your team is amber" in the catalog's language, as the subject says it."""
    entry = next(entry for entry in read_manifest(folder).values() if entry.address == address)
    return catalog["email_headline"].format(report=title, status=catalog[f"email_subject_team_{entry.status}"])


def _supervisor_names(month_run) -> dict[str, str]:
    teams = pl.read_csv(month_run["data"] / str(MONTH) / "teams.csv")
    return dict(teams.select("supervisor_email", "supervisor_name").drop_nulls().iter_rows())


def test_send_uses_the_policy_the_month_was_run_with(month_run, tmp_path, dagster_home, monkeypatch, capsys):
    out = _fresh_out(month_run, tmp_path)
    folder = out / str(MONTH)
    assert "language: zh-CN" in (folder / "policy.yaml").read_text(encoding="utf-8")
    monkeypatch.setenv("CCPULSE_POLICY", "")  # what a code server started without a policy has

    assert main(["send", "--month", str(MONTH), "--out", str(out)]) == 0
    assert "warning" not in capsys.readouterr().err

    zh = _catalog("zh-CN")
    messages = _outbox(folder)
    director = messages["director@example.com"]
    assert [part.get_filename() for part in director.iter_attachments()] == [
        f"ccpulse_{MONTH}_center_report.pdf", f"ccpulse_{MONTH}_team_comparison.csv", *_to_forward(folder)]
    assert next(director.iter_attachments()).get_content() == (folder / "center_report.pdf").read_bytes()
    teams = _team_names(month_run)
    assert teams  # the generator gives at least one team a supervisor_email
    for address, team in teams.items():
        message = messages[address]
        # "ccpulse 2026-10：班组报告：<team>", greeted and closed in Chinese around the Chinese brief
        assert message["Subject"] == zh["email_subject"].format(
            month=MONTH, reports=_team_headline(zh, folder, address, zh["team_report"].format(team=team)))
        assert message["Content-Language"] == "zh-CN"
        body = message.get_body(("plain",)).get_content()
        assert zh["email_greeting"] in body and zh["email_footer"] in body
    log = _log(folder)
    center = log.filter(pl.col("report") == "center_report.pdf")
    assert center.select("recipient", "status").rows() == [("director@example.com", "sent")]
    assert log.filter(pl.col("status") == "no_address")["report"].str.starts_with("teams/").all()


def test_an_explicit_policy_overrides_the_recorded_one(month_run, tmp_path, dagster_home, monkeypatch):
    out = _fresh_out(month_run, tmp_path)
    folder = out / str(MONTH)
    override = tmp_path / "en.yaml"
    override.write_text(EN_POLICY, encoding="utf-8")

    assert main(["send", "--month", str(MONTH), "--out", str(out), "--policy", str(override)]) == 0

    en, zh = _catalog("en"), _catalog("zh-CN")
    messages = _outbox(folder)
    assert "director@example.com" not in messages
    assert [p.get_filename() for p in messages["other.director@example.com"].iter_attachments()] == [
        f"ccpulse_{MONTH}_center_report.pdf", f"ccpulse_{MONTH}_team_comparison.csv", *_to_forward(folder)]
    supervisors = _supervisor_names(month_run)
    for address, team in _team_names(month_run).items():
        message = messages[address]
        # The email is in the override's language; the report's own title is the rendered (Chinese) one.
        assert message["Subject"] == en["email_subject"].format(
            month=MONTH, reports=_team_headline(en, folder, address, zh["team_report"].format(team=team)))
        assert message["Content-Language"] == "en"
        assert en["email_greeting_name"].format(name=supervisors[address]) in message.get_body(("plain",)).get_content()
    # The override is for this send only: the month still says how it was made.
    assert "language: zh-CN" in (folder / "policy.yaml").read_text(encoding="utf-8")


def test_the_send_job_launched_like_the_ui_follows_the_month_not_the_code_servers_policy(month_run, tmp_path,
                                                                                          dagster_home, monkeypatch):
    """The send job as the UI launches it: no CLI, the code server's CCPULSE_POLICY names another policy."""
    from dagster import DagsterInstance

    from pipelines.definitions import apply_setting_defaults, defs
    from pipelines.jobs import SEND_JOB

    out = _fresh_out(month_run, tmp_path)
    folder = out / str(MONTH)
    servers = tmp_path / "en.yaml"
    servers.write_text(EN_POLICY, encoding="utf-8")
    for name, value in {"CCPULSE_OUT_DIR": str(out), "CCPULSE_POLICY": str(servers), "CCPULSE_SOURCE": "files"}.items():
        monkeypatch.setenv(name, value)
    apply_setting_defaults()

    with DagsterInstance.get() as instance:
        result = defs.resolve_job_def(SEND_JOB).execute_in_process(partition_key=str(MONTH), instance=instance)
    assert result.success

    messages = _outbox(folder)
    assert sorted(messages) == sorted(["director@example.com", *_team_names(month_run)])
    assert {message["Content-Language"] for message in messages.values()} == {"zh-CN"}
    materialization = result.asset_materializations_for_node("delivery")[0]
    assert materialization.metadata["policy"].value == str(folder / "policy.yaml")


def test_a_center_report_without_recipient_is_a_warning_at_the_end_of_send(month_run, tmp_path, dagster_home,
                                                                            monkeypatch, capsys):
    out = _fresh_out(month_run, tmp_path)
    nobody = tmp_path / "nobody.yaml"
    nobody.write_text("language: zh-CN\n", encoding="utf-8")

    assert main(["send", "--month", str(MONTH), "--out", str(out), "--policy", str(nobody)]) == 0

    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == (f"ccpulse: warning: the center report of {MONTH} has no recipient: the policy lists no "
                       f"center_report_recipients ({nobody.resolve()})")
    log = _log(out / str(MONTH))
    assert log.filter(pl.col("report") == "center_report.pdf")["status"].to_list() == ["no_address"]


def test_a_center_report_without_recipient_is_a_warning_at_the_end_of_run(tmp_path, dagster_home, monkeypatch,
                                                                           capsys):
    data, out = tmp_path / "data", tmp_path / "out"
    generate(GenerateOptions(agents=6, team_size=6, month=MONTH, out=data, months_back=0, seed=4))

    assert main(["run", "--month", str(MONTH), "--data", str(data), "--out", str(out), "--no-send"]) == 0

    captured = capsys.readouterr()
    assert "delivery:      not sent (--no-send)" in captured.out
    assert captured.err.strip().splitlines()[-1] == (
        f"ccpulse: warning: the center report of {MONTH} has no recipient: the policy lists no "
        "center_report_recipients (the default policy)")
