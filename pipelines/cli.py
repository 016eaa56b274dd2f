"""`ccpulse`: generate synthetic inputs, and run a month through the Dagster definitions."""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from core.errors import ConfigError
from core.heap import collect_less_often, settled_heap
from core.months import Month

if TYPE_CHECKING:
    from core.centers import Group

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DAGSTER_YAML = """# Written by ccpulse for a local instance; see docs/ for a PostgreSQL-backed one.
telemetry:
  enabled: false
"""


def ensure_dagster_home() -> Path:
    """DAGSTER_HOME, defaulting to the project's git-ignored `.dagster_home/`."""
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(PROJECT_ROOT / ".dagster_home")))
    if not home.is_absolute():  # Dagster refuses it deep in its own code, with a traceback
        raise ConfigError(f"DAGSTER_HOME must be an absolute path, not {str(home)!r} (a relative one would name "
                          f"another folder from every working directory): e.g. export DAGSTER_HOME={home.resolve()}")
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        from core.atomic import write_text_atomically

        write_text_atomically(config, DAGSTER_YAML)
    return home


def _month(text: str) -> Month:
    try:
        return Month.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _dates(text: str) -> list:
    import datetime as dt

    try:
        return [dt.date.fromisoformat(part.strip()) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected dates as YYYY-MM-DD, comma-separated: {exc}") from exc


def cmd_generate(args: argparse.Namespace) -> int:
    from synthetic.generator import GenerateOptions, generate

    started = time.perf_counter()
    if args.centers:
        from synthetic.group import generate_group

        centers_file = generate_group(Path(args.out), centers=args.centers, agents=args.agents, month=args.month,
                                      months_back=args.months_back, seed=args.seed)
        print(f"wrote a group of {args.centers} centers of {args.agents} agents each to {args.out} in "
              f"{time.perf_counter() - started:.1f}s; run it with "
              f"`ccpulse run --month {args.month} --centers {centers_file}`")
        return 0
    options = GenerateOptions(
        agents=args.agents,
        month=args.month,
        out=Path(args.out),
        months_back=args.months_back,
        seed=args.seed,
        team_size=args.team_size,
        fmt=args.format,
        encoding=args.encoding,
        bad_rows=args.bad_rows,
        calendar=args.calendar,
        holidays=tuple(args.holidays or ()),
        holiday_calendar=args.holiday_calendar,
        evaluator_bias=args.evaluator_bias,
    )
    folders = generate(options)
    print(f"wrote {len(folders)} month(s) of {args.agents} agents to {args.out} "
          f"({folders[0].name} .. {folders[-1].name}) in {time.perf_counter() - started:.1f}s")
    return 0


def _configure(data: str | None, out: str, policy: str | None, column_mapping: str | None, source: str,
               sql_queries: str | None = None) -> None:
    """The settings a run reads, as the environment variables the Definitions' resources take.

    Everything that can be checked before a run starts is checked here, so a bad policy, a bad
    queries file or a database that refuses the connection stops with one message, not eight.
    """
    from schemas.expectations import load_policy_for_run

    load_policy_for_run(policy)  # every problem of a bad policy file is listed here
    if column_mapping:
        from ingest.mapping import load_mapping

        load_mapping(column_mapping)  # and of a bad mapping file, instead of each step failing on it
    ensure_dagster_home()
    os.environ["CCPULSE_DATA_DIR"] = str(Path(data).resolve()) if data else ""
    os.environ["CCPULSE_OUT_DIR"] = str(Path(out).resolve())
    os.environ["CCPULSE_POLICY"] = str(Path(policy).resolve()) if policy else ""
    os.environ["CCPULSE_COLUMN_MAPPING"] = str(Path(column_mapping).resolve()) if column_mapping else ""
    os.environ["CCPULSE_SOURCE"] = source
    if sql_queries:
        os.environ["CCPULSE_SQL_QUERIES"] = str(Path(sql_queries).resolve())
    if source == "sql":
        from assets.resources import CcpulseSettings

        if not os.environ.get("CCPULSE_SQL_QUERIES"):
            raise ConfigError("--source sql needs --sql-queries FILE (or CCPULSE_SQL_QUERIES)")
        # The run's own reader, built as the run will build it: connects and asks for the months.
        CcpulseSettings(out_dir=os.environ["CCPULSE_OUT_DIR"], policy_file=os.environ["CCPULSE_POLICY"],
                        source=source, sql_uri=os.environ.get("CCPULSE_SQL_URI", ""),
                        sql_queries_file=os.environ["CCPULSE_SQL_QUERIES"]).reader().available_months()


def _execute(job_name: str, month: Month, run_config: dict | None = None,
             skip: tuple[str, ...] = (), center_id: str | None = None) -> tuple[bool, list[str], str]:
    """Run one month's partition of a job (a group's center: its center-month) with the same Definitions the UI
    loads (without the assets in `skip`): ok, failures, the delivery summary."""
    from dagster import AssetKey, DagsterInstance, execute_job, reconstructable

    from pipelines.definitions import apply_setting_defaults, defs
    from pipelines.failures import step_failure_lines
    from assets.common import folder_tags
    from assets.partitions import center_month_key, monthly_partitions

    apply_setting_defaults()
    job = defs.resolve_job_def(job_name)
    selection = [key for key in job.asset_layer.executable_asset_keys if key not in {AssetKey(k) for k in skip}] \
        if skip else None
    partition = center_month_key(month, center_id)
    keys = monthly_partitions.get_partition_keys()
    if str(month) not in keys:
        return False, [f"month {month} is not a partition: months run from {keys[0]} to {keys[-1]} "
                       "(a month runs once it has ended; set CCPULSE_FIRST_MONTH for earlier months)"], ""
    # The terminal gets one line per failed step (below); the full event log stays in the instance.
    config = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}, **(run_config or {})}
    from filelock import FileLock

    # A new instance creates and stamps its SQLite storage on first use: two runs starting at once on a
    # fresh DAGSTER_HOME would both stamp it and leave it unreadable, so the first opening is serialized.
    with FileLock(str(ensure_dagster_home() / ".ccpulse-instance.lock")):
        instance = DagsterInstance.get()
    # execute_job, not execute_in_process: the latter keeps every step's output in memory for the result
    # (1.2 GB of frames for 10,000 agents); here outputs live in the month's .intermediate/ files only.
    with instance, settled_heap():  # millions of objects: the collector need not walk the imports each time
        # The partition's tags as the UI gives them (its Partitions view lists runs by them), and the folders.
        result = execute_job(reconstructable(_job_named(job_name)), instance, run_config=config,
                             tags={**folder_tags(center_id), **job.get_tags_for_partition_key(partition, None)},
                             asset_selection=selection)
        summary = ""
        for event in result.get_asset_materialization_events():
            materialization = event.step_materialization_data.materialization
            if materialization.asset_key.to_user_string() == "delivery":
                summary = str(materialization.metadata["summary"].value)
        return result.success, step_failure_lines(result.all_events), summary


def monthly_job_definition():
    from pipelines.definitions import defs
    from pipelines.jobs import MONTHLY_JOB

    return defs.resolve_job_def(MONTHLY_JOB)


def send_job_definition():
    from pipelines.definitions import defs
    from pipelines.jobs import SEND_JOB

    return defs.resolve_job_def(SEND_JOB)


def _job_named(name: str):
    from pipelines.jobs import GROUP_JOB, MONTHLY_JOB, SEND_JOB

    return {MONTHLY_JOB: monthly_job_definition, SEND_JOB: send_job_definition, GROUP_JOB: group_job_definition}[name]


def group_job_definition():
    from pipelines.definitions import defs
    from pipelines.jobs import GROUP_JOB

    return defs.resolve_job_def(GROUP_JOB)


def run_month(month: Month, data: str | None, out: str, policy: str | None = None,
              column_mapping: str | None = None, source: str = "files",
              sql_queries: str | None = None, send: bool = True) -> tuple[bool, list[str], str]:
    """Materialize one month's partition: every asset, delivery included unless `send` is false.

    Raises PolicyError, ConfigError or SourceError when the run cannot start.
    """
    if source == "files" and data:
        check_month_folder(Path(data), month)  # before the seconds that importing the pipeline takes
    _configure(data, out, policy, column_mapping, source, sql_queries)
    with _ready_to_run():
        from pipelines.jobs import MONTHLY_JOB

        return _execute(MONTHLY_JOB, month, skip=() if send else ("delivery",))


@contextlib.contextmanager
def _ready_to_run():
    """The render cluster, started on the second core while this one reads and validates (one cluster for every
    center of a group's month), and Great Expectations imported in the background; the cluster stopped after."""
    from reports.render import start_workers, stop_workers

    start_workers(modules=("reports.context",))
    try:
        from schemas.expectations import start_importing_great_expectations

        start_importing_great_expectations()
        yield
    finally:
        stop_workers()


def configure_group(centers_file: str) -> "Group":
    """Everything a group's run can check before it starts, all at once (SPEC §15): centers.yaml with each center's
    policy, and the group's recipients. The group's code location then reads the same file (CCPULSE_CENTERS)."""
    from core.centers import load_group
    from delivery.addresses import InvalidAddress, checked_address
    from schemas.expectations import EXPECTATION_KEYS

    group = load_group(centers_file, EXPECTATION_KEYS)
    problems = []
    for text in group.report_recipients:
        try:
            checked_address(text)
        except InvalidAddress as error:
            problems.append(f"{group.file}: group.report_recipients: {error}")
    if problems:
        raise ConfigError("\n".join(problems))
    ensure_dagster_home()
    os.environ.update({"CCPULSE_CENTERS": str(group.file), "CCPULSE_OUT_DIR": str(group.out), "CCPULSE_DATA_DIR": "",
                       "CCPULSE_POLICY": "", "CCPULSE_COLUMN_MAPPING": "", "CCPULSE_SOURCE": "files"})
    return group


def run_group(month: Month, centers_file: str, only: str | None = None,
              send: bool = True) -> tuple[dict[str, tuple[bool, list[str], str]], tuple[bool, list[str], str]]:
    """Each center's month (or the one `only` names) exactly as a single center runs, then the group's roll-up.
    A center whose data has not landed, or whose run fails, stops no other: the roll-up says why it is missing.
    Returns each center's (ok, failures, delivery summary) and the group's."""
    group = configure_group(centers_file)
    centers = [group.center(only)] if only else list(group.centers)
    outcomes = {}
    with _ready_to_run():
        from pipelines.jobs import GROUP_JOB, MONTHLY_JOB

        for center in centers:
            try:
                check_month_folder(center.data, month)
            except ConfigError as error:
                outcomes[center.id] = (False, [str(error)], "")
                continue
            outcomes[center.id] = _execute(MONTHLY_JOB, month, skip=() if send else ("delivery",), center_id=center.id)
        rolled_up = _execute(GROUP_JOB, month, skip=() if send else ("group_delivery",))
    return outcomes, rolled_up


def cmd_run_group(args: argparse.Namespace) -> int:
    from core.errors import PolicyError, SourceError

    try:
        outcomes, (group_ok, group_messages, _) = run_group(args.month, args.centers, args.center,
                                                            send=not args.no_send)
    except (PolicyError, ConfigError, SourceError) as error:
        print(f"ccpulse: {error}", file=sys.stderr)
        return 2
    from assets.partitions import GROUP

    failed = 0
    for center_id, (ok, messages, delivered) in outcomes.items():
        center = GROUP.center(center_id)
        if ok:
            print(f"center {center_id} ({center.name}): {args.month} done: {center.out / str(args.month)}"
                  + (f"; delivery: {delivered}" if delivered else ""))
        else:
            failed += 1
            _report_failure(f"center {center_id} ({center.name}), month {args.month}", messages, delivered)
    folder = GROUP.out / str(args.month)
    if group_ok:
        print(f"group {GROUP.name}: {folder / 'group_report.pdf'} and {folder / 'group_health.csv'}")
    else:
        _report_failure(f"the group roll-up of {args.month}", group_messages)
    return 1 if failed or not group_ok else 0


def check_month_folder(data: Path, month: Month) -> None:
    """Before anything slow: the data folder and the month's folder are there (ConfigError naming them)."""
    if not data.is_dir():
        raise ConfigError(f"the data folder {data.resolve()} does not exist")
    folder = data / str(month)
    if not folder.is_dir():
        months = sorted(p.name for p in data.iterdir() if p.is_dir() and _is_month(p.name))
        held = f"it holds {', '.join(months)}" if months else "it holds no YYYY-MM folders"
        raise ConfigError(f"no folder for {month} in the data folder {data.resolve()} ({held})")
    from ingest.files import FileSource

    missing = FileSource(data).landing(month).missing
    if missing:
        raise ConfigError(f"{folder.resolve()} lacks a file for {', '.join(missing)} "
                          f"(each as <source>.csv, .parquet or .xlsx)")


def _is_month(name: str) -> bool:
    try:
        Month.parse(name)
    except ValueError:
        return False
    return True


def send_month(month: Month, out: str, policy: str | None = None, force: bool = False,
               recipients: list[str] | None = None) -> tuple[bool, list[str], str]:
    """Deliver a month's rendered reports again: what is due, or with `force` everything (to `recipients`).

    In the language and to the recipients of the policy the month was run with (SPEC §11), unless `policy`
    overrides it for this send.
    """
    from core.manifest import manifest_path

    override = str(Path(policy).resolve()) if policy else ""
    # assets/delivery.py RECORDED_POLICY; named here because importing it would load the Definitions before the
    # settings below are in the environment.
    from core.policy import RECORDED_POLICY

    recorded = Path(out).resolve() / str(month) / RECORDED_POLICY
    # The policy in force is checked before the run (a broken one exits 2 naming it), and is this process's
    # CCPULSE_POLICY so that what it reads at load (the partitions' timezone) agrees with the month.
    _configure(None, out, override or (str(recorded) if recorded.is_file() else None), None, "files")
    if not manifest_path(Path(out) / str(month)).exists():
        return False, [f"no reports for {month} in {Path(out).resolve()}: run the month first (`ccpulse run`)"], ""
    from pipelines.jobs import SEND_JOB

    # The override travels as the delivery step's run config, as from the UI's launchpad: without it the step
    # reads the month's recorded policy itself.
    config = {"force": force, "recipients": recipients or [], "policy_file": override}
    return _execute(SEND_JOB, month, {"ops": {"delivery": {"config": config}}})


def _report_failure(what: str, messages: list[str], delivered: str = "") -> int:
    print(f"ccpulse: {what} failed", file=sys.stderr)
    for message in messages:
        print(message, file=sys.stderr)
    if delivered and not any(delivered in message for message in messages):
        print(f"delivery: {delivered}", file=sys.stderr)
    return 1


def cmd_run(args: argparse.Namespace) -> int:
    from core.errors import PolicyError, SourceError

    if args.centers:
        if args.data or args.out or args.policy or args.column_mapping or args.source != "files":
            print("ccpulse: with --centers, each center's data, out folder and policy come from centers.yaml "
                  "(--data, --out, --policy, --column-mapping and --source do not apply)", file=sys.stderr)
            return 2
        return cmd_run_group(args)
    if args.center:
        print("ccpulse: --center needs --centers", file=sys.stderr)
        return 2

    if not args.out:
        print("ccpulse: --out is required (or --centers)", file=sys.stderr)
        return 2
    if args.source == "files" and not args.data:
        print("ccpulse: --data is required with the files source (or use --source sql)", file=sys.stderr)
        return 2
    try:
        ok, messages, delivered = run_month(args.month, args.data, args.out, args.policy, args.column_mapping,
                                            args.source, args.sql_queries, send=not args.no_send)
    except (PolicyError, ConfigError, SourceError) as error:
        print(f"ccpulse: {error}", file=sys.stderr)
        return 2
    folder = Path(args.out).resolve() / str(args.month)
    # The run's own policy: the one it recorded beside the month, and the one its delivery (or a later send) follows.
    policy_file = str(Path(args.policy).resolve()) if args.policy else ""
    if not ok:
        code = _report_failure(f"month {args.month}", messages, delivered)
        _warn_center_without_recipient(folder, policy_file)
        return code
    print_month_summary(folder, delivered if not args.no_send else "")
    _warn_center_without_recipient(folder, policy_file)
    return 0


def _warn_center_without_recipient(folder: Path, policy_file: str) -> None:
    """The last line of `run` and `send` when the month's center report goes to nobody (SPEC §11)."""
    from assets.delivery import center_report_unaddressed

    reason = center_report_unaddressed(folder, policy_file)
    if reason:
        print(f"ccpulse: warning: the center report of {folder.name} has no recipient: {reason}", file=sys.stderr)


def print_month_summary(folder: Path, delivered: str, shown_teams: int = 10) -> None:
    """A few lines a person acts on: where the reports are, what the data and delivery say."""
    from core.manifest import read_manifest
    from core.output import read_output_csv

    print(f"month {folder.name} done: every output is in {folder}")
    quality = read_output_csv(folder / "data_quality.csv")
    quarantined = quality.filter(quality["rows_quarantined"] > 0)
    print(f"  data:          {int(quality['rows_read'].sum()):,} rows read, "
          f"{int(quality['rows_quarantined'].sum()):,} quarantined"
          + (f" ({', '.join(f'{r} {s}' for s, r in quarantined.select('source', 'rows_quarantined').iter_rows())})"
             if quarantined.height else "") + " — data_quality.csv")
    from schemas.expectations import check_counts

    checks = read_output_csv(folder / "data_quality" / "expectations.csv")
    failed = checks.filter(~checks["passed"])
    passed, failing, not_evaluated = check_counts(checks)  # counted as the data appendix counts them
    print(f"  believability: of {checks.height} checks, {passed} passed, {failing} failed, "
          f"{not_evaluated} not evaluated"
          + (f"; warnings: {', '.join(f'{s}.{e}' for s, e in failed.select('source', 'expectation').iter_rows())}"
             if failed.height else ""))
    teams = sorted(entry.report for entry in read_manifest(folder).values() if entry.kind == "team")
    print(f"  center report: {folder / 'center_report.pdf'}")
    print(f"  team reports:  {len(teams)} in {folder / 'teams'}")
    for report in teams[:shown_teams]:
        print(f"                 {folder / report}")
    if len(teams) > shown_teams:
        print(f"                 … and {len(teams) - shown_teams} more (manifest.json says whose each one is)")
    if delivered:
        print(f"  delivery:      {delivered} — delivery_log.csv")
    else:
        print(f"  delivery:      not sent (--no-send); `ccpulse send --month {folder.name} --out {folder.parent}` sends")


def cmd_send(args: argparse.Namespace) -> int:
    from core.errors import PolicyError

    try:
        ok, messages, delivered = send_month(args.month, args.out, args.policy, args.force, args.to)
    except PolicyError as error:
        print(f"ccpulse: {error}", file=sys.stderr)
        return 2
    folder = Path(args.out).resolve() / str(args.month)
    if not ok:
        code = _report_failure(f"delivery of {args.month}", messages, delivered)
    else:
        print(f"delivery of {args.month}: {delivered}")
        print(f"log: {folder / 'delivery_log.csv'}")
        code = 0
    from assets.delivery import month_policy_file

    override = str(Path(args.policy).resolve()) if args.policy else ""
    _warn_center_without_recipient(folder, month_policy_file(folder, override))  # the policy this send followed
    return code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ccpulse", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    gen = commands.add_parser("generate", help="write realistic synthetic inputs for a month and the months before it")
    gen.add_argument("--agents", type=int, default=200, help="agents in the center (default 200)")
    gen.add_argument("--month", type=_month, default=Month.parse("2026-10"), help="the last month, YYYY-MM")
    gen.add_argument("--months-back", type=int, default=2, help="months before --month to write too (default 2)")
    gen.add_argument("--out", default="data", help="folder that gets one <YYYY-MM>/ folder per month")
    gen.add_argument("--seed", type=int, default=7)
    gen.add_argument("--team-size", type=int, default=20, help="agents per team, about (default 20)")
    gen.add_argument("--format", choices=["csv", "parquet", "xlsx"], default="csv")
    gen.add_argument("--encoding", choices=["utf-8", "utf-8-sig", "gbk"], default="utf-8", help="for CSV")
    gen.add_argument("--centers", type=int, metavar="K",
                     help="a group of K centers (SPEC §15) under --out: centers.yaml, each center's data and policy")
    gen.add_argument("--bad-rows", action="store_true", help="add a small share of bad rows of every kind")
    gen.add_argument("--calendar", choices=["7day", "weekdays"], default="7day",
                     help="7day: open every day, each agent with two days off a week (default); weekdays: Monday "
                          "to Friday only")
    gen.add_argument("--holidays", type=_dates, metavar="YYYY-MM-DD,…",
                     help="days the center is closed (no shifts, no contacts), comma-separated")
    gen.add_argument("--holiday-calendar", metavar="CODE",
                     help="a public-holiday calendar (e.g. CN): closed on its holidays, open on its make-up workdays")
    gen.add_argument("--evaluator-bias", type=float, default=0.0, metavar="POINTS",
                     help="QA evaluator QA001 scores this many points above the others (a lenient evaluator; "
                          "negative: a harsh one)")
    gen.set_defaults(func=cmd_generate)

    run = commands.add_parser(
        "run", help="run one month: read, validate, compute, render the PDFs and email them to the managers",
        description="Materializes one month's partition through the Dagster definitions: reads and validates the "
        "sources, computes every output, renders the reports, and emails each manager their PDFs (as .eml files "
        "in the month's outbox/ unless CCPULSE_MAIL_TRANSPORT=smtp). --no-send stops before the email.")
    run.add_argument("--month", type=_month, required=True, help="YYYY-MM")
    run.add_argument("--data", help="folder holding <YYYY-MM>/<source>.{csv,parquet,xlsx} (the files source)")
    run.add_argument("--out", help="folder that gets <YYYY-MM>/ with every output (each center's own with --centers)")
    run.add_argument("--centers", metavar="centers.yaml",
                     help="a group of centers (SPEC §15): run each center's month, then the group's roll-up")
    run.add_argument("--center", metavar="ID", help="with --centers: this center only (then the roll-up)")
    run.add_argument("--policy", help="policy YAML (SPEC §3); defaults apply where it is silent")
    run.add_argument("--column-mapping", help="YAML mapping vendor column names and values to the contract's")
    run.add_argument("--source", choices=["files", "sql"], default="files",
                     help="files (default), or sql: one query per source, connection URI from CCPULSE_SQL_URI")
    run.add_argument("--sql-queries", help="YAML of one query per source (examples/sql/queries.yaml; "
                                           "default CCPULSE_SQL_QUERIES)")
    run.add_argument("--no-send", action="store_true",
                     help="compute and render without emailing (send later with `ccpulse send`)")
    run.set_defaults(func=cmd_run)

    send = commands.add_parser("send", help="deliver a month's reports again: what is still due, or all with --force")
    send.add_argument("--month", type=_month, required=True, help="YYYY-MM")
    send.add_argument("--out", required=True, help="the out folder the month was run with")
    send.add_argument("--policy", help="policy YAML for this send instead of the one the month was run with "
                                       "(<out>/<YYYY-MM>/policy.yaml): its center_report_recipients and language apply")
    send.add_argument("--force", action="store_true", help="send again what was already delivered")
    send.add_argument("--to", action="append", metavar="ADDRESS", help="only to this recipient (repeatable)")
    send.set_defaults(func=cmd_send)
    return parser


def main(argv: list[str] | None = None) -> int:
    as_the_process = argv is None  # the console script: the process is ours, and ends when this returns
    if as_the_process:
        collect_less_often()  # before the imports of Dagster, polars and WeasyPrint
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ConfigError as error:  # a setting to fix, said in one line, never a traceback
        print(f"ccpulse: {error}", file=sys.stderr)
        return 2
    finally:
        if as_the_process:
            # What is left is freed at exit anyway: without this, the interpreter's last collections walk the
            # whole heap of a run (1.5 s after a demo run) before the prompt comes back.
            gc.freeze()


if __name__ == "__main__":
    sys.exit(main())
