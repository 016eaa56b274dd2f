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


def bench_sql_source(data: Path, month, mapping, policy, from_files: dict, rows: list) -> None:
    """The same month read from PostgreSQL (a throw-away server, as in the tests) through ADBC."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/ is not an installed package
    from ingest.load import load_month
    from ingest.sql import SqlSource, load_queries
    from synthetic.to_sql import load_reference_database
    from tests.pg_server import postgres_bindir, postgres_server

    try:
        postgres_bindir()
    except RuntimeError as exc:
        print(f"  SQL source: skipped ({exc})")
        return
    with postgres_server() as server:
        server.create_database("center")
        uri = server.uri("center")
        started = time.perf_counter()
        load_reference_database(uri, data, policy.timezone)
        print(f"  (load both months into PostgreSQL: {time.perf_counter() - started:.1f} s, not ccpulse's work)")
        queries = load_queries(Path(__file__).resolve().parents[1] / "examples" / "sql" / "queries.yaml")
        with stage("read + type from PostgreSQL (ADBC)", rows):
            from_sql = load_month(SqlSource(uri, queries, policy.timezone), month, mapping, policy.timezone)
    same = all(from_sql[source].height == frame.height for source, frame in from_files.items())
    print(f"    rows: {sum(f.height for f in from_sql.values()):,} ({'same as' if same else 'DIFFERENT from'} files)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agents", type=int, default=10_000)
    parser.add_argument("--month", default="2026-10")
    parser.add_argument("--keep", help="folder to keep the generated data and outputs in")
    parser.add_argument("--team-reports", type=int, default=None, help="render only this many team reports")
    args = parser.parse_args()

    import polars as pl

    from core.months import Month
    from core.output import write_output_csv
    from core.policy import Policy
    from ingest.files import FileSource
    from ingest.history import TREND_COLUMNS, earlier_complaints, earlier_health, load_valid_month
    from ingest.load import load_month
    from ingest.mapping import ColumnMapping
    from metrics.awards import award_eligibility, award_winners, lucky_draw
    from metrics.coaching import coaching_list
    from metrics.health import cited_status, complaint_statuses, management_health, unknown_complaint_warnings
    from metrics.ranking import rank_agents
    from metrics.scorecard import last_month_composites, month_metrics, scorecard_csv
    from reports.context import ReportInputs, center_context, team_context
    from reports.i18n import Translator, award_deed
    from reports.render import Renderer, render_many
    from schemas.validate import data_quality_table, validate_month
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
    bench_sql_source(data, month, mapping, policy, frames, rows)
    with stage("validate (pandera, lazy)", rows):
        outcomes = validate_month(frames, month)
        valid = {s: o.valid for s, o in outcomes.items()}
    with stage("last month: read + validate", rows):
        previous = load_valid_month(reader, month.previous(), mapping, policy.timezone)
    # Great Expectations: its import alone is a fixed cost the believability step adds to a run.
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import great_expectations, great_expectations.expectations"], check=True)
    print(f"  GX import (fresh process): {time.perf_counter() - started:.1f} s")
    with stage("GX believability suites + Data Docs", rows):
        from schemas.expectations import SuiteInputs, previous_row_counts, rostered_agents, run_suites

        suite_inputs = SuiteInputs(month, policy, previous_row_counts(reader, month), rostered_agents(valid["agents"], month))
        expectations = run_suites(valid, {source: outcome.rows_read for source, outcome in outcomes.items()},
                                  suite_inputs, out / "pure" / str(month) / "data_docs")
    failed = expectations.filter(~expectations["passed"])
    print(f"    {expectations.height} expectations, {failed.height} failed: "
          + (", ".join(f"{row['source']}.{row['expectation']} ({row['observed']})" for row in failed.iter_rows(named=True)) or "none"))
    with stage("metrics → every §9 CSV", rows):
        card = rank_agents(month_metrics(valid, month, policy), policy, last_month_composites(previous, month, policy))
        eligibility = award_eligibility(card, policy)
        draw = lucky_draw(eligibility, month, policy)
        winners = award_winners(card, eligibility, draw, partial(award_deed, Translator(policy.language)))
        coaching = coaching_list(card)
        history = earlier_complaints(reader, month, mapping, policy.timezone)
        history[month] = valid["complaints"]
        health = management_health(card, valid["discipline"], valid["qa_evaluations"], valid["qa_deductions"],
                                   complaint_statuses(history), valid["teams"]["team_id"].to_list(), month, policy)
        folder = out / "pure" / str(month)
        write_output_csv(scorecard_csv(card), folder / "agent_scorecard.csv")
        write_output_csv(eligibility, folder / "award_eligibility.csv")
        write_output_csv(winners, folder / "awards.csv")
        write_output_csv(health, folder / "management_health.csv")

    with stage("reports: inputs, one slice per team", rows):
        statuses = complaint_statuses(history)
        inputs = ReportInputs(
            month=month, policy=policy, generated_at="bench", scorecard=card, health=health,
            trend=pl.concat([earlier_health(reader, out / "pure", month, mapping, policy),
                             health.select(list(TREND_COLUMNS)).cast(TREND_COLUMNS)]),
            eligibility=eligibility, winners=winners, draw_seed=draw.seed, draw_pool_size=len(draw.pool),
            coaching=coaching, ledger=cited_status(valid["discipline"], statuses), complaints=valid["complaints"],
            teams=valid["teams"], data_quality=data_quality_table(list(outcomes.values())),
            warnings=unknown_complaint_warnings(valid["discipline"], statuses), expectations=expectations)
        teams = sorted(card["team_id"].unique().to_list())[: args.team_reports]
        jobs = [("team.html", team_context, (inputs.for_team(team), team), folder / "teams" / f"{team}.pdf")
                for team in teams]
    started = time.perf_counter()
    with stage("center report (1 process)", rows):
        center_pages = Renderer().render("center.html", center_context(inputs), folder / "center_report.pdf")
    center_seconds = time.perf_counter() - started
    print(f"    {center_pages} pages, {center_pages / center_seconds:.1f} pages/s")
    started = time.perf_counter()
    with stage(f"{len(jobs)} team reports, charts included ({os.cpu_count()} processes)", rows):
        pages = sum(render_many(jobs))
    team_seconds = time.perf_counter() - started
    print(f"    {pages} pages, {pages / team_seconds:.1f} pages/s, {team_seconds / len(jobs):.2f} s per team report")

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
