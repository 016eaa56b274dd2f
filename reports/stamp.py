"""The report's "generated at" time, and the fingerprint that decides when it changes.

The fingerprint covers what the reader sees (the report's HTML with a placeholder where the
time goes, and the stylesheet), not the time itself. While it is unchanged, the time recorded in
the manifest is kept, so a re-run writes byte-identical PDFs and delivery (keyed by the PDF's
SHA-256) sends nothing again; a report whose content changed gets a new time, and only that one
goes out as a correction (SPEC §11).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import zoneinfo

# Stands in the HTML where the generation time goes, while the content is fingerprinted.
GENERATED_AT = "\ue000generated-at\ue000"


def content_fingerprint(html: str, design: bytes) -> str:
    return hashlib.sha256(design + b"\0" + html.encode("utf-8")).hexdigest()


def generation_time(timezone: str, now: dt.datetime | None = None) -> str:
    moment = (now or dt.datetime.now(dt.timezone.utc)).astimezone(zoneinfo.ZoneInfo(timezone))
    text = moment.strftime("%Y-%m-%d %H:%M UTC%z")
    return text[:-2] + ":" + text[-2:]  # UTC+0800 -> UTC+08:00
