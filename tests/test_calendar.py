"""The center's calendar (SPEC §2, §3) on dates worked out by hand, and on the real Chinese calendars."""

import datetime as dt

import holidays
import polars as pl
import pytest

from core.calendar import calendar_gaps, expected_shift_days, month_calendar, public_calendar
from core.months import Month
from core.output import read_output_csv
from pipelines.cli import run_month
from synthetic.generator import GenerateOptions, generate

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


# --- Learned weekdays follow the pattern, not an exception (SPEC §3) --------------------------------------------


def _days(month: Month, weekdays: set[int], skip=(), extra=()) -> list[dt.date]:
    """The days of `month` on `weekdays` (0 = Monday), less `skip`, plus `extra`."""
    days = [month.first_day + dt.timedelta(days=n) for n in range(month.days)]
    return sorted({d for d in days if d.weekday() in weekdays and d not in set(skip)} | set(extra))


OCTOBER_2025, NOVEMBER_2025 = Month(2025, 10), Month(2025, 11)  # November begins on a Saturday
NATIONAL_DAY_2025 = [D(2025, 10, d) for d in (1, 2, 3, 6, 7, 8)]  # the weekdays closed; worked Saturday 11th


def test_one_make_up_saturday_last_month_teaches_nothing_and_a_month_starting_on_saturday_is_not_cut_off():
    october = _days(OCTOBER_2025, set(range(5)), skip=NATIONAL_DAY_2025, extra=[D(2025, 10, 11)])
    november = _days(NOVEMBER_2025, set(range(5)))
    calendar = month_calendar(NOVEMBER_2025, "learned", [], october, november)  # the default policy: no holidays
    assert calendar.weekdays == tuple(WEEKDAYS) and calendar.learned_from == "2025-10"
    assert calendar.expected_days == november
    gaps = calendar_gaps(calendar.expected_days, november)
    assert gaps.truncated == [] and gaps.inside == []


def test_one_agents_overtime_sunday_teaches_nothing_to_a_six_day_center():
    six_days = set(range(6))
    october = _days(OCTOBER_2025, six_days, extra=[D(2025, 10, 19)])  # one Sunday shift
    november = _days(NOVEMBER_2025, six_days)
    calendar = month_calendar(NOVEMBER_2025, "learned", [], october, november)
    assert calendar.weekdays == ("mon", "tue", "wed", "thu", "fri", "sat")
    assert calendar_gaps(calendar.expected_days, november) == calendar_gaps([], [])


def test_a_seven_day_center_learns_every_day():
    every_day = set(range(7))
    calendar = month_calendar(NOVEMBER_2025, "learned", [], _days(OCTOBER_2025, every_day),
                              _days(NOVEMBER_2025, every_day))
    assert calendar.weekdays == ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    assert len(calendar.expected_days) == 30


def test_a_center_that_stops_opening_at_the_weekend_is_not_expected_on_it():
    # Seven days in October, Monday to Friday from November on: November 1st and 29th are Saturdays.
    november = _days(NOVEMBER_2025, set(range(5)))
    calendar = month_calendar(NOVEMBER_2025, "learned", [], _days(OCTOBER_2025, set(range(7))), november)
    assert calendar.weekdays == tuple(WEEKDAYS) and calendar.learned_from == "2025-10 and 2025-11"
    assert calendar_gaps(calendar.expected_days, november).truncated == []


def test_a_cut_off_export_is_still_stopped_with_its_dates_named():
    october = _days(OCTOBER_2025, set(range(5)), skip=NATIONAL_DAY_2025, extra=[D(2025, 10, 11)])
    stops_early = [d for d in _days(NOVEMBER_2025, set(range(5))) if d.day <= 20]
    calendar = month_calendar(NOVEMBER_2025, "learned", [], october, stops_early)
    after_the_20th = [D(2025, 11, d) for d in (21, 24, 25, 26, 27, 28)]
    assert calendar_gaps(calendar.expected_days, stops_early).after_last == after_the_20th
    starts_late = [d for d in _days(NOVEMBER_2025, set(range(5))) if d.day >= 10]
    calendar = month_calendar(NOVEMBER_2025, "learned", [], october, starts_late)
    assert calendar_gaps(calendar.expected_days, starts_late).before_first == [D(2025, 11, d) for d in (3, 4, 5, 6, 7)]
    # With no month before it, the month's own shifts teach the weekdays, and an early stop is still found.
    alone = month_calendar(NOVEMBER_2025, "learned", [], None, [d for d in stops_early if d.day <= 12])
    assert alone.weekdays == tuple(WEEKDAYS)
    assert calendar_gaps(alone.expected_days, [d for d in stops_early if d.day <= 12]).after_last[0] == D(2025, 11, 13)


# --- Holidays and make-up workdays from a maintained calendar ------------------------------------------------------


def test_the_cn_calendar_closes_its_holidays_and_opens_its_make_up_workdays():
    calendar = month_calendar(OCTOBER_2025, WEEKDAYS, [], None, [], holiday_calendar="CN")
    assert calendar.holidays[:6] == tuple(NATIONAL_DAY_2025[:3]) + (D(2025, 10, 6), D(2025, 10, 7), D(2025, 10, 8))
    assert calendar.workdays == (D(2025, 10, 11),)
    assert calendar.expected_days == _days(OCTOBER_2025, set(range(5)), skip=NATIONAL_DAY_2025, extra=[D(2025, 10, 11)])
    assert calendar.unknown_years == () and calendar.unknown_year_warning == ""
    # September 28th, a Sunday, is a make-up workday of the same National Day.
    assert D(2025, 9, 28) in month_calendar(Month(2025, 9), WEEKDAYS, [], None, [], "CN").expected_days


def test_the_centers_own_closure_wins_over_a_make_up_workday():
    calendar = month_calendar(OCTOBER_2025, WEEKDAYS, [D(2025, 10, 11)], None, [], holiday_calendar="CN")
    assert calendar.workdays == () and D(2025, 10, 11) not in calendar.expected_days


def test_a_year_the_library_does_not_know_yet_is_a_warning_not_a_guess():
    year = max(holidays.country_holidays("CN").special_public_holidays) + 1
    calendar = month_calendar(Month(year, 1), WEEKDAYS, [], None, [], holiday_calendar="CN")
    assert calendar.unknown_years == (year,)
    assert calendar.holidays == () and calendar.workdays == ()  # the lunar rules' guess is not used
    assert len(calendar.expected_days) == len(_days(Month(year, 1), set(range(5))))
    assert f"no published schedule for {year}" in calendar.unknown_year_warning
    # A calendar made by rules alone knows every year.
    assert public_calendar("US", (year,)).unknown_years == ()


@pytest.mark.parametrize("policy", ["own holidays", "holiday_calendar CN"])
def test_a_weekday_center_on_the_real_2025_and_2026_chinese_calendars_has_no_missing_day_in_24_months(policy, tmp_path):
    generate(GenerateOptions(agents=30, team_size=10, month=Month(2026, 12), months_back=24, out=tmp_path, seed=5,
                             calendar="weekdays", holiday_calendar="CN"))
    shifts = {month: pl.read_csv(tmp_path / str(month) / "attendance.csv", columns=["shift_date"])["shift_date"]
              .str.to_date().unique().to_list() for month in Month(2026, 12).back(24)}
    own = sorted(public_calendar("CN", (2024, 2025, 2026)).holidays) if policy == "own holidays" else []
    code = "CN" if policy == "holiday_calendar CN" else None
    for month in Month(2026, 12).back(23):  # January 2025 … December 2026, each with the month before it
        calendar = month_calendar(month, "learned", own, shifts[month.previous()], shifts[month], code)
        gaps = calendar_gaps(calendar.expected_days, shifts[month])
        assert (month, calendar.weekdays, gaps.truncated, gaps.inside) == (month, tuple(WEEKDAYS), [], [])


def test_a_month_after_a_make_up_saturday_runs_end_to_end_on_the_default_policy(tmp_path, dagster_home):
    data = tmp_path / "data"
    generate(GenerateOptions(agents=24, team_size=12, month=NOVEMBER_2025, months_back=1, out=data, seed=9,
                             calendar="weekdays", holiday_calendar="CN"))
    ok, messages, _ = run_month(NOVEMBER_2025, str(data), str(tmp_path / "out"), send=False)
    assert ok, messages
    checks = read_output_csv(tmp_path / "out" / "2025-11" / "data_quality" / "expectations.csv")
    assert checks.filter(pl.col("source") == "attendance")["passed"].all()


def test_the_policy_takes_a_calendar_the_library_knows_and_refuses_another(tmp_path):
    from core.errors import PolicyError
    from core.policy import load_policy

    path = tmp_path / "policy.yaml"
    path.write_text("holiday_calendar: CN\n")
    assert load_policy(path).holiday_calendar == "CN"
    path.write_text("holiday_calendar: Atlantis\n")
    with pytest.raises(PolicyError, match="holiday_calendar: Value error, unknown holiday calendar 'Atlantis'"):
        load_policy(path)
