"""The report's "generated at" time, kept while its inputs stay the same.

A re-run on the same inputs then writes byte-identical PDFs, so delivery (keyed by the
PDF's SHA-256) sends nothing twice; new inputs give a new time and a new hash.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zoneinfo
from pathlib import Path

STAMP_FILE = ".report_stamp.json"


def fingerprint(paths: list[Path], extra: str = "") -> str:
    digest = hashlib.sha256(extra.encode("utf-8"))
    for path in sorted(paths):
        if path.is_file():
            digest.update(path.name.encode("utf-8") + b"\0" + path.read_bytes())
    return digest.hexdigest()


def generation_time(folder: Path, inputs_fingerprint: str, timezone: str, now: dt.datetime | None = None) -> str:
    stamp = folder / STAMP_FILE
    if stamp.exists():
        saved = json.loads(stamp.read_text(encoding="utf-8"))
        if saved.get("fingerprint") == inputs_fingerprint:
            return saved["generated_at"]
    moment = (now or dt.datetime.now(dt.timezone.utc)).astimezone(zoneinfo.ZoneInfo(timezone))
    text = moment.strftime("%Y-%m-%d %H:%M UTC%z")
    text = text[:-2] + ":" + text[-2:]  # UTC+0800 -> UTC+08:00
    stamp.write_text(json.dumps({"fingerprint": inputs_fingerprint, "generated_at": text}), encoding="utf-8")
    return text
