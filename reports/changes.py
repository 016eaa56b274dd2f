"""A change on last month, computed one way for every report and email (SPEC §10 "One figure, one
number", "Changes beyond noise"): from the unrounded figures, rounded once, and called out (an arrow,
a sentence of the In brief) only when beyond sampling noise."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from core.months import Month
from metrics.changes import NoiseTest, noise_test
from reports.i18n import RATE_FIELDS, Translator
from reports.inputs import last_month_row, month_row

UP, DOWN = "▲", "▼"


@dataclass(frozen=True)
class Change:
    field: str
    before: float | int
    now: float | int
    test: NoiseTest | None  # None for a figure that is counted, not sampled (headcount, penalties)

    @property
    def delta(self):
        return self.now - self.before

    @property
    def beyond_noise(self) -> bool:
        return self.test is not None and self.test.beyond_noise


def change_between(field: str, now: dict | None, before: dict | None) -> Change | None:
    """`field`'s change from `before` to `now` (trend rows: the figures and their samples); None when a
    month lacks the figure."""
    if now is None or before is None or now.get(field) is None or before.get(field) is None:
        return None
    return Change(field, before[field], now[field], noise_test(field, now, before))


def month_change(trend: pl.DataFrame, month: Month, team_id: str, field: str) -> Change | None:
    return change_between(field, month_row(trend, month, team_id), last_month_row(trend, month, team_id))


def change_text(t: Translator, change: Change, unsigned: bool = False) -> str:
    """The change as every report prints it: "−3.8", "+1.2 pt"; `unsigned` for a sentence that says
    "fell" or "rose" ("3.8"). The same rounding of the same unrounded delta everywhere."""
    text = t.change(change.field, change.delta)
    return text.lstrip("+-") if unsigned else text


def arrow(change: Change | None) -> str:
    """▲ or ▼ for a change beyond noise; nothing for one within it (shown as a number, never called out)."""
    if change is None or not change.beyond_noise:
        return ""
    return UP if change.delta > 0 else DOWN


def _as_printed(field: str, value):
    if isinstance(value, int):
        return value
    return round(value * 100, 1) / 100 if field in RATE_FIELDS else round(value, 1)


def subtracts(t: Translator, change: Change) -> bool:
    """Whether the two printed figures subtract to the printed change (90.149 → 86.351 prints 90.1 and
    86.4 but −3.8, not −3.7): where not, the report says why in a footnote."""
    shown = t.change(change.field, _as_printed(change.field, change.now) - _as_printed(change.field, change.before))
    return shown == change_text(t, change)
