"""What each report prints (SPEC §10), built from the month's frames; wording and number formats
here, layout in the templates.

Privacy (seed 003 ⑥, praise in public, correct in private): the center report names agents
only as award winners, and only winners with no penalty this month; penalties, complaints,
deductions and coaching appear there as team aggregates. A team report holds its own team's
agents only.
"""

from __future__ import annotations

import polars as pl

from core.calendar import WEEKDAYS
from core.policy import Policy
from metrics.awards import AWARDS, LuckyDraw
from metrics.coaching import followup_by_team
from metrics.health import CENTER, SEVERE_PENALTIES
from reports.brief import center_brief, coaching_reason, team_brief
from reports.charts import Line, Panel, small_multiples, trend_panels
from reports.i18n import MISSING, Translator, award_deed, number, percent, signed, unbroken_names, with_n
from reports.changes import arrow, change_between, change_text, month_change, subtracts
from reports.comparison import (BEST_AND_WORST, TEAM_COMPARISON_FILE, TEAMS_IN_FULL, best_and_worst,
                                team_comparison_frame, site_figures, team_composites)
from reports.inputs import ReportInputs, group_sizes, last_month_row, month_row, team_names
from reports.status import status_why
from reports.stamp import GENERATED_AT
from schemas.catalog import DEDUCTION_CATEGORIES, SEVERITIES
from schemas.expectations import check_counts

TREND_MONTHS = 12
SMALL_MULTIPLES = 24  # teams drawn one by one in the center report; more would be unreadable
TOP_DEDUCTION_ITEMS = 8
SMALL_GROUP = 20  # an award rate over fewer agents swings with one person: marked ‡ († marks a small sample)


# --- figures ---------------------------------------------------------------------------------------

def _kpi_tiles(t: Translator, policy: Policy, health: dict, sizes: dict, now: dict | None,
               last: dict | None) -> list[dict]:
    """The key figures, each with last month's figure and the change: computed as the In brief computes it
    (reports/changes.py), marked ▲/▼ only beyond noise, and * where the printed figures do not subtract to it."""
    def tile(field, n, target=None, small_below=None):
        value = health[field]
        shown = t.value(field, value) if field != "headcount" else f"{value:,}"
        if small_below is not None and n is not None and n < small_below:
            shown += "†"
        good = None if target is None or value is None else (
            value <= target if field == "penalty_rate_per_100" else value >= target)
        moved = change_between(field, {**(now or {}), **health}, last)
        rounded = moved is not None and not subtracts(t, moved)
        if moved is not None:
            said = " ".join(part for part in (change_text(t, moved), arrow(moved)) if part) + ("*" if rounded else "")
            n_before = moved.test.n_before if moved.test is not None else None
            change = t("last_month_n", value=t.value(field, moved.before), n=f"{n_before:,}", change=said) \
                if n_before is not None else t("last_month", value=t.value(field, moved.before), change=said)
        else:
            change = t("no_last_month")
        return {
            "label": t(field),
            "value": shown,
            "n": f"n={n:,}" if n is not None else "",
            "target": t("target", value=t.threshold(field, target)) if target is not None else "",
            "last": change,
            "rounded": rounded,
            "state": "" if good is None else ("good" if good else "bad"),
        }

    return [
        tile("csat", sizes["csat_responses"], policy.csat_target, policy.min_csat_responses),
        tile("qa_score", sizes["qa_evals"], policy.qa_target),
        tile("attendance_rate", sizes["required_shifts"]),
        tile("penalty_rate_per_100", health["headcount"]),
        tile("headcount", None),
        tile("attrition_rate", health["headcount"]),
    ]


def _months(trend: pl.DataFrame) -> list[str]:
    return sorted(trend["month"].unique().to_list())[-TREND_MONTHS:]


def _series(trend: pl.DataFrame, months: list[str], team_id: str, field: str, scale: float = 1.0) -> list:
    rows = {row["month"]: row[field] for row in trend.filter(pl.col("team_id") == team_id).iter_rows(named=True)}
    return [None if rows.get(m) is None else rows[m] * scale for m in months]


def _trend_chart(t: Translator, trend: pl.DataFrame, team_id: str, policy: Policy, compare_center: bool) -> tuple:
    """Three small charts: rates (%), QA score (points), penalties per 100; in a team's report the
    center is drawn dashed beside the team."""
    months = _months(trend)

    def lines(field, scale=1.0, named=False):
        drawn = [Line(t(field), _series(trend, months, team_id, field, scale), field, named=named)]
        if compare_center:
            drawn.append(Line(t("center_all"), _series(trend, months, CENTER, field, scale), "center", dashed=True))
        return drawn

    rates = Panel(f"{t('csat')} · {t('attendance_rate')}",
                  lines("csat", 100, named=True) + [Line(t("attendance_rate"), _series(
                      trend, months, team_id, "attendance_rate", 100), "attendance_rate", named=True)],
                  unit="%", targets=[(policy.csat_target * 100, t("target_of", value=t.threshold(
                      "csat", policy.csat_target)))])
    qa = Panel(t("qa_score"), lines("qa_score"),
               targets=[(policy.qa_target, t("target_of", value=t.threshold("qa_score", policy.qa_target)))])
    penalties = Panel(t("penalty_rate_per_100"), lines("penalty_rate_per_100"), decimals=1, from_zero=True)
    legend = [(t("this_team"), "target", False), (t("center_all"), "center", True)] if compare_center else []
    return trend_panels(months, [rates, qa, penalties], legend), len(months)


def _team_csat_chart(t: Translator, inputs: ReportInputs, names: dict[str, str]) -> tuple[str, str]:
    """Each team's CSAT over the months against the center's and the target; the lowest first."""
    months = _months(inputs.trend)
    now = inputs.health.filter(pl.col("team_id") != CENTER).filter(pl.col("headcount") > 0)
    order = now.sort([pl.col("csat").is_null(), "csat", "team_id"])["team_id"].to_list()
    shown = order[:SMALL_MULTIPLES]
    target = (inputs.policy.csat_target * 100, t.threshold("csat", inputs.policy.csat_target))
    center = _series(inputs.trend, months, CENTER, "csat", 100)
    panels = [Panel(names.get(team_id, team_id), [Line(t("csat"), _series(inputs.trend, months, team_id, "csat", 100),
                                                       "csat"), Line(t("center_all"), center, "center", dashed=True)],
                    unit="%", targets=[target]) for team_id in shown]
    note = t("team_trend_note", shown=len(shown), total=len(order), target=target[1]) if len(order) > len(shown) \
        else t("team_trend_all", target=target[1])
    return (small_multiples(months, panels) if panels else ""), note


# --- tables --------------------------------------------------------------------------------------

def _status(t: Translator, status: str) -> str:
    return t(f"status_{status}")


STATUS_FIRST = ("red", "amber", "green")  # the team comparison's order: what to act on first


def by_status(rows: list[dict]) -> list[dict]:
    """`rows` red first, then amber, then green; within a status in the order given (by team id). A stable sort."""
    return sorted(rows, key=lambda row: STATUS_FIRST.index(row["status"]) if row["status"] in STATUS_FIRST
                  else len(STATUS_FIRST))


def _health_row(t: Translator, row: dict, names: dict, policy: Policy | None = None, sizes: dict | None = None) -> dict:
    return {
        "team": t("center_all") if row["team_id"] == CENTER else names.get(row["team_id"], row["team_id"]),
        "status": row["status"],
        "status_label": _status(t, row["status"]),
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
        # why the status, red reasons apart from amber, each with what to do (SPEC §10 "Why a status")
        "flags": status_why(t, row, policy, sizes) if policy is not None else
        t.join([t.flag(flag, row) for flag in row["flags"].split(";") if flag]),
    }


# Received and substantiated each with its own split by severity, so that each split adds up to its total
# (SPEC §10 "a column says what it splits").
COMPLAINT_FIGURES = ["received", *(f"received_{s}" for s in SEVERITIES),
                     "substantiated", *(f"substantiated_{s}" for s in SEVERITIES), "still_open"]


def complaint_rows(t: Translator, complaints: pl.DataFrame, inputs: ReportInputs, by: str, labels: dict,
                   every: list[str] | None = None) -> list:
    """Complaints per `by` (team or category): received in the month and those by severity; substantiated
    for the first time (received this month or earlier) and those by severity; still open (open or under
    investigation). `every` lists groups shown even without a complaint, in that order."""
    received = pl.col("received_at").is_between(inputs.month.start, inputs.month.end, closed="left")
    substantiated = pl.col("first_substantiated")
    table = complaints.group_by(by).agg(
        received=received.sum(),
        **{f"received_{s}": (received & (pl.col("severity") == s)).sum() for s in SEVERITIES},
        substantiated=substantiated.sum(),
        **{f"substantiated_{s}": (substantiated & (pl.col("severity") == s)).sum() for s in SEVERITIES},
        still_open=pl.col("status").is_in(["open", "investigating"]).sum(),
    )
    # a group with nothing to count this month (a complaint closed unsubstantiated, received earlier) is no row
    found = {row[by]: row for row in table.iter_rows(named=True) if any(row[k] for k in COMPLAINT_FIGURES)}
    order = list(every or []) + sorted((g for g in found if g not in (every or [])),
                                       key=lambda g: (-found[g]["received"], str(g)))
    return [{"label": labels.get(group, group), **{k: found.get(group, {}).get(k, 0) for k in COMPLAINT_FIGURES}}
            for group in order]


def team_complaints(inputs: ReportInputs) -> pl.DataFrame:
    """The month's complaints with their agent's team_id ("" for a complaint attributed to no agent)."""
    return inputs.complaints.join(inputs.scorecard.select("agent_id", "team_id"), on="agent_id", how="left") \
        .with_columns(team_id=pl.col("team_id").fill_null(""))


def _complaint_total(rows: list[dict], t: Translator) -> dict:
    return {"label": t("total"), **{k: sum(row[k] for row in rows) for k in COMPLAINT_FIGURES}}


def deduction_rows(t: Translator, deductions: pl.DataFrame) -> list[dict]:
    """Points deducted per QA category, with its share of all points and how many items."""
    total = deductions["points"].sum() or 0
    by = deductions.group_by("category").agg(points=pl.col("points").sum(), items=pl.len())
    found = {row["category"]: row for row in by.iter_rows(named=True)}
    rows = []
    for category in DEDUCTION_CATEGORIES:
        row = found.get(category, {"points": 0.0, "items": 0})
        rows.append({"category": t(f"deduction_{category}"), "points": number(row["points"], 0), "count": row["items"],
                     "share": percent(row["points"] / total) if total else MISSING})
    return rows


def award_reasons(t: Translator, inputs: ReportInputs):
    """`reason(award, winner)`: why `winner` (an awards.csv row) won, worded in the report's language from the
    agent's scorecard row. awards.csv words it in the language of the run that wrote it; a report rendered in
    another language from the same month's inputs would otherwise print that language's sentence. The row's own
    words when the agent has no scorecard row."""
    winners = inputs.scorecard.filter(pl.col("agent_id").is_in(inputs.winners["agent_id"].to_list()))
    by_agent = {row["agent_id"]: row for row in winners.iter_rows(named=True)}
    draw = LuckyDraw(inputs.draw_seed, range(inputs.draw_pool_size), [])  # the deed names the pool's size only

    def reason(award: str, winner: dict) -> str:
        agent = by_agent.get(winner["agent_id"])
        return award_deed(t, award, agent, draw) if agent is not None else winner["reason"]
    return reason


def _item(code: str, name: str | None) -> str:
    """A QA item as the form words it, beside its code (SPEC §2 item_name), or the code alone."""
    return f"{code} {name}" if name else code


def _points(value: float) -> str:
    return number(value, 0) if float(value).is_integer() else number(value, 1)


def _coach_codes(t: Translator, reasons: str) -> str:
    return t.join([t(f"coach_short_{code}") for code in reasons.split(";") if code]) or t("none")


def coaching_section(t: Translator, inputs: ReportInputs, team_id: str, by_agent: dict) -> dict:
    """The team report's coaching part (SPEC §7): the list with each reason's figure and n, the focus items and a
    buddy; the agents to watch; last month's list with each agent's outcome."""
    plan = inputs.coaching.filter(pl.col("team_id") == team_id)
    listed = [
        {"name": row["agent_name"], "shift": t(f"shift_{row['shift_pattern']}"),
         "reasons": t.join([coaching_reason(t, r, by_agent[row["agent_id"]]) for r in row["reasons"].split(";") if r]
                           + ([t("new_hire")] if row["new_hire"] else [])),
         "focus": [t("focus_item", item=_item(item["item_code"], item["item_name"]),
                     category=t(f"deduction_{item['category']}"), times=item["times"], points=_points(item["points"]))
                   for item in row["focus_items"] or []],
         "buddy": row["buddy_agent_name"] or t("buddy_none")}
        # in the order the brief names them
        for row in plan.filter(pl.col("on_coaching_list") | pl.col("new_hire")).sort("agent_name").iter_rows(named=True)
    ]
    watched = [{"name": row["agent_name"],
                "qa_score": with_n(number(by_agent[row["agent_id"]]["qa_score"]), row["qa_evals"])}
               for row in plan.filter(pl.col("to_watch")).iter_rows(named=True)]
    followup = [{"name": row["agent_name"], "before": _coach_codes(t, row["reasons_last_month"]),
                 "outcome": t(f"outcome_{row['outcome']}"), "outcome_code": row["outcome"],
                 "now": _coach_codes(t, row["reasons_now"]) if row["outcome"] != "left" else MISSING,
                 "delta": signed(row["composite_delta"])}
                for row in inputs.followup.filter(pl.col("team_id") == team_id).iter_rows(named=True)]
    return {"coaching": listed, "to_watch": watched, "to_watch_title": t("coaching_to_watch",
                                                                         min=inputs.policy.min_qa_evals),
            "followup": followup}


def followup_rows(t: Translator, inputs: ReportInputs, names: dict[str, str]) -> list[dict]:
    """The center report's follow-up: per team only counts and the share off the list (SPEC §7)."""
    return [{"team": names.get(row["team_id"], row["team_id"]), "listed": row["last_month"], "left": row["left"],
             "off_list": row["off_list"], "still_listed": row["still_listed"],
             "share": percent(row["off_list_share"], 0)}
            for row in followup_by_team(inputs.followup).iter_rows(named=True)]


def _top_items(t: Translator, deductions: pl.DataFrame) -> list[dict]:
    if "item_name" not in deductions.columns:
        deductions = deductions.with_columns(item_name=pl.lit(None, dtype=pl.String))
    items = deductions.group_by("item_code", "category").agg(times=pl.len(), points=pl.col("points").sum(),
                                                             agents=pl.col("agent_id").n_unique(),
                                                             item_name=pl.col("item_name").drop_nulls().first())
    return [{"item": _item(row["item_code"], row["item_name"]), "category": t(f"deduction_{row['category']}"), "times": row["times"],
             "points": number(row["points"], 0), "agents": row["agents"]}
            for row in items.sort(["times", "points", "item_code", "category"], descending=[True, True, False, False])
            .head(TOP_DEDUCTION_ITEMS).iter_rows(named=True)]


def ranking_note(t: Translator, card: pl.DataFrame, policy: Policy) -> str:
    """Why agents are not ranked, in one line: the rule and the counts behind each reason."""
    reasons = card.filter(~pl.col("ranked")).group_by("not_ranked_reason").len().sort(
        ["len", "not_ranked_reason"], descending=[True, False])
    counts = t.join([f"{t('reason_' + r)} {n}" for r, n in reasons.iter_rows()]) if reasons.height else t("none")
    return t("ranking_rule", qa=policy.min_qa_evals, csat=policy.min_csat_responses, days=policy.min_tenure_days,
             unranked=card.height - int(card["ranked"].sum()), total=card.height, reasons=counts)


RANK_ORDER = [pl.col("team_rank").is_null(), "team_rank", "agent_id"]  # the team's best first, the unranked last


def _scorecard_rows(t: Translator, card: pl.DataFrame, policy: Policy) -> list[dict]:
    rows = []
    ordered = card.sort(RANK_ORDER)
    for row in ordered.iter_rows(named=True):
        rows.append({
            "name": row["agent_name"], "agent_id": row["agent_id"], "shift": t(f"shift_{row['shift_pattern']}"),
            # an agent leaving this month is marked (SPEC §10): no attendance award, not coached (SPEC §6, §7)
            "leaving": t("leaving_on", date=str(row["exit_date"]))
            if row.get("exit_date") and str(row["exit_date"])[:7] == row["month"] else "",
            "csat": with_n(percent(row["csat"]), row["csat_responses"], policy.min_csat_responses),
            "qa_score": with_n(number(row["qa_score"]), row["qa_evals"], policy.min_qa_evals),
            "qa_adjusted": number(row["qa_score_adjusted"]),
            "flagged_share": percent(row["qa_flagged_evaluator_share"], 0),
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
            "team_rank": row["team_rank"] or MISSING, "cohort_rank": t("rank_of", rank=row["cohort_rank"], size=row["cohort_size"])
            if row["cohort_rank"] else MISSING,
            "cohort_percentile": percent(row["cohort_percentile"], 0),
            "delta": signed(row["composite_delta"]),
        })
    return rows


def _eligibility_rows(t: Translator, inputs: ReportInputs, card: pl.DataFrame) -> list[dict]:
    """Per agent and award: won, eligible, or what is missing (with the agent's own figure)."""
    won = set(inputs.winners.select("agent_id", "award").iter_rows())
    by_agent = {row["agent_id"]: row for row in card.iter_rows(named=True)}
    cells: dict[str, dict[str, dict]] = {}
    for row in inputs.eligibility.iter_rows(named=True):
        if (row["agent_id"], row["award"]) in won:
            cell = {"text": t("award_won"), "kind": "won"}
        elif row["eligible"]:
            cell = {"text": t("award_eligible"), "kind": "eligible"}
        else:
            cell = {"text": t.unmet(row["unmet"], by_agent.get(row["agent_id"])), "kind": "missing"}
        cells.setdefault(row["agent_id"], {})[row["award"]] = cell
    ordered = [agent_id for agent_id in card.sort(RANK_ORDER)["agent_id"].to_list() if agent_id in cells]
    return [{"name": by_agent[agent_id]["agent_name"],
             "cells": [cells[agent_id].get(award, {"text": MISSING, "kind": ""}) for award in AWARDS]}
            for agent_id in ordered]


def calibration_rows(t: Translator, calibration: pl.DataFrame) -> list[dict]:
    """The flagged evaluators, the furthest from their colleagues first."""
    flagged = calibration.filter(pl.col("flagged")).sort([pl.col("leniency").abs(), "evaluator_id"],
                                                         descending=[True, False])
    return [{"evaluator": row["evaluator_id"], "evaluations": row["evaluations"], "pairs": row["paired_evaluations"],
             "mean_score": number(row["mean_score"]), "leniency": signed(row["leniency"]),
             "direction": t("lenient" if row["leniency"] > 0 else "harsh")} for row in flagged.iter_rows(named=True)]


def fairness_rows(t: Translator, fairness: pl.DataFrame, active: int) -> list[dict]:
    """Award rates per shift cohort and site, one row per group, the center's rates first."""
    def cell(rate, winners):
        return t("rate_with_winners", rate=percent(rate), winners=winners)

    center = {row["award"]: row for row in fairness.unique(subset=["award"], keep="first").iter_rows(named=True)}
    rows = [{"kind": "", "group": t("center_all"), "active": f"{active:,}", "small": False,
             "cells": [percent(center[a]["center_award_rate"]) if a in center else MISSING for a in AWARDS]}]
    for (kind, group), part in fairness.group_by("group_kind", "group", maintain_order=True):
        by_award = {row["award"]: row for row in part.iter_rows(named=True)}
        first = part.row(0, named=True)
        shown = t(f"shift_{group}") if kind == "shift_pattern" and t.has(f"shift_{group}") else group
        rows.append({"kind": t(f"group_kind_{kind}"), "group": shown, "active": f"{first['active_agents']:,}",
                     "small": first["active_agents"] < SMALL_GROUP,
                     "cells": [cell(by_award[a]["award_rate"], by_award[a]["winners"]) if a in by_award else MISSING
                               for a in AWARDS]})
    return rows


def policy_rows(t: Translator, policy: Policy) -> list[dict]:
    """The policy in force as a readable table: a label and a value in words for every key."""
    shown = []
    for key, value in policy.model_dump(mode="python").items():
        if key == "weights":
            text = t.join([f"{t(name)} {percent(weight, 0)}" for name, weight in value.items()])
        elif key == "csat_target":
            text = t.threshold("csat", value)
        elif key == "volume_band":
            text = "±" + percent(value, 0)
        elif key == "operating_weekdays":
            text = t("weekdays_learned") if value == "learned" else _weekdays_text(t, tuple(value))
        elif key == "holidays":
            text = _dates_text(tuple(value)) or t("none")
        elif key == "holiday_calendar":
            text = value or t("none")
        elif key == "language":
            text = t("language_name")
        elif key == "expectation_severity":
            text = t.join([f"{t('expectation_' + name.split('.', 1)[1])}: {t('severity_' + level)}"
                           for name, level in value.items()]) or t("policy_defaults")
        elif isinstance(value, bool):  # before numbers: a bool is an int to Python
            text = t("answer_yes" if value else "answer_no")
        elif isinstance(value, (list, tuple)):
            text = t.join([str(item) for item in value]) or t("none")
        elif isinstance(value, float):
            text = number(value, 2).rstrip("0").rstrip(".")
        else:
            text = str(value)
        shown.append({"key": t(f"policy_{key}"), "value": text})
    return shown


def _runs(items: list, follows) -> list[list]:
    """Consecutive items grouped: [[mon, tue, wed], [sat]] for follows(a, b) true when b comes right after a."""
    runs: list[list] = []
    for item in items:
        if runs and follows(runs[-1][-1], item):
            runs[-1].append(item)
        else:
            runs.append([item])
    return runs


def _weekdays_text(t: Translator, weekdays: tuple[str, ...]) -> str:
    """mon..fri as "Mon–Fri"; a gap starts a new run ("Mon–Wed, Fri")."""
    ordered = [day for day in WEEKDAYS if day in weekdays]
    runs = _runs(ordered, lambda a, b: WEEKDAYS.index(b) == WEEKDAYS.index(a) + 1)
    return ", ".join(t(f"weekday_{run[0]}") + (f"–{t('weekday_' + run[-1])}" if len(run) > 2 else
                                               "" if len(run) == 1 else f", {t('weekday_' + run[-1])}")
                     for run in runs)


def _dates_text(days: tuple) -> str:
    """2026-10-01, 2026-10-02 and 2026-10-05…07 as "2026-10-01–02, 2026-10-05–07"."""
    runs = _runs(sorted(days), lambda a, b: (b - a).days == 1)
    return ", ".join(run[0].isoformat() + (f"–{run[-1].day:02d}" if len(run) > 1 else "") for run in runs)


def _calendar_text(t: Translator, inputs: ReportInputs) -> str:
    calendar = inputs.calendar
    weekdays = _weekdays_text(t, calendar.weekdays)
    source = t("calendar_policy") if calendar.learned_from == "policy" else t("calendar_learned",
                                                                              month=calendar.learned_from)
    closed = t("calendar_closed", days=_dates_text(calendar.holidays)) if calendar.holidays else ""
    closed += t("calendar_workdays", days=_dates_text(calendar.workdays)) if calendar.workdays else ""
    closed += t("calendar_public", code=calendar.holiday_calendar) if calendar.holiday_calendar else ""
    return t("calendar_text", days=len(calendar.expected_days), weekdays=weekdays, source=source, closed=closed)


def _common(inputs: ReportInputs, t: Translator, title: str) -> dict:
    return {
        "lang": inputs.policy.language,
        "title": title,
        "month": str(inputs.month),
        "generated_at": GENERATED_AT,  # the renderer puts the time in (reports/stamp.py)
        "footer_meta": t("footer_meta", title=title, month=str(inputs.month), when=GENERATED_AT),
        "changes_note": t("changes_note"),
        "rounding_note": t("changes_rounding_note"),
        "small_sample_note": t("small_sample_note", csat=inputs.policy.min_csat_responses,
                               qa=inputs.policy.min_qa_evals),
        "severities": [t(f"severity_{s}") for s in SEVERITIES],
        "severity_codes": list(SEVERITIES),
        "award_names": [t(f"award_{a}") for a in AWARDS],
        "keep_names": unbroken_names,  # the templates call it on English sentences that hold names
    }


def report_titles(inputs: ReportInputs) -> dict[str, str]:
    """Each report's title in the report's language: CENTER for the center report, else the team id."""
    t = Translator(inputs.policy.language)
    titles = {CENTER: t("center_report")}
    titles.update({row["team_id"]: t("team_report", team=row["team_name"]) for row in inputs.teams.iter_rows(named=True)})
    return titles


def center_context(inputs: ReportInputs) -> dict:
    t, policy = Translator(inputs.policy.language), inputs.policy
    sizes = group_sizes(inputs.scorecard)
    names = team_names(inputs)
    health = {row["team_id"]: row for row in inputs.health.iter_rows(named=True)}
    chart, chart_months = _trend_chart(t, inputs.trend, CENTER, policy, compare_center=False)
    team_chart, team_chart_note = _team_csat_chart(t, inputs, names)

    teams = []
    for team in inputs.teams.sort("team_id").iter_rows(named=True):
        row, n = health.get(team["team_id"]), sizes.get(team["team_id"])
        if row is None or n is None:
            continue
        moved = {field: month_change(inputs.trend, inputs.month, team["team_id"], field)
                 for field in ("csat", "qa_score", "attendance_rate")}

        def marked(text, field):  # ▲/▼ beside a figure whose change on last month is beyond noise
            return f"{text} {arrow(moved[field])}" if arrow(moved[field]) else text

        def before_n(field):  # that change's n last month, on a line of its own under the figure (the table is narrow)
            return t("n_last_month", n=f"{moved[field].test.n_before:,}").strip() if arrow(moved[field]) else ""

        teams.append({
            "team_id": team["team_id"],
            "team": team["team_name"], "supervisor": team["supervisor_name"], "headcount": row["headcount"],
            "csat": with_n(percent(row["csat"]), n["csat_responses"], policy.min_csat_responses),
            # each change in its own column, signed as the brief words it (reports/changes.py change_text)
            "csat_change": marked(change_text(t, moved["csat"]), "csat") if moved["csat"] else MISSING,
            "csat_before": before_n("csat") if moved["csat"] else "",
            "qa_score": with_n(number(row["qa_score"]), n["qa_evals"], policy.min_qa_evals),
            "qa_change": marked(change_text(t, moved["qa_score"]), "qa_score") if moved["qa_score"] else MISSING,
            "qa_change_before": before_n("qa_score") if moved["qa_score"] else "",
            "attendance": marked(with_n(percent(row["attendance_rate"]), n["required_shifts"]), "attendance_rate"),
            "attendance_before": before_n("attendance_rate"),
            "why": status_why(t, row, policy, n),
            "ranked": t("ranked_of", ranked=n["ranked_count"], total=row["headcount"]),
            "status": row["status"], "status_label": _status(t, row["status"]),
        })
    teams = by_status(teams)

    penalized = set(inputs.scorecard.filter(pl.col("penalties") > 0)["agent_id"].to_list())
    composite = dict(inputs.scorecard.select("agent_id", "composite").iter_rows())
    awards, kept_private, reason = [], dict.fromkeys(AWARDS, 0), award_reasons(t, inputs)
    for award in AWARDS:
        won = inputs.winners.filter(pl.col("award") == award)
        if award == "service_star":  # the best first; the other awards keep their own order (the draw's, say)
            won = won.sort(pl.col("agent_id").replace_strict(composite, default=None), descending=True)
        for row in won.iter_rows(named=True):
            if row["agent_id"] in penalized:
                kept_private[award] += 1  # praise in public only those with a clean month
                continue
            awards.append({"award": t(f"award_{award}"), "award_code": award, "name": row["agent_name"],
                           "team": names.get(row["team_id"], row["team_id"]),
                           "reason": reason(award, row)})

    staffed = [team_id for team_id in names if team_id in sizes]
    complaints = team_complaints(inputs)
    complaint_table = complaint_rows(t, complaints, inputs, "team_id", {**names, "": t("unattributed")}, staffed)
    context = {
        **_common(inputs, t, t("center_report")),
        "bounded": False,  # every team listed; beyond TEAMS_IN_FULL teams, _bounded_listing's tables instead
        "brief": center_brief(inputs),
        "kpis": _kpi_tiles(t, policy, health[CENTER], sizes[CENTER], month_row(inputs.trend, inputs.month, CENTER),
                           last_month_row(inputs.trend, inputs.month, CENTER)),
        "chart": chart,
        "chart_title": t("trend", n=chart_months),
        "team_chart": team_chart,
        "team_chart_title": t("team_trend", n=chart_months),
        "team_chart_note": team_chart_note,
        "teams": teams,
        "followup": followup_rows(t, inputs, names),
        "health": [_health_row(t, health[team_id], names, policy, sizes.get(team_id))
                   for team_id in [*staffed, CENTER] if team_id in health],
        "complaints": complaint_table,
        "complaints_total": _complaint_total(complaint_table, t),
        "deductions": deduction_rows(t, inputs.deductions),
        "calibration_lead": t("calibration_lead", points=t.threshold("qa_score", policy.evaluator_flag_points),
                              pairs=policy.min_evaluator_pairs),
        "calibration_summary": t("calibration_summary", evaluators=inputs.calibration.height,
                                 paired=inputs.calibration.filter(
                                     pl.col("paired_evaluations") >= policy.min_evaluator_pairs).height,
                                 pairs=policy.min_evaluator_pairs,
                                 flagged=inputs.calibration.filter(pl.col("flagged")).height),
        "calibration": calibration_rows(t, inputs.calibration),
        "fairness": fairness_rows(t, inputs.fairness, inputs.scorecard.height),
        "fairness_lead": t("fairness_lead", small=SMALL_GROUP),
        "deduction_points": number(inputs.deductions["points"].sum(), 0),
        "deduction_evaluations": inputs.deductions["evaluation_id"].n_unique(),
        "awards": awards,
        "awards_kept_private": sum(kept_private.values()),
        "award_sites": [],  # every winner named; beyond TEAMS_IN_FULL teams, _bounded_awards counts some per site
        "lucky_draw": t("lucky_draw_text", count=inputs.winners.filter(pl.col("award") == "lucky_draw").height,
                        pool=inputs.draw_pool_size),
        "draw_recipe": t("draw_recipe", salt=policy.lucky_draw_salt, month=str(inputs.month), seed=inputs.draw_seed,
                         winners=policy.lucky_draw_winners, pool=inputs.draw_pool_size),
        "calendar": _calendar_text(t, inputs),
        "data_quality": [
            {"source": t.source(row["source"]), "rows_read": f"{row['rows_read']:,}", "rows_used": f"{row['rows_used']:,}",
             "rows_quarantined": f"{row['rows_quarantined']:,}"} for row in inputs.data_quality.iter_rows(named=True)],
        "quality_reasons": [{"source": t.source(row["source"]), "reason": t.reason(row["reason"]), "rows": row["rows"]}
                            for row in inputs.quality_reasons.iter_rows(named=True)],
        "warnings": [t("warning_unknown_complaint", action=row["key"], complaint=row["complaint_id"])
                     for row in inputs.warnings.iter_rows(named=True)],
        "expectations_failed": [
            {"source": t.source(row["source"]), "expectation": t(f"expectation_{row['expectation']}"),
             "observed": t.observed(row["observed"]), "examples": t.examples(row["unexpected_examples"]),
             "severity": t(f"severity_{row['severity']}")}
            for row in inputs.expectations.filter(~pl.col("passed")).iter_rows(named=True)],
        "expectations_checked": inputs.expectations.height,
        "expectations_counts": dict(zip(("passed", "failed", "not_evaluated"), check_counts(inputs.expectations))),
        "expectations_not_evaluated": [
            f"{t.source(row['source'])} · {t('expectation_' + row['expectation'])} ({t.observed(row['observed'])})"
            for row in inputs.expectations.filter(pl.col("observed").str.starts_with("not evaluated"))
            .iter_rows(named=True)],
        "policy": policy_rows(t, policy),
    }
    if len(teams) > TEAMS_IN_FULL:  # SPEC §14: readable at any size, every team in team_comparison.csv
        context.update(_bounded_listing(t, inputs, teams, health, complaints))
        context.update(_bounded_awards(t, inputs, awards, kept_private))
    # the † footnote only where a figure of the report carries a †
    context["small_sample_shown"] = _holds(context, SMALL_SAMPLE_MARK, skip={"small_sample_note"})
    return context


SMALL_SAMPLE_MARK = "†"


def _holds(value, mark: str, skip: frozenset | set = frozenset()) -> bool:
    """Whether any text in `value` (a context: dicts, lists, strings) holds `mark`, `skip`'s keys aside."""
    if isinstance(value, str):
        return mark in value
    if isinstance(value, dict):
        return any(_holds(item, mark) for key, item in value.items() if key not in skip)
    if isinstance(value, (list, tuple)):
        return any(_holds(item, mark) for item in value)
    return False


def _bounded_listing(t: Translator, inputs: ReportInputs, teams: list[dict], health: dict, complaints: pl.DataFrame
                     ) -> dict:
    """The center report's team tables beyond TEAMS_IN_FULL teams (SPEC §14): each site; the red and amber teams
    in full (figures and reasons), red first; the BEST_AND_WORST best and worst teams by composite; the health
    table for the red and amber teams and the center; complaints and the coaching follow-up per site (sums of all
    teams, so totals still add up). Every team's figures are in team_comparison.csv, which the director's email
    attaches."""
    comparison = team_comparison_frame(inputs)
    by_id = {row["team_id"]: row for row in teams}
    figures = {row["team_id"]: row for row in comparison.iter_rows(named=True)}
    urgent = [row["team_id"] for status in ("red", "amber") for row in teams if row["status"] == status]
    composites = team_composites(inputs.scorecard)
    best, worst = best_and_worst(composites)

    def ranked_row(team_id: str) -> dict:
        row, shown = figures[team_id], by_id[team_id]
        return {"rank": str(row["composite_rank"]), "team": shown["team"],
                "site": row["site"], "composite": with_n(number(row["team_composite"]), row["ranked_agents"]),
                "csat": shown["csat"], "qa_score": shown["qa_score"], "attendance": shown["attendance"],
                "status": shown["status"], "status_label": shown["status_label"],
                "flags": t.join([t.flag(flag, health[team_id]) for flag in (row["flags"] or "").split(";") if flag])}

    sites = [{"site": row["site"], "teams": row["teams"], "headcount": f"{row['headcount']:,}",
              "red": row["red"], "amber": row["amber"], "green": row["green"],
              "csat": with_n(percent(row["csat"]), row["csat_responses"], inputs.policy.min_csat_responses),
              "qa_score": with_n(number(row["qa_score"]), row["qa_evals"]),
              "attendance": with_n(percent(row["attendance_rate"]), row["required_shifts"]),
              "composite": number(row["team_composite"])}
             for row in site_figures(comparison).iter_rows(named=True)]
    site_of = dict(inputs.teams.select("team_id", "site").iter_rows())
    site_names = sorted({site_of[team_id] for team_id in by_id})
    by_site = complaints.with_columns(site=pl.col("team_id").replace_strict(site_of, default=""))
    complaint_table = complaint_rows(t, by_site, inputs, "site", {"": t("unattributed")}, site_names)
    followup = followup_by_team(inputs.followup).with_columns(
        site=pl.col("team_id").replace_strict(site_of, default="")).group_by("site").agg(
        pl.col("last_month", "left", "off_list", "still_listed").sum()).sort("site")
    red = sum(1 for team_id in urgent if by_id[team_id]["status"] == "red")
    return {
        "bounded": True,
        "teams": [by_id[team_id] for team_id in urgent],
        "sites": sites,
        "sites_lead": t("sites_lead", teams=len(teams), sites=len(sites)),
        "teams_lead": t("teams_in_full_lead" if len(urgent) < len(teams) else "teams_in_full_lead_all",
                        listed=len(urgent), total=len(teams), red=red, amber=len(urgent) - red,
                        rest=len(teams) - len(urgent), file=TEAM_COMPARISON_FILE),
        "ranked_title": t("best_worst_title", n=BEST_AND_WORST),
        "ranked_lead": t("best_worst_lead", ranked=len(composites), total=len(teams)),
        "best": [ranked_row(team_id) for team_id in best],
        "worst": [ranked_row(team_id) for team_id in worst],
        "csv_pointer": t("team_comparison_pointer", file=TEAM_COMPARISON_FILE, total=len(teams)),
        # the teams' figures only: why each is red or amber is in the team comparison just above
        "health": [{**_health_row(t, health[team_id], team_names(inputs)), "flags": ""} for team_id in urgent]
        + [_health_row(t, health[CENTER], {}, inputs.policy, group_sizes(inputs.scorecard)[CENTER])],
        "health_lead": t("health_bounded_lead", listed=len(urgent), total=len(teams), file=TEAM_COMPARISON_FILE),
        "complaints": complaint_table,
        "complaints_total": _complaint_total(complaint_table, t),
        "complaints_title": t("complaints_by_site"),
        "followup": [{"team": row["site"] or t("unattributed"), "listed": row["last_month"], "left": row["left"],
                      "off_list": row["off_list"], "still_listed": row["still_listed"],
                      "share": percent(row["off_list"] / row["last_month"] if row["last_month"] else None, 0)}
                     for row in followup.iter_rows(named=True)],
        "followup_title": t("followup_by_site"),
        "followup_lead": t("followup_by_site_lead", file=TEAM_COMPARISON_FILE),
    }


UNNAMED_BEYOND_FULL = "perfect_attendance"  # beyond TEAMS_IN_FULL teams its winners are counted, not named
AWARDS_FILE = "awards.csv"


def _bounded_awards(t: Translator, inputs: ReportInputs, awards: list[dict], kept_private: dict[str, int]) -> dict:
    """The awards beyond TEAMS_IN_FULL teams (SPEC §14): each award's winners counted per site; the winners of every
    award but perfect attendance still named with their deeds (a few each); perfect attendance, which a large
    center gives to hundreds, named in each team's report and in awards.csv only, as a sentence says."""
    site_of = dict(inputs.teams.select("team_id", "site").iter_rows())
    winners = inputs.winners.with_columns(site=pl.col("team_id").replace_strict(site_of, default=""))
    counts = {(row["site"], row["award"]): row["len"] for row in winners.group_by("site", "award").len()
              .iter_rows(named=True)}
    sites = sorted({site for site, _ in counts} | {site_of[team_id] for team_id in inputs.health["team_id"]
                                                   if team_id in site_of})
    unnamed = inputs.winners.filter(pl.col("award") == UNNAMED_BEYOND_FULL).height
    return {
        "awards": [row for row in awards if row["award_code"] != UNNAMED_BEYOND_FULL],
        "awards_kept_private": sum(count for award, count in kept_private.items() if award != UNNAMED_BEYOND_FULL),
        "award_sites": [{"site": site or t("unattributed"), "cells": [counts.get((site, award), 0) for award in AWARDS]}
                        for site in sites],
        "award_sites_total": [sum(counts.get((site, award), 0) for site in sites) for award in AWARDS],
        "award_sites_lead": t("award_sites_lead", file=AWARDS_FILE),
        "awards_unnamed": t("awards_named_in_team_reports", count=unnamed, award=t(f"award_{UNNAMED_BEYOND_FULL}"),
                            file=AWARDS_FILE) if unnamed else "",
    }


def team_context(inputs: ReportInputs, team_id: str) -> dict:
    t, policy = Translator(inputs.policy.language), inputs.policy
    team = inputs.teams.filter(pl.col("team_id") == team_id).row(0, named=True)
    card = inputs.scorecard.filter(pl.col("team_id") == team_id)
    members = set(card["agent_id"].to_list())
    names = dict(card.select("agent_id", "agent_name").iter_rows())
    health = inputs.health.filter(pl.col("team_id") == team_id).row(0, named=True)
    sizes = group_sizes(card)[team_id]
    chart, chart_months = _trend_chart(t, inputs.trend, team_id, policy, compare_center=True)

    by_agent = {row["agent_id"]: row for row in card.iter_rows(named=True)}
    coaching = coaching_section(t, inputs, team_id, by_agent)
    penalties = [
        {"name": names[row["agent_id"]], "category": t("severe_category", category=t(f"category_{row['category']}"))
         if row["category"] in SEVERE_PENALTIES else t(f"category_{row['category']}"),
         "action_date": str(row["action_date"]), "incident_date": str(row["incident_date"]),
         "lag": (row["action_date"] - row["incident_date"]).days, "reason_code": t.code("reason_code",
                                                                                          row["reason_code"]),
         "complaint": row["complaint_id"] or "",
         "complaint_status": t(f"complaint_status_{row['complaint_status']}") if row["complaint_status"] else ""}
        for row in inputs.ledger.filter((pl.col("kind") == "penalty") & pl.col("agent_id").is_in(list(members)))
        .sort("agent_id", "action_date").iter_rows(named=True)
    ]
    mine = inputs.complaints.filter(pl.col("agent_id").is_in(list(members)))
    attention = card.filter(pl.col("ranked") & (pl.col("cohort_percentile") >= 0.9) & (pl.col("penalties") >= 1))
    title = t("team_report", team=team["team_name"])
    reason = award_reasons(t, inputs)
    return {
        **_common(inputs, t, title),
        "team": team,
        "brief": team_brief(inputs, team_id),
        "kpis": _kpi_tiles(t, policy, health, sizes, month_row(inputs.trend, inputs.month, team_id),
                           last_month_row(inputs.trend, inputs.month, team_id)),
        "health": _health_row(t, health, {team_id: team["team_name"]}, policy, sizes),
        "chart": chart,
        "chart_title": t("trend_team", n=chart_months),
        "scorecards": _scorecard_rows(t, card, policy),
        "ranking_note": ranking_note(t, card, policy),
        "eligibility": _eligibility_rows(t, inputs, card),
        "winners": [{"award": t(f"award_{row['award']}"), "name": row["agent_name"],
                     "reason": reason(row["award"], row)}
                    for row in inputs.winners.filter(pl.col("team_id") == team_id).iter_rows(named=True)],
        **coaching,
        "penalties": penalties,
        "complaints": complaint_rows(t, mine, inputs, "category", {}),
        "deductions": deduction_rows(t, inputs.deductions),
        "top_items": _top_items(t, inputs.deductions),
        "attention": [{"name": row["agent_name"], "penalties": row["penalties"], "composite": number(row["composite"])}
                      for row in attention.iter_rows(named=True)],
    }
