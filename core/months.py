"""Calendar months as the pipeline's unit of work ("2026-10")."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> "Month":
        match = _MONTH_RE.match(text.strip())
        if not match:
            raise ValueError(f"not a month in YYYY-MM form: {text!r}")
        if not 1 <= int(match.group(2)) <= 12:
            raise ValueError(f"{text.strip()}: the month number must be 01 to 12, not {match.group(2)}")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, day: dt.date) -> "Month":
        return cls(day.year, day.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def last_day(self) -> dt.date:
        return dt.date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    @property
    def days(self) -> int:
        return calendar.monthrange(self.year, self.month)[1]

    @property
    def start(self) -> dt.datetime:
        """First instant of the month (naive local wall-clock time)."""
        return dt.datetime.combine(self.first_day, dt.time())

    @property
    def end(self) -> dt.datetime:
        """First instant of the next month: months are half-open [start, end)."""
        return self.next().start

    def next(self) -> "Month":
        return self.shift(1)

    def previous(self) -> "Month":
        return self.shift(-1)

    def shift(self, months: int) -> "Month":
        index = self.year * 12 + (self.month - 1) + months
        return Month(index // 12, index % 12 + 1)

    def back(self, count: int) -> list["Month"]:
        """This month and the `count` months before it, oldest first."""
        return [self.shift(-offset) for offset in range(count, -1, -1)]
