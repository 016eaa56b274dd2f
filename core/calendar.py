"""The center's calendar (SPEC §2, §3): on which days of a month shifts are expected.

A weekday-only center, a public holiday or a Spring Festival week is a calendar, not a data
problem. Expected shift days are the month's days on the operating weekdays, minus holidays;
the operating weekdays are the policy's, or learned from the shifts of the month before (of
the month itself when there is none).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from core.months import Month

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # date.weekday() order


def weekdays_of(days: Iterable[dt.date]) -> frozenset[str]:
    """The weekday names on which `days` fall."""
    return frozenset(WEEKDAYS[day.weekday()] for day in days)


def expected_shift_days(month: Month, weekdays: Iterable[str], holidays: Iterable[dt.date] = ()) -> list[dt.date]:
    """The days of `month` on an operating weekday that are not holidays, in order."""
    open_on, closed = set(weekdays), set(holidays)
    days = (month.first_day + dt.timedelta(days=n) for n in range(month.days))
    return [day for day in days if WEEKDAYS[day.weekday()] in open_on and day not in closed]


@dataclass(frozen=True)
class MonthCalendar:
    """The days of a month on which the center expects shifts, and where that came from."""

    month: Month
    weekdays: tuple[str, ...]
    learned_from: str  # "policy", or the month whose shifts taught the weekdays
    holidays: tuple[dt.date, ...]  # the month's own
    expected_days: list[dt.date]
    previous_expected_days: int  # the same calendar on the month before: the baseline for volumes

    @property
    def day_ratio(self) -> float:
        """Expected days this month per expected day last month (1.0 when last month had none)."""
        return len(self.expected_days) / self.previous_expected_days if self.previous_expected_days else 1.0

    def describe(self) -> str:
        source = "set in the policy" if self.learned_from == "policy" else f"learned from {self.learned_from}"
        closed = f"; closed on {', '.join(d.isoformat() for d in self.holidays)}" if self.holidays else ""
        return f"{len(self.expected_days)} expected shift days: {', '.join(self.weekdays)} ({source}){closed}"


def month_calendar(month: Month, setting: str | list[str], holidays: Iterable[dt.date],
                   last_month_days: Iterable[dt.date] | None, this_month_days: Iterable[dt.date]) -> MonthCalendar:
    """The month's calendar: the weekdays `setting` lists, or, when it says `learned`, those that had
    shifts last month (this month's when last month is not there or had none)."""
    if not isinstance(setting, str):
        weekdays, learned_from = frozenset(setting), "policy"
    else:
        weekdays, learned_from = weekdays_of(last_month_days or []), str(month.previous())
        if not weekdays:
            weekdays, learned_from = weekdays_of(this_month_days), str(month)
    ordered = tuple(day for day in WEEKDAYS if day in weekdays)
    closed = tuple(sorted(day for day in set(holidays) if Month.of(day) == month))
    return MonthCalendar(month, ordered, learned_from, closed, expected_shift_days(month, ordered, holidays),
                         len(expected_shift_days(month.previous(), ordered, holidays)))


@dataclass(frozen=True)
class CalendarGaps:
    """Expected shift days without any shift, sorted by what they say about the export."""

    after_last: list[dt.date]  # the file stops early: a truncated export
    before_first: list[dt.date]  # the file starts late: a truncated export
    inside: list[dt.date]  # an isolated day without shifts: worth a look, not a stop

    @property
    def truncated(self) -> list[dt.date]:
        return self.before_first + self.after_last


def calendar_gaps(expected: list[dt.date], shift_days: Iterable[dt.date]) -> CalendarGaps:
    worked = set(shift_days)
    missing = [day for day in expected if day not in worked]
    if not worked:
        return CalendarGaps(after_last=missing, before_first=[], inside=[])
    first, last = min(worked), max(worked)
    return CalendarGaps(after_last=[d for d in missing if d > last], before_first=[d for d in missing if d < first],
                        inside=[d for d in missing if first < d < last])
