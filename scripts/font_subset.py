"""`make setup`: cut Noto Sans CJK SC down to the characters ccpulse's reports write, under a family of its own.

Why: WeasyPrint subsets every font a PDF uses, once per PDF, and it keeps the glyph ids of the font it was given;
Noto Sans CJK SC holds 65,000 glyphs, so each report paid about 0.1 s of CPU to subset its regular, bold and
oblique faces. A face of ~9,000 glyphs costs a fraction of that.

What it holds: every character of the reports' own words (the message catalogs, the templates, the Python that
writes labels, symbols and policy values), printable ASCII and Latin, the punctuation, arrows, mathematical and
geometric symbols the reports use, and the 6,763 characters of GB 2312, which covers Chinese given and family
names in common use. A character a name needs beyond these comes from the whole font, which follows this one
in report.css's font-family list: the report is the same, that name's glyphs come from the other face.

The output (reports/templates/fonts/, where the renderer's fetcher may read it) is generated, never committed.
It is rebuilt only when what it is made of changes (`.built-for`: its characters, this script, the system font). Without it the reports use the whole font.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "reports" / "templates" / "fonts"
FAMILY = "ccpulse Noto Sans CJK SC"  # report.css names this family first, "Noto Sans CJK SC" after it
WEIGHTS = {"regular": "Regular", "bold": "Bold"}
# Where the reports' own words and symbols are written: messages, templates, and the code that formats values.
SOURCES = ["reports/messages/*.yaml", "reports/templates/*.html", "reports/templates/*.txt", "reports/*.py",
           "schemas/*.py", "core/*.py", "metrics/*.py", "examples/policy.yaml"]
RANGES = [
    (0x20, 0x7E),  # ASCII
    (0xA0, 0x17F),  # Latin-1 and Latin Extended-A (names such as Müller, Łukasz)
    (0x391, 0x3C9),  # Greek (Δ)
    (0x2000, 0x206F),  # general punctuation (· — … †)
    (0x2100, 0x214F),  # letterlike symbols (№)
    (0x2190, 0x21FF),  # arrows
    (0x2200, 0x22FF),  # mathematical operators (≥ ≤ ±)
    (0x2460, 0x24FF),  # enclosed numbers
    (0x25A0, 0x25FF),  # geometric shapes (▲ ▼)
    (0x2600, 0x27BF),  # symbols and dingbats (★ ✓)
    (0x3000, 0x303F),  # CJK punctuation
    (0xFF00, 0xFFEF),  # full-width forms (（ ）：，)
]


def gb2312() -> set[str]:
    """The 6,763 Chinese characters of GB 2312 (both levels): the names in common use."""
    found = set()
    for high in range(0xB0, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                found.add(bytes([high, low]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return found


def sources() -> list[Path]:
    return sorted({path for pattern in SOURCES for path in ROOT.glob(pattern)})


def characters() -> set[str]:
    found = {chr(code) for low, high in RANGES for code in range(low, high + 1)} | gb2312()
    for path in sources():
        found |= set(path.read_text(encoding="utf-8"))
    return {c for c in found if c.isprintable()}


def system_font(weight: str) -> tuple[str, int]:
    """The installed Noto Sans CJK SC file and face index of `weight` (a .ttc holds several faces)."""
    found = subprocess.run(["fc-match", "-f", "%{file}\n%{index}\n%{family}", f"Noto Sans CJK SC:style={weight}"],
                           capture_output=True, text=True, check=True).stdout.split("\n")
    if "Noto Sans CJK SC" not in found[2]:
        sys.exit(f"font_subset: Noto Sans CJK SC {weight} is not installed (fonts-noto-cjk; make system-deps)")
    return found[0], int(found[1])


def build(weight_key: str, weight: str, wanted: set[str]) -> Path:
    file, index = system_font(weight)
    font = TTFont(file, fontNumber=index, recalcTimestamp=False)  # the same bytes on every machine
    options = subset.Options()
    options.name_IDs = ["*"]  # copyright and licence (OFL) travel with the font
    options.name_languages = ["*"]
    options.layout_features = ["*"]  # vertical forms, full-width punctuation (halt, palt…) as in the whole font
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(ord(c) for c in wanted))
    subsetter.subset(font)
    names = {1: FAMILY, 16: FAMILY, 4: f"{FAMILY} {weight}", 6: f"ccpulseNotoSansCJKsc-{weight}",
             3: f"ccpulse subset of NotoSansCJKsc-{weight}", 17: weight, 2: weight}
    for record in font["name"].names:
        if record.nameID in names:
            record.string = names[record.nameID]
    if "CFF " in font:  # the CFF table names the font too
        cff = font["CFF "].cff
        cff.fontNames = [names[6]]
        cff.topDictIndex[0].FullName = names[4]
        cff.topDictIndex[0].FamilyName = FAMILY
    target = OUT / f"ccpulse-sans-{weight_key}.otf"
    partial = target.with_suffix(".otf.partial")
    font.save(partial)
    partial.replace(target)  # never a half-written font for the renderer
    return target


def built_for(wanted: set[str]) -> str:
    """What the subset is made of: its characters, this script and the system fonts it cuts. An edit to a
    template that adds no character (most edits) leaves it as it is: building takes some 40 s."""
    digest = hashlib.sha256("".join(sorted(wanted)).encode() + Path(__file__).read_bytes())
    for weight in WEIGHTS.values():
        file, index = system_font(weight)
        digest.update(f"{file}\0{index}\0{Path(file).stat().st_size}\0".encode())
    return digest.hexdigest()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    wanted = characters()
    stamp, made_of = OUT / ".built-for", built_for(wanted)
    targets = [OUT / f"ccpulse-sans-{key}.otf" for key in WEIGHTS]
    if all(t.exists() for t in targets) and stamp.exists() and stamp.read_text() == made_of:
        return
    for key, weight in WEIGHTS.items():
        print(f"font_subset: {build(key, weight, wanted).relative_to(ROOT)} ({len(wanted):,} characters)")
    stamp.write_text(made_of)


if __name__ == "__main__":
    main()
