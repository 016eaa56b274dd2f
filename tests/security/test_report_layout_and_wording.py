"""Issue 26, items 3, 6 and 8 (SPEC §10): complaint columns that add up, no page wasted, and wording a
reader takes at its word, in English and Chinese."""

import dataclasses
import datetime as dt
import pickle
import re
import subprocess
from pathlib import Path
from types import SimpleNamespace
from xml.etree import ElementTree

import polars as pl
import pypdf
import pytest
from markupsafe import escape

from core.months import Month
from pipelines.cli import print_month_summary
from reports.charts import Line, Panel, trend_panels
from reports.context import _complaint_total, center_context, complaint_rows, team_context
from reports.i18n import Translator, catalog, unbroken_names
from reports.render import Renderer
from schemas.catalog import SEVERITIES
from schemas.expectations import check_counts

MONTH = Month(2026, 10)
LANGUAGES = ("en", "zh-CN")


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


# --- item 3: complaint columns that add up ------------------------------------------------------

def complaint(team, received, severity, status, first_substantiated):
    return {"team_id": team, "received_at": received, "severity": severity, "status": status,
            "first_substantiated": first_substantiated}


def test_received_and_substantiated_each_split_by_severity_and_add_up():
    october, september = dt.datetime(2026, 10, 5, 9), dt.datetime(2026, 9, 20, 9)
    complaints = pl.DataFrame([
        complaint("T1", october, "low", "substantiated", True),     # received and substantiated in October
        complaint("T1", september, "high", "substantiated", True),  # received in September, substantiated now
        complaint("T1", october, "medium", "open", False),
        complaint("T2", october, "high", "investigating", False),
        complaint("T2", september, "low", "unsubstantiated", False),  # neither figure of October
    ])
    t = Translator("en")
    rows = complaint_rows(t, complaints, SimpleNamespace(month=MONTH), "team_id", {"T1": "One", "T2": "Two"},
                          ["T1", "T2"])
    total = _complaint_total(rows, t)
    by_label = {row["label"]: row for row in [*rows, total]}
    # T1: received 2 (low 1, medium 1); substantiated 2 (low 1, high 1: the September one); 1 still open
    assert {k: v for k, v in by_label["One"].items() if k != "label"} == {
        "received": 2, "received_low": 1, "received_medium": 1, "received_high": 0,
        "substantiated": 2, "substantiated_low": 1, "substantiated_medium": 0, "substantiated_high": 1,
        "still_open": 1}
    assert {k: v for k, v in by_label["Two"].items() if k != "label"} == {
        "received": 1, "received_low": 0, "received_medium": 0, "received_high": 1,
        "substantiated": 0, "substantiated_low": 0, "substantiated_medium": 0, "substantiated_high": 0,
        "still_open": 1}
    assert total == {"label": "Total", "received": 3, "received_low": 1, "received_medium": 1, "received_high": 1,
                     "substantiated": 2, "substantiated_low": 1, "substantiated_medium": 0,
                     "substantiated_high": 1, "still_open": 2}
    for row in by_label.values():  # every split adds up to its own total, the totals row too
        for figure in ("received", "substantiated"):
            assert sum(row[f"{figure}_{s}"] for s in SEVERITIES) == row[figure]


# --- item 8: wording, unit by unit ----------------------------------------------------------------

def test_an_unmet_condition_says_what_the_agent_is():
    row = {"csat": 0.891, "not_ranked_reason": "few_qa_evals"}
    en, zh = Translator("en"), Translator("zh-CN")
    assert en.unmet("csat>=0.96;ranked_last_month", row) == "missing: CSAT ≥ 96% (89.1%); not ranked last month"
    assert en.unmet("ranked_last_month", row) == "not ranked last month"
    assert en.unmet("ranked", row) == "not ranked (too few QA evaluations)"
    assert en.unmet("not_new_hire", row) == "a new hire"
    assert zh.unmet("csat>=0.96;ranked_last_month", row) == "未达：满意度 ≥ 96% (89.1%)；上月未参与排名"


def test_counts_take_their_plural_form_and_no_message_says_s_in_brackets():
    en = Translator("en")
    assert en("lucky_draw_text", count=1, pool=44).startswith("Lucky draw: 1 winner drawn at random from the 44")
    assert en("lucky_draw_text", count=3, pool=44).startswith("Lucky draw: 3 winners drawn at random from the 44")
    assert en("other_winners_private", count=1) == "1 more winner is named in their team's report only."
    assert en("other_winners_private", count=2) == "2 more winners are named in their team's report only."
    assert en.observed("1 expected value(s) missing") == "1 expected value missing"
    assert en.observed("4 expected value(s) missing") == "4 expected values missing"
    assert [key for key, text in catalog("en").items() if "(s)" in text] == []


def test_quarantine_reasons_in_chinese_name_the_allowed_values_in_chinese():
    zh, en = Translator("zh-CN"), Translator("en")
    assert zh.reason("shift_pattern not one of day/night/rotating") == "班次类型：不是 白班、夜班、轮班 之一"
    assert zh.reason("category not one of business_risk/knowledge/compliance/etiquette/process/other") == \
        "类别：不是 业务风险、业务知识、合规、服务礼仪、流程规范、其他 之一"
    assert zh.reason("severity not one of low/medium/high") == "严重程度：不是 轻微、一般、严重 之一"
    assert not re.search(r"[a-z]{3,}", zh.reason("leave_type not one of none/annual/sick/personal/other"))
    assert not re.search(r"[a-z]{3,}", zh.reason("channel not one of voice/chat/email/other"))
    # English keeps the codes: they are what the file must hold
    assert en.reason("shift_pattern not one of day/night/rotating") == "shift pattern: not one of day/night/rotating"


def test_a_flagged_evaluator_in_a_sentence_closes_one_bracket_at_a_time():
    for language in LANGUAGES:
        t = Translator(language)
        item = t("brief_evaluator_item", evaluator="QA001", points="7.4", direction=t("lenient"), pairs=88)
        for key in ("brief_team_evaluators", "brief_flagged_evaluators"):
            text = t(key, count=2, total=30, items=item)
            assert "))" not in text and "））" not in text and ")）" not in text, (language, key, text)


def test_believability_counts_a_check_that_could_not_judge_apart():
    results = pl.DataFrame({
        "passed": [True, True, True, False, True, True],
        "observed": ["64 (allowed 37–89)", "3 of 100 rows (3.0%)", "0.1", "40 of 100 rows (40.0%)",
                     "not evaluated: no previous month", "not evaluated: 4 rows last month, too few to judge volume"]})
    assert check_counts(results) == (3, 1, 2)
    assert Translator("en")("believability_summary", n=6, passed=3, failed=1, not_evaluated=2) == \
        "Of 6 believability checks, 3 passed, 1 failed and 2 could not be evaluated."


def test_chinese_names_in_english_text_stay_on_one_line():
    shown = unbroken_names("Winners to praise: 邹婧秀 (Perfect attendance); 西安高新3组 <b>", "en")
    assert str(shown) == ('Winners to praise: <span class="name">邹婧秀</span> (Perfect attendance); '
                          '<span class="name">西安高新3组</span> &lt;b&gt;')
    assert str(unbroken_names("邹婧秀获奖", "zh-CN")) == "邹婧秀获奖"  # Chinese text breaks as Chinese does


def test_chart_labels_sit_in_a_legend_off_the_data():
    panels = [Panel("CSAT · Attendance", [Line("CSAT", [95.0, 93.0, 94.0], "csat", named=True),
                                          Line("Attendance", [98.0, 99.0, 97.0], "attendance_rate", named=True)],
                    unit="%", targets=[(96.0, "target 96%")]),
              Panel("QA score", [Line("QA score", [88.0, 91.0, 90.0], "qa_score")], targets=[(90.0, "target 90")])]
    url = trend_panels(["2026-08", "2026-09", "2026-10"], panels, [])
    import base64
    svg = ElementTree.fromstring(base64.b64decode(url.split(",", 1)[1]))
    parents = {child: parent for parent in svg.iter() for child in parent}

    def in_legend(element):
        while element in parents:
            element = parents[element]
            if element.get("id", "").startswith("legend"):
                return True
        return False

    labelled = {}
    for text in svg.iter("{http://www.w3.org/2000/svg}text"):
        words = "".join(text.itertext()).strip()
        if words in ("target 96%", "target 90", "CSAT", "Attendance"):
            labelled.setdefault(words, []).append(in_legend(text))
    assert labelled == {"target 96%": [True], "target 90": [True], "CSAT": [True], "Attendance": [True]}


# --- the month as rendered, in both languages -----------------------------------------------------

@pytest.fixture(scope="module")
def months(month_in_each_language):
    """One month rendered in English and in Chinese: {language: the month's output folder}."""
    return month_in_each_language


def reports(folder: Path) -> list[Path]:
    return [folder / "center_report.pdf", *sorted((folder / "teams").glob("*.pdf"))]


def inputs_of(folder: Path):
    return pickle.loads((folder / ".intermediate" / "report_inputs.pickle").read_bytes())


def test_every_page_holds_more_than_a_footer_a_footnote_or_an_empty_section(months):
    for language, folder in months.items():
        t = Translator(language)
        inputs = inputs_of(folder)
        footnote = flat(t("small_sample_note", csat=inputs.policy.min_csat_responses, qa=inputs.policy.min_qa_evals))
        empty = [flat(t("section_empty", section=t(key))) for key in ("penalties_by_agent", "complaints_by_category")]
        for path in reports(folder):
            pages = [page.extract_text() for page in pypdf.PdfReader(path).pages]
            for number, text in enumerate(pages, 1):
                # the running footer (title · month · generated at … page n of m) is one line with the time
                body = flat("".join(line for line in text.splitlines() if not re.search(r"UTC[+-]\d\d:\d\d", line)))
                body = body.replace(footnote, "")
                for line in empty:
                    body = body.replace(line, "")
                assert len(body) > 150, (language, path.name, number, text)


def page_fill(path: Path) -> list[tuple[float, float, float]]:
    """Per page: (width, height, the lowest text above the footer as a share of the page height)."""
    boxes = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    pages = []
    for width, height, body in re.findall(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', boxes, re.S):
        footer = float(height) - 17 / 25.4 * 72  # the bottom margin holds the running footer
        bottoms = [float(y) for y in re.findall(r'yMax="([\d.]+)"', body) if float(y) < footer]
        pages.append((float(width), float(height), max(bottoms, default=0) / float(height)))
    return pages


def test_no_page_is_left_half_empty_before_a_page_of_the_same_shape(months):
    # A short section follows the one before it instead of a forced break: only a report's last page, or the
    # last before a page of another shape (landscape), may end early.
    for language, folder in months.items():
        for path in reports(folder):
            pages = page_fill(path)
            for number, (page, following) in enumerate(zip(pages, pages[1:]), 1):
                if page[:2] == following[:2]:
                    assert page[2] > 0.5, (language, path.name, number, page[2])


def test_the_zh_health_table_headers_keep_their_words_together(months):
    boxes = subprocess.run(["pdftotext", "-bbox", str(months["zh-CN"] / "center_report.pdf"), "-"],
                           capture_output=True, text=True, check=True).stdout
    words = set(re.findall(r"<word [^>]*>([^<]*)</word>", boxes))
    zh = catalog("zh-CN")
    for key in ("penalty_rate_per_100", "reward_penalty_ratio", "headcount"):  # 每百人处罚, 奖惩比, 人数
        assert zh[key] in words, key


def test_the_reports_print_no_double_closing_bracket(months):
    for language, folder in months.items():
        for path in reports(folder):
            text = flat("".join(page.extract_text() for page in pypdf.PdfReader(path).pages))
            assert not re.search(r"[)）][)）]", text), (language, path.name,
                                                     re.findall(r".{60}[)）][)）]", text))


def test_ranks_say_what_they_are_out_of_and_eligibility_follows_the_rank(months):
    for language, folder in months.items():
        t = Translator(language)
        inputs = inputs_of(folder)
        card = inputs.scorecard
        cohort = dict(card.filter(pl.col("cohort_rank").is_not_null()).group_by("shift_pattern").len().iter_rows())
        for team_id in card["team_id"].unique().sort():
            context = team_context(inputs, team_id)
            mine = card.filter(pl.col("team_id") == team_id).sort(
                [pl.col("team_rank").is_null(), "team_rank", "agent_id"])
            assert [row["name"] for row in context["eligibility"]] == mine["agent_name"].to_list()
            for row, agent in zip(context["scorecards"], mine.iter_rows(named=True)):
                if agent["cohort_rank"]:
                    assert row["cohort_rank"] == t("rank_of", rank=agent["cohort_rank"],
                                                   size=cohort[agent["shift_pattern"]])
        center = center_context(inputs)
        for row in center["teams"]:
            assert re.fullmatch(r"\d+ of \d+" if language == "en" else r"\d+ 人中 \d+ 人", row["ranked"]), row


def test_the_brief_says_how_many_of_the_quarantined_rows_each_source_holds(months):
    inputs = inputs_of(months["en"])
    quality = inputs.data_quality.filter(pl.col("rows_quarantined") > 0).sort(
        ["rows_quarantined", "source"], descending=[True, False])
    total, read = int(inputs.data_quality["rows_quarantined"].sum()), int(inputs.data_quality["rows_read"].sum())
    t = Translator("en")
    first = quality.row(0, named=True)
    said = f"{total:,} of {read:,} rows quarantined: {first['rows_quarantined']} in {t.source(first['source'])}"
    assert any(said in sentence for sentence in center_context(inputs)["brief"])
    assert not any("most in" in sentence for sentence in center_context(inputs)["brief"])


def test_the_appendix_and_the_command_line_count_the_checks_alike(months, capsys):
    for language, folder in months.items():
        inputs = inputs_of(folder)
        passed, failed, not_evaluated = check_counts(inputs.expectations)
        assert passed + failed + not_evaluated == inputs.expectations.height
        text = flat("".join(page.extract_text() for page in pypdf.PdfReader(folder / "center_report.pdf").pages))
        said = Translator(language)("believability_summary", n=inputs.expectations.height, passed=passed,
                                    failed=failed, not_evaluated=not_evaluated)
        assert flat(said) in text, language
    print_month_summary(months["en"], "")
    line = next(line for line in capsys.readouterr().out.splitlines() if "believability" in line)
    inputs = inputs_of(months["en"])
    passed, failed, not_evaluated = check_counts(inputs.expectations)
    assert f"of {inputs.expectations.height} checks, {passed} passed, {failed} failed, {not_evaluated} not " \
           f"evaluated" in line


def test_names_in_the_english_brief_are_set_unbroken(months):
    inputs = inputs_of(months["en"])
    context = center_context(inputs)
    html = Renderer().html("center.html", context)
    names = [name for sentence in context["brief"] for name in re.findall(r"[\u4e00-\u9fff][\u4e00-\u9fff0-9]*",
                                                                          sentence)]
    assert names, context["brief"]
    for name in names:
        assert f'<span class="name">{name}</span>' in html, name


# --- issue 26, the second reading of the pages -----------------------------------------------------

RIGHT_MARGIN_MM = 12  # report.css: @page margin 14mm 12mm 17mm 12mm
HEALTH_HEADS = ("penalty_rate_per_100", "severe_penalty_rate_per_100", "reward_penalty_ratio", "median_action_lag_days",
                "untimely_action_share", "premature_complaint_penalties", "qa_coverage",
                "discretionary_deduction_share", "attrition_rate", "undisciplined_top_performers")


def page_words(path: Path) -> list[list[tuple[float, float, float, str]]]:
    """Per page, its words as pdftotext -bbox boxes them: (xMin, yMin, xMax, word), in reading order."""
    boxes = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return [[(float(x0), float(y0), float(x1), word) for x0, y0, x1, word in re.findall(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>', body)]
            for body in re.findall(r"<page [^>]*>(.*?)</page>", boxes, re.S)]


def words_beyond_the_right_margin(path: Path) -> list[tuple[int, str]]:
    width = float(re.search(r'<page width="([\d.]+)"', subprocess.run(
        ["pdftotext", "-bbox", "-l", "1", str(path), "-"], capture_output=True, text=True, check=True).stdout)[1])
    edge = width - RIGHT_MARGIN_MM / 25.4 * 72 + 0.5  # half a point for rounding
    return [(number, word) for number, words in enumerate(page_words(path), 1)
            for _, _, x_max, word in words if x_max > edge]


def test_no_word_of_the_center_report_lies_beyond_the_right_margin(months):
    # The zh-CN health table ran 10 mm past the margin ("有处罚的绩效坐" cut, "请复核该…" cut mid-sentence).
    for language, folder in months.items():
        assert words_beyond_the_right_margin(folder / "center_report.pdf") == [], language


def test_the_zh_health_headers_break_where_their_messages_say_and_nowhere_else(months):
    words = {word for page in page_words(months["zh-CN"] / "center_report.pdf") for *_, word in page}
    zh = catalog("zh-CN")
    for key in HEALTH_HEADS:
        for line in zh[f"health_head_{key}"].split("\n"):  # 每百人 / 严重处罚, never 每百人严重 / 处罚
            assert line in words, (key, line)


def test_a_team_of_the_health_table_and_its_reasons_share_a_page(months):
    for language, folder in months.items():
        context = center_context(inputs_of(folder))
        pages = [flat(page.extract_text()) for page in pypdf.PdfReader(folder / "center_report.pdf").pages]
        shown = 0
        for row in context["health"]:
            if not row["flags"]:
                continue
            # the row's first line: its status and its first four figures, in that order
            figures = flat(row["status_label"] + row["penalty_rate"] + row["severe_rate"] + row["reward_penalty_ratio"]
                           + row["median_lag"])
            where = [number for number, text in enumerate(pages) if figures in text]
            assert where, (language, row["team"])
            assert all(flat(row["flags"])[:30] in pages[number] for number in where), (language, row["team"], where)
            shown += 1
        assert shown >= 2, language


def test_no_page_is_a_third_empty_before_one_of_its_shape_nor_nearly_empty_before_another(months):
    # The existing test allowed 49% empty pages, and any page before a landscape one: the team reports' page 4 was
    # 40% empty (a table moved whole to page 5), and a zh-CN team report's page 5 held one penalty row.
    for language, folder in months.items():
        for path in reports(folder):
            pages = page_fill(path)
            for number, (page, following) in enumerate(zip(pages, pages[1:]), 1):
                least = 0.65 if page[:2] == following[:2] else 0.2
                assert page[2] > least, (language, path.name, number, page[2])


def test_the_team_comparison_gives_qa_its_signed_change_red_teams_first(months):
    for language, folder in months.items():
        inputs, t = inputs_of(folder), Translator(language)
        context = center_context(inputs)
        trend = {(row["team_id"], row["month"]): row for row in inputs.trend.iter_rows(named=True)}
        statuses = [row["status"] for row in context["teams"]]
        order = {"red": 0, "amber": 1, "green": 2}
        assert [(order[row["status"]], row["team_id"]) for row in context["teams"]] == sorted(
            (order[row["status"]], row["team_id"]) for row in context["teams"]), statuses
        for row in context["teams"]:
            now, before = trend[(row["team_id"], "2026-10")], trend.get((row["team_id"], "2026-09"))
            if before is None or before["qa_score"] is None:
                assert row["qa_change"] == "—"
                continue
            delta = round(now["qa_score"] - before["qa_score"], 1) + 0.0  # the unrounded change, rounded once
            assert row["qa_change"].split(" ")[0] == f"{delta:+.1f}", (row["team"], row["qa_change"])
            assert row["qa_score"] == f"{now['qa_score']:.1f} (n={now['qa_evals']:,})" + (
                "†" if now["qa_evals"] < inputs.policy.min_qa_evals else "")
        text = flat("".join(page.extract_text() for page in pypdf.PdfReader(folder / "center_report.pdf").pages))
        for key in ("csat_change_head", "qa_change_head"):
            assert flat(t(key)) in text, (language, key)


def test_the_zh_ranked_count_stays_on_one_line(months):
    assert catalog("zh-CN")["ranked_count"] == "参与排名"
    teams = center_context(inputs_of(months["zh-CN"]))["teams"]
    seen = 0
    for words in page_words(months["zh-CN"] / "center_report.pdf"):
        for index, (_, y, _, word) in enumerate(words):
            if word == "人中":  # "19 人中 11 人": the four words on one line
                total, ranked, person = words[index - 1], words[index + 1], words[index + 2]
                assert total[3].isdigit() and ranked[3].isdigit() and person[3] == "人"
                assert {round(total[1]), round(ranked[1]), round(person[1])} == {round(y)}, words[index - 1:index + 3]
                seen += 1
    assert seen == len(teams)


def test_the_small_sample_footnote_shows_only_beside_a_mark(months):
    for language, folder in months.items():
        inputs, t = inputs_of(folder), Translator(language)
        note = t("small_sample_note", csat=inputs.policy.min_csat_responses, qa=inputs.policy.min_qa_evals)
        text = "".join(page.extract_text() for page in pypdf.PdfReader(folder / "center_report.pdf").pages)
        marks = flat(text).replace(flat(note), "").count("†")
        assert (flat(note) in flat(text)) == (marks > 0), (language, marks)
        context = center_context(inputs)
        for shown in (False, True):
            html = Renderer().html("center.html", {**context, "small_sample_shown": shown})
            assert (str(escape(note)) in html) == shown


def test_the_leads_of_complaints_and_deductions_read_as_meant():
    en, zh = catalog("en"), catalog("zh-CN")
    assert en["complaints_lead"] == (
        "Received: complaints received this month, split by severity. Substantiated: complaints found substantiated "
        "this month for the first time, including ones received in earlier months, shown apart and split by severity."
        " Still open: open or under investigation.")
    assert "单独列出并按级别细分" in zh["complaints_lead"]
    # SPEC §8: etiquette, process and other are the discretionary share; the rest is deducted by rule
    from metrics.health import DISCRETIONARY_CATEGORIES
    from schemas.catalog import DEDUCTION_CATEGORIES
    for language, judgment_word in (("en", "judgment"), ("zh-CN", "酌情")):
        t = Translator(language)
        text = t("deductions_lead", points="5,179", evaluations=411)
        by_rule, at_judgment = text.split(judgment_word, 1)
        for category in DEDUCTION_CATEGORIES:
            name = t(f"deduction_{category}")
            assert (name in at_judgment) == (category in DISCRETIONARY_CATEGORIES), (language, category)
            assert (name in by_rule) == (category not in DISCRETIONARY_CATEGORIES), (language, category)
    assert Translator("en")("deductions_lead", points="5,179", evaluations=411) == (
        "5,179 points deducted in 411 evaluations. Deducted by rule, whenever the fault occurs: business risk, "
        "knowledge and compliance. Deducted at the evaluator's judgment (the discretionary share): etiquette, process "
        "and other.")


def test_a_focus_items_chinese_wording_stays_on_one_line_in_english(months):
    folder = months["en"]
    inputs = inputs_of(folder)
    teams = sorted(inputs.scorecard["team_id"].unique().to_list())
    items = set()
    for team_id, part in inputs.by_team(teams).items():
        context = team_context(part, team_id)
        html = Renderer().html("team.html", context)
        for row in context["coaching"]:
            for focus in row["focus"]:
                for name in re.findall(r"[\u4e00-\u9fff][\u4e00-\u9fff0-9]*", focus):
                    assert f'<span class="name">{name}</span>' in html, name
                    items.add(name)
    assert items, "the fixture month should have focus items with their wording"
    words = {word for path in (folder / "teams").glob("*.pdf") for page in page_words(path) for *_, word in page}
    assert not [name for name in items if not any(name in word for word in words)]


def test_a_zh_report_words_each_deed_in_chinese_from_a_month_run_in_english(months):
    inputs = inputs_of(months["en"])  # awards.csv's reasons are English here
    zh = dataclasses.replace(inputs, policy=inputs.policy.model_copy(update={"language": "zh-CN"}))
    context = center_context(zh)
    card = {row["agent_id"]: row for row in inputs.scorecard.iter_rows(named=True)}
    by_name = {row["agent_name"]: row["agent_id"] for row in inputs.winners.iter_rows(named=True)}
    assert context["awards"]
    for row in context["awards"]:
        assert not re.search(r"[A-Za-z]{3,}", row["reason"]), row["reason"]
        if row["award_code"] == "perfect_attendance":
            shifts = card[by_name[row["name"]]]["required_shifts"]
            assert row["reason"] == f"本月 {shifts} 个应出勤班次全部出勤：无请假、无旷工、无迟到"
        if row["award_code"] == "lucky_draw":
            assert row["reason"] == f"从 {inputs.draw_pool_size} 人的奖池中抽取（随机种子 {inputs.draw_seed}）"
