"""The center's calendar (SPEC §2, §3) on dates worked out by hand."""

import datetime as dt

from core.calendar import calendar_gaps, expected_shift_days, month_calendar, weekdays_of
from core.months import Month

D = dt.date
FEBRUARY = Month(2026, 2)  # Sunday 1st … Saturday 28th
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]


def test_expected_days_are_the_operating_weekdays_minus_holidays():
    days = expected_shift_days(FEBRUARY, WEEKDAYS, [D(2026, 2, 17), D(2026, 3, 2)])
    assert len(days) == 19  # 20 weekdays, one a holiday; a holiday of another month changes nothing
    assert days[0] == D(2026, 2, 2) and days[-1] == D(2026, 2, 27) and D(2026, 2, 17) not in days
    assert len(expected_shift_days(FEBRUARY, ["sat", "sun"])) == 8


def test_weekdays_are_learned_from_last_month_then_from_the_month_itself():
    january_weekdays = [D(2026, 1, d) for d in range(5, 10)]  # Monday 5th … Friday 9th
    learned = month_calendar(FEBRUARY, "learned", [], january_weekdays, [D(2026, 2, 1)])
    assert learned.weekdays == tuple(WEEKDAYS) and learned.learned_from == "2026-01"
    first = month_calendar(FEBRUARY, "learned", [], None, [D(2026, 2, 7), D(2026, 2, 8)])
    assert first.weekdays == ("sat", "sun") and first.learned_from == "2026-02"
    empty_last = month_calendar(FEBRUARY, "learned", [], [], [D(2026, 2, 2)])
    assert empty_last.weekdays == ("mon",) and empty_last.learned_from == "2026-02"
    set_ = month_calendar(FEBRUARY, ["fri", "mon"], [D(2026, 2, 2)], january_weekdays, [])
    assert set_.weekdays == ("mon", "fri") and set_.learned_from == "policy" and set_.holidays == (D(2026, 2, 2),)
    assert len(set_.expected_days) == 7  # 4 Mondays and 4 Fridays, less the 2nd


def test_the_volume_baseline_counts_last_months_expected_days_on_the_same_calendar():
    calendar = month_calendar(FEBRUARY, WEEKDAYS, [D(2026, 2, 17), D(2026, 1, 1)], None, [])
    assert len(calendar.expected_days) == 19 and calendar.previous_expected_days == 21  # 22 weekdays, New Year
    assert calendar.day_ratio == 19 / 21


def test_gaps_after_the_last_or_before_the_first_shift_are_a_truncated_export():
    expected = expected_shift_days(FEBRUARY, WEEKDAYS)
    worked = [d for d in expected if D(2026, 2, 4) <= d <= D(2026, 2, 20) and d != D(2026, 2, 11)]
    gaps = calendar_gaps(expected, worked)
    assert gaps.before_first == [D(2026, 2, 2), D(2026, 2, 3)]
    assert gaps.after_last == [D(2026, 2, d) for d in (23, 24, 25, 26, 27)]
    assert gaps.inside == [D(2026, 2, 11)]
    assert gaps.truncated == gaps.before_first + gaps.after_last
    assert calendar_gaps(expected, []).after_last == expected  # no shift at all: all of it is missing


def test_weekdays_of_names_each_weekday_once():
    assert weekdays_of([D(2026, 2, 2), D(2026, 2, 9), D(2026, 2, 8)]) == {"mon", "sun"}
