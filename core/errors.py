"""Errors that stop a month's run; their text is what the ops person reads first."""

from __future__ import annotations

from dataclasses import dataclass, field

SHOWN = 60  # characters of a value an error quotes: enough to find it, never a dump of the file


def cut(text: str, width: int = SHOWN) -> str:
    """Text cut to `width` characters, saying how long it was."""
    return text if len(text) <= width else text[:width] + f"… ({len(text):,} characters)"


def visible(text: str) -> str:
    """Text with each character a reader cannot see written as `<U+XXXX>`: a byte-order mark
    (U+FEFF), zero-width and unusual spaces, control characters. `\ufeffA1` and `A1` look the same
    on a screen; an error or a quarantine reason must show why they differ."""
    return "".join(char if char.isprintable() else f"<U+{ord(char):04X}>" for char in text)


def has_invisible(text: str) -> bool:
    return not text.isprintable()


def shown(value, width: int = SHOWN) -> str:
    """A value as an error quotes it: its repr, cut to `width` characters."""
    return cut(repr(value), width)


@dataclass(frozen=True)
class Problem:
    """One structural problem in one column (or the whole file when column is None)."""

    message: str
    column: str | None = None
    examples: list[str] = field(default_factory=list)

    def render(self) -> str:
        head = f"column '{self.column}': {self.message}" if self.column else self.message
        if not self.examples:
            return head
        return head + "\n" + "\n".join(f"      {example}" for example in self.examples)


class StructuralError(Exception):
    """An input that cannot be read as the contract says (SPEC §2): the month stops.

    The message names the file (or query), every bad column and example rows, so one run
    shows every structural problem of the file at once.
    """

    def __init__(self, origin: str, problems: list[Problem]):
        self.origin = origin
        self.problems = problems
        lines = [f"{origin}: cannot be read ({len(problems)} problem{'s' if len(problems) != 1 else ''})"]
        lines += [f"  - {problem.render()}" for problem in problems]
        super().__init__("\n".join(lines))

    @property
    def columns(self) -> list[str]:
        return [problem.column for problem in self.problems if problem.column]


class PolicyError(ValueError):
    """The policy file does not validate; the message lists every problem."""


class ConfigError(ValueError):
    """A configuration file (column mapping, SQL queries) does not validate."""


class SourceError(Exception):
    """The data source could not be reached or refused to answer (a database down, a wrong password,
    a query the database rejects): nothing of the month could be read, so it stops."""
