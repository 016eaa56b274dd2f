"""Which text encoding a CSV is in: UTF-8, UTF-8 with BOM, or GBK/GB18030 (SPEC §2)."""

from __future__ import annotations

import codecs

from charset_normalizer import from_bytes


class DamagedText(UnicodeError):
    """UTF-8 text with a broken character: cut short, or a byte lost or changed on the way."""

    def __init__(self, line: int, detail: str):
        super().__init__(f"line {line}: {detail}")
        self.line = line


def detect_encoding(data: bytes) -> str:
    """The codec to decode `data` with.

    The three encodings the contract names are tried strictly, in an order that cannot
    confuse them: a BOM is decisive, valid UTF-8 is almost never accidental for Chinese
    text, and GB18030 is a superset of GBK. Anything else goes to charset-normalizer.

    UTF-8 that is right almost everywhere but breaks in a character or two (a file cut short, a byte
    lost) is damaged UTF-8, not GBK: read as GB18030 it would turn every name into mojibake.
    DamagedText then names the line. (GBK read as UTF-8 breaks at most of its characters.)
    """
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as error:
        decoded = data.decode("utf-8", errors="replace")
        broken = decoded.count("\ufffd")
        sound = sum(1 for char in decoded if char > "\x7f") - broken
        cut_short = error.reason == "unexpected end of data" and error.start >= len(data) - 3  # only the end
        if cut_short or sound >= 10 * broken:
            line = data[:error.start].count(b"\n") + 1
            raise DamagedText(line, "the file ends in the middle of a character (cut short?)" if cut_short
                              else "a character is not valid UTF-8, though the text around it is") from None
    try:
        data.decode("gb18030")
        return "gb18030"
    except UnicodeDecodeError:
        pass
    best = from_bytes(data).best()
    if best is None:
        raise UnicodeError("not text in any encoding we can detect")
    return best.encoding
