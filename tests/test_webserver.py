"""The Dagster UI's server on loopback shows every asset, check and the schedule (GraphQL API)."""

import datetime as dt
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import zoneinfo
from pathlib import Path

import pytest

from schemas.sources import SOURCES

QUERY = """
{
  assetNodes {
    assetKey { path }
    groupName
    owners { ... on TeamAssetOwner { team } }
    assetChecksOrError { ... on AssetChecks { checks { name } } }
  }
  repositoriesOrError {
    ... on RepositoryConnection {
      nodes { schedules { name cronSchedule executionTimezone scheduleState { status }
                          futureTicks(limit: 2) { results { timestamp } } } }
    }
  }
}
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql", data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["data"]


@pytest.fixture(scope="module")
def webserver(tmp_path_factory):
    home = tmp_path_factory.mktemp("dagster_home")
    port = _free_port()
    env = {**os.environ, "DAGSTER_HOME": str(home), "CCPULSE_DATA_DIR": str(home), "CCPULSE_OUT_DIR": str(home)}
    log = open(home / "webserver.log", "w")
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("dagster-webserver")), "-m", "pipelines.definitions",
         "-h", "127.0.0.1", "-p", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                data = _graphql(port, QUERY)
                if data["assetNodes"]:
                    break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise AssertionError((home / "webserver.log").read_text())
            time.sleep(1)
        yield data
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def test_every_asset_is_listed_in_its_group(webserver):
    groups = {"/".join(node["assetKey"]["path"]): node["groupName"] for node in webserver["assetNodes"]}
    expected = {f"raw_{s}": "ingest" for s in SOURCES} | {f"valid_{s}": "validated" for s in SOURCES}
    expected["data_quality"] = "validated"
    assert {key: groups.get(key) for key in expected} == expected
    assert all(node["owners"] == [{"team": "ccpulse-ops"}] for node in webserver["assetNodes"])


def test_every_validated_asset_has_its_checks(webserver):
    checks = {
        "/".join(node["assetKey"]["path"]): sorted(c["name"] for c in node["assetChecksOrError"]["checks"])
        for node in webserver["assetNodes"]
    }
    for source in SOURCES:
        assert checks[f"valid_{source}"] == ["no_quarantined_rows", "rows_conserved"]


def test_the_monthly_schedule_is_running_and_ticks_on_day_3_at_six_in_the_centers_timezone(webserver):
    (schedule,) = [s for repo in webserver["repositoriesOrError"]["nodes"] for s in repo["schedules"]]
    assert (schedule["name"], schedule["cronSchedule"], schedule["executionTimezone"]) == (
        "ccpulse_monthly_schedule", "0 6 3 * *", "Asia/Shanghai")
    assert schedule["scheduleState"]["status"] == "RUNNING"  # the heartbeat runs without anyone switching it on
    shanghai = zoneinfo.ZoneInfo("Asia/Shanghai")
    ticks = [dt.datetime.fromtimestamp(tick["timestamp"], tz=shanghai) for tick in schedule["futureTicks"]["results"]]
    now = dt.datetime.now(tz=shanghai)
    assert [(t.day, t.hour, t.minute) for t in ticks] == [(3, 6, 0), (3, 6, 0)]
    assert now < ticks[0] <= now + dt.timedelta(days=31) and ticks[1].month % 12 == (ticks[0].month + 1) % 12
