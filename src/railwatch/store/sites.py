"""Sites in the store."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from railwatch.errors import ConflictError, NotFoundError
from railwatch.records import Site
from railwatch.store.schema import SiteRow


def to_record(row: SiteRow) -> Site:
    return Site(
        id=row.id,
        slug=row.slug,
        name=row.name,
        country=row.country,
        description=row.description,
        geometry=row.geometry,
        aliases=tuple(row.aliases or ()),
        region=row.region,
        region_aliases=tuple(row.region_aliases or ()),
    )


def row_for(session: Session, slug: str) -> SiteRow:
    row = session.scalar(select(SiteRow).where(SiteRow.slug == slug))
    if row is None:
        known = ", ".join(session.scalars(select(SiteRow.slug).order_by(SiteRow.slug))) or "none"
        raise NotFoundError(
            f"unknown site {slug!r} (known: {known}; add one with 'railwatch sites add')"
        )
    return row


def get(session: Session, slug: str) -> Site:
    return to_record(row_for(session, slug))


def all_sites(session: Session) -> list[Site]:
    return [to_record(r) for r in session.scalars(select(SiteRow).order_by(SiteRow.slug))]


def add(session: Session, site: Site, *, replace: bool = False) -> tuple[Site, str]:
    """Insert a site, or overwrite it when ``replace``.

    Returns:
        The stored site and what happened: ``added`` or ``replaced``.

    Raises:
        ConflictError: the slug exists and ``replace`` is false.
    """
    row = session.scalar(select(SiteRow).where(SiteRow.slug == site.slug))
    if row is not None and not replace:
        raise ConflictError(f"site {site.slug!r} exists already (use --replace to overwrite it)")
    action = "replaced" if row is not None else "added"
    if row is None:
        row = SiteRow(slug=site.slug)
        session.add(row)
    row.name = site.name
    row.country = site.country
    row.description = site.description
    row.geometry = site.geometry
    row.aliases = list(site.aliases)
    row.region = site.region
    row.region_aliases = list(site.region_aliases)
    session.flush()
    return to_record(row), action
