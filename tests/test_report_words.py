"""Issue 27 item 4: reports laid out for less work (fixed table layout, floats for flex boxes, leaner charts, a
cut of the CJK font) still print every word their template writes, in English and in Chinese."""

import pickle
import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pypdf
import pytest
from fontTools.ttLib import TTFont

from reports.context import center_context, team_context
from reports.render import TEMPLATES, Earlier, Renderer, write_checked
from reports.stamp import GENERATED_AT

LANGUAGES = ("en", "zh-CN")
MESSAGES = Path(TEMPLATES).parent / "messages"
FONT_CUT = Path(TEMPLATES) / "fonts"


class BodyText(HTMLParser):
    """The text of an HTML document's body, as a reader sees it: no head, no attribute (an image's alt is not
    printed: the chart's caption is)."""

    def __init__(self):
        super().__init__()
        self.in_body, self.parts = False, []

    def handle_starttag(self, tag, attrs):
        self.in_body |= tag == "body"
        if tag in ("br", "td", "th", "li", "p", "div", "span"):
            self.parts.append(" ")

    def handle_endtag(self, tag):
        self.parts.append(" ")

    def handle_data(self, data):
        if self.in_body:
            self.parts.append(data)


def tokens(text: str) -> Counter:
    """Latin words (split where a capital follows a small letter) and numbers whole, every other character (a
    Chinese character, a sign, a bracket) on its own: a line may wrap between any two Chinese characters, and
    text extracted from a PDF may lose the space between two table cells ("Still openAll"), so only these are
    comparable."""
    return Counter(re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+|[^\sA-Za-z0-9]", text))


def html_tokens(html: str) -> Counter:
    parser = BodyText()
    parser.feed(html)
    return tokens("".join(parser.parts))


def pdf_tokens(path: Path) -> Counter:
    """The tokens of the text pypdf extracts, from runs of text that start on their page: a cell pushed off the
    page is not read (test_reports checks that no word ends past the edge)."""
    shown = []
    for page in pypdf.PdfReader(path).pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)

        def visit(text, cm, tm, font, size):
            x, y = (cm[0] * tm[4] + cm[2] * tm[5] + cm[4], cm[1] * tm[4] + cm[3] * tm[5] + cm[5])
            if 0 <= x < width and 0 <= y < height:
                shown.append(text)
        page.extract_text(visitor_text=visit)
    return tokens(" ".join(shown))


@pytest.fixture(scope="module")
def inputs_by_language(month_in_each_language):
    """The report inputs of one month run in each language (tests/conftest.py)."""
    return {language: pickle.loads((folder / ".intermediate" / "report_inputs.pickle").read_bytes())
            for language, folder in month_in_each_language.items()}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_word_of_the_html_is_in_the_pdf(inputs_by_language, language, tmp_path):
    inputs = inputs_by_language[language]
    team_ids = sorted(inputs.scorecard["team_id"].unique())
    per_team = inputs.by_team(team_ids)
    reports = {"center": ("center.html", center_context(inputs))}
    reports |= {team_id: ("team.html", team_context(per_team[team_id], team_id)) for team_id in team_ids}
    renderer = Renderer()
    for name, (template, context) in reports.items():
        target = tmp_path / f"{name}.pdf"
        rendered = write_checked(target, renderer.lay_out(template, context, Earlier(), "Asia/Shanghai"))
        written = html_tokens(renderer.html(template, context).replace(GENERATED_AT, rendered.generated_at))
        printed = pdf_tokens(target)
        # a table header repeated on a new page, the chart's labels and the page numbers only add to the PDF
        missing = written - printed
        assert not missing, (language, name, sorted(missing.items())[:40])
        assert sum(written.values()) > 600, (language, name)  # a whole report, not an empty page


def test_the_tokens_split_as_a_reader_would_compare_them():
    assert html_tokens('<html><head><title>x</title></head><body><p>Peter 吴婷健</p><img alt="Chart">'
                       '<td>91.4% (n=35)</td></body></html>') == Counter(
        {"Peter": 1, "吴": 1, "婷": 1, "健": 1, "91": 1, ".": 1, "4": 1, "%": 1, "(": 1, "n": 1, "=": 1, "35": 1,
         ")": 1})
    assert tokens("91.4%96.7%") - tokens("91.4% 96.7 %") == Counter()  # a lost space between cells is no loss
    assert tokens("Still openAll CSAT") == Counter({"Still": 1, "open": 1, "All": 1, "CSAT": 1})
    assert tokens("合计 12") - tokens("合\n计 1") == Counter({"12": 1})  # a lost digit is


def test_the_cut_of_the_cjk_font_holds_every_character_of_the_reports_own_words():
    """scripts/font_subset.py (make setup) cuts Noto Sans CJK SC down: every character of either message catalog
    must be in it (a name's rare character may come from the whole font; the reports' own words never do)."""
    for weight in ("regular", "bold"):
        path = FONT_CUT / f"ccpulse-sans-{weight}.otf"
        assert path.exists(), f"{path} is missing: run make setup"
        font = TTFont(path)
        covered = set(font.getBestCmap())
        assert font["name"].getDebugName(1) == "ccpulse Noto Sans CJK SC"
        for catalog in MESSAGES.glob("*.yaml"):
            text = catalog.read_text(encoding="utf-8")
            lacking = sorted({c for c in text if c.isprintable() and ord(c) not in covered})
            assert lacking == [], (weight, catalog.name, lacking)
        assert {ord(c) for c in "吴婷健耿佳墨邢涵娟▲▼★✓†Δ≥·—（）："} <= covered  # names in common use, the signs
