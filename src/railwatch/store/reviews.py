"""Reviews in the store: an analyst's labels per image and every save of them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from railwatch.records import ReviewEdit
from railwatch.store.schema import ImageRow, ReviewEditRow, ReviewRow, SiteRow, utcnow


def row_of(session: Session, image_id: int) -> ReviewRow | None:
    return session.scalar(select(ReviewRow).where(ReviewRow.image_id == image_id))


def save(
    session: Session,
    image_id: int,
    *,
    reviewer: str,
    model_version: str,
    labels: list[dict[str, Any]],
    changes: list[dict[str, Any]],
    base_revision: int | None,
    action: str = "save",
    status: str = "in-progress",
    now: datetime | None = None,
) -> tuple[ReviewRow, ReviewEditRow]:
    """Write a new revision of an image's labels; the later save always wins.

    The revision is bumped with a compare-and-set UPDATE, so two savers never
    both take the same number; ``conflict`` is set on the edit when the saver
    had loaded an older revision than the one it replaced.
    """
    now = now or utcnow()
    row = row_of(session, image_id)
    if row is None:
        row = ReviewRow(
            image_id=image_id,
            status=status,
            reviewer=reviewer,
            model_version=model_version,
            revision=0,
            labels=[],
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        session.flush()
    while True:
        current = row.revision
        done = session.execute(
            update(ReviewRow)
            .where(ReviewRow.id == row.id, ReviewRow.revision == current)
            .values(revision=current + 1)
            .execution_options(synchronize_session=False)
        )
        if done.rowcount:
            break
        session.refresh(row)
    conflict = base_revision is not None and base_revision != current
    row.revision = current + 1
    row.reviewer = reviewer
    row.model_version = model_version
    row.labels = labels
    row.status = status
    row.updated_at = now
    if status == "reviewed":
        row.reviewed_at = now
    edit = ReviewEditRow(
        review_id=row.id,
        revision=current + 1,
        reviewer=reviewer,
        action=action,
        changes=changes,
        labels=labels,
        base_revision=base_revision,
        conflict=conflict,
        at=now,
    )
    session.add(edit)
    session.flush()
    return row, edit


def edit_record(edit: ReviewEditRow, image_id: int) -> ReviewEdit:
    return ReviewEdit(
        id=edit.id,
        image_id=image_id,
        revision=edit.revision,
        reviewer=edit.reviewer,
        action=edit.action,
        at=edit.at,
        changes=tuple(edit.changes or ()),
        labels=tuple(edit.labels or ()),
        base_revision=edit.base_revision,
        conflict=bool(edit.conflict),
    )


def edits(session: Session, image_id: int) -> list[ReviewEdit]:
    """Every save of an image's review, oldest first."""
    rows = session.scalars(
        select(ReviewEditRow)
        .join(ReviewRow, ReviewEditRow.review_id == ReviewRow.id)
        .where(ReviewRow.image_id == image_id)
        .order_by(ReviewEditRow.revision, ReviewEditRow.id)
    )
    return [edit_record(e, image_id) for e in rows]


def for_site(session: Session, site_id: int) -> dict[int, ReviewRow]:
    """The review rows of a site's images, by image id."""
    rows = session.scalars(
        select(ReviewRow)
        .join(ImageRow, ReviewRow.image_id == ImageRow.id)
        .join(SiteRow, ImageRow.site_id == SiteRow.id)
        .where(SiteRow.id == site_id)
    )
    return {r.image_id: r for r in rows}


def statuses_for_site(session: Session, site_id: int) -> list[tuple[int, datetime, str]]:
    """Each image of a site in acquisition order: its id, time and review status.

    One light query (no footprints, no labels): the review tool asks it on every
    "next unreviewed image" key.
    """
    rows = session.execute(
        select(ImageRow.id, ImageRow.acquired_at, ReviewRow.status)
        .outerjoin(ReviewRow, ReviewRow.image_id == ImageRow.id)
        .where(ImageRow.site_id == site_id)
        .order_by(ImageRow.acquired_at, ImageRow.id)
    )
    return [(i, when, status or "pending") for i, when, status in rows]
