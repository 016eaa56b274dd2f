"""Operating ccpulse from Dagster as ops do (SPEC §12), through a running `dagster dev` (webserver and daemon)
on loopback: the data sensor starts the month that ended once its data is complete, a partition's Materialize
and an asset backfill (GraphQL, as the UI sends them) carry the run tags, each month's checks belong to its
partition, partitions start at the data's first month, and a failed run launched from the asset graph alerts
ops with a link to it. The schedule's deadline is evaluated directly (its cron day is weeks away)."""

from __future__ import annotations

import contextlib
import datetime as dt
import email
import email.policy
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from dagster import RunRequest, SkipReason, build_schedule_context, instance_for_test

from core.months import Month
from synthetic.generator import GenerateOptions, generate

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("dagster_ops")]

NOW = dt.datetime.now(dt.timezone.utc)
ENDED = Month.of(NOW.date()).previous()  # the month the sensor and the schedule look after (a day's slack aside)
EARLIER, GAP, FIRST = ENDED.previous(), ENDED.previous().previous(), ENDED.previous().previous().previous()
POLICY = "ops_alert_recipients: [ops@example.com]\ncenter_report_recipients: [director@example.com]\n"
FOLDER_TAGS = ("ccpulse/source", "ccpulse/data", "ccpulse/out")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def dagster_dev(root: Path, env: dict, port: int):
    """`dagster dev` (webserver and daemon) on loopback with `env`, its log in `root`; the UI once it answers."""
    with open(root / "dagster.log", "w") as log:
        server = subprocess.Popen([str(Path(sys.executable).with_name("dagster")), "dev", "-m", "pipelines.definitions",
                                   "-h", "127.0.0.1", "-p", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT,
                                  cwd=root, start_new_session=True)
        ui = Ui(port)
        try:
            deadline = time.monotonic() + 180
            while True:
                try:
                    if ui.query("{ assetNodes { id } }")["assetNodes"]:
                        break
                except OSError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError((root / "dagster.log").read_text()[-5000:])
                time.sleep(1)
            yield ui
        finally:
            stop_server(server)


def stop_server(server: subprocess.Popen) -> None:
    """`dagster dev` and everything it started (daemon, code server, runs), in its own process group."""
    os.killpg(server.pid, signal.SIGINT)  # dagster dev shuts down on Ctrl-C; SIGTERM left it waiting
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:  # it waits for runs still going; the tests are over, so are they
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=30)


class Ui:
    def __init__(self, port: int):
        self.port = port

    def query(self, text: str, variables: dict | None = None) -> dict:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/graphql", data=json.dumps({"query": text, "variables": variables or {}})
            .encode(), headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = json.loads(response.read())
        assert "errors" not in answer, answer["errors"]
        return answer["data"]

    def location(self) -> str:
        nodes = self.query("{ repositoriesOrError { ... on RepositoryConnection { nodes { name location { name } } } } }")
        return nodes["repositoriesOrError"]["nodes"][0]["location"]["name"]

    def runs(self, month: Month) -> list[dict]:
        data = self.query("""query($month: String!) { runsOrError(filter: {tags: [{key: "dagster/partition",
            value: $month}]}) { ... on Runs { results { runId status jobName tags { key value } } } } }""",
                          {"month": str(month)})
        return [{**run, "tags": {t["key"]: t["value"] for t in run["tags"]}} for run in data["runsOrError"]["results"]]

    def wait_for_runs(self, month: Month, done, seconds: float = 240) -> list[dict]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            runs = self.runs(month)
            if done(runs):
                return runs
            time.sleep(2)
        raise AssertionError(f"runs of {month} did not finish: {self.runs(month)}")

    def launch(self, month: Month, assets: list[str]) -> str:
        """What the UI's Materialize on one partition sends."""
        data = self.query("""mutation($params: ExecutionParams!) { launchRun(executionParams: $params) {
            __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }""", {"params": {
            "selector": {"repositoryLocationName": self.location(), "repositoryName": "__repository__",
                         "pipelineName": "__ASSET_JOB", "assetSelection": [{"path": [key]} for key in assets]},
            "mode": "default", "executionMetadata": {"tags": [{"key": "dagster/partition", "value": str(month)}]}}})
        assert data["launchRun"]["__typename"] == "LaunchRunSuccess", data
        return data["launchRun"]["run"]["runId"]


FINISHED = ("SUCCESS", "FAILURE", "CANCELED")


@pytest.fixture(scope="module")
def ops(tmp_path_factory):
    root = tmp_path_factory.mktemp("ops")
    data, out, home = root / "data", root / "out", root / "home"
    generate(GenerateOptions(agents=8, team_size=4, month=ENDED, months_back=3, out=data, seed=2))
    shutil.rmtree(data / str(GAP))  # a month inside the data's range that never came
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    (root / "policy.yaml").write_text(POLICY)
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if key != "CCPULSE_FIRST_MONTH"}
    env.update(DAGSTER_HOME=str(home), CCPULSE_DATA_DIR=str(data), CCPULSE_OUT_DIR=str(out),
               CCPULSE_POLICY=str(root / "policy.yaml"), CCPULSE_UI_URL=f"http://127.0.0.1:{port}",
               CCPULSE_SENSOR_INTERVAL_SECONDS="5", CCPULSE_DATA_SETTLE_SECONDS="0", CCPULSE_SCHEDULE="stopped",
               CCPULSE_RENDER_WORKERS="0")
    with dagster_dev(root, env, port) as ui:
        yield {"ui": ui, "data": data, "out": out, "home": home, "port": port}


def test_partitions_start_at_the_first_month_the_data_holds(ops):
    nodes = ops["ui"].query("{ assetNodes { assetKey { path } partitionKeysByDimension { partitionKeys } } }")
    keys = {tuple(n["assetKey"]["path"]): n["partitionKeysByDimension"][0]["partitionKeys"] for n in nodes["assetNodes"]}
    assert keys[("raw_teams",)][0] == str(FIRST) and keys[("raw_teams",)][-1] == str(ENDED)


def test_the_data_sensor_starts_the_month_that_ended_once_and_its_run_carries_the_folders(ops):
    runs = ops["ui"].wait_for_runs(ENDED, lambda runs: runs and all(r["status"] in FINISHED for r in runs), 360)
    (run,) = runs
    assert run["status"] == "SUCCESS" and run["jobName"] == "ccpulse_monthly"
    assert run["tags"]["dagster/sensor_name"] == "ccpulse_data_landed"
    assert {key: run["tags"][key] for key in FOLDER_TAGS} == {
        "ccpulse/source": "files", "ccpulse/data": str(ops["data"]), "ccpulse/out": str(ops["out"])}
    assert (ops["out"] / str(ENDED) / "center_report.pdf").exists()
    time.sleep(12)  # two more ticks: the month has a run, so nothing starts it again
    assert len(ops["ui"].runs(ENDED)) == 1


def _materialized_from_the_ui(ops) -> dict:
    """A partition's Materialize of two assets of EARLIER, launched once for the tests that look at it."""
    if "earlier" not in ops:
        run_id = ops["ui"].launch(EARLIER, ["raw_teams", "valid_teams"])
        runs = ops["ui"].wait_for_runs(EARLIER, lambda runs: any(
            r["runId"] == run_id and r["status"] in FINISHED for r in runs))
        ops["earlier"] = next(run for run in runs if run["runId"] == run_id)
    return ops["earlier"]


def test_a_partitions_materialize_from_the_ui_carries_the_folder_tags(ops):
    run = _materialized_from_the_ui(ops)
    assert run["status"] == "SUCCESS" and run["jobName"] == "__ASSET_JOB"
    assert {key: run["tags"][key] for key in FOLDER_TAGS} == {
        "ccpulse/source": "files", "ccpulse/data": str(ops["data"]), "ccpulse/out": str(ops["out"])}


def test_an_asset_backfill_carries_the_folder_tags(ops):
    data = ops["ui"].query("""mutation($params: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams:
        $params) { __typename ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message } } }""",
                           {"params": {"partitionNames": [str(FIRST)], "assetSelection": [{"path": ["raw_teams"]}],
                                       "fromFailure": False}})
    assert data["launchPartitionBackfill"]["__typename"] == "LaunchBackfillSuccess", data
    (run,) = ops["ui"].wait_for_runs(FIRST, lambda runs: runs and all(r["status"] in FINISHED for r in runs))
    assert run["status"] == "SUCCESS" and "dagster/backfill" in run["tags"]
    assert run["tags"]["ccpulse/out"] == str(ops["out"]) and run["tags"]["ccpulse/data"] == str(ops["data"])


def test_each_months_check_results_belong_to_its_partition(ops):
    _materialized_from_the_ui(ops)
    ops["ui"].wait_for_runs(ENDED, lambda runs: runs and all(r["status"] in FINISHED for r in runs), 360)
    query = """query($month: String) { assetCheckExecutions(assetKey: {path: ["valid_teams"]},
        checkName: "rows_conserved", partition: $month, limit: 5) { partition status runId } }"""
    for month in (EARLIER, ENDED):
        executions = ops["ui"].query(query, {"month": str(month)})["assetCheckExecutions"]
        assert executions and {e["partition"] for e in executions} == {str(month)}
        assert {e["status"] for e in executions} == {"SUCCEEDED"}


def test_only_checks_that_can_stop_the_month_are_blocking_and_names_fit_the_ui(ops):
    nodes = ops["ui"].query("""{ assetNodes { assetKey { path } assetChecksOrError { ... on AssetChecks {
        checks { name blocking } } } } }""")["assetNodes"]
    checks = {check["name"]: check["blocking"] for node in nodes if node["assetKey"]["path"] == ["data_believability"]
              for check in node["assetChecksOrError"]["checks"]}
    assert {name for name, blocking in checks.items() if blocking} == {
        "agents_active_roster", "attendance_last_day", "attendance_first_day"}
    assert max(len(name) for name in checks) <= 22  # the Checks tab's list cuts longer names


def test_a_failed_run_from_the_asset_graph_alerts_ops_once_with_a_link_to_it(ops):
    run_id = ops["ui"].launch(GAP, ["raw_teams", "raw_agents", "raw_attendance"])  # a month whose data never came
    (run,) = ops["ui"].wait_for_runs(GAP, lambda runs: runs and all(r["status"] in FINISHED for r in runs))
    assert run["status"] == "FAILURE" and run["runId"] == run_id
    alerts = ops["out"] / str(GAP) / "ops_alerts"
    deadline = time.monotonic() + 120
    while not (alerts.exists() and any(alerts.glob("*.eml"))) and time.monotonic() < deadline:
        time.sleep(2)
    (alert,) = alerts.glob("*.eml")
    message = email.message_from_bytes(alert.read_bytes(), policy=email.policy.default)
    assert message["To"] == "ops@example.com" and message["Subject"] == f"ccpulse: the run for {GAP} failed"
    body = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert f"http://127.0.0.1:{ops['port']}/runs/{run_id}" in body
    assert f"Outputs of the month: {ops['out'] / str(GAP)}" in body
    failed = [line for line in body.splitlines() if line.startswith("[")]
    assert len(failed) == 1 and failed[0].startswith("[raw_agents, raw_attendance, raw_teams]"), body
    assert f"no data for {GAP}: the month has not landed" in body
    assert "Traceback" not in body and 'File "' not in body


# --- The schedule is the deadline (evaluated directly) --------------------------------------------------------------


def _deadline(tmp_path, data: Path, instance) -> RunRequest | SkipReason:
    from assets.resources import CcpulseSettings, MailSettings
    from pipelines.sensors import monthly_deadline

    (tmp_path / "policy.yaml").write_text(POLICY)
    when = dt.datetime.combine(ENDED.next().first_day + dt.timedelta(days=2), dt.time(6), dt.timezone.utc)
    context = build_schedule_context(instance=instance, scheduled_execution_time=when, resources={
        "settings": CcpulseSettings(data_dir=str(data), out_dir=str(tmp_path / "out"),
                                    policy_file=str(tmp_path / "policy.yaml")),
        "mail": MailSettings()})
    with context:
        return monthly_deadline(context)


def test_the_deadline_says_once_what_has_not_landed_instead_of_starting_a_run(tmp_path):
    data = tmp_path / "data"
    generate(GenerateOptions(agents=4, team_size=4, month=ENDED, months_back=0, out=data, seed=1))
    for name in ("attendance.csv", "complaints.csv"):
        (data / str(ENDED) / name).unlink()
    with instance_for_test() as instance:
        result = _deadline(tmp_path, data, instance)
    assert isinstance(result, SkipReason) and "missing attendance, complaints" in result.skip_message
    (alert,) = (tmp_path / "out" / str(ENDED) / "ops_alerts").glob("*.eml")
    message = email.message_from_bytes(alert.read_bytes(), policy=email.policy.default)
    assert message["Subject"] == f"ccpulse: data for {ENDED} has not landed"
    body = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert f"Missing in {data / str(ENDED)}:\n- attendance\n- complaints\n" in body
    assert "by the deadline (" + ENDED.next().first_day.replace(day=3).isoformat() + "T14:00+08:00)" in body


def test_the_deadline_starts_a_complete_month_nobody_started(tmp_path):
    data = tmp_path / "data"
    generate(GenerateOptions(agents=4, team_size=4, month=ENDED, months_back=0, out=data, seed=1))
    with instance_for_test() as instance:
        result = _deadline(tmp_path, data, instance)
    assert isinstance(result, RunRequest) and result.partition_key == str(ENDED)
    assert not (tmp_path / "out").exists()  # no alert


def test_the_deadline_never_starts_a_month_twice(tmp_path):
    from dagster import DagsterRun

    data = tmp_path / "data"
    generate(GenerateOptions(agents=4, team_size=4, month=ENDED, months_back=0, out=data, seed=1))
    with instance_for_test() as instance:
        instance.add_run(DagsterRun(job_name="ccpulse_monthly", run_id="started-by-the-sensor",
                                    tags={"dagster/partition": str(ENDED)}))
        result = _deadline(tmp_path, data, instance)
    assert isinstance(result, SkipReason) and "already has a run (started-by-the-sensor" in result.skip_message
