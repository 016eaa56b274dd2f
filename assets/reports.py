"""Group `reports`: the center report and one report per team (SPEC §10), as PDF."""

import datetime as dt
from dataclasses import replace
from collections import Counter

import polars as pl
from dagster import AssetExecutionContext, AssetIn, MaterializeResult, MetadataValue

from assets.common import monthly_asset
from assets.partitions import partition_month
from assets.resources import CcpulseSettings
from assets.validated import valid_key
from core.heap import release_freed_memory
from core.manifest import CENTER, TEAM, ReportEntry, read_manifest, record_reports
from core.names import safe_file_names
from core.output import markdown_preview
from delivery.addresses import InvalidAddress, parse_addressee, shared_by_several_supervisors
from assets.storage import INTERMEDIATE
from ingest.history import TREND_COLUMNS, MonthData, before, earlier_health
from metrics.changes import group_samples
from metrics.complaints import first_substantiated, substantiated_before
from metrics.health import CENTER as CENTER_ID
from metrics.health import cited_status, unknown_complaint_warnings
from reports.context import center_context, report_titles, team_context
from reports.comparison import write_team_comparison
from reports.inputs import ReportInputs
from delivery.integrity import BrokenReport, checked_pdf
from reports.fingerprint import inputs_fingerprint
from reports.render import Earlier, Rendered, RenderJob, render_many, write_checked
from schemas.validate import ValidationOutcome

CENTER_REPORT_FILE = "center_report.pdf"


@monthly_asset(
    ins={"evaluations": AssetIn(valid_key("qa_evaluations")), "last_month": AssetIn("last_month")},
    group_name="reports",
    kinds={"polars"},
    description="management_health of up to twelve months, this one last: read from earlier months' outputs, or "
    "computed from their data when a month was never run. This month and last carry the samples behind each "
    "rate and the QA scores' variance, so that a change is called out only when beyond noise (SPEC §10).",
)
def health_trend(context: AssetExecutionContext, settings: CcpulseSettings, management_health: pl.DataFrame,
                 complaint_history: dict, agent_scorecard: pl.DataFrame, evaluations: ValidationOutcome,
                 last_month: MonthData | None, last_month_scorecard: pl.DataFrame | None):
    month = partition_month(context.partition_key)
    policy = settings.policy()
    # Months never run are computed from their data once (last month's from what the run validated), then kept.
    earlier = earlier_health(settings.reader(), settings.month_dir(month).parent, month, settings.mapping(), policy,
                             complaint_history, cache_dir=settings.month_dir(month) / INTERMEDIATE / "earlier_health",
                             validated=last_month)
    trend = pl.concat([earlier, management_health.select(list(TREND_COLUMNS)).cast(TREND_COLUMNS)])
    samples = [group_samples(agent_scorecard, evaluations.valid, policy.min_qa_evals).with_columns(
        month=pl.lit(str(month)))]
    if last_month is not None and last_month_scorecard is not None:  # last month's CSV holds no samples
        samples.append(group_samples(last_month_scorecard, last_month.valid["qa_evaluations"], policy.min_qa_evals)
                       .with_columns(month=pl.lit(str(month.previous()))))
    trend = trend.join(pl.concat(samples), on=["month", "team_id"], how="left", maintain_order="left")
    return MaterializeResult(value=trend, metadata={"dagster/row_count": trend.height,
                                                    "months": ", ".join(sorted(trend["month"].unique()))})


def unaddressed_teams(teams: pl.DataFrame, staffed: set[str] | None = None) -> dict[str, str]:
    """Teams whose report no email can carry, and why (told to the director in the In brief): no address, an
    invalid one, or one that another supervisor's team shares (of the `staffed` teams, which have a report)."""
    found, addresses = {}, {}
    for team_id, address in teams.select("team_id", "supervisor_email").iter_rows():
        if address is None or not address.strip():
            found[team_id] = "no_address"
            continue
        try:
            addresses[team_id] = parse_addressee(address).address
        except InvalidAddress:
            found[team_id] = "invalid_address"
    reported = {team_id: address for team_id, address in addresses.items() if staffed is None or team_id in staffed}
    supervisors = dict(teams.select("team_id", "supervisor_id").iter_rows())
    found.update({team_id: "shared_address" for team_id in shared_by_several_supervisors(reported, supervisors)})
    return found


@monthly_asset(
    ins={"teams": AssetIn(valid_key("teams")), "discipline": AssetIn(valid_key("discipline")),
         "complaints": AssetIn(valid_key("complaints")), "evaluations": AssetIn(valid_key("qa_evaluations")),
         "deductions": AssetIn(valid_key("qa_deductions"))},
    group_name="reports",
    kinds={"polars"},
    description="Everything the reports print, gathered once.",
)
def report_inputs(context: AssetExecutionContext, settings: CcpulseSettings, agent_scorecard: pl.DataFrame,
                  management_health: pl.DataFrame, health_trend: pl.DataFrame, award_eligibility: pl.DataFrame,
                  awards: dict, coaching: pl.DataFrame, coaching_followup: pl.DataFrame,
                  complaint_statuses: pl.DataFrame, data_quality: dict,
                  data_believability: dict, complaint_history: dict, qa_calibration: pl.DataFrame,
                  award_fairness: pl.DataFrame, teams: ValidationOutcome,
                  discipline: ValidationOutcome, complaints: ValidationOutcome, evaluations: ValidationOutcome,
                  deductions: ValidationOutcome):
    month = partition_month(context.partition_key)
    policy = settings.policy()
    earlier = substantiated_before(complaint_history, month)
    points = deductions.valid.join(evaluations.valid.select("evaluation_id", "agent_id"), on="evaluation_id") \
        .join(agent_scorecard.select("agent_id", "team_id"), on="agent_id")
    inputs = ReportInputs(
        month=month, policy=policy,
        scorecard=agent_scorecard, health=management_health, trend=health_trend,
        eligibility=award_eligibility, winners=awards["winners"], draw_seed=awards["lucky_draw_seed"],
        draw_pool_size=len(awards["lucky_draw_pool"]), coaching=coaching,
        ledger=cited_status(discipline.valid, complaint_statuses),
        complaints=complaints.valid.with_columns(first_substantiated=first_substantiated(earlier)),
        deductions=points, teams=teams.valid,
        data_quality=data_quality["table"], quality_reasons=data_quality["reasons"],
        expectations=data_believability["results"], calendar=data_believability["calendar"],
        calibration=qa_calibration, fairness=award_fairness,
        evaluations=evaluations.valid.select("evaluation_id", "agent_id", "evaluator_id", "score"),
        warnings=unknown_complaint_warnings(discipline.valid, complaint_statuses),
        unaddressed=unaddressed_teams(teams.valid, set(agent_scorecard["team_id"].unique())),
        followup=coaching_followup,
    )
    return MaterializeResult(value=inputs, metadata={"language": policy.language,
                                                     "teams_without_recipient": len(inputs.unaddressed)})


def _earlier(manifest: dict[str, ReportEntry], report: str) -> Earlier:
    entry = manifest.get(report)
    return Earlier(entry.fingerprint, entry.generated_at) if entry else Earlier()


def _kept(folder, manifest: dict[str, ReportEntry], report: str, inputs: str) -> Rendered | None:
    """The recorded rendering of `report` when it was made from these very inputs (reports.fingerprint) and its
    file is still the one recorded: kept as it is, not laid out again (SPEC §14)."""
    entry = manifest.get(report)
    if entry is None or not entry.sha256 or entry.inputs != inputs:
        return None
    try:
        checked_pdf(folder / report, entry.sha256)
    except BrokenReport:
        return None
    return Rendered(entry.pages, entry.sha256, entry.fingerprint, entry.generated_at, tuple(entry.summary))


def _entry(kind: str, report: str, team_id: str | None, title: str, address: str | None,
           rendered: Rendered, supervisor_id: str | None = None, inputs: str = "", **email: object) -> ReportEntry:
    """`email`: what the report's email says of it besides its In brief (supervisor_name, status, teams_by_status)."""
    return ReportEntry(report=report, kind=kind, team_id=team_id, title=title, address=address,
                       sha256=rendered.sha256, pages=rendered.pages, fingerprint=rendered.fingerprint,
                       generated_at=rendered.generated_at, summary=list(rendered.summary), supervisor_id=supervisor_id,
                       inputs=inputs, **email)


def _statuses(inputs: ReportInputs) -> dict[str, str]:
    """Each staffed team's status, and the center's (CENTER_ID), as the In brief counts them."""
    staffed = set(inputs.scorecard["team_id"].unique()) | {CENTER_ID}
    return {team_id: status for team_id, status in inputs.health.select("team_id", "status").iter_rows()
            if team_id in staffed}


@monthly_asset(
    group_name="reports",
    kinds={"pdf", "weasyprint"},
    description="`center_report.pdf` for the director: KPIs against targets and last month, trends, team "
    "comparison, management health, awards, the lucky draw, data-quality and policy appendices. Names agents only "
    "to praise them. Recorded in `manifest.json` (SHA-256, pages), which delivery checks before sending. Beyond 30 "
    "teams it lists sites, red and amber teams and the 10 best and worst; `team_comparison.csv`, written beside it "
    "for every month and recorded in the manifest too, holds every team and goes with the director's email.",
)
def center_report(context: AssetExecutionContext, settings: CcpulseSettings, report_inputs: ReportInputs):
    month = partition_month(context.partition_key)
    folder = settings.month_dir(month)
    target = folder / CENTER_REPORT_FILE
    manifest = read_manifest(folder)
    inputs = inputs_fingerprint("center.html", center_context.__qualname__, report_inputs)
    rendered = _kept(folder, manifest, CENTER_REPORT_FILE, inputs)
    if rendered is None:
        # Inputs changed, but what the director sees may not have (an agent's name the report does not print):
        # with the last PDF's checked bytes, an unchanged page is not laid out again.
        earlier = _earlier(manifest, CENTER_REPORT_FILE)
        if earlier.fingerprint:
            try:
                earlier = replace(earlier, pdf=checked_pdf(target, manifest[CENTER_REPORT_FILE].sha256),
                                  pages=manifest[CENTER_REPORT_FILE].pages)
            except BrokenReport:
                pass
        job = RenderJob("center.html", center_context, (report_inputs,), earlier, report_inputs.policy.timezone)
        (rendered,) = render_many([job], lambda _, pdf: write_checked(target, pdf))
        release_freed_memory()
    statuses = _statuses(report_inputs)
    entry = _entry(CENTER, CENTER_REPORT_FILE, None, report_titles(report_inputs)[CENTER_ID], None, rendered,
                   inputs=inputs, status=statuses.pop(CENTER_ID, ""), teams_by_status=dict(Counter(statuses.values())))
    record_reports(folder, str(month), CENTER, [entry])
    # Every team, at any size (SPEC §14): the director's message attaches it, checked like a PDF.
    table = write_team_comparison(report_inputs, folder)
    record_reports(folder, str(month), table.kind, [table])
    return MaterializeResult(value=[entry], metadata={
        "path": MetadataValue.path(str(target)), "in_ccpulse_out": f"{month}/{CENTER_REPORT_FILE}",
        "pages": rendered.pages, "sha256": rendered.sha256, "team_comparison_sha256": table.sha256,
        "generated_at": rendered.generated_at, "refused_urls": rendered.refused_urls,
        "laid_out": "no: its inputs are unchanged" if not rendered.cpu_seconds else f"{rendered.cpu_seconds:.1f} s of CPU"})


@monthly_asset(
    group_name="reports",
    kinds={"pdf", "weasyprint"},
    description="`teams/<team>.pdf`, one per team with active agents, for its supervisor only: KPIs and trend, "
    "every agent's scorecard, award eligibility, coaching and buddies, penalties by agent. Laid out on the render "
    "cluster (Dask); a report whose inputs are those recorded, and whose file is the one recorded, is kept (SPEC §14). "
    "File names come from the team ids by the SPEC §2 rule; `manifest.json` records which file is whose.",
)
def team_reports(context: AssetExecutionContext, settings: CcpulseSettings, report_inputs: ReportInputs):
    month = partition_month(context.partition_key)
    folder = settings.month_dir(month)
    staffed = sorted(report_inputs.scorecard["team_id"].unique().to_list())
    empty = sorted(set(report_inputs.teams["team_id"]) - set(staffed))
    files = {team_id: f"teams/{name}.pdf" for team_id, name in safe_file_names(staffed).items()}
    manifest = read_manifest(folder)
    timezone = report_inputs.policy.timezone
    started = dt.datetime.now()
    per_team = report_inputs.by_team(staffed)
    inputs = {team_id: inputs_fingerprint("team.html", team_context.__qualname__, per_team[team_id], team_id)
              for team_id in staffed}
    rendered = {team_id: kept for team_id in staffed
                if (kept := _kept(folder, manifest, files[team_id], inputs[team_id])) is not None}
    changed = [team_id for team_id in staffed if team_id not in rendered]
    jobs = [RenderJob("team.html", team_context, (per_team.pop(team_id), team_id), _earlier(manifest, files[team_id]),
                      timezone) for team_id in changed]
    del per_team
    release_freed_memory()  # this process mostly waits while the workers render: at its smallest
    laid_out = render_many(jobs, lambda position, pdf: write_checked(folder / files[changed[position]], pdf))
    rendered.update(zip(changed, laid_out))
    seconds = (dt.datetime.now() - started).total_seconds()
    titles = report_titles(report_inputs)
    addresses = dict(report_inputs.teams.select("team_id", "supervisor_email").iter_rows())
    supervisors = dict(report_inputs.teams.select("team_id", "supervisor_id").iter_rows())
    supervisor_names = dict(report_inputs.teams.select("team_id", "supervisor_name").iter_rows())
    statuses = _statuses(report_inputs)
    entries = [_entry(TEAM, files[team_id], team_id, titles[team_id], addresses.get(team_id), rendered[team_id],
                      supervisors.get(team_id), inputs[team_id], supervisor_name=supervisor_names.get(team_id),
                      status=statuses.get(team_id, "")) for team_id in staffed]
    record_reports(folder, str(month), TEAM, entries)
    for stale in set((folder / "teams").glob("*.pdf")) - {folder / entry.report for entry in entries}:
        stale.unlink()  # a team no longer staffed: its old PDF must not be mistaken for this month's
    cpu = [result.cpu_seconds for result in laid_out]
    return MaterializeResult(value=entries, metadata={
        "dagster/row_count": len(entries), "pages": sum(entry.pages for entry in entries), "seconds": round(seconds, 2),
        "rendered": len(changed), "kept_unchanged": len(entries) - len(changed),
        "cpu_seconds_per_report": round(sum(cpu) / len(cpu), 3) if cpu else 0.0,
        "unreadable_removed": ", ".join(entry.report for entry in entries if not entry.sha256) or "none",
        "folder": MetadataValue.path(str(folder / "teams")), "in_ccpulse_out": f"{month}/teams",
        "files": MetadataValue.md(markdown_preview(pl.DataFrame(
            {"team_id": staffed, "file": [files[t] for t in staffed]}, schema={"team_id": pl.String, "file": pl.String}),
            rows=20)),
        "teams_without_active_agents": ", ".join(empty) or "none"})
