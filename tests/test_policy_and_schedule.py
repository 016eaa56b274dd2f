"""The policy file (SPEC §3) and the monthly cycle (SPEC §1)."""

import datetime as dt
import zoneinfo

import pytest

from core.errors import PolicyError
from core.months import Month
from core.policy import Policy, load_policy


def write(tmp_path, text):
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_are_the_specs():
    policy = load_policy(None)
    assert policy.timezone == "Asia/Shanghai"
    assert (policy.min_qa_evals, policy.min_csat_responses, policy.min_tenure_days) == (3, 10, 30)
    assert (policy.weights.quality, policy.weights.satisfaction, policy.weights.attendance,
            policy.weights.conduct) == (0.4, 0.3, 0.2, 0.1)
    assert (policy.csat_target, policy.qa_target, policy.schedule_day, policy.volume_band) == (0.96, 90, 3, 0.4)
    assert policy.lucky_draw_salt == "ccpulse" and policy.language == "en"


def test_a_file_overrides_only_what_it_names(tmp_path):
    policy = load_policy(write(tmp_path, "csat_target: 0.9\nlanguage: zh-CN\n"))
    assert policy.csat_target == 0.9 and policy.language == "zh-CN"
    assert policy.qa_target == Policy().qa_target


@pytest.mark.parametrize("text,message", [
    ("csat_taget: 0.9\n", "csat_taget: unknown key"),
    ("min_qa_evals: three\n", "min_qa_evals: Input should be a valid integer"),
    ("weights: {quality: 0.5, satisfaction: 0.3, attendance: 0.2, conduct: 0.1}\n", "weights must sum to 1, they sum to 1.1"),
    ("timezone: Mars/Olympus\n", "unknown timezone 'Mars/Olympus'"),
    ("language: fr\n", "language: Input should be 'en' or 'zh-CN'"),
    ("- a list\n", "expected a mapping"),
])
def test_invalid_policies_say_what_is_wrong(tmp_path, text, message):
    with pytest.raises(PolicyError) as caught:
        load_policy(write(tmp_path, text))
    assert message in str(caught.value)
    assert "policy.yaml" in str(caught.value)


def test_the_schedule_runs_last_month_on_day_3_at_six_local(tmp_path):
    from dagster import build_schedule_context, instance_for_test

    from assets.resources import CcpulseSettings, MailSettings
    from pipelines.definitions import defs
    from synthetic.generator import GenerateOptions, generate

    schedule = defs.resolve_schedule_def("ccpulse_monthly_schedule")
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("0 6 3 * *", "Asia/Shanghai")
    generate(GenerateOptions(agents=4, team_size=4, month=Month(2026, 10), months_back=0, out=tmp_path, seed=1))
    shanghai = zoneinfo.ZoneInfo("Asia/Shanghai")
    with instance_for_test() as instance:
        context = build_schedule_context(
            instance=instance, scheduled_execution_time=dt.datetime(2026, 11, 3, 6, 0, tzinfo=shanghai),
            resources={"settings": CcpulseSettings(data_dir=str(tmp_path), out_dir=str(tmp_path / "out")),
                       "mail": MailSettings()})
        with context:
            request = schedule(context)
    assert request.partition_key == "2026-10"


def test_scheduled_and_backfilled_runs_execute_their_steps_in_one_process():
    """A process per step re-imports the stack ~30 times (337 s instead of 45 s for 120 agents)."""
    from pipelines.definitions import defs
    from pipelines.jobs import MONTHLY_JOB, SEND_JOB

    for job in (MONTHLY_JOB, SEND_JOB):
        assert defs.resolve_job_def(job).executor_def.name == "in_process"
