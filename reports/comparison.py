"""The team comparison as a table of figures (SPEC §14, "the center report stays readable at any size"):
`team_comparison.csv` holds every team with every figure of the center report's team comparison,
health, complaints and coaching follow-up tables, and the center report, beyond TEAMS_IN_FULL teams, lists only the teams a director acts
on (red and amber, in full) and the BEST_AND_WORST best and worst by composite, and points to the file.

A team's composite is the mean composite of its ranked agents (the agents the report ranks; the
"ranked" column says how many), so a team of unranked newcomers has none and is in neither list.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl

from core.manifest import TABLE, ReportEntry
from metrics.coaching import OUTCOMES, followup_by_team
from core.output import read_output_csv, write_output_csv
from reports.changes import month_change
from reports.i18n import Translator
from reports.inputs import ReportInputs, group_sizes
from schemas.catalog import SEVERITIES

TEAMS_IN_FULL = 30  # up to this many staffed teams the center report lists every one, as it always did
BEST_AND_WORST = 10
TEAM_COMPARISON_FILE = "team_comparison.csv"

# The health table's figures (SPEC §8), as management_health.csv names them.
HEALTH_FIGURES = ["penalties", "severe_penalties", "rewards", "penalty_rate_per_100", "severe_penalty_rate_per_100",
                  "reward_penalty_ratio", "median_action_lag_days", "untimely_action_share",
                  "premature_complaint_penalties", "qa_coverage", "discretionary_deduction_share", "attrition_rate",
                  "undisciplined_top_performers"]
# The figures of the comparison that have a change on last month, and the sample behind each.
CHANGING = {"csat": "csat_responses", "qa_score": "qa_evals", "attendance_rate": "required_shifts"}

SCHEMA = {
    "month": pl.String, "team_id": pl.String, "team_name": pl.String, "site": pl.String,
    "supervisor_id": pl.String, "supervisor_name": pl.String, "status": pl.String, "flags": pl.String,
    "headcount": pl.Int64, "ranked_agents": pl.Int64, "team_composite": pl.Float64, "composite_rank": pl.Int64,
    **{name: dtype for field, n in CHANGING.items() for name, dtype in (
        (field, pl.Float64), (n, pl.Int64), (f"{field}_last_month", pl.Float64), (f"{n}_last_month", pl.Int64),
        (f"{field}_change", pl.Float64), (f"{field}_change_beyond_noise", pl.Boolean))},
    **{name: pl.Float64 for name in HEALTH_FIGURES},
}
# The center report's other per-team tables, which beyond TEAMS_IN_FULL teams it shows per site: complaints (received
# and substantiated, each by severity; still open) and last month's coaching list (how many, where they are now).
COMPLAINT_COLUMNS = ["complaints_received", *(f"complaints_received_{s}" for s in SEVERITIES),
                     "complaints_substantiated", *(f"complaints_substantiated_{s}" for s in SEVERITIES),
                     "complaints_still_open"]
FOLLOWUP_COLUMNS = ["coaching_listed_last_month", *(f"coaching_{outcome}" for outcome in OUTCOMES)]
SCHEMA.update({name: pl.Int64 for name in COMPLAINT_COLUMNS + FOLLOWUP_COLUMNS})
for _count in ("penalties", "severe_penalties", "rewards", "premature_complaint_penalties",
               "undisciplined_top_performers"):
    SCHEMA[_count] = pl.Int64


def team_composites(scorecard: pl.DataFrame) -> dict[str, float]:
    """Each team's composite: the mean composite of its ranked agents; teams with no ranked agent are absent."""
    ranked = scorecard.filter(pl.col("ranked") & pl.col("composite").is_not_null())
    return dict(ranked.group_by("team_id").agg(pl.col("composite").mean()).iter_rows())


def best_and_worst(composites: dict[str, float], count: int = BEST_AND_WORST) -> tuple[list[str], list[str]]:
    """The `count` best teams, best first, and the `count` worst, worst first (ties by team id); a team is in
    one list only, so a center of fewer than 2 × count teams with a composite splits them between the two."""
    order = sorted(composites, key=lambda team_id: (-composites[team_id], team_id))
    best = order[:count]
    worst = [team_id for team_id in reversed(order) if team_id not in best][:count]
    return best, worst


def staffed_team_ids(inputs: ReportInputs) -> list[str]:
    """The teams the center report compares: those with active agents and a health row, by team id."""
    staffed = set(inputs.scorecard["team_id"].unique().to_list())
    health = set(inputs.health["team_id"].to_list())
    return sorted(team_id for team_id in inputs.teams["team_id"].to_list() if team_id in staffed and team_id in health)


def team_comparison_frame(inputs: ReportInputs) -> pl.DataFrame:
    """One row per staffed team, by team id: who the team is, its status and flags, its composite and rank among
    the teams, each comparison figure with its n, last month's figure and n, the change and whether it is beyond
    noise (as the report's arrows say), every health indicator, its complaints as the center report counts them,
    and last month's coaching list by outcome. No agent is named."""
    sizes = group_sizes(inputs.scorecard)
    health = {row["team_id"]: row for row in inputs.health.iter_rows(named=True)}
    teams = {row["team_id"]: row for row in inputs.teams.iter_rows(named=True)}
    composites = team_composites(inputs.scorecard)
    rank = {team_id: place for place, team_id in
            enumerate(sorted(composites, key=lambda team_id: (-composites[team_id], team_id)), start=1)}
    # Imported here: reports.context imports this module.
    from reports.context import COMPLAINT_FIGURES, complaint_rows, team_complaints

    staffed = staffed_team_ids(inputs)
    complaints = {row["label"]: {f"complaints_{name}": row[name] for name in COMPLAINT_FIGURES}  # label: the team id
                  for row in complaint_rows(None, team_complaints(inputs), inputs, "team_id", {}, staffed)}
    followup = {row["team_id"]: {"coaching_listed_last_month": row["last_month"],
                                 **{f"coaching_{outcome}": row[outcome] for outcome in OUTCOMES}}
                for row in followup_by_team(inputs.followup).iter_rows(named=True)}
    rows = []
    for team_id in staffed:
        team, row, n = teams[team_id], health[team_id], sizes[team_id]
        figures = {"month": str(inputs.month), "team_id": team_id, "team_name": team["team_name"],
                   "site": team["site"], "supervisor_id": team["supervisor_id"],
                   "supervisor_name": team["supervisor_name"], "status": row["status"], "flags": row["flags"],
                   "headcount": row["headcount"], "ranked_agents": n["ranked_count"],
                   "team_composite": composites.get(team_id), "composite_rank": rank.get(team_id)}
        for field, sample in CHANGING.items():
            moved = month_change(inputs.trend, inputs.month, team_id, field)
            test = moved.test if moved is not None else None
            figures.update({field: row[field], sample: n[sample],
                            f"{field}_last_month": moved.before if moved is not None else None,
                            f"{sample}_last_month": test.n_before if test is not None else None,
                            f"{field}_change": moved.delta if moved is not None else None,
                            f"{field}_change_beyond_noise": moved.beyond_noise if moved is not None else None})
        figures.update({name: row[name] for name in HEALTH_FIGURES})
        figures.update(complaints.get(team_id, dict.fromkeys(COMPLAINT_COLUMNS, 0)))
        figures.update(followup.get(team_id, dict.fromkeys(FOLLOWUP_COLUMNS, 0)))
        rows.append(figures)
    return pl.DataFrame(rows, schema=SCHEMA, orient="row") if rows else pl.DataFrame(schema=SCHEMA)


def site_figures(comparison: pl.DataFrame) -> pl.DataFrame:
    """Per site (sites in name order): teams, agents, teams per status, and the site's pooled CSAT, QA score and
    attendance with their n, from its teams' pooled figures weighted by their samples (a team's CSAT times its
    responses is its top-2 count, so the site's CSAT is still Σ top-2 ÷ Σ responses), and the mean composite of
    its teams that have one."""
    def pooled(field: str, sample: str) -> pl.Expr:
        counted = pl.col(field).is_not_null()
        weight = pl.when(counted).then(pl.col(sample)).otherwise(0)
        total = weight.sum()
        return pl.when(total > 0).then((pl.col(field).fill_null(0) * weight).sum() / total).otherwise(None).alias(field)

    return comparison.group_by("site").agg(
        pl.len().alias("teams"), pl.col("headcount").sum(),
        *[(pl.col("status") == status).sum().alias(status) for status in ("red", "amber", "green")],
        *[pooled(field, sample) for field, sample in CHANGING.items()],
        *[pl.when(pl.col(field).is_not_null()).then(pl.col(sample)).otherwise(0).sum().alias(sample)
          for field, sample in CHANGING.items()],
        pl.col("team_composite").mean(),
    ).sort("site")


def write_team_comparison(inputs: ReportInputs, folder: Path) -> ReportEntry:
    """`team_comparison.csv` written whole into the month folder, read back, and its manifest entry: the SHA-256
    of the bytes written, which delivery checks before attaching them to the director's message. Its bytes hold
    no generation time, so an unchanged month writes the same file and sends no correction."""
    path = write_output_csv(team_comparison_frame(inputs), Path(folder) / TEAM_COMPARISON_FILE)
    data = path.read_bytes()
    read_output_csv(path)  # it reads back as a table, or the step fails here rather than at delivery
    digest = hashlib.sha256(data).hexdigest()
    t = Translator(inputs.policy.language)
    return ReportEntry(report=TEAM_COMPARISON_FILE, kind=TABLE, team_id=None, title=t("team_comparison_table"),
                       address=None, sha256=digest, pages=0, fingerprint=digest, generated_at="",
                       summary=[t("email_table_attached")])
