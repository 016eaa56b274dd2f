"""Is this month's data believable? One Great Expectations suite per source, kept as code.

pandera (schemas/sources.py) guards each row's structure; these suites guard the month as a
whole: its volume against last month (per expected working day), null shares, value
distributions, coverage of the roster and of the center's calendar (core/calendar.py: a
weekday-only center or a holiday is not a data problem; an export that stops early is). Each
expectation warns or blocks the month as the policy's `expectation_severity` says (defaults below).

Great Expectations takes seconds to import, so it is imported only inside `run_suites` (a monthly
run starts importing it in the background): runs that do not validate (delivery alone, the UI
loading the code) never pay for it.
"""

from __future__ import annotations

import datetime as dt
import html
import importlib
import logging
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import polars as pl

from core.calendar import MonthCalendar, calendar_gaps
from core.months import Month
from core.policy import Policy, load_policy
from schemas.catalog import SNAPSHOT_SOURCES, SOURCE_NAMES
from schemas.roster import active_agents

WARN, BLOCK = "warn", "block"
# Below this many rows last month, a ±40% swing is ordinary noise (15 complaints, then 24):
# the volume expectation is not evaluated rather than cry wolf every month.
MIN_ROWS_FOR_VOLUME = 50
# An agent hired on the 31st, or leaving on the 2nd, may rightly have no shift in the month.
MIN_ACTIVE_DAYS = 7


@dataclass(frozen=True)
class SuiteInputs:
    """What the expectations compare the month with."""

    month: Month
    policy: Policy
    previous_rows: dict[str, int | None]  # rows read for each source last month; None when it is not there
    rostered_agent_ids: list[str]  # agents active for at least MIN_ACTIVE_DAYS of the month (see rostered_agents)
    calendar: MonthCalendar  # the days shifts are expected on


@dataclass(frozen=True)
class Judged:
    """A verdict ccpulse reaches itself, about the month's setting rather than its rows (no GX expectation)."""

    passed: bool
    observed: str


@dataclass(frozen=True)
class ExpectationSpec:
    source: str
    name: str
    default: str  # WARN or BLOCK
    description: str
    # (great_expectations.expectations, inputs) → an expectation, a Judged verdict, or the reason it is not
    # evaluated this month
    build: Callable[[Any, SuiteInputs], Any]
    on_received: bool = False  # judged on the rows received (before quarantine), not on the valid rows
    names_missing_days: Literal["after_last", "before_first", None] = None  # its examples: the expected days missing
    # Its examples name failing rows by id. GX collects the id of every unexpected row one by one (seconds on a
    # large month), so only expectations whose unexpected rows are few and worth naming ask for it (teams without
    # an address, unattributed complaints, duplicate responses); not a share over every shift or response of the
    # month, where most rows may be "unexpected" (every CSAT 5) and none of them is wrong.
    names_rows: bool = False
    short: str = ""  # the Dagster check is `<source>_<short>`: the UI's list of checks cuts names past ~22 characters

    @property
    def key(self) -> str:
        return f"{self.source}.{self.name}"

    @property
    def check_name(self) -> str:
        return f"{self.source}_{self.short or self.name}"


def _volume(source: str) -> Callable[[Any, SuiteInputs], Any | None]:
    def build(gxe, inputs: SuiteInputs):
        previous = inputs.previous_rows.get(source)
        if previous is None:  # the first month, or an optional source not sent
            return "not evaluated: no previous month"
        if previous < MIN_ROWS_FOR_VOLUME:
            return f"not evaluated: {previous} rows last month, too few to judge volume"
        # Activity follows the working days: February, a holiday or a closed week is not a drop in volume.
        expected = previous * (1.0 if source in SNAPSHOT_SOURCES else inputs.calendar.day_ratio)
        band = inputs.policy.volume_band
        return gxe.ExpectTableRowCountToBeBetween(min_value=math.floor(expected * (1 - band)),
                                                  max_value=math.ceil(expected * (1 + band)))
    return build


def _iso(days: list[dt.date]) -> list[str]:
    return [day.isoformat() for day in days]


NO_EXPECTED_DAYS = "not evaluated: no expected shift days this month (the center is closed all month)"
# Without an agent on the roster, no shift is expected: the roster is the problem (roster_has_active_agents), not
# a cut-off attendance export.
NO_ROSTERED_AGENTS = f"not evaluated: no agent is on the roster for {MIN_ACTIVE_DAYS}+ days of the month"


def _calendar_expectation(build: Callable[[Any, list[dt.date]], Any]) -> Callable[[Any, SuiteInputs], Any]:
    def expectation(gxe, inputs: SuiteInputs):
        if not inputs.rostered_agent_ids:
            return NO_ROSTERED_AGENTS
        days = inputs.calendar.expected_days
        return build(gxe, days) if days else NO_EXPECTED_DAYS
    return expectation


_last_expected_day = _calendar_expectation(
    lambda gxe, days: gxe.ExpectColumnMaxToBeBetween(column="shift_date", min_value=days[-1].isoformat()))
_first_expected_day = _calendar_expectation(
    lambda gxe, days: gxe.ExpectColumnMinToBeBetween(column="shift_date", max_value=days[0].isoformat()))
_every_expected_day = _calendar_expectation(
    lambda gxe, days: gxe.ExpectColumnDistinctValuesToContainSet(column="shift_date", value_set=_iso(days)))


def _holiday_calendar_known(calendar: MonthCalendar) -> Judged | str:
    if not calendar.holiday_calendar:
        return "not evaluated: no holiday calendar set"
    if calendar.unknown_years:  # a clear warning, not a guess: the library's rules would miss the make-up days
        return Judged(False, calendar.unknown_year_warning)
    return Judged(True, f"{calendar.holiday_calendar} ({calendar.library}) holds the month")


SUITES: list[ExpectationSpec] = [
    *[ExpectationSpec(source, "row_volume", WARN, f"rows received within ± volume_band of last month's {source}"
                      + ("" if source in SNAPSHOT_SOURCES else ", per expected working day"),
                      _volume(source), on_received=True, short="volume") for source in SOURCE_NAMES],
    ExpectationSpec("agents", "roster_has_active_agents", BLOCK,
                    "the roster has at least one agent active in the month (hired by its end, not gone before it)",
                    lambda gxe, _: gxe.ExpectColumnSumToBeBetween(column="active", min_value=1), short="active_roster"),
    ExpectationSpec("teams", "supervisor_email_mostly_present", WARN, "at least half the teams have a supervisor_email",
                    lambda gxe, _: gxe.ExpectColumnValuesToNotBeNull(column="supervisor_email", mostly=0.5),
                    names_rows=True, short="emails_present"),
    ExpectationSpec("attendance", "every_active_agent_present", WARN,
                    f"every agent active for {MIN_ACTIVE_DAYS}+ days of the month has shifts in attendance",
                    lambda gxe, inputs: gxe.ExpectColumnDistinctValuesToContainSet(
                        column="agent_id", value_set=inputs.rostered_agent_ids), short="agents"),
    ExpectationSpec("attendance", "shifts_reach_the_last_expected_day", BLOCK,
                    "shifts on the month's last expected shift day: an export that stops early is cut off",
                    _last_expected_day, names_missing_days="after_last", short="last_day"),
    ExpectationSpec("attendance", "shifts_start_on_the_first_expected_day", BLOCK,
                    "shifts on the month's first expected shift day: an export that starts late is cut off",
                    _first_expected_day, names_missing_days="before_first", short="first_day"),
    ExpectationSpec("attendance", "every_expected_day_has_shifts", WARN,
                    "shifts on every expected shift day (operating weekdays, not holidays)", _every_expected_day,
                    short="every_day"),
    ExpectationSpec("attendance", "holiday_calendar_known", WARN,
                    "the holiday calendar's library holds the month's published holidays and make-up workdays",
                    lambda _, inputs: _holiday_calendar_known(inputs.calendar), short="calendar"),
    ExpectationSpec("attendance", "clock_in_mostly_present", WARN, "at most 30% of shifts without a clock-in",
                    lambda gxe, _: gxe.ExpectColumnValuesToNotBeNull(column="clock_in", mostly=0.7),
                    short="clock_ins"),
    ExpectationSpec("attendance", "lateness_share_plausible", WARN, "at most 30% of worked shifts late",
                    lambda gxe, _: gxe.ExpectColumnMeanToBeBetween(column="late", min_value=0, max_value=0.3),
                    short="lateness"),
    ExpectationSpec("qa_evaluations", "qa_mean_plausible", WARN, "mean QA score between 60 and 98",
                    lambda gxe, _: gxe.ExpectColumnMeanToBeBetween(column="score", min_value=60, max_value=98),
                    short="mean"),
    ExpectationSpec("csat_responses", "responses_present", WARN,
                    "the month has CSAT responses (none: satisfaction is unknown, not fine)",
                    lambda gxe, _: gxe.ExpectTableRowCountToBeBetween(min_value=1), short="present"),
    ExpectationSpec("csat_responses", "not_nearly_all_fives", WARN, "at least 5% of CSAT scores are not 5",
                    lambda gxe, _: gxe.ExpectColumnValuesToNotBeInSet(column="score", value_set=[5], mostly=0.05),
                    short="fives"),
    ExpectationSpec("csat_responses", "one_response_per_contact", WARN,
                    "no two responses for one contact (same agent, time and channel)",
                    lambda gxe, _: gxe.ExpectCompoundColumnsToBeUnique(
                        column_list=["agent_id", "responded_at", "channel"]), names_rows=True, short="unique"),
    ExpectationSpec("complaints", "mostly_attributed", WARN, "at least half the complaints name an agent",
                    lambda gxe, _: gxe.ExpectColumnValuesToNotBeNull(column="agent_id", mostly=0.5),
                    names_rows=True, short="attributed"),
]
EXPECTATION_KEYS = frozenset(spec.key for spec in SUITES)
RESULT_COLUMNS = {"source": pl.String, "expectation": pl.String, "severity": pl.String, "passed": pl.Boolean,
                  "observed": pl.String, "unexpected_examples": pl.String, "description": pl.String}
NOT_EVALUATED = "not evaluated"  # how an observed value starts when the check could not judge the month


def check_counts(results: pl.DataFrame) -> tuple[int, int, int]:
    """(passed, failed, not evaluated) among the results: a check that could not judge the month passed
    nothing, so every report and the command line count it apart."""
    not_evaluated = results["observed"].cast(pl.String).str.starts_with(NOT_EVALUATED).fill_null(False)
    failed = ~results["passed"]
    return (int((~failed & ~not_evaluated).sum()), int((failed & ~not_evaluated).sum()),
            int(not_evaluated.sum()))


def load_policy_for_run(path) -> Policy:
    """The policy file, checked against the suites too (its expectation_severity names real expectations)."""
    return load_policy(path, EXPECTATION_KEYS)


def rostered_agents(agents: pl.DataFrame, month: Month) -> list[str]:
    """Agents on the roster for at least MIN_ACTIVE_DAYS days of the month: they should have shifts."""
    first = pl.max_horizontal(pl.col("hire_date"), pl.lit(month.first_day))
    last = pl.min_horizontal(pl.col("exit_date").fill_null(month.last_day), pl.lit(month.last_day))
    days = (last - first).dt.total_days() + 1
    return sorted(agents.filter(days >= MIN_ACTIVE_DAYS)["agent_id"].to_list())


def severity(spec: ExpectationSpec, policy: Policy) -> str:
    return policy.expectation_severity.get(spec.key, spec.default)


def gx_frame(source: str, frame: pl.DataFrame, inputs: SuiteInputs):
    """The pandas copy GX reads, with the derived columns some expectations need, dates as ISO text."""
    policy = inputs.policy
    if source == "agents":
        active = pl.col("agent_id").is_in(active_agents(frame, inputs.month)["agent_id"].implode())
        frame = frame.with_columns(active.cast(pl.Int64).alias("active"))
    if source == "attendance":
        grace = dt.timedelta(minutes=policy.late_grace_minutes)
        late = pl.when(pl.col("clock_in").is_null()).then(None).otherwise(
            (pl.col("clock_in") - pl.col("scheduled_start") > grace).cast(pl.Float64))
        frame = frame.with_columns(late.alias("late"), pl.col("shift_date").cast(pl.String))
    return frame.to_pandas()


def _observed(result: dict) -> str:
    if "observed_value" in result and result["observed_value"] is not None:
        value = result["observed_value"]
        return f"{value:.4g}" if isinstance(value, float) else str(value)
    if "unexpected_percent" in result and result["unexpected_percent"] is not None:
        return f"{result['unexpected_count']} of {result['element_count']} rows ({result['unexpected_percent']:.1f}%)"
    if "missing_count" in result:
        return f"{result['missing_count']} expected value(s) missing"
    return ""


def _examples(result: dict, names_rows: bool) -> str:
    if result.get("partial_missing_list"):
        return "missing: " + "; ".join(sorted(str(value) for value in result["partial_missing_list"])[:10])
    if not names_rows:  # a share over the month: its unexpected values (null, 5) are no example of anything
        return ""
    rows = result.get("partial_unexpected_index_list") or []
    if rows and isinstance(rows[0], dict):  # {id column: value, checked column(s): value}
        # GX puts the checked column first and the id column last: the id reads better first.
        return "; ".join(", ".join(f"{name}={_text(value)}" for name, value in reversed(row.items())) for row in rows[:10])
    return "; ".join(_text(value) for value in (result.get("partial_unexpected_list") or [])[:10])


def _text(value) -> str:
    return "null" if value is None or (isinstance(value, float) and math.isnan(value)) or str(value) == "NaT" else str(value)


def start_importing_great_expectations() -> None:
    """Import GX in the background: a monthly run reads and validates its files meanwhile (polars lets go
    of the GIL), and data_believability finds it imported instead of waiting seconds for it."""
    threading.Thread(target=importlib.import_module, args=("great_expectations.expectations",),
                     name="import-great-expectations", daemon=True).start()


def run_suites(valid: dict[str, pl.DataFrame], rows_received: dict[str, int], inputs: SuiteInputs,
               docs_dir: Path | None) -> pl.DataFrame:
    """Validate each source against its suite; one row per expectation (RESULT_COLUMNS).

    Volume expectations see the rows received, the others the valid rows. An expectation
    with nothing to compare with (no previous month) passes as "not evaluated". With
    `docs_dir`, GX Data Docs for the month are written there.
    """
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    import great_expectations as gx
    import great_expectations.expectations as gxe
    from great_expectations.data_context.types.base import ProgressBarsConfig

    from schemas.sources import SOURCES

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    if docs_dir is not None:
        context.add_data_docs_site(site_name="ccpulse", site_config={
            "class_name": "SiteBuilder", "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)}})
    datasource = context.data_sources.add_pandas(f"ccpulse_{inputs.month}")

    rows = []

    def record(spec: ExpectationSpec, passed: bool, observed: str, examples: str = "") -> None:
        rows.append({"source": spec.source, "expectation": spec.name, "severity": severity(spec, inputs.policy),
                     "passed": passed, "observed": observed, "unexpected_examples": examples,
                     "description": spec.description})

    def validate(name: str, specs: list[tuple[ExpectationSpec, Any]], frame, id_column: str | None,
                 missing_days: dict[str, list[dt.date]] | None = None) -> None:
        suite = context.suites.add(gx.ExpectationSuite(name=name))
        for spec, expectation in specs:
            expectation.meta = {"ccpulse": spec.name}
            suite.add_expectation(expectation)
        batch = datasource.add_dataframe_asset(name).add_batch_definition_whole_dataframe(str(inputs.month))
        validation = context.validation_definitions.add(gx.ValidationDefinition(name=name, data=batch, suite=suite))
        result_format = {"result_format": "SUMMARY", "partial_unexpected_count": 10}
        if id_column:
            result_format["unexpected_index_column_names"] = [id_column]
        by_name = {spec.name: spec for spec, _ in specs}
        # The validation definition runs itself (and stores its result for Data Docs): a checkpoint around each
        # of the fourteen would add its own store round trips and nothing else.
        for result in validation.run(batch_parameters={"dataframe": frame}, result_format=result_format).results:
            observed, bounds = _observed(result.result), result.expectation_config.kwargs
            low, high = bounds.get("min_value"), bounds.get("max_value")
            if low is not None and high is not None:
                observed += f" (allowed {low}–{high})"
            elif low is not None or high is not None:
                observed += f" (allowed from {low})" if high is None else f" (allowed up to {high})"
            spec = by_name[result.expectation_config.meta["ccpulse"]]
            examples = _examples(result.result, spec.names_rows)
            if spec.names_missing_days and not result.success:  # the dates a person must look for
                examples = "missing: " + ", ".join(_iso(missing_days[spec.names_missing_days]))
            record(spec, bool(result.success), observed, examples)

    for source, frame in valid.items():
        built = [(spec, spec.build(gxe, inputs)) for spec in SUITES if spec.source == source]
        for spec, expectation in built:
            if isinstance(expectation, str):
                record(spec, True, expectation)
            elif isinstance(expectation, Judged):
                record(spec, expectation.passed, expectation.observed)
        built = [(spec, e) for spec, e in built if not isinstance(e, (str, Judged))]
        received = [(spec, e) for spec, e in built if spec.on_received]
        checked = [(spec, e) for spec, e in built if not spec.on_received]
        if received:  # only the count matters: a frame of row numbers stands for the rows received
            validate(f"{source} received", received, pd_rows(rows_received.get(source, 0)), None)
        if checked:
            gaps = calendar_gaps(inputs.calendar.expected_days, frame["shift_date"].unique().to_list()) \
                if source == "attendance" else None
            missing = {"after_last": gaps.after_last, "before_first": gaps.before_first} if gaps else None
            pandas_copy = gx_frame(source, frame, inputs)
            by_row = [(spec, e) for spec, e in checked if spec.names_rows]
            overall = [(spec, e) for spec, e in checked if not spec.names_rows]
            if overall:
                validate(source, overall, pandas_copy, None, missing)
            if by_row:
                validate(f"{source} rows", by_row, pandas_copy, SOURCES[source].id_column, missing)
    if docs_dir is not None:
        escape_stored_results(context.validation_results_store)
        context.build_data_docs(site_names=["ccpulse"])
    order = {spec.key: n for n, spec in enumerate(SUITES)}
    return pl.DataFrame(rows, schema=RESULT_COLUMNS).sort(
        pl.concat_str("source", pl.lit("."), "expectation").replace_strict(order, return_dtype=pl.Int64))


def escape_stored_results(store) -> None:
    """Make every data value in the stored results text before GX renders its Data Docs (SPEC §10).

    GX writes some of a result's values into its pages as raw HTML (the unexpected rows' table, partial
    lists): a channel of `<script>…` would run in the ops person's browser. The values are escaped here, in
    the results the docs are built from, after ccpulse has read them: where GX escapes a value itself, the
    page shows it escaped twice, which is still text.
    """
    for key in store.list_keys():
        suite_result = store.get(key)
        for result in suite_result.results:
            result.result = _escaped(result.result)
            if result.exception_info:
                result.exception_info = _escaped(result.exception_info)
        store.set(key, suite_result)


def _escaped(value):
    if isinstance(value, str):
        return html.escape(value)
    if isinstance(value, dict):
        return {_escaped(k): _escaped(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_escaped(v) for v in value)
    return value


def pd_rows(count: int):
    return pl.DataFrame({"row": pl.int_range(count, eager=True)}).to_pandas()
