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
