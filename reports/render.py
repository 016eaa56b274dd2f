"""Render the reports with WeasyPrint: templates and CSS from templates/, nothing from anywhere else.

One FontConfiguration and one parsed stylesheet serve every report a process renders;
team reports are rendered by a pool of processes, each with its own renderer.
"""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from reports.i18n import Translator

TEMPLATES = (Path(__file__).parent / "templates").resolve()
STYLESHEET = TEMPLATES / "report.css"


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


class Renderer:
    def __init__(self):
        self.fetcher = TemplatesOnlyFetcher()
        self.fonts = FontConfiguration()
        self.stylesheet = CSS(filename=str(STYLESHEET), font_config=self.fonts, url_fetcher=self.fetcher)
        self.templates = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined)

    def html(self, template: str, context: dict) -> str:
        return self.templates.get_template(template).render(t=Translator(context["lang"]), **context)

    def render(self, template: str, context: dict, target: Path) -> int:
        """Write the PDF; returns its page count."""
        document = HTML(string=self.html(template, context), base_url=TEMPLATES.as_uri() + "/",
                        url_fetcher=self.fetcher).render(stylesheets=[self.stylesheet], font_config=self.fonts)
        target.parent.mkdir(parents=True, exist_ok=True)
        document.write_pdf(target)
        return len(document.pages)


_worker: Renderer | None = None


def _start_worker() -> None:
    global _worker
    _worker = Renderer()


# A job: the template, a module-level function that builds its context (charts included, so
# that they too are drawn in parallel), that function's arguments, and the PDF to write.
Job = tuple[str, Callable[..., dict], tuple, Path]


def _render_job(renderer: Renderer, job: Job) -> int:
    template, build_context, arguments, target = job
    return renderer.render(template, build_context(*arguments), target)


def _render_in_worker(job: Job) -> int:
    return _render_job(_worker, job)


def render_many(jobs: list[Job], workers: int | None = None) -> list[int]:
    """Render the jobs in parallel processes; their page counts, in job order."""
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    if workers == 1:
        renderer = Renderer()
        return [_render_job(renderer, job) for job in jobs]
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_start_worker) as pool:
        return list(pool.map(_render_in_worker, jobs, chunksize=max(1, len(jobs) // (workers * 4))))
