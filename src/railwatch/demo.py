"""The demo job: build a store from the bundled sample data and run every stage on it.

Kept apart from the CLI so tests and the web app can run it too. Each stage
adds its step here as it lands; the order follows the flow of data.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from railwatch import service
from railwatch.records import Event
from railwatch.sites import builtin
from railwatch.store import open_store
from railwatch.timeparse import parse_time

#: Dated events of the Tumangang story (public record).
TUMANGANG_EVENTS: tuple[tuple[str, str, str], ...] = (
    ("2020-01-31", "North Korea closes its borders (COVID-19)", "border"),
    ("2022-11-18", "White House statement on Russian railcars at Tumangang", "statement"),
    ("2023-09-13", "Kim–Putin summit, Vostochny Cosmodrome", "summit"),
)


@dataclass
class DemoSummary:
    out: Path
    db: Path
    seconds: float = 0.0
    lines: list[str] = field(default_factory=list)


def run_demo(out: Path) -> DemoSummary:
    """Make ``out``, a fresh store in it, and run the stages that exist so far."""
    start = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    db = out / "railwatch.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    summary = DemoSummary(out=out, db=db)
    with open_store(db, create=True) as store:
        service.add_sites(store, builtin())
        for when, title, kind in TUMANGANG_EVENTS:
            service.add_event(
                store, Event(occurred_at=parse_time(when), title=title, kind=kind, site="tumangang")
            )
        events = service.list_events(store, site="tumangang")
    summary.lines.append(f"{len(events)} events on record for Tumangang")
    summary.seconds = time.perf_counter() - start
    summary.lines.append(f"demo finished in {summary.seconds:.1f} s; output in {out}/")
    return summary
