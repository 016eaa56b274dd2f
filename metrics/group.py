"""The group roll-up (SPEC §15): one row per center, read from each center's finished month.

A center's month folder (`<center.out>/<YYYY-MM>/`) holds what its run wrote: the whole center's
row of management_health.csv (team_id `ALL`), awards.csv, qa_calibration.csv, data_quality.csv and
the policy the month was run with (policy.yaml: its own targets). The roll-up reads those files as
they are, never recomputes a center's figures, and takes from them counts only: no agent or
evaluator is named. A center whose run did not finish is a row of its own, `available` false with
the reason, and never stops the others; one center's files are never read for another.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import yaml
from pydantic import ValidationError

from core.atomic import LinkRefused, refuse_links_under
from core.centers import Center
from core.config_files import MAX_CONFIG_BYTES, parse_yaml
from core.manifest import MANIFEST_FILE, ReportEntry
from core.months import Month
from core.output import output_csv_from_bytes, read_output_csv, write_output_csv
from core.policy import RECORDED_POLICY, Policy
from metrics.awards import AWARDS
from metrics.health import CENTER, HEALTH_COLUMNS

GROUP_HEALTH_FILE = "group_health.csv"
HEALTH_FILE = "management_health.csv"
SCORECARD_FILE = "agent_scorecard.csv"
AWARDS_FILE = "awards.csv"
CALIBRATION_FILE = "qa_calibration.csv"
DATA_QUALITY_FILE = "data_quality.csv"
# Every file of a center's month the roll-up reads.
MONTH_FILES = (HEALTH_FILE, SCORECARD_FILE, AWARDS_FILE, CALIBRATION_FILE, DATA_QUALITY_FILE, RECORDED_POLICY,
               MANIFEST_FILE)
# A run that wrote these finished: its figures and its reports' manifest are there.
FINISHED_RUN_FILES = (HEALTH_FILE, MANIFEST_FILE)

_COUNTS = {"headcount", "penalties", "severe_penalties", "rewards", "premature_complaint_penalties",
           "undisciplined_top_performers"}
# management_health.csv's indicators as the center wrote them (SPEC §8), with their types: a column that is empty in
# every row (no penalty anywhere: reward_penalty_ratio) would otherwise read as text.
INDICATORS = {name: pl.Int64 if name in _COUNTS else pl.String if name in ("status", "flags") else pl.Float64
              for name in HEALTH_COLUMNS if name not in ("month", "team_id")}
# The samples behind the center's pooled rates: sums of its scorecard's columns (SPEC §10, a rate with its n).
SAMPLE_SIZES = {"csat_responses": pl.Int64, "qa_evals": pl.Int64, "required_shifts": pl.Int64}
# Last month's figures and samples, for "against last month" and the changes beyond noise.
LAST_MONTH = {"headcount": pl.Int64, "csat": pl.Float64, "qa_score": pl.Float64, "attendance_rate": pl.Float64,
              "qa_coverage": pl.Float64, "status": pl.String, **SAMPLE_SIZES}
LAST_MONTH_SUFFIX = "_last_month"

GROUP_HEALTH_SCHEMA = {
    "month": pl.String, "center_id": pl.String, "center_name": pl.String, "available": pl.Boolean,
    "reason": pl.String,
    **INDICATORS,
    **SAMPLE_SIZES,
    # the center's own targets, from the policy its month was run with
    "csat_target": pl.Float64, "qa_target": pl.Float64,
    **{f"{name}{LAST_MONTH_SUFFIX}": dtype for name, dtype in LAST_MONTH.items()},
    "awards": pl.Int64, **{f"awards_{award}": pl.Int64 for award in AWARDS}, "award_winners": pl.Int64,
    "evaluators": pl.Int64, "flagged_evaluators": pl.Int64,
    "rows_read": pl.Int64, "rows_used": pl.Int64, "rows_quarantined": pl.Int64,
    "sources_with_quarantine": pl.Int64,
}


# A center's output file is at most this big: a month's management_health.csv or scorecard of a large center is a few
# megabytes; anything beyond is not a file its run wrote, and is not read into memory.
MAX_OUTPUT_BYTES = 20 * 1024 * 1024
MONTH_FOLDER = "month folder"  # an Unavailable's `file` when the month folder itself is refused (a link)
_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
# Opening a FIFO for reading waits for a writer; O_NONBLOCK makes it return, and fstat then refuses it.
_OPEN_FILE_FLAGS = _OPEN_FLAGS | os.O_NONBLOCK

STATUSES = ("red", "amber", "green")
# The ALL row's indicators that are shares (0 to 1), the QA score (0 to 100), and those never below zero; every
# indicator but a count may be null (no responses, no evaluations, no penalty: metrics/health.py's `ratio`).
_SHARES = {"untimely_action_share", "qa_coverage", "discretionary_deduction_share", "attrition_rate", "csat",
           "attendance_rate"}
_NON_NEGATIVE = {"penalty_rate_per_100", "severe_penalty_rate_per_100", "reward_penalty_ratio"}
# one of management_health.csv's `flags`, as metrics/health.py writes it: qa_coverage<0.8, csat<0.96
_FLAG = re.compile(r"(?P<name>[a-z0-9_]+)(?:>=|<=|<|>|=)(?P<limit>.+)")


class UnreadableOutput(Exception):
    """A file of a center's month that does not read as the run writes it (the file's name only: its cells may
    hold personnel data, and the reason goes into the group report)."""

    def __init__(self, file: str):
        super().__init__(file)
        self.file = file


UNAVAILABLE_KINDS = ("not_landed", "failed", "unfinished", "canceled", "not_run", "unreadable")


@dataclass(frozen=True)
class Unavailable:
    """Why a center's month has no figures, as data: the report words it in its language (reports/group.py), and
    `text` is the English of group_health.csv's `reason` column, for ops (step and check names kept). Never a
    row of data: names of sources, steps, checks and files, and a run's id, only."""

    kind: str  # one of UNAVAILABLE_KINDS
    month: str
    missing_sources: tuple[str, ...] = ()  # not_landed: the sources whose files have not arrived
    steps: tuple[str, ...] = ()  # failed: the steps that failed (raw_<source>, valid_<source>, …)
    checks: tuple[str, ...] = ()  # failed: the blocking checks that stopped it (`asset.check`)
    run_id: str = ""  # the run's id, shortened to 8 characters as ops reads it
    run_status: str = ""  # unfinished: queued, started, …
    file: str = ""  # unreadable: the file of the month that does not read

    def __post_init__(self):
        if self.kind not in UNAVAILABLE_KINDS:
            raise ValueError(f"unknown kind of unavailable month: {self.kind!r}")

    @property
    def text(self) -> str:
        month, run = self.month, self.run_id
        if self.kind == "not_landed":
            return f"data for {month} has not landed: missing {', '.join(self.missing_sources)}"
        if self.kind == "not_run":
            return f"no finished run for {month}"
        if self.kind == "unfinished":
            return f"its run of {month} has not finished (run {run}, {self.run_status})"
        if self.kind == "canceled":
            return f"its run of {month} was canceled (run {run})"
        if self.kind == "unreadable":
            return f"its {self.file or HEALTH_FILE} for {month} cannot be read"
        where = f" at {', '.join(self.steps)}" if self.steps else ""
        stopped = f", stopped by the blocking check(s) {', '.join(self.checks)}" if self.checks else ""
        return f"its run of {month} failed{where}{stopped} (run {run}; the center's ops alert has the detail)"


@dataclass(frozen=True)
class CenterMonth:
    center: Center
    folder: Path | None  # <center.out>/<M> when its run finished with outputs, else None
    unavailable: Unavailable | None = None  # None when available

    @property
    def available(self) -> bool:
        return self.folder is not None


def center_month(center: Center, month: Month, reason_if_missing: Unavailable | None = None) -> CenterMonth:
    """The center's month: available when its run finished (month_finished: FINISHED_RUN_FILES, a manifest that
    records a report); unreadable when a link or a corrupt manifest is there; else unavailable with
    `reason_if_missing` (what the caller knows: late data, a failed run), or not run."""
    folder = Path(center.out) / str(month)
    try:
        finished = month_finished(folder)
    except UnreadableOutput as error:  # a link where the run wrote its month, a corrupt manifest: nothing is read
        return CenterMonth(center, None, Unavailable("unreadable", str(month), file=error.file))
    if finished:
        return CenterMonth(center, folder)
    return CenterMonth(center, None, reason_if_missing or Unavailable("not_run", str(month)))


def _open_month_folder(folder: Path) -> int | None:
    """A descriptor of a center's month folder `<center.out>/<M>`, None when there is none. The out folder may be a
    link (the operator's choice of where it lives); the month folder is opened without following one, so a link
    planted in its place (to another center's month) is refused: UnreadableOutput(MONTH_FOLDER)."""
    try:
        out_fd = os.open(folder.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as error:
        raise UnreadableOutput(MONTH_FOLDER) from error
    try:
        return os.open(folder.name, _OPEN_FLAGS | os.O_DIRECTORY, dir_fd=out_fd)
    except FileNotFoundError:
        return None
    except OSError as error:  # ELOOP: a link; ENOTDIR: a file; EACCES
        raise UnreadableOutput(MONTH_FOLDER) from error
    finally:
        os.close(out_fd)


def read_month_file(folder: Path, name: str, limit: int = MAX_OUTPUT_BYTES) -> bytes | None:
    """The bytes of one file of a center's month folder, None when it has none. Every file of a center is read
    here: never through a symbolic link (the folder's or the file's), only a regular file, at most `limit` bytes;
    anything else is UnreadableOutput naming the file (never anything read from it)."""
    month_fd = _open_month_folder(Path(folder))
    if month_fd is None:
        return None
    try:
        fd = os.open(name, _OPEN_FILE_FLAGS, dir_fd=month_fd)
    except FileNotFoundError:
        return None
    except OSError as error:  # ELOOP: a link, EACCES, …
        raise UnreadableOutput(name) from error
    finally:
        os.close(month_fd)
    try:
        with os.fdopen(fd, "rb") as file:
            status = os.fstat(file.fileno())
            if not stat.S_ISREG(status.st_mode) or status.st_size > limit:  # a folder, a pipe, a device; too big
                raise UnreadableOutput(name)
            data = file.read(limit + 1)
    except OSError as error:
        raise UnreadableOutput(name) from error
    if len(data) > limit:  # it grew while being read
        raise UnreadableOutput(name)
    return data


def has_finished_run_files(folder: Path) -> bool:
    """Whether the month folder holds FINISHED_RUN_FILES, each a regular file; UnreadableOutput when the folder
    is a link or holds one (a run refuses links in its month folder before writing: core/atomic.py)."""
    month_fd = _open_month_folder(Path(folder))
    if month_fd is None:
        return False
    try:
        refuse_links_under(Path(folder))
        found = []
        for name in FINISHED_RUN_FILES:
            try:
                found.append(stat.S_ISREG(os.stat(name, dir_fd=month_fd, follow_symlinks=False).st_mode))
            except FileNotFoundError:
                found.append(False)
    except LinkRefused as error:  # named by the file the roll-up reads, when it is one of them
        raise UnreadableOutput(next((name for name in MONTH_FILES if _is_link(month_fd, name)), MONTH_FOLDER)) \
            from error
    except OSError as error:
        raise UnreadableOutput(MONTH_FOLDER) from error
    finally:
        os.close(month_fd)
    return all(found)


def _is_link(month_fd: int, name: str) -> bool:
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=month_fd, follow_symlinks=False).st_mode)
    except OSError:
        return False


def month_finished(folder: Path) -> bool:
    """Whether a center's run of the month finished: its FINISHED_RUN_FILES are there and its manifest records a
    report. UnreadableOutput when a file is a link or the manifest does not read as core/manifest.py writes it."""
    if not has_finished_run_files(folder):
        return False
    data = read_month_file(folder, MANIFEST_FILE)
    if data is None:
        return False
    try:
        document = json.loads(data.decode("utf-8"))
        entries = [ReportEntry(**entry) for entry in document["reports"]]
    except (ValueError, TypeError, KeyError, AttributeError) as error:  # "", "{}", "[1]", an unknown key
        raise UnreadableOutput(MANIFEST_FILE) from error
    return bool(entries)


def unavailable_reason(center_month_: CenterMonth, row: dict) -> Unavailable | None:
    """Why group_health's `row` of this center is not available: the caller's reason, or a file of its finished
    month that does not read (group_health found it); None when available."""
    if row["available"]:
        return None
    # the file's name is in the row's reason, for ops; the report says only that the outputs do not read
    return center_month_.unavailable or Unavailable("unreadable", row["month"])


def _center_row(folder: Path) -> dict | None:
    """The whole center's (`ALL`) row of a month's management_health.csv, typed and checked (_checked_row); None
    without one."""
    data = read_month_file(folder, HEALTH_FILE)
    if data is None:
        return None
    try:
        health = _csv(data, {"team_id": pl.String, **INDICATORS})
        rows = health.filter(pl.col("team_id") == CENTER).select(list(INDICATORS))
    except (ValueError, pl.exceptions.PolarsError) as error:
        raise UnreadableOutput(HEALTH_FILE) from error
    if rows.height > 1:  # two whole-center rows: which one the run meant cannot be told
        raise UnreadableOutput(HEALTH_FILE)
    return _checked_row(rows.row(0, named=True)) if rows.height else None


def _csv(data: bytes, schema: dict, columns: list[str] | None = None) -> pl.DataFrame:
    """A CSV a center's run wrote (core/output.py), from its bytes."""
    return output_csv_from_bytes(data, schema, columns)


def _checked_row(row: dict) -> dict:
    """The ALL row as metrics/health.py can write it, else UnreadableOutput: a status of red, amber or green; every
    count a whole number, never below zero; every other indicator null (nothing to measure) or a finite number in
    its range; every flag `<indicator><operator><limit>` about a measured indicator. The report words each as it
    reads, and a row it cannot word would stop the group report for every center."""
    def refuse():
        raise UnreadableOutput(HEALTH_FILE)

    if row["status"] not in STATUSES:
        refuse()
    for name, value in row.items():
        if name in ("status", "flags"):
            continue
        if name in _COUNTS:
            if value is None or value < 0:
                refuse()
        elif value is not None and (not math.isfinite(value)
                                    or (name in _SHARES and not 0 <= value <= 1)
                                    or (name == "qa_score" and not 0 <= value <= 100)
                                    or (name in _NON_NEGATIVE and value < 0)):
            refuse()
    for flag in (row["flags"] or "").split(";") if row["flags"] else ():
        match = _FLAG.fullmatch(flag)
        if match is None or match["name"] not in INDICATORS or INDICATORS[match["name"]] == pl.String \
                or row[match["name"]] is None:
            refuse()
        try:
            limit = float(match["limit"])
        except ValueError:
            refuse()
        if not math.isfinite(limit):
            refuse()
    return row


def _sample_sizes(folder: Path) -> dict:
    """Sums of the scorecard's sample columns; only those columns are read (the file also holds names)."""
    card = _read(folder, SCORECARD_FILE, SAMPLE_SIZES)
    if card is None:
        return dict.fromkeys(SAMPLE_SIZES)
    return {name: _count(card[name], SCORECARD_FILE) for name in SAMPLE_SIZES}


def _count(column: pl.Series, name: str) -> int:
    """The sum of a column of counts; UnreadableOutput when one is below zero (or the sum does not fit)."""
    if column.min() is not None and column.min() < 0:
        raise UnreadableOutput(name)
    total = sum(int(value) for value in column.drop_nulls())  # Python's int: a sum never wraps round
    if total >= 2 ** 63:
        raise UnreadableOutput(name)
    return total


def _read(folder: Path, name: str, schema: dict) -> pl.DataFrame | None:
    """Only `schema`'s columns of one of the month's CSVs (a file may also hold names); None without the file."""
    data = read_month_file(folder, name)
    if data is None:
        return None
    try:
        return _csv(data, schema, columns=list(schema))
    except (ValueError, pl.exceptions.PolarsError) as error:
        raise UnreadableOutput(name) from error


def recorded_policy(folder: Path | None) -> Policy | None:
    """The policy the center's month was run with (its policy.yaml); None without one or when it does not read as
    a policy (its targets are then unknown). Read as every file of the month is: UnreadableOutput for a link."""
    data = read_month_file(folder, RECORDED_POLICY, MAX_CONFIG_BYTES) if folder is not None else None
    if data is None:
        return None
    try:
        raw = parse_yaml(data.decode("utf-8")) or {}
        return Policy.model_validate(raw) if isinstance(raw, dict) else None
    except (UnicodeDecodeError, yaml.YAMLError, RecursionError, ValidationError, ValueError):
        return None


def _targets(folder: Path) -> dict:
    """The center's own targets, as its month was run (SPEC §11 "bound to its month")."""
    policy = recorded_policy(folder)
    if policy is None:
        return {"csat_target": None, "qa_target": None}
    return {"csat_target": float(policy.csat_target), "qa_target": float(policy.qa_target)}


def _last_month(center: Center, month: Month) -> dict:
    folder = Path(center.out) / str(month.previous())
    try:
        row = _center_row(folder)
        figures = {**row, **_sample_sizes(folder)} if row is not None else None
    # last month's files are for comparing only: without them (broken, a link), nothing is compared
    except (UnreadableOutput, ArithmeticError, LookupError, TypeError, ValueError, OSError,
            pl.exceptions.PolarsError):
        figures = None
    if figures is None:
        return {f"{name}{LAST_MONTH_SUFFIX}": None for name in LAST_MONTH}
    return {f"{name}{LAST_MONTH_SUFFIX}": figures.get(name) for name in LAST_MONTH}


def _awards(folder: Path) -> dict:
    awards = _read(folder, AWARDS_FILE, {"award": pl.String, "agent_id": pl.String})
    if awards is None:
        return {"awards": None, **{f"awards_{award}": None for award in AWARDS}, "award_winners": None}
    return {"awards": awards.height,
            **{f"awards_{award}": awards.filter(pl.col("award") == award).height for award in AWARDS},
            "award_winners": awards["agent_id"].n_unique()}


def _calibration(folder: Path) -> dict:
    """How many evaluators, how many flagged: counts only (an evaluator id is personnel data here)."""
    calibration = _read(folder, CALIBRATION_FILE, {"evaluator_id": pl.String, "flagged": pl.Boolean})
    if calibration is None:
        return {"evaluators": None, "flagged_evaluators": None}
    return {"evaluators": calibration.height,
            "flagged_evaluators": int(calibration["flagged"].fill_null(False).sum())}


def _data_quality(folder: Path) -> dict:
    quality = _read(folder, DATA_QUALITY_FILE, {"rows_read": pl.Int64, "rows_used": pl.Int64,
                                                "rows_quarantined": pl.Int64})
    if quality is None:
        return {"rows_read": None, "rows_used": None, "rows_quarantined": None, "sources_with_quarantine": None}
    return {"rows_read": _count(quality["rows_read"], DATA_QUALITY_FILE),
            "rows_used": _count(quality["rows_used"], DATA_QUALITY_FILE),
            "rows_quarantined": _count(quality["rows_quarantined"], DATA_QUALITY_FILE),
            "sources_with_quarantine": quality.filter(pl.col("rows_quarantined") > 0).height}


def _row(center_month_: CenterMonth, month: Month) -> dict:
    center = center_month_.center
    row = dict.fromkeys(GROUP_HEALTH_SCHEMA)
    row.update(month=str(month), center_id=center.id, center_name=center.name)
    folder = center_month_.folder
    try:
        figures = _center_row(folder) if folder is not None else None
        if figures is not None:
            found = {**figures, **_sample_sizes(folder), **_targets(folder), **_last_month(center, month),
                     **_awards(folder), **_calibration(folder), **_data_quality(folder)}
    except UnreadableOutput as error:  # one center's broken file never stops the roll-up of the others
        row.update(available=False, reason=Unavailable("unreadable", str(month), file=error.file).text)
        return row
    except (ArithmeticError, LookupError, TypeError, ValueError, OSError, pl.exceptions.PolarsError):
        # a file of the month that reads in a way not foreseen above: this center only is not available
        row.update(available=False, reason=Unavailable("unreadable", str(month), file=MONTH_FOLDER).text)
        return row
    if figures is None:  # no finished run, or one whose management_health.csv holds no whole-center row
        reason = center_month_.unavailable or Unavailable("unreadable", str(month), file=HEALTH_FILE)
        row.update(available=False, reason=reason.text)
        return row
    row.update(available=True, reason="", **found)
    return row


def group_health(centers: list[CenterMonth], month: Month) -> pl.DataFrame:
    """One row per center, in the order given (centers.yaml's): the center's `ALL` row of management_health.csv
    as it wrote it (status and flags included), the samples behind its rates, its own targets, last month's
    figures, and counts of awards, flagged evaluators and quarantined rows; a center not available has
    available=false, its reason, and nulls."""
    return pl.DataFrame([_row(center, month) for center in centers], schema=GROUP_HEALTH_SCHEMA) \
        if centers else pl.DataFrame(schema=GROUP_HEALTH_SCHEMA)


def write_group_health(health: pl.DataFrame, out_folder: Path) -> Path:
    """`<out_folder>/group_health.csv`, written whole or not at all (SPEC §9)."""
    return write_output_csv(health, Path(out_folder) / GROUP_HEALTH_FILE)


def read_group_health(path: Path) -> pl.DataFrame:
    return read_output_csv(path, schema_overrides=GROUP_HEALTH_SCHEMA).cast(GROUP_HEALTH_SCHEMA)
