"""Nothing is written through a symbolic link (SPEC §2): a link planted where a run writes stops the
run before it writes anything, and a link planted while a run lasts stops the write that meets it."""

from __future__ import annotations

import os

import pytest

from core.atomic import LinkRefused, refuse_links_under, replace_folder, write_bytes_atomically
from core.months import Month
from pipelines.cli import run_month
from synthetic.generator import GenerateOptions, generate

pytestmark = pytest.mark.xdist_group("output_links")

MONTH = Month(2026, 10)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("links_data")
    generate(GenerateOptions(agents=12, team_size=6, month=MONTH, out=folder, months_back=0, seed=3))
    return folder


def _everything_under(folder) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


@pytest.mark.parametrize("planted", ["teams", "outbox", "data_quality", "data_docs", "agent_scorecard.csv",
                                     "manifest.json", "."])
def test_a_link_planted_in_the_out_folder_stops_the_run_before_anything_is_written(
        planted, data, tmp_path, dagster_home):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("theirs")
    out = tmp_path / "out"
    month_dir = out / str(MONTH)
    link = month_dir if planted == "." else month_dir / planted
    link.parent.mkdir(parents=True, exist_ok=True)
    target = elsewhere / "keep.txt" if planted.endswith((".csv", ".json")) else elsewhere
    link.symlink_to(target)

    ok, messages, _ = run_month(MONTH, str(data), str(out))

    assert not ok
    assert any("refusing to write through symbolic links" in line and str(link) in line for line in messages), messages
    assert _everything_under(elsewhere) == ["keep.txt"] and (elsewhere / "keep.txt").read_text() == "theirs"
    if planted != ".":
        assert _everything_under(month_dir) == [planted]  # not even the run lock: the run stopped first


def test_a_link_planted_while_the_run_lasts_stops_the_write_that_meets_it(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    month_dir = tmp_path / "out" / "2026-10"
    month_dir.mkdir(parents=True)
    (month_dir / "teams").symlink_to(elsewhere)
    with pytest.raises(LinkRefused, match="teams"):
        write_bytes_atomically(month_dir / "teams" / "T1.pdf", b"%PDF")
    (month_dir / "awards.csv").symlink_to(elsewhere / "awards.csv")
    with pytest.raises(LinkRefused, match="awards.csv"):
        write_bytes_atomically(month_dir / "awards.csv", b"month,award\n")
    built = tmp_path / "out" / "built"
    built.mkdir()
    (month_dir / "data_docs").symlink_to(elsewhere)
    with pytest.raises(LinkRefused, match="data_docs"):
        replace_folder(built, month_dir / "data_docs")
    assert os.listdir(elsewhere) == []


def test_links_deep_inside_the_month_folder_are_found_and_not_followed(tmp_path):
    month_dir = tmp_path / "2026-10"
    (month_dir / "outbox" / "sub").mkdir(parents=True)
    (month_dir / "outbox" / "sub" / "x.eml").symlink_to("/etc/passwd")
    (month_dir / "loop").symlink_to(month_dir)  # a loop: never followed, so never walked forever
    with pytest.raises(LinkRefused) as refused:
        refuse_links_under(month_dir)
    assert str(month_dir / "loop") in str(refused.value) and str(month_dir / "outbox" / "sub" / "x.eml") in str(
        refused.value)
    refuse_links_under(tmp_path / "not-there")  # a month never run has nothing to refuse
