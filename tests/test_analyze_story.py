"""The seed reports' story as observations, shared by the analysis tests (no tests here)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from railwatch.records import Event, Observation

SUMMIT = Event(
    occurred_at=datetime(2023, 9, 13, tzinfo=UTC), title="Kim–Putin summit", kind="summit"
)
RISE = [("2023-09-18", 30), ("2023-09-22", 41), ("2023-09-26", 50), ("2023-09-30", 61)]
PEAK = ("2023-10-05", 73)


def at(day: str | date, hour: int = 2) -> datetime:
    d = date.fromisoformat(day) if isinstance(day, str) else day
    return datetime(d.year, d.month, d.day, hour, tzinfo=UTC)


def obs(day: str | date, count: int, cls: str = "freight", **kw) -> Observation:
    kw.setdefault("method", "analyst")
    kw.setdefault("source", "analyst-a")
    if kw["method"] == "analyst":
        kw.setdefault("analyst", kw["source"])
    return Observation(site="tumangang", observed_at=at(day), railcar_class=cls, count=count, **kw)


def history(seed: int = 2023) -> list[tuple[date, int]]:
    """Irregular quiet years: 2–20 freight cars, every 3 to 20 days, max exactly 20."""
    rng = random.Random(seed)
    out = []
    d = date(2018, 10, 9)
    while d <= date(2023, 9, 14):
        out.append((d, rng.randint(2, 19)))
        d += timedelta(days=rng.choice([3, 5, 6, 8, 11, 14, 20]))
    out[len(out) // 2] = (out[len(out) // 2][0], 20)
    if out[-1][0] != date(2023, 9, 14):
        out.append((date(2023, 9, 14), 9))
    return out


def story() -> list[Observation]:
    quiet = [obs(d, n) for d, n in history()]
    return quiet + [obs(d, n) for d, n in RISE] + [obs(*PEAK)]
