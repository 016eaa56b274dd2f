"""Generate realistic monthly inputs for every source of SPEC §2.

The center is simulated month by month so that the months agree with each other: agents are
hired, leave and move teams; complaints received late in a month close in the next one; the
ledger cites complaints from earlier months. Everything is drawn from one seeded numpy
generator per month, so the same seed gives the same files, at any scale.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import polars as pl

from core.calendar import WEEKDAYS, expected_shift_days, holiday_calendar_codes, public_calendar
from core.errors import ConfigError
from core.months import Month
from schemas.catalog import DEDUCTION_CATEGORIES, PENALTY_CATEGORIES, REWARD_CATEGORIES
from schemas.sources import SOURCES
from synthetic import names
from synthetic.bad_rows import inject_bad_rows
from synthetic.writer import write_source

Format = Literal["csv", "parquet", "xlsx"]
Encoding = Literal["utf-8", "utf-8-sig", "gbk"]
Calendar = Literal["7day", "weekdays"]
CALENDAR_WEEKDAYS = {"7day": WEEKDAYS, "weekdays": WEEKDAYS[:5]}

SHIFT_PATTERN_SHARES = {"day": 0.55, "night": 0.2, "rotating": 0.25}
# (start hour, length in hours) of each shift kind; night shifts end the next day.
SHIFT_TIMES = {"day": (9, 9), "early": (7, 9), "late": (15, 9), "night": (21, 9)}
ROTATION = ["early", "late", "night"]  # a rotating agent's week, by ISO week number
LEAVE_TYPES = ["annual", "sick", "personal", "other"]
LEAVE_SHARES = [0.45, 0.35, 0.15, 0.05]
PENALTY_SHARES = [0.45, 0.25, 0.15, 0.1, 0.04, 0.01]
REWARD_SHARES = [0.35, 0.2, 0.2, 0.1, 0.05, 0.05, 0.05]
DEDUCTION_SHARES = [0.1, 0.2, 0.1, 0.25, 0.25, 0.1]
DEDUCTION_POINTS = np.array([1, 2, 3, 5, 8, 10])
DEDUCTION_POINT_SHARES = [0.2, 0.3, 0.2, 0.15, 0.1, 0.05]
EPOCH = dt.datetime(1970, 1, 1)
# The QA form's items per deduction category, as a Chinese center's form words them (qa_deductions.item_name).
QA_ITEM_NAMES = {
    "business_risk": ["未核实客户身份", "泄露客户信息", "错误承诺赔偿", "未按规定办理退款", "违规修改客户资料"],
    "knowledge": ["业务知识解答错误", "产品资费介绍不准确", "未能识别客户真实需求", "政策解释不清"],
    "compliance": ["未做录音告知", "未按规定进行风险提示", "违规推销", "未按流程核对授权"],
    "etiquette": ["未使用标准开头语", "未使用标准结束语", "语气生硬", "打断客户讲话", "未致歉安抚", "服务用语不规范"],
    "process": ["未记录工单", "工单信息记录不全", "未按时回访", "转接未说明原因", "静音等待超时", "未确认问题已解决"],
    "other": ["通话背景嘈杂", "系统操作不熟练", "其他扣分项"],
}


@dataclass(frozen=True)
class GenerateOptions:
    agents: int
    month: Month
    out: Path
    months_back: int = 2
    seed: int = 7
    team_size: int = 20
    fmt: Format = "csv"
    encoding: Encoding = "utf-8"
    bad_rows: bool = False
    calendar: Calendar = "7day"  # `weekdays`: the center is open Monday to Friday only
    holidays: tuple[dt.date, ...] = ()  # days the center is closed: no shifts, no contacts
    # A public-holiday calendar (e.g. CN): closed on its holidays, open on its make-up workdays (调休)
    holiday_calendar: str | None = None
    evaluator_bias: float = 0.0  # QA001 scores this many points kinder (or, negative, harsher) than the others

    def __post_init__(self) -> None:
        # Out of these ranges the simulation divides by zero or indexes past its months: say which option.
        for name, least in (("agents", 1), ("team_size", 1), ("months_back", 0)):
            if getattr(self, name) < least:
                raise ConfigError(f"{name} must be at least {least}, got {getattr(self, name)}")
        if self.holiday_calendar and self.holiday_calendar not in holiday_calendar_codes():
            raise ConfigError(f"unknown holiday calendar {self.holiday_calendar!r}: a country code such as CN")
        if not math.isfinite(self.evaluator_bias):
            raise ConfigError(f"evaluator_bias must be a finite number of points, got {self.evaluator_bias}")


@dataclass
class Center:
    """The simulated center's people, grown month by month (one numpy entry per agent)."""

    team_ids: list[str]
    calendar: Calendar = "7day"
    holidays: tuple[dt.date, ...] = ()
    workdays: tuple[dt.date, ...] = ()  # make-up workdays: weekend days on which a weekday center opens
    evaluator_bias: float = 0.0
    agent_count: int = 0
    team: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    pattern: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))
    hire: np.ndarray = field(default_factory=lambda: np.empty(0, dtype="datetime64[D]"))
    exit: np.ndarray = field(default_factory=lambda: np.empty(0, dtype="datetime64[D]"))
    name: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))
    skill: np.ndarray = field(default_factory=lambda: np.empty(0))
    late_prone: np.ndarray = field(default_factory=lambda: np.empty(0))
    csat_volume: np.ndarray = field(default_factory=lambda: np.empty(0))
    day_off: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    has_email: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=bool))
    open_complaints: list[dict] = field(default_factory=list)  # carried into the month they close
    complaints_by_agent: dict[int, list[str]] = field(default_factory=dict)

    def ids(self, index: np.ndarray) -> np.ndarray:
        return np.array([f"A{number:06d}" for number in index.tolist()], dtype="U7")

    def hire_agents(self, rng: np.random.Generator, hire_dates: np.ndarray, teams: np.ndarray) -> None:
        count = len(hire_dates)
        patterns = rng.choice(list(SHIFT_PATTERN_SHARES), size=count, p=list(SHIFT_PATTERN_SHARES.values()))
        self.team = np.concatenate([self.team, teams])
        self.pattern = np.concatenate([self.pattern, patterns.astype(object)])
        self.hire = np.concatenate([self.hire, hire_dates.astype("datetime64[D]")])
        self.exit = np.concatenate([self.exit, np.full(count, np.datetime64("NaT"), dtype="datetime64[D]")])
        self.name = np.concatenate([self.name, _names(rng, count)])
        self.skill = np.concatenate([self.skill, rng.normal(0, 1, count)])
        self.late_prone = np.concatenate([self.late_prone, rng.lognormal(0, 0.8, count)])
        self.csat_volume = np.concatenate([self.csat_volume, rng.lognormal(np.log(18), 0.6, count)])
        # Day agents mostly have the weekend off; others rotate their two days off.
        weekend = rng.random(count) < 0.7
        self.day_off = np.concatenate([self.day_off, np.where((patterns == "day") & weekend, 5, rng.integers(0, 7, count))])
        self.has_email = np.concatenate([self.has_email, rng.random(count) > 0.05])
        self.agent_count += count

    def open_days(self, month: Month) -> np.ndarray:
        """Day offsets (0-based) of the month on which the center works."""
        days = expected_shift_days(month, CALENDAR_WEEKDAYS[self.calendar], self.holidays, self.workdays)
        return np.array([(day - month.first_day).days for day in days], dtype=np.int64)

    def active(self, month: Month) -> np.ndarray:
        first, last = np.datetime64(month.first_day), np.datetime64(month.last_day)
        return (self.hire <= last) & (np.isnat(self.exit) | (self.exit >= first))


def _names(rng: np.random.Generator, count: int) -> np.ndarray:
    chinese = rng.random(count) < 0.8
    surname = rng.choice(names.CHINESE_SURNAMES, count)
    given1 = rng.choice(names.CHINESE_GIVEN, count)
    given2 = np.where(rng.random(count) < 0.7, rng.choice(names.CHINESE_GIVEN, count), "")
    latin = np.char.add(np.char.add(rng.choice(names.LATIN_FIRST, count), " "), rng.choice(names.LATIN_LAST, count))
    chinese_names = np.char.add(np.char.add(surname.astype(str), given1.astype(str)), given2.astype(str))
    return np.where(chinese, chinese_names, latin).astype(object)


def _frame(source: str, columns: dict) -> pl.DataFrame:
    """A source's frame with the contract's polars type for every column, never one guessed from the values.

    polars guesses a NumPy object array's type from its first value: emails starting with an agent
    without one (None) became `Object`, which cannot be cast to String (seed 8, 500 agents).
    """
    types = SOURCES[source].columns
    return pl.DataFrame([
        pl.Series(name, values.tolist() if isinstance(values, np.ndarray) and values.dtype == object else values,
                  dtype=types[name])
        for name, values in columns.items()
    ])


def _serial_ids(prefix: str, count: int, width: int) -> list[str]:
    """prefix + 1, 2, … zero-padded; an empty list for none (numpy's zfill fails on an empty array)."""
    return [f"{prefix}{number:0{width}d}" for number in range(1, count + 1)]


def _month_rng(seed: int, month: Month) -> np.random.Generator:
    return np.random.default_rng([seed, month.year, month.month])


def _random_times(rng: np.random.Generator, month: Month, count: int, hours: tuple[int, int] = (8, 22),
                  open_days: np.ndarray | None = None) -> np.ndarray:
    """Uniform moments in the month's working hours (on `open_days`, day offsets, when given), to the second."""
    days = rng.integers(0, month.days, count) if open_days is None or not len(open_days) else \
        rng.choice(open_days, count)
    seconds = rng.integers(hours[0] * 3600, hours[1] * 3600, count)
    base = np.datetime64(month.first_day, "s")
    return (base + days.astype("timedelta64[D]") + seconds.astype("timedelta64[s]")).astype("datetime64[us]")


def _teams(options: GenerateOptions, rng: np.random.Generator) -> pl.DataFrame:
    count = max(1, round(options.agents / options.team_size))
    width = max(2, len(str(count)))
    sites = [names.SITES[i * len(names.SITES) // count] for i in range(count)]
    team_ids = [f"T{i + 1:0{width}d}" for i in range(count)]
    supervisor_ids = [f"S{i + 1:0{width + 1}d}" for i in range(count)]
    supervisor_names = _names(rng, count)
    emails: list[str | None] = [f"{sid.lower()}@example.com" for sid in supervisor_ids]
    if count >= 4:
        emails[-1] = None  # one team whose supervisor has no address on file (SPEC §11)
    return _frame(
        "teams",
        {
            "team_id": team_ids,
            "team_name": [f"{site}{i + 1}组" for i, site in enumerate(sites)],
            "site": sites,
            "supervisor_id": supervisor_ids,
            "supervisor_name": list(supervisor_names),
            "supervisor_email": emails,
        }
    )


def _start_center(options: GenerateOptions, teams: pl.DataFrame, first_month: Month) -> Center:
    rng = np.random.default_rng([options.seed, 0])
    public = public_calendar(options.holiday_calendar, tuple(range(first_month.year, options.month.year + 1)))
    own = set(options.holidays)
    center = Center(team_ids=teams["team_id"].to_list(), calendar=options.calendar,
                    holidays=tuple(sorted(own | public.holidays)), workdays=tuple(sorted(public.workdays - own)),
                    evaluator_bias=options.evaluator_bias)
    start = np.datetime64(first_month.first_day)
    # Tenure before the first month: long tail of veterans, a few recent hires (new hires).
    tenure = np.where(rng.random(options.agents) < 0.06, rng.integers(1, 45, options.agents),
                      rng.exponential(700, options.agents).astype(np.int64) + 45)
    teams_of = np.arange(options.agents) % len(center.team_ids)
    center.hire_agents(rng, start - tenure.astype("timedelta64[D]"), rng.permutation(teams_of))
    return center


def _evolve_roster(center: Center, month: Month, rng: np.random.Generator) -> None:
    """Exits, replacement hires and team moves of one month (before its snapshot)."""
    active = np.flatnonzero(center.active(month) & (center.hire < np.datetime64(month.first_day)))
    leaving = active[rng.random(len(active)) < 0.025]
    center.exit[leaving] = np.datetime64(month.first_day) + rng.integers(0, month.days, len(leaving)).astype("timedelta64[D]")
    if len(leaving) == 0 and len(active) >= 100:
        # A center this size loses someone most months; one leaving on the 12th shows the leaver rules (SPEC §6, §7).
        leaving = active[[month.month % len(active)]]
        center.exit[leaving] = np.datetime64(month.first_day) + np.timedelta64(11, "D")
    movers = active[rng.random(len(active)) < 0.01]
    center.team[movers] = rng.integers(0, len(center.team_ids), len(movers))
    hires = len(leaving) + rng.integers(0, 2)
    hire_dates = np.datetime64(month.first_day) + rng.integers(0, month.days, hires).astype("timedelta64[D]")
    center.hire_agents(rng, hire_dates, rng.integers(0, len(center.team_ids), hires))


def _agents(center: Center, month: Month, rng: np.random.Generator) -> pl.DataFrame:
    # The snapshot lists current agents and those who left in the last two months.
    shown = (center.hire <= np.datetime64(month.last_day)) & (
        np.isnat(center.exit) | (center.exit >= np.datetime64(month.previous().first_day))
    )
    index = np.flatnonzero(shown)
    ids = center.ids(index)
    return _frame(
        "agents",
        {
            "agent_id": ids,
            "agent_name": center.name[index].astype(str),
            "team_id": np.array(center.team_ids)[center.team[index]],
            "shift_pattern": center.pattern[index].astype(str),
            "hire_date": center.hire[index],
            "exit_date": center.exit[index],
            "email": np.where(center.has_email[index], np.char.add(np.char.lower(ids), "@example.com"), None),
        },
    )


def _attendance(center: Center, month: Month, rng: np.random.Generator) -> pl.DataFrame:
    active = np.flatnonzero(center.active(month))
    dates = np.arange(np.datetime64(month.first_day), np.datetime64(month.last_day) + 1)
    weekday = (dates.astype(np.int64) + 3) % 7  # 0 = Monday
    in_service = (center.hire[active, None] <= dates[None, :]) & (
        np.isnat(center.exit[active, None]) | (center.exit[active, None] >= dates[None, :])
    )
    off = center.day_off[active, None]
    is_open = np.isin(np.arange(len(dates)), center.open_days(month))[None, :]
    # A 7-day center gives each agent two days off a week; a weekday center closes at the weekend.
    rest = (weekday[None, :] - off) % 7 >= 2 if center.calendar == "7day" else True
    scheduled = in_service & is_open & rest
    rows, cols = np.nonzero(scheduled)
    agent = active[rows]
    date = dates[cols]
    count = len(agent)

    pattern = center.pattern[agent]
    iso_week = (date.astype(np.int64) + 3) // 7
    kind = np.where(pattern == "day", "day", np.where(pattern == "night", "night", np.array(ROTATION)[iso_week % 3]))
    start_hour = np.select([kind == k for k in SHIFT_TIMES], [SHIFT_TIMES[k][0] for k in SHIFT_TIMES])
    length = np.select([kind == k for k in SHIFT_TIMES], [SHIFT_TIMES[k][1] for k in SHIFT_TIMES])
    start = date.astype("datetime64[m]") + (start_hour * 60).astype("timedelta64[m]")
    end = start + (length * 60).astype("timedelta64[m]")

    leave = rng.random(count) < 0.035
    leave_type = np.where(leave, rng.choice(LEAVE_TYPES, count, p=LEAVE_SHARES), "none")
    approved = np.where(leave, rng.random(count) < 0.9, False)
    excused = leave & approved
    # Unexcused absence (旷工): rare, except for leave that was refused.
    absent = np.where(leave, ~approved & (rng.random(count) < 0.7), rng.random(count) < 0.006)
    worked = ~absent & (~excused | (rng.random(count) < 0.05))

    late = rng.random(count) < np.clip(0.06 * center.late_prone[agent], 0, 0.6)
    serious = late & (rng.random(count) < 0.12)
    # Leavers work out their notice cleanly (no leave, absence or lateness), so the month shows that leaving, not
    # attendance, is what keeps them from perfect attendance and the lucky draw (SPEC §6).
    leaver = ~np.isnat(center.exit[agent]) & (center.exit[agent] <= np.datetime64(month.last_day))
    leave, excused, late, serious = leave & ~leaver, excused & ~leaver, late & ~leaver, serious & ~leaver
    leave_type = np.where(leave, leave_type, "none")
    approved = approved & ~leaver
    absent = absent & ~leaver
    worked = worked | leaver
    minutes_late = np.where(serious, 20 + rng.exponential(25, count), 1 + rng.exponential(5, count))
    early_by = rng.uniform(1, 15, count)
    clock_in = start + np.where(late, minutes_late * 60, -early_by * 60).astype("timedelta64[s]")
    clock_out = end + rng.uniform(0, 25 * 60, count).astype("timedelta64[s]")
    forgot_out = rng.random(count) < 0.005

    nat = np.datetime64("NaT", "s")
    return _frame(
        "attendance",
        {
            "shift_id": _serial_ids(f"SH{month.year}{month.month:02d}-", count, 7),
            "agent_id": center.ids(agent),
            "shift_date": date,
            "scheduled_start": start.astype("datetime64[us]"),
            "scheduled_end": end.astype("datetime64[us]"),
            "clock_in": np.where(worked, clock_in, nat).astype("datetime64[us]"),
            "clock_out": np.where(worked & ~forgot_out, clock_out, nat).astype("datetime64[us]"),
            "leave_type": leave_type,
            "leave_approved": approved,
        },
    )


def _qa(center: Center, month: Month, rng: np.random.Generator) -> tuple[pl.DataFrame, pl.DataFrame]:
    active = np.flatnonzero(center.active(month))
    per_agent = rng.choice([0, 1, 2, 3, 4, 5], len(active), p=[0.03, 0.05, 0.1, 0.32, 0.3, 0.2])
    agent = np.repeat(active, per_agent)
    count = len(agent)
    eval_ids = np.array(_serial_ids(f"QA{month.year}{month.month:02d}-", count, 6), dtype=str)

    # Deductions make the score: 100 minus the points lost, as QA tools compute it.
    items = rng.poisson(np.clip(3.0 - 0.8 * center.skill[agent], 0.3, None))
    owner = np.repeat(np.arange(count), items)
    category = rng.choice(DEDUCTION_CATEGORIES, len(owner), p=DEDUCTION_SHARES)
    points = rng.choice(DEDUCTION_POINTS, len(owner), p=DEDUCTION_POINT_SHARES).astype(float)
    critical = rng.random(count) < 0.03
    crit_owner = np.flatnonzero(critical)
    owner = np.concatenate([owner, crit_owner])
    category = np.concatenate([category, rng.choice(["business_risk", "compliance"], len(crit_owner))])
    points = np.concatenate([points, np.full(len(crit_owner), 30.0)])
    # One bad evaluation of the weakest agent evaluated only once: QA below 80 on too few evaluations, the
    # "to watch" case of SPEC §7 (no verdict on one call), so the demo shows it. Values only: the draws stay the same.
    once = np.flatnonzero(np.bincount(agent, minlength=len(center.skill))[agent] == 1)
    with_items = once[np.isin(once, owner)]
    if len(with_items):
        weakest = with_items[np.argmin(center.skill[agent[with_items]])]
        points[np.flatnonzero(owner == weakest)[0]] = 25.0
    lost = np.bincount(owner, weights=points, minlength=count)
    prefix = {"business_risk": "BR", "knowledge": "KN", "compliance": "CP", "etiquette": "ET", "process": "PR", "other": "OT"}
    numbers = rng.integers(1, 20, len(owner)).tolist()  # drawn as before, so the rest of the month stays the same
    # A QA form has a handful of items per category: the code's number picks one, and its wording comes with it.
    picked = [(c, (n - 1) % len(QA_ITEM_NAMES[c])) for c, n in zip(category.tolist(), numbers)]
    item_code = [f"{prefix[c]}-{i + 1:02d}" for c, i in picked]
    item_name = [QA_ITEM_NAMES[c][i] for c, i in picked]
    # About one QA evaluator per 25 agents; QA001 scores `evaluator_bias` points above (or below) the others.
    evaluators = max(3, round(len(active) / 25))
    evaluator = rng.integers(1, evaluators + 1, count)
    bias = np.where(evaluator == 1, center.evaluator_bias, 0.0)
    evaluations = _frame(
        "qa_evaluations",
        {
            "evaluation_id": eval_ids,
            "agent_id": center.ids(agent),
            "evaluated_at": _random_times(rng, month, count, (9, 18), center.open_days(month)),
            "evaluator_id": [f"QA{number:03d}" for number in evaluator.tolist()],
            "channel": rng.choice(["voice", "chat", "email", "other"], count, p=[0.6, 0.3, 0.08, 0.02]),
            "score": np.clip(100.0 - lost + bias, 0, 100),
            "critical_error": critical,
        },
    )
    deductions = _frame(
        "qa_deductions",
        {"evaluation_id": eval_ids[owner], "item_code": item_code, "category": category, "points": points,
         "item_name": item_name}
    ).sort("evaluation_id", maintain_order=True)
    return evaluations, deductions


def _csat(center: Center, month: Month, rng: np.random.Generator) -> pl.DataFrame:
    active = np.flatnonzero(center.active(month))
    volume = center.csat_volume[active] * np.where(center.pattern[active] == "night", 0.5, 1.0)
    agent = np.repeat(active, rng.poisson(volume))
    count = len(agent)
    top = np.clip(0.62 + 0.08 * center.skill[agent], 0.3, 0.95)
    draw = rng.random(count)
    four = np.clip(0.9 - top, 0.02, None)
    score = np.where(draw < top, 5, np.where(draw < top + four, 4, rng.choice([1, 2, 3], count, p=[0.35, 0.2, 0.45])))
    return _frame(
        "csat_responses",
        {
            "response_id": _serial_ids(f"R{month.year}{month.month:02d}-", count, 7),
            "agent_id": center.ids(agent),
            "responded_at": _random_times(rng, month, count, (0, 24), center.open_days(month)),
            "score": score.astype(np.int64),
            "channel": rng.choice(["voice", "chat", "email"], count, p=[0.6, 0.3, 0.1]),
        }
    )


def _complaints(center: Center, month: Month, rng: np.random.Generator) -> pl.DataFrame:
    active = np.flatnonzero(center.active(month))
    count = rng.poisson(0.05 * len(active))
    agents = rng.choice(active, count) if len(active) else np.empty(0, dtype=np.int64)
    attributed = rng.random(count) < 0.9
    received = _random_times(rng, month, count, (8, 23))
    days_to_close = rng.exponential(9, count)
    closed = received + (days_to_close * 86400).astype("timedelta64[s]")
    final_status = rng.choice(["substantiated", "unsubstantiated", "withdrawn"], count, p=[0.45, 0.4, 0.15])
    rows = []
    month_end = month.end
    for i in range(count):
        complaint_id = f"C{month.year}{month.month:02d}-{i + 1:05d}"
        agent_id = str(center.ids(agents[i:i + 1])[0]) if attributed[i] else None
        row = {
            "complaint_id": complaint_id,
            "agent_id": agent_id,
            "received_at": received[i].item(),
            "category": str(rng.choice(names.COMPLAINT_CATEGORIES)),
            "severity": str(rng.choice(["low", "medium", "high"], p=[0.5, 0.35, 0.15])),
        }
        if closed[i].item() < month_end:
            rows.append({**row, "status": str(final_status[i]), "closed_at": closed[i].item()})
        else:
            age = (month_end - received[i].item()).days
            rows.append({**row, "status": "open" if age < 3 else "investigating", "closed_at": None})
            center.open_complaints.append({**row, "status": str(final_status[i]), "closed_at": closed[i].item()})
        if agent_id is not None:
            center.complaints_by_agent.setdefault(int(agents[i]), []).append(complaint_id)
    # Earlier complaints closing this month reappear with their final status (SPEC §2).
    closing = [c for c in center.open_complaints if month.start <= c["closed_at"] < month_end]
    center.open_complaints = [c for c in center.open_complaints if c["closed_at"] >= month_end]
    schema = SOURCES["complaints"].columns
    frame = pl.DataFrame(rows + closing, schema=schema) if rows or closing else pl.DataFrame(schema=schema)
    return frame


def _discipline(center: Center, month: Month, rng: np.random.Generator, teams: pl.DataFrame,
                attendance: pl.DataFrame) -> pl.DataFrame:
    active = np.flatnonzero(center.active(month))
    serious_late = set(
        attendance.filter(pl.col("clock_in") - pl.col("scheduled_start") >= pl.duration(minutes=20))["agent_id"].to_list()
    )
    ids = center.ids(active)
    penalty_rate = np.where(np.isin(ids, list(serious_late)), 0.25, 0.04)
    penalties = rng.random(len(active)) < penalty_rate
    rewards = rng.poisson(np.clip(0.12 + 0.05 * center.skill[active], 0.01, None))
    agent = np.concatenate([active[penalties], np.repeat(active, rewards)])
    kind = np.array(["penalty"] * int(penalties.sum()) + ["reward"] * int(rewards.sum()))
    count = len(agent)
    category = np.where(
        kind == "penalty",
        rng.choice(PENALTY_CATEGORIES, count, p=PENALTY_SHARES),
        rng.choice(REWARD_CATEGORIES, count, p=REWARD_SHARES),
    )
    first = np.datetime64(month.first_day)
    earliest = np.maximum(center.hire[agent], first)
    latest = np.minimum(np.where(np.isnat(center.exit[agent]), np.datetime64(month.last_day), center.exit[agent]),
                        np.datetime64(month.last_day))
    span = (latest - earliest).astype(np.int64) + 1
    action = earliest + (rng.random(count) * span).astype("timedelta64[D]")
    lag = np.where(rng.random(count) < 0.7, rng.integers(0, 4, count),
                   np.where(rng.random(count) < 0.67, rng.integers(4, 8, count), rng.integers(8, 31, count)))
    incident = action - lag.astype("timedelta64[D]")
    amount = np.select(
        [category == "fine", category == "bonus", category == "gift"],
        [rng.integers(5, 51, count) * 10.0, rng.integers(10, 101, count) * 10.0, rng.integers(5, 21, count) * 10.0],
        np.nan,
    )
    complaint_ids: list[str | None] = []
    reason = []
    for i in range(count):
        cited = center.complaints_by_agent.get(int(agent[i]), [])
        if kind[i] == "penalty" and cited and rng.random() < 0.6:
            complaint_ids.append(str(rng.choice(cited)))
            reason.append("COMPLAINT")
        else:
            complaint_ids.append(None)
            choices = ["LATE", "ABSENT", "QA_FAIL", "CONDUCT"] if kind[i] == "penalty" else ["CSAT_PRAISE", "QA_EXCELLENT", "TEAM_HELP", "MENTOR"]
            reason.append(str(rng.choice(choices)))
    supervisor = teams["supervisor_id"].to_numpy()[center.team[agent]] if count else np.empty(0, dtype=str)
    return _frame(
        "discipline",
        {
            "action_id": _serial_ids(f"D{month.year}{month.month:02d}-", count, 6),
            "agent_id": center.ids(agent),
            "kind": kind.astype(str),
            "category": category.astype(str),
            "reason_code": reason,
            "incident_date": incident,
            "action_date": action,
            "amount": amount,
            "complaint_id": complaint_ids,
            "issued_by": supervisor.astype(str),
        },
    ).with_columns(pl.col("amount").fill_nan(None))


def generate(options: GenerateOptions) -> list[Path]:
    """Write every source for `options.month` and the `months_back` months before it.

    Returns the month folders written, oldest first.
    """
    months = options.month.back(options.months_back)
    teams = _teams(options, np.random.default_rng([options.seed, 1]))
    center = _start_center(options, teams, months[0])
    folders = []
    for index, month in enumerate(months):
        rng = _month_rng(options.seed, month)
        if index > 0:
            _evolve_roster(center, month, rng)
        attendance = _attendance(center, month, rng)
        evaluations, deductions = _qa(center, month, rng)
        complaints = _complaints(center, month, rng)
        frames = {
            "teams": teams,
            "agents": _agents(center, month, rng),
            "attendance": attendance,
            "qa_evaluations": evaluations,
            "qa_deductions": deductions,
            "csat_responses": _csat(center, month, rng),
            "complaints": complaints,
            "discipline": _discipline(center, month, rng, teams, attendance),
        }
        frames = {name: frame.select(SOURCES[name].columns.keys()).cast(SOURCES[name].columns) for name, frame in frames.items()}
        folder = options.out / str(month)
        folder.mkdir(parents=True, exist_ok=True)
        if options.bad_rows:
            frames, injected = inject_bad_rows(frames, month, rng)
            injected.write_csv(folder / "_injected_bad_rows.csv")
        for name, frame in frames.items():
            write_source(frame, folder / name, options.fmt, options.encoding)
        folders.append(folder)
    return folders
