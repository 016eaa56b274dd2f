"""`make bench`: seconds and peak memory of a 10,000-agent month through `ccpulse run`, each figure
printed beside its target (SPEC §14, issue 27; not a test: speed is measured here, never by a timed test).

The month is generated with 11 months before it (a year of history: the comparisons with last month,
and the trends, whose earlier months were never run and are computed from their data), then run
exactly as a user runs it, in a separate process; each stage's time is the duration Dagster recorded
for its step, and memory is sampled over the run's whole process tree (the render workers included).
Then, on the same out folder, one agent's name is corrected in the month's roster and the month is run
again (only that agent's team report should be rendered again); then a 500-agent month is rendered on
a Dask cluster of one, then two, single-threaded workers started here on loopback; then a group of 30
centers of 300 agents each is run for one month (issue 28: every center's reports, then the group report);
then the demo is timed as `make demo` runs it, after set-up.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = os.sysconf("SC_PAGE_SIZE")
# Step (Dagster step key) → (what it is, target in seconds)
TARGETS = {
    "data_believability": ("believability suites (Great Expectations)", 3.0),
    "center_report": ("center report", 5.0),
    "delivery": ("delivery to the outbox", 5.0),
}
TEAM_REPORTS_STEP = "team_reports"
CPU_PER_REPORT_TARGET = 0.45  # seconds of CPU per team report, as the team_reports step records it
WHOLE_RUN_TARGET = 150.0
RSS_TARGET_MIB = 1536
RERUN_TARGET = 25.0
DASK_SPEEDUP_TARGET = 1.3
DEMO_TARGET = 20.0
HISTORY_MONTHS_BACK = 11  # a year of data: the trends' earlier months are part of the month's cost
GROUP_CENTERS, GROUP_AGENTS = 30, 300


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


def latest_run(home: Path) -> tuple[dict[str, float], dict[str, dict]]:
    """The latest run recorded in the Dagster instance at `home`: each step's seconds, and each materialized
    asset's metadata (plain values)."""
    os.environ["DAGSTER_HOME"] = str(home)
    from dagster import DagsterEventType, DagsterInstance

    with DagsterInstance.get() as instance:
        run = instance.get_runs(limit=1)[0]
        steps = {entry.dagster_event.step_key: entry.dagster_event.event_specific_data.duration_ms / 1000
                 for entry in instance.all_logs(run.run_id, of_type=DagsterEventType.STEP_SUCCESS)}
        metadata = {}
        for entry in instance.all_logs(run.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION):
            materialization = entry.dagster_event.event_specific_data.materialization
            metadata[materialization.asset_key.to_user_string()] = {
                key: getattr(value, "value", value) for key, value in materialization.metadata.items()}
        return steps, metadata


def line(name: str, value: float, target: float | None = None, unit: str = "s", at_least: bool = False) -> str:
    """A figure, and beside it its target and whether it is met (`at_least`: the figure must reach it)."""
    if target is None or value != value:  # nan: the step did not run or recorded nothing
        verdict = "" if target is None else f"  target {'≥' if at_least else '≤'} {target:g} {unit}  n/a"
    else:
        met = value >= target if at_least else value <= target
        missed = "UNDER" if at_least else "OVER"
        verdict = f"  target {'≥' if at_least else '≤'} {target:g} {unit}  {'ok' if met else missed}"
    return f"  {name:<48} {value:8.2f} {unit}{verdict}"


def generate(cli: list[str], env: dict, agents: int, month: str, months_back: int, out: Path) -> None:
    subprocess.run(cli + ["generate", "--agents", str(agents), "--month", month, "--months-back", str(months_back),
                          "--out", str(out), "--seed", "7"], check=True, env=env, stdout=subprocess.DEVNULL)


def cold_run(cli: list[str], env: dict, args, data: Path, out: Path, home: Path) -> None:
    """The month run once, from nothing: every step's time, the team reports' CPU, peak memory."""
    seconds, tree, largest = run_measured(cli + ["run", "--month", args.month, "--data", str(data), "--out", str(out)],
                                          env)
    steps, metadata = latest_run(home)
    teams = len(list((out / args.month / "teams").glob("*.pdf")))
    print(f"\n  ccpulse run ({teams} team reports, {HISTORY_MONTHS_BACK} earlier months of data, none run), "
          "step by step, as Dagster recorded them:")
    for step, (name, target) in TARGETS.items():
        print(line(name, steps.get(step, float("nan")), target))
    print(line("all team reports (wall clock of the step)", steps.get(TEAM_REPORTS_STEP, float("nan"))))
    cpu = metadata.get(TEAM_REPORTS_STEP, {}).get("cpu_seconds_per_report")
    if cpu is None:
        print(f"  {'team reports, CPU per report':<48}      n/a    target ≤ {CPU_PER_REPORT_TARGET:g} s  "
              "n/a (team_reports records no cpu_seconds_per_report)")
    else:
        print(line("team reports, CPU per report", float(cpu), CPU_PER_REPORT_TARGET))
    shown = set(TARGETS) | {TEAM_REPORTS_STEP}
    others = sorted(((s, d) for s, d in steps.items() if s not in shown), key=lambda item: -item[1])
    print(line(f"the other {len(others)} steps together", sum(d for _, d in others)))
    for step, duration in others[:8]:
        print(line(f"  {step}", duration))
    print(line("whole run, wall clock (import to exit)", seconds, WHOLE_RUN_TARGET))
    rss_ok = "ok" if tree / 2**20 <= RSS_TARGET_MIB else "OVER"
    print(f"  {'peak resident memory, whole process tree':<48} {tree / 2**20:8.0f} MiB  target ≤ {RSS_TARGET_MIB} MiB"
          f"  {rss_ok}   (largest process {largest / 2**20:.0f} MiB)")


def roster_file(month_folder: Path) -> Path:
    """The month's roster (SPEC §2: the `agents` source, as CSV, Parquet or XLSX)."""
    found = [path for path in (month_folder / f"agents.{ext}" for ext in ("csv", "parquet", "xlsx")) if path.exists()]
    if len(found) != 1:
        sys.exit(f"expected one roster file (agents.csv, .parquet or .xlsx) in {month_folder}, found {found}")
    return found[0]


def correct_one_name(roster: Path) -> str:
    """Change the name of the roster's first agent still employed (one character of it), in place; the agent's id.
    Only that line's bytes change, as when an HR export corrects one spelling."""
    if roster.suffix != ".csv":
        sys.exit(f"the bench corrects a name in a CSV roster; {roster.name} is not one")
    raw = roster.read_bytes()
    bom = raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    lines = text.splitlines(keepends=True)
    header = next(csv.reader([lines[0]]))
    for number, text_line in enumerate(lines[1:], start=1):
        row = next(csv.reader([text_line]))
        fields = dict(zip(header, row))
        if fields.get("exit_date", "").strip():
            continue
        name = fields["agent_name"]
        corrected = name[:-1] + ("华" if name[-1:] != "华" else "明")
        row[header.index("agent_name")] = corrected
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator=text_line[len(text_line.rstrip("\r\n")):] or "\n").writerow(row)
        lines[number] = buffer.getvalue()
        roster.write_bytes((b"\xef\xbb\xbf" if bom else b"") + "".join(lines).encode("utf-8"))
        return fields["agent_id"]
    sys.exit(f"no employed agent in {roster}")


def rerun_after_a_name_correction(cli: list[str], env: dict, args, data: Path, out: Path, home: Path) -> None:
    """The same month run again on the same out folder after one agent's name was corrected."""
    teams = out / args.month / "teams"
    before = {path.name: path.stat().st_mtime_ns for path in teams.glob("*.pdf")}
    center = out / args.month / "center_report.pdf"
    center_before = center.stat().st_mtime_ns if center.exists() else None
    correct_one_name(roster_file(data / args.month))
    seconds, _, _ = run_measured(cli + ["run", "--month", args.month, "--data", str(data), "--out", str(out)], env)
    after = {path.name: path.stat().st_mtime_ns for path in teams.glob("*.pdf")}
    rewritten = sum(1 for name, stamp in after.items() if before.get(name) != stamp)
    steps, _ = latest_run(home)
    print("\n  ccpulse run again on the same out folder, one agent's name corrected in the roster:")
    print(line("re-run, wall clock (import to exit)", seconds, RERUN_TARGET))
    print(f"  {'team reports rendered again':<48} {rewritten:8d}    expected 1  {'ok' if rewritten == 1 else 'NOT 1'}")
    changed = "yes" if center.exists() and center.stat().st_mtime_ns != center_before else "no"
    print(f"  {'center report rendered again':<48} {changed:>8}    (only if what it shows changed)")
    for step, duration in sorted(steps.items(), key=lambda item: -item[1])[:5]:
        print(line(f"  {step}", duration))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _stop(processes: list[subprocess.Popen]) -> None:
    """Stop the processes this bench started (each by its own id), workers before the scheduler."""
    for process in reversed(processes):
        if process.poll() is None:
            process.terminate()
    for process in reversed(processes):
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_on_dask(cli: list[str], env: dict, month: str, data: Path, folder: Path, workers: int) -> tuple[float, list]:
    """The month run with CCPULSE_DASK_SCHEDULER pointing at a scheduler and `workers` single-threaded workers
    started here on loopback (stopped whatever happens): the team_reports step's seconds, and how many tasks
    each worker ran (empty: the run did not use the cluster)."""
    from distributed import Client

    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    dask = str(Path(sys.executable).with_name("dask"))
    logs = folder / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    worker_env = {**env, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))}
    processes: list[subprocess.Popen] = []
    try:
        processes.append(subprocess.Popen(
            [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            stdout=subprocess.DEVNULL, stderr=open(logs / "scheduler.log", "wb"), env=worker_env, cwd=ROOT))
        for number in range(workers):
            processes.append(subprocess.Popen(
                [dask, "worker", address, "--nthreads", "1", "--nworkers", "1", "--no-dashboard",
                 "--name", f"bench-{number}"],
                stdout=subprocess.DEVNULL, stderr=open(logs / f"worker-{number}.log", "wb"), env=worker_env, cwd=ROOT))
        with Client(address, timeout="60s") as client:
            client.wait_for_workers(workers, timeout=120)
        home, out = folder / "home", folder / "out"
        home.mkdir(parents=True)
        run_env = {**env, "DAGSTER_HOME": str(home), "CCPULSE_DASK_SCHEDULER": address}
        run_measured(cli + ["run", "--month", month, "--data", str(data), "--out", str(out), "--no-send"], run_env)
        with Client(address, timeout="60s") as client:
            executed = sorted(client.run(lambda dask_worker: dask_worker.state.executed_count).values())
        steps, _ = latest_run(home)
        return steps.get(TEAM_REPORTS_STEP, float("nan")), [count for count in executed if count]
    finally:
        _stop(processes)


def dask_speedup(cli: list[str], env: dict, args, work: Path) -> None:
    """A 500-agent month's team reports on a Dask cluster of one, then two, single-threaded workers."""
    data = work / "dask" / "data"
    shutil.rmtree(work / "dask", ignore_errors=True)
    generate(cli, env, args.dask_agents, args.month, 1, data)
    print(f"\n  {args.dask_agents:,}-agent month on a Dask cluster (CCPULSE_DASK_SCHEDULER, loopback), "
          "team_reports step:")
    seconds = {}
    for workers in (1, 2):
        seconds[workers], executed = run_on_dask(cli, env, args.month, data, work / "dask" / f"{workers}-workers",
                                                 workers)
        used = (f"tasks per worker {executed}" if executed
                else "the workers ran no task: the run did not use CCPULSE_DASK_SCHEDULER")
        print(line(f"{workers} worker{'s' if workers > 1 else ''} (1 thread each)", seconds[workers]) + f"   {used}")
    print(line("speed-up, 2 workers over 1", seconds[1] / seconds[2], DASK_SPEEDUP_TARGET, unit="×", at_least=True))


def group_runs(home: Path) -> tuple[list[float], float]:
    """Each center run's seconds (start to end, as the instance recorded them) and the group roll-up's."""
    os.environ["DAGSTER_HOME"] = str(home)
    from dagster import DagsterInstance

    with DagsterInstance.get() as instance:
        centers, group = [], float("nan")
        for run in instance.get_runs():
            stats = instance.get_run_stats(run.run_id)
            seconds = (stats.end_time or 0) - (stats.start_time or 0)
            if run.tags.get("ccpulse/center"):
                centers.append(seconds)
            elif run.job_name == "ccpulse_group":
                group = seconds
        return sorted(centers), group


def group_of_centers(cli: list[str], env: dict, args, work: Path) -> None:
    """A group of 30 centers × 300 agents, one month (and the month before, for the comparisons), run as
    `ccpulse run --centers` runs it: each center's month in turn on one render cluster, then the roll-up."""
    root, home = work / "group", work / "group_home"
    shutil.rmtree(root, ignore_errors=True)
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    group_env = {**env, "DAGSTER_HOME": str(home)}
    subprocess.run(cli + ["generate", "--centers", str(GROUP_CENTERS), "--agents", str(GROUP_AGENTS), "--month",
                          args.month, "--months-back", "1", "--out", str(root), "--seed", "7"],
                   check=True, env=group_env, stdout=subprocess.DEVNULL)
    seconds, tree, largest = run_measured(cli + ["run", "--month", args.month, "--centers",
                                                 str(root / "centers.yaml")], group_env)
    centers, group = group_runs(home)
    print(f"\n  a group of {GROUP_CENTERS} centers × {GROUP_AGENTS} agents, one month "
          f"(`ccpulse run --centers`, centers one after another):")
    print(line("whole group, wall clock (import to exit)", seconds))
    if centers:
        print(line(f"one center's run, median of {len(centers)}", centers[len(centers) // 2]))
        print(line("one center's run, slowest", centers[-1]))
        print(line("the centers' runs together", sum(centers)))
    print(line("group roll-up and its email", group))
    print(f"  {'peak resident memory, whole process tree':<48} {tree / 2**20:8.0f} MiB  (largest process "
          f"{largest / 2**20:.0f} MiB)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agents", type=int, default=10_000)
    parser.add_argument("--month", default="2026-10")
    parser.add_argument("--keep", help="folder to keep the generated data and outputs in")
    parser.add_argument("--no-demo", action="store_true", help="skip timing the demo")
    parser.add_argument("--no-rerun", action="store_true", help="skip the re-run after a name correction")
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask cluster of one and two workers")
    parser.add_argument("--dask-agents", type=int, default=500, help="agents of the month rendered on Dask")
    parser.add_argument("--no-group", action="store_true", help="skip the group of 30 centers × 300 agents")
    parser.add_argument("--only-group", action="store_true", help="only the group of centers")
    parser.add_argument("--only-dask", action="store_true",
                        help="only the Dask comparison (and the demo unless --no-demo)")
    args = parser.parse_args()

    work = Path(args.keep or tempfile.mkdtemp(prefix="ccpulse-bench-"))
    data, out, home = work / "data", work / "out", work / "dagster_home"
    for folder in (data, out, home):  # a kept folder from an earlier bench: nothing already rendered or sent
        shutil.rmtree(folder, ignore_errors=True)
    home.mkdir(parents=True)
    cli = [sys.executable, "-m", "pipelines.cli"]
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    env.pop("CCPULSE_DASK_SCHEDULER", None)  # the main run renders on its own local cluster
    size = (f"{args.dask_agents:,} agents on Dask only" if args.only_dask
            else f"{GROUP_CENTERS} centers × {GROUP_AGENTS} agents only" if args.only_group else f"{args.agents:,} agents")
    print(f"ccpulse bench: {size}, month {args.month}, in {work} ({os.cpu_count()} cores)")

    if args.only_group:
        group_of_centers(cli, env, args, work)
        return 0
    if not args.only_dask:
        started = time.perf_counter()
        generate(cli, env, args.agents, args.month, HISTORY_MONTHS_BACK, data)
        print(line(f"generate ({HISTORY_MONTHS_BACK + 1} months, CSV; not ccpulse's run)",
                   time.perf_counter() - started))
        cold_run(cli, env, args, data, out, home)
        if not args.no_rerun:
            rerun_after_a_name_correction(cli, env, args, data, out, home)
    if not args.no_dask:
        dask_speedup(cli, env, args, work)
    if not args.no_group and not args.only_dask:
        group_of_centers(cli, env, args, work)

    if not args.no_demo:  # `make demo` after set-up: generate the demo data, then run the demo month
        demo = work / "demo"
        demo_env = {**env, "DAGSTER_HOME": str(demo / "home")}
        shutil.rmtree(demo, ignore_errors=True)
        (demo / "home").mkdir(parents=True)
        started = time.perf_counter()
        subprocess.run(["make", "-s", "-C", str(ROOT), "demo", f"DEMO_DATA={demo / 'data'}",
                        f"DEMO_OUT={demo / 'out'}"], check=True, env=demo_env, stdout=subprocess.DEVNULL)
        print()
        print(line("make demo after set-up (120 agents, 12 months)", time.perf_counter() - started, DEMO_TARGET))
    if not args.keep:
        shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
