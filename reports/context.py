"""What each report prints (SPEC §10), built from the month's frames; formatting and wording here,
layout in the templates.

Privacy (seed 003 ⑥, praise in public, correct in private): the center report names agents
only as award winners, and only winners with no penalty this month; penalties, complaints
and coaching appear there as team aggregates. A team report holds its own team's agents only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import polars as pl

from core.months import Month
from core.policy import Policy
from metrics.awards import AWARDS
from metrics.health import CENTER
from reports.charts import trend_chart
from reports.i18n import MISSING, Translator, number, percent, signed, with_n
from reports.stamp import GENERATED_AT

TREND_MONTHS = 12


@dataclass(frozen=True)
class ReportInputs:
    month: Month
    policy: Policy
    scorecard: pl.DataFrame  # agent_scorecard with the pooling columns
    health: pl.DataFrame  # management_health of the month
    trend: pl.DataFrame  # management_health rows of up to 12 months, this one included
    eligibility: pl.DataFrame
    winners: pl.DataFrame
    draw_seed: int
    draw_pool_size: int
    coaching: pl.DataFrame
    ledger: pl.DataFrame  # the month's valid discipline rows with complaint_status
    complaints: pl.DataFrame  # the month's valid complaint rows
    teams: pl.DataFrame  # valid teams
    data_quality: pl.DataFrame
    warnings: pl.DataFrame
    expectations: pl.DataFrame  # the believability suites' results (schemas/expectations.py)

    def for_team(self, team_id: str) -> "ReportInputs":
        """Only what the team's report needs: its own agents' rows (and the center's trend)."""
        members = self.scorecard.filter(pl.col("team_id") == team_id)["agent_id"].implode()
        mine = pl.col("agent_id").is_in(members)
        return replace(
            self,
            scorecard=self.scorecard.filter(pl.col("team_id") == team_id),
            health=self.health.filter(pl.col("team_id") == team_id),
            trend=self.trend.filter(pl.col("team_id").is_in([team_id, CENTER])),
            eligibility=self.eligibility.filter(mine),
            winners=self.winners.filter(pl.col("team_id") == team_id),
            coaching=self.coaching.filter(pl.col("team_id") == team_id),
            ledger=self.ledger.filter(mine),
            complaints=self.complaints.filter(mine),
            teams=self.teams.filter(pl.col("team_id") == team_id),
        )


def _group_sizes(scorecard: pl.DataFrame) -> dict[str, dict]:
    """Per team and for the center: the n behind each pooled rate."""
    sums = [pl.len().alias("headcount"), pl.col("csat_responses").sum(), pl.col("qa_evals").sum(),
            pl.col("required_shifts").sum(), pl.col("ranked").sum().alias("ranked_count")]
    by_team = {row["team_id"]: row for row in scorecard.group_by("team_id").agg(sums).iter_rows(named=True)}
    by_team[CENTER] = scorecard.select(sums).row(0, named=True)
    return by_team


def _last_month(trend: pl.DataFrame, month: Month, team_id: str) -> dict | None:
    rows = trend.filter((pl.col("month") == str(month.previous())) & (pl.col("team_id") == team_id))
    return rows.row(0, named=True) if rows.height else None


def _kpi_tiles(t: Translator, policy: Policy, health: dict, sizes: dict, last: dict | None) -> list[dict]:
    small = policy.min_csat_responses

    def tile(key, value_text, n, target_text=None, last_value=None, delta_text=None, good=None):
        return {
            "label": t(key),
            "value": value_text,
            "n": f"n={n}" if n is not None else "",
            "target": t("target", value=target_text) if target_text else "",
            "last": (t("last_month", value=last_value) + f" ({delta_text})") if last is not None else t("no_last_month"),
            "state": "" if good is None else ("good" if good else "bad"),
        }

    def delta(key, scale=1.0, suffix="", decimals=1):
        if last is None or last.get(key) is None or health.get(key) is None:
            return MISSING
        return signed(health[key] - last[key], decimals=decimals, scale=scale, suffix=suffix)

    csat, qa, attendance = health["csat"], health["qa_score"], health["attendance_rate"]
    return [
        tile("csat", percent(csat) + ("†" if (sizes["csat_responses"] or 0) < small else ""), sizes["csat_responses"],
             percent(policy.csat_target, 0), percent(last and last["csat"]), delta("csat", 100, " pt"),
             None if csat is None else csat >= policy.csat_target),
        tile("qa_score", number(qa), sizes["qa_evals"], number(policy.qa_target, 0), number(last and last["qa_score"]),
             delta("qa_score"), None if qa is None else qa >= policy.qa_target),
        tile("attendance_rate", percent(attendance), sizes["required_shifts"], None,
             percent(last and last["attendance_rate"]), delta("attendance_rate", 100, " pt")),
        tile("penalty_rate_per_100", number(health["penalty_rate_per_100"]), health["headcount"], None,
             number(last and last["penalty_rate_per_100"]), delta("penalty_rate_per_100")),
        tile("headcount", str(health["headcount"]), None, None, str(last["headcount"]) if last else MISSING,
             delta("headcount", decimals=0)),
        tile("attrition_rate", percent(health["attrition_rate"]), health["headcount"], None,
             percent(last and last["attrition_rate"]), delta("attrition_rate", 100, " pt")),
    ]


def _chart(t: Translator, trend: pl.DataFrame, team_id: str, policy: Policy, compare_center: bool) -> tuple[str, int]:
    months = sorted(trend["month"].unique().to_list())[-TREND_MONTHS:]

    def values(team: str, key: str) -> list:
        rows = {row["month"]: row[key] for row in trend.filter(pl.col("team_id") == team).iter_rows(named=True)}
        return [rows.get(m) for m in months]

    series = {key: values(team_id, key) for key in ("csat", "qa_score", "attendance_rate")}
    series["qa_score"] = [None if v is None else v / 100 for v in series["qa_score"]]
    labels = {key: t(key) for key in series}
    if compare_center:
        series["csat:center"] = values(CENTER, "csat")
        labels["csat:center"] = f"{t('csat')} · {t('center_report')}"
    targets = {"csat": policy.csat_target, "qa_score": policy.qa_target / 100}
    return trend_chart(months, series, labels, targets, dashed={"csat:center"}), len(months)


def _health_row(t: Translator, row: dict, team_names: dict) -> dict:
    return {
        "team": t("center_all") if row["team_id"] == CENTER else team_names.get(row["team_id"], row["team_id"]),
        "status": row["status"],
        "status_label": t(f"status_{row['status']}"),
        "penalty_rate": number(row["penalty_rate_per_100"]),
        "severe_rate": number(row["severe_penalty_rate_per_100"]),
        "reward_penalty_ratio": number(row["reward_penalty_ratio"], 2),
        "median_lag": number(row["median_action_lag_days"]),
        "untimely": with_n(percent(row["untimely_action_share"]), row["penalties"] + row["rewards"]),
        "premature": str(row["premature_complaint_penalties"]),
        "qa_coverage": with_n(percent(row["qa_coverage"]), row["headcount"]),
        "discretionary": percent(row["discretionary_deduction_share"]),
        "attrition": with_n(percent(row["attrition_rate"]), row["headcount"]),
        "undisciplined": str(row["undisciplined_top_performers"]),
        "flags": "; ".join(t.criterion(flag) for flag in row["flags"].split(";") if flag),
    }


def report_titles(inputs: ReportInputs) -> dict[str, str]:
    """Each report's title in the report's language: CENTER for the center report, else the team id."""
    t = Translator(inputs.policy.language)
    titles = {CENTER: t("center_report")}
    titles.update({row["team_id"]: t("team_report", team=row["team_name"]) for row in inputs.teams.iter_rows(named=True)})
    return titles


def report_summaries(inputs: ReportInputs) -> dict[str, list[str]]:
    """The lines each report's email opens with (CENTER, or a team id): its figures with their n and targets."""
    t, policy = Translator(inputs.policy.language), inputs.policy
    sizes = _group_sizes(inputs.scorecard)
    summaries = {}
    for row in inputs.health.iter_rows(named=True):
        n = sizes.get(row["team_id"])
        if n is None:
            continue
        flags = "; ".join(t.criterion(flag) for flag in row["flags"].split(";") if flag)
        figures = [
            (t("csat"), with_n(percent(row["csat"]), n["csat_responses"], policy.min_csat_responses)
             + " · " + t("target", value=percent(policy.csat_target, 0))),
            (t("qa_score"), with_n(number(row["qa_score"]), n["qa_evals"], policy.min_qa_evals)
             + " · " + t("target", value=number(policy.qa_target, 0))),
            (t("attendance_rate"), with_n(percent(row["attendance_rate"]), n["required_shifts"])),
            (t("penalty_rate_per_100"), number(row["penalty_rate_per_100"])),
            (t("headcount"), str(row["headcount"])),
            (t("management_health"), t(f"status_{row['status']}") + (f" ({flags})" if flags else "")),
        ]
        summaries[row["team_id"]] = [f"{label}: {value}" for label, value in figures]
    return summaries


def _common(inputs: ReportInputs, t: Translator, title: str) -> dict:
    return {
        "lang": inputs.policy.language,
        "title": title,
        "month": str(inputs.month),
        "generated_at": GENERATED_AT,  # the renderer puts the time in (reports/stamp.py)
        "footer_meta": t("footer_meta", title=title, month=str(inputs.month), when=GENERATED_AT),
        "small_sample_note": t("small_sample_note", n=inputs.policy.min_csat_responses),
    }


def center_context(inputs: ReportInputs) -> dict:
    t, policy = Translator(inputs.policy.language), inputs.policy
    sizes = _group_sizes(inputs.scorecard)
    team_names = dict(inputs.teams.select("team_id", "team_name").iter_rows())
    health = {row["team_id"]: row for row in inputs.health.iter_rows(named=True)}
    chart, chart_months = _chart(t, inputs.trend, CENTER, policy, compare_center=False)

    teams = []
    for team in inputs.teams.sort("team_id").iter_rows(named=True):
        row, n = health.get(team["team_id"]), sizes.get(team["team_id"])
        if row is None or n is None:
            continue
        small_qa, small_csat = policy.min_qa_evals, policy.min_csat_responses
        teams.append({
            "team": team["team_name"], "supervisor": team["supervisor_name"], "headcount": row["headcount"],
            "csat": with_n(percent(row["csat"]), n["csat_responses"], small_csat),
            "qa_score": with_n(number(row["qa_score"]), n["qa_evals"], small_qa),
            "attendance": with_n(percent(row["attendance_rate"]), n["required_shifts"]),
            "ranked": f"{n['ranked_count']} / {row['headcount']}",
            "status": row["status"], "status_label": t(f"status_{row['status']}"),
        })

    penalized = set(inputs.scorecard.filter(pl.col("penalties") > 0)["agent_id"].to_list())
    awards, kept_private = [], 0
    for award in AWARDS:
        for row in inputs.winners.filter(pl.col("award") == award).iter_rows(named=True):
            if row["agent_id"] in penalized:
                kept_private += 1  # praise in public only those with a clean month
                continue
            awards.append({"award": t(f"award_{award}"), "name": row["agent_name"],
                           "team": team_names.get(row["team_id"], row["team_id"]), "reason": row["reason"]})

    return {
        **_common(inputs, t, t("center_report")),
        "kpis": _kpi_tiles(t, policy, health[CENTER], sizes[CENTER], _last_month(inputs.trend, inputs.month, CENTER)),
        "chart": chart,
        "chart_title": t("trend", n=chart_months),
        "teams": teams,
        "health": [_health_row(t, row, team_names) for row in inputs.health.iter_rows(named=True)],
        "awards": awards,
        "awards_kept_private": kept_private,
        "lucky_draw": t("lucky_draw_text", seed=inputs.draw_seed, pool=inputs.draw_pool_size),
        "data_quality": [
            {**row, "failed_checks": row["failed_checks"] or MISSING} for row in inputs.data_quality.iter_rows(named=True)
        ],
        "warnings": inputs.warnings["warning"].to_list(),
        "expectations_failed": [
            {"source": row["source"], "expectation": t(f"expectation_{row['expectation']}"), "observed": row["observed"],
             "severity": t(f"severity_{row['severity']}")}
            for row in inputs.expectations.filter(~pl.col("passed")).iter_rows(named=True)],
        "expectations_checked": inputs.expectations.height,
        "expectations_not_evaluated": inputs.expectations.filter(
            pl.col("observed").str.starts_with("not evaluated")).height,
        "policy": [{"key": key, "value": str(value)} for key, value in policy.model_dump(mode="json").items()],
    }


def _scorecard_rows(t: Translator, card: pl.DataFrame, policy: Policy) -> list[dict]:
    rows = []
    ordered = card.sort([pl.col("team_rank").is_null(), "team_rank", "agent_id"])
    for row in ordered.iter_rows(named=True):
        rows.append({
            "name": row["agent_name"], "agent_id": row["agent_id"], "shift": t(f"shift_{row['shift_pattern']}"),
            "csat": with_n(percent(row["csat"]), row["csat_responses"], policy.min_csat_responses),
            "qa_score": with_n(number(row["qa_score"]), row["qa_evals"], policy.min_qa_evals),
            "attendance": with_n(percent(row["attendance_rate"]), row["required_shifts"]),
            "punctuality": with_n(percent(row["punctuality_rate"]), row["worked_shifts"]),
            "late": f"{row['late_count']} / {row['serious_late_count']}",
            "absences": row["absences"],
            "complaints": f"{row['complaints_received']} / {row['complaints_substantiated']}",
            "penalties": row["penalties"], "rewards": row["rewards"],
            "ranked": row["ranked"],
            "not_ranked": "" if row["ranked"] else t("not_ranked", reason=t(f"reason_{row['not_ranked_reason']}")),
            "quality": percent(row["quality"]), "satisfaction": percent(row["satisfaction"]),
            "attendance_component": percent(row["attendance"]), "conduct": percent(row["conduct"]),
            "composite": number(row["composite"]),
            "team_rank": row["team_rank"] or MISSING, "cohort_rank": row["cohort_rank"] or MISSING,
            "cohort_percentile": percent(row["cohort_percentile"], 0),
            "delta": signed(row["composite_delta"]),
        })
    return rows


def team_context(inputs: ReportInputs, team_id: str) -> dict:
    t, policy = Translator(inputs.policy.language), inputs.policy
    team = inputs.teams.filter(pl.col("team_id") == team_id).row(0, named=True)
    card = inputs.scorecard.filter(pl.col("team_id") == team_id)
    members = set(card["agent_id"].to_list())
    names = dict(card.select("agent_id", "agent_name").iter_rows())
    health = inputs.health.filter(pl.col("team_id") == team_id).row(0, named=True)
    sizes = _group_sizes(card)
    team_sizes = sizes.get(team_id, sizes[CENTER])
    chart, chart_months = _chart(t, inputs.trend, team_id, policy, compare_center=True)

    eligibility = []
    by_agent = inputs.eligibility.filter(pl.col("agent_id").is_in(list(members)))
    for agent_id, rows in sorted(by_agent.group_by("agent_id"), key=lambda item: names[item[0][0]] + item[0][0]):
        cells = {}
        for row in rows.iter_rows(named=True):
            cells[row["award"]] = "✓" if row["eligible"] else "; ".join(
                t.criterion(c) for c in row["unmet"].split(";") if c)
        eligibility.append({"name": names[agent_id[0]], "cells": [cells.get(a, MISSING) for a in AWARDS]})

    won = inputs.winners.filter(pl.col("team_id") == team_id)
    coaching = [
        {"name": row["agent_name"], "shift": t(f"shift_{row['shift_pattern']}"),
         "reasons": "; ".join([t(f"coach_{r}") if not r.startswith("qa_score") else t.criterion(r)
                               for r in row["reasons"].split(";") if r]
                              + ([t("new_hire")] if row["new_hire"] else [])),
         "buddy": row["buddy_agent_name"] or t("none")}
        for row in inputs.coaching.filter(pl.col("team_id") == team_id).iter_rows(named=True)
    ]
    penalties = [
        {"name": names[row["agent_id"]], "category": t(f"category_{row['category']}"),
         "action_date": str(row["action_date"]), "incident_date": str(row["incident_date"]),
         "lag": (row["action_date"] - row["incident_date"]).days, "reason_code": row["reason_code"],
         "complaint": row["complaint_id"] or "",
         "complaint_status": t(f"complaint_status_{row['complaint_status']}") if row["complaint_status"] else ""}
        for row in inputs.ledger.filter((pl.col("kind") == "penalty") & pl.col("agent_id").is_in(list(members)))
        .sort("agent_id", "action_date").iter_rows(named=True)
    ]
    received_in_month = pl.col("received_at").is_between(inputs.month.start, inputs.month.end, closed="left")
    complaints = (
        inputs.complaints.filter(pl.col("agent_id").is_in(list(members)))
        .group_by("category")
        .agg(received=received_in_month.sum(), substantiated=(pl.col("status") == "substantiated").sum())
        .sort(["received", "category"], descending=[True, False])
    )
    attention = card.filter(pl.col("ranked") & (pl.col("cohort_percentile") >= 0.9) & (pl.col("penalties") >= 1))
    title = t("team_report", team=team["team_name"])
    return {
        **_common(inputs, t, title),
        "team": team,
        "kpis": _kpi_tiles(t, policy, health, team_sizes, _last_month(inputs.trend, inputs.month, team_id)),
        "health": _health_row(t, health, {team_id: team["team_name"]}),
        "chart": chart,
        "chart_title": t("trend", n=chart_months),
        "scorecards": _scorecard_rows(t, card, policy),
        "award_names": [t(f"award_{a}") for a in AWARDS],
        "eligibility": eligibility,
        "winners": [{"award": t(f"award_{row['award']}"), "name": row["agent_name"], "reason": row["reason"]}
                    for row in won.iter_rows(named=True)],
        "coaching": coaching,
        "penalties": penalties,
        "complaints": complaints.to_dicts(),
        "attention": [{"name": row["agent_name"], "penalties": row["penalties"], "composite": number(row["composite"])}
                      for row in attention.iter_rows(named=True)],
    }

