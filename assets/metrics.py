"""Groups `metrics` → `rankings` / `awards` / `management_health`: SPEC §4–§9 as assets.

The formulas live in metrics/ (pure polars); these assets feed them the validated month,
read what they need of earlier months, write the §9 CSVs and describe them in metadata.
"""

from functools import partial

import polars as pl
import yaml
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetIn,
    MaterializeResult,
    MetadataValue,
)

from assets.believability import DATA_BELIEVABILITY
from assets.common import monthly_asset, monthly_check
from assets.partitions import partition_month
from assets.resources import CcpulseSettings
from assets.validated import valid_key
from core.atomic import write_text_atomically
from core.output import markdown_preview, markdown_profile, write_output_csv
from core.policy import RECORDED_POLICY, Policy
from ingest.history import MonthData, before, earlier_complaints
from metrics.awards import award_eligibility as eligibility_of
from metrics.awards import award_winners, lucky_draw
from metrics.calibration import award_fairness as fairness_of
from metrics.calibration import evaluator_leniency
from metrics.coaching import agent_deductions, coaching_csv, coaching_followup as followup_of, coaching_list
from metrics.coaching import followup_by_team, followup_csv
from metrics.complaints import complaint_statuses as statuses_of
from metrics.health import management_health as health_of
from metrics.health import unknown_complaint_warnings
from metrics.ranking import previous_composites, rank_agents
from metrics.scorecard import last_month_card, month_metrics, scorecard_csv
from reports.i18n import Translator, award_deed
from schemas.validate import ValidationOutcome


NO_FLAGGED_EVALUATOR = "no_flagged_evaluator"


def _valid(source: str) -> AssetIn:
    return AssetIn(valid_key(source))


def _result(frame: pl.DataFrame, path=None, shown: pl.DataFrame | None = None, **metadata) -> MaterializeResult:
    """The frame as the asset's value; row count, the file, and a preview of `shown`, an aggregate (default: the
    frame's column profile, as its rows are agents' figures, penalties among them: SPEC §12)."""
    preview = markdown_profile(frame) if shown is None else markdown_preview(shown)
    extra = {"path": MetadataValue.path(str(path))} if path else {}
    return MaterializeResult(
        value=frame,
        metadata={"dagster/row_count": frame.height, "preview": MetadataValue.md(preview), **extra, **metadata},
    )


def _policy_shown(policy: Policy) -> str:
    """The policy in force as the UI shows it: its recipient lists as counts, as addresses are personnel data
    (SPEC §12); the month's policy.yaml holds them."""
    lists = ("center_report_recipients", "ops_alert_recipients")
    text = yaml.safe_dump(policy.model_dump(mode="json", exclude=set(lists)), sort_keys=False, allow_unicode=True)
    return text + "".join(f"{name}: {len(getattr(policy, name))} address(es), in policy.yaml\n" for name in lists)


def _per_team(frame: pl.DataFrame, *counts: pl.Expr) -> pl.DataFrame:
    """Agents per team and the given counts: what the UI may show of a per-agent frame (SPEC §12)."""
    return frame.group_by("team_id").agg(pl.len().alias("agents"), *counts).sort("team_id")


@monthly_asset(
    deps=[DATA_BELIEVABILITY],
    group_name="metrics",
    kinds={"polars"},
    description="The complaints file of every earlier month the source holds (typed, not validated): where each "
    "complaint's status and first substantiation come from (SPEC §2, §4).",
)
def complaint_history(context: AssetExecutionContext, settings: CcpulseSettings):
    month = partition_month(context.partition_key)
    history = earlier_complaints(settings.reader(), month, settings.mapping(), settings.policy().timezone)
    return MaterializeResult(value=history, metadata={
        "months": ", ".join(str(m) for m in sorted(history)) or "none",
        "dagster/row_count": sum(frame.height for frame in history.values())})


@monthly_asset(
    ins={**{name: _valid(name) for name in
            ["agents", "attendance", "qa_evaluations", "csat_responses", "complaints", "discipline"]},
         "complaint_history": AssetIn("complaint_history")},
    deps=[DATA_BELIEVABILITY],  # its blocking checks keep metrics off unbelievable data
    group_name="metrics",
    kinds={"polars"},
    description="SPEC §4 per active agent: attendance, punctuality, QA, CSAT, complaints (each substantiated "
    "complaint counted once, in the first month it is known), discipline.",
)
def agent_month_metrics(context: AssetExecutionContext, settings: CcpulseSettings,
                        complaint_history: dict, **valid: ValidationOutcome):
    month = partition_month(context.partition_key)
    card = month_metrics({source: outcome.valid for source, outcome in valid.items()}, month, settings.policy(),
                         complaint_history)
    return _result(card, new_hires=int(card["new_hire"].sum()),
                   complaints_substantiated=int(card["complaints_substantiated"].sum()))


@monthly_asset(
    ins={"complaints": _valid("complaints"), "discipline": _valid("discipline")},
    deps=[DATA_BELIEVABILITY],
    group_name="metrics",
    kinds={"polars", "csv"},
    description="Each complaint's status as of the month: its row in the latest month up to this one that holds "
    "it (SPEC §2). Ledger rows citing a complaint no month holds are listed in `data_quality/warnings.csv`.",
)
def complaint_statuses(context: AssetExecutionContext, settings: CcpulseSettings, complaints: ValidationOutcome,
                       discipline: ValidationOutcome, complaint_history: dict):
    month = partition_month(context.partition_key)
    history = {**complaint_history, month: complaints.valid}
    statuses = statuses_of(history)
    warnings = unknown_complaint_warnings(discipline.valid, statuses)
    path = write_output_csv(warnings, settings.month_dir(month) / "data_quality" / "warnings.csv")
    return _result(statuses, path, months_read=len(history), warnings=warnings.height,
                   warning_examples=MetadataValue.md(markdown_preview(warnings, rows=5)))


@monthly_asset(
    group_name="rankings",
    kinds={"polars"},
    description="Last month's ranked scorecard, computed from its data under this month's policy (its composites "
    "give composite_delta, its coaching list the follow-up, its samples the noise tests of SPEC §10); none without "
    "last month's data. Computed once for the three.",
)
def last_month_scorecard(context: AssetExecutionContext, settings: CcpulseSettings, last_month: MonthData | None,
                         complaint_history: dict):
    month = partition_month(context.partition_key)
    card = last_month_card(last_month.valid if last_month else None, month, settings.policy(),
                           before(complaint_history, month.previous()))
    return MaterializeResult(value=card, metadata={"available": card is not None,
                                                   "dagster/row_count": 0 if card is None else card.height})


@monthly_asset(
    group_name="rankings",
    kinds={"polars", "csv"},
    description="`agent_scorecard.csv` (SPEC §5, §9): who is ranked and why not, the four components, composite, "
    "team and shift-cohort ranks, and the change on last month (computed from last month's data when present). "
    "The policy in force is written beside it as `policy.yaml`.",
)
def agent_scorecard(context: AssetExecutionContext, settings: CcpulseSettings, agent_month_metrics: pl.DataFrame,
                    last_month_scorecard: pl.DataFrame | None):
    month = partition_month(context.partition_key)
    policy = settings.policy()
    card = rank_agents(agent_month_metrics, policy, previous_composites(last_month_scorecard))
    folder = settings.month_dir(month)
    path = write_output_csv(scorecard_csv(card), folder / "agent_scorecard.csv")
    write_text_atomically(folder / RECORDED_POLICY, policy.as_yaml())
    return _result(
        card, path, shown=_per_team(card, pl.col("ranked").sum().alias("ranked"),
                                    pl.col("composite").mean().round(1).alias("mean_composite")),
        ranked=int(card["ranked"].sum()),
        last_month_available=last_month_scorecard is not None,
        policy=MetadataValue.md(f"```yaml\n{_policy_shown(policy)}```"),
    )


@monthly_asset(
    ins={"evaluations": _valid("qa_evaluations"), "deductions": _valid("qa_deductions")},
    group_name="rankings",
    kinds={"polars", "csv"},
    description="SPEC §7, §9: the coaching list per team (private to its supervisor) with each listed agent's reasons "
    "and focus (the QA items that cost most points), a buddy for each agent on it and each new hire, the agents to "
    "watch (QA below 80 on too few evaluations); `coaching.csv` for the training team. Leavers are not listed.",
)
def coaching(context: AssetExecutionContext, settings: CcpulseSettings, agent_scorecard: pl.DataFrame,
             evaluations: ValidationOutcome, deductions: ValidationOutcome):
    month = partition_month(context.partition_key)
    plan = coaching_list(agent_scorecard, settings.policy(), agent_deductions(deductions.valid, evaluations.valid))
    path = write_output_csv(coaching_csv(plan), settings.month_dir(month) / "coaching.csv")
    # Who is listed is for their supervisor only (SPEC §7): the UI gets per-team counts.
    shown = _per_team(plan, pl.col("on_coaching_list").sum(), pl.col("new_hire").sum().alias("new_hires"),
                      pl.col("to_watch").sum(),
                      pl.col("buddy_agent_id").null_count().alias("without_buddy")).drop("agents")
    return _result(plan, path, shown=shown, on_coaching_list=int(plan["on_coaching_list"].sum()),
                   to_watch=int(plan["to_watch"].sum()), without_buddy=int(plan["buddy_agent_id"].null_count()))


@monthly_asset(
    group_name="rankings",
    kinds={"polars", "csv"},
    description="SPEC §7, §9: did last month's coaching work? Every agent on last month's coaching list (recomputed "
    "from last month's data under this month's policy) with an outcome this month (`left`, `off_list`, "
    "`still_listed`), both months' reasons and composite_delta; `coaching_followup.csv`.",
)
def coaching_followup(context: AssetExecutionContext, settings: CcpulseSettings, agent_scorecard: pl.DataFrame,
                      last_month_scorecard: pl.DataFrame | None):
    month = partition_month(context.partition_key)
    followup = followup_of(last_month_scorecard, agent_scorecard, settings.policy())
    path = write_output_csv(followup_csv(followup), settings.month_dir(month) / "coaching_followup.csv")
    # Per-team counts only in the UI: who was coached is for the supervisor (SPEC §7, §12).
    return _result(followup, path, shown=followup_by_team(followup),
                   last_month_available=last_month_scorecard is not None,
                   **{outcome: int((followup["outcome"] == outcome).sum()) for outcome in ("left", "off_list",
                                                                                          "still_listed")})


@monthly_asset(
    group_name="awards",
    kinds={"polars", "csv"},
    description="`award_eligibility.csv` (SPEC §6, §9): every agent × award, eligible or the criteria not met.",
)
def award_eligibility(context: AssetExecutionContext, settings: CcpulseSettings, agent_scorecard: pl.DataFrame):
    month = partition_month(context.partition_key)
    eligibility = eligibility_of(agent_scorecard, settings.policy())
    path = write_output_csv(eligibility, settings.month_dir(month) / "award_eligibility.csv")
    counts = eligibility.group_by("award").agg(pl.col("eligible").sum()).sort("award")
    return _result(eligibility, path, eligible=MetadataValue.md(markdown_preview(counts)))


@monthly_asset(
    group_name="awards",
    kinds={"polars", "csv"},
    description="`awards.csv` (SPEC §6, §9): the winners with what they did, for HR/payroll; the lucky draw's seed "
    "and pool size in metadata so anyone can re-draw.",
)
def awards(context: AssetExecutionContext, settings: CcpulseSettings, agent_scorecard: pl.DataFrame,
           award_eligibility: pl.DataFrame):
    month = partition_month(context.partition_key)
    policy = settings.policy()
    draw = lucky_draw(award_eligibility, month, policy)
    winners = award_winners(agent_scorecard, award_eligibility, draw, partial(award_deed, Translator(policy.language)))
    path = write_output_csv(winners, settings.month_dir(month) / "awards.csv")
    return MaterializeResult(
        value={"winners": winners, "lucky_draw_seed": draw.seed, "lucky_draw_pool": draw.pool},
        metadata={
            "dagster/row_count": winners.height,
            "path": MetadataValue.path(str(path)),
            "preview": MetadataValue.md(markdown_preview(winners, rows=20)),
            "lucky_draw_seed": str(draw.seed),
            "lucky_draw_pool_size": len(draw.pool),
        },
    )


@monthly_asset(
    ins={"teams": _valid("teams"), "discipline": _valid("discipline"), "evaluations": _valid("qa_evaluations"),
         "deductions": _valid("qa_deductions")},
    group_name="management_health",
    kinds={"polars", "csv"},
    description="`management_health.csv` (SPEC §8, §9): per team and for `ALL`, penalty frequency and timeliness, "
    "premature penalties, QA coverage, discretionary deductions, attrition, pooled rates, red/amber/green.",
)
def management_health(context: AssetExecutionContext, settings: CcpulseSettings, agent_scorecard: pl.DataFrame,
                      complaint_statuses: pl.DataFrame, teams: ValidationOutcome, discipline: ValidationOutcome,
                      evaluations: ValidationOutcome, deductions: ValidationOutcome):
    month = partition_month(context.partition_key)
    health = health_of(agent_scorecard, discipline.valid, evaluations.valid, deductions.valid, complaint_statuses,
                       teams.valid["team_id"].to_list(), month, settings.policy())
    path = write_output_csv(health, settings.month_dir(month) / "management_health.csv")
    flagged = health.filter(pl.col("status") != "green").select("team_id", "status", "flags")
    return _result(health, path, shown=health, red=int((health["status"] == "red").sum()),
                   amber=int((health["status"] == "amber").sum()),
                   red_and_amber=MetadataValue.md(markdown_preview(flagged, rows=50)))


@monthly_asset(
    ins={"evaluations": _valid("qa_evaluations")},
    deps=[DATA_BELIEVABILITY],
    group_name="metrics",
    kinds={"polars", "csv"},
    check_specs=[monthly_check(NO_FLAGGED_EVALUATOR, asset="qa_calibration",
                                description="Warns when an evaluator scores the same agents more kindly or more "
                                "harshly than their colleagues by the policy's evaluator_flag_points or more, over at "
                                "least min_evaluator_pairs paired evaluations (SPEC §13).")],
    description="`qa_calibration.csv` (SPEC §13): per QA evaluator, evaluations, paired evaluations, mean score and "
    "leniency (each evaluation against the same agent's scores by other evaluators, shrunk toward 0), and whether "
    "the evaluator is flagged.",
)
def qa_calibration(context: AssetExecutionContext, settings: CcpulseSettings, evaluations: ValidationOutcome):
    month = partition_month(context.partition_key)
    calibration = evaluator_leniency(evaluations.valid, str(month), settings.policy())
    path = write_output_csv(calibration, settings.month_dir(month) / "qa_calibration.csv")
    flagged = calibration.filter(pl.col("flagged"))
    return MaterializeResult(
        value=calibration,
        metadata={"dagster/row_count": calibration.height, "path": MetadataValue.path(str(path)),
                  "flagged": flagged.height, "preview": MetadataValue.md(markdown_preview(
                      calibration.sort(pl.col("leniency").abs(), descending=True), rows=20))},
        check_results=[AssetCheckResult(
            check_name=NO_FLAGGED_EVALUATOR, passed=flagged.height == 0, severity=AssetCheckSeverity.WARN,
            description=(f"{flagged.height} evaluator(s) flagged: " + ", ".join(
                f"{row['evaluator_id']} {row['leniency']:+.1f} points over {row['paired_evaluations']} pairs"
                for row in flagged.iter_rows(named=True))) if flagged.height else "no evaluator flagged",
            metadata={"flagged": MetadataValue.md(markdown_preview(flagged, rows=20) if flagged.height else "none")},
        )],
    )


@monthly_asset(
    ins={"teams": _valid("teams")},
    group_name="rankings",
    kinds={"polars", "csv"},
    description="`award_fairness.csv` (SPEC §13): per shift cohort and per site, active and ranked agents, and per "
    "award the winners and the award rate beside the center's.",
)
def award_fairness(context: AssetExecutionContext, agent_scorecard: pl.DataFrame, awards: dict,
                   teams: ValidationOutcome, settings: CcpulseSettings):
    month = partition_month(context.partition_key)
    fairness = fairness_of(agent_scorecard, awards["winners"], teams.valid, str(month))
    path = write_output_csv(fairness, settings.month_dir(month) / "award_fairness.csv")
    return _result(fairness, path, shown=fairness)
