import os

import pytest

# Partitions start at the first month of the data folder a process first loads the definitions with (assets/
# partitions.py); one test process runs months of many data folders, so its partitions start early enough for all.
# The tests of the first-month rule start their own processes without this setting.
os.environ.setdefault("CCPULSE_FIRST_MONTH", "2019-01")
# The tests' months are small: their reports render in the run's own process, as a small center's would, instead of
# starting worker processes for a handful of PDFs. test_end_to_end renders through the workers.
os.environ.setdefault("CCPULSE_RENDER_WORKERS", "0")


@pytest.fixture
def dagster_home(tmp_path, monkeypatch):
    """A throw-away Dagster instance, so runs in tests never touch the project's."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def month_in_each_language(tmp_path_factory):
    """One month (60 agents, last month too, quarantined rows, a lenient evaluator) run in each report language:
    {language: the month's output folder}. Shared by the page, wording and every-word tests."""
    from core.months import Month
    from pipelines.cli import run_month
    from reports.i18n import LANGUAGES
    from synthetic.generator import GenerateOptions, generate

    month = Month(2026, 10)
    data = tmp_path_factory.mktemp("data")
    generate(GenerateOptions(agents=60, month=month, out=data, months_back=1, seed=26, bad_rows=True,
                             evaluator_bias=12))
    folders = {}
    with pytest.MonkeyPatch.context() as patch:
        for language in LANGUAGES:
            policy = tmp_path_factory.mktemp("policy") / "policy.yaml"
            policy.write_text(f"language: {language}\n", encoding="utf-8")
            patch.setenv("DAGSTER_HOME", str(tmp_path_factory.mktemp("dagster_home")))
            out = tmp_path_factory.mktemp("out")
            ok, messages, _ = run_month(month, str(data), str(out), policy=str(policy), send=False)
            assert ok, messages
            folders[language] = out / str(month)
    return folders
