"""Site groups in the store: a slug, a name and the member sites in order."""

from __future__ import annotations

import re

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from railwatch.errors import ConflictError, InputError, NotFoundError
from railwatch.records import SiteGroup
from railwatch.store.schema import SiteGroupMemberRow, SiteGroupRow, SiteRow
from railwatch.store.sites import row_for

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def _record(session: Session, row: SiteGroupRow) -> SiteGroup:
    slugs = session.scalars(
        select(SiteRow.slug)
        .join(SiteGroupMemberRow, SiteGroupMemberRow.site_id == SiteRow.id)
        .where(SiteGroupMemberRow.group_id == row.id)
        .order_by(SiteGroupMemberRow.position)
    )
    return SiteGroup(
        slug=row.slug,
        name=row.name,
        sites=tuple(slugs),
        description=row.description,
        id=row.id,
    )


def add(session: Session, group: SiteGroup, *, replace: bool = False) -> tuple[SiteGroup, str]:
    """Store a group of existing sites.

    Returns:
        The stored group and ``added`` or ``replaced``.

    Raises:
        InputError: a malformed slug, fewer than two sites, or a site given twice.
        NotFoundError: an unknown site.
        ConflictError: the slug exists and ``replace`` is false.
    """
    if not _SLUG.match(group.slug):
        raise InputError(
            f"group slug {group.slug!r} must be lower-case letters, digits, '-' or '_'"
        )
    if len(group.sites) < 2:
        raise InputError(f"group {group.slug!r} needs at least two sites")
    if len(set(group.sites)) != len(group.sites):
        raise InputError(f"group {group.slug!r} lists a site twice")
    if session.scalar(select(SiteRow.id).where(SiteRow.slug == group.slug)) is not None:
        raise ConflictError(f"group slug {group.slug!r} is already a site's slug")
    site_rows = [row_for(session, s) for s in group.sites]
    row = session.scalar(select(SiteGroupRow).where(SiteGroupRow.slug == group.slug))
    if row is not None and not replace:
        raise ConflictError(f"group {group.slug!r} exists already (use --replace to overwrite it)")
    action = "replaced" if row is not None else "added"
    if row is None:
        row = SiteGroupRow(slug=group.slug)
        session.add(row)
    row.name = group.name or group.slug
    row.description = group.description
    session.flush()
    session.execute(delete(SiteGroupMemberRow).where(SiteGroupMemberRow.group_id == row.id))
    for i, site in enumerate(site_rows):
        session.add(SiteGroupMemberRow(group_id=row.id, site_id=site.id, position=i))
    session.flush()
    return _record(session, row), action


def get(session: Session, slug: str) -> SiteGroup:
    """The group called ``slug``.

    Raises:
        NotFoundError: no such group.
    """
    row = session.scalar(select(SiteGroupRow).where(SiteGroupRow.slug == slug))
    if row is None:
        known = ", ".join(session.scalars(select(SiteGroupRow.slug).order_by(SiteGroupRow.slug)))
        raise NotFoundError(
            f"unknown site group {slug!r} (known: {known or 'none'}; "
            "add one with 'railwatch sites group add')"
        )
    return _record(session, row)


def all_groups(session: Session) -> list[SiteGroup]:
    rows = session.scalars(select(SiteGroupRow).order_by(SiteGroupRow.slug))
    return [_record(session, r) for r in rows]
