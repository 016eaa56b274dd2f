"""`make bench`: seconds and peak memory of a 10,000-agent month through `ccpulse run`, each figure
printed beside its target (not a test: speed is measured here, never by a timed test).

The month is generated (with the month before, for the comparisons), then run exactly as a user
runs it, in a separate process; each stage's time is the duration Dagster recorded for its step,
and memory is sampled over the run's whole process tree (the team-report workers included).
Then the demo is timed as `make demo` runs it, after set-up.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = os.sysconf("SC_PAGE_SIZE")
# Step (Dagster step key) → (what it is, target in seconds)
TARGETS = {
    "data_believability": ("believability suites (Great Expectations)", 3.0),
    "center_report": ("center report", 5.0),
    "team_reports": ("all team reports", 60.0),
    "delivery": ("delivery to the outbox", 5.0),
}
WHOLE_RUN_TARGET = 90.0
RSS_TARGET_MIB = 1536
DEMO_TARGET = 20.0


def _tree_rss(root_pid: int) -> tuple[int, int]:
    """Resident bytes of a process and all its descendants: (sum, largest single process)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/statm") as statm:
                rss[int(entry)] = int(statm.read().split()[1]) * PAGE
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    total, largest, stack = 0, 0, [root_pid]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        largest = max(largest, rss.get(pid, 0))
        stack += children.get(pid, [])
    return total, largest


def run_measured(command: list[str], env: dict) -> tuple[float, int, int]:
    """Run `command`; its wall time and the peak resident memory of its process tree (sum, largest)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peaks = [0, 0]
    while process.poll() is None:
        total, largest = _tree_rss(process.pid)
        peaks = [max(peaks[0], total), max(peaks[1], largest)]
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{process.stderr.read()}")
    return seconds, peaks[0], peaks[1]


def step_durations(home: Path) -> dict[str, float]:
    """Seconds of each step of the latest run recorded in the Dagster instance at `home`."""
    os.environ["DAGSTER_HOME"] = str(home)
    from dagster import DagsterEventType, DagsterInstance

    with DagsterInstance.get() as instance:
        run = instance.get_runs(limit=1)[0]
        return {entry.dagster_event.step_key: entry.dagster_event.event_specific_data.duration_ms / 1000
                for entry in instance.all_logs(run.run_id, of_type=DagsterEventType.STEP_SUCCESS)}


def line(name: str, seconds: float, target: float | None = None) -> str:
    verdict = "" if target is None else f"  target ≤ {target:g} s  {'ok' if seconds <= target else 'OVER'}"
    return f"  {name:<44} {seconds:8.2f} s{verdict}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agents", type=int, default=10_000)
    parser.add_argument("--month", default="2026-10")
    parser.add_argument("--keep", help="folder to keep the generated data and outputs in")
    parser.add_argument("--no-demo", action="store_true", help="skip timing the demo")
    args = parser.parse_args()

    work = Path(args.keep or tempfile.mkdtemp(prefix="ccpulse-bench-"))
    data, out, home = work / "data", work / "out", work / "dagster_home"
    for folder in (data, out, home):  # a kept folder from an earlier bench: nothing already rendered or sent
        shutil.rmtree(folder, ignore_errors=True)
    home.mkdir(parents=True)
    cli = [sys.executable, "-m", "pipelines.cli"]
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    print(f"ccpulse bench: {args.agents:,} agents, month {args.month}, in {work} ({os.cpu_count()} cores)")

    started = time.perf_counter()
    subprocess.run(cli + ["generate", "--agents", str(args.agents), "--month", args.month, "--months-back", "1",
                          "--out", str(data), "--seed", "7"], check=True, env=env, stdout=subprocess.DEVNULL)
    print(line("generate (2 months, CSV; not ccpulse's run)", time.perf_counter() - started))

    seconds, tree, largest = run_measured(cli + ["run", "--month", args.month, "--data", str(data), "--out", str(out)],
                                          env)
    steps = step_durations(home)
    teams = len(list((out / args.month / "teams").glob("*.pdf")))
    print(f"\n  ccpulse run ({teams} team reports), step by step, as Dagster recorded them:")
    for step, (name, target) in TARGETS.items():
        print(line(name, steps.get(step, float("nan")), target))
    others = sorted(((s, d) for s, d in steps.items() if s not in TARGETS), key=lambda item: -item[1])
    print(line(f"the other {len(others)} steps together", sum(d for _, d in others)))
    for step, duration in others[:6]:
        print(line(f"  {step}", duration))
    print(line("whole run, wall clock (import to exit)", seconds, WHOLE_RUN_TARGET))
    rss_ok = "ok" if tree / 2**20 <= RSS_TARGET_MIB else "OVER"
    print(f"  {'peak resident memory, whole process tree':<44} {tree / 2**20:8.0f} MiB  target ≤ {RSS_TARGET_MIB} MiB"
          f"  {rss_ok}   (largest process {largest / 2**20:.0f} MiB)")

    if not args.no_demo:  # `make demo` after set-up: generate the demo data, then run the demo month
        demo = work / "demo"
        demo_env = {**env, "DAGSTER_HOME": str(demo / "home")}
        shutil.rmtree(demo, ignore_errors=True)
        (demo / "home").mkdir(parents=True)
        started = time.perf_counter()
        subprocess.run(["make", "-s", "-C", str(ROOT), "demo", f"DEMO_DATA={demo / 'data'}", f"DEMO_OUT={demo / 'out'}"],
                       check=True, env=demo_env, stdout=subprocess.DEVNULL)
        print(line("make demo after set-up (120 agents, 12 months)", time.perf_counter() - started, DEMO_TARGET))
    if not args.keep:
        shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
