"""Great Expectations Data Docs show a supplier's values as text, never as markup (SPEC §10).

Each page is parsed as a browser parses it (an HTML5 parser, WeasyPrint's tinyhtml5): no script
element, event-handler attribute or `javascript:` URL may carry a data value, and the hostile
values are still there to read, as text."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
import tinyhtml5

from synthetic.generator import GenerateOptions, generate
from tests.test_expectations import MONTH, suites

pytestmark = pytest.mark.xdist_group("expectations")

MARK = "ccpulse-xss"
PAYLOADS = [f'<script>alert("{MARK}-1")</script>', f'<img src=x onerror=alert("{MARK}-2")>',
            f'<a href="javascript:alert(\'{MARK}-3\')">{MARK}-3</a>', f'"><svg onload=alert("{MARK}-4")>']


def _hostile(source: str, frame: pl.DataFrame) -> pl.DataFrame:
    """Hostile values where the docs name rows: a team without an address (its id), an unattributed
    complaint (its id) and two responses for one contact (their channel and ids)."""
    if source == "teams":
        extra = _copies(frame).with_columns(pl.Series("team_id", PAYLOADS), pl.lit(None, pl.String)
                                                       .alias("supervisor_email"))
        return pl.concat([frame, extra])
    if source == "complaints":
        extra = frame.head(1).with_columns(pl.lit(PAYLOADS[2]).alias("complaint_id"),
                                           pl.lit(None, pl.String).alias("agent_id"),
                                           pl.lit(dt.datetime(2026, 10, 9, 10)).alias("received_at"))
        return pl.concat([frame, extra])
    if source == "csat_responses":  # each hostile channel twice, for one agent at one time
        first = frame.row(0, named=True)
        extra = pl.concat([_copies(frame)] * 2).with_columns(
            pl.Series("response_id", [f"{payload}#{n}" for n in range(2) for payload in PAYLOADS]),
            pl.lit(first["agent_id"]).alias("agent_id"), pl.lit(first["responded_at"]).alias("responded_at"),
            pl.Series("channel", PAYLOADS * 2))
        return pl.concat([frame, extra])
    return frame


def _copies(frame: pl.DataFrame) -> pl.DataFrame:
    return pl.concat([frame.head(1)] * len(PAYLOADS))


def _carriers(page: Path) -> list[str]:
    """What on the page a browser would run: script text, event attributes, javascript: URLs."""
    root = tinyhtml5.parse(page.read_bytes())
    found = []
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""
        if tag == "script":
            found.append("".join(element.itertext()) + (element.get("src") or ""))
        for name, value in element.attrib.items():
            if name.lower().startswith("on") or value.strip().lower().startswith("javascript:"):
                found.append(f"{tag} {name}={value}")
    return found


@pytest.fixture(scope="module")
def docs(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("docs_data")
    generate(GenerateOptions(agents=30, month=MONTH, out=data, months_back=1, seed=11, team_size=15))
    folder = tmp_path_factory.mktemp("docs") / "docs"
    results = suites(data, change=_hostile, docs=folder)
    # The hostile rows reached the suites: the duplicate responses failed their expectation.
    assert not results.filter(pl.col("expectation") == "one_response_per_contact")["passed"][0]
    return folder


def test_no_data_value_runs_as_script_on_any_data_docs_page(docs):
    pages = sorted(docs.rglob("*.html"))
    assert len(pages) > 3
    carried = {str(page.relative_to(docs)): hits for page in pages
               if (hits := [hit for hit in _carriers(page) if MARK in hit])}
    assert carried == {}


def test_the_hostile_values_are_shown_as_text(docs):
    text = "".join("".join(tinyhtml5.parse(page.read_bytes()).itertext()) for page in docs.rglob("*.html"))
    for payload in PAYLOADS:
        assert payload in text
