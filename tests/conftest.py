import pytest


@pytest.fixture
def dagster_home(tmp_path, monkeypatch):
    """A throw-away Dagster instance, so runs in tests never touch the project's."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return home
