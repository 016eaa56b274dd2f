"""`make bench`: seconds and peak memory of each stage for a large month (not a test).

Generates a center (default 10,000 agents, the month and the one before it), then times
each stage in this process with the pure functions, and the whole Dagster run last.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from functools import partial
import time
from contextlib import contextmanager
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE


@contextmanager
def stage(name: str, rows: list):
    """Time a stage and sample its peak resident memory every 5 ms."""
    peak, done = [rss_bytes()], threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_bytes())
            time.sleep(0.005)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    try:
        yield
    finally:
        seconds = time.perf_counter() - started
        done.set()
        sampler.join()
        rows.append((name, seconds, max(peak[0], rss_bytes()) / 2**20))
        print(f"  {name:<38} {seconds:8.2f} s   peak RSS {rows[-1][2]:8.0f} MiB", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agents", type=int, default=10_000)
    parser.add_argument("--month", default="2026-10")
    parser.add_argument("--keep", help="folder to keep the generated data and outputs in")
    args = parser.parse_args()

    from core.months import Month
    from core.output import write_output_csv
    from core.policy import Policy
    from ingest.files import FileSource
    from ingest.history import earlier_complaints, load_valid_month
    from ingest.load import load_month
    from ingest.mapping import ColumnMapping
    from metrics.awards import award_eligibility, award_winners, lucky_draw
    from metrics.coaching import coaching_list
    from metrics.health import complaint_statuses, management_health
    from metrics.ranking import rank_agents
    from metrics.scorecard import last_month_composites, month_metrics, scorecard_csv
    from reports.i18n import Translator, award_deed
    from schemas.validate import validate_month
    from synthetic.generator import GenerateOptions, generate

    month, policy, mapping = Month.parse(args.month), Policy(), ColumnMapping()
    work = Path(args.keep or tempfile.mkdtemp(prefix="ccpulse-bench-"))
    data, out = work / "data", work / "out"
    rows: list = []
    print(f"ccpulse bench: {args.agents} agents, month {month}, in {work} ({os.cpu_count()} cores)")

    with stage("generate (2 months, CSV)", rows):
        generate(GenerateOptions(agents=args.agents, month=month, out=data, months_back=1, seed=7))
    reader = FileSource(data)
    with stage("read + type (8 sources)", rows):
        frames = load_month(reader, month, mapping, policy.timezone)
    print(f"    rows: {sum(f.height for f in frames.values()):,}")
    with stage("validate (pandera, lazy)", rows):
        valid = {s: o.valid for s, o in validate_month(frames, month).items()}
    with stage("last month: read + validate", rows):
        previous = load_valid_month(reader, month.previous(), mapping, policy.timezone)
    with stage("metrics → every §9 CSV", rows):
        card = rank_agents(month_metrics(valid, month, policy), policy, last_month_composites(previous, month, policy))
        eligibility = award_eligibility(card, policy)
        winners = award_winners(card, eligibility, lucky_draw(eligibility, month, policy),
                                partial(award_deed, Translator(policy.language)))
        coaching_list(card)
        history = earlier_complaints(reader, month, mapping, policy.timezone)
        history[month] = valid["complaints"]
        health = management_health(card, valid["discipline"], valid["qa_evaluations"], valid["qa_deductions"],
                                   complaint_statuses(history), valid["teams"]["team_id"].to_list(), month, policy)
        folder = out / "pure" / str(month)
        write_output_csv(scorecard_csv(card), folder / "agent_scorecard.csv")
        write_output_csv(eligibility, folder / "award_eligibility.csv")
        write_output_csv(winners, folder / "awards.csv")
        write_output_csv(health, folder / "management_health.csv")

    env = {**os.environ, "DAGSTER_HOME": str(work / "dagster_home")}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pipelines.cli", "run", "--month", str(month), "--data", str(data),
                    "--out", str(out / "dagster")], check=True, env=env, stdout=subprocess.DEVNULL)
    print(f"  {'whole Dagster run (ccpulse run)':<38} {time.perf_counter() - started:8.2f} s   (separate process)")
    if not args.keep:
        shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
