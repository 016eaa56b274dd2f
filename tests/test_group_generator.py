"""`generate_group` (SPEC §15): a centers.yaml that loads, and centers that differ as a group's sites do."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from core.centers import load_group
from core.months import Month
from schemas.expectations import EXPECTATION_KEYS, load_policy_for_run
from synthetic.group import generate_group

MONTHS = ["2026-09", "2026-10"]
SOURCES = ["agents", "attendance", "complaints", "csat_responses", "discipline", "qa_deductions", "qa_evaluations",
           "teams"]


@pytest.fixture(scope="module")
def group_file(tmp_path_factory) -> Path:
    return generate_group(tmp_path_factory.mktemp("group"), 3, agents=30, months_back=1)


def attendance(group_file: Path, center_id: str, month: str = "2026-10") -> pl.DataFrame:
    return pl.read_csv(group_file.parent / f"data-{center_id}" / month / "attendance.csv", try_parse_dates=True)


def test_the_centers_file_loads_with_three_centers(group_file):
    root = group_file.parent
    assert group_file == root / "centers.yaml"
    group = load_group(group_file, EXPECTATION_KEYS)
    assert (group.name, group.out, group.report_recipients, group.language) == \
        ("Example Group", root / "group-out", ("group.director@example.com",), "en")
    assert [(c.id, c.name, c.data, c.out, c.policy) for c in group.centers] == [
        (center_id, name, root / f"data-{center_id}", root / f"out-{center_id}", root / f"policy-{center_id}.yaml")
        for center_id, name in [("sh", "Shanghai"), ("cd", "Chengdu"), ("gz", "Guangzhou")]]


def test_the_three_policies_differ_and_each_loads(group_file):
    policies = {center.id: load_policy_for_run(center.policy) for center in load_group(group_file).centers}
    shown = {center_id: (p.language, p.timezone, p.csat_target, p.qa_target, p.weights.quality, p.operating_weekdays,
                         p.holiday_calendar, p.center_report_recipients)
             for center_id, p in policies.items()}
    assert shown == {
        "sh": ("en", "Asia/Shanghai", 0.96, 90, 0.4, "learned", "CN", ["director.sh@example.com"]),
        "cd": ("zh-CN", "Asia/Shanghai", 0.98, 92, 0.5, "learned", None, ["director.cd@example.com"]),
        "gz": ("en", "Asia/Singapore", 0.94, 88, 0.4, ["mon", "tue", "wed", "thu", "fri"], None,
               ["director.gz@example.com"]),
    }
    assert all(p.ops_alert_recipients == ["ccpulse-ops@example.com"] for p in policies.values())


def test_every_center_holds_every_month_of_every_source(group_file):
    for center_id in ("sh", "cd", "gz"):
        data = group_file.parent / f"data-{center_id}"
        assert sorted(path.name for path in data.iterdir()) == MONTHS
        for month in MONTHS:
            assert sorted(path.name for path in (data / month).iterdir()) == [f"{source}.csv" for source in SOURCES]


def test_agent_ids_recur_across_centers(group_file):
    starting_staff = {f"A{number:06d}" for number in range(30)}  # each center's 30 agents of its first month
    for center_id in ("sh", "cd", "gz"):
        agents = pl.read_csv(group_file.parent / f"data-{center_id}" / "2026-09" / "agents.csv")
        assert starting_staff <= set(agents["agent_id"].to_list())


def test_the_centers_attendance_differs(group_file):
    sh, cd = attendance(group_file, "sh"), attendance(group_file, "cd")
    first = ["agent_id", "shift_date", "clock_in"]
    # the same agent id, a different person: a different month of clock-ins
    assert sh.filter(pl.col("agent_id") == "A000000").select(first).rows() != \
        cd.filter(pl.col("agent_id") == "A000000").select(first).rows()
    # the calendars differ too, so compare what only the seed draws: the starting roster's hire dates
    hired = [pl.read_csv(group_file.parent / f"data-{center_id}" / "2026-09" / "agents.csv")["hire_date"].to_list()
             for center_id in ("sh", "cd", "gz")]
    assert hired[0] != hired[1] != hired[2] != hired[0]


def test_the_centers_calendars_follow_their_policies(group_file):
    sh, cd, gz = (attendance(group_file, center_id) for center_id in ("sh", "cd", "gz"))
    national_day = dt.date(2026, 10, 1)
    assert national_day not in sh["shift_date"].to_list()  # closed on China's public holidays
    assert national_day in cd["shift_date"].to_list()  # a 7-day center without a public calendar
    assert set(gz["shift_date"].dt.weekday().to_list()) == {1, 2, 3, 4, 5}  # Monday to Friday only
    assert {6, 7} <= set(sh["shift_date"].dt.weekday().to_list())


def test_more_than_three_centers_get_numbered_ids(tmp_path):
    group = load_group(generate_group(tmp_path, 5, agents=4, months_back=0, month=Month(2026, 3)))
    assert [(c.id, c.name) for c in group.centers] == [
        ("sh", "Shanghai"), ("cd", "Chengdu"), ("gz", "Guangzhou"), ("c04", "Wuhan"), ("c05", "Hangzhou")]
    assert load_policy_for_run(group.center("c04").policy).language == "en"
    assert load_policy_for_run(group.center("c05").policy).language == "zh-CN"
    assert sorted(path.name for path in group.center("c05").data.iterdir()) == ["2026-03"]


def test_the_same_seed_gives_the_same_group(tmp_path):
    first = generate_group(tmp_path / "a", 2, agents=10, months_back=0)
    second = generate_group(tmp_path / "b", 2, agents=10, months_back=0)
    other = generate_group(tmp_path / "c", 2, agents=10, months_back=0, seed=8)
    read = lambda file: (file.parent / "data-cd" / "2026-10" / "attendance.csv").read_bytes()  # noqa: E731
    assert read(first) == read(second) != read(other)
