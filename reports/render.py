"""Render the reports with WeasyPrint: templates and CSS from templates/, nothing from anywhere else.

Reports are laid out on a Dask cluster (SPEC §14): a local cluster of processes by default
(`CCPULSE_RENDER_WORKERS`), the cluster of `CCPULSE_DASK_SCHEDULER` when it is set; one code path
either way. A worker gets a report's inputs, builds its context (charts included), lays it out,
parses the PDF it made (pypdf) and returns the bytes; the run writes them whole (SPEC §9), reads
them back, and records their SHA-256, page count and content fingerprint in the manifest. Workers
never touch the out folder.
"""

from __future__ import annotations

import hashlib
import io
import logging
import mimetypes
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from pypdf import PdfReader
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from core.atomic import write_bytes_atomically
from reports.fingerprint import render_environment
from reports.i18n import Translator
from reports.stamp import GENERATED_AT, content_fingerprint, generation_time

TEMPLATES = (Path(__file__).parent / "templates").resolve()
STYLESHEET = TEMPLATES / "report.css"
USER_AGENT_STYLESHEET = TEMPLATES / "ua.css"
# The elements ua.css styles: a report template may use these and no others (a test holds the templates to it).
UA_ELEMENTS = frozenset({"html", "head", "meta", "title", "body", "header", "section", "div", "span", "p", "br",
                         "h1", "h2", "h3", "ol", "ul", "li", "table", "thead", "tbody", "tr", "th", "td",
                         "figure", "figcaption", "img"})
SCHEDULER_SETTING = "CCPULSE_DASK_SCHEDULER"
WORKERS_SETTING = "CCPULSE_RENDER_WORKERS"


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
    cpu_seconds: float = 0.0  # of laying it out, where it was laid out (0 for a report kept from an earlier run)
    refused_urls: int = 0


@dataclass(frozen=True)
class LaidOut(Rendered):
    """A PDF as a worker returns it: its bytes, parsed there, and the render environment it was made in."""

    data: bytes = b""
    environment: str = ""


@dataclass(frozen=True)
class Earlier:
    """The same report's last rendering, from the manifest: its time is kept while its content is. With its
    bytes (`pdf`, checked against the manifest), an unchanged content is not laid out again."""

    fingerprint: str = ""
    generated_at: str = ""
    pdf: bytes = b""
    pages: int = 0


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


class UnreadablePdf(RuntimeError):
    """A PDF that was written but does not read back as the document laid out: it is never recorded."""


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

    def lay_out(self, template: str, context: dict, earlier: Earlier, timezone: str) -> LaidOut:
        """The PDF of `context` (whose generation time is GENERATED_AT), parsed back; its bytes are empty when
        the PDF does not parse as the pages laid out (it is then never written)."""
        started, refused_before = time.process_time(), len(self.fetcher.refused)
        html = self.html(template, context)
        fingerprint = content_fingerprint(html, self.design)
        summary = tuple(context.get("brief", ()))
        if earlier.pdf and earlier.fingerprint == fingerprint:  # what the reader sees is unchanged: so are its bytes
            return LaidOut(earlier.pages, hashlib.sha256(earlier.pdf).hexdigest(), fingerprint, earlier.generated_at,
                           summary, time.process_time() - started, data=earlier.pdf, environment=render_environment())
        generated_at = earlier.generated_at if earlier.fingerprint == fingerprint else generation_time(timezone)
        document = self.document_class(string=html.replace(GENERATED_AT, generated_at), base_url=TEMPLATES.as_uri()
                                       + "/", url_fetcher=self.fetcher).render(stylesheets=[self.stylesheet],
                                                                               font_config=self.fonts)
        data = document.write_pdf()
        try:
            parses_as(data, len(document.pages), template)
        except UnreadablePdf as error:
            logging.getLogger(__name__).error("%s: not written", error)
            data = b""
        return LaidOut(len(document.pages), hashlib.sha256(data).hexdigest() if data else "", fingerprint,
                       generated_at, summary, time.process_time() - started,
                       len(self.fetcher.refused) - refused_before, data=data, environment=render_environment())



def parses_as(data: bytes, pages: int, name: str) -> None:
    """A PDF reader (pypdf) finds the laid-out pages in `data` (done where the PDF was laid out: 18 ms a file)."""
    try:
        found = len(PdfReader(io.BytesIO(data), strict=True).pages)
    except Exception as error:  # pypdf raises several kinds for a damaged file
        raise UnreadablePdf(f"{name} does not parse as a PDF ({error})") from None
    if found != pages:
        raise UnreadablePdf(f"{name} parses to {found} pages, WeasyPrint laid out {pages}")


def write_checked(target: Path, laid_out: LaidOut) -> Rendered:
    """Write a laid-out PDF whole and read it back. The bytes were parsed where they were laid out: the file
    holding exactly those bytes is checked. What does not read back is removed and recorded without a digest,
    so that delivery logs it broken_report and fails the run; one bad file stops no other report."""
    recorded = Rendered(**{name: getattr(laid_out, name) for name in Rendered.__dataclass_fields__})
    try:
        if not laid_out.data:
            raise UnreadablePdf(f"{target.name} did not parse as a PDF where it was laid out")
        if _holds(target, laid_out.data):  # the content, time and so bytes of the last run: the file stays as it is
            return recorded
        write_bytes_atomically(target, laid_out.data)
        if target.read_bytes() != laid_out.data:
            raise UnreadablePdf(f"{target} does not read back as written")
    except UnreadablePdf as error:
        target.unlink(missing_ok=True)
        logging.getLogger(__name__).error("%s: removed, not recorded", error)
        return replace(recorded, pages=0, sha256="")
    return recorded


def _holds(target: Path, data: bytes) -> bool:
    try:
        return not target.is_symlink() and target.is_file() and target.read_bytes() == data
    except OSError:
        return False


_renderer: Renderer | None = None


def process_renderer() -> Renderer:
    """This process's renderer, made on first use: its fonts and stylesheet are loaded once."""
    global _renderer
    if _renderer is None:
        _renderer = Renderer()
    return _renderer


@dataclass(frozen=True)
class RenderJob:
    """One PDF: the template, a module-level function that builds its context (charts included, so that they
    too are drawn on the cluster) and that function's arguments."""

    template: str
    build_context: Callable[..., dict]
    arguments: tuple
    earlier: Earlier
    timezone: str


def lay_out_job(job: RenderJob) -> LaidOut:
    """Runs on a worker (or in this process): the job's PDF, with the worker's render environment."""
    return process_renderer().lay_out(job.template, job.build_context(*job.arguments), job.earlier, job.timezone)


class RenderEnvironmentDiffers(RuntimeError):
    """A worker that lays out with other templates, fonts or code than this run's: its PDFs would not be the
    ones this run's fingerprints describe."""


def worker_count() -> int:
    """CCPULSE_RENDER_WORKERS, else the CPUs this process may run on (a container's cpuset, not the host's); 0
    renders in the run's own process (a small center, where starting workers costs more than it saves)."""
    configured = os.environ.get(WORKERS_SETTING, "").strip()
    return max(0, int(configured)) if configured else len(os.sched_getaffinity(0))


def scheduler_address() -> str:
    return os.environ.get(SCHEDULER_SETTING, "").strip()


def _cluster(workers: int, modules: tuple[str, ...]):
    from reports.cluster import RenderCluster  # Dask is imported only by a run that renders on it (0.5 s)

    return RenderCluster(workers, modules, scheduler_address())


# A run started from the command line starts its cluster first, in the background, so that the workers' start-up
# (two seconds each) overlaps reading and validation; a run started by Dagster's UI starts one for its step.
_early: Future | None = None


def start_workers(modules: tuple[str, ...] = (), workers: int | None = None) -> None:
    """Start this process's render cluster now, in the background. One command-line run per process."""
    global _early
    count = workers or worker_count()
    if _early is None and (count or scheduler_address()):
        _early = Future()

        def connect(started: Future = _early) -> None:
            try:
                started.set_result(_cluster(count, modules))
            except BaseException as error:  # told when the reports are rendered
                started.set_exception(error)

        threading.Thread(target=connect, name="render-cluster", daemon=True).start()


def stop_workers() -> None:
    global _early
    if _early is not None:
        started, _early = _early, None
        try:
            started.result().close()
        except Exception:  # a cluster that never started has nothing to stop
            pass


# Starting a local worker (imports, fonts, stylesheet) costs about as much as laying out two reports: a handful of
# reports is laid out here, in this process, unless a cluster was started ahead or a remote one is set.
JOBS_PER_WORKER_STARTED = 2


def render_many(jobs: list[RenderJob], write: Callable[[int, LaidOut], Rendered],
                workers: int | None = None) -> list[Rendered]:
    """Lay out the jobs on the render cluster and `write` each as it arrives (index, laid out → recorded); what
    was recorded, in job order. A worker whose render environment is not this run's stops the step."""
    if not jobs:
        return []
    here = render_environment()
    recorded: list[Rendered | None] = [None] * len(jobs)

    def take(results: Iterator[tuple[int, LaidOut]]) -> None:
        for position, laid_out in results:
            if laid_out.environment != here:
                raise RenderEnvironmentDiffers(
                    f"a render worker lays out reports with other templates, fonts or code than this run "
                    f"(its environment {laid_out.environment[:12]}, this run's {here[:12]}): install the same "
                    "ccpulse release and fonts on the workers as where the run runs (deploy/README.md)")
            recorded[position] = write(position, laid_out)

    if _early is not None:
        take(_early.result().lay_out(jobs))
        return recorded  # type: ignore[return-value]
    count = min(workers or worker_count(), len(jobs) // JOBS_PER_WORKER_STARTED)
    if count <= 1 and not scheduler_address():
        take((position, lay_out_job(job)) for position, job in enumerate(jobs))
        return recorded  # type: ignore[return-value]
    cluster = _cluster(max(count, 1), tuple(sorted({job.build_context.__module__ for job in jobs})))
    try:
        take(cluster.lay_out(jobs))
    finally:
        cluster.close()
    return recorded  # type: ignore[return-value]
