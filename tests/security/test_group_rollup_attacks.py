"""The group roll-up reads other centers' folders (SPEC §15): a damaged, odd or planted file of one center makes that
center not available ("its outputs cannot be read"), never stops the roll-up or the report of the others, and is
never read through a symbolic link. A month that really had no CSAT response or no QA evaluation is no damage: its
figures are "—".

The centers' folders are written by hand, as tests/test_group_rollup.py writes them (its `group` fixture)."""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import asdict

import polars as pl
import pytest

from assets.group import center_months
from core.centers import Group
from core.manifest import GROUP, ReportEntry, read_manifest
from metrics.group import (MAX_OUTPUT_BYTES, UnreadableOutput, Unavailable, center_month, group_health,
                           read_month_file)
from reports.group import GROUP_REPORT_FILE, group_report_context, write_group_report
from reports.render import Renderer
from tests.test_group_rollup import (CHENGDU_ALL, HEALTH_HEADER, LAST, MONTH, group, pdf_text,  # noqa: F401 (fixture)
                                     write_csv)

UNREADABLE_WORDS = ("October's figures could not be read from the center's outputs; the center's operations team "
                    "should run the month again.")


@pytest.fixture(scope="module")
def renderer():
    return Renderer()


def shanghai_as_written(row: dict) -> None:
    """Shanghai's figures as its own folder holds them (tests/test_group_rollup.py), untouched by Chengdu's."""
    assert (row["available"], row["status"], row["headcount"], row["csat"], row["csat_responses"], row["qa_score"],
            row["csat_target"], row["csat_last_month"], row["awards"], row["evaluators"], row["flagged_evaluators"],
            row["rows_read"], row["rows_quarantined"]) == (True, "red", 40, 0.85, 1000, 88.0, 0.9, 0.9, 3, 2, 1,
                                                           1050, 12)


def report_without_chengdu(group_, centers, tmp_path, renderer, file: str) -> None:
    """group_health and the report: Chengdu not available because `file` does not read, Shanghai as written, the
    PDF laid out and recorded with Shanghai's status only."""
    health = group_health(centers, MONTH)
    shanghai, chengdu, _ = health.to_dicts()
    shanghai_as_written(shanghai)
    assert (chengdu["available"], chengdu["reason"], chengdu["status"], chengdu["csat"]) == (
        False, f"its {file} for 2026-10 cannot be read", None, None)
    folder = tmp_path / "group-out" / "2026-10"
    path = write_group_report(group_, MONTH, health, centers, folder, renderer)
    text = pdf_text(path)
    assert re.sub(r"\s+", "", UNREADABLE_WORDS) in text and "Shanghai" in text
    entry = read_manifest(folder)[GROUP_REPORT_FILE]
    assert (entry.kind, entry.status, entry.teams_by_status) == (GROUP, "red", {"red": 1})


def rewrite_chengdu_all_row(chengdu, all_row: str, extra: list[str] = ()) -> None:
    write_csv(chengdu.folder / "management_health.csv", HEALTH_HEADER,
              [f"{MONTH},T01,{CHENGDU_ALL}", f"{MONTH},ALL,{all_row}", *extra])


# C2: an ALL row that metrics/health.py cannot write. Chengdu's is
# 20,1,0,2,5.0,0.0,2.0,2.0,0.0,0,0.75,0.4,0.0,0.97,91.0,0.99,0,amber,qa_coverage<0.8
DAMAGED_ALL_ROWS = {
    "null_penalties": CHENGDU_ALL.replace("20,1,0,2,", "20,,0,2,"),
    "null_headcount": CHENGDU_ALL.replace("20,1,0,2,", ",1,0,2,"),
    "negative_headcount": CHENGDU_ALL.replace("20,1,0,2,", "-20,1,0,2,"),
    "unknown_status": CHENGDU_ALL.replace("amber,", "purple,"),
    "empty_status": CHENGDU_ALL.replace("amber,", ","),
    "infinite_csat": CHENGDU_ALL.replace(",0.97,", ",inf,"),
    "nan_csat": CHENGDU_ALL.replace(",0.97,", ",NaN,"),
    "csat_above_one": CHENGDU_ALL.replace(",0.97,", ",1.5,"),
    "qa_score_above_100": CHENGDU_ALL.replace(",91.0,", ",910.0,"),
    "flag_limit_not_a_number": CHENGDU_ALL.replace("qa_coverage<0.8", "qa_coverage<abc"),
    "flag_limit_infinite": CHENGDU_ALL.replace("qa_coverage<0.8", "qa_coverage<inf"),
    "flag_not_a_flag": CHENGDU_ALL.replace("qa_coverage<0.8", "zzz=<b>x</b>"),
    "flag_of_an_unmeasured_figure": CHENGDU_ALL.replace(",0.75,", ",,"),
}


@pytest.mark.parametrize("damage", sorted(DAMAGED_ALL_ROWS))
def test_a_damaged_all_row_makes_only_its_center_unavailable(tmp_path, group, renderer, damage):
    group_, centers = group
    rewrite_chengdu_all_row(centers[1], DAMAGED_ALL_ROWS[damage])
    report_without_chengdu(group_, centers, tmp_path, renderer, "management_health.csv")


def test_two_whole_center_rows_are_not_guessed_between(tmp_path, group, renderer):
    group_, centers = group
    rewrite_chengdu_all_row(centers[1], CHENGDU_ALL, [f"{MONTH},ALL,{CHENGDU_ALL.replace('20,', '21,', 1)}"])
    report_without_chengdu(group_, centers, tmp_path, renderer, "management_health.csv")


def test_a_negative_or_overflowing_count_is_unreadable(tmp_path, group, renderer):
    group_, centers = group
    write_csv(centers[1].folder / "data_quality.csv", "source,rows_read,rows_used,rows_quarantined,failed_checks",
              ["agents,9223372036854775807,0,9223372036854775807,", "attendance,1,0,1,"])
    report_without_chengdu(group_, centers, tmp_path, renderer, "data_quality.csv")


# A month that really had no CSAT response, no QA evaluation, no penalty or reward and no QA deduction:
# metrics/health.py writes those figures null (its `ratio`), and QA coverage 0 (nobody evaluated) raises its flag.
NOTHING_MEASURED = "20,0,0,0,0.0,0.0,,,,0,0.0,,0.0,,,0.99,0,amber,qa_coverage<0.8"


def test_a_month_with_no_responses_and_no_evaluations_is_available_with_no_figures(tmp_path, group, renderer):
    group_, centers = group
    rewrite_chengdu_all_row(centers[1], NOTHING_MEASURED)
    write_csv(centers[1].folder / "agent_scorecard.csv", *_scorecard_without_samples())
    health = group_health(centers, MONTH)
    shanghai, chengdu, _ = health.to_dicts()
    shanghai_as_written(shanghai)
    assert (chengdu["available"], chengdu["status"], chengdu["csat"], chengdu["qa_score"], chengdu["csat_responses"],
            chengdu["qa_evals"], chengdu["reward_penalty_ratio"], chengdu["untimely_action_share"]) == (
        True, "amber", None, None, 0, 0, None, None)
    context = group_report_context(group_, MONTH, health, centers)
    side = {row["center"]: row for row in context["centers"]}["Chengdu"]
    assert (side["available"], side["status"], side["csat"], side["qa_score"], side["attendance"]) == (
        True, "amber", "— (n=0)†", "— (n=0)", "99.0% (n=400)")
    assert side["why"] == ("Amber: only 0% of 20 agents have 3 or more QA evaluations (limit 80%): "
                           "schedule the missing ones.")
    health_row = {row["team"]: row for row in context["health"]}["Chengdu"]
    assert (health_row["reward_penalty_ratio"], health_row["median_lag"], health_row["untimely"],
            health_row["discretionary"]) == ("—", "—", "— (n=0)", "—")
    # no target missed: a CSAT and a QA score not measured miss none
    assert not any("Chengdu" in sentence and "under" in sentence for sentence in context["brief"])
    path = write_group_report(group_, MONTH, health, centers, tmp_path / "g", renderer)
    assert "Chengdu" in pdf_text(path)
    assert read_manifest(tmp_path / "g")[GROUP_REPORT_FILE].teams_by_status == {"red": 1, "amber": 1}


def _scorecard_without_samples() -> tuple[str, list[str]]:
    from tests.test_group_rollup import SCORECARD_HEADER, scorecard_row
    return SCORECARD_HEADER, [scorecard_row(MONTH, "A001", "Wang Fang", 0, 0, 200),
                              scorecard_row(MONTH, "A003", "赵敏", 0, 0, 200)]


def test_a_row_the_report_cannot_word_leaves_out_that_center_only(tmp_path, group, renderer):
    """The last line of defence: a row no check of group_health foresaw (here handed in as the frame) makes that
    center not available in the report, and the report is still laid out for the others."""
    group_, centers = group
    health = group_health(centers, MONTH).with_columns(
        status=pl.when(pl.col("center_id") == "cd").then(pl.lit("purple")).otherwise(pl.col("status")))
    context = group_report_context(group_, MONTH, health, centers)
    side = {row["center"]: row for row in context["centers"]}
    assert (side["Chengdu"]["available"], side["Chengdu"]["why"]) == (False, UNREADABLE_WORDS)
    assert (side["Shanghai"]["status"], side["Shanghai"]["headcount"]) == ("red", "40")
    path = write_group_report(group_, MONTH, health, centers, tmp_path / "g", renderer)
    assert re.sub(r"\s+", "", UNREADABLE_WORDS) in pdf_text(path)
    assert read_manifest(tmp_path / "g")[GROUP_REPORT_FILE].teams_by_status == {"red": 1}


# C3: a damaged manifest.json decides nothing and stops nothing.
def _finished_manifest(folder) -> None:
    entry = ReportEntry(report="center_report.pdf", kind="center", team_id=None, title="Center", address=None,
                        sha256="0" * 64, pages=1, fingerprint="f", generated_at="2026-11-01T00:00:00")
    (folder / "manifest.json").write_text(json.dumps({"month": str(MONTH), "reports": [asdict(entry)]}))


@pytest.mark.parametrize("manifest", ["", "{}", "[1]", '{"month": "2026-10", "reports": [{"report": "x", "extra": 1}]}',
                                      '{"month": "2026-10", "reports": 1}', "\xff"])
def test_a_damaged_manifest_makes_only_its_center_unavailable(tmp_path, group, renderer, manifest):
    group_, (shanghai, chengdu, _) = group
    _finished_manifest(shanghai.folder)
    (chengdu.folder / "manifest.json").write_text(manifest, encoding="latin-1")
    two = Group(group_.name, group_.out, group_.report_recipients, "en", group_.centers[:2], group_.file)
    months = center_months(None, two, MONTH)  # no instance needed: neither center is asked why it did not run
    assert months[0] == center_month(shanghai.center, MONTH) and months[0].available
    assert (months[1].available, months[1].unavailable) == (
        False, Unavailable("unreadable", "2026-10", file="manifest.json"))
    health = group_health(months, MONTH)
    shanghai_as_written(health.row(0, named=True))
    assert health.row(1, named=True)["reason"] == "its manifest.json for 2026-10 cannot be read"
    path = write_group_report(two, MONTH, health, months, tmp_path / "g", renderer)
    assert re.sub(r"\s+", "", UNREADABLE_WORDS) in pdf_text(path)


# C5 and C9: nothing of a center is read through a symbolic link, and every reader of a month agrees.
def test_a_month_folder_linked_to_another_centers_is_not_read(tmp_path, group, renderer):
    group_, (shanghai, chengdu, wuhan) = group
    shutil.rmtree(chengdu.folder)
    chengdu.folder.symlink_to(shanghai.folder)  # Chengdu would show Shanghai's figures as its own
    linked = center_month(chengdu.center, MONTH)
    assert (linked.available, linked.unavailable) == (False, Unavailable("unreadable", "2026-10", file="month folder"))
    two = Group(group_.name, group_.out, group_.report_recipients, "en", group_.centers[:2], group_.file)
    _finished_manifest(shanghai.folder)
    assert center_months(None, two, MONTH)[1] == linked
    report_without_chengdu(group_, [shanghai, linked, wuhan], tmp_path, renderer, "month folder")


@pytest.mark.parametrize("name", ["awards.csv", "qa_calibration.csv", "management_health.csv", "policy.yaml"])
def test_a_file_linked_to_another_centers_is_not_read(tmp_path, group, renderer, name):
    group_, (shanghai, chengdu, wuhan) = group
    (chengdu.folder / name).unlink()
    (chengdu.folder / name).symlink_to(shanghai.folder / name)
    linked = center_month(chengdu.center, MONTH)
    assert linked.unavailable == Unavailable("unreadable", "2026-10", file=name)
    report_without_chengdu(group_, [shanghai, linked, wuhan], tmp_path, renderer, name)


def test_a_file_linked_after_the_month_was_found_finished_is_refused_by_the_read(tmp_path, group):
    group_, (shanghai, chengdu, wuhan) = group
    assert chengdu.available  # found finished by the fixture, before the link was planted
    (chengdu.folder / "awards.csv").unlink()
    (chengdu.folder / "awards.csv").symlink_to(shanghai.folder / "awards.csv")
    with pytest.raises(UnreadableOutput) as refused:
        read_month_file(chengdu.folder, "awards.csv")
    assert refused.value.file == "awards.csv"
    sh, cd, _ = group_health([shanghai, chengdu, wuhan], MONTH).to_dicts()
    shanghai_as_written(sh)
    assert (cd["available"], cd["reason"], cd["awards"]) == (False, "its awards.csv for 2026-10 cannot be read", None)


def test_a_file_linked_to_any_file_is_never_read(tmp_path, group, renderer, monkeypatch):
    group_, (shanghai, chengdu, wuhan) = group
    monkeypatch.setenv("CCPULSE_SECRET_FOR_TEST", "s3cr3t-value")
    (chengdu.folder / "data_quality.csv").unlink()
    (chengdu.folder / "data_quality.csv").symlink_to("/proc/self/environ")
    centers = [shanghai, chengdu, wuhan]
    health = group_health(centers, MONTH)
    assert "s3cr3t" not in health.write_csv()
    assert health.row(1, named=True)["reason"] == "its data_quality.csv for 2026-10 cannot be read"
    report_without_chengdu(group_, [shanghai, center_month(chengdu.center, MONTH), wuhan], tmp_path, renderer,
                           "data_quality.csv")


def test_last_month_linked_to_another_centers_drops_only_the_comparison(tmp_path, group, renderer):
    group_, (shanghai, chengdu, wuhan) = group
    (chengdu.center.out / str(LAST)).symlink_to(shanghai.center.out / str(LAST))  # Shanghai's September as Chengdu's
    sh, cd, _ = group_health([shanghai, chengdu, wuhan], MONTH).to_dicts()
    shanghai_as_written(sh)
    assert (cd["available"], cd["csat"], cd["status_last_month"], cd["csat_last_month"], cd["headcount_last_month"]) \
        == (True, 0.97, None, None, None)
    # Shanghai's own last month, a real folder with a link planted in it, is refused the same way
    (shanghai.center.out / str(LAST) / "agent_scorecard.csv").unlink()
    (shanghai.center.out / str(LAST) / "agent_scorecard.csv").symlink_to(chengdu.folder / "agent_scorecard.csv")
    sh = group_health([shanghai, chengdu, wuhan], MONTH).row(0, named=True)
    assert (sh["available"], sh["csat"], sh["csat_last_month"], sh["status_last_month"]) == (True, 0.85, None, None)


def test_a_file_that_is_no_regular_file_or_too_big_is_not_read(tmp_path, group):
    group_, (shanghai, chengdu, wuhan) = group
    os.mkfifo(chengdu.folder / "extra.fifo")  # a pipe: opening it for reading must not wait for a writer
    with pytest.raises(UnreadableOutput):
        read_month_file(chengdu.folder, "extra.fifo")
    (chengdu.folder / "awards.csv").unlink()
    (chengdu.folder / "awards.csv").mkdir()
    cd = group_health([shanghai, chengdu, wuhan], MONTH).row(1, named=True)
    assert (cd["available"], cd["reason"]) == (False, "its awards.csv for 2026-10 cannot be read")
    data = (shanghai.folder / "management_health.csv").read_bytes()
    assert read_month_file(shanghai.folder, "management_health.csv", limit=len(data)) == data
    with pytest.raises(UnreadableOutput):
        read_month_file(shanghai.folder, "management_health.csv", limit=len(data) - 1)
    assert MAX_OUTPUT_BYTES == 20 * 1024 * 1024
    assert read_month_file(shanghai.folder, "no_such_file.csv") is None
    assert read_month_file(tmp_path / "out-none" / "2026-10", "management_health.csv") is None
