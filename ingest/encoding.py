"""Which text encoding a CSV is in: UTF-8, UTF-8 with BOM, or GBK/GB18030 (SPEC §2)."""

from __future__ import annotations

import codecs

from charset_normalizer import from_bytes


def detect_encoding(data: bytes) -> str:
    """The codec to decode `data` with.

    The three encodings the contract names are tried strictly, in an order that cannot
    confuse them: a BOM is decisive, valid UTF-8 is almost never accidental for Chinese
    text, and GB18030 is a superset of GBK. Anything else goes to charset-normalizer.
    """
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    for candidate in ("utf-8", "gb18030"):
        try:
            data.decode(candidate)
            return candidate
        except UnicodeDecodeError:
            continue
    best = from_bytes(data).best()
    if best is None:
        raise UnicodeError("not text in any encoding we can detect")
    return best.encoding
