"""Configuration files are checked whole before a run starts, and the generator never crashes (issue 23: 4, 9, 17).

A policy number that is not finite or out of its range, and a column-mapping file of the wrong shape,
stop `ccpulse run` with one message naming the file, the key and the value, before any Dagster run
exists. `ccpulse generate` gives every column the contract's type, whatever the seed and options.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import ConfigError, PolicyError
from core.months import Month
from core.policy import Policy, load_policy
from ingest.mapping import load_mapping
from pipelines.cli import main
from schemas.sources import SOURCES
from synthetic.generator import GenerateOptions, generate

MONTH = Month(2026, 10)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# --- 4. every policy number is finite and in range ------------------------------------------------------------

@pytest.mark.parametrize("text,shown", [
    ("late_penalty: .inf\n", "late_penalty: Input should be a finite number (got inf)"),
    ("late_penalty: -.inf\n", "late_penalty: Input should be a finite number (got -inf)"),
    ("late_penalty: 1e400\n", "late_penalty: Input should be a finite number (got '1e400')"),  # YAML: a string
    ("late_penalty: 1.0e+400\n", "late_penalty: Input should be a finite number (got inf)"),  # YAML: a float
    ("csat_target: .nan\n", "csat_target: Input should be a finite number (got nan)"),
    ("csat_prior_weight: .NaN\n", "csat_prior_weight: Input should be a finite number (got nan)"),
    ("min_qa_evals: .inf\n", "min_qa_evals: Input should be a finite number (got inf)"),
    ("weights: {quality: .nan, satisfaction: 0.3, attendance: 0.2, conduct: 0.1}\n",
     "weights.quality: Input should be a finite number (got nan)"),
])
def test_a_policy_number_that_is_not_finite_is_refused_naming_file_key_and_value(tmp_path, text, shown):
    with pytest.raises(PolicyError) as caught:
        load_policy(write(tmp_path, "policy.yaml", text))
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'policy.yaml'}: invalid policy")
    assert shown in message


# One value just outside each key's range, and the edge itself, which is accepted.
RANGES = [
    ("late_grace_minutes", -1, 0), ("late_grace_minutes", 1441, 1440),
    ("serious_late_minutes", 0, 1440), ("serious_late_minutes", 1441, 1),
    ("min_qa_evals", -1, 0), ("min_qa_evals", 1_000_001, 1_000_000),
    ("min_csat_responses", -1, 0), ("min_tenure_days", -1, 0), ("min_tenure_days", 3654, 3653),
    ("csat_prior_weight", -0.5, 0), ("late_penalty", -0.1, 0), ("late_penalty", 1.5, 1),
    ("complaint_penalty", -0.1, 0), ("complaint_penalty", 1.01, 1),
    ("csat_target", -0.01, 0), ("csat_target", 96, 1), ("qa_target", -1, 0), ("qa_target", 100.5, 100),
    ("timely_days", -1, 0), ("timely_days", 3654, 3653), ("severe_penalty_red_per_100", -1, 0),
    ("severe_penalty_red_per_100", 101, 100), ("lucky_draw_winners", -1, 0),
    ("schedule_day", 0, 1), ("schedule_day", 29, 28), ("volume_band", 0, 10), ("volume_band", 10.5, 0.01),
    ("evaluator_prior_weight", -1, 0), ("evaluator_flag_points", 0, 100), ("evaluator_flag_points", 101, 0.5),
    ("min_evaluator_pairs", 0, 1),
]


@pytest.mark.parametrize("key,outside,edge", RANGES)
def test_every_policy_number_has_a_range(tmp_path, key, outside, edge):
    with pytest.raises(PolicyError) as caught:
        load_policy(write(tmp_path, "policy.yaml", f"{key}: {outside}\n"))
    assert f"  {key}: Input should be " in str(caught.value)
    assert f"(got {outside})" in str(caught.value)
    assert getattr(load_policy(write(tmp_path, "policy.yaml", f"{key}: {edge}\n")), key) == edge


def test_a_weight_outside_zero_to_one_is_refused_even_when_they_sum_to_one(tmp_path):
    text = "weights: {quality: 1.5, satisfaction: -0.5, attendance: 0, conduct: 0}\n"
    with pytest.raises(PolicyError) as caught:
        load_policy(write(tmp_path, "policy.yaml", text))
    assert "weights.quality: Input should be less than or equal to 1 (got 1.5)" in str(caught.value)
    assert "weights.satisfaction: Input should be greater than or equal to 0 (got -0.5)" in str(caught.value)


def test_a_yes_no_value_is_not_a_number(tmp_path):
    # YAML reads `yes` as true; as a number it would silently be 1 (a late shift costing a whole absence).
    with pytest.raises(PolicyError) as caught:
        load_policy(write(tmp_path, "policy.yaml", "late_penalty: yes\nmin_qa_evals: true\n"))
    assert "late_penalty: Value error, expected a number, not a yes/no value (got True)" in str(caught.value)
    assert "min_qa_evals: Value error, expected a number, not a yes/no value (got True)" in str(caught.value)


def test_a_policy_key_written_twice_is_refused_not_silently_the_last(tmp_path):
    with pytest.raises(PolicyError) as caught:
        load_policy(write(tmp_path, "policy.yaml", "late_penalty: 0.5\ncsat_target: 0.9\nlate_penalty: 0.7\n"))
    assert str(caught.value).startswith(f"{tmp_path / 'policy.yaml'}: not valid YAML")
    assert "found the key 'late_penalty' twice (first on line 1)" in str(caught.value)


def test_the_example_policy_and_the_defaults_still_validate():
    example = load_policy(Path(__file__).resolve().parents[2] / "examples" / "policy.yaml")
    assert (example.late_penalty, example.schedule_day, example.weights.conduct) == (0.5, 3, 0.1)
    assert Policy().min_evaluator_pairs == 10


@pytest.fixture(scope="module")
def small_month(tmp_path_factory):
    """A generated month for `ccpulse run` to find (the runs below stop before reading it)."""
    data = tmp_path_factory.mktemp("data")
    generate(GenerateOptions(agents=8, month=MONTH, out=data, months_back=0, seed=1))
    return data


def _run(data: Path, out: Path, *extra: str) -> int:
    return main(["run", "--month", str(MONTH), "--data", str(data), "--out", str(out), "--no-send", *extra])


def test_a_non_finite_policy_stops_ccpulse_run_before_any_run_starts(small_month, tmp_path, dagster_home, capsys):
    policy = write(tmp_path, "policy.yaml", "late_penalty: .inf\n")
    assert _run(small_month, tmp_path / "out", "--policy", str(policy)) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"ccpulse: {policy}: invalid policy\n  late_penalty: Input should be a finite number")
    assert not (dagster_home / "history").exists()  # no Dagster run was ever recorded


# --- 9. the column-mapping file is validated before the run -------------------------------------------------------

@pytest.mark.parametrize("text,shown", [
    ("just a string\n", "expected a mapping of column-mapping keys, got str"),
    ("- attendance\n- agents\n", "expected a mapping of column-mapping keys, got list"),
    ("attendance: 工号\n", "attendance: expected a mapping with columns and values, got '工号'"),
    ("attendance: [columns, values]\n", "attendance: expected a mapping with columns and values, got ['columns', 'values']"),
    ("attendance:\n  columns: [工号, agent_id]\n",
     "attendance.columns: Input should be a valid dictionary (got ['工号', 'agent_id'])"),
    ("attendance:\n  columns: {工号: {agent: agent_id}}\n",
     "attendance.columns.工号: Input should be a valid string (got {'agent': 'agent_id'})"),
    ("attendance:\n  columns: {1001: agent_id}\n", "attendance.columns.1001: Input should be a valid string (got 1001)"),
    ("attendance:\n  columns: {工号: [agent_id]}\n", "attendance.columns.工号: Input should be a valid string (got ['agent_id'])"),
    ("attendance:\n  columns: {工号: agent_no}\n", "attendance: 'agent_no' is not a column of attendance (shift_id, "),
    ("agents:\n  columns: {班次编号: shift_id}\n", "agents: 'shift_id' is not a column of agents (agent_id, "),
    ("attendance:\n  columns:\n    工号: agent_id\n    工号: shift_id\n", "found the key '工号' twice (first on line 3)"),
    ("attendance:\n  columns: {' 工号': agent_id, 工号: shift_id}\n",
     "attendance.columns: the vendor column '工号' is mapped twice (to 'agent_id' and to 'shift_id')"),
    ("attendance:\n  columns: {'  ': agent_id}\n", "attendance.columns: an empty vendor column name (mapped to 'agent_id')"),
    ("rosters:\n  columns: {工号: agent_id}\n", "unknown source 'rosters' (known: teams, agents, attendance, "),
    ("attendance:\n  colums: {工号: agent_id}\n", "attendance.colums: unknown key (expected columns, values)"),
    ("attendance:\n  values: {leave_type: [无, none]}\n",
     "attendance.values.leave_type: Input should be a valid dictionary (got ['无', 'none'])"),
    ("attendance:\n  values: {leave_type: {无: ~}}\n",
     "attendance.values.leave_type.无: Value error, expected text or a number (quote a yes/no or empty value) (got None)"),
    ("attendance:\n  values: {leave_kind: {无: none}}\n", "attendance: 'leave_kind' is not a column of attendance"),
])
def test_a_mapping_of_the_wrong_shape_is_refused_naming_the_file(tmp_path, text, shown):
    path = write(tmp_path, "mapping.yaml", text)
    with pytest.raises(ConfigError) as caught:
        load_mapping(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert shown in str(caught.value)


def test_every_problem_of_a_mapping_is_listed_at_once(tmp_path):
    path = write(tmp_path, "mapping.yaml", "attendance: 工号\nagents:\n  columns: {工号: agent_no}\nrosters: {}\n")
    with pytest.raises(ConfigError) as caught:
        load_mapping(path)
    assert str(caught.value).splitlines()[1:] == [
        "  attendance: expected a mapping with columns and values, got '工号'",
        f"  agents: 'agent_no' is not a column of agents ({', '.join(SOURCES['agents'].columns)})",
        f"  unknown source 'rosters' (known: {', '.join(SOURCES)})",
    ]


def test_a_well_formed_mapping_keeps_its_names_and_value_codes(tmp_path):
    path = write(tmp_path, "mapping.yaml", "attendance:\n  columns: {' 工号 ': agent_id}\n"
                                           "  values: {leave_type: {1: annual, 无: none}}\nagents:\n")
    mapping = load_mapping(path)
    assert mapping.for_source("attendance").columns == {"工号": "agent_id"}
    assert mapping.for_source("attendance").values == {"leave_type": {"1": "annual", "无": "none"}}
    assert mapping.for_source("agents").columns == {}


def test_two_spellings_of_one_column_may_map_to_it(tmp_path):
    path = write(tmp_path, "mapping.yaml", "attendance:\n  columns: {工号: agent_id, 员工编号: agent_id}\n")
    assert load_mapping(path).for_source("attendance").columns == {"工号": "agent_id", "员工编号": "agent_id"}


@pytest.mark.parametrize("text", ["just a string\n", "attendance: 工号\n", "attendance:\n  columns: [工号]\n"])
def test_a_bad_mapping_stops_ccpulse_run_with_one_message_before_any_run_starts(
        small_month, tmp_path, dagster_home, capsys, text):
    mapping = write(tmp_path, "mapping.yaml", text)
    assert _run(small_month, tmp_path / "out", "--column-mapping", str(mapping)) == 2  # 1 would be a failed run
    error = capsys.readouterr().err
    assert error.startswith(f"ccpulse: {mapping}: ")
    assert "AttributeError" not in error and "Traceback" not in error
    assert error.count("ccpulse:") == 1
    assert not (dagster_home / "history").exists()  # no Dagster run was ever recorded


# --- 17. the generator never crashes ------------------------------------------------------------------------------

def test_the_reported_generate_command_writes_both_months(tmp_path, capsys):
    out = tmp_path / "data"
    assert main(["generate", "--agents", "500", "--month", "2025-03", "--months-back", "1", "--seed", "8",
                 "--out", str(out)]) == 0
    assert "wrote 2 month(s) of 500 agents" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == ["2025-02", "2025-03"]
    agents = pl.read_csv(out / "2025-03" / "agents.csv")
    # The crash: the first agent listed has no email, so polars guessed `Object` for the whole column.
    assert agents.row(0, named=True)["agent_id"] == "A000000" and agents["email"][0] is None
    assert agents.schema["email"] == pl.String and agents["email"][1] == "a000001@example.com"


def test_agents_without_email_keep_the_email_column_a_string_in_parquet(tmp_path):
    generate(GenerateOptions(agents=500, month=Month(2025, 3), out=tmp_path, months_back=0, seed=8, fmt="parquet"))
    agents = pl.read_parquet(tmp_path / "2025-03" / "agents.parquet")
    assert agents.schema == SOURCES["agents"].columns
    assert agents["email"].null_count() == 26 and agents["email"][0] is None


@st.composite
def generate_options(draw):
    month = Month(draw(st.integers(2019, 2030)), draw(st.integers(1, 12)))
    closed = draw(st.lists(st.integers(0, month.days - 1), max_size=month.days, unique=True))
    return {
        "agents": draw(st.integers(1, 60)),
        "month": month,
        "months_back": draw(st.integers(0, 2)),
        "seed": draw(st.integers(0, 2**32 - 1)),
        "team_size": draw(st.integers(1, 80)),
        "fmt": draw(st.sampled_from(["csv", "parquet", "xlsx"])),
        "encoding": draw(st.sampled_from(["utf-8", "utf-8-sig", "gbk"])),
        "bad_rows": draw(st.booleans()),
        "calendar": draw(st.sampled_from(["7day", "weekdays"])),
        "holidays": tuple(month.first_day + dt.timedelta(days=day) for day in closed),
        "evaluator_bias": draw(st.floats(-40, 40, allow_nan=False)),
    }


@settings(max_examples=40, deadline=None, derandomize=True)
@given(options=generate_options())
def test_generate_never_crashes_whatever_the_seed_size_format_encoding_and_calendar(tmp_path_factory, options):
    out = tmp_path_factory.mktemp("generated")
    folders = generate(GenerateOptions(out=out, **options))
    assert [folder.name for folder in folders] == [str(m) for m in options["month"].back(options["months_back"])]
    for folder in folders:  # every source in the format asked for (`_injected_bad_rows.csv` lists the bad rows)
        written = sorted(p.name for p in folder.iterdir() if not p.name.startswith("_"))
        assert written == sorted(f"{source}.{options['fmt']}" for source in SOURCES)
    if options["fmt"] == "csv":  # written in the encoding asked for (GBK as its superset GB18030)
        codec = {"utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "gbk": "gb18030"}[options["encoding"]]
        text = (folders[-1] / "teams.csv").read_bytes().decode(codec)
        assert text.startswith("team_id,team_name,site,supervisor_id,supervisor_name,supervisor_email\n")


@pytest.mark.parametrize("change,message", [
    ({"agents": 0}, "agents must be at least 1, got 0"),
    ({"team_size": 0}, "team_size must be at least 1, got 0"),
    ({"months_back": -1}, "months_back must be at least 0, got -1"),
    ({"evaluator_bias": float("nan")}, "evaluator_bias must be a finite number of points, got nan"),
])
def test_options_the_simulation_cannot_use_are_refused_naming_the_option(tmp_path, change, message):
    with pytest.raises(ConfigError, match=message):
        GenerateOptions(**{"agents": 5, "month": MONTH, "out": tmp_path, **change})


def test_generate_with_no_agents_says_so_in_one_line(tmp_path, capsys):
    assert main(["generate", "--agents", "0", "--out", str(tmp_path / "data")]) == 2
    assert capsys.readouterr().err == "ccpulse: agents must be at least 1, got 0\n"
    assert not (tmp_path / "data").exists()


def _alias_bomb() -> str:
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    return "\n".join(lines) + "\nholidays: *a8\n"


@pytest.mark.parametrize("text, said", [
    (_alias_bomb(), "more than 20 aliases"),  # 10⁸ values from 1 KB: refused as it is read, not walked
    ("csat_target: " + "[" * 50_000 + "]" * 50_000 + "\n", "nested too deeply"),
    ("# padding\n" * 200_000 + "csat_target: 0.9\n", "a policy file is at most 1,000,000"),
])
def test_a_policy_file_that_would_take_the_machine_is_refused_naming_it(tmp_path, text, said):
    from core.errors import PolicyError
    from core.policy import load_policy

    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError) as refused:
        load_policy(path)
    assert str(path) in str(refused.value) and said in str(refused.value)


def test_a_few_aliases_as_people_write_them_still_work(tmp_path):
    from core.policy import load_policy

    path = tmp_path / "policy.yaml"
    path.write_text("center_report_recipients: &people [director@example.com]\nops_alert_recipients: *people\n",
                    encoding="utf-8")
    assert load_policy(path).ops_alert_recipients == ["director@example.com"]
