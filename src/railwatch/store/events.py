"""Dated events (summits, statements, border closures) that activity may follow."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from railwatch.records import Event
from railwatch.store import sites
from railwatch.store.schema import EventRow, SiteRow


def _record(row: EventRow, slug: str | None) -> Event:
    return Event(
        id=row.id,
        occurred_at=row.occurred_at,
        title=row.title,
        kind=row.kind,
        site=slug,
        description=row.description,
        source=row.source,
    )


def add(session: Session, event: Event) -> tuple[Event, bool]:
    """Store an event; the same title, time and site again is a no-op.

    Returns:
        The stored event and whether it was new.
    """
    site_id = sites.row_for(session, event.site).id if event.site else None
    existing = session.scalar(
        select(EventRow).where(
            EventRow.title == event.title,
            EventRow.occurred_at == event.occurred_at,
            EventRow.site_id.is_(None) if site_id is None else EventRow.site_id == site_id,
        )
    )
    if existing is not None:
        return _record(existing, event.site), False
    row = EventRow(
        occurred_at=event.occurred_at,
        title=event.title,
        kind=event.kind,
        site_id=site_id,
        description=event.description,
        source=event.source,
    )
    session.add(row)
    session.flush()
    return _record(row, event.site), True


def list_events(
    session: Session,
    *,
    site: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[Event]:
    """Events in time order; for a site, its own events and those tied to no site."""
    query = select(EventRow, SiteRow.slug).outerjoin(SiteRow, EventRow.site_id == SiteRow.id)
    if site is not None:
        site_id = sites.row_for(session, site).id
        query = query.where((EventRow.site_id == site_id) | EventRow.site_id.is_(None))
    if since is not None:
        query = query.where(EventRow.occurred_at >= since)
    if until is not None:
        query = query.where(EventRow.occurred_at <= until)
    query = query.order_by(EventRow.occurred_at, EventRow.id)
    return [_record(row, slug) for row, slug in session.execute(query)]
