"""`delivery_log.csv`: what was sent to whom, the memory that makes delivery exactly-once.

One file per month beside the reports (SPEC §9), one row per report in a message. A report
counts as delivered to a recipient when a `sent` row holds its SHA-256; an `unknown` row (the
connection dropped after the message went out) holds it back from automatic sending, since a
duplicate is worse than a question (SPEC §11). The file is rewritten whole, through a temporary
file, after each message, so a crash leaves the rows up to the last message and never half a
row; a lock file keeps two deliveries of the same month from sending at once.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from core.atomic import write_bytes_atomically
from core.output import read_back, spreadsheet_safe

LOG_FILE = "delivery_log.csv"
LOG_COLUMNS = ["logged_at", "month", "recipient", "report", "sha256", "status", "kind", "transport",
               "message_id", "attempts", "detail"]

SENT = "sent"
FAILED = "failed"
UNKNOWN = "unknown"  # the message may or may not have arrived: never retried by itself
BROKEN = "broken_report"  # the PDF is missing, unreadable or not the one rendered: refused, not sent
INVALID_ADDRESS = "invalid_address"
NO_ADDRESS = "no_address"


class DeliveryBusy(RuntimeError):
    pass


def now_text() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


class DeliveryLog:
    def __init__(self, month_dir: Path):
        self.path = Path(month_dir) / LOG_FILE
        self._lock = FileLock(str(Path(month_dir) / ".delivery_log.lock"))
        self._held: list[dict] | None = None  # the rows, kept while the lock is held: no one else writes then
        self._held_csv = ""  # and their CSV text once written, so that each append serializes only its own rows

    @contextmanager
    def locked(self, wait_seconds: float = 60) -> Iterator["DeliveryLog"]:
        try:
            with self._lock.acquire(timeout=wait_seconds):
                self._held = self._read()
                try:
                    yield self
                finally:
                    self._held, self._held_csv = None, ""
        except Timeout as exc:
            raise DeliveryBusy(f"another delivery of {self.path.parent.name} holds {self._lock.lock_file}; "
                               f"waited {wait_seconds:g}s") from exc

    def rows(self) -> list[dict]:
        """Every row, as the values were given (the CSV's spreadsheet escaping undone)."""
        return list(self._held) if self._held is not None else self._read()

    def _read(self) -> list[dict]:
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8-sig", newline="") as handle:
            return [{key: read_back(value or "") for key, value in row.items()} for row in csv.DictReader(handle)]

    def delivered(self, status: str = SENT) -> dict[tuple[str, str], list[dict]]:
        """(recipient, report) → its rows of `status` (`sent` by default), oldest first."""
        found: dict[tuple[str, str], list[dict]] = {}
        for row in self.rows():
            if row["status"] == status:
                found.setdefault((row["recipient"], row["report"]), []).append(row)
        return found

    def append(self, rows: list[dict]) -> None:
        if not rows:
            return
        added = [{key: str(row[key]) for key in LOG_COLUMNS} for row in rows]
        if self._held is not None and self._held_csv:
            text = self._held_csv + _csv_rows(added, header=False)
        else:
            text = _csv_rows(self.rows() + added, header=True)
        # The BOM lets Excel open Chinese names correctly.
        write_bytes_atomically(self.path, b"\xef\xbb\xbf" + text.encode("utf-8"))
        if self._held is not None:
            self._held, self._held_csv = self._held + added, text


def _csv_rows(rows: list[dict], header: bool) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, LOG_COLUMNS, extrasaction="raise", lineterminator="\r\n")
    if header:
        writer.writeheader()
    writer.writerows({key: spreadsheet_safe(value) for key, value in row.items()} for row in rows)
    return buffer.getvalue()
