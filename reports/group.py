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
from collections import Counter
from pathlib import Path

import polars as pl

from core.centers import Group
from core.errors import PolicyError
from core.manifest import GROUP, ReportEntry, read_manifest, record_reports
from core.months import Month
from core.policy import RECORDED_POLICY, Policy, load_policy
from metrics.awards import AWARDS
from metrics.group import CenterMonth, no_finished_run
from reports.changes import Change, arrow, change_between, change_text, subtracts
from reports.context import _health_row, by_status
from reports.i18n import MISSING, Translator, percent, unbroken_names, with_n
from reports.render import Earlier, Renderer, write_checked
from reports.stamp import GENERATED_AT
from reports.status import status_reasons, status_why

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


def _policy(center_month: CenterMonth) -> Policy:
    """The policy the center's month was run with (its wording of a status needs timely_days, min_qa_evals)."""
    path = center_month.folder / RECORDED_POLICY if center_month.folder is not None else None
    if path is None or not path.is_file():
        return Policy()
    try:
        return load_policy(path)
    except PolicyError:
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


def _reason_text(t: Translator, reason: str, month: Month) -> str:
    """Why a center is not available, in the report's language where it is ours; the caller's words otherwise."""
    return t("rollup_no_finished_run", month=str(month)) if reason == no_finished_run(month) else reason


def _listed(t: Translator, items: list[str]) -> str:
    shown = t.join(items[:LISTED])
    return shown + (t("and_more", n=len(items) - LISTED) if len(items) > LISTED else "")


def _gap(t: Translator, field: str, gap: float) -> str:
    return t.change(field, gap).lstrip("+") + ("" if field == "csat" else " " + t("unit_points"))


def _missed(t: Translator, row: dict) -> tuple[float, str] | None:
    """How far the center is under its own targets (the largest shortfall, relative, for the order) and in words;
    None when it met both, or has no target or figure to compare."""
    items, worst = [], 0.0
    for field, n in (("csat", row["csat_responses"]), ("qa_score", row["qa_evals"])):
        value, target = row[field], row[f"{'csat' if field == 'csat' else 'qa'}_target"]
        if value is None or target is None or value >= target:
            continue
        worst = max(worst, (target - value) / target if target else 0.0)
        items.append(t("rollup_missed_kpi", kpi=t(field), value=t.value(field, value),
                       n=f"{n:,}" if n is not None else "?", gap=_gap(t, field, target - value),
                       target=t.threshold(field, target)))
    # "and" between one center's figures; the list separator between centers
    return (worst, t("rollup_missed_item", center=row["center_name"], items=t("and_join").join(items))) if items \
        else None


def group_brief(t: Translator, month: Month, rows: list[dict], policies: dict[str, Policy]) -> list[str]:
    """At most eight sentences, most urgent first (SPEC §10 In brief, for the group)."""
    available = [row for row in rows if row["available"]]
    unavailable = [row for row in rows if not row["available"]]
    sentences = []

    red = [row for row in available if row["status"] == "red"]
    amber = [row["center_name"] for row in available if row["status"] == "amber"]
    amber_said = t("rollup_brief_amber", count=len(amber), items=_listed(t, amber)) if amber else ""
    if red:
        items = [t("rollup_brief_red_item", center=row["center_name"], n=f"{row['headcount']:,}", why=t.join(
            status_reasons(t, row, policies[row["center_id"]], {"csat_responses": row["csat_responses"]})[0]))
            for row in red]
        sentences.append(t("sentence_separator").join(part for part in (
            t("rollup_brief_red", count=len(red), total=len(available), items=_listed(t, items)), amber_said) if part))
    elif available:
        sentences.append(t("sentence_separator").join(
            part for part in (t("rollup_brief_no_red", total=len(available)), amber_said) if part))

    if unavailable:
        sentences.append(t("rollup_brief_unavailable", count=len(unavailable), total=len(rows), items=_listed(
            t, [t("rollup_brief_unavailable_item", center=row["center_name"],
                  reason=_reason_text(t, row["reason"], month)) for row in unavailable])))

    missed = sorted((found for row in available if (found := _missed(t, row)) is not None), key=lambda m: -m[0])
    met = len(available) - len(missed)
    if missed:
        sentences.append(t("rollup_brief_missed", count=len(missed), total=len(available),
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
                change=change_text(t, change, unsigned=True), value=t.value(field, change.now),
                n_before=f"{change.test.n_before:,}", n=f"{change.test.n_now:,}")))
    moves.sort(key=lambda move: move[:2])  # declines first, the surest first
    compared = [row for row in available if row["status_last_month"] is not None]
    if moves:
        shown = [text for _, _, text in moves[:LISTED]]
        sentences.append(t("rollup_brief_moves_more", shown=LISTED, count=len(moves), items=t.join(shown))
                         if len(moves) > LISTED else t("rollup_brief_moves", items=t.join(shown)))
    elif compared:
        sentences.append(t("rollup_brief_no_moves", count=len(compared)))

    worse = [t("brief_worse_item", team=row["center_name"], before=t(f"status_{row['status_last_month']}"),
               now=t(f"status_{row['status']}")) for row in compared
             if STATUS_ORDER.get(row["status"], 0) > STATUS_ORDER.get(row["status_last_month"], 0)]
    if worse:
        sentences.append(t("brief_worse", items=_listed(t, worse)))

    awarded = [row for row in available if row["awards"]]
    if awarded:
        totals = {award: sum(row[f"awards_{award}"] or 0 for row in available) for award in AWARDS}
        counted = [f"{t(f'award_{award}')} {count}" for award, count in totals.items() if count]
        sentences.append(t("rollup_brief_awards", count=sum(totals.values()), centers=len(awarded),
                           total=len(available), items=t.join(counted)))
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


def _side_by_side_row(t: Translator, row: dict, month: Month, policy: Policy) -> dict:
    if not row["available"]:
        return {"center": row["center_name"], "available": False, "status": UNAVAILABLE,
                "status_label": t("rollup_status_unavailable"), "why": _reason_text(t, row["reason"], month)}
    cells = {field: _change_cells(t, row, field) for field in SHOWN_CHANGES}

    def target(key, field):
        return t("target", value=t.threshold(field, row[key])) if row[key] is not None else ""

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
        "why": status_why(t, row, policy, {"csat_responses": row["csat_responses"]}),
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


def group_report_context(group: Group, month: Month, health: pl.DataFrame, centers: list[CenterMonth]) -> dict:
    """What the group report prints, in the group's language; `health` is group_health's frame."""
    t = Translator(group.language)
    rows = health.to_dicts()
    policies = {center.center.id: _policy(center) for center in centers}
    for row in rows:
        policies.setdefault(row["center_id"], Policy())
    title = t("rollup_title", group=group.name)
    side_by_side = by_status([_side_by_side_row(t, row, month, policies[row["center_id"]]) for row in rows])
    available = [row for row in rows if row["available"]]
    health_rows = []
    for row in by_status(available):
        shown = _health_row(t, {**row, "team_id": row["center_id"], "flags": row["flags"] or ""}, {})
        # the center's own name (an id may be anything, `ALL` too); why each status: under Centers side by side
        health_rows.append({**shown, "team": row["center_name"], "flags": ""})
    return {
        "lang": group.language,
        "title": title,
        "month": str(month),
        "generated_at": GENERATED_AT,  # the renderer puts the time in (reports/stamp.py)
        "footer_meta": t("footer_meta", title=title, month=str(month), when=GENERATED_AT),
        "keep_names": unbroken_names,
        "small_sample_note": t("rollup_small_sample_note"),
        "small_sample_shown": any("†" in row.get("csat", "") for row in side_by_side),
        "coverage": t("rollup_coverage", available=len(available), total=len(rows)),
        "brief": group_brief(t, month, rows, policies),
        "centers": side_by_side,
        "changes_note": t("changes_note"),
        "untested_note": t("rollup_qa_untested"),
        "rounding_note": t("changes_rounding_note") if any(row.get("rounded") for row in side_by_side) else "",
        "health": health_rows,
        "award_names": [t(f"award_{award}") for award in AWARDS],
        "counts": [_counts_row(t, row) for row in rows],
        "counts_total": _counts_total(t, rows),
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
    statuses = [row["status"] for row in health.iter_rows(named=True) if row["available"]]
    worst = max(statuses, key=lambda status: STATUS_ORDER.get(status, 0), default="")
    entry = ReportEntry(report=GROUP_REPORT_FILE, kind=GROUP, team_id=None, title=context["title"], address=None,
                        sha256=rendered.sha256, pages=rendered.pages, fingerprint=rendered.fingerprint,
                        generated_at=rendered.generated_at, summary=list(rendered.summary), status=worst,
                        teams_by_status=dict(Counter(statuses)))
    record_reports(out_folder, str(month), GROUP, [entry])
    return target
