"""The group roll-up (SPEC §15): group_health.csv from three centers' finished months, written by hand here with the
real files' headers, and the group report laid out from it, in English and in Chinese."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pypdf
import pytest

from core.centers import Center, Group
from core.manifest import GROUP, read_manifest
from core.months import Month
from metrics.group import (GROUP_HEALTH_FILE, CenterMonth, Unavailable, center_month, group_health, read_group_health,
                           write_group_health)
from reports.group import GROUP_REPORT_FILE, group_report_context, unavailable_text, write_group_report
from reports.i18n import Translator
from reports.i18n import catalog
from reports.render import Renderer

MONTH = Month(2026, 10)
LAST = MONTH.previous()

# Headers as the center runs write them (demo/out/2026-10/).
HEALTH_HEADER = ("month,team_id,headcount,penalties,severe_penalties,rewards,penalty_rate_per_100,"
                 "severe_penalty_rate_per_100,reward_penalty_ratio,median_action_lag_days,untimely_action_share,"
                 "premature_complaint_penalties,qa_coverage,discretionary_deduction_share,attrition_rate,csat,qa_score,"
                 "attendance_rate,undisciplined_top_performers,status,flags")
SCORECARD_HEADER = ("month,agent_id,agent_name,team_id,shift_pattern,scheduled_shifts,leave_shifts,worked_shifts,absences,"
                    "late_count,serious_late_count,required_shifts,attendance_rate,punctuality_rate,new_hire,qa_evals,"
                    "qa_score,qa_critical_errors,csat_responses,csat,complaints_received,complaints_substantiated,"
                    "penalties,severe_penalties,rewards,ranked,not_ranked_reason,quality,satisfaction,attendance,conduct,"
                    "composite,team_rank,cohort_rank,cohort_percentile,composite_delta,qa_flagged_evaluator_share,"
                    "qa_score_adjusted")
AWARDS_HEADER = "month,award,agent_id,agent_name,team_id,reason"
CALIBRATION_HEADER = "month,evaluator_id,evaluations,paired_evaluations,mean_score,leniency,flagged"
QUALITY_HEADER = "source,rows_read,rows_used,rows_quarantined,failed_checks"

AGENT_NAMES = ("Zhang Wei", "李娜", "Wang Fang", "赵敏")
PERSONNEL_IDS = ("A001", "A002", "A003", "QA01", "QA02")
NOT_LANDED = Unavailable("not_landed", "2026-10", missing_sources=("qa_evaluations",))
UNAVAILABLE_REASON = "data for 2026-10 has not landed: missing qa_evaluations"  # its English, in group_health.csv
# ... and in the report, for a director
UNAVAILABLE_WORDS = {"en": "October's figures have not been produced because the QA evaluations data has not arrived yet.",
                     "zh-CN": "10 月数据尚未生成：质检数据尚未送达。"}


def write_csv(path: Path, header: str, rows: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\xef\xbb\xbf" + ("\n".join([header, *rows]) + "\n").encode("utf-8"))


def scorecard_row(month: Month, agent_id: str, name: str, responses: int, evals: int, required: int) -> str:
    """An agent's scorecard row: the sample columns the roll-up sums, the rest plausible."""
    values = dict.fromkeys(SCORECARD_HEADER.split(","), "")
    values.update(month=str(month), agent_id=agent_id, agent_name=name, team_id="T01", shift_pattern="day",
                  required_shifts=str(required), worked_shifts=str(required), qa_evals=str(evals),
                  csat_responses=str(responses), ranked="true")
    return ",".join(values.values())


def center_folder(out: Path, month: Month, *, all_row: str, team_row: str, agents: list[tuple], awards: list[str],
                  evaluators: list[str], quality: list[str], policy: str) -> Path:
    folder = out / str(month)
    write_csv(folder / "management_health.csv", HEALTH_HEADER, [f"{month},T01,{team_row}", f"{month},ALL,{all_row}"])
    write_csv(folder / "agent_scorecard.csv", SCORECARD_HEADER, [scorecard_row(month, *agent) for agent in agents])
    write_csv(folder / "awards.csv", AWARDS_HEADER, [f"{month},{row}" for row in awards])
    write_csv(folder / "qa_calibration.csv", CALIBRATION_HEADER, [f"{month},{row}" for row in evaluators])
    write_csv(folder / "data_quality.csv", QUALITY_HEADER, quality)
    (folder / "policy.yaml").write_text(policy, encoding="utf-8")
    # as a finished run records its reports (core/manifest.py)
    center_report = {"report": "center_report.pdf", "kind": "center", "team_id": None, "title": "Center report",
                     "address": None, "sha256": "0" * 64, "pages": 1, "fingerprint": "f", "generated_at": "2026-11-01"}
    (folder / "manifest.json").write_text(json.dumps({"month": str(month), "reports": [center_report]}),
                                          encoding="utf-8")
    return folder


# Shanghai: red (severe penalties 5.0 per 100 ≥ 5), CSAT 85.0% under its own 90% target; last month green with CSAT
# 90.0% on as many responses (z = −0.05 / √(0.875·0.125·2/1000) = −3.38: beyond noise).
SHANGHAI_ALL = "40,4,2,6,10.0,5.0,1.5,3.0,0.1,0,0.9,0.5,0.025,0.85,88.0,0.97,0,red,severe_penalty_rate_per_100>=5;csat<0.9"
SHANGHAI_LAST = "40,2,0,5,5.0,0.0,2.5,2.0,0.0,0,0.9,0.5,0.0,0.9,86.0,0.97,0,green,"
# Chengdu: amber (QA coverage 75% < 80%), its targets the SPEC defaults (96%, 90), both met; no last month.
CHENGDU_ALL = "20,1,0,2,5.0,0.0,2.0,2.0,0.0,0,0.75,0.4,0.0,0.97,91.0,0.99,0,amber,qa_coverage<0.8"


@pytest.fixture
def group(tmp_path) -> tuple[Group, list]:
    shanghai = Center("sh", "Shanghai", tmp_path / "data-sh", tmp_path / "out-sh", None)
    chengdu = Center("cd", "Chengdu", tmp_path / "data-cd", tmp_path / "out-cd", None)
    wuhan = Center("wh", "Wuhan", tmp_path / "data-wh", tmp_path / "out-wh", None)
    center_folder(shanghai.out, MONTH, all_row=SHANGHAI_ALL, team_row=SHANGHAI_ALL,
                  agents=[("A001", "Zhang Wei", 600, 70, 400), ("A002", "李娜", 400, 50, 400)],
                  awards=["service_star,A001,Zhang Wei,T01,No. 1 of 2", "perfect_attendance,A001,Zhang Wei,T01,all",
                          "perfect_attendance,A002,李娜,T01,all"],
                  evaluators=["QA01,60,55,95.0,6.5,true", "QA02,60,55,88.0,-1.0,false"],
                  quality=["agents,50,48,2,missing agent_name (2)", "attendance,1000,990,10,duplicate shift_id (10)"],
                  policy="csat_target: 0.9\nqa_target: 85\n")
    center_folder(shanghai.out, LAST, all_row=SHANGHAI_LAST, team_row=SHANGHAI_LAST,
                  agents=[("A001", "Zhang Wei", 500, 60, 400), ("A002", "李娜", 500, 60, 400)],
                  awards=[], evaluators=[], quality=["agents,50,50,0,"], policy="csat_target: 0.9\nqa_target: 85\n")
    # Chengdu's agent A001 is another person than Shanghai's A001: ids are only unique within a center.
    center_folder(chengdu.out, MONTH, all_row=CHENGDU_ALL, team_row=CHENGDU_ALL,
                  agents=[("A001", "Wang Fang", 300, 40, 200), ("A003", "赵敏", 200, 20, 200)],
                  awards=["lucky_draw,A001,Wang Fang,T01,drawn"], evaluators=["QA01,60,55,90.0,0.5,false"],
                  quality=["agents,25,25,0,"], policy="language: zh-CN\n")
    (wuhan.out / str(MONTH)).mkdir(parents=True)  # a run that stopped before writing its outputs
    centers = [center_month(shanghai, MONTH), center_month(chengdu, MONTH),
               center_month(wuhan, MONTH, NOT_LANDED)]
    return Group("Example Group", tmp_path / "group-out", ("director@example.com",), "en",
                 (shanghai, chengdu, wuhan), tmp_path / "centers.yaml"), centers


def test_center_month_is_available_only_when_its_run_finished(tmp_path, group):
    _, (shanghai, chengdu, wuhan) = group
    assert shanghai.available and shanghai.folder == tmp_path / "out-sh" / "2026-10" and shanghai.unavailable is None
    assert not wuhan.available and wuhan.folder is None and wuhan.unavailable == NOT_LANDED
    assert wuhan.unavailable.text == UNAVAILABLE_REASON
    # a folder with figures but no manifest: the run did not finish; without a reason given, not run
    (tmp_path / "out-sh" / "2026-10" / "manifest.json").unlink()
    unfinished = center_month(shanghai.center, MONTH)
    assert (unfinished.folder, unfinished.unavailable) == (None, Unavailable("not_run", "2026-10"))
    assert unfinished.unavailable.text == "no finished run for 2026-10"
    assert center_month(chengdu.center, Month(2026, 11)).unavailable.text == "no finished run for 2026-11"
    with pytest.raises(ValueError):
        Unavailable("late", "2026-10")


def test_group_health_one_row_per_center_with_its_own_figures(tmp_path, group):
    _, centers = group
    health = group_health(centers, MONTH)
    assert health["center_id"].to_list() == ["sh", "cd", "wh"]  # centers.yaml's order
    assert health.columns[:5] == ["month", "center_id", "center_name", "available", "reason"]
    sh, cd, wh = health.to_dicts()
    # Shanghai's ALL row as its management_health.csv holds it, not its team's: every §8 indicator, status, flags
    assert {k: sh[k] for k in ("headcount", "penalties", "severe_penalties", "rewards", "penalty_rate_per_100",
                               "severe_penalty_rate_per_100", "reward_penalty_ratio", "median_action_lag_days",
                               "untimely_action_share", "premature_complaint_penalties", "qa_coverage",
                               "discretionary_deduction_share", "attrition_rate", "csat", "qa_score",
                               "attendance_rate", "undisciplined_top_performers", "status", "flags")} == {
        "headcount": 40, "penalties": 4, "severe_penalties": 2, "rewards": 6, "penalty_rate_per_100": 10.0,
        "severe_penalty_rate_per_100": 5.0, "reward_penalty_ratio": 1.5, "median_action_lag_days": 3.0,
        "untimely_action_share": 0.1, "premature_complaint_penalties": 0, "qa_coverage": 0.9,
        "discretionary_deduction_share": 0.5, "attrition_rate": 0.025, "csat": 0.85, "qa_score": 88.0,
        "attendance_rate": 0.97, "undisciplined_top_performers": 0, "status": "red",
        "flags": "severe_penalty_rate_per_100>=5;csat<0.9"}
    assert (sh["month"], sh["center_name"], sh["available"], sh["reason"]) == ("2026-10", "Shanghai", True, "")
    # samples: 600 + 400 responses, 70 + 50 evaluations, 400 + 400 required shifts; its own recorded targets
    assert (sh["csat_responses"], sh["qa_evals"], sh["required_shifts"]) == (1000, 120, 800)
    assert (sh["csat_target"], sh["qa_target"]) == (0.9, 85.0)
    assert (sh["csat_last_month"], sh["qa_score_last_month"], sh["status_last_month"], sh["csat_responses_last_month"],
            sh["qa_evals_last_month"], sh["headcount_last_month"]) == (0.9, 86.0, "green", 1000, 120, 40)
    assert (sh["awards"], sh["awards_service_star"], sh["awards_perfect_attendance"], sh["awards_most_improved"],
            sh["awards_lucky_draw"], sh["award_winners"]) == (3, 1, 2, 0, 0, 2)
    assert (sh["evaluators"], sh["flagged_evaluators"]) == (2, 1)
    assert (sh["rows_read"], sh["rows_used"], sh["rows_quarantined"], sh["sources_with_quarantine"]) == (1050, 1038, 12, 2)
    # Chengdu: its defaults as targets (its policy.yaml sets none), no last month
    assert (cd["status"], cd["flags"], cd["headcount"], cd["csat"], cd["qa_coverage"]) == (
        "amber", "qa_coverage<0.8", 20, 0.97, 0.75)
    assert (cd["csat_target"], cd["qa_target"], cd["status_last_month"], cd["csat_last_month"]) == (0.96, 90.0, None, None)
    assert (cd["rows_read"], cd["rows_quarantined"], cd["sources_with_quarantine"]) == (25, 0, 0)
    # Wuhan: not available, with the reason, and no figure at all
    assert (wh["available"], wh["reason"], wh["center_name"]) == (False, UNAVAILABLE_REASON, "Wuhan")
    figures = {k: v for k, v in wh.items() if k not in ("month", "center_id", "center_name", "available", "reason")}
    assert set(figures.values()) == {None}


def test_two_centers_sharing_agent_ids_keep_their_own_counts(group):
    """Shanghai's A001 won two awards, Chengdu's A001 (someone else) the lucky draw: each center counts its own."""
    _, centers = group
    sh, cd, _ = group_health(centers, MONTH).to_dicts()
    assert (sh["awards"], sh["award_winners"], sh["awards_lucky_draw"]) == (3, 2, 0)
    assert (cd["awards"], cd["award_winners"], cd["awards_lucky_draw"], cd["awards_service_star"]) == (1, 1, 1, 0)
    assert (cd["csat_responses"], cd["qa_evals"], cd["required_shifts"]) == (500, 60, 400)
    assert (cd["evaluators"], cd["flagged_evaluators"]) == (1, 0)  # both have a QA01; only Shanghai's is flagged


def test_group_health_csv_round_trips_and_holds_no_personnel_data(tmp_path, group):
    _, centers = group
    health = group_health(centers, MONTH)
    path = write_group_health(health, tmp_path / "group-out" / "2026-10")
    assert path.name == GROUP_HEALTH_FILE and path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert read_group_health(path).equals(health)
    text = path.read_text(encoding="utf-8-sig")
    assert not [word for word in (*AGENT_NAMES, *PERSONNEL_IDS) if word in text]
    assert not list(path.parent.glob(".*.tmp"))  # written whole: no temporary file left


# Shanghai red (5.0 severe per 100, limit 5) and also amber for CSAT 85.0% < 90% (1,000 responses, 5.0 points short;
# its QA 88.0 meets its 85); Chengdu amber for QA coverage 75% < 80%, both targets met; Wuhan's data not landed;
# awards 1 + 2 in Shanghai, 1 in Chengdu; Shanghai's QA01 flagged, 2 + 10 of 1,050 rows quarantined (Chengdu 0 of 25).
BRIEF = {
    "en": [
        "1 of 2 centers is red: Shanghai, 40 agents: 5.0 severe penalties per 100 agents (2 among 40; limit 5): review "
        "each case with HR. Chengdu is amber because only 75% of agents have enough QA evaluations (limit 80%).",
        "1 of 3 centers is not available, and no figure of this report includes it. Wuhan: October's figures have not "
        "been produced because the QA evaluations data has not arrived yet.",
        "1 of 2 centers missed its own targets: Shanghai: CSAT 85.0% (n=1,000) is 5.0 percentage points under its 90% "
        "target. The other one met both.",
        "Changes since last month beyond sampling noise: Shanghai: CSAT fell 5.0 percentage points to 85.0% "
        "(n=1,000 last month, 1,000 now).",
        "Worse than last month: Shanghai (green → red).",
        "4 awards this month in both centers (Service star 1; Perfect attendance 2; Lucky draw 1); each center's "
        "report names its winners.",
        "Data to check: 1 QA evaluator scores out of line with colleagues (Shanghai 1); 12 of 1,075 rows quarantined, "
        "the largest shares in Shanghai 12 (1.1%); each center's report says which.",
    ],
    "zh-CN": [
        "2 个中心中有 1 个红色预警：Shanghai（40 人）：每百人严重处罚 5.0 次（40 人中 2 次；上限 5）：请与人力资源逐一复核。"
        "Chengdu 为黄色预警，原因是仅 75% 的坐席质检次数达标（下限 80%）。",
        "3 个中心中有 1 个无数据，本报告的各项数字均不含该中心。Wuhan 10 月数据尚未生成：质检数据尚未送达。",
        "2 个中心中有 1 个未达到自身目标：Shanghai 满意度 85.0%（n=1,000）比目标 90% 低 5.0 个百分点。其余 1 个中心两项均达标。",
        "较上月超出抽样误差的变化：Shanghai：满意度下降 5.0 个百分点，至 85.0%（n：上月 1,000，本月 1,000）。",
        "状态较上月变差：Shanghai（正常 → 红色预警）。",
        "本月两个中心均有颁奖，共 4 人次（月度服务之星 1；全勤奖 2；幸运抽奖 1）；获奖者见各中心报告。",
        "需核查的数据：1 名质检员的评分与同事明显不一致（Shanghai 1 名）；1,075 行中有 12 行被隔离，比例最高的是 Shanghai 12 行"
        "（1.1%）；详见各中心报告。",
    ],
}


def in_language(group_: Group, language: str) -> Group:
    return Group(group_.name, group_.out, group_.report_recipients, language, group_.centers, group_.file)


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_group_brief_says_what_to_act_on_with_hand_computed_figures(group, language):
    group_, centers = group
    brief = group_report_context(in_language(group_, language), MONTH, group_health(centers, MONTH), centers)["brief"]
    assert brief == BRIEF[language]


def three_amber(group, tmp_path):
    """Shanghai and Chengdu made amber for CSAT under target, Chengdu also for 3 of 8 rewards and penalties late
    (37.5%, said 38% as its status line says it); Wuhan with last month's figures and no month: nothing compared."""
    group_, (shanghai, chengdu, wuhan) = group
    sh = SHANGHAI_ALL.replace("2,6,10.0,5.0", "0,6,10.0,0.0").replace("red,severe_penalty_rate_per_100>=5;", "amber,")
    cd = ("20,2,0,6,10.0,0.0,3.0,2.0,0.375,0,0.85,0.4,0.0,0.95,91.0,0.99,0,amber,"
          "csat<0.96;untimely_action_share>0.2")
    write_csv(shanghai.folder / "management_health.csv", HEALTH_HEADER, [f"{MONTH},ALL,{sh}"])
    write_csv(chengdu.folder / "management_health.csv", HEALTH_HEADER, [f"{MONTH},ALL,{cd}"])
    (shanghai.center.out / str(LAST) / "management_health.csv").unlink()
    return group_, [shanghai, chengdu, wuhan]


def test_the_brief_says_why_the_amber_centers_are_amber_and_that_nothing_is_compared(group, tmp_path):
    group_, centers = three_amber(group, tmp_path)
    health = group_health(centers, MONTH)
    english = group_report_context(group_, MONTH, health, centers)
    assert english["brief"][0] == ("No center is red. Both are amber because CSAT is under target; Chengdu also "
                                   "because 38% of rewards and penalties were given more than 7 days late.")
    assert english["brief"][2] == ("Both centers missed their own targets: Shanghai: CSAT 85.0% (n=1,000) is 5.0 "
                                   "percentage points under its 90% target; Chengdu: CSAT 95.0% (n=500) is 1.0 "
                                   "percentage points under its 96% target.")
    assert english["brief"][3] == "No center has last month's figures yet, so nothing is compared with last month."
    assert english["changes_note"] == ""  # no ▲▼ anywhere: its footnote is not printed
    chinese = group_report_context(in_language(group_, "zh-CN"), MONTH, health, centers)
    assert chinese["brief"][0] == ("没有红色预警的中心。两个中心均为黄色预警，原因是满意度低于目标；"
                                   "Chengdu 另有原因：38% 的奖惩超过 7 天才执行。")
    assert chinese["brief"][3] == "各中心均无上月数据，本月不作环比。"
    # the same share, to the same percent, in the status line and the health table
    rows = {row["center"]: row for row in english["centers"]}
    assert "3 of 8 rewards and penalties (38%)" in rows["Chengdu"]["why"]
    assert [(row["team"], row["untimely"] if row["available"] else None) for row in english["health"]] == [
        ("Shanghai", "10% (n=10)"), ("Chengdu", "38% (n=8)"), ("Wuhan", None)]


def pdf_text(path: Path) -> str:
    return re.sub(r"\s+", "", "\n".join(page.extract_text() for page in pypdf.PdfReader(path).pages))


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_group_report_names_every_center_its_status_and_no_agent(tmp_path, group, language):
    group_, centers = group
    group_ = in_language(group_, language)
    health = group_health(centers, MONTH)
    folder = tmp_path / "group-out" / "2026-10"
    renderer = Renderer()
    path = write_group_report(group_, MONTH, health, centers, folder, renderer)
    assert path == folder / GROUP_REPORT_FILE
    text = pdf_text(path)
    messages = catalog(language)
    for expected in ("Shanghai", "Chengdu", "Wuhan", UNAVAILABLE_WORDS[language], messages["status_red"],
                     messages["status_amber"], messages["rollup_status_unavailable"], messages["in_brief"],
                     messages["rollup_side_by_side"]):
        assert re.sub(r"\s+", "", expected) in text, expected
    assert not [word for word in (*AGENT_NAMES, *PERSONNEL_IDS) if re.sub(r"\s+", "", word) in text]
    assert "qa_evaluations" not in text  # a source by its readable name, never its file's
    # recorded in the group month's manifest, as kind "group", with its In brief
    entry = read_manifest(folder)[GROUP_REPORT_FILE]
    assert (entry.kind, entry.status, entry.teams_by_status, entry.pages) == (GROUP, "red", {"red": 1, "amber": 1},
                                                                              len(pypdf.PdfReader(path).pages))
    assert entry.summary and "Wuhan" in entry.summary[1]
    # laid out again from the same figures: the same bytes (the time kept), so nothing is sent again
    before = path.read_bytes()
    write_group_report(group_, MONTH, health, centers, folder, renderer)
    assert path.read_bytes() == before and read_manifest(folder)[GROUP_REPORT_FILE].generated_at == entry.generated_at


def test_the_default_reason_is_worded_in_the_reports_language(group):
    group_, (shanghai, chengdu, _) = group
    wuhan = center_month(group_.centers[2], MONTH)  # no reason given: not run
    context = group_report_context(in_language(group_, "zh-CN"), MONTH, group_health([shanghai, chengdu, wuhan], MONTH),
                                   [shanghai, chengdu, wuhan])
    assert context["brief"][1].endswith("Wuhan 10 月数据尚未生成：该中心尚未运行本月。")
    assert [row["status_label"] for row in context["centers"]] == ["红色预警", "黄色预警", "无数据"]


# Each kind of unavailable month, as a director reads it; step and check names only as ops reads them (the CSV).
REASONS = [
    (Unavailable("not_landed", "2026-10", missing_sources=("attendance", "qa_evaluations")),
     "data for 2026-10 has not landed: missing attendance, qa_evaluations",
     "October's figures have not been produced because the attendance and QA evaluations data has not arrived yet.",
     "10 月数据尚未生成：考勤、质检数据尚未送达。"),
    (Unavailable("failed", "2026-10", steps=("raw_attendance",), run_id="1a2b3c4d"),
     "its run of 2026-10 failed at raw_attendance (run 1a2b3c4d; the center's ops alert has the detail)",
     "October's figures could not be produced because the attendance data could not be read (run 1a2b3c4d); the "
     "center's operations team has the details.",
     "10 月数据未能生成：考勤数据读取失败（运行编号 1a2b3c4d），详情已通知该中心运维人员。"),
    (Unavailable("failed", "2026-03", steps=("data_believability",),
                 checks=("data_believability.csat_responses_volume",), run_id="0f0f0f0f"),
     "its run of 2026-03 failed at data_believability, stopped by the blocking check(s) "
     "data_believability.csat_responses_volume (run 0f0f0f0f; the center's ops alert has the detail)",
     "March's figures could not be produced because the data failed the believability checks of CSAT responses "
     "(run 0f0f0f0f); the center's operations team has the details.",
     "3 月数据未能生成：满意度回复数据未通过可信度检查（运行编号 0f0f0f0f），详情已通知该中心运维人员。"),
    (Unavailable("failed", "2026-10", steps=("agent_scorecard",), run_id="1a2b3c4d"),
     "its run of 2026-10 failed at agent_scorecard (run 1a2b3c4d; the center's ops alert has the detail)",
     "October's figures could not be produced because a later step failed (run 1a2b3c4d); the center's operations "
     "team has the details.",
     "10 月数据未能生成：后续处理步骤失败（运行编号 1a2b3c4d），详情已通知该中心运维人员。"),
    (Unavailable("unfinished", "2026-10", run_id="1a2b3c4d", run_status="started"),
     "its run of 2026-10 has not finished (run 1a2b3c4d, started)",
     "October's figures are not ready yet because the center's run is still going (run 1a2b3c4d).",
     "10 月数据尚未就绪：该中心的运行仍在进行（运行编号 1a2b3c4d）。"),
    (Unavailable("canceled", "2026-10", run_id="1a2b3c4d"),
     "its run of 2026-10 was canceled (run 1a2b3c4d)",
     "October's figures have not been produced because the center's run was canceled (run 1a2b3c4d); the center's "
     "operations team can run it again.",
     "10 月数据尚未生成：该中心的运行已取消（运行编号 1a2b3c4d），可由该中心运维人员重新运行。"),
    (Unavailable("not_run", "2026-12"), "no finished run for 2026-12",
     "December's figures have not been produced because the month has not been run for this center yet.",
     "12 月数据尚未生成：该中心尚未运行本月。"),
    (Unavailable("unreadable", "2026-10", file="awards.csv"), "its awards.csv for 2026-10 cannot be read",
     "October's figures could not be read from the center's outputs; the center's operations team should run the "
     "month again.",
     "10 月数据无法从该中心的输出中读取，需由该中心运维人员重新运行本月。"),
]


@pytest.mark.parametrize(("reason", "text", "english", "chinese"), REASONS)
def test_each_kind_of_unavailable_month_is_worded_for_a_director(reason, text, english, chinese):
    assert reason.text == text
    assert unavailable_text(Translator("en"), reason) == english
    assert unavailable_text(Translator("zh-CN"), reason) == chinese


def test_past_three_centers_not_available_the_brief_counts_the_rest(tmp_path, group):
    group_, (shanghai, chengdu, _) = group
    others = [Center(f"c{i}", f"Center {i}", tmp_path / f"data-{i}", tmp_path / f"out-{i}", None) for i in range(4)]
    centers = [shanghai, chengdu, *(center_month(center, MONTH) for center in others)]
    brief = group_report_context(group_, MONTH, group_health(centers, MONTH), centers)["brief"]
    not_run = "October's figures have not been produced because the month has not been run for this center yet."
    assert brief[1] == ("4 of 6 centers are not available, and no figure of this report includes them. "
                        f"Center 0: {not_run} Center 1: {not_run} Center 2: {not_run} "
                        "1 more is not available: Centers side by side says why.")


def test_a_failed_centers_reason_reaches_the_report_and_its_step_the_csv(group):
    group_, (shanghai, chengdu, wuhan) = group
    failed = CenterMonth(wuhan.center, None, REASONS[1][0])
    health = group_health([shanghai, chengdu, failed], MONTH)
    assert health.row(2, named=True)["reason"] == REASONS[1][1]
    context = group_report_context(group_, MONTH, health, [shanghai, chengdu, failed])
    assert context["brief"][1].endswith("Wuhan: " + REASONS[1][2])
    assert context["centers"][2]["why"] == REASONS[1][2]
    # in every table, marked not available
    assert [(row["team"], row["status_label"]) for row in context["health"]][2] == ("Wuhan", "not available")
    assert context["counts"][2]["cells"][0] == "—"


def test_side_by_side_rows_hold_each_change_as_every_report_computes_it(group):
    group_, centers = group
    rows = {row["center"]: row for row in
            group_report_context(group_, MONTH, group_health(centers, MONTH), centers)["centers"]}
    assert list(rows) == ["Shanghai", "Chengdu", "Wuhan"]  # red, amber, not available
    sh = rows["Shanghai"]
    assert (sh["csat"], sh["csat_target"], sh["qa_score"], sh["qa_target"], sh["attendance"]) == (
        "85.0% (n=1,000)", "target 90%", "88.0 (n=120)", "target 85", "97.0% (n=800)")
    assert sh["also_under"] == ""  # its CSAT is a reason of its status; its QA score met its 85
    # CSAT: z = −3.38, called out; the QA score's +2.0 is shown, never marked; attendance did not move
    assert (sh["csat_change"], sh["csat_before"]) == ("-5.0 pt ▼", "last month 90.0% (n=1,000)")
    assert (sh["qa_score_change"], sh["qa_score_before"]) == ("+2.0", "last month 86.0 (n=120)")
    assert (sh["attendance_rate_change"], sh["attendance_rate_before"]) == ("+0.0 pt", "last month 97.0% (n=800)")
    assert sh["why"].startswith("Red: 5.0 severe penalties per 100 agents (2 among 40; limit 5)")
    assert "Also amber: CSAT 85.0% (n=1,000) under the 90% target" in sh["why"]
    cd = rows["Chengdu"]  # no last month: said once, under the first change; its policy sets no target: the defaults
    assert (cd["csat_target"], cd["qa_target"]) == ("target 96% (default)", "target 90 (default)")
    assert (cd["csat_change"], cd["csat_before"], cd["qa_score_change"], cd["qa_score_before"]) == (
        "—", "no data for last month", "—", "")
    assert rows["Wuhan"]["why"] == UNAVAILABLE_WORDS["en"] and not rows["Wuhan"]["available"]


def test_a_missed_target_that_is_no_reason_of_the_status_is_said_under_the_center(group):
    group_, (shanghai, chengdu, wuhan) = group
    # Chengdu's QA score 91.0 → 88.0, under its default 90: amber for QA coverage only, the QA score never a reason
    write_csv(chengdu.folder / "management_health.csv", HEALTH_HEADER,
              [f"{MONTH},ALL,{CHENGDU_ALL.replace(',91.0,', ',88.0,')}"])
    health = group_health([shanghai, chengdu, wuhan], MONTH)
    for language, said in (("en", "Also under target: QA score 88.0 vs 90 (does not change the status)."),
                           ("zh-CN", "另：质检分 88.0 低于目标 90（不影响状态）。")):
        rows = {row["center"]: row for row in group_report_context(
            in_language(group_, language), MONTH, health, [shanghai, chengdu, wuhan])["centers"]}
        assert rows["Chengdu"]["also_under"] == said
        assert rows["Shanghai"]["also_under"] == ""


def test_a_green_center_has_no_reasons_and_the_report_still_lays_out(tmp_path, group):
    group_, (shanghai, chengdu, wuhan) = group
    health_file = chengdu.folder / "management_health.csv"
    green = CHENGDU_ALL.replace("0.75,0.4", "0.85,0.4").replace("amber,qa_coverage<0.8", "green,")
    write_csv(health_file, HEALTH_HEADER, [f"{MONTH},T01,{green}", f"{MONTH},ALL,{green}"])
    health = group_health([shanghai, chengdu, wuhan], MONTH)
    assert health.row(1, named=True)["status"] == "green" and health.row(1, named=True)["flags"] is None
    context = group_report_context(group_, MONTH, health, [shanghai, chengdu, wuhan])
    assert [(row["team"], row["status"]) for row in context["health"]] == [
        ("Shanghai", "red"), ("Chengdu", "green"), ("Wuhan", "unavailable")]
    assert context["brief"][0] == ("1 of 2 centers is red: Shanghai, 40 agents: 5.0 severe penalties per 100 agents "
                                   "(2 among 40; limit 5): review each case with HR.")
    path = write_group_report(group_, MONTH, health, [shanghai, chengdu, wuhan], tmp_path / "g", Renderer())
    assert "Chengdu" in pdf_text(path)


def test_a_center_with_a_broken_file_is_not_available_and_stops_no_other(group):
    group_, (shanghai, chengdu, wuhan) = group
    (chengdu.folder / "awards.csv").write_bytes(b"\xef\xbb\xbfmonth,agent_id\n2026-10,A001\n")  # no award column
    # last month's files only serve the comparison: a broken one leaves Shanghai without one, not unavailable
    (shanghai.center.out / str(LAST) / "management_health.csv").write_text("month,team\n2026-09,ALL\n")
    sh, cd, wh = group_health([shanghai, chengdu, wuhan], MONTH).to_dicts()
    assert (cd["available"], cd["reason"], cd["csat"]) == (False, "its awards.csv for 2026-10 cannot be read", None)
    assert (sh["available"], sh["csat"], sh["awards"], sh["status_last_month"], sh["csat_last_month"]) == (
        True, 0.85, 3, None, None)
    assert (wh["available"], wh["reason"]) == (False, UNAVAILABLE_REASON)
    # the report says it for a director: the outputs do not read, ops should run the month again
    context = group_report_context(group_, MONTH, group_health([shanghai, chengdu, wuhan], MONTH),
                                   [shanghai, chengdu, wuhan])
    assert {row["center"]: row["why"] for row in context["centers"]}["Chengdu"] == REASONS[-1][2]
