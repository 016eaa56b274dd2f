"""Earlier months, as the current month needs them: last month's data, complaint files across
months, and earlier months' management health for the trends (SPEC §2, §5, §10)."""

from __future__ import annotations

import functools
import hashlib
import io
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import polars as pl

from core.atomic import write_bytes_atomically
from core.digests import files_digest
from core.errors import StructuralError
from core.months import Month
from core.output import read_output_csv
from core.policy import Policy
from ingest.load import SourceReader, load_month, load_source
from ingest.mapping import ColumnMapping
from metrics.month import month_health
from schemas.sources import SOURCES
from schemas.validate import validate_month


@dataclass(frozen=True)
class MonthData:
    """A month's sources, validated as the month itself would be."""

    month: Month
    valid: dict[str, pl.DataFrame]
    rows_read: dict[str, int]  # per source, valid and quarantined


def load_valid_month(reader: SourceReader, month: Month, mapping: ColumnMapping, timezone: str) -> MonthData | None:
    """A month's validated rows per source; None when the month is not there or cannot be read."""
    if month not in reader.available_months():
        return None
    try:
        frames = load_month(reader, month, mapping, timezone)
    except StructuralError:
        return None
    outcomes = validate_month(frames, month)
    return MonthData(month, {source: outcome.valid for source, outcome in outcomes.items()},
                     {source: outcome.rows_read for source, outcome in outcomes.items()})


def earlier_complaints(
    reader: SourceReader, month: Month, mapping: ColumnMapping, timezone: str
) -> dict[Month, pl.DataFrame]:
    """The complaints file of every available month before `month` (typed, not validated)."""
    found = {}
    for earlier in reader.available_months():
        if earlier >= month:
            continue
        try:
            found[earlier] = load_source(reader, "complaints", earlier, mapping, timezone)
        except StructuralError:
            continue  # an unreadable old month cannot tell a status; the current month is what is validated
    return found


def before(complaint_history: dict[Month, pl.DataFrame], month: Month) -> dict[Month, pl.DataFrame]:
    """The complaint files of the months before `month`."""
    return {earlier: frame for earlier, frame in complaint_history.items() if earlier < month}


TREND_COLUMNS = {"month": pl.String, "team_id": pl.String, "headcount": pl.Int64, "csat": pl.Float64,
                 "qa_score": pl.Float64, "attendance_rate": pl.Float64, "penalty_rate_per_100": pl.Float64,
                 "attrition_rate": pl.Float64, "status": pl.String}


def earlier_health(reader: SourceReader, out_dir: Path, month: Month, mapping: ColumnMapping, policy: Policy,
                   complaint_history: dict[Month, pl.DataFrame], months: int = 11,
                   cache_dir: Path | None = None, validated: MonthData | None = None) -> pl.DataFrame:
    """management_health of the `months` months before `month`, for trends, oldest first.

    A month already run is read from its `management_health.csv`, never computed again; one that was
    not is computed from its data when the data folder is there; others are left out.
    `complaint_history` holds the complaint files of the months before `month` (each read once, by the
    complaint_history step, and not read again here).

    Computing a month costs seconds (≈ 3 s of CPU at 10,000 agents, nearly all reading and typing its
    files), so with `cache_dir` a computed month is kept there under a digest of everything it was
    computed from (its files' bytes, the complaint files before it, the policy, the column mapping, the
    code): running `month` again reads it back instead, and any change to those computes it again.
    `validated`: a month's sources the run has already read and validated (last month's, for the
    comparisons), used instead of reading them again.
    """
    frames = []
    available = set(reader.available_months())
    for earlier in month.back(months)[:-1]:
        written = out_dir / str(earlier) / "management_health.csv"
        if written.exists():
            frames.append(read_output_csv(written, TREND_COLUMNS).select(list(TREND_COLUMNS)))
            continue
        if earlier not in available:
            continue
        key = computation_key(reader, earlier, mapping, policy, complaint_history) if cache_dir else None
        kept = cache_dir / f"{earlier}.{key}.parquet" if key else None
        if kept is not None and kept.is_file():
            frames.append(pl.read_parquet(kept))
            continue
        health = computed_health(reader, earlier, mapping, policy, complaint_history,
                                 validated.valid if validated is not None and validated.month == earlier else None)
        if health is None:
            continue
        if kept is not None:
            for stale in cache_dir.glob(f"{earlier}.*.parquet"):
                stale.unlink(missing_ok=True)
            buffer = io.BytesIO()
            health.write_parquet(buffer)
            write_bytes_atomically(kept, buffer.getvalue(), permissions=0o600)
        frames.append(health)
    return pl.concat(frames) if frames else pl.DataFrame(schema=TREND_COLUMNS)


def computed_health(reader: SourceReader, month: Month, mapping: ColumnMapping, policy: Policy,
                    complaint_history: dict[Month, pl.DataFrame],
                    valid: dict[str, pl.DataFrame] | None = None) -> pl.DataFrame | None:
    """The trend columns of a month never run, computed from its data exactly as a run of it would
    (read, validated, every metric); None when a source cannot be read (as `load_valid_month`).
    `valid`: the month's validated sources when the run already has them.

    Its complaints file is taken from `complaint_history` when that holds it: the same typed frame
    `load_source` gives, already read once for the run."""
    if valid is None:
        try:
            frames = {source: complaint_history[month] if source == "complaints" and month in complaint_history
                      else load_source(reader, source, month, mapping, policy.timezone) for source in SOURCES}
        except StructuralError:
            return None
        valid = {source: outcome.valid for source, outcome in validate_month(frames, month).items()}
    health = month_health(valid, month, policy, before(complaint_history, month))
    return health.select(list(TREND_COLUMNS)).cast(TREND_COLUMNS)


# The code a month's health is computed by: a change to any of it computes kept months again.
_HEALTH_CODE = ("core", "ingest", "schemas", "metrics")


@functools.cache
def _code_digest() -> str:
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256(files_digest(root, tuple(f"{package}/*.py" for package in _HEALTH_CODE)).encode())
    for library in ("polars", "pandera"):
        digest.update(f"{library} {metadata.version(library)}\0".encode())
    return digest.hexdigest()


def computation_key(reader: SourceReader, month: Month, mapping: ColumnMapping, policy: Policy,
                    complaint_history: dict[Month, pl.DataFrame]) -> str | None:
    """A digest of everything `computed_health` computes `month` from; None when the reader cannot hand
    over its files' bytes (a SQL source: computed every time)."""
    read_bytes = getattr(reader, "read_bytes", None)
    if read_bytes is None:
        return None
    digest = hashlib.sha256(f"{_code_digest()}\0{month}\0{policy.model_dump_json()}\0{mapping!r}\0".encode())
    try:
        for source in SOURCES:
            found = read_bytes(source, month)
            digest.update(f"{source}\0".encode())
            if found is not None:
                path, data = found
                digest.update(f"{Path(path).name}\0{len(data)}\0".encode() + hashlib.sha256(data).digest())
    except StructuralError:  # the month cannot be read: computing it says so (it is left out)
        return None
    for earlier, frame in sorted(before(complaint_history, month).items()):
        buffer = io.BytesIO()
        frame.write_ipc(buffer)
        digest.update(f"complaints {earlier}\0".encode() + hashlib.sha256(buffer.getvalue()).digest())
    return digest.hexdigest()[:32]
