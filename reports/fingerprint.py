"""What a report is made from, as one digest: a report whose inputs and render environment are those recorded
in the manifest, and whose file is still the one recorded, is kept, not laid out again (SPEC §14).

- `inputs_fingerprint`: the report's data slice (every frame, row by row, with its columns and types), the
  policy, the language (a policy field), the month, and the render environment;
- `render_environment`: what turns those inputs into pages — the templates and translations, the fonts the
  stylesheet names, the code of the reports package and ccpulse's version, and the versions of the libraries
  that draw and lay out (WeasyPrint, pydyf, matplotlib, polars). A worker computes its own and the run compares:
  the same month gives the same fingerprints on one machine or many.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import re
import subprocess
from importlib import metadata
from pathlib import Path

import polars as pl
from pydantic import BaseModel

from core.digests import files_digest

REPORTS = Path(__file__).parent.resolve()
# The libraries whose release can change a page (layout, PDF writing, charts, number formatting).
LIBRARIES = ("ccpulse", "weasyprint", "pydyf", "tinycss2", "fonttools", "matplotlib", "polars", "jinja2")


def _feed(digest, value) -> None:
    """Feed `value` to `digest`, unambiguously (each part typed and delimited)."""
    if isinstance(value, pl.DataFrame):
        digest.update(f"frame:{value.height}:{value.schema}\0".encode())
        if value.height:
            # stable for one polars release, which render_environment covers
            digest.update(value.hash_rows(seed=0).to_numpy().tobytes())
    elif isinstance(value, BaseModel):
        digest.update(f"model:{type(value).__name__}:{value.model_dump_json()}\0".encode())
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        digest.update(f"dataclass:{type(value).__name__}\0".encode())
        for field in dataclasses.fields(value):
            digest.update(f"{field.name}=".encode())
            _feed(digest, getattr(value, field.name))
    elif isinstance(value, dict):
        digest.update(f"dict:{len(value)}\0".encode())
        for key in sorted(value, key=repr):
            _feed(digest, key)
            _feed(digest, value[key])
    elif isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value
        digest.update(f"{type(value).__name__}:{len(items)}\0".encode())
        for item in items:
            _feed(digest, item)
    elif value is None or isinstance(value, (str, int, float, bool, dt.date, dt.datetime, dt.time)):
        digest.update(f"{type(value).__name__}:{value!r}\0".encode())
    else:  # a new kind of input must be taught here, never skipped
        raise TypeError(f"cannot fingerprint a {type(value).__name__}")


def inputs_fingerprint(*parts) -> str:
    """The digest of a report's inputs (template name, context builder, its arguments) and the render
    environment."""
    digest = hashlib.sha256(render_environment().encode())
    for part in parts:
        _feed(digest, part)
    return digest.hexdigest()


def stylesheet_families(css: str) -> list[str]:
    """The font families a stylesheet names, in order, without generic families' quotes."""
    found: list[str] = []
    for declaration in re.findall(r"font-family\s*:\s*([^;}]+)", css):
        for family in declaration.split(","):
            family = family.strip().strip("'\"")
            if family and family not in found:
                found.append(family)
    return found


def fonts_digest(families: list[str]) -> str:
    """The font files fontconfig gives for each family, by path, size and modification time (a font package's
    update changes them)."""
    digest = hashlib.sha256()
    for family in families:
        try:
            path = subprocess.run(["fc-match", "-f", "%{file}", family], capture_output=True, text=True,
                                  timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            path = ""
        stat = Path(path).stat() if path and Path(path).is_file() else None
        digest.update(f"{family}\0{path}\0{stat.st_size if stat else ''}\0{stat.st_mtime_ns if stat else ''}\0"
                      .encode())
    return digest.hexdigest()


def _version(library: str) -> str:
    try:
        return metadata.version(library)
    except metadata.PackageNotFoundError:
        return "absent"


def environment_parts() -> dict[str, str]:
    templates = REPORTS / "templates"
    css = "".join(path.read_text(encoding="utf-8") for path in sorted(templates.glob("*.css")))
    return {
        "templates": files_digest(templates, ("**/*",)),
        "messages": files_digest(REPORTS / "messages", ("*.yaml",)),
        "code": files_digest(REPORTS, ("*.py",)),
        "fonts": fonts_digest(stylesheet_families(css)),
        **{library: _version(library) for library in LIBRARIES},
    }


@functools.cache
def render_environment() -> str:
    """One digest of environment_parts, computed once per process."""
    return hashlib.sha256(repr(sorted(environment_parts().items())).encode()).hexdigest()
