"""A small share of bad rows of every row-level kind SPEC §2 names, for `generate --bad-rows`.

Each injected row is listed in `_injected_bad_rows.csv` (source, key column, key, the
quarantine reason it must get), so tests can check that every one lands in quarantine.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import polars as pl

from core.months import Month
from schemas.sources import SOURCES

SHARE = 0.001
MAX_PER_KIND = 50

Change = Callable[[pl.DataFrame], pl.DataFrame]


def _sample(frame: pl.DataFrame, count: int, rng: np.random.Generator, where: pl.Expr | None = None) -> pl.DataFrame:
    pool = frame.filter(where) if where is not None else frame
    if pool.height == 0:
        return pool
    return pool[rng.choice(pool.height, min(count, pool.height), replace=False).tolist()]


class _Injector:
    def __init__(self, frames: dict[str, pl.DataFrame], month: Month, rng: np.random.Generator):
        self.frames = dict(frames)
        self.originals = frames  # bad rows are copies of good rows, never of other bad rows
        self.month = month
        self.rng = rng
        self.manifest: list[dict] = []
        self.serial = 0

    def add(self, source: str, reason: str, change: Change, where: pl.Expr | None = None, key: str | None = None,
            keep_key: bool = False) -> None:
        """Copy a few rows of `source`, break them with `change`, and append them.

        The copies get fresh ids unless `keep_key` (a duplicate id is the point then).
        """
        frame = self.frames[source]
        key = key or SOURCES[source].id_column
        original = self.originals[source]
        count = max(1, min(MAX_PER_KIND, round(original.height * SHARE)))
        rows = _sample(original, count, self.rng, where)
        if rows.height == 0:
            return
        if not keep_key:
            self.serial += 1
            rows = rows.with_columns(
                (pl.lit(f"BAD{self.serial:02d}-") + pl.int_range(pl.len()).cast(pl.String)).alias(key)
            )
        rows = change(rows).select(frame.columns).cast(frame.schema)
        self.frames[source] = pl.concat([frame, rows])
        self.manifest += [{"source": source, "key_column": key, "key": value, "reason": reason} for value in rows[key]]


def inject_bad_rows(frames: dict[str, pl.DataFrame], month: Month, rng: np.random.Generator):
    inj = _Injector(frames, month, rng)
    m = str(month)
    next_day = month.next().first_day
    next_moment = dt.datetime.combine(next_day, dt.time(10))
    agents = frames["agents"]
    gone = agents.filter(pl.col("exit_date") < month.first_day)["agent_id"]
    unknown = pl.lit("A999999")

    def set_(**values) -> Change:
        return lambda rows: rows.with_columns(**{k: v if isinstance(v, pl.Expr) else pl.lit(v) for k, v in values.items()})

    inj.add("teams", "missing team_name", set_(team_name=None))
    inj.add("agents", "unknown team_id", set_(team_id="T-NONE"))
    inj.add("agents", "shift_pattern not one of day/night/rotating", set_(shift_pattern="evening"))
    inj.add("agents", "exit_date before hire_date",
            set_(exit_date=pl.col("hire_date") - pl.duration(days=10)))

    for source in ["attendance", "qa_evaluations", "csat_responses", "complaints", "discipline"]:
        id_column = SOURCES[source].id_column
        inj.add(source, f"duplicate {id_column}", lambda rows: rows, keep_key=True)
        inj.add(source, "unknown agent_id", set_(agent_id=unknown))
        if gone.len():
            inj.add(source, f"agent not active in {m}", set_(agent_id=pl.lit(str(gone[0]))))

    inj.add("attendance", "missing agent_id", set_(agent_id=None))
    inj.add("attendance", f"shift_date outside {m}", set_(shift_date=next_day))
    inj.add("attendance", "clock_out before clock_in",
            set_(clock_out=pl.col("clock_in") - pl.duration(hours=1)), where=pl.col("clock_in").is_not_null())
    inj.add("attendance", "leave_type not one of none/annual/sick/personal/other", set_(leave_type="vacation"))

    inj.add("qa_evaluations", "score outside 0..100", set_(score=120.0))
    inj.add("qa_evaluations", f"evaluated_at outside {m}", set_(evaluated_at=next_moment))
    inj.add("qa_evaluations", "channel not one of voice/chat/email/other", set_(channel="phone"))

    inj.add("qa_deductions", "points not above 0", set_(points=0.0), key="item_code")
    inj.add("qa_deductions", "unknown evaluation_id", set_(evaluation_id="QA-NONE"), key="item_code")
    inj.add("qa_deductions", "category not one of business_risk/knowledge/compliance/etiquette/process/other",
            set_(category="tone"), key="item_code")

    inj.add("csat_responses", "score outside 1..5", set_(score=7))
    inj.add("csat_responses", f"responded_at outside {m}", set_(responded_at=next_moment))

    inj.add("complaints", "severity not one of low/medium/high", set_(severity="urgent"))
    inj.add("complaints", "closed_at before received_at",
            set_(status="substantiated", closed_at=pl.col("received_at") - pl.duration(days=1)))
    inj.add("complaints", f"received_at outside {m} and not closed in it",
            set_(received_at=next_moment, closed_at=None))

    inj.add("discipline", "action_date before incident_date",
            set_(incident_date=pl.col("action_date") + pl.duration(days=3)))
    inj.add("discipline", "category not valid for kind", set_(kind="penalty", category="bonus"))
    inj.add("discipline", "amount below 0", set_(amount=-50.0))
    inj.add("discipline", f"action_date outside {m}", set_(action_date=next_day, incident_date=next_day))

    manifest = pl.DataFrame(inj.manifest, schema={"source": pl.String, "key_column": pl.String, "key": pl.String, "reason": pl.String})
    return inj.frames, manifest
