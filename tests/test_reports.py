"""The PDFs read back as a director and a supervisor would read them (SPEC §10)."""

import dataclasses
import json
import pickle
import re
import subprocess
from pathlib import Path

import polars as pl
import pypdf
import pytest
import weasyprint

from core.months import Month
from pipelines.cli import run_month
from reports.i18n import LANGUAGES, catalog, number, percent
from reports.context import center_context, team_context
from reports.render import TEMPLATES, UA_ELEMENTS, Earlier, Renderer, write_checked
from synthetic.generator import GenerateOptions, generate

MONTH = Month(2026, 10)


def read_csv(path: Path) -> pl.DataFrame:
    return pl.read_csv(path.read_bytes().removeprefix(b"\xef\xbb\xbf"), infer_schema_length=None)


def pdf_text(path: Path) -> list[str]:
    """Each page's text, as pypdf extracts it (what a reader could search and copy)."""
    return [page.extract_text() for page in pypdf.PdfReader(path).pages]


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def pdf_fonts(path: Path) -> set[str]:
    fonts = set()
    for page in pypdf.PdfReader(path).pages:
        for font in page["/Resources"].get("/Font", {}).values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    return fonts


def words_past_the_right_edge(path: Path) -> list[str]:
    """Words that run past the right edge of their page: a reader of the page never sees all of them."""
    boxes = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    past = []
    for width, body in re.findall(r'<page width="([\d.]+)"[^>]*>(.*?)</page>', boxes, re.S):
        past += [word for x_max, word in re.findall(r'xMax="([\d.]+)"[^>]*>([^<]*)</word>', body)
                 if float(x_max) > float(width)]
    return past


def run(tmp_path_factory, monkeypatch_scope, data: Path, policy: str | None = None) -> Path:
    out = tmp_path_factory.mktemp("out")
    monkeypatch_scope.setenv("DAGSTER_HOME", str(tmp_path_factory.mktemp("dagster_home")))
    ok, messages, _ = run_month(MONTH, str(data), str(out), policy=policy)
    assert ok, messages
    return out / str(MONTH)


@pytest.fixture(scope="module")
def patch():
    with pytest.MonkeyPatch.context() as monkeypatch:
        yield monkeypatch


@pytest.fixture(scope="module")
def month_out(tmp_path_factory, patch):
    root = tmp_path_factory.mktemp("month")
    data = root / "data_used"
    generate(GenerateOptions(agents=90, month=MONTH, out=data, months_back=2, seed=21, bad_rows=True,
                             evaluator_bias=12))
    out = root / "out"
    patch.setenv("DAGSTER_HOME", str(tmp_path_factory.mktemp("dagster_home")))
    ok, messages, _ = run_month(MONTH, str(data), str(out))
    assert ok, messages
    return out / str(MONTH)


def test_every_team_with_agents_gets_a_report(month_out):
    card = read_csv(month_out / "agent_scorecard.csv")
    assert sorted(p.stem for p in (month_out / "teams").glob("*.pdf")) == sorted(card["team_id"].unique())
    assert (month_out / "center_report.pdf").exists()


def test_center_report_sections_and_figures(month_out):
    pages = pdf_text(month_out / "center_report.pdf")
    text, squeezed = "\n".join(pages), flat("\n".join(pages))
    messages = catalog("en")
    for section in ["in_brief", "kpis", "team_comparison", "trends", "management_health", "complaints_by_team",
                    "qa_deductions", "awards", "data_quality_appendix", "policy_appendix", "redraw"]:
        assert messages[section] in text, section
    center = read_csv(month_out / "management_health.csv").filter(pl.col("team_id") == "ALL").row(0, named=True)
    card = read_csv(month_out / "agent_scorecard.csv")
    # the pooled CSAT with its n, as the KPI tile prints it
    assert percent(center["csat"]) in text and flat(f"n={card['csat_responses'].sum():,}") in squeezed
    assert number(center["qa_score"]) in text
    for row in read_csv(month_out / "data_quality.csv").iter_rows(named=True):
        assert flat(f"{row['rows_read']:,}{row['rows_used']:,}{row['rows_quarantined']:,}") in squeezed
    awards = read_csv(month_out / "awards.csv")
    seed = awards.filter(pl.col("award") == "lucky_draw")["reason"][0].split("seed ")[1].rstrip(")")
    assert flat(f"read as a number: {seed}") in squeezed  # the re-draw recipe in the appendix
    assert re.search(r"Page 1 of \d+", text) and f"Page {len(pages)} of {len(pages)}" in text
    assert flat("Center report · 2026-10 · generated") in squeezed


def test_page_one_of_the_center_report_says_what_to_act_on(month_out):
    page_one = flat(pdf_text(month_out / "center_report.pdf")[0])
    health = read_csv(month_out / "management_health.csv")
    teams = dict(read_csv(month_out.parent.parent / "data_used" / str(MONTH) / "teams.csv")
                 .select("team_id", "team_name").iter_rows())
    red = health.filter((pl.col("status") == "red") & (pl.col("team_id") != "ALL"))
    assert red.height, "the fixture month should have a red team"
    verb = "is" if red.height == 1 else "are"
    assert flat(f"{red.height} of {health.height - 1} teams {verb} red") in page_one
    for row in red.iter_rows(named=True):
        assert flat(teams[row["team_id"]]) in page_one
        if "premature_complaint_penalties>=1" in row["flags"]:
            count = row["premature_complaint_penalties"]
            said = "1 penalty issued on a complaint not yet substantiated: review it" if count == 1 else \
                f"{count} penalties issued on complaints not yet substantiated: review them"
            assert flat(said) in page_one
        if row["flags"].startswith("severe"):
            assert flat(f"{number(row['severe_penalty_rate_per_100'])} severe penalties per 100") in page_one
    center = health.filter(pl.col("team_id") == "ALL").row(0, named=True)
    if center["csat"] < 0.96:  # a missed target says by how much, with its n
        gap = f"{(0.96 - center['csat']) * 100:.1f} pt under the 96% target"
        assert flat(gap) in page_one
    coaching = read_csv(month_out / "agent_scorecard.csv")
    assert flat(f"of {coaching.height} agents are on the coaching lists") in page_one
    roster = read_csv(month_out.parent.parent / "data_used" / str(MONTH) / "teams.csv")
    (without,) = roster.filter(pl.col("supervisor_email").is_null())["team_name"]  # the generator leaves one out
    assert "cannotbeemailed" in page_one and flat(f"{without} (no supervisor email on file)") in page_one


def test_flags_criteria_and_the_policy_read_as_words_not_code(month_out):
    text = flat("\n".join(pdf_text(month_out / "center_report.pdf")))
    assert "<0.96" not in text and "CSAT" in text and flat("the 96% target") in text  # rates as percentages
    for literal in ("{'", "['", "{}", "[]", "True", "False", "None"):
        assert literal not in text, literal  # no Python literal in the policy appendix
    card = read_csv(month_out / "agent_scorecard.csv")
    team_id = card["team_id"].mode()[0]
    team = flat("\n".join(pdf_text(month_out / "teams" / f"{team_id}.pdf")))
    assert "missing:" in team and "★won" in team or "✓eligible" in team
    assert ">=" not in team and "cohort_percentile" not in team
    unranked = card.filter((pl.col("team_id") == team_id) & ~pl.col("ranked")).height
    assert flat(f"{unranked} of {card.filter(pl.col('team_id') == team_id).height} agents are not ranked") in team


def test_no_table_runs_past_the_page_edge(month_out):
    for path in [month_out / "center_report.pdf", *sorted((month_out / "teams").glob("*.pdf"))]:
        assert words_past_the_right_edge(path) == [], path.name


def test_a_team_report_names_its_coaching_list_in_its_brief(month_out):
    card = read_csv(month_out / "agent_scorecard.csv")
    roster = read_csv(month_out.parent.parent / "data_used" / str(MONTH) / "agents.csv")
    leavers = roster.filter(pl.col("exit_date").cast(pl.String).str.starts_with(str(MONTH)))["agent_id"].to_list()
    for team_id in card["team_id"].unique():
        page_one = flat(pdf_text(month_out / "teams" / f"{team_id}.pdf")[0])
        mine = card.filter(pl.col("team_id") == team_id)
        # SPEC §7: QA below 80 counts over 3+ evaluations only; an agent leaving this month is not coached
        coached = mine.filter(pl.col("ranked") & (pl.col("cohort_percentile") < 0.1)
                              | (pl.col("qa_score") < 80) & (pl.col("qa_evals") >= 3)
                              | (pl.col("qa_critical_errors") >= 1) | (pl.col("serious_late_count") >= 1)
                              ).filter(~pl.col("agent_id").is_in(leavers))
        assert sorted(coached["agent_id"]) == sorted(
            read_csv(month_out / "coaching.csv").filter(pl.col("team_id") == team_id)["agent_id"]), team_id
        if coached.height:
            assert flat(f"On your coaching list ({coached.height})") in page_one, team_id
        for name in coached["agent_name"]:
            assert flat(name) in page_one, (team_id, name)


def test_the_center_report_shows_the_lenient_evaluator_and_the_fairness_table(month_out):
    text = flat("\n".join(pdf_text(month_out / "center_report.pdf")))
    calibration = read_csv(month_out / "qa_calibration.csv").filter(pl.col("flagged"))
    assert calibration["evaluator_id"].to_list() == ["QA001"]
    row = calibration.row(0, named=True)
    assert flat(f"QA001 {number(row['leniency'])} points more kindly (n={row['paired_evaluations']} pairs)") in text
    assert flat(f"QA001+{number(row['leniency'])}morekindly{row['paired_evaluations']}") in text  # the table
    assert "Calibrationandfairness" in text
    fairness = read_csv(month_out / "award_fairness.csv")
    for group in fairness.filter(pl.col("group_kind") == "site")["group"].unique():
        assert flat(group) in text
    center_rate = fairness.filter(pl.col("award") == "perfect_attendance")["center_award_rate"][0]
    assert flat(percent(center_rate)) in text


def test_team_reports_show_adjusted_qa_and_the_share_by_flagged_evaluators(month_out):
    card = read_csv(month_out / "agent_scorecard.csv")
    team_id = card["team_id"].mode()[0]
    text = flat("\n".join(pdf_text(month_out / "teams" / f"{team_id}.pdf")))
    assert "QAadjusted" in text and "Byflaggedevaluators" in text
    for row in card.filter((pl.col("team_id") == team_id) & (pl.col("qa_evals") > 0)).iter_rows(named=True):
        assert flat(f"{number(row['qa_score_adjusted'])}{percent(row['qa_flagged_evaluator_share'], 0)}") in text


def test_each_email_opens_with_its_reports_brief(month_out):
    import email
    import email.policy

    manifest = {entry["report"]: entry for entry in json.loads((month_out / "manifest.json").read_text())["reports"]}
    for path in (month_out / "outbox").glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        body = flat(message.get_body(("plain",)).get_content())
        for part in message.iter_attachments():
            report = part.get_filename().removeprefix(f"ccpulse_{MONTH}_").replace("team_", "teams/", 1)
            assert manifest[report]["summary"] and all(flat(line) in body for line in manifest[report]["summary"])


def test_center_report_praises_only_clean_winners_and_names_no_penalized_agent(month_out):
    card = read_csv(month_out / "agent_scorecard.csv")
    awards = read_csv(month_out / "awards.csv")
    squeezed = flat("\n".join(pdf_text(month_out / "center_report.pdf")))
    penalized = set(card.filter(pl.col("penalties") > 0)["agent_name"])
    praised = set(awards["agent_name"]) - penalized
    assert praised, "the fixture month should have winners"
    for name in praised:
        assert flat(name) in squeezed
    others = set(read_csv(month_out / "management_health.csv")["team_id"])
    for name in penalized:
        # a penalized name may still occur inside another printed name; only a free-standing one is a leak
        if any(flat(name) in flat(other) for other in praised | others):
            continue
        assert flat(name) not in squeezed, name
    for agent_id in card["agent_id"]:
        assert agent_id not in squeezed  # the center report lists no agent ids at all


def test_team_reports_hold_their_own_agents_only(month_out):
    card = read_csv(month_out / "agent_scorecard.csv")
    for team_id in card["team_id"].unique():
        squeezed = flat("\n".join(pdf_text(month_out / "teams" / f"{team_id}.pdf")))
        own, others = card.filter(pl.col("team_id") == team_id), card.filter(pl.col("team_id") != team_id)
        for agent_id in own["agent_id"]:
            assert agent_id in squeezed
        for agent_id in others["agent_id"]:
            assert agent_id not in squeezed, (team_id, agent_id)


def test_team_report_scorecards_match_the_csv(month_out):
    card = read_csv(month_out / "agent_scorecard.csv")
    team_id = card["team_id"].mode()[0]
    pages = pdf_text(month_out / "teams" / f"{team_id}.pdf")
    text = "\n".join(pages)
    for section in ["kpis", "scorecards", "award_eligibility", "coaching", "penalties_by_agent"]:
        assert catalog("en")[section] in text, section
    for row in card.filter(pl.col("team_id") == team_id).iter_rows(named=True):
        if row["ranked"]:
            assert number(row["composite"]) in text
            assert f"{percent(row['quality'])}" in text
        if row["csat"] is not None:
            assert flat(f"{percent(row['csat'])} (n={row['csat_responses']})") in flat(text)


def test_chinese_glyphs_come_from_the_embedded_cjk_font(month_out):
    card = read_csv(month_out / "agent_scorecard.csv")
    team_id = card.filter(pl.col("agent_name").str.contains(r"^\p{Han}+$"))["team_id"][0]
    path = month_out / "teams" / f"{team_id}.pdf"
    assert any("NotoSansCJK" in font.replace("-", "") for font in pdf_fonts(path))
    squeezed = flat("\n".join(pdf_text(path)))
    chinese = card.filter((pl.col("team_id") == team_id) & pl.col("agent_name").str.contains(r"^\p{Han}+$"))
    for name in chinese["agent_name"]:
        assert name in squeezed


def test_a_rerun_writes_identical_pdfs(month_out, patch):
    def pdfs():
        return {p.name: p.read_bytes() for p in [month_out / "center_report.pdf", *(month_out / "teams").glob("*.pdf")]}

    before = pdfs()
    # the same month again, into the same folder: the generation time is kept, so nothing changes
    ok, messages, _ = run_month(MONTH, str(month_out.parent.parent / "data_used"), str(month_out.parent))
    assert ok, messages
    assert pdfs() == before


# --- language ---------------------------------------------------------------------------------

def test_catalogs_have_the_same_keys():
    keys = [set(catalog(language)) for language in LANGUAGES]
    assert all(k == keys[0] for k in keys)


def test_templates_hold_no_words_of_their_own():
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text(encoding="utf-8")
        text = re.sub(r"{#.*?#}|{{.*?}}|{%.*?%}", "", text, flags=re.S)
        text = re.sub(r"<[^>]+>", "", text)
        leftovers = re.findall(r"[A-Za-z\u4e00-\u9fff]{2,}", text)
        assert leftovers == [], (template.name, leftovers)


def test_a_chinese_policy_gives_chinese_reports_with_no_english_left(tmp_path_factory, patch):
    data = tmp_path_factory.mktemp("data_zh")
    generate(GenerateOptions(agents=40, month=MONTH, out=data, months_back=1, seed=4, bad_rows=True))
    policy = tmp_path_factory.mktemp("policy") / "policy.yaml"
    policy.write_text("language: zh-CN\n", encoding="utf-8")
    out = run(tmp_path_factory, patch, data, str(policy))
    center = "\n".join(pdf_text(out / "center_report.pdf"))
    zh = catalog("zh-CN")
    for key in ["center_report", "in_brief", "kpis", "team_comparison", "management_health", "policy_appendix"]:
        assert zh[key] in center, key
    assert "第 1 页，共" in center
    teams = "\n".join("\n".join(pdf_text(path)) for path in (out / "teams").glob("*.pdf"))
    assert zh["scorecards"] in teams and zh["coaching"] in teams
    everything = flat(center + teams)
    # No sentence, label or unit of the English catalog survives in Chinese reports: only names, ids,
    # file names and data codes may be Latin.
    for key, text in catalog("en").items():
        fragments = [f for f in re.split(r"\{[^}]*\}", text) if len(re.findall(r"[A-Za-z]{2,}", f)) >= 2]
        for fragment in fragments:
            assert flat(fragment) not in everything, (key, fragment)
    for word in ("LATE", "CONDUCT", "Flags", "amber", "missing:", " pt", "appears more than once", "attendance"):
        assert flat(word) not in everything, word
    assert "个百分点" in everything and "红色预警" in everything or "黄色预警" in everything


# --- hostile input ------------------------------------------------------------------------------

HOSTILE_NAME = '<img src="file:///etc/passwd">Eve'
HOSTILE_LINK = '<link rel="attachment" href="file:///etc/passwd">'
HOSTILE_URL = "http://attacker.invalid/x.png"


def test_hostile_values_print_as_text_and_fetch_nothing(tmp_path_factory, patch):
    data = tmp_path_factory.mktemp("data_hostile")
    generate(GenerateOptions(agents=25, month=MONTH, out=data, months_back=0, seed=9))
    folder = data / str(MONTH)
    agents = pl.read_csv(folder / "agents.csv", infer_schema=False)
    victims = agents["agent_id"].to_list()
    names = {victims[0]: HOSTILE_NAME, victims[1]: HOSTILE_LINK + "Mallory", victims[2]: f"Trudy {HOSTILE_URL}"}
    agents = agents.with_columns(pl.col("agent_id").replace_strict(names, default=pl.col("agent_name")).alias(
        "agent_name"))
    agents.write_csv(folder / "agents.csv")
    complaints = pl.read_csv(folder / "complaints.csv", infer_schema=False)
    complaints.with_columns(category=pl.lit(f'<b>loud</b> {HOSTILE_LINK} <img src="{HOSTILE_URL}">')).write_csv(
        folder / "complaints.csv")
    out = run(tmp_path_factory, patch, data)

    card = read_csv(out / "agent_scorecard.csv")
    for agent_id, name in names.items():
        team_id = card.filter(pl.col("agent_id") == agent_id)["team_id"][0]
        path = out / "teams" / f"{team_id}.pdf"
        assert flat(name) in flat("\n".join(pdf_text(path))), name  # printed as the text it is
    for path in [out / "center_report.pdf", *(out / "teams").glob("*.pdf")]:
        reader = pypdf.PdfReader(path)
        assert "/EmbeddedFiles" not in reader.trailer["/Root"].get("/Names", {})  # nothing attached
        assert b"root:" not in path.read_bytes()  # /etc/passwd's first line never made it in
    assert any("<b>loud</b>" in "\n".join(pdf_text(p)) for p in (out / "teams").glob("*.pdf"))


def test_the_fetcher_refuses_everything_outside_the_templates(tmp_path):
    renderer = Renderer()
    page = (f'<html><body><img src="file:///etc/passwd"><img src="{HOSTILE_URL}">'
            f'<link rel="attachment" href="file:///etc/passwd"><img src="../render.py">'
            '<img src="report.css"><p>safe</p></body></html>')
    from weasyprint import HTML

    target = tmp_path / "out.pdf"
    HTML(string=page, base_url=TEMPLATES.as_uri() + "/", url_fetcher=renderer.fetcher).write_pdf(
        target, stylesheets=[renderer.stylesheet], font_config=renderer.fonts)
    assert set(renderer.fetcher.refused) == {"file:///etc/passwd", HOSTILE_URL,
                                             (TEMPLATES.parent / "render.py").as_uri()}
    reader = pypdf.PdfReader(target)
    assert "/EmbeddedFiles" not in reader.trailer["/Root"].get("/Names", {})
    assert "safe" in reader.pages[0].extract_text()


# --- a big team -----------------------------------------------------------------------------------

def test_a_team_of_250_paginates_cleanly(tmp_path_factory, patch):
    data = tmp_path_factory.mktemp("data_big")
    generate(GenerateOptions(agents=250, team_size=250, month=MONTH, out=data, months_back=0, seed=5))
    out = run(tmp_path_factory, patch, data)
    card = read_csv(out / "agent_scorecard.csv")
    (path,) = list((out / "teams").glob("*.pdf"))
    pages = pdf_text(path)
    assert len(pages) > 10
    headers = catalog("en")
    for number_, page in enumerate(pages, start=1):
        assert f"Page {number_} of {len(pages)}" in page  # every page numbered
    scorecard_pages = [p for p in pages if headers["punctuality_rate"] in p]
    assert len(scorecard_pages) >= 5  # the table's header row repeats on each page it spans
    for row in card.iter_rows(named=True):
        holding = [i for i, page in enumerate(pages) if row["agent_id"] in page]
        assert len(holding) == 1, row["agent_id"]  # each agent's performance row once, never split
        assert flat(row["agent_name"]) in flat(pages[holding[0]])


# --- the user-agent stylesheet ------------------------------------------------------------------

def test_templates_use_only_the_elements_the_user_agent_sheet_styles():
    for template in [*TEMPLATES.glob("*.html")]:
        if template.name.startswith("email"):
            continue  # the email body is read by mail clients, not laid out by WeasyPrint
        used = set(re.findall(r"<([a-z][a-z0-9]*)", template.read_text(encoding="utf-8")))
        assert used <= UA_ELEMENTS, (template.name, used - UA_ELEMENTS)


def test_the_reports_lay_out_word_for_word_as_with_weasyprints_own_user_agent_sheet(month_out, tmp_path):
    """ua.css keeps only the rules of WeasyPrint's HTML5 sheet that our elements can match: every word of a
    center and a team report lands in the same place, on the same page, with the same bookmarks."""
    inputs = pickle.loads((month_out / ".intermediate" / "report_inputs.pickle").read_bytes())
    team_id = sorted(inputs.scorecard["team_id"].unique())[0]
    reports = {"center": ("center.html", center_context(inputs)),
               "team": ("team.html", team_context(inputs.by_team([team_id])[team_id], team_id))}
    laid_out, stamps = {}, {}
    for sheet, renderer in {"ours": Renderer(), "weasyprint": Renderer(document_class=weasyprint.HTML)}.items():
        for name, (template, context) in reports.items():
            target = tmp_path / f"{name}.{sheet}.pdf"
            # the second rendering keeps the first one's time, as a re-run of unchanged content does
            done = write_checked(target, renderer.lay_out(template, context, stamps.get(name, Earlier()), "Asia/Shanghai"))
            stamps[name] = Earlier(done.fingerprint, done.generated_at)
            words = subprocess.run(["pdftotext", "-bbox", str(target), "-"], capture_output=True, text=True,
                                   check=True).stdout
            outline = [item.title for item in pypdf.PdfReader(target).outline if not isinstance(item, list)]
            laid_out[name, sheet] = (re.findall(r"<(?:page|word) [^>]*>[^<]*", words), outline)
    for name in reports:
        ours, weasyprints = laid_out[name, "ours"], laid_out[name, "weasyprint"]
        assert len(ours[0]) > 300 and ours[1], name
        assert ours == weasyprints, name


def test_a_cohort_rank_is_out_of_the_whole_centers_cohort_not_the_teams(month_out):
    """'5 of 14': the 14 ranked agents on that shift across the center (SPEC §5), never the team's few."""
    inputs = pickle.loads((month_out / ".intermediate" / "report_inputs.pickle").read_bytes())
    card = inputs.scorecard
    center_cohorts = dict(card.filter(pl.col("cohort_rank").is_not_null()).group_by("shift_pattern").len().iter_rows())
    team_id = sorted(card["team_id"].unique())[0]
    rows = team_context(inputs.by_team([team_id])[team_id], team_id)["scorecards"]
    names = dict(card.select("agent_name", "shift_pattern").iter_rows())
    ranks = dict(card.select("agent_name", "cohort_rank").iter_rows())
    ranked = [row for row in rows if row["ranked"]]
    assert ranked
    for row in ranked:
        assert row["cohort_rank"] == f"{ranks[row['name']]} of {center_cohorts[names[row['name']]]}"
    assert max(center_cohorts.values()) > card.filter(pl.col("team_id") == team_id).height  # the test can tell


def test_a_team_report_marks_severe_penalties_and_lists_no_complaint_row_of_zeros(month_out):
    from metrics.health import SEVERE_PENALTIES

    inputs = pickle.loads((month_out / ".intermediate" / "report_inputs.pickle").read_bytes())
    teams = sorted(inputs.scorecard["team_id"].unique())
    marked = plain = 0
    # the first penalty of the month made a dismissal, so that both kinds are there
    first = inputs.ledger.with_row_index().filter(pl.col("kind") == "penalty")["index"][0]
    inputs = dataclasses.replace(inputs, ledger=inputs.ledger.with_row_index().with_columns(
        category=pl.when(pl.col("index") == first).then(pl.lit("dismissal")).otherwise("category")).drop("index"))
    for team_id, part in inputs.by_team(teams).items():
        context = team_context(part, team_id)
        ledger = part.ledger.filter(pl.col("kind") == "penalty").sort("agent_id", "action_date")
        for row, category in zip(context["penalties"], ledger["category"], strict=True):
            assert row["category"].endswith(" (severe)") == (category in SEVERE_PENALTIES), (row, category)
            marked, plain = marked + (category in SEVERE_PENALTIES), plain + (category not in SEVERE_PENALTIES)
        assert all(any(row[k] for k in ("received", "substantiated", "still_open")) for row in context["complaints"])
        assert all(row["buddy"] for row in context["coaching"])
    assert marked and plain  # the month has both kinds, so the test can tell
