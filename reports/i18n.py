"""Message catalogs and number formats for the reports: every word comes from messages/.

Besides labels, this turns the machine spellings of the CSVs into words a reader understands, in
the report's language: criteria (`csat>=0.96` → "CSAT ≥ 96%"), health flags, quarantine reasons
and known codes. Rates are shown as percentages wherever a person reads them.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from pathlib import Path

import yaml
from markupsafe import Markup, escape

MESSAGES = Path(__file__).parent / "messages"
LANGUAGES = ("en", "zh-CN")
MISSING = "—"
# Metrics held as fractions in [0, 1]: a person reads them as percentages.
RATE_FIELDS = {"csat", "cohort_percentile", "attendance_rate", "punctuality_rate", "untimely_action_share",
               "qa_coverage", "attrition_rate", "discretionary_deduction_share", "qa_flagged_evaluator_share"}
_OPERATORS = (">=", "<=", "=", "<", ">")
_SYMBOLS = {">=": "≥", "<=": "≤"}


@lru_cache(maxsize=None)
def catalog(language: str) -> dict[str, str]:
    return yaml.safe_load((MESSAGES / f"{language}.yaml").read_text(encoding="utf-8"))


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def percent(value, decimals: int = 1) -> str:
    return MISSING if _missing(value) else f"{value * 100:.{decimals}f}%"


def number(value, decimals: int = 1) -> str:
    return MISSING if _missing(value) else f"{round(value, decimals) + 0.0:,.{decimals}f}"  # never "-0.0"


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
    return f"{text} (n={n:,}){mark}"


def _split(criterion: str) -> tuple[str, str, str] | None:
    for operator in _OPERATORS:
        if operator in criterion:
            name, value = criterion.split(operator, 1)
            return name, operator, value
    return None


class Translator:
    """`t("key", name=value)`: the catalog's text for the report's language, filled in."""

    def __init__(self, language: str):
        if language not in LANGUAGES:
            raise ValueError(f"no message catalog for {language!r} (have {', '.join(LANGUAGES)})")
        self.language = language
        self.messages = catalog(language)

    def __call__(self, key: str, **values) -> str:
        """The message, filled in; `<key>_one` instead when `count` is 1 (English says "1 team", "2 teams")."""
        if values.get("count") in (1, "1") and f"{key}_one" in self.messages:  # "1" from a parsed text
            key = f"{key}_one"
        try:
            text = self.messages[key]
        except KeyError as exc:
            raise KeyError(f"message {key!r} missing from messages/{self.language}.yaml") from exc
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        return key in self.messages

    def join(self, items: list[str]) -> str:
        return self("list_separator").join(items)

    # --- values as a reader reads them ---------------------------------------------------------

    def value(self, field: str, value, decimals: int = 1) -> str:
        """A measured value in its unit: rates as percentages, counts as whole numbers, the rest to a decimal."""
        if _missing(value):
            return MISSING
        if isinstance(value, bool):
            return self("answer_yes" if value else "answer_no")
        if field in RATE_FIELDS:
            return percent(value, decimals)
        if isinstance(value, int):
            return f"{value:,}"
        return number(value, decimals)

    def threshold(self, field: str, value) -> str:
        """A limit or target as a person writes it: 96%, 90, 0.5 (no trailing zeros)."""
        if field in RATE_FIELDS:
            value = value * 100
        text = f"{value:,.2f}".rstrip("0").rstrip(".")
        return text + ("%" if field in RATE_FIELDS else "")

    def change(self, field: str, delta) -> str:
        """A change on last month in the field's unit: percentage points for rates."""
        if field in RATE_FIELDS:
            return signed(delta, 1, 100, " " + self("unit_pt"))
        return signed(delta, 0 if isinstance(delta, int) else 1)

    def criterion(self, criterion: str) -> str:
        """A criterion as the CSVs spell it (`qa_score>=90`, `csat>=0.96`, `ranked`), in words."""
        parts = _split(criterion)
        if parts is None:
            return self(f"criterion_{criterion}")
        name, operator, value = parts
        return f"{self(name)} {_SYMBOLS.get(operator, operator)} {self.threshold(name, float(value))}"

    def unmet(self, unmet: str, row: dict | None = None) -> str:
        """`missing: CSAT ≥ 96% (89.1%); not ranked last month` — what an agent lacks for an award.

        A threshold comes after "missing:" with the agent's own figure; a yes/no condition says what
        the agent is ("not ranked last month", "a new hire"), never the bare condition. A criterion on
        a figure the agent does not have (a percentile when not ranked) is left out: "not ranked",
        with the reason, already says why.
        """
        missing, facts = [], []
        for criterion in (c for c in unmet.split(";") if c):
            text = self.criterion(criterion)
            parts = _split(criterion)
            if parts is None:
                if row is not None and criterion == "ranked" and row.get("not_ranked_reason"):
                    text += f" ({self('reason_' + row['not_ranked_reason'])})"
                facts.append(text)
                continue
            if row is not None and parts[0] in row:
                if row[parts[0]] is None:
                    continue
                text += f" ({self.value(parts[0], row[parts[0]])})"
            missing.append(text)
        separator = self("criteria_separator")
        shown = [self("missing_criteria", criteria=separator.join(missing))] if missing else []
        return separator.join(shown + facts)

    def flag(self, flag: str, row: dict) -> str:
        """A health flag (`csat<0.96`) in words with the team's own figure: "CSAT 89.9% < 96%"."""
        parts = _split(flag)
        if parts is None:
            return flag
        name, operator, limit = parts
        key = f"why_{name}"
        if self.has(key):  # a count or a rate per 100 reads better as a sentence
            value = row.get(name)
            return self(key, count=value, value=self.value(name, value), limit=self.threshold(name, float(limit)))
        return f"{self(name)} {self.value(name, row.get(name))} {_SYMBOLS.get(operator, operator)} " \
               f"{self.threshold(name, float(limit))}"

    def column(self, name: str) -> str:
        key = f"column_{name}"
        return self(key) if self.has(key) else self(name) if self.has(name) else name

    def source(self, name: str) -> str:
        return self(f"source_{name}")

    def code(self, kind: str, code: str) -> str:
        """A known code (`LATE`) in words; a center's own code is data and stays as it is."""
        key = f"{kind}_{code}"
        return self(key) if self.has(key) else code

    def observed(self, text: str) -> str:
        """What a believability check saw (schemas/expectations.py spells it in English) in words."""
        for pattern, key in _OBSERVED:
            match = pattern.fullmatch(text)
            if match:
                return self(key, **match.groupdict())
        return text

    def examples(self, text: str) -> str:
        """A check's examples: `missing: …` dates, or `column=value` pairs (the column in words)."""
        if text.startswith("missing: "):
            return self("obs_missing_list", items=text.removeprefix("missing: "))
        return re.sub(r"\b([a-z_]+)=", lambda match: self.column(match.group(1)) + "=", text)

    def reason(self, reason: str) -> str:
        """A quarantine reason (schemas/validate.py) in the report's language."""
        for pattern, key in _REASONS:
            match = pattern.fullmatch(reason)
            if match:
                fields = {name: (self.column(value) if name.startswith("column") else value)
                          for name, value in match.groupdict().items()}
                if "values" in fields and "column" in match.groupdict():
                    fields["values"] = self.allowed_values(match["column"], fields["values"])
                return self(key, **fields)
        return reason

    def allowed_values(self, column: str, values: str) -> str:
        """`day/night/rotating` (the values a column may take) in words, when every one is known.

        English keeps the codes: they are English words already, and exactly what the file must hold."""
        if self.language == "en":
            return values
        codes = values.split("/")
        for prefix in _VALUE_KEYS.get(column, ()):
            if all(self.has(prefix + code) for code in codes):
                return self("value_separator").join(self(prefix + code) for code in codes)
        return values


# The quarantine reasons schemas/validate.py writes, and the message that says each in words.
_REASONS = [
    (re.compile(r"duplicate (?P<column>\w+)"), "dq_duplicate"),
    (re.compile(r"missing (?P<column>\w+)"), "dq_missing"),
    (re.compile(r"unknown (?P<column>\w+)"), "dq_unknown"),
    (re.compile(r"agent not active in (?P<month>\d{4}-\d{2})"), "dq_agent_not_active"),
    (re.compile(r"its evaluation is quarantined"), "dq_evaluation_quarantined"),
    (re.compile(r"received_at outside (?P<month>\d{4}-\d{2}) and not closed in it"), "dq_complaint_outside"),
    (re.compile(r"(?P<column>\w+) outside (?P<month>\d{4}-\d{2})"), "dq_outside_month"),
    (re.compile(r"(?P<column>\w+) outside (?P<values>[\d.]+\.\.[\d.]+)"), "dq_outside_range"),
    (re.compile(r"(?P<column>\w+) not one of (?P<values>.+)"), "dq_not_one_of"),
    (re.compile(r"(?P<column>\w+) not above (?P<values>.+)"), "dq_not_above"),
    (re.compile(r"(?P<column>\w+) below (?P<values>.+)"), "dq_below"),
    (re.compile(r"(?P<column>\w+) not after (?P<column2>\w+)"), "dq_not_after"),
    (re.compile(r"(?P<column>\w+) before (?P<column2>\w+)"), "dq_before"),
    (re.compile(r"category not valid for kind"), "dq_category_kind"),
    (re.compile(r"team_id (?P<value>\S+) is reserved for the whole center"), "dq_reserved_team"),
]


# The message prefixes of the values a column may take (schemas/catalog.py), tried in order: the first
# that knows every value wins (qa_deductions' category before the ledger's).
_VALUE_KEYS = {"shift_pattern": ("shift_",), "leave_type": ("leave_type_",), "channel": ("channel_",),
               "category": ("deduction_", "category_"), "severity": ("severity_",),
               "status": ("complaint_status_",), "kind": ("kind_",)}


# What schemas/expectations.py records as a check's observed value, and the message for each.
_OBSERVED = [
    (re.compile(r"not evaluated: no previous month"), "obs_no_previous"),
    (re.compile(r"not evaluated: (?P<n>\d+) rows last month, too few to judge volume"), "obs_too_few"),
    (re.compile(r"not evaluated: no expected shift days.*"), "obs_no_expected_days"),
    (re.compile(r"not evaluated: no agent is on the roster for (?P<days>\d+)\+ days of the month"), "obs_no_rostered"),
    (re.compile(r"not evaluated: no holiday calendar set"), "obs_no_holiday_calendar"),
    (re.compile(r"(?P<code>\S+) \((?P<library>[^)]+)\) holds the month"), "obs_holiday_calendar_known"),
    (re.compile(r"the holiday calendar (?P<code>\S+) has no published schedule for (?P<years>[\d, ]+) in "
                r"(?P<library>[^:]+):.*"), "obs_holiday_calendar_unknown"),
    (re.compile(r"(?P<value>\S+) \(allowed (?P<low>[^–]+)–(?P<high>.+)\)"), "obs_allowed_range"),
    (re.compile(r"(?P<value>\S+) \(allowed from (?P<low>.+)\)"), "obs_allowed_from"),
    (re.compile(r"(?P<value>\S+) \(allowed up to (?P<high>.+)\)"), "obs_allowed_up_to"),
    (re.compile(r"(?P<count>\d+) of (?P<rows>\d+) rows \((?P<share>[\d.]+)%\)"), "obs_share"),
    (re.compile(r"(?P<count>\d+) expected value\(s\) missing"), "obs_missing_values"),
]


# A run of Chinese characters, with the digits and middle dots inside it (邹婧秀, 西安高新3组, 阿卜·杜拉).
_HAN_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff](?:[\u3400-\u9fff\uf900-\ufaff0-9·]*[\u3400-\u9fff\uf900-\ufaff])?")


def unbroken_names(text: str, language: str) -> Markup:
    """`text`, escaped, with each Chinese name in English text kept on one line (邹 / 婧秀 never splits).

    A line may break between any two Chinese characters, and WeasyPrint has no `word-break: keep-all`:
    in an English sentence every run of them is a name, so it goes in a no-wrap span. In Chinese text
    the runs are the sentence itself and break as Chinese does."""
    escaped = str(escape(text))
    if language != "en":
        return Markup(escaped)
    return Markup(_HAN_RUN.sub(lambda match: f'<span class="name">{match.group(0)}</span>', escaped))


def award_deed(t: Translator, award: str, row: dict, draw) -> str:
    """Why `row` won `award`: the person's deed, in words (seed 003 §四: name, deed and reason)."""
    if award == "service_star":
        return t("deed_service_star", rank=row["cohort_rank"], size=row["cohort_size"],
                 cohort=t(f"shift_{row['shift_pattern']}"),
                 composite=number(row["composite"]), qa=number(row["qa_score"]), csat=percent(row["csat"]),
                 n=row["csat_responses"])
    if award == "perfect_attendance":
        return t("deed_perfect_attendance", shifts=row["required_shifts"])
    if award == "most_improved":
        return t("deed_most_improved", delta=number(row["composite_delta"]), composite=number(row["composite"]))
    return t("deed_lucky_draw", pool=len(draw.pool), seed=draw.seed)
