"""The group report (SPEC §15): `group_report.pdf` for the group director, from group_health.csv's rows.

Page 1's In brief says what to act on: the red centers and why, the centers not available and why, who
missed their own targets and by how much, the changes on last month beyond sampling noise, the centers
whose status got worse, the awards and the data to check. Then the centers side by side against their own
targets and last month with the reasons for each status, their management health, and per center the award
counts, flagged QA evaluators and quarantined rows. It names no agent and no evaluator: counts only.

Each center is measured against the policy its month was run with (its recorded policy.yaml), as its own
center report measures it, and a change is computed and called out as every report does (reports/changes.py).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from pathlib import Path

import polars as pl

from core.centers import Group
from core.manifest import GROUP, ReportEntry, read_manifest, record_reports
from core.months import Month
from core.policy import Policy
from metrics.awards import AWARDS
from metrics.group import MONTH_FOLDER, CenterMonth, Unavailable, UnreadableOutput, recorded_policy, unavailable_reason
from reports.changes import Change, arrow, change_between, change_text, subtracts
from reports.context import _health_row, by_status
from reports.i18n import MISSING, RATE_FIELDS, Translator, percent, unbroken_names, with_n
from reports.render import Earlier, Renderer, write_checked
from reports.stamp import GENERATED_AT
from reports.status import RED_FLAGS, status_reasons
from schemas.catalog import SOURCE_NAMES

GROUP_REPORT_FILE = "group_report.pdf"
GROUP_TEMPLATE = "group_report.html"
# A group spans timezones and has no policy of its own: its report's generation time is told in UTC.
GROUP_TIMEZONE = "UTC"
MAX_SENTENCES = 8
LISTED = 3  # centers listed in one sentence before "and N more"
STATUS_ORDER = {"green": 0, "amber": 1, "red": 2}
# The changes a center's outputs let the report test (SPEC §10): the rates, from their counts. The QA score's test
# needs each evaluation's score, which a center's outputs do not hold: its change is shown, never called out.
TESTED = ("csat", "attendance_rate", "qa_coverage")
SHOWN_CHANGES = ("csat", "qa_score", "attendance_rate")
UNAVAILABLE = "unavailable"
BELIEVABILITY_CHECK = "data_believability."  # a blocking check of the month's believability: `<asset>.<source>_<name>`
# The amber flags the brief words short (reports/status.py words each in full, with what to do, under each center).
AMBER_SHORT = ("csat", "untimely_action_share", "qa_coverage")
# one of management_health.csv's `flags`: qa_coverage<0.8
FLAG = re.compile(r"(?P<name>[a-z0-9_]+)(?:>=|<=|<|>|=)(?P<limit>.+)")


def _policy(center_month: CenterMonth) -> Policy:
    """The policy the center's month was run with (its wording of a status needs timely_days, min_qa_evals), read as
    the roll-up reads every file of a center (never through a link); the defaults without one."""
    try:
        return recorded_policy(center_month.folder) or Policy()
    except UnreadableOutput:  # group_health found it too: the center is not available
        return Policy()


def _times(rate, n):
    """The count behind a pooled rate (its successes): the rate was Σ hits ÷ n, so this is exact."""
    return None if rate is None or n is None else round(rate * n)


def _samples(row: dict, suffix: str = "") -> dict | None:
    """A center's figures and the samples behind them (metrics.changes' names), this month or last (`suffix`)."""
    def get(name):
        return row.get(name + suffix)

    if suffix and get("status") is None:  # no finished run last month
        return None
    return {"csat": get("csat"), "csat_responses": get("csat_responses"),
            "csat_top2": _times(get("csat"), get("csat_responses")),
            "attendance_rate": get("attendance_rate"), "required_shifts": get("required_shifts"),
            "worked_shifts": _times(get("attendance_rate"), get("required_shifts")),
            "qa_coverage": get("qa_coverage"), "headcount": get("headcount"),
            "qa_covered": _times(get("qa_coverage"), get("headcount")),
            "qa_score": get("qa_score"), "qa_evals": get("qa_evals"), "qa_score_var": None}


def center_change(row: dict, field: str) -> Change | None:
    """`field`'s change on the center's last month, tested for noise where its outputs allow (TESTED)."""
    change = change_between(field, _samples(row), _samples(row, "_last_month"))
    if change is not None and field not in TESTED:
        return Change(change.field, change.before, change.now, None)
    return change


def _month_figures(t: Translator, month: str) -> str:
    """"October's figures", "10 月数据"."""
    return t("rollup_month_figures", month=t("rollup_months").split(",")[Month.parse(month).month - 1])


def _read_source(step: str) -> str | None:
    """The source a reading step is about (raw_<source>, valid_<source>); None for any other step."""
    return next((source for source in SOURCE_NAMES if step in (f"raw_{source}", f"valid_{source}")), None)


def _checked_source(check: str) -> str | None:
    """The source a blocking believability check (`data_believability.<source>_<name>`) is about; None otherwise."""
    name = check.removeprefix(BELIEVABILITY_CHECK) if check.startswith(BELIEVABILITY_CHECK) else ""
    # the longest first: a source's name may start another's
    return next((source for source in sorted(SOURCE_NAMES, key=len, reverse=True) if name.startswith(f"{source}_")),
                None)


def _sources(t: Translator, sources) -> str:
    names = list(dict.fromkeys(t(f"source_{source}") if t.has(f"source_{source}") else source for source in sources))
    return t("and_join").join(names)


def unavailable_text(t: Translator, reason: Unavailable) -> str:
    """Why a center is not available, for a director, in the report's language: what did not happen and who has the
    detail; the sources by their readable names, never a step's or check's name, never a row of data."""
    month = _month_figures(t, reason.month)
    if reason.kind == "not_landed":
        return t("rollup_unavailable_not_landed", month=month, sources=_sources(t, reason.missing_sources))
    if reason.kind == "failed":
        read = [source for step in reason.steps if (source := _read_source(step)) is not None]
        checked = [source for check in reason.checks if (source := _checked_source(check)) is not None]
        what = [t("rollup_failed_read", sources=_sources(t, read))] if read else []
        if checked:
            what.append(t("rollup_failed_believability", sources=_sources(t, checked)))
        return t("rollup_unavailable_failed", month=month, run=reason.run_id,
                 what=t("rollup_within_join").join(what) if what else t("rollup_failed_later"))
    return t(f"rollup_unavailable_{reason.kind}", month=month, run=reason.run_id)


def _listed(t: Translator, items: list[str]) -> str:
    shown = t.join(items[:LISTED])
    return shown + (t("and_more", n=len(items) - LISTED) if len(items) > LISTED else "")


def _amount(t: Translator, field: str, text: str) -> str:
    """An unsigned difference in words: "6.2 percentage points" for a rate, "2.0 points" for the QA score; `text` is
    the figure as every report rounds it (t.change, reports/changes.change_text)."""
    number_ = text.lstrip("+-").removesuffix(" " + t("unit_pt"))
    return t("rollup_gap_rate" if field in RATE_FIELDS else "rollup_gap_points", value=number_)


def _target_key(field: str) -> str:
    return "csat_target" if field == "csat" else "qa_target"


def _missed(t: Translator, row: dict) -> tuple[float, str] | None:
    """How far the center is under its own targets (the largest shortfall, relative, for the order) and in words;
    None when it met both, or has no target or figure to compare."""
    items, worst = [], 0.0
    for field, n in (("csat", row["csat_responses"]), ("qa_score", row["qa_evals"])):
        value, target = row[field], row[_target_key(field)]
        if value is None or target is None or value >= target:
            continue
        worst = max(worst, (target - value) / target if target else 0.0)
        items.append(t("rollup_missed_kpi", kpi=t(field), value=t.value(field, value),
                       n=f"{n:,}" if n is not None else "?", gap=_amount(t, field, t.change(field, target - value)),
                       target=t.threshold(field, target)))
    return (worst, t("rollup_missed_item", center=_before_cjk(t, row["center_name"]),
                     items=t("rollup_within_join").join(items))) if items else None


def _before_cjk(t: Translator, name: str) -> str:
    """A name followed straight by Chinese text ("上海满意度"): a Latin name takes a space before it ("Shanghai 满意度")."""
    return name + " " if t.language != "en" and name[-1:].isascii() else name


def _amber_flags(row: dict) -> dict[str, str]:
    """The center's amber flags, name → flag, in the order its management_health.csv gives them."""
    matches = [FLAG.fullmatch(flag) for flag in (row["flags"] or "").split(";")]
    return {match["name"]: match[0] for match in matches if match and match["name"] not in RED_FLAGS}


def _why_short(t: Translator, name: str, row: dict | None = None, policy: Policy | None = None) -> str:
    """An amber reason in a few words; with `row`, the center's own figure (rounded as its status line rounds it)."""
    if name not in AMBER_SHORT:  # a flag this report does not know yet: its name, as the flags column has it
        return t.flag(_amber_flags(row)[name], row) if row is not None else t(name) if t.has(name) else name
    if row is None:
        return t(f"rollup_why_{name}")
    if name == "csat":
        return t("rollup_why_csat_value", value=t.value("csat", row["csat"]),
                 target=t.threshold("csat", row["csat_target"]) if row["csat_target"] is not None else MISSING)
    if name == "untimely_action_share":
        return t("rollup_why_untimely_action_share_value", value=percent(row[name], 0), days=policy.timely_days)
    return t("rollup_why_qa_coverage_value", value=percent(row[name], 0),
             limit=t.threshold(name, float(FLAG.fullmatch(_amber_flags(row)[name])["limit"])))


def _amber_sentence(t: Translator, amber: list[dict], available: int, policies: dict[str, Policy]) -> str:
    """Why the amber centers are amber, short: "All 3 are amber because CSAT is under target; Chengdu also because
    38% of rewards and penalties were given more than 7 days late." (the full reasons are under each center)."""
    if not amber:
        return ""
    flags = {row["center_id"]: _amber_flags(row) for row in amber}

    def own(row, names):
        return t("rollup_within_join").join(_why_short(t, name, row, policies[row["center_id"]]) for name in names)

    if len(amber) == 1:
        row = amber[0]
        return t("rollup_brief_amber_one", center=_before_cjk(t, row["center_name"]),
                 reasons=own(row, flags[row["center_id"]]))
    shared = [name for name in flags[amber[0]["center_id"]] if all(name in flags[row["center_id"]] for row in amber)]
    if not shared:
        return t("rollup_brief_amber_each", items=t.join([t("rollup_brief_amber_each_item", center=row["center_name"],
                                                              reasons=own(row, flags[row["center_id"]]))
                                                            for row in amber]))
    reasons = t("rollup_within_join").join(_why_short(t, name) for name in shared)
    if len(amber) == available:
        head = t("rollup_brief_amber_all_two" if len(amber) == 2 else "rollup_brief_amber_all", count=len(amber),
                 reasons=reasons)
    else:
        head = t("rollup_brief_amber_some", reasons=reasons,
                 centers=_before_cjk(t, t("and_join").join(row["center_name"] for row in amber)))
    also = [t("rollup_brief_amber_also", center=_before_cjk(t, row["center_name"]),
              reasons=own(row, [name for name in flags[row["center_id"]] if name not in shared])) for row in amber
            if any(name not in shared for name in flags[row["center_id"]])]
    return t.join([head, *also]) + t("rollup_full_stop")


def _all_of(t: Translator, key: str, count: int, total: int, **values) -> str:
    """`key`, or its `_all` form when every center is meant ("All 3 centers…", "Both centers…")."""
    if count == total and count > 1:
        return t(f"{key}_all_two" if count == 2 else f"{key}_all", count=count, total=total, **values)
    if count == total == 1 and t.has(f"{key}_all_one"):
        return t(f"{key}_all_one", total=total, **values)
    return t(key, count=count, total=total, **values)


def group_brief(t: Translator, month: Month, rows: list[dict], policies: dict[str, Policy],
                reasons: dict[str, Unavailable]) -> list[str]:
    """At most eight sentences, most urgent first (SPEC §10 In brief, for the group); `reasons`: why each center
    not available is not (unavailable_reason), by center id."""
    available = [row for row in rows if row["available"]]
    unavailable = [row for row in rows if not row["available"]]
    sentences = []

    red = [row for row in available if row["status"] == "red"]
    amber_said = _amber_sentence(t, [row for row in available if row["status"] == "amber"], len(available), policies)
    if red:
        items = [t("rollup_brief_red_item", center=row["center_name"], n=f"{row['headcount']:,}", why=t.join(
            status_reasons(t, row, policies[row["center_id"]], {"csat_responses": row["csat_responses"]})[0]))
            for row in red]
        sentences.append(t("sentence_separator").join(part for part in (
            t("rollup_brief_red", count=len(red), total=len(available), items=_listed(t, items)), amber_said) if part))
    elif available:
        sentences.append(t("sentence_separator").join(part for part in (t("rollup_brief_no_red"), amber_said) if part))

    if unavailable:
        # each center's reason a sentence of its own
        said = [t("rollup_brief_unavailable_item", center=row["center_name"],
                  reason=unavailable_text(t, reasons[row["center_id"]])) for row in unavailable[:LISTED]]
        if len(unavailable) > LISTED:
            said.append(t("rollup_brief_unavailable_more", count=len(unavailable) - LISTED))
        sentences.append(t("rollup_brief_unavailable", count=len(unavailable), total=len(rows),
                           items=t("sentence_separator").join(said)))

    missed = sorted((found for row in available if (found := _missed(t, row)) is not None), key=lambda m: -m[0])
    met = len(available) - len(missed)
    if missed:
        sentences.append(_all_of(t, "rollup_brief_missed", len(missed), len(available),
                                 items=_listed(t, [text for _, text in missed]))
                         + (t("sentence_separator") + t("rollup_brief_met_rest", count=met) if met else ""))
    elif available:
        sentences.append(t("rollup_brief_all_met", count=len(available)))

    moves = []
    for row in available:
        for field in TESTED:
            change = center_change(row, field)
            if change is None or not change.beyond_noise:
                continue
            moves.append((change.delta > 0, -abs(change.test.statistic), t(
                "rollup_move_up" if change.delta > 0 else "rollup_move_down", center=row["center_name"], kpi=t(field),
                change=_amount(t, field, change_text(t, change, unsigned=True)), value=t.value(field, change.now),
                n_before=f"{change.test.n_before:,}", n=f"{change.test.n_now:,}")))
    moves.sort(key=lambda move: move[:2])  # declines first, the surest first
    compared = [row for row in available if row["status_last_month"] is not None]
    if moves:
        shown = [text for _, _, text in moves[:LISTED]]
        sentences.append(t("rollup_brief_moves_more", shown=LISTED, count=len(moves), items=t.join(shown))
                         if len(moves) > LISTED else t("rollup_brief_moves", items=t.join(shown)))
    elif compared:
        sentences.append(t("rollup_brief_no_moves", count=len(compared)))
    elif available:
        sentences.append(t("rollup_brief_no_last_month"))

    worse = [t("brief_worse_item", team=row["center_name"], before=t(f"status_{row['status_last_month']}"),
               now=t(f"status_{row['status']}")) for row in compared
             if STATUS_ORDER.get(row["status"], 0) > STATUS_ORDER.get(row["status_last_month"], 0)]
    if worse:
        sentences.append(t("brief_worse", items=_listed(t, worse)))

    awarded = [row for row in available if row["awards"]]
    if awarded:
        totals = {award: sum(row[f"awards_{award}"] or 0 for row in available) for award in AWARDS}
        counted = [f"{t(f'award_{award}')} {count}" for award, count in totals.items() if count]
        count = sum(totals.values())
        all_key = "rollup_brief_awards_all_two" if len(awarded) == 2 else "rollup_brief_awards_all"
        sentences.append(t(all_key, count=count, total=len(available), items=t.join(counted))
                         if len(awarded) == len(available) > 1 and count > 1 else
                         t("rollup_brief_awards", count=count, centers=len(awarded), total=len(available),
                           items=t.join(counted)))
    elif available:
        sentences.append(t("brief_no_awards"))

    if available:
        sentences.append(_data_sentence(t, available))
    return [sentence for sentence in sentences if sentence][:MAX_SENTENCES]


def _data_sentence(t: Translator, available: list[dict]) -> str:
    flagged = sorted((row for row in available if row["flagged_evaluators"]),
                     key=lambda row: -row["flagged_evaluators"])
    quarantined = sorted((row for row in available if row["rows_quarantined"]),
                         key=lambda row: -row["rows_quarantined"] / max(row["rows_read"] or 1, 1))
    read = sum(row["rows_read"] or 0 for row in available)
    parts = []
    if flagged:
        parts.append(t("rollup_brief_flagged", count=sum(row["flagged_evaluators"] for row in flagged),
                       centers=len(flagged), items=_listed(t, [
                           t("rollup_count_item", center=row["center_name"], count=row["flagged_evaluators"])
                           for row in flagged])))
    if quarantined:
        parts.append(t("rollup_brief_quarantined", rows=f"{sum(row['rows_quarantined'] for row in quarantined):,}",
                       read=f"{read:,}", items=_listed(t, [
                           t("rollup_share_item", center=row["center_name"], count=f"{row['rows_quarantined']:,}",
                             share=percent(row["rows_quarantined"] / row["rows_read"] if row["rows_read"] else None))
                           for row in quarantined])))
    if not parts:
        return t("rollup_brief_data_clean", read=f"{read:,}", count=len(available))
    return t("rollup_brief_data", items=t.join(parts))


# --- tables ------------------------------------------------------------------------------------------------------

def _change_cells(t: Translator, row: dict, field: str) -> tuple[str, str, bool]:
    """(the change with its arrow, last month's figure with its n, whether the printed figures do not subtract)."""
    change = center_change(row, field)
    if change is None:  # said once a row, under the first change: three times would only lengthen the table
        return MISSING, t("no_last_month") if field == SHOWN_CHANGES[0] and row["status_last_month"] is None else "", \
            False
    rounded = not subtracts(t, change)
    said = " ".join(part for part in (change_text(t, change), arrow(change)) if part) + ("*" if rounded else "")
    n_before = {"csat": "csat_responses", "qa_score": "qa_evals", "attendance_rate": "required_shifts"}[field]
    n = row[f"{n_before}_last_month"]
    before = t("rollup_before_n", value=t.value(field, change.before), n=f"{n:,}") if n is not None \
        else t("rollup_before", value=t.value(field, change.before))
    return said, before, rounded


def _status_why(t: Translator, row: dict, policy: Policy) -> str:
    """"Red: …. Also amber: …." (reports/status.py's reasons, each with what to do); empty for a green center."""
    red, amber = status_reasons(t, row, policy, {"csat_responses": row["csat_responses"]})
    parts = [t("rollup_why_red", items=t.join(red))] if red else []
    if amber:
        parts.append(t("rollup_why_amber_also" if red else "rollup_why_amber", items=t.join(amber)))
    return t("sentence_separator").join(parts)


def _also_under(t: Translator, row: dict) -> str:
    """The targets missed that are no reason of the status (the QA score never is), as "Also under target: QA score
    88.0 vs 90 (does not change the status)."; empty when there is none."""
    flagged = _amber_flags(row)
    items = [t("rollup_also_under_item", kpi=t(field), value=t.value(field, row[field]),
               target=t.threshold(field, row[_target_key(field)]))
             for field in ("csat", "qa_score") if field not in flagged and row[field] is not None
             and row[_target_key(field)] is not None and row[field] < row[_target_key(field)]]
    return t("rollup_also_under", items=t("rollup_within_join").join(items)) if items else ""


DEFAULT_TARGETS = {"csat_target": Policy().csat_target, "qa_target": Policy().qa_target}


def _side_by_side_row(t: Translator, row: dict, policy: Policy, reason: Unavailable | None) -> dict:
    if not row["available"]:
        return {"center": row["center_name"], "available": False, "status": UNAVAILABLE,
                "status_label": t("rollup_status_unavailable"), "why": unavailable_text(t, reason)}
    cells = {field: _change_cells(t, row, field) for field in SHOWN_CHANGES}

    def target(key, field):
        if row[key] is None:
            return ""
        # a center whose policy sets no target of its own is measured against the default: said, for the director
        default = float(row[key]) == float(DEFAULT_TARGETS[key])
        return t("rollup_target_default" if default else "target", value=t.threshold(field, row[key]))

    return {
        "center": row["center_name"], "available": True, "status": row["status"],
        "status_label": t(f"status_{row['status']}"), "headcount": f"{row['headcount']:,}",
        "csat": with_n(t.value("csat", row["csat"]), row["csat_responses"], policy.min_csat_responses),
        "csat_target": target("csat_target", "csat"),
        "qa_score": with_n(t.value("qa_score", row["qa_score"]), row["qa_evals"]),
        "qa_target": target("qa_target", "qa_score"),
        "attendance": with_n(t.value("attendance_rate", row["attendance_rate"]), row["required_shifts"]),
        **{f"{field}_change": cells[field][0] for field in SHOWN_CHANGES},
        **{f"{field}_before": cells[field][1] for field in SHOWN_CHANGES},
        "rounded": any(cell[2] for cell in cells.values()),
        "why": _status_why(t, row, policy),
        "also_under": _also_under(t, row),
    }


def _counts_row(t: Translator, row: dict) -> dict:
    if not row["available"]:
        return {"center": row["center_name"], "cells": [MISSING] * (len(AWARDS) + 1), "flagged": MISSING,
                "read": MISSING, "quarantined": MISSING}
    quarantine_share = row["rows_quarantined"] / row["rows_read"] if row["rows_read"] else None
    return {
        "center": row["center_name"],
        "cells": [_count(row[f"awards_{award}"]) for award in AWARDS] + [_count(row["awards"])],
        "flagged": t("rollup_of", count=_count(row["flagged_evaluators"]), total=_count(row["evaluators"]))
        if row["evaluators"] is not None else MISSING,
        "read": _count(row["rows_read"]),
        "quarantined": f"{_count(row['rows_quarantined'])} ({percent(quarantine_share)})"
        if quarantine_share is not None else _count(row["rows_quarantined"]),
    }


def _count(value) -> str:
    return MISSING if value is None else f"{value:,}"


def _counts_total(t: Translator, rows: list[dict]) -> dict:
    available = [row for row in rows if row["available"]]

    def total(name):
        return sum(row[name] or 0 for row in available)

    read, quarantined = total("rows_read"), total("rows_quarantined")
    return {"center": t("total"),
            "cells": [_count(total(f"awards_{award}")) for award in AWARDS] + [_count(total("awards"))],
            "flagged": t("rollup_of", count=_count(total("flagged_evaluators")), total=_count(total("evaluators"))),
            "read": _count(read), "quarantined": f"{quarantined:,} ({percent(quarantined / read if read else None)})"}


def _health_rows(t: Translator, rows: list[dict]) -> list[dict]:
    """The centers' whole-center figures, the ones not available too ("—"), red first."""
    shown = []
    for row in by_status(rows):
        if not row["available"]:
            shown.append({"team": row["center_name"], "status": UNAVAILABLE,
                          "status_label": t("rollup_status_unavailable"), "available": False})
            continue
        cells = _health_row(t, {**row, "team_id": row["center_id"], "flags": row["flags"] or ""}, {})
        # the shares the status lines say to the percent, as they say them (one figure, one rounding, in one report)
        cells.update(untimely=with_n(percent(row["untimely_action_share"], 0), row["penalties"] + row["rewards"]),
                     qa_coverage=with_n(percent(row["qa_coverage"], 0), row["headcount"]))
        # the center's own name (an id may be anything, `ALL` too); why each status: under Centers side by side
        shown.append({**cells, "team": row["center_name"], "flags": "", "available": True})
    return shown


def _health_rule(t: Translator, policies: list[Policy]) -> str:
    """The red and amber rules, with the severe penalties' limit when every center has the same one."""
    limits = {policy.severe_penalty_red_per_100 for policy in policies}
    return t("rollup_health_rule", limit=t.threshold("severe_penalty_rate_per_100", limits.pop())) \
        if len(limits) == 1 else t("health_rule")


def _words(t: Translator, month: Month, row: dict, policy: Policy) -> bool:
    """Whether the report can word this center's row: every part of the report that is the center's own, tried on
    it alone. group_health checks what it reads (metrics/group.py); this is the last line of defence, so that a row
    no check foresaw leaves that center out, not the group director without a report."""
    try:
        group_brief(t, month, [row], {row["center_id"]: policy}, {})
        _side_by_side_row(t, row, policy, None)
        _health_rows(t, [row])
        _counts_row(t, row)
        _counts_total(t, [row])
    except Exception:  # noqa: BLE001 -- whatever it is, it is this center's, and the others still get their report
        return False
    return True


def worded_rows(t: Translator, month: Month, health: pl.DataFrame, policies: dict[str, Policy]) -> list[dict]:
    """group_health's rows, a center available whose row the report cannot word made not available (unreadable)."""
    rows = health.to_dicts()
    for index, row in enumerate(rows):
        if row["available"] and not _words(t, month, row, policies.get(row["center_id"], Policy())):
            reason = Unavailable("unreadable", row["month"], file=MONTH_FOLDER)
            rows[index] = {**dict.fromkeys(row), "month": row["month"], "center_id": row["center_id"],
                           "center_name": row["center_name"], "available": False, "reason": reason.text}
    return rows


def group_report_context(group: Group, month: Month, health: pl.DataFrame, centers: list[CenterMonth]) -> dict:
    """What the group report prints, in the group's language; `health` is group_health's frame."""
    t = Translator(group.language)
    by_id = {center.center.id: center for center in centers}
    policies = {center.center.id: _policy(center) for center in centers}
    rows = worded_rows(t, month, health, policies)
    reasons = {}
    for row in rows:
        policies.setdefault(row["center_id"], Policy())
        if not row["available"]:
            reasons[row["center_id"]] = unavailable_reason(by_id[row["center_id"]], row) \
                if row["center_id"] in by_id else Unavailable("not_run", row["month"])
    title = t("rollup_title", group=group.name)
    side_by_side = by_status([_side_by_side_row(t, row, policies[row["center_id"]], reasons.get(row["center_id"]))
                              for row in rows])
    available = [row for row in rows if row["available"]]
    compared = any(row["status_last_month"] is not None for row in available)
    return {
        "lang": group.language,
        "title": title,
        "month": str(month),
        "generated_at": GENERATED_AT,  # the renderer puts the time in (reports/stamp.py)
        "footer_meta": t("footer_meta", title=title, month=str(month), when=GENERATED_AT),
        "keep_names": unbroken_names,
        "small_sample_note": t("rollup_small_sample_note"),
        "small_sample_shown": any("†" in row.get("csat", "") for row in side_by_side),
        "coverage": t("rollup_coverage_all" if len(available) == len(rows) else "rollup_coverage",
                      count=len(rows), available=len(available), total=len(rows)),
        "brief": group_brief(t, month, rows, policies, reasons),
        "centers": side_by_side,
        # ▲▼ and the rounding footnote only where a change is shown: no center with last month, no change
        "changes_note": t("rollup_changes_note") if compared else "",
        "rounding_note": t("changes_rounding_note") if any(row.get("rounded") for row in side_by_side) else "",
        "health": _health_rows(t, rows) if available else [],
        "health_rule": _health_rule(t, [policies[row["center_id"]] for row in available]) if available else "",
        "award_names": [t(f"award_{award}") for award in AWARDS],
        "counts": [_counts_row(t, row) for row in rows],
        "counts_total": _counts_total(t, rows),
        "health_rows": rows,  # group_health's rows as the report took them (worded_rows): the manifest counts these
    }


def _earlier(out_folder: Path) -> Earlier:
    """The last rendering's fingerprint and time, and its bytes when the file is still the one recorded: an
    unchanged report keeps its time and bytes (SPEC §11: no correction for a report whose content is the same)."""
    entry = read_manifest(out_folder).get(GROUP_REPORT_FILE)
    if entry is None:
        return Earlier()
    target = out_folder / GROUP_REPORT_FILE
    try:
        data = target.read_bytes() if target.is_file() and not target.is_symlink() else b""
    except OSError:
        data = b""
    if data and entry.sha256 and hashlib.sha256(data).hexdigest() == entry.sha256:
        return Earlier(entry.fingerprint, entry.generated_at, data, entry.pages)
    return Earlier(entry.fingerprint, entry.generated_at)


def write_group_report(group: Group, month: Month, health: pl.DataFrame, centers: list[CenterMonth],
                       out_folder: Path, renderer: Renderer | None = None) -> Path:
    """`<out_folder>/group_report.pdf` (out_folder: the group's month folder), laid out and written whole as the
    center report is (lay_out, then write_checked), and recorded in that folder's manifest.json as kind GROUP."""
    out_folder = Path(out_folder)
    target = out_folder / GROUP_REPORT_FILE
    context = group_report_context(group, month, health, centers)
    laid_out = (renderer or Renderer()).lay_out(GROUP_TEMPLATE, context, _earlier(out_folder), GROUP_TIMEZONE)
    rendered = write_checked(target, laid_out)
    statuses = [row["status"] for row in context["health_rows"] if row["available"]]
    worst = max(statuses, key=lambda status: STATUS_ORDER.get(status, 0), default="")
    entry = ReportEntry(report=GROUP_REPORT_FILE, kind=GROUP, team_id=None, title=context["title"], address=None,
                        sha256=rendered.sha256, pages=rendered.pages, fingerprint=rendered.fingerprint,
                        generated_at=rendered.generated_at, summary=list(rendered.summary), status=worst,
                        teams_by_status=dict(Counter(statuses)))
    record_reports(out_folder, str(month), GROUP, [entry])
    return target
