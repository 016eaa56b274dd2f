"""`ccpulse run --centers`: what is wrong with a group is said before anything runs, all at once (exit 2)."""

from pathlib import Path

import pytest

from pipelines.cli import main
from synthetic.group import generate_group


@pytest.fixture
def group(tmp_path) -> Path:
    return generate_group(tmp_path, centers=3, agents=8, months_back=0)


def _errors(capsys) -> str:
    return capsys.readouterr().err


def test_with_centers_a_centers_own_folders_and_policy_come_from_the_file(group, capsys):
    assert main(["run", "--month", "2026-10", "--centers", str(group), "--data", "x"]) == 2
    assert "--data, --out, --policy, --column-mapping and --source do not apply" in _errors(capsys)


def test_one_center_needs_its_group(capsys, tmp_path):
    assert main(["run", "--month", "2026-10", "--center", "sh", "--data", str(tmp_path), "--out", str(tmp_path)]) == 2
    assert "--center needs --centers" in _errors(capsys)


def test_every_problem_of_the_centers_file_is_named_before_anything_runs(group, capsys):
    text = group.read_text(encoding="utf-8")
    group.write_text(text.replace("id: cd", "id: ../cd").replace("data: data-gz", "data: data-nowhere"),
                     encoding="utf-8")
    assert main(["run", "--month", "2026-10", "--centers", str(group)]) == 2
    errors = _errors(capsys)
    assert "'../cd'" in errors and "data-nowhere" in errors  # both at once
    assert not (group.parent / "group-out").exists() and not (group.parent / "out-sh").exists()


def test_a_group_recipient_that_is_not_an_address_stops_the_run_before_it_starts(group, capsys):
    group.write_text(group.read_text(encoding="utf-8").replace("group.director@example.com", "not an address"),
                     encoding="utf-8")
    assert main(["run", "--month", "2026-10", "--centers", str(group)]) == 2
    assert "group.report_recipients" in _errors(capsys)
    assert not (group.parent / "group-out").exists()
