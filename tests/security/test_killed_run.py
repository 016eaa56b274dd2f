"""A run killed with SIGKILL leaves nothing behind (SPEC §11): its render workers end with it, and the next
run of the month marks the dead run failed in Dagster instead of leaving it "started" forever."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from dagster import DagsterInstance, DagsterRunStatus

from core.months import Month
from pipelines.cli import run_month
from synthetic.generator import GenerateOptions, generate

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("killed_run")]

MONTH = Month(2026, 10)


def _stat(pid: int) -> tuple[str, int] | None:
    """A process's state letter and parent pid, from /proc; None when it is gone."""
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return fields[0], int(fields[1])


def _descendants(pid: int) -> list[int]:
    parents = {int(p): stat[1] for p in os.listdir("/proc") if p.isdigit() and (stat := _stat(int(p)))}
    found, frontier = [], {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        found += frontier
    return found


def _alive(pid: int) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[0] not in "ZX"


def _wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def test_a_killed_run_leaves_no_worker_and_the_next_run_marks_it_failed(tmp_path, dagster_home):
    data, out = tmp_path / "data", tmp_path / "out"
    generate(GenerateOptions(agents=12, team_size=6, month=MONTH, out=data, months_back=0, seed=6))
    env = {**os.environ, "CCPULSE_RENDER_WORKERS": "2"}
    run = subprocess.Popen([sys.executable, "-m", "pipelines.cli", "run", "--month", str(MONTH), "--data", str(data),
                            "--out", str(out), "--no-send"], env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    holder = out / str(MONTH) / ".run.json"
    try:
        # The run has started in Dagster and holds its month folder; its render workers were started first.
        assert _wait_for(holder.exists, 120)
        workers = _descendants(run.pid)
        assert len(workers) >= 2
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=30)
        assert _wait_for(lambda: not any(_alive(worker) for worker in workers), 15), \
            [worker for worker in workers if _alive(worker)]
    finally:
        if run.poll() is None:
            run.kill()

    with DagsterInstance.get() as instance:
        (dead,) = instance.get_runs()
        assert dead.status == DagsterRunStatus.STARTED  # what the UI would show forever

    ok, messages, _ = run_month(MONTH, str(data), str(out), send=False)

    assert ok, messages
    with DagsterInstance.get() as instance:
        assert instance.get_run_by_id(dead.run_id).status == DagsterRunStatus.FAILURE
        logs = instance.all_logs(dead.run_id)
        assert any("ended without finishing it" in (event.message or "") for event in logs)
