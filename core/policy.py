"""The policy file (SPEC §3): every threshold and weight, validated at load time."""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import (BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, ValidationInfo, field_validator,
                      model_validator)

from core.calendar import WEEKDAYS, holiday_calendar_codes
from core.config_files import read_yaml_mapping
from core.errors import PolicyError, shown


def _not_a_boolean(value):
    # YAML reads `yes`, `on` and `true` as booleans, and pydantic would take them as 1.
    if isinstance(value, bool):
        raise ValueError("expected a number, not a yes/no value")
    return value


# Every number is finite (.inf, .nan and 1e400 are refused: a NaN score would rank first) and has a range.
Number = Annotated[float, BeforeValidator(_not_a_boolean)]
Count = Annotated[int, BeforeValidator(_not_a_boolean)]
MINUTES_A_DAY = 24 * 60
DAYS_TEN_YEARS = 3653
MOST = 1_000_000  # far above any real count or prior weight, and far below what polars' Int64 holds

RECORDED_POLICY = "policy.yaml"  # the policy in force, written beside each month's outputs by its run (SPEC §11)

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
LEARNED = "learned"


class Weights(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    quality: Number = Field(0.4, ge=0, le=1)
    satisfaction: Number = Field(0.3, ge=0, le=1)
    attendance: Number = Field(0.2, ge=0, le=1)
    conduct: Number = Field(0.1, ge=0, le=1)

    @model_validator(mode="after")
    def _sum_to_one(self) -> "Weights":
        total = self.quality + self.satisfaction + self.attendance + self.conduct
        if not math.isclose(total, 1.0, abs_tol=1e-9):
            raise ValueError(f"weights must sum to 1, they sum to {total:g}")
        return self


class Policy(BaseModel):
    """Defaults are SPEC §3's; a policy file overrides any of them and nothing else."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    timezone: str = "Asia/Shanghai"
    late_grace_minutes: Number = Field(0, ge=0, le=MINUTES_A_DAY)
    serious_late_minutes: Number = Field(20, gt=0, le=MINUTES_A_DAY)
    min_qa_evals: Count = Field(3, ge=0, le=MOST)
    min_csat_responses: Count = Field(10, ge=0, le=MOST)
    min_tenure_days: Count = Field(30, ge=0, le=DAYS_TEN_YEARS)
    csat_prior_weight: Number = Field(20, ge=0, le=MOST)
    # Shares of an absence and of the whole conduct component: more than 1 would outweigh what they cost.
    late_penalty: Number = Field(0.5, ge=0, le=1)
    complaint_penalty: Number = Field(0.25, ge=0, le=1)
    weights: Weights = Weights()
    csat_target: Number = Field(0.96, ge=0, le=1)
    qa_target: Number = Field(90, ge=0, le=100)
    timely_days: Count = Field(7, ge=0, le=DAYS_TEN_YEARS)
    severe_penalty_red_per_100: Number = Field(5.0, ge=0, le=100)
    lucky_draw_winners: Count = Field(3, ge=0, le=MOST)
    lucky_draw_salt: str = "ccpulse"
    language: Literal["en", "zh-CN"] = "en"
    center_report_recipients: list[str] = []
    ops_alert_recipients: list[str] = []
    schedule_day: Count = Field(3, ge=1, le=28)  # every month has day 28
    volume_band: Number = Field(0.4, gt=0, le=10)
    # `learned` (from last month's shifts, or this month's when there is none) or the weekdays themselves
    operating_weekdays: Literal["learned"] | list[Weekday] = LEARNED
    # A public-holiday calendar (`CN`: China's holidays and make-up workdays, 调休) from a maintained library;
    # `holidays` adds the center's own closures and wins over the calendar's workdays.
    holiday_calendar: str | None = None
    holidays: list[dt.date] = []
    # QA calibration (SPEC §13)
    evaluator_prior_weight: Number = Field(5, ge=0, le=MOST)
    evaluator_flag_points: Number = Field(5.0, gt=0, le=100)
    min_evaluator_pairs: Count = Field(10, ge=1, le=MOST)
    qa_adjust_for_evaluator: bool = False
    # `<source>.<expectation>: warn | block` for the data-believability suites (schemas/expectations.py)
    expectation_severity: dict[str, Literal["warn", "block"]] = {}

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {value!r}") from exc
        return value

    @field_validator("operating_weekdays")
    @classmethod
    def _some_weekdays(cls, value):
        if isinstance(value, list):
            if not value:
                raise ValueError("list at least one weekday, or say `learned`")
            return sorted(set(value), key=WEEKDAYS.index)
        return value

    @field_validator("holiday_calendar")
    @classmethod
    def _known_calendar(cls, value: str | None) -> str | None:
        if value is not None and value not in holiday_calendar_codes():
            raise ValueError(f"unknown holiday calendar {value!r}: a country code the holidays library knows "
                             "(ISO 3166-1 alpha-2, e.g. CN)")
        return value

    @field_validator("expectation_severity")
    @classmethod
    def _known_expectations(cls, value: dict, info: ValidationInfo) -> dict:
        known = (info.context or {}).get("expectation_keys")  # given by whoever knows the suites (load_policy)
        unknown = sorted(set(value) - known) if known is not None else []
        if unknown:
            raise ValueError(f"unknown expectation(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return value

    def as_yaml(self) -> str:
        """The policy in force, every key spelled out (recorded with each run)."""
        return yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False, allow_unicode=True)


def load_policy(path: str | Path | None, expectation_keys: frozenset[str] | None = None) -> Policy:
    """Read a policy file; `None` or an empty path gives the SPEC defaults.

    `expectation_keys`: the names `expectation_severity` may use (the believability suites'), when
    the caller knows them; this module knows nothing of the suites.
    """
    if not path:
        return Policy()
    path = Path(path)
    raw = read_yaml_mapping(path, "policy", PolicyError)
    try:
        return Policy.model_validate(raw, context={"expectation_keys": expectation_keys})
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            key = ".".join(str(part) for part in error["loc"]) or "(policy)"
            if error["type"] == "extra_forbidden":
                problems.append(f"  {key}: unknown key")
            else:  # the value as the file wrote it, so the line can be found
                problems.append(f"  {key}: {error['msg']} (got {shown(error['input'])})")
        raise PolicyError(f"{path}: invalid policy\n" + "\n".join(problems)) from exc
