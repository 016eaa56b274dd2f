"""Group `group_of_centers` (SPEC §15): the group director's month, made from every center's month.

`group_month` reads each center's finished month from its own out folder (never through the IO manager: a center
that failed has no frames, and the roll-up must still say why) and writes `group_health.csv` and
`group_report.pdf` under `<group out>/<YYYY-MM>/`. `group_delivery` emails the report to the group's
report_recipients, exactly once, as every report goes out (delivery_log.csv beside it).

Only a code location serving a group (CCPULSE_CENTERS) has these assets.
"""


import contextlib
import warnings
from collections.abc import Iterator

import polars as pl
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetDep,
    AssetExecutionContext,
    BetaWarning,
    DagsterEventType,
    DagsterRunStatus,
    Failure,
    MaterializeResult,
    MetadataValue,
    MultiToSingleDimensionPartitionMapping,
    RunsFilter,
    asset,
)

from filelock import FileLock, Timeout

from assets.common import OWNERS, monthly_check
from assets.partitions import GROUP, MONTH, center_month_key, monthly_partitions, partition_month
from assets.resources import CcpulseSettings, MailSettings
from assets.delivery import LOG_ROW_SCHEMA, delivery_summary, report_of
from assets.storage import RUN_LOCK
from core.centers import Center, Group
from core.manifest import GROUP as GROUP_KIND, read_manifest
from core.months import Month
from delivery.compose import compose
from delivery.log import BROKEN, FAILED, UNKNOWN, DeliveryLog, LogNotWritten
from delivery.send import deliver, route, undelivered
from ingest.files import FileSource
from metrics.group import GROUP_HEALTH_FILE, CenterMonth, Unavailable, center_month, group_health, write_group_health
from reports.group import write_group_report

GROUP_ASSETS = "group_of_centers"
EVERY_CENTER_AVAILABLE = "every_center_available"
GROUP_DELIVERED = "group_report_delivered"
UNFINISHED = (DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING,
              DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING)


with warnings.catch_warnings():  # a beta class of Dagster 1.13 (requirements.lock pins the release we tested)
    warnings.filterwarnings("ignore", category=BetaWarning)
    EVERY_CENTER_OF_THE_MONTH = MultiToSingleDimensionPartitionMapping(MONTH)


def why_unavailable(instance, center: Center, month: Month) -> Unavailable:
    """Why a center's month has no finished outputs, with no personnel data: its data has not landed (the missing
    sources), its run failed (the steps and blocking checks, never their messages, which may quote rows), is still
    going, was canceled, or never started. The group report words it in its language (reports/group.py)."""
    if center.data.is_dir():
        missing = FileSource(str(center.data)).landing(month).missing
        if missing:
            return Unavailable("not_landed", str(month), missing_sources=tuple(missing))
    runs = instance.get_runs(RunsFilter(tags={"dagster/partition": str(center_month_key(month, center.id))}), limit=1)
    if not runs:
        return Unavailable("not_run", str(month))
    run = runs[0]
    if run.status in UNFINISHED:
        return Unavailable("unfinished", str(month), run_id=run.run_id[:8], run_status=run.status.value.lower())
    if run.status == DagsterRunStatus.CANCELED:
        return Unavailable("canceled", str(month), run_id=run.run_id[:8])
    evaluations = [entry.dagster_event.asset_check_evaluation_data
                   for entry in instance.all_logs(run.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION)]
    checks = sorted({f"{evaluation.asset_key.to_user_string()}.{evaluation.check_name}" for evaluation in evaluations
                     if not evaluation.passed and evaluation.severity == AssetCheckSeverity.ERROR})
    steps = sorted({event.step_key for event in instance.all_logs(run.run_id, of_type=DagsterEventType.STEP_FAILURE)
                    if event.step_key})
    return Unavailable("failed", str(month), steps=tuple(steps), checks=tuple(checks), run_id=run.run_id[:8])


def center_months(instance, group: Group, month: Month) -> list[CenterMonth]:
    """Every center of the group for month M, in the file's order, each available or with its reason."""
    months = []
    for center in group.centers:
        # Read as the roll-up reads every file of a center: never through a link, a corrupt manifest refused.
        known = center_month(center, month)
        if known.unavailable is not None and known.unavailable.kind == "not_run":  # the instance may know why
            known = CenterMonth(center, None, why_unavailable(instance, center, month))
        months.append(known)
    return months


@contextlib.contextmanager
def centers_held(group: Group, month: Month) -> Iterator[set[str]]:
    """Each center's month folder held with its run lock (assets/storage.py), taken without waiting, while the
    roll-up reads it: a center whose run is writing its month is reported unfinished, never read half-written.
    Yields the ids of the centers busy."""
    busy: set[str] = set()
    with contextlib.ExitStack() as held:
        for center in group.centers:
            folder = center.out / str(month)
            if folder.is_symlink() or not folder.is_dir():
                continue  # nothing to hold; the roll-up's reading says why
            lock = FileLock(str(folder / RUN_LOCK))
            try:
                lock.acquire(timeout=0)
            except Timeout:
                busy.add(center.id)
                continue
            held.callback(lock.release)
        yield busy


def _group() -> Group:
    if GROUP is None:
        raise Failure("this code location serves no group of centers (CCPULSE_CENTERS is not set)", allow_retries=False)
    return GROUP


@asset(
    partitions_def=monthly_partitions,
    owners=OWNERS,
    group_name=GROUP_ASSETS,
    kinds={"pdf", "weasyprint", "polars"},
    # Lineage: the group's month M is made from every center's month M (SPEC §15).
    deps=[AssetDep("management_health", partition_mapping=EVERY_CENTER_OF_THE_MONTH)],
    check_specs=[monthly_check(EVERY_CENTER_AVAILABLE, asset="group_month", partitions_def=monthly_partitions,
                                description="Every center of the group has a finished month; a center that has not "
                                "is marked not available in the group report, with the reason.")],
    description="`group_health.csv` (one row per center: its ALL row of management health, status and flags, or "
    "available=false with the reason) and `group_report.pdf` for the group director, under the group's out folder. "
    "Names no agent.",
)
def group_month(context: AssetExecutionContext, settings: CcpulseSettings):
    group = _group()
    month = partition_month(context.partition_key)
    folder = settings.month_dir(month)  # the group's out folder: this run serves no center
    with centers_held(group, month) as busy:
        centers = [CenterMonth(c.center, None, Unavailable("unfinished", str(month), run_status="writing its month"))
                   if c.center.id in busy else c for c in center_months(context.instance, group, month)]
        health = group_health(centers, month)
        write_group_health(health, folder)
        report = write_group_report(group, month, health, centers, folder)
    # A center with a folder can still be unavailable (a file of it that cannot be read): the roll-up says which.
    unavailable = health.filter(~pl.col("available")).select("center_id", "reason").rows()
    statuses = health.filter(pl.col("available"))["status"].value_counts().sort("status").iter_rows()
    return MaterializeResult(
        metadata={
            "centers": len(centers),
            "available": len(centers) - len(unavailable),
            "statuses": ", ".join(f"{status}: {count}" for status, count in statuses) or "none",
            "path": MetadataValue.path(str(report)),
            "group_health": MetadataValue.path(str(folder / GROUP_HEALTH_FILE)),
        },
        check_results=[AssetCheckResult(
            check_name=EVERY_CENTER_AVAILABLE, passed=not unavailable, severity=AssetCheckSeverity.WARN,
            # Center ids and our own reasons only: no row of any center's data.
            metadata={"not_available": MetadataValue.md(
                "\n".join(f"- {center_id}: {reason}" for center_id, reason in unavailable) or "none")})],
    )


@asset(
    partitions_def=monthly_partitions,
    owners=OWNERS,
    group_name=GROUP_ASSETS,
    kinds={"email"},
    deps=[group_month],  # read from the group month folder's manifest.json, checked before it goes out
    check_specs=[monthly_check(GROUP_DELIVERED, asset="group_delivery", partitions_def=monthly_partitions,
                                blocking=True, description="The group report went out, in its current version, "
                                "to every one of the group's report_recipients.")],
    description="Emails `group_report.pdf` to the group's report_recipients (centers.yaml), in the group's language: "
    "exactly once per version, logged in the group month's `delivery_log.csv`, like every report.",
)
def group_delivery(context: AssetExecutionContext, settings: CcpulseSettings, mail: MailSettings):
    group = _group()
    month = partition_month(context.partition_key)
    folder = settings.month_dir(month)
    entry = next((e for e in read_manifest(folder).values() if e.kind == GROUP_KIND), None)
    if entry is None:
        raise Failure(f"no group report of {month} in {folder} (no manifest.json): run the group's month first",
                      allow_retries=False)
    routing = route(report_of(folder, entry), list(group.report_recipients), {}, {})
    log = DeliveryLog(folder)
    transport = mail.transport_for(folder / "outbox")
    try:
        written = deliver(str(month), routing, log, transport,
                          lambda letter, attachments: compose(letter, group.language, mail.sender, attachments))
    except LogNotWritten as error:
        raise Failure(str(error), allow_retries=False) from error
    pending = undelivered(routing, log.delivered())
    this_run = pl.DataFrame(written, schema=LOG_ROW_SCHEMA)
    summary = delivery_summary(this_run, len(pending), 0, len(routing.unroutable), 0, stopped=written.stopped)
    context.log.info(summary)
    return MaterializeResult(
        metadata={"summary": summary, "transport": transport.name, "delivery_log": MetadataValue.path(str(log.path))},
        check_results=[AssetCheckResult(
            check_name=GROUP_DELIVERED, severity=AssetCheckSeverity.ERROR, description=summary,
            passed=not pending and not routing.unroutable
            and this_run.filter(pl.col("status").is_in([FAILED, UNKNOWN, BROKEN])).height == 0)],
    )
