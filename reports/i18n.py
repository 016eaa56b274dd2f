"""Message catalogs and number formats for the reports: every label comes from messages/."""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import yaml

MESSAGES = Path(__file__).parent / "messages"
LANGUAGES = ("en", "zh-CN")
MISSING = "—"


@lru_cache(maxsize=None)
def catalog(language: str) -> dict[str, str]:
    return yaml.safe_load((MESSAGES / f"{language}.yaml").read_text(encoding="utf-8"))


class Translator:
    """`t("key", name=value)`: the catalog's text for the report's language, filled in."""

    def __init__(self, language: str):
        if language not in LANGUAGES:
            raise ValueError(f"no message catalog for {language!r} (have {', '.join(LANGUAGES)})")
        self.language = language
        self.messages = catalog(language)

    def __call__(self, key: str, **values) -> str:
        try:
            text = self.messages[key]
        except KeyError as exc:
            raise KeyError(f"message {key!r} missing from messages/{self.language}.yaml") from exc
        return text.format(**values) if values else text

    def criterion(self, criterion: str) -> str:
        """An award criterion as `award_eligibility.csv` spells it (`qa_score>=90`), in words."""
        for operator in (">=", "<=", "=", "<", ">"):
            if operator in criterion:
                name, value = criterion.split(operator, 1)
                symbol = {">=": "≥", "<=": "≤"}.get(operator, operator)
                return f"{self(name)} {symbol} {value}"
        return self(f"criterion_{criterion}")


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def percent(value, decimals: int = 1) -> str:
    return MISSING if _missing(value) else f"{value * 100:.{decimals}f}%"


def number(value, decimals: int = 1) -> str:
    return MISSING if _missing(value) else f"{value:,.{decimals}f}"


def signed(value, decimals: int = 1, scale: float = 1.0, suffix: str = "") -> str:
    if _missing(value):
        return MISSING
    shown = round(value * scale, decimals) + 0.0  # + 0.0 turns -0.0 into 0.0: no "-0.0"
    return f"{shown:+.{decimals}f}{suffix}"


def with_n(text: str, n: int | None, small_below: int | None = None) -> str:
    """A rate with its sample size, marked † when the sample is small (SPEC §10)."""
    if n is None:
        return text
    mark = "†" if small_below is not None and n < small_below else ""
    return f"{text} (n={n}){mark}"


def award_deed(t: Translator, award: str, row: dict, draw) -> str:
    """Why `row` won `award`: the person's deed, in words (seed 003 §四: name, deed and reason)."""
    if award == "service_star":
        top = max(1, round((1 - row["cohort_percentile"]) * 100))
        return t("deed_service_star", top=top, cohort=t(f"shift_{row['shift_pattern']}"),
                 composite=number(row["composite"]), qa=number(row["qa_score"]), csat=percent(row["csat"]),
                 n=row["csat_responses"])
    if award == "perfect_attendance":
        return t("deed_perfect_attendance", shifts=row["required_shifts"])
    if award == "most_improved":
        return t("deed_most_improved", delta=number(row["composite_delta"]), composite=number(row["composite"]))
    return t("deed_lucky_draw", pool=len(draw.pool), seed=draw.seed)
