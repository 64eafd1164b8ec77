"""Reading times typed by users and found in metadata, always into UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime

from railwatch.errors import InputError


def parse_time(text: str, *, what: str = "time") -> datetime:
    """Parse ISO 8601 (``2023-10-05``, ``2023-10-05T02:13:00Z``, with offset) into UTC.

    A bare date means midnight UTC; a time with no zone is taken as UTC, because
    satellite acquisition times are given in UTC by every provider we know.

    Raises:
        InputError: the text is not an ISO 8601 date or datetime.
    """
    raw = text.strip()
    try:
        if len(raw) == 10:
            d = date.fromisoformat(raw)
            return datetime(d.year, d.month, d.day, tzinfo=UTC)
        dt = datetime.fromisoformat(raw.replace("Z", "+00:00").replace(" ", "T", 1))
    except ValueError:
        raise InputError(
            f"{what} {text!r} is not an ISO 8601 date or time (e.g. 2023-10-05 or "
            "2023-10-05T02:13:00Z)"
        ) from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)
