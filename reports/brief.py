"""In brief (SPEC §10): at most eight short sentences that open each report and its email, most
urgent first, each with its figure and sample size, so a reader who stops there knows what to act
on. The center's names no agent except award winners; a team's names its own people."""

from __future__ import annotations

import polars as pl

from metrics.awards import AWARDS
from metrics.health import CENTER
from metrics.changes import TESTED
from reports.changes import change_text, month_change
from reports.comparison import TEAMS_IN_FULL
from reports.i18n import Translator, number
from reports.inputs import ReportInputs, group_sizes, last_month_row, team_names
from reports.status import status_reasons

MAX_SENTENCES = 8
LISTED = 3  # names or teams listed in one sentence before "and N more"
STATUS_ORDER = {"green": 0, "amber": 1, "red": 2}
# The changes on last month worth a sentence: only those beyond sampling noise (SPEC §10), the surest first.
MOVES = TESTED


def _listed(t: Translator, items: list[str]) -> str:
    shown = t.join(items[:LISTED])
    return shown + (t("and_more", n=len(items) - LISTED) if len(items) > LISTED else "")


def _gap(t: Translator, field: str, gap: float) -> str:
    return t.change(field, gap).lstrip("+") + ("" if field == "csat" else " " + t("unit_points"))


def _status_sentence(t: Translator, key: str, row: dict, inputs: ReportInputs, sizes: dict, n) -> str:
    """"… is red (its red reasons, each with what to do)." and the amber reasons apart: an amber-level reason is
    never given as a cause of red (SPEC §10 "Why a status")."""
    red, amber = status_reasons(t, row, inputs.policy, sizes)
    said = t(f"{key}_{row['status']}", why=t.join(red if row["status"] == "red" else amber), n=n)
    return said + (t("sentence_separator") + t("status_why_amber_also", items=t.join(amber)) if red and amber else "")


def _missed_targets(t: Translator, inputs: ReportInputs, row: dict, sizes: dict) -> str:
    policy = inputs.policy
    missed, met = [], []
    for field, target, n in (("csat", policy.csat_target, sizes["csat_responses"]),
                             ("qa_score", policy.qa_target, sizes["qa_evals"])):
        value = row[field]
        if value is None:
            continue
        item = {"kpi": t(field), "value": t.value(field, value), "n": f"{n:,}", "target": t.threshold(field, target)}
        if value < target:
            missed.append(t("brief_missed_item", gap=_gap(t, field, target - value), **item))
        else:
            met.append(t("brief_met_item", **item))
    # No response at all is no CSAT of 100% or 0%: the reader must not take silence for a met target.
    unknown = t("brief_no_csat") if sizes["csat_responses"] == 0 else ""
    if missed:
        said = t("brief_missed", items=t.join(missed)) + (" " + t("brief_met", items=t.join(met)) if met else "")
    else:
        said = t("brief_met", items=t.join(met)) if met else ""
    return " ".join(part for part in (unknown, said) if part)


MOVES_LISTED = 3


def _moves(t: Translator, inputs: ReportInputs, scope: list[str], names: dict[str, str] | None = None) -> str:
    """The largest changes on last month among `scope` (team ids, CENTER), declines first: only those beyond
    sampling noise (|z| or Welch |t| ≥ 1.96), each with both months' n; a move within noise is never called out.
    Without `names`, the scope is the reader's own team, which needs no naming. Says how many there are in all
    when it lists only the largest, so that the arrows of the tables never outnumber the brief unexplained."""
    moves = []
    for team_id in scope:
        for field in MOVES:
            change = month_change(inputs.trend, inputs.month, team_id, field)
            if change is None or not change.beyond_noise:
                continue
            key = ("brief_move_up" if change.delta > 0 else "brief_move_down") if names is not None \
                else ("brief_own_move_up" if change.delta > 0 else "brief_own_move_down")
            moves.append((change.delta > 0, -abs(change.test.statistic), t(
                key, who=(names or {}).get(team_id, team_id), kpi=t(field), change=change_text(t, change, unsigned=True),
                before=t.value(field, change.before), value=t.value(field, change.now),
                n_before=f"{change.test.n_before:,}", n=f"{change.test.n_now:,}")))
    moves.sort(key=lambda move: move[:2])
    items = t.join([text for _, _, text in moves[:MOVES_LISTED]])
    if len(moves) > MOVES_LISTED:
        return t("brief_moves_more", shown=MOVES_LISTED, count=len(moves), items=items)
    return t("brief_moves", items=items) if moves else ""


def _worse(t: Translator, inputs: ReportInputs, names: dict[str, str], scope: list[str]) -> str:
    worse = []
    for row in inputs.health.filter(pl.col("team_id").is_in(scope)).sort("team_id").iter_rows(named=True):
        last = last_month_row(inputs.trend, inputs.month, row["team_id"])
        if last and last.get("status") and STATUS_ORDER[row["status"]] > STATUS_ORDER[last["status"]]:
            worse.append(t("brief_worse_item", team=names.get(row["team_id"], row["team_id"]),
                           before=t(f"status_{last['status']}"), now=t(f"status_{row['status']}")))
    return t("brief_worse", count=len(worse), items=_listed(t, worse)) if worse else ""


def _evaluator(t: Translator, row: dict) -> str:
    return t("brief_evaluator_item", evaluator=row["evaluator_id"], points=number(abs(row["leniency"])),
             direction=t("lenient" if row["leniency"] > 0 else "harsh"), pairs=row["paired_evaluations"])


def _data(t: Translator, inputs: ReportInputs) -> str:
    quarantined = int(inputs.data_quality["rows_quarantined"].sum())
    read = int(inputs.data_quality["rows_read"].sum())
    failed = inputs.expectations.filter(~pl.col("passed"))
    flagged = inputs.calibration.filter(pl.col("flagged")).sort([pl.col("leniency").abs(), "evaluator_id"],
                                                                descending=[True, False])
    parts = []
    if flagged.height:  # scores everyone's rank and awards rest on
        parts.append(t("brief_flagged_evaluators", count=flagged.height, items=_listed(
            t, [_evaluator(t, row) for row in flagged.iter_rows(named=True)])))
    if quarantined:
        by_source = inputs.data_quality.filter(pl.col("rows_quarantined") > 0).sort(
            ["rows_quarantined", "source"], descending=[True, False])
        top = [t("brief_source_rows", source=t.source(s), rows=f"{n:,}")
               for s, n in by_source.head(LISTED).select("source", "rows_quarantined").iter_rows()]
        rest = by_source.slice(LISTED)
        sources = t("brief_source_separator").join(top) + (t("brief_other_sources", count=rest.height,
                                   rows=f"{int(rest['rows_quarantined'].sum()):,}") if rest.height else "")
        parts.append(t("brief_quarantined", rows=f"{quarantined:,}", read=f"{read:,}", sources=sources))
    if failed.height:
        parts.append(t("brief_checks_failed", count=failed.height, items=_listed(
            t, [t(f"expectation_{row['expectation']}") for row in failed.iter_rows(named=True)])))
    if inputs.warnings.height:
        parts.append(t("brief_warnings", count=inputs.warnings.height))
    if not parts:
        return t("brief_data_clean", rows=f"{read:,}", checks=inputs.expectations.height)
    return t("brief_data", items=t.join(parts))


def center_brief(inputs: ReportInputs) -> list[str]:
    t = Translator(inputs.policy.language)
    names = team_names(inputs)
    sizes = group_sizes(inputs.scorecard)
    health = inputs.health.filter(pl.col("team_id") != CENTER).filter(pl.col("team_id").is_in(list(sizes)))
    center = inputs.health.filter(pl.col("team_id") == CENTER).row(0, named=True)
    sentences = []

    red = health.filter(pl.col("status") == "red").sort("team_id")
    whole = _status_sentence(t, "brief_center", center, inputs, sizes[CENTER], f"{center['headcount']:,}")
    if red.height:
        teams = [t("brief_red_item", team=names.get(row["team_id"], row["team_id"]),
                   why=t.join(status_reasons(t, row, inputs.policy, sizes.get(row["team_id"]))[0]),
                   n=row["headcount"]) for row in red.iter_rows(named=True)]
        sentences.append(t("brief_red", count=red.height, total=health.height, items=_listed(t, teams)) + " " + whole)
    else:
        amber = health.filter(pl.col("status") == "amber").height
        sentences.append(t("brief_no_red", count=amber, total=health.height) + " " + whole)
    sentences.append(_missed_targets(t, inputs, center, sizes[CENTER]))
    sentences.append(_moves(t, inputs, [CENTER, *health["team_id"].to_list()], {**names, CENTER: t("center_all")}))
    sentences.append(_worse(t, inputs, names, health["team_id"].to_list()))

    coached = inputs.coaching.filter(pl.col("on_coaching_list"))
    new_hires = inputs.coaching.filter(pl.col("new_hire"))
    if coached.height or new_hires.height:
        sentences.append(t("brief_coaching_center", count=coached.height, teams=coached["team_id"].n_unique(),
                           agents=f"{sizes[CENTER]['headcount']:,}", new_hires=new_hires.height))

    counts = [(award, inputs.winners.filter(pl.col("award") == award).height) for award in AWARDS]
    # beyond TEAMS_IN_FULL teams Awards counts the perfect-attendance winners per site instead of naming them
    bounded = health.height > TEAMS_IN_FULL
    sentences.append(t("brief_awards_center_bounded" if bounded else "brief_awards_center", count=inputs.winners.height,
                       agents=inputs.winners["agent_id"].n_unique(),
                       items=t.join([f"{t(f'award_{award}')} {count}" for award, count in counts if count]))
                     if inputs.winners.height else t("brief_no_awards"))
    sentences.append(_data(t, inputs))

    unaddressed = sorted((team_id, why) for team_id, why in inputs.unaddressed.items() if team_id in sizes)  # a report
    undelivered = [t("brief_undelivered_item", team=names.get(team_id, team_id), why=t(f"unaddressed_{why}"))
                   for team_id, why in unaddressed if why != "shared_address"]
    # Teams of different supervisors on one address (SPEC §11): withheld, named together in one short sentence.
    withheld = [names.get(team_id, team_id) for team_id, why in unaddressed if why == "shared_address"]
    # SPEC §11: the center report's email carries the team reports that cannot go to their supervisors.
    attached = "_attached" if inputs.policy.center_report_recipients else ""
    if not attached:
        undelivered.insert(0, t("brief_center_unaddressed"))
    delivery = [t(f"brief_undelivered{attached}", count=len(undelivered), items=_listed(t, undelivered))
                if undelivered else "",
                t(f"brief_withheld{attached}", count=len(withheld), items=_listed(t, withheld)) if withheld else ""]
    sentences.append(" ".join(part for part in delivery if part))
    return [s for s in sentences if s][:MAX_SENTENCES]


def team_brief(inputs: ReportInputs, team_id: str) -> list[str]:
    t = Translator(inputs.policy.language)
    row = inputs.health.filter(pl.col("team_id") == team_id).row(0, named=True)
    sizes = group_sizes(inputs.scorecard)[team_id]
    sentences = []
    sentences.append(_status_sentence(t, "brief_team", row, inputs, sizes, row["headcount"]))
    premature = inputs.ledger.filter((pl.col("kind") == "penalty") & pl.col("complaint_id").is_not_null()
                                     & (pl.col("complaint_status") != "substantiated")).sort("action_date")
    if premature.height:  # what to review first: a penalty on one side's word (seed 000 rule 9)
        names = dict(inputs.scorecard.select("agent_id", "agent_name").iter_rows())
        sentences.append(t("brief_premature_team", count=premature.height, items=t.join([
            t("brief_premature_item", name=names.get(r["agent_id"], r["agent_id"]), category=t(f"category_{r['category']}"),
              complaint=r["complaint_id"], status=t(f"complaint_status_{r['complaint_status']}"))
            for r in premature.iter_rows(named=True)])))
    sentences.append(_missed_targets(t, inputs, row, sizes))
    sentences.append(_moves(t, inputs, [team_id]))

    coached = inputs.coaching.filter(pl.col("on_coaching_list")).sort("agent_name")
    new_hires = inputs.coaching.filter(pl.col("new_hire")).sort("agent_name")  # all of them, as the center brief counts
    parts = []
    if coached.height:
        card = {row["agent_id"]: row for row in inputs.scorecard.iter_rows(named=True)}
        names = [t("with_note", name=r["agent_name"], note=t.join(
            [coaching_reason(t, reason, card[r["agent_id"]]) for reason in r["reasons"].split(";")]))
            for r in coached.iter_rows(named=True)]
        parts.append(t("brief_coaching_team", count=coached.height, items=t.join(names)))
    if new_hires.height:
        parts.append(t("brief_new_hires", count=new_hires.height, items=t.join(new_hires["agent_name"].to_list())))
    if parts:
        sentences.append(" ".join(parts))

    flagged = inputs.calibration.filter(pl.col("flagged"))
    by_flagged = inputs.evaluations.filter(pl.col("evaluator_id").is_in(flagged["evaluator_id"].implode()))
    if by_flagged.height:
        shown = flagged.filter(pl.col("evaluator_id").is_in(by_flagged["evaluator_id"].implode()))
        sentences.append(t("brief_team_evaluators", count=by_flagged.height, total=inputs.evaluations.height,
                           items=t.join([_evaluator(t, row) for row in shown.iter_rows(named=True)])))

    if inputs.winners.height:
        awards: dict[str, list[str]] = {}
        for r in inputs.winners.iter_rows(named=True):
            awards.setdefault(r["agent_name"], []).append(t("award_" + r["award"]))
        won = [t("with_note", name=name, note=t("and_join").join(titles)) for name, titles in awards.items()]
        sentences.append(t("brief_awards_team", count=len(won), items=t.join(won)))
    attention = inputs.scorecard.filter(pl.col("ranked") & (pl.col("cohort_percentile") >= 0.9)
                                        & (pl.col("penalties") >= 1))
    if attention.height:
        sentences.append(t("brief_attention", items=t.join(
            [t("with_note", name=r["agent_name"], note=r["penalties"]) for r in attention.iter_rows(named=True)])))
    if team_id in inputs.unaddressed:
        sentences.append(t("brief_team_unaddressed", why=t(f"unaddressed_{inputs.unaddressed[team_id]}")))
    return [s for s in sentences if s][:MAX_SENTENCES]


def coaching_reason(t: Translator, reason: str, row: dict) -> str:
    """Why an agent is coached (SPEC §7), with their own figure and its n ("QA score 74.0 < 80 (n=4)")."""
    return t(f"coach_{reason}", score=number(row["qa_score"]), evals=row["qa_evals"],
             errors=row["qa_critical_errors"], late=row["serious_late_count"], worked=row["worked_shifts"],
             rank=row.get("cohort_rank"), size=row.get("cohort_size"),
             cohort=t(f"shift_{row['shift_pattern']}"))
