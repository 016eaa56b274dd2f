"""Why a status (SPEC §10): a team's red and amber reasons in plain words, each with what to do, the
red ones apart from the amber ones, for the brief, the team comparison and the health table."""

from __future__ import annotations

import re

from core.policy import Policy
from reports.i18n import Translator, number, percent

RED_FLAGS = ("severe_penalty_rate_per_100", "premature_complaint_penalties")
_FLAG = re.compile(r"(?P<name>[a-z0-9_]+)(?:>=|<=|<|>|=)(?P<limit>.+)")


def _reason(t: Translator, flag: str, name: str, limit: str, row: dict, policy: Policy, sizes: dict | None) -> str:
    limit_text = t.threshold(name, float(limit))
    if name == "severe_penalty_rate_per_100":
        return t("status_why_severe_penalty_rate_per_100", value=number(row[name]), count=row["severe_penalties"],
                 n=row["headcount"], limit=limit_text)
    if name == "premature_complaint_penalties":
        return t("status_why_premature_complaint_penalties", count=row[name])
    if name == "csat":
        n = (sizes or {}).get("csat_responses", row.get("csat_responses"))
        return t("status_why_csat", value=percent(row[name]), n=f"{n:,}" if n is not None else "?", limit=limit_text)
    if name == "untimely_action_share":
        n = row["penalties"] + row["rewards"]
        return t("status_why_untimely_action_share", count=round(row[name] * n), value=percent(row[name], 0), n=n,
                 days=policy.timely_days)
    if name == "qa_coverage":
        return t("status_why_qa_coverage", value=percent(row[name], 0), n=row["headcount"], min=policy.min_qa_evals,
                 limit=limit_text)
    return t.flag(flag, row)  # a flag this module does not know yet: at least its figure


def status_reasons(t: Translator, row: dict, policy: Policy, sizes: dict | None = None) -> tuple[list[str], list[str]]:
    """(red reasons, amber reasons) of a management_health row, from its `flags`; `sizes` gives the
    CSAT n (reports.inputs.group_sizes)."""
    red, amber = [], []
    for flag in (row.get("flags") or "").split(";"):
        match = _FLAG.fullmatch(flag)
        if match:
            text = _reason(t, flag, match["name"], match["limit"], row, policy, sizes)
            (red if match["name"] in RED_FLAGS else amber).append(text)
    return red, amber


def status_why(t: Translator, row: dict, policy: Policy, sizes: dict | None = None) -> str:
    """"Red: …. Also amber: …." — empty for a green row."""
    red, amber = status_reasons(t, row, policy, sizes)
    parts = [t("status_why_red", items=t.join(red))] if red else []
    if amber:
        parts.append(t("status_why_amber_also" if red else "status_why_amber", items=t.join(amber)))
    return t("sentence_separator").join(parts)
