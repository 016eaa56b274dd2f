"""Generate a group of centers (SPEC §15): `centers.yaml`, and each center's data and policy.

Each center is the single-center generator's (synthetic/generator.py) with its own seed, so the
centers' months differ; agent ids are numbered per center (A000000, A000001, …), so the same id
recurs across centers, as it does when each site's workforce system numbers its own staff. The
policies differ the way a group's sites do: language, timezone, targets, weights, calendar.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from core.atomic import write_bytes_atomically
from core.errors import ConfigError
from core.months import Month
from synthetic.generator import Calendar, Encoding, Format, GenerateOptions, generate

GROUP_NAME = "Example Group"
GROUP_OUT = "group-out"
GROUP_DIRECTOR = "group.director@example.com"
OPS = "ccpulse-ops@example.com"
FIRST_CENTERS = (("sh", "Shanghai"), ("cd", "Chengdu"), ("gz", "Guangzhou"))
MORE_CITIES = ("Wuhan", "Hangzhou", "Nanjing", "Xi'an", "Tianjin", "Chongqing", "Shenyang", "Qingdao", "Changsha",
               "Zhengzhou", "Hefei", "Kunming", "Xiamen", "Fuzhou", "Dalian", "Harbin", "Nanning", "Jinan")
SEED_STRIDE = 1009  # a prime: the centers' seeds of one group never equal those of the next group seed


@dataclass(frozen=True)
class CenterStyle:
    """How a site differs from the others: what its policy says, and the calendar its data follows."""

    language: str
    timezone: str
    calendar: Calendar  # the generator's: `weekdays` opens Monday to Friday
    holiday_calendar: str | None
    targets: dict  # further policy keys


# Center 1 keeps the SPEC §3 defaults on China's public calendar; center 2 reports in Chinese against
# stricter targets and quality-heavy weights; center 3 serves its client's hours in Singapore, weekdays only.
STYLES = (
    CenterStyle("en", "Asia/Shanghai", "7day", "CN", {}),
    CenterStyle("zh-CN", "Asia/Shanghai", "7day", None, {
        "csat_target": 0.98, "qa_target": 92, "late_grace_minutes": 2,
        "weights": {"quality": 0.5, "satisfaction": 0.25, "attendance": 0.15, "conduct": 0.1}}),
    CenterStyle("en", "Asia/Singapore", "weekdays", None, {
        "csat_target": 0.94, "qa_target": 88, "min_csat_responses": 8,
        "operating_weekdays": ["mon", "tue", "wed", "thu", "fri"]}),
)


def center_ids_and_names(count: int) -> list[tuple[str, str]]:
    """sh Shanghai, cd Chengdu, gz Guangzhou, then c04 Wuhan, c05 Hangzhou, …"""
    centers = list(FIRST_CENTERS[:count])
    for number in range(len(centers) + 1, count + 1):
        rank = number - len(FIRST_CENTERS) - 1
        city = MORE_CITIES[rank % len(MORE_CITIES)]
        lap = rank // len(MORE_CITIES)
        centers.append((f"c{number:02d}", city if lap == 0 else f"{city} {lap + 1}"))
    return centers


def center_policy(center_id: str, index: int) -> dict:
    style = STYLES[index % len(STYLES)]
    policy = {"timezone": style.timezone, "language": style.language,
              "center_report_recipients": [f"director.{center_id}@example.com"], "ops_alert_recipients": [OPS]}
    if style.holiday_calendar:
        policy["holiday_calendar"] = style.holiday_calendar
    return policy | style.targets


def _write_yaml(path: Path, content: dict) -> None:
    text = yaml.safe_dump(content, sort_keys=False, allow_unicode=True, default_flow_style=None)
    write_bytes_atomically(path, text.encode("utf-8"))


def generate_group(root: Path, centers: int = 3, agents: int = 60, month: Month = Month.parse("2026-10"),
                   months_back: int = 2, seed: int = 7, team_size: int = 20, fmt: Format = "csv",
                   encoding: Encoding = "utf-8", bad_rows: bool = False) -> Path:
    """Write `centers` centers of `agents` agents each under `root`; returns the centers.yaml.

    `root`/data-<id>/<YYYY-MM>/ (month and the `months_back` before it), `root`/policy-<id>.yaml,
    and `root`/centers.yaml whose group writes to `root`/group-out and each center to `root`/out-<id>.
    """
    if centers < 1:
        raise ConfigError(f"centers must be at least 1, got {centers}")
    root = Path(root)
    listed = []
    for index, (center_id, name) in enumerate(center_ids_and_names(centers)):
        style = STYLES[index % len(STYLES)]
        generate(GenerateOptions(agents=agents, month=month, out=root / f"data-{center_id}", months_back=months_back,
                                 seed=seed * SEED_STRIDE + index, team_size=team_size, fmt=fmt, encoding=encoding,
                                 bad_rows=bad_rows, calendar=style.calendar, holiday_calendar=style.holiday_calendar))
        _write_yaml(root / f"policy-{center_id}.yaml", center_policy(center_id, index))
        listed.append({"id": center_id, "name": name, "data": f"data-{center_id}", "out": f"out-{center_id}",
                       "policy": f"policy-{center_id}.yaml"})
    file = root / "centers.yaml"
    _write_yaml(file, {"group": {"name": GROUP_NAME, "out": GROUP_OUT, "report_recipients": [GROUP_DIRECTOR],
                                 "language": "en"},
                       "centers": listed})
    return file
