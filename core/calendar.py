"""The center's calendar (SPEC §2, §3): on which days of a month shifts are expected.

A weekday-only center, a public holiday or a Spring Festival week is a calendar, not a data
problem. Expected shift days are the month's days on the operating weekdays, minus holidays, plus
make-up workdays (调休: weekend days worked in exchange for a holiday). Holidays are the center's own
closed dates and, with a `holiday_calendar`, the public holidays and make-up workdays of a maintained
library (`holidays`, python-holidays); the center's own closures win over the library's workdays.

The operating weekdays are the policy's, or learned: a weekday on which shifts fell on most of its
dates that were neither holidays nor make-up workdays, in the month before (the month itself when
there is none) and, when both months are there, in the month itself too, over the dates its shifts
cover. One make-up Saturday, or one agent's overtime Sunday, teaches nothing; a center that stops
opening on Saturdays is not expected on them; and an export cut off on the 20th still covers most of
each weekday's dates up to the 20th, so its missing days are still found.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from core.months import Month

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # date.weekday() order


def expected_shift_days(month: Month, weekdays: Iterable[str], holidays: Iterable[dt.date] = (),
                        workdays: Iterable[dt.date] = ()) -> list[dt.date]:
    """The days of `month` on an operating weekday that are not holidays, and its make-up workdays, in order."""
    open_on, closed, extra = set(weekdays), set(holidays), set(workdays)
    days = (month.first_day + dt.timedelta(days=n) for n in range(month.days))
    return [day for day in days if (WEEKDAYS[day.weekday()] in open_on or day in extra) and day not in closed]


@dataclass(frozen=True)
class PublicCalendar:
    """A public-holiday calendar's days over some years, as the library knows them."""

    code: str | None
    holidays: frozenset[dt.date] = frozenset()
    workdays: frozenset[dt.date] = frozenset()  # make-up workdays: weekend days worked instead of a holiday
    unknown_years: tuple[int, ...] = ()  # years whose decreed schedule the library does not hold yet
    library: str = ""


NO_PUBLIC_CALENDAR = PublicCalendar(None)


def holiday_calendar_codes() -> frozenset[str]:
    """The codes `holiday_calendar` accepts: the countries the library knows (ISO 3166-1, e.g. CN)."""
    import holidays

    return frozenset(holidays.list_supported_countries())


@lru_cache(maxsize=64)
def public_calendar(code: str | None, years: tuple[int, ...]) -> PublicCalendar:
    """The public holidays and make-up workdays of `code` in `years`.

    Some governments decree each year's holidays and make-up workdays a few weeks ahead (China's State
    Council, each November); the library holds a year's decree once a release brings it. A year after the
    last decree it holds is unknown: its days are left out (a guess from the lunar rules would miss the
    make-up days and may miss the bridge days) and the year is listed, for a warning.
    """
    if not code:
        return NO_PUBLIC_CALENDAR
    import holidays

    calendar = holidays.country_holidays(code, years=years)
    decreed = _decreed_years(calendar)
    unknown = tuple(year for year in years if decreed is not None and year > max(decreed, default=0))
    known = [year for year in years if year not in unknown]
    days = holidays.country_holidays(code, years=known) if known else {}
    workdays = getattr(days, "weekend_workdays", set()) if known else set()
    return PublicCalendar(code, frozenset(days), frozenset(day for day in workdays if day.year in known),
                          unknown, f"holidays {holidays.__version__}")


def _decreed_years(calendar) -> set[int] | None:
    """The years for which the library holds make-up workdays (a decreed calendar), or None for a calendar
    made by rules alone (whose every year is known)."""
    years = set()
    for year, entries in getattr(calendar, "special_public_holidays", {}).items():
        entries = entries if entries and isinstance(entries[0], tuple) else (entries,)
        if any(len(entry) >= 4 for entry in entries):  # (to month, to day, from month, from day): a swap
            years.add(year)
    return years or None


@dataclass(frozen=True)
class MonthCalendar:
    """The days of a month on which the center expects shifts, and where that came from."""

    month: Month
    weekdays: tuple[str, ...]
    learned_from: str  # "policy", or the month(s) whose shifts taught the weekdays
    holidays: tuple[dt.date, ...]  # the month's own closed days (the center's and the public calendar's)
    expected_days: list[dt.date]
    previous_expected_days: int  # the same calendar on the month before: the baseline for volumes
    workdays: tuple[dt.date, ...] = ()  # the month's make-up workdays
    holiday_calendar: str | None = None
    unknown_years: tuple[int, ...] = ()  # years the holiday calendar's library does not know yet
    library: str = ""

    @property
    def day_ratio(self) -> float:
        """Expected days this month per expected day last month (1.0 when last month had none)."""
        return len(self.expected_days) / self.previous_expected_days if self.previous_expected_days else 1.0

    @property
    def unknown_year_warning(self) -> str:
        if not self.unknown_years:
            return ""
        years = ", ".join(str(year) for year in self.unknown_years)
        return (f"the holiday calendar {self.holiday_calendar} has no published schedule for {years} in "
                f"{self.library}: its holidays and make-up workdays are not applied; update the library "
                f"(make lock, then make setup) or list the closed dates under holidays:")

    def describe(self) -> str:
        source = "set in the policy" if self.learned_from == "policy" else f"learned from {self.learned_from}"
        closed = f"; closed on {', '.join(d.isoformat() for d in self.holidays)}" if self.holidays else ""
        worked = f"; make-up workdays {', '.join(d.isoformat() for d in self.workdays)}" if self.workdays else ""
        public = f"; holiday calendar {self.holiday_calendar}" if self.holiday_calendar else ""
        unknown = f" ({self.unknown_year_warning})" if self.unknown_years else ""
        return f"{len(self.expected_days)} expected shift days: {', '.join(self.weekdays)} ({source}){closed}{worked}" \
               f"{public}{unknown}"


def weekday_verdicts(month: Month, shift_days: Iterable[dt.date], skipped: Iterable[dt.date]) -> dict[str, bool | None]:
    """Per weekday: did shifts fall on most (more than half) of its dates in `month` between the month's
    first and last shift that were not `skipped` (holidays, make-up workdays)? None when it has no such date."""
    worked = {day for day in shift_days if Month.of(day) == month}
    if not worked:
        return dict.fromkeys(WEEKDAYS)
    skipped = set(skipped)
    first, last = min(worked), max(worked)
    dates = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    verdicts: dict[str, bool | None] = {}
    for number, weekday in enumerate(WEEKDAYS):
        ordinary = [day for day in dates if day.weekday() == number and day not in skipped]
        verdicts[weekday] = 2 * sum(day in worked for day in ordinary) > len(ordinary) if ordinary else None
    return verdicts


def month_calendar(month: Month, setting: str | list[str], holidays: Iterable[dt.date],
                   last_month_days: Iterable[dt.date] | None, this_month_days: Iterable[dt.date],
                   holiday_calendar: str | None = None) -> MonthCalendar:
    """The month's calendar: the weekdays `setting` lists, or, when it says `learned`, those learned from
    last month's shifts (and confirmed by this month's), or from this month's when last month has none."""
    own = set(holidays)
    public = public_calendar(holiday_calendar, tuple(sorted({month.year, month.previous().year})))
    closed = own | public.holidays
    workdays = public.workdays - own  # a center's own closure wins over the calendar's make-up day
    this_month_days = list(this_month_days)
    if not isinstance(setting, str):
        weekdays, learned_from = frozenset(setting), "policy"
    else:
        skipped = closed | workdays
        taught = weekday_verdicts(month.previous(), last_month_days or [], skipped)
        weekdays, learned_from = frozenset(day for day, most in taught.items() if most), str(month.previous())
        now = weekday_verdicts(month, this_month_days, skipped)
        if weekdays:  # confirmed by this month, where it says anything: a center that stopped opening on a day
            confirmed = frozenset(day for day in weekdays if now[day] is not False)
            if confirmed != weekdays:
                weekdays, learned_from = confirmed, f"{month.previous()} and {month}"
        else:
            weekdays, learned_from = frozenset(day for day, most in now.items() if most), str(month)
    ordered = tuple(day for day in WEEKDAYS if day in weekdays)
    in_month = lambda days: tuple(sorted(day for day in days if Month.of(day) == month))  # noqa: E731
    return MonthCalendar(month, ordered, learned_from, in_month(closed),
                         expected_shift_days(month, ordered, closed, workdays),
                         len(expected_shift_days(month.previous(), ordered, closed, workdays)),
                         in_month(workdays), holiday_calendar, public.unknown_years, public.library)


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
