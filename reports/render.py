"""Render the reports with WeasyPrint: templates and CSS from templates/, nothing from anywhere else.

One FontConfiguration and one parsed stylesheet serve every report a process renders;
team reports are rendered by a pool of processes, each with its own renderer. Each PDF is
written whole through a temporary file (SPEC §9), read back and parsed (pypdf), and comes back with its
SHA-256, page count and content fingerprint, which the manifest records.
"""

from __future__ import annotations

import hashlib
import importlib
import io
import logging
import mimetypes
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from pypdf import PdfReader
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from core.atomic import write_bytes_atomically
from core.heap import collect_less_often, settle_after_imports
from reports.i18n import Translator
from reports.stamp import GENERATED_AT, content_fingerprint, generation_time

TEMPLATES = (Path(__file__).parent / "templates").resolve()
STYLESHEET = TEMPLATES / "report.css"
USER_AGENT_STYLESHEET = TEMPLATES / "ua.css"
# The elements ua.css styles: a report template may use these and no others (a test holds the templates to it).
UA_ELEMENTS = frozenset({"html", "head", "meta", "title", "body", "header", "section", "div", "span", "p", "br",
                         "h1", "h2", "h3", "ol", "ul", "li", "table", "thead", "tbody", "tr", "th", "td",
                         "figure", "figcaption", "img"})


class TemplatesOnlyFetcher(URLFetcher):
    """Serves files under reports/templates/ and `data:` URLs; refuses every other URL, and keeps a list."""

    def __init__(self):
        super().__init__(allowed_protocols={"file", "data"})
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        if url.startswith("data:"):
            return super().fetch(url, headers)
        if url.startswith("file:"):
            path = Path(url2pathname(urlsplit(url).path)).resolve()
            if path.is_relative_to(TEMPLATES) and path.is_file():
                kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": kind})
        self.refused.append(url)
        raise ValueError(f"ccpulse reports fetch nothing outside their templates: refused {url}")


@dataclass(frozen=True)
class Rendered:
    """What the manifest records of a PDF that was written."""

    pages: int
    sha256: str
    fingerprint: str
    generated_at: str
    summary: tuple[str, ...] = ()  # the report's In brief: its email opens with it


@dataclass(frozen=True)
class Earlier:
    """The same report's last rendering, from the manifest: its time is kept while its content is."""

    fingerprint: str = ""
    generated_at: str = ""


class ReportHTML(HTML):
    """A report's HTML, styled by ua.css instead of WeasyPrint's whole HTML5 user-agent sheet.

    `_ua_stylesheets` is how WeasyPrint's HTML class names its user-agent sheets (the form-field variant overrides
    it the same way); the counter styles (list numbering) still come from WeasyPrint's own sheet.
    """

    user_agent_sheet: CSS | None = None

    def _ua_stylesheets(self, forms=False):
        if ReportHTML.user_agent_sheet is None:
            ReportHTML.user_agent_sheet = CSS(filename=str(USER_AGENT_STYLESHEET), url_fetcher=TemplatesOnlyFetcher())
        return [ReportHTML.user_agent_sheet]


class Renderer:
    def __init__(self, document_class: type[HTML] = ReportHTML):
        self.fetcher = TemplatesOnlyFetcher()
        self.fonts = FontConfiguration()
        self.document_class = document_class
        self.design = STYLESHEET.read_bytes()
        self.stylesheet = CSS(string=self.design.decode("utf-8"), base_url=TEMPLATES.as_uri() + "/",
                              font_config=self.fonts, url_fetcher=self.fetcher)
        self.templates = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined)

    def html(self, template: str, context: dict) -> str:
        return self.templates.get_template(template).render(t=Translator(context["lang"]), **context)

    def render(self, template: str, context: dict, target: Path, earlier: Earlier, timezone: str) -> Rendered:
        """Write the PDF of `context` (whose generation time is GENERATED_AT) to `target`."""
        html = self.html(template, context)
        fingerprint = content_fingerprint(html, self.design)
        generated_at = earlier.generated_at if earlier.fingerprint == fingerprint else generation_time(timezone)
        document = self.document_class(string=html.replace(GENERATED_AT, generated_at), base_url=TEMPLATES.as_uri()
                                       + "/", url_fetcher=self.fetcher).render(stylesheets=[self.stylesheet],
                                                                               font_config=self.fonts)
        data = document.write_pdf()
        write_bytes_atomically(target, data)
        try:
            read_back(target, data, len(document.pages))
        except UnreadablePdf as error:
            # Nothing unparsed is left to be sent, and one bad file stops no other report: the manifest records
            # no digest for it, and delivery logs it broken_report and fails the run.
            target.unlink(missing_ok=True)
            logging.getLogger(__name__).error("%s: removed, not recorded", error)
            return Rendered(0, "", fingerprint, generated_at, tuple(context.get("brief", ())))
        return Rendered(len(document.pages), hashlib.sha256(data).hexdigest(), fingerprint, generated_at,
                        tuple(context.get("brief", ())))


class UnreadablePdf(RuntimeError):
    """A PDF that was written but does not read back as the document laid out: it is never recorded."""


def read_back(target: Path, written: bytes, pages: int) -> None:
    """The file on disk holds the bytes just written, and a PDF reader (pypdf) finds the laid-out pages in them.

    Checked here, in the render workers, once per file: the manifest then records only checked files, and
    delivery, which compares each file's SHA-256 with the manifest's, knows it sends checked bytes.
    """
    data = target.read_bytes()
    if data != written:
        raise UnreadablePdf(f"{target} does not read back as written")
    try:
        found = len(PdfReader(io.BytesIO(data), strict=True).pages)
    except Exception as error:  # pypdf raises several kinds for a damaged file
        raise UnreadablePdf(f"{target.name} does not parse as a PDF ({error})") from None
    if found != pages:
        raise UnreadablePdf(f"{target.name} parses to {found} pages, WeasyPrint laid out {pages}")


_renderer: Renderer | None = None


def process_renderer() -> Renderer:
    """This process's renderer, made on first use: its fonts and stylesheet are loaded once."""
    global _renderer
    if _renderer is None:
        _renderer = Renderer()
    return _renderer


PARENT_POLL_SECONDS = 0.5


def _die_with(parent: int) -> None:
    """End this worker when the process that started it is gone (kill -9 of a run leaves no one to shut the
    pool down; the worker would wait on its queue forever, holding its memory)."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_SECONDS)
        os._exit(1)
    threading.Thread(target=watch, name="die-with-parent", daemon=True).start()


def _start_worker(modules: tuple[str, ...], parent: int) -> None:
    _die_with(parent)  # first: the parent may die while this worker is still importing
    os.nice(5)  # workers yield the cores to the run's own steps (reading, checks), which run while they start
    collect_less_often()
    for module in modules:  # what the jobs' context builders need (polars, matplotlib): loaded before the first job
        importlib.import_module(module)
    process_renderer()
    settle_after_imports()


@dataclass(frozen=True)
class RenderJob:
    """One PDF: the template, a module-level function that builds its context (charts included, so
    that they too are drawn in parallel) and that function's arguments, and where it goes."""

    template: str
    build_context: Callable[..., dict]
    arguments: tuple
    target: Path
    earlier: Earlier
    timezone: str


def _render_job(renderer: Renderer, job: RenderJob) -> Rendered:
    return renderer.render(job.template, job.build_context(*job.arguments), job.target, job.earlier, job.timezone)


def _render_in_worker(job: RenderJob) -> Rendered:
    return _render_job(process_renderer(), job)


def _started() -> None:
    """A job that only makes sure its worker has started."""


# Starting a worker process (imports, fonts, stylesheet) costs about as much as rendering two reports:
# a handful of teams is rendered here, in this process, unless workers were started ahead (start_workers).
JOBS_PER_WORKER_STARTED = 2
_early: ProcessPoolExecutor | None = None


def _pool(workers: int, modules: tuple[str, ...]) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_start_worker,
                               initargs=(modules, os.getpid()))


def worker_count() -> int:
    """CCPULSE_RENDER_WORKERS, else the CPUs this process may run on (a container's cpuset, not the host's); 0
    renders in the run's own process (a small center, where starting workers costs more than it saves)."""
    configured = os.environ.get("CCPULSE_RENDER_WORKERS", "").strip()
    return max(0, int(configured)) if configured else len(os.sched_getaffinity(0))


def start_workers(modules: tuple[str, ...] = (), workers: int | None = None) -> None:
    """Start this process's render workers now, in the background: a command-line run calls this first, so
    that their start-up (two seconds each) overlaps the run's reading and metrics, which use one core.
    One command-line run per process: the workers are this process's, shared by nothing else."""
    global _early
    count = workers or worker_count()
    if _early is None and count:
        _early = _pool(count, modules)
        for _ in range(count):
            _early.submit(_started)


def stop_workers() -> None:
    global _early
    if _early is not None:
        _early.shutdown(cancel_futures=True)
        _early = None


def render_many(jobs: list[RenderJob], workers: int | None = None) -> list[Rendered]:
    """Render the jobs in parallel processes (in this one when they are few and no workers were started
    ahead); what was written, in job order."""
    # One job at a time (pool.map's chunk of 1): a report takes about a second, so a worker that finishes early
    # takes the next one instead of idling while the other works through a long chunk.
    if _early is not None and jobs:
        return list(_early.map(_render_in_worker, jobs))
    workers = min(workers or worker_count(), len(jobs) // JOBS_PER_WORKER_STARTED)
    if workers <= 1:
        return [_render_job(process_renderer(), job) for job in jobs]
    with _pool(workers, tuple(sorted({job.build_context.__module__ for job in jobs}))) as pool:
        return list(pool.map(_render_in_worker, jobs))
