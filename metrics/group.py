"""The group roll-up (SPEC §15): one row per center, read from each center's finished month.

A center's month folder (`<center.out>/<YYYY-MM>/`) holds what its run wrote: the whole center's
row of management_health.csv (team_id `ALL`), awards.csv, qa_calibration.csv, data_quality.csv and
the policy the month was run with (policy.yaml: its own targets). The roll-up reads those files as
they are, never recomputes a center's figures, and takes from them counts only: no agent or
evaluator is named. A center whose run did not finish is a row of its own, `available` false with
the reason, and never stops the others; one center's files are never read for another.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from core.centers import Center
from core.errors import PolicyError
from core.manifest import MANIFEST_FILE
from core.months import Month
from core.output import read_output_csv, write_output_csv
from core.policy import RECORDED_POLICY, load_policy
from metrics.awards import AWARDS
from metrics.health import CENTER, HEALTH_COLUMNS

GROUP_HEALTH_FILE = "group_health.csv"
HEALTH_FILE = "management_health.csv"
SCORECARD_FILE = "agent_scorecard.csv"
AWARDS_FILE = "awards.csv"
CALIBRATION_FILE = "qa_calibration.csv"
DATA_QUALITY_FILE = "data_quality.csv"
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
    """The center's month: available when its folder holds a finished run's outputs (FINISHED_RUN_FILES);
    else unavailable with `reason_if_missing` (what the caller knows: late data, a failed run), or not run."""
    folder = Path(center.out) / str(month)
    if all((folder / name).is_file() and not (folder / name).is_symlink() for name in FINISHED_RUN_FILES):
        return CenterMonth(center, folder)
    return CenterMonth(center, None, reason_if_missing or Unavailable("not_run", str(month)))


def unavailable_reason(center_month_: CenterMonth, row: dict) -> Unavailable | None:
    """Why group_health's `row` of this center is not available: the caller's reason, or a file of its finished
    month that does not read (group_health found it); None when available."""
    if row["available"]:
        return None
    # the file's name is in the row's reason, for ops; the report says only that the outputs do not read
    return center_month_.unavailable or Unavailable("unreadable", row["month"])


def _center_row(folder: Path) -> dict | None:
    """The whole center's (`ALL`) row of a month's management_health.csv, typed; None without one."""
    path = folder / HEALTH_FILE
    if not path.is_file():
        return None
    try:
        health = read_output_csv(path, schema_overrides={"team_id": pl.String, **INDICATORS})
        rows = health.filter(pl.col("team_id") == CENTER).select(list(INDICATORS))
    except (OSError, ValueError, pl.exceptions.PolarsError) as error:
        raise UnreadableOutput(HEALTH_FILE) from error
    return rows.row(0, named=True) if rows.height else None


def _sample_sizes(folder: Path) -> dict:
    """Sums of the scorecard's sample columns; only those columns are read (the file also holds names)."""
    card = _read(folder, SCORECARD_FILE, SAMPLE_SIZES)
    if card is None:
        return dict.fromkeys(SAMPLE_SIZES)
    return {name: int(card[name].sum()) for name in SAMPLE_SIZES}


def _read(folder: Path, name: str, schema: dict) -> pl.DataFrame | None:
    path = folder / name
    if not path.is_file():
        return None
    try:
        data = path.read_bytes().removeprefix(b"\xef\xbb\xbf")
        return pl.read_csv(data, columns=list(schema), schema_overrides=schema)
    except (OSError, ValueError, pl.exceptions.PolarsError) as error:
        raise UnreadableOutput(name) from error


def _targets(folder: Path) -> dict:
    """The center's own targets, as its month was run (SPEC §11 "bound to its month")."""
    path = folder / RECORDED_POLICY
    if not path.is_file():
        return {"csat_target": None, "qa_target": None}
    try:
        policy = load_policy(path)
    except (PolicyError, OSError):
        return {"csat_target": None, "qa_target": None}
    return {"csat_target": float(policy.csat_target), "qa_target": float(policy.qa_target)}


def _last_month(center: Center, month: Month) -> dict:
    folder = Path(center.out) / str(month.previous())
    try:
        row = _center_row(folder)
        figures = {**row, **_sample_sizes(folder)} if row is not None else None
    except UnreadableOutput:  # last month's files are for comparing only: without them, nothing is compared
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
    return {"evaluators": calibration.height, "flagged_evaluators": int(calibration["flagged"].fill_null(False).sum())}


def _data_quality(folder: Path) -> dict:
    quality = _read(folder, DATA_QUALITY_FILE, {"rows_read": pl.Int64, "rows_used": pl.Int64,
                                                "rows_quarantined": pl.Int64})
    if quality is None:
        return {"rows_read": None, "rows_used": None, "rows_quarantined": None, "sources_with_quarantine": None}
    return {"rows_read": int(quality["rows_read"].sum()), "rows_used": int(quality["rows_used"].sum()),
            "rows_quarantined": int(quality["rows_quarantined"].sum()),
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
