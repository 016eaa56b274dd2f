"""The SQL source (ingest/sql.py) against a real PostgreSQL that the tests start, loaded with
generated months; and a month run with the Dagster instance itself on that server
(deploy/dagster.yaml)."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest
import yaml
from dagster import DagsterInstance, DagsterRunStatus

from core.errors import ConfigError, SourceError, StructuralError
from core.months import Month
from ingest.files import FileSource
from ingest.load import load_month, load_source
from ingest.mapping import ColumnMapping
from ingest.sql import Query, SqlSource, load_queries, redacted
from pipelines.cli import main, run_month
from synthetic.generator import GenerateOptions, generate
from synthetic.to_sql import load_reference_database
from tests.pg_server import postgres_server
from tests.smtp_server import free_port

pytestmark = pytest.mark.xdist_group("postgres")

PROJECT = Path(__file__).resolve().parents[1]
QUERIES = PROJECT / "examples" / "sql" / "queries.yaml"
MONTH = Month(2026, 10)
TIMEZONE = "Asia/Shanghai"  # the default policy's
READER, READER_PASSWORD = "ccpulse_reader", "r3ader-Pa55"
NO_MAPPING = ColumnMapping()


# --- The queries file, without a server -------------------------------------------------------

def test_named_parameters_become_positional_in_order_of_first_use():
    query = Query.parse("complaints", "SELECT x::date, ':month_start', \"a:month_end\" -- :month_end\n"
                                      "FROM t WHERE closed_at < :month_end AND received_at >= :month_start "
                                      "/* :nope */ AND b < :month_end")
    assert query.text == ("SELECT x::date, ':month_start', \"a:month_end\" -- :month_end\n"
                          "FROM t WHERE closed_at < $1 AND received_at >= $2 /* :nope */ AND b < $1")
    assert query.parameters == ("month_end", "month_start")
    assert query.values(Month(2026, 12)) == (Month(2027, 1).first_day, Month(2026, 12).first_day)


def test_a_queries_file_lists_every_problem_at_once(tmp_path):
    path = tmp_path / "queries.yaml"
    path.write_text("teams: SELECT * FROM teams WHERE m = :month\nagent: SELECT 1\nattendance: ''\n",
                    encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_queries(path)
    message = str(caught.value)
    assert str(path) in message
    assert "query 'teams': unknown parameter :month (known: :month_start, :month_end)" in message
    assert "unknown key 'agent'" in message
    assert "attendance: expected the text of a SQL query" in message
    assert ("no query for: months, agents, qa_evaluations, csat_responses, complaints, discipline"
            in message)


def test_the_example_queries_file_loads_and_the_optional_source_may_be_left_out(tmp_path):
    queries = load_queries(QUERIES)
    assert set(queries.sources) == {"teams", "agents", "attendance", "qa_evaluations", "qa_deductions",
                                    "csat_responses", "complaints", "discipline"}
    trimmed = yaml.safe_load(QUERIES.read_text(encoding="utf-8"))
    del trimmed["qa_deductions"]
    (tmp_path / "q.yaml").write_text(yaml.safe_dump(trimmed), encoding="utf-8")
    assert "qa_deductions" not in load_queries(tmp_path / "q.yaml").sources


def test_uris_are_shown_without_their_password():
    assert redacted("postgresql://wfm:s%40cret@db.example.com:5433/center?sslmode=require") == \
        "postgresql://wfm@db.example.com:5433/center"
    assert redacted("host=db password=secret") == "the database in CCPULSE_SQL_URI"


# --- Against a real server ------------------------------------------------------------------

@pytest.fixture(scope="module")
def server():
    with postgres_server() as running:
        yield running


@pytest.fixture(scope="module")
def center(server, tmp_path_factory):
    """Three generated months in the reference schema, readable by a login of its own."""
    data = tmp_path_factory.mktemp("sql") / "data"
    generate(GenerateOptions(agents=60, month=MONTH, out=data, months_back=2, seed=11))
    server.create_database("center", READER, READER_PASSWORD)
    uri = server.uri("center", READER, READER_PASSWORD)
    rows = load_reference_database(uri, data, TIMEZONE)
    assert rows["agents_monthly"] > 150 and rows["attendance"] > 3000
    return {"uri": uri, "data": data}


def _sql_source(center, queries: Path = QUERIES) -> SqlSource:
    return SqlSource(center["uri"], load_queries(queries), TIMEZONE)


def _without_origin(frame: pl.DataFrame) -> pl.DataFrame:
    frame = frame.drop(pl.selectors.starts_with("source_"))
    return frame.sort(frame.columns, nulls_last=True)


def test_every_source_of_every_month_reads_the_same_from_sql_as_from_files(center):
    sql, files = _sql_source(center), FileSource(center["data"])
    assert sql.available_months() == files.available_months() == [Month(2026, 8), Month(2026, 9), MONTH]
    for month in files.available_months():
        from_sql = load_month(sql, month, NO_MAPPING, TIMEZONE)
        from_files = load_month(files, month, NO_MAPPING, TIMEZONE)
        for source, frame in from_files.items():
            assert from_sql[source]["source_row"].to_list() == list(range(1, frame.height + 1))
            assert _without_origin(from_sql[source]).schema == _without_origin(frame).schema, (month, source)
            assert _without_origin(from_sql[source]).equals(_without_origin(frame)), (month, source)
    # What makes this comparison worth having: CSAT is stored as timestamptz, and responses in the
    # small hours of the 1st belong to the month only when the session runs in the center's zone.
    csat = load_source(sql, "csat_responses", MONTH, NO_MAPPING, TIMEZONE)
    first_night = csat.filter(pl.col("responded_at") < pl.datetime(2026, 10, 1, 8))
    assert first_night.height > 0
    # Earlier complaints closed this month carry their final status; the September rows of the
    # same complaints say what was known at September's end.
    complaints = load_source(sql, "complaints", MONTH, NO_MAPPING, TIMEZONE)
    carried = complaints.filter(pl.col("received_at") < pl.datetime(2026, 10, 1))
    assert carried.height > 0 and carried["closed_at"].is_not_null().all()
    september = load_source(sql, "complaints", Month(2026, 9), NO_MAPPING, TIMEZONE)
    before = september.filter(pl.col("complaint_id").is_in(carried["complaint_id"].to_list()))
    assert before.height == carried.height
    assert before["closed_at"].is_null().all() and before["status"].is_in(["open", "investigating"]).all()


def test_months_may_come_back_as_text(center, tmp_path):
    queries = yaml.safe_load(QUERIES.read_text(encoding="utf-8"))
    queries["months"] = "SELECT DISTINCT to_char(snapshot_month, 'YYYY-MM') FROM agents_monthly"
    (tmp_path / "q.yaml").write_text(yaml.safe_dump(queries), encoding="utf-8")
    assert _sql_source(center, tmp_path / "q.yaml").available_months() == [Month(2026, 8), Month(2026, 9), MONTH]


def test_a_wrong_password_is_named_without_the_password(center, server):
    source = SqlSource(server.uri("center", READER, "not-the-password"), load_queries(QUERIES), TIMEZONE)
    with pytest.raises(SourceError) as caught:
        source.available_months()
    message = str(caught.value)
    assert message.startswith(f"cannot connect to postgresql://{READER}@127.0.0.1:{server.port}/center "
                              "(from CCPULSE_SQL_URI): ")
    assert f'password authentication failed for user "{READER}"' in message
    assert "not-the-password" not in message


def test_an_unreachable_server_is_named(center):
    port = free_port()  # nothing listens there
    source = SqlSource(f"postgresql://{READER}:{READER_PASSWORD}@127.0.0.1:{port}/center",
                       load_queries(QUERIES), TIMEZONE)
    with pytest.raises(SourceError) as caught:
        source.read("teams", MONTH)
    message = str(caught.value)
    assert f"cannot connect to postgresql://{READER}@127.0.0.1:{port}/center" in message
    assert "Connection refused" in message and READER_PASSWORD not in message


def _queries_with(tmp_path: Path, source: str, query: str) -> Path:
    queries = yaml.safe_load(QUERIES.read_text(encoding="utf-8"))
    queries[source] = query
    path = tmp_path / "queries.yaml"
    path.write_text(yaml.safe_dump(queries, allow_unicode=True), encoding="utf-8")
    return path


def test_a_query_missing_a_column_names_the_query_and_the_column(center, tmp_path):
    path = _queries_with(tmp_path, "csat_responses", "SELECT response_id, agent_id, responded_at, channel "
                                                     "FROM csat_responses WHERE responded_at >= :month_start "
                                                     "AND responded_at < :month_end")
    with pytest.raises(StructuralError) as caught:
        load_source(_sql_source(center, path), "csat_responses", MONTH, NO_MAPPING, TIMEZONE)
    message = str(caught.value)
    assert message.startswith(f"query 'csat_responses' in {path} (2026-10): cannot be read (1 problem)")
    assert "missing required column: score (found: response_id, agent_id, responded_at, channel)" in message


def test_a_query_the_database_rejects_names_the_query_and_the_database_error(center, tmp_path):
    path = _queries_with(tmp_path, "discipline", "SELECT action_id, satisfaction FROM discipline")
    with pytest.raises(SourceError) as caught:
        _sql_source(center, path).read("discipline", MONTH)
    message = str(caught.value)
    assert message.startswith(f"query 'discipline' in {path} failed on postgresql://{READER}@127.0.0.1:")
    assert 'for 2026-10: column "satisfaction" does not exist' in message


def test_queries_cannot_change_the_database(center, server, tmp_path):
    path = _queries_with(tmp_path, "teams", "DELETE FROM teams_monthly RETURNING *")
    with pytest.raises(SourceError) as caught:
        _sql_source(center, path).read("teams", MONTH)
    assert str(caught.value).endswith("for 2026-10: cannot execute DELETE in a read-only transaction")
    assert server.psql("SELECT count(*) FROM teams_monthly", database="center") != "0"


# --- The pipeline: --source sql, with Dagster's own storage on PostgreSQL --------------------

@pytest.fixture(scope="module")
def postgres_instance(server, tmp_path_factory):
    """DAGSTER_HOME with deploy/dagster.yaml, its storage in a database of its own on the server."""
    server.create_database("dagster", "dagster", "dagster-Pa55")
    home = tmp_path_factory.mktemp("dagster_home")
    shutil.copy(PROJECT / "deploy" / "dagster.yaml", home / "dagster.yaml")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {"DAGSTER_HOME": str(home), "DAGSTER_PG_HOST": server.host,
                            "DAGSTER_PG_PORT": str(server.port), "DAGSTER_PG_USER": "dagster",
                            "DAGSTER_PG_PASSWORD": "dagster-Pa55", "DAGSTER_PG_DB": "dagster"}.items():
            patch.setenv(name, value)
        yield home


@pytest.fixture(scope="module")
def both_runs(center, postgres_instance, tmp_path_factory):
    """The month run from the database and from the files, both recorded in the PostgreSQL instance."""
    out = tmp_path_factory.mktemp("runs")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CCPULSE_SQL_URI", center["uri"])
        ok, messages, _ = run_month(MONTH, None, str(out / "sql"), source="sql", sql_queries=str(QUERIES))
        assert ok, messages
    ok, messages, _ = run_month(MONTH, str(center["data"]), str(out / "files"))
    assert ok, messages
    return out / "sql" / str(MONTH), out / "files" / str(MONTH)


@pytest.mark.slow
def test_the_scorecard_from_sql_equals_the_one_from_files_cell_for_cell(both_runs):
    from_sql, from_files = both_runs
    for name in ["agent_scorecard.csv", "award_eligibility.csv", "awards.csv", "management_health.csv",
                 "data_quality.csv"]:
        sql_table = pl.read_csv(from_sql / name, infer_schema=False)
        files_table = pl.read_csv(from_files / name, infer_schema=False)
        assert sql_table.height > 0 or name == "awards.csv"
        assert sql_table.equals(files_table), name
    scorecard = pl.read_csv(from_sql / "agent_scorecard.csv", infer_schema=False)
    assert scorecard.height >= 55 and scorecard["composite"].is_not_null().sum() > 0
    assert sorted(p.name for p in (from_sql / "teams").glob("*.pdf")) == \
        sorted(p.name for p in (from_files / "teams").glob("*.pdf"))


@pytest.mark.slow
def test_runs_events_and_schedules_live_in_postgresql(both_runs, server):
    with DagsterInstance.get() as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        assert type(instance.schedule_storage).__name__ == "PostgresScheduleStorage"
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        succeeded = [run for run in instance.get_runs() if run.status == DagsterRunStatus.SUCCESS]
        assert len(succeeded) == 2
        assert {run.tags["dagster/partition"] for run in succeeded} == {str(MONTH)}
    assert server.psql("SELECT count(*) FROM runs WHERE status = 'SUCCESS'", database="dagster") == "2"
    materialized = server.psql("SELECT count(DISTINCT asset_key) FROM event_logs "
                               "WHERE dagster_event_type = 'ASSET_MATERIALIZATION'", database="dagster")
    assert int(materialized) >= 20
    assert "instigators" in server.psql("SELECT string_agg(tablename, ' ') FROM pg_tables", database="dagster")


@pytest.mark.slow
def test_the_command_line_stops_before_a_run_when_the_database_refuses_the_login(center, postgres_instance,
                                                                                  server, tmp_path, capsys,
                                                                                  monkeypatch):
    monkeypatch.setenv("CCPULSE_SQL_URI", server.uri("center", READER, "wrong-Pa55"))
    code = main(["run", "--month", str(MONTH), "--source", "sql", "--sql-queries", str(QUERIES),
                 "--out", str(tmp_path / "out")])
    error = capsys.readouterr().err
    assert code == 2
    assert f'password authentication failed for user "{READER}"' in error and "wrong-Pa55" not in error


@pytest.mark.slow
def test_a_broken_query_fails_its_step_with_the_query_and_column_named(center, postgres_instance, tmp_path,
                                                                       capsys, monkeypatch):
    path = _queries_with(tmp_path, "attendance", "SELECT shift_id, agent_id, shift_date FROM attendance "
                                                 "WHERE shift_date >= :month_start AND shift_date < :month_end")
    monkeypatch.setenv("CCPULSE_SQL_URI", center["uri"])
    code = main(["run", "--month", str(MONTH), "--source", "sql", "--sql-queries", str(path),
                 "--out", str(tmp_path / "out")])
    error = capsys.readouterr().err
    assert code == 1
    assert f"[raw_attendance] query 'attendance' in {path} (2026-10): cannot be read (1 problem)" in error
    assert "missing required columns: scheduled_start, scheduled_end, clock_in, clock_out" in error
