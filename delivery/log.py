"""`delivery_log.csv`: what was sent to whom, the memory that makes delivery exactly-once.

One file per month beside the reports (SPEC §9), one row per report in a message. A report
counts as delivered to a recipient when a `sent` row holds its SHA-256; an `unknown` row (the
connection dropped after the message went out) holds it back from automatic sending, since a
duplicate is worse than a question (SPEC §11). Before a message is handed over, its `sending`
rows (the intent) are written; its outcome then replaces them. A `sending` row that a later
delivery finds (the process was killed, or the disk filled before the outcome was written)
becomes `unknown`: the message may have arrived. The file is rewritten whole, through a
temporary file, at each step, so a crash leaves the rows up to the last step and never half a
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

SENDING = "sending"  # the intent, written before the message goes out: never left in the file by a finished send
SENT = "sent"
FAILED = "failed"
UNKNOWN = "unknown"  # the message may or may not have arrived: never retried by itself
BROKEN = "broken_report"  # the PDF is missing, unreadable or not the one rendered: refused, not sent
INVALID_ADDRESS = "invalid_address"
NO_ADDRESS = "no_address"
SHARED_ADDRESS = "shared_address"  # withheld: the address is another supervisor's too (SPEC §11, one reader)

DANGLING_INTENT = ("a delivery stopped while sending this message, before its outcome was logged (killed, or the "
                   "disk filled): it may have arrived; not resent (check with the recipient, then "
                   "`ccpulse send --force --to`); found by the delivery of {now}")


class DeliveryBusy(RuntimeError):
    pass


class LogNotWritten(RuntimeError):
    """The delivery log could not be written (a full disk, a read-only folder): delivery stops, naming the file."""


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
        """Log `rows`; a `sending` intent written just before (`record_intent`) is replaced by them."""
        if not rows:
            return
        added = [{key: str(row[key]) for key in LOG_COLUMNS} for row in rows]
        text = self._text_with(added)
        self._write(text)
        if self._held is not None:
            self._held, self._held_csv = self._held + added, text

    def record_intent(self, rows: list[dict]) -> None:
        """Write the `sending` rows of a message about to go out (SPEC §11: at most once, also across crashes).
        They stay in the file until the next `append` replaces them with the outcome; kept out of `rows()`."""
        if self._held is None:
            raise RuntimeError("an intent is recorded only while the log is locked")
        self._write(self._text_with([{key: str(row[key]) for key in LOG_COLUMNS} for row in rows]))

    def settle_dangling_intents(self) -> list[dict]:
        """`sending` rows an earlier delivery left without an outcome, made `unknown` where they stand (the time they
        were logged is when the message went out); returns them as now logged."""
        rows = self.rows()
        if not any(row["status"] == SENDING for row in rows):
            return []
        note = DANGLING_INTENT.format(now=now_text())
        settled = [{**row, "status": UNKNOWN, "detail": note} if row["status"] == SENDING else row for row in rows]
        text = _csv_rows(settled, header=True)
        self._write(text)
        if self._held is not None:
            self._held, self._held_csv = settled, text
        return [row for row, was in zip(settled, rows) if was["status"] == SENDING]

    def _text_with(self, added: list[dict]) -> str:
        if self._held is not None and self._held_csv:
            return self._held_csv + _csv_rows(added, header=False)
        return _csv_rows(self.rows() + added, header=True)

    def _write(self, text: str) -> None:
        try:  # the BOM lets Excel open Chinese names correctly
            write_bytes_atomically(self.path, b"\xef\xbb\xbf" + text.encode("utf-8"))
        except OSError as error:  # "[Errno 28] No space left on device" alone names no file
            raise LogNotWritten(f"{self.path}: the delivery log could not be written "
                                f"({error.strerror or error}); delivery stopped") from error


def _csv_rows(rows: list[dict], header: bool) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, LOG_COLUMNS, extrasaction="raise", lineterminator="\r\n")
    if header:
        writer.writeheader()
    writer.writerows({key: spreadsheet_safe(value) for key, value in row.items()} for row in rows)
    return buffer.getvalue()
