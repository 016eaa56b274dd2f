"""`delivery_log.csv`: what was sent to whom, the memory that makes delivery exactly-once.

One file per month beside the reports (SPEC §9), append-only, one row per report in a
message. A report counts as delivered to a recipient when a `sent` row holds its
SHA-256. Rows are flushed and fsynced as each message goes out, and a lock file keeps
two runs of the same month from sending at once.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

LOG_FILE = "delivery_log.csv"
LOG_COLUMNS = ["logged_at", "month", "recipient", "report", "sha256", "status", "kind", "transport",
               "message_id", "attempts", "detail"]

SENT = "sent"
FAILED = "failed"
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

    @contextmanager
    def locked(self, wait_seconds: float = 60) -> Iterator["DeliveryLog"]:
        try:
            with self._lock.acquire(timeout=wait_seconds):
                yield self
        except Timeout as exc:
            raise DeliveryBusy(f"another delivery of {self.path.parent.name} holds {self._lock.lock_file}; "
                               f"waited {wait_seconds:g}s") from exc

    def rows(self) -> list[dict]:
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8-sig", newline="") as handle:
            return list(csv.DictReader(handle))

    def delivered(self) -> dict[tuple[str, str], list[dict]]:
        """(recipient, report) → its `sent` rows, oldest first."""
        sent: dict[tuple[str, str], list[dict]] = {}
        for row in self.rows():
            if row["status"] == SENT:
                sent.setdefault((row["recipient"], row["report"]), []).append(row)
        return sent

    def append(self, rows: list[dict]) -> None:
        if not rows:
            return
        new = not self.path.exists()
        # The BOM goes at the start of the file only (Excel opens Chinese names correctly).
        with self.path.open("a", encoding="utf-8-sig" if new else "utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, LOG_COLUMNS, extrasaction="raise")
            if new:
                writer.writeheader()
            writer.writerows(rows)
            handle.flush()
            os.fsync(handle.fileno())
