"""Group `reports`: the center report and one report per team (SPEC §10), as PDF."""

import datetime as dt

import polars as pl
from dagster import AssetExecutionContext, AssetIn, MaterializeResult, MetadataValue

from assets.common import monthly_asset
from assets.partitions import partition_month
from assets.resources import CcpulseSettings
from assets.validated import valid_key
from ingest.history import TREND_COLUMNS, earlier_health
from metrics.health import cited_status, unknown_complaint_warnings
from reports.context import ReportInputs, center_context, team_context
from reports.i18n import MESSAGES
from reports.render import TEMPLATES, Renderer, render_many
from reports.stamp import fingerprint, generation_time
from schemas.validate import ValidationOutcome

OUTPUT_FILES = ["agent_scorecard.csv", "award_eligibility.csv", "awards.csv", "management_health.csv",
                "data_quality.csv", "policy.yaml"]


@monthly_asset(
    group_name="reports",
    kinds={"polars"},
    description="management_health of up to twelve months, this one last: read from earlier months' outputs, or "
    "computed from their data when a month was never run.",
)
def health_trend(context: AssetExecutionContext, settings: CcpulseSettings, management_health: pl.DataFrame):
    month = partition_month(context.partition_key)
    policy = settings.policy()
    earlier = earlier_health(settings.reader(), settings.month_dir(month).parent, month, settings.mapping(), policy)
    trend = pl.concat([earlier, management_health.select(list(TREND_COLUMNS)).cast(TREND_COLUMNS)])
    return MaterializeResult(value=trend, metadata={"dagster/row_count": trend.height,
                                                    "months": ", ".join(sorted(trend["month"].unique()))})


@monthly_asset(
    ins={"teams": AssetIn(valid_key("teams")), "discipline": AssetIn(valid_key("discipline")),
         "complaints": AssetIn(valid_key("complaints"))},
    group_name="reports",
    kinds={"polars"},
    description="Everything the reports print, gathered once, with the generation time (kept while the inputs "
    "are unchanged, so a re-run writes the same PDFs).",
)
def report_inputs(context: AssetExecutionContext, settings: CcpulseSettings, agent_scorecard: pl.DataFrame,
                  management_health: pl.DataFrame, health_trend: pl.DataFrame, award_eligibility: pl.DataFrame,
                  awards: dict, coaching: pl.DataFrame, complaint_statuses: pl.DataFrame, data_quality: pl.DataFrame,
                  data_believability: pl.DataFrame, teams: ValidationOutcome, discipline: ValidationOutcome, complaints: ValidationOutcome):
    month = partition_month(context.partition_key)
    policy = settings.policy()
    folder = settings.month_dir(month)
    design = list(TEMPLATES.iterdir()) + list(MESSAGES.iterdir())
    inputs_print = fingerprint([folder / name for name in OUTPUT_FILES] + design,
                               extra=health_trend.write_csv() + data_believability.write_csv())
    inputs = ReportInputs(
        month=month, policy=policy,
        generated_at=generation_time(folder, inputs_print, policy.timezone),
        scorecard=agent_scorecard, health=management_health, trend=health_trend,
        eligibility=award_eligibility, winners=awards["winners"], draw_seed=awards["lucky_draw_seed"],
        draw_pool_size=len(awards["lucky_draw_pool"]), coaching=coaching,
        ledger=cited_status(discipline.valid, complaint_statuses), complaints=complaints.valid, teams=teams.valid,
        data_quality=data_quality,
        expectations=data_believability,
        warnings=unknown_complaint_warnings(discipline.valid, complaint_statuses),
    )
    return MaterializeResult(value=inputs, metadata={"generated_at": inputs.generated_at, "language": policy.language})


@monthly_asset(
    group_name="reports",
    kinds={"pdf", "weasyprint"},
    description="`center_report.pdf` for the director: KPIs against targets and last month, trends, team "
    "comparison, management health, awards, the lucky draw, data-quality and policy appendices. Names agents only "
    "to praise them.",
)
def center_report(context: AssetExecutionContext, settings: CcpulseSettings, report_inputs: ReportInputs):
    month = partition_month(context.partition_key)
    target = settings.month_dir(month) / "center_report.pdf"
    renderer = Renderer()
    pages = renderer.render("center.html", center_context(report_inputs), target)
    return MaterializeResult(value=str(target), metadata={
        "path": MetadataValue.path(str(target)), "pages": pages, "refused_urls": len(renderer.fetcher.refused)})


@monthly_asset(
    group_name="reports",
    kinds={"pdf", "weasyprint"},
    description="`teams/<team_id>.pdf`, one per team with active agents, for its supervisor only: KPIs and trend, "
    "every agent's scorecard, award eligibility, coaching and buddies, penalties by agent. Rendered in parallel.",
)
def team_reports(context: AssetExecutionContext, settings: CcpulseSettings, report_inputs: ReportInputs):
    month = partition_month(context.partition_key)
    folder = settings.month_dir(month) / "teams"
    staffed = sorted(report_inputs.scorecard["team_id"].unique().to_list())
    empty = sorted(set(report_inputs.teams["team_id"]) - set(staffed))
    started = dt.datetime.now()
    jobs = [("team.html", team_context, (report_inputs.for_team(team_id), team_id), folder / f"{team_id}.pdf")
            for team_id in staffed]
    pages = render_many(jobs)
    seconds = (dt.datetime.now() - started).total_seconds()
    paths = {team_id: str(job[3]) for team_id, job in zip(staffed, jobs)}
    return MaterializeResult(value=paths, metadata={
        "dagster/row_count": len(paths), "pages": sum(pages), "seconds": round(seconds, 2),
        "folder": MetadataValue.path(str(folder)),
        "teams_without_active_agents": ", ".join(empty) or "none"})
