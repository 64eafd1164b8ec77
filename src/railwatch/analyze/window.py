"""Spans of time written the way people say them: ``5y``, ``18m``, ``90d``, ``2w``."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from railwatch.errors import InputError

_UNITS = {"d": "day", "w": "week", "m": "month", "y": "year"}
_PATTERN = re.compile(r"^\s*(\d+)\s*([dwmy])\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Window:
    """A span counted back from a date; months and years are calendar ones.

    Calendar arithmetic (2023-10-05 minus 5y is 2018-10-05) keeps the window
    the same as the one a person states ("the previous five years"); a day
    count would drift with leap years.
    """

    amount: int
    unit: str  # d | w | m | y

    def __post_init__(self) -> None:
        if self.unit not in _UNITS:
            raise InputError(f"window unit {self.unit!r} is not one of d, w, m, y")
        if self.amount < 1:
            raise InputError(f"window {self.amount}{self.unit} must be at least 1{self.unit}")

    @property
    def text(self) -> str:
        """The window as typed: ``5y``."""
        return f"{self.amount}{self.unit}"

    @property
    def label(self) -> str:
        """The window as an adjective in a sentence: ``5-year``."""
        return f"{self.amount}-{_UNITS[self.unit]}"

    def start(self, end: date) -> date:
        """The first day of the window that ends (exclusive) at ``end``."""
        if self.unit == "d":
            return end - timedelta(days=self.amount)
        if self.unit == "w":
            return end - timedelta(weeks=self.amount)
        months = self.amount * (12 if self.unit == "y" else 1)
        index = end.year * 12 + (end.month - 1) - months
        year, month = divmod(index, 12)
        month += 1
        if year < 1:
            return date.min
        day = min(end.day, calendar.monthrange(year, month)[1])  # 29 Feb → 28 Feb
        return date(year, month, day)

    def days_before(self, end: date) -> int:
        """Length of the window ending at ``end``, in days."""
        return (end - self.start(end)).days


def parse_window(text: str | Window, *, what: str = "window") -> Window:
    """Parse ``5y``, ``18m``, ``90d`` or ``2w``.

    Raises:
        InputError: not a whole number followed by one of d, w, m, y.
    """
    if isinstance(text, Window):
        return text
    match = _PATTERN.match(str(text))
    if not match:
        raise InputError(
            f"{what} {text!r} is not a span like 5y, 18m, 90d or 2w "
            "(a whole number and d, w, m or y)"
        )
    return Window(int(match.group(1)), match.group(2).lower())
