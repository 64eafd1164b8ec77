"""What railwatch takes as a possible value: one rule per kind of value.

Counts, times, ground sample distances and store ids arrive from many doors:
``observe add``, ``events add``, ``images add``, ``analyze --as-of``, sidecars,
STAC items, press reports, and the REST API to come. Each door checks its
values here, so no command accepts what another refuses, and a value the store
cannot hold (an integer past 64 bits) is refused by name before it reaches SQL.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from typing import Any

from railwatch.errors import InputError

#: The first Earth-observation satellites flew in 1959-60; no image, and so no
#: count or event railwatch can weigh against one, is older.
EARLIEST = datetime(1959, 1, 1, tzinfo=UTC)
#: How far past "now" a time may be: clocks and time zones differ by hours, not days.
FUTURE_SLACK = timedelta(days=1)
#: More railcars than the biggest yard on Earth holds (Bailey Yard: about 10 000 cars a
#: day pass through); a bigger count is a typo or a number that is not a count.
MAX_COUNT = 100_000
#: Ground sample distances of imagery: 1 cm (drone) to 1 km (weather satellites).
#: Outside that the georeferencing is wrong, whatever its source says.
MIN_GSD_M = 0.01
MAX_GSD_M = 1000.0
#: Row ids are 64-bit signed integers in every store backend.
MAX_ID = 2**63 - 1


def latest() -> datetime:
    """The latest time railwatch accepts now."""
    return datetime.now(UTC) + FUTURE_SLACK


def time_range_text() -> str:
    return f"{EARLIEST:%Y-%m-%d} to {latest():%Y-%m-%d}"


def check_time(when: datetime, what: str) -> datetime:
    """A time between :data:`EARLIEST` and tomorrow, in UTC.

    Raises:
        InputError: the time is naive, older than Earth observation or in the future.
    """
    if when.tzinfo is None:
        raise InputError(f"{what} {when.isoformat()} needs a zone (use UTC, e.g. 2023-10-05Z)")
    when = when.astimezone(UTC)
    if when < EARLIEST:
        raise InputError(
            f"{what} {when:%Y-%m-%d} is before {EARLIEST:%Y} (the first Earth-observation "
            f"satellites); give a time from {time_range_text()}"
        )
    if when > latest():
        raise InputError(
            f"{what} {when:%Y-%m-%d} is in the future; give a time from {time_range_text()}"
        )
    return when


def check_date(day: date, what: str) -> date:
    """A calendar date under the same rule as :func:`check_time` (00:00 UTC that day)."""
    check_time(datetime(day.year, day.month, day.day, tzinfo=UTC), what)
    return day


def check_count(value: Any, what: str) -> int:
    """A railcar count: a whole number from 0 to :data:`MAX_COUNT`.

    Raises:
        InputError: not a whole number, negative, or more cars than any yard holds.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise InputError(f"{what}: {value!r} is not a whole number of railcars")
    if value < 0:
        raise InputError(f"{what}: a count cannot be negative")
    if value > MAX_COUNT:
        raise InputError(
            f"{what}: {value} railcars is more than any yard holds (at most {MAX_COUNT:,})"
        )
    return int(value)


def check_gsd(value: Any, what: str) -> float:
    """A ground sample distance in metres, from :data:`MIN_GSD_M` to :data:`MAX_GSD_M`.

    Raises:
        InputError: not a finite number in that range.
    """
    ok = not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)
    if not ok or value <= 0:
        raise InputError(f"{what} must be a positive number of metres, not {value!r}")
    if not MIN_GSD_M <= value <= MAX_GSD_M:
        raise InputError(
            f"{what} {value:.3g} m is not a plausible ground sample distance "
            f"({MIN_GSD_M:g}–{MAX_GSD_M:g} m)"
        )
    return float(value)


def check_id(value: int, what: str) -> int:
    """A store row id: 1 to 2**63 - 1 (anything else names no row).

    Raises:
        InputError: outside that range.
    """
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise InputError(f"{what} {value!r} is not an id (ids are whole numbers from 1)")
    return value


def user_time(text: str, what: str) -> datetime:
    """A time typed by a user (ISO 8601, UTC when no zone), checked by :func:`check_time`.

    Raises:
        InputError: not ISO 8601, or not a plausible time.
    """
    from railwatch.timeparse import parse_time

    return check_time(parse_time(text, what=what), what)
