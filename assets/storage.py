"""Where a run keeps its intermediate frames: in the month folder it writes, never in DAGSTER_HOME.

Dagster's filesystem IO manager keys storage by asset and month only, so two runs into
different `--out` folders under one DAGSTER_HOME read each other's frames (SPEC §11, isolation).
Here each frame goes to `<out>/<YYYY-MM>/.intermediate/<asset>.pickle`, beside the outputs it
serves, written whole (temp + rename) and readable by the owner only: it holds personnel data.

The same IO manager holds the month folder's run lock for the length of a run, since every run
that writes a month (the whole month, or delivery alone) stores through it: two runs of one
month into one folder never interleave; the second waits briefly, then stops with a clear message.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import pickle
from pathlib import Path

from dagster import ConfigurableIOManager, InitResourceContext, InputContext, OutputContext
from filelock import FileLock, Timeout
from pydantic import PrivateAttr

from assets.common import folder_tags
from assets.partitions import GROUP, partition_month, run_center, run_month
from core.atomic import refuse_links_under, write_bytes_atomically

INTERMEDIATE = ".intermediate"
RUN_LOCK = ".run.lock"
RUN_HOLDER = ".run.json"


class MonthFolderBusy(RuntimeError):
    pass


class MonthFolderIOManager(ConfigurableIOManager):
    """Pickles under `<out_dir>/<month>/.intermediate/`; holds `<out_dir>/<month>/.run.lock` while a run lasts."""

    out_dir: str
    lock_wait_seconds: int = 10
    _lock: FileLock | None = PrivateAttr(default=None)

    def _month_dir(self, month: str) -> Path:
        return Path(self.out_dir) / month

    def _path(self, context: InputContext | OutputContext) -> Path:
        month = str(partition_month(context.asset_partition_key))
        return self._month_dir(month) / INTERMEDIATE / f"{context.asset_key.to_python_identifier()}.pickle"

    def setup_for_execution(self, context: InitResourceContext) -> None:
        run = context.dagster_run
        month = run_month(run.tags) if run is not None else None
        if not month or not self.out_dir:
            return
        center_id = run_center(run.tags)
        tags = folder_tags(center_id)
        # A group's run writes its center's out folder (or the group's), whatever CCPULSE_OUT_DIR says.
        object.__setattr__(self, "out_dir", tags["ccpulse/out"] if GROUP is not None else self.out_dir)
        folder = self._month_dir(month)
        refuse_links_under(folder)  # before the lock file, the first thing a run writes
        folder.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(folder / RUN_LOCK))
        try:
            lock.acquire(timeout=self.lock_wait_seconds)
        except Timeout:
            holder = _read_holder(folder)
            raise MonthFolderBusy(
                f"{folder} is being written by another run{holder}; waited {self.lock_wait_seconds:g} s. "
                "Two runs of one month into one folder would mix their files: let that run finish, then run "
                "this one again.") from None
        self._lock = lock
        # The UI's Materialize, a GraphQL launch and an asset backfill make runs without the jobs' tags: every run
        # that writes a month says which folders it used, whatever launched it.
        missing = {key: value for key, value in tags.items() if run.tags.get(key) != value}
        if missing:
            context.instance.add_run_tags(run.run_id, missing)
        fail_abandoned_runs(context.instance, run.run_id, Path(self.out_dir), held=folder)
        holder = {"run_id": run.run_id, "job": run.job_name, "pid": os.getpid(),
                  "since": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
        write_bytes_atomically(folder / RUN_HOLDER, json.dumps(holder).encode("utf-8"))

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        if self._lock is not None:
            (Path(self._lock.lock_file).parent / RUN_HOLDER).unlink(missing_ok=True)
            self._lock.release()
            self._lock = None

    def handle_output(self, context: OutputContext, obj) -> None:
        path = self._path(context)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_bytes_atomically(path, pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL), permissions=0o600)

    def load_input(self, context: InputContext):
        path = self._path(context)
        if not path.exists():
            raise FileNotFoundError(
                f"{context.asset_key.to_user_string()} of {context.asset_partition_key} is not in {path.parent}: "
                f"this out folder has not run that step of the month yet (run the whole month first)")
        return pickle.loads(path.read_bytes())


def _holder(folder: Path) -> dict:
    try:
        holder = json.loads((folder / RUN_HOLDER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return holder if isinstance(holder, dict) else {}


def _read_holder(folder: Path) -> str:
    holder = _holder(folder)
    if not holder:
        return ""
    return f" (run {holder.get('run_id', '?')} of {holder.get('job', '?')}, since {holder.get('since', '?')})"


def fail_abandoned_runs(instance, current_run_id: str, out_dir: Path, held: Path) -> list[str]:
    """Mark failed the runs that Dagster still shows as started but whose process is gone (kill -9, a crash,
    a reboot): nothing else would, and the UI would show them running forever. A run's month folder says so:
    its holder file still names the run, yet its lock is free (the system released it with the process).
    `held` is the folder whose lock this run holds now. Returns the run ids marked failed."""
    from dagster import DagsterRunStatus, RunsFilter

    failed = []
    for run in instance.get_runs(filters=RunsFilter(statuses=[DagsterRunStatus.STARTING, DagsterRunStatus.STARTED])):
        month = run_month(run.tags)
        if run.run_id == current_run_id or not month:
            continue
        tagged = run.tags.get("ccpulse/out", "-")
        folder = Path(out_dir if tagged == "-" else tagged) / month
        holder = _holder(folder)
        if holder.get("run_id") != run.run_id:
            continue  # it never held the folder: still starting, or another kind of run
        if folder != held:
            lock = FileLock(str(folder / RUN_LOCK))
            try:
                lock.acquire(timeout=0)
            except Timeout:
                continue  # its process holds the lock: it is alive
            (folder / RUN_HOLDER).unlink(missing_ok=True)
            lock.release()
        instance.report_run_failed(run, f"ccpulse: the process of this run (pid {holder.get('pid', '?')}) ended "
                                        f"without finishing it (killed, crashed or the machine restarted); marked "
                                        f"failed by run {current_run_id}, which found its month folder unlocked")
        failed.append(run.run_id)
    return failed
