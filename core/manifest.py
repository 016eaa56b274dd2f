"""`manifest.json`: the month's rendered reports, as the render step recorded them.

Delivery reads this, never a path guessed from an id (SPEC §2, §11): which file is whose report,
the address it goes to as the data gave it, the SHA-256 and page count of the bytes that were
written, and the fingerprint of what the reader sees, which keeps a report's generation time
(and so its bytes) unchanged while its content is unchanged.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from filelock import FileLock

from core.atomic import write_text_atomically

MANIFEST_FILE = "manifest.json"
CENTER, TEAM = "center", "team"
# A machine-readable table that travels with a report: team_comparison.csv, attached to the director's message
# (SPEC §14). Recorded like a report (its SHA-256, checked before it is sent), with no team and no pages.
TABLE = "table"
# The group report (SPEC §15), recorded in the group's own month folder (`<group out>/<YYYY-MM>/manifest.json`).
GROUP = "group"


@dataclass(frozen=True)
class ReportEntry:
    report: str  # the file, relative to the month folder: center_report.pdf, teams/<safe name>.pdf
    kind: str  # CENTER, TEAM or TABLE
    team_id: str | None
    title: str
    address: str | None  # a team report's supervisor_email as the data gave it; None for the center report
    sha256: str
    pages: int
    fingerprint: str  # of the content, without the generation time
    generated_at: str
    summary: list[str] = field(default_factory=list)  # the sentences the report's email opens with
    supervisor_id: str | None = None  # a team report's supervisor, so that delivery can tell two supervisors apart
    supervisor_name: str | None = None  # a team report's supervisor, whom its email greets by name
    status: str = ""  # the report's own status (red, amber, green): its email's subject and label say it
    teams_by_status: dict[str, int] = field(default_factory=dict)  # the center report's teams per status
    inputs: str = ""  # fingerprint of what the report is made from (reports.fingerprint): unchanged, it is kept


def manifest_path(month_dir: Path) -> Path:
    return Path(month_dir) / MANIFEST_FILE


def read_manifest(month_dir: Path) -> dict[str, ReportEntry]:
    """Report file → its entry; empty when nothing was rendered yet."""
    path = manifest_path(month_dir)
    if not path.exists():
        return {}
    entries = json.loads(path.read_text(encoding="utf-8"))["reports"]
    return {entry["report"]: ReportEntry(**entry) for entry in entries}


def record_reports(month_dir: Path, month: str, kind: str, entries: list[ReportEntry]) -> None:
    """Replace every entry of `kind` with `entries` (the center and team steps each own theirs)."""
    with FileLock(str(Path(month_dir) / ".manifest.lock")):
        kept = [entry for entry in read_manifest(month_dir).values() if entry.kind != kind]
        every = sorted(kept + entries, key=lambda entry: (entry.kind != CENTER, entry.report))
        document = {"month": month, "reports": [asdict(entry) for entry in every]}
        write_text_atomically(manifest_path(month_dir), json.dumps(document, ensure_ascii=False, indent=1) + "\n")
