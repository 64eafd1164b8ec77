"""Images in the store: where each one is, what it covers, when it was taken."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from railwatch.errors import NotFoundError
from railwatch.records import Image
from railwatch.store import sites
from railwatch.store.schema import ImageRow, SiteRow


def to_record(row: ImageRow, slug: str) -> Image:
    return Image(
        id=row.id,
        path=row.path,
        sha256=row.sha256,
        site=slug,
        crs=row.crs,
        bounds=tuple(row.bounds),  # type: ignore[arg-type]
        footprint=row.footprint,
        width=row.width,
        height=row.height,
        bands=row.bands,
        dtype=row.dtype,
        gsd_m=row.gsd_m,
        acquired_at=row.acquired_at,
        provider=row.provider,
        format=row.format,
        cloud_cover=(row.meta or {}).get("cloud_cover"),
    )


def find(session: Session, site: str, sha256: str) -> Image | None:
    """The image with this content at this site, if stored."""
    site_id = sites.row_for(session, site).id
    row = session.scalar(
        select(ImageRow).where(ImageRow.site_id == site_id, ImageRow.sha256 == sha256)
    )
    return None if row is None else to_record(row, site)


def add(session: Session, image: Image, meta: dict | None = None) -> Image:
    meta = dict(meta or {})
    if image.cloud_cover is not None:
        meta["cloud_cover"] = image.cloud_cover
    row = ImageRow(
        site_id=sites.row_for(session, image.site).id,
        path=image.path,
        sha256=image.sha256,
        format=image.format,
        crs=image.crs,
        bounds=list(image.bounds),
        footprint=image.footprint,
        width=image.width,
        height=image.height,
        bands=image.bands,
        dtype=image.dtype,
        gsd_m=image.gsd_m,
        acquired_at=image.acquired_at,
        provider=image.provider,
        meta=meta,
    )
    session.add(row)
    session.flush()
    return to_record(row, image.site)


def _row(session: Session, image_id: int) -> tuple[ImageRow, str]:
    """An image's row and its site's slug."""
    found = session.execute(
        select(ImageRow, SiteRow.slug)
        .join(SiteRow, ImageRow.site_id == SiteRow.id)
        .where(ImageRow.id == image_id)
    ).first()
    if found is None:
        raise NotFoundError(f"no image with id {image_id} in the store")
    return found[0], found[1]


def get(session: Session, image_id: int) -> Image:
    return to_record(*_row(session, image_id))


def list_images(
    session: Session, *, site: str | None = None, since: datetime | None = None
) -> list[Image]:
    """Images in acquisition order."""
    query = select(ImageRow, SiteRow.slug).join(SiteRow, ImageRow.site_id == SiteRow.id)
    if site is not None:
        query = query.where(ImageRow.site_id == sites.row_for(session, site).id)
    if since is not None:
        query = query.where(ImageRow.acquired_at >= since)
    query = query.order_by(ImageRow.acquired_at, ImageRow.id)
    return [to_record(row, slug) for row, slug in session.execute(query)]


def set_cloud_cover(session: Session, image_id: int, percent: float, source: str) -> Image:
    """Record how much of an image is under cloud (an analyst who looked, say)."""
    row, slug = _row(session, image_id)
    # A new dict: SQLAlchemy does not see changes made inside a JSON value.
    row.meta = {**(row.meta or {}), "cloud_cover": percent, "cloud_cover_source": source}
    session.flush()
    return to_record(row, slug)


def meta_of(session: Session, image_id: int) -> dict:
    """The extra metadata kept with an image (where its date and GSD came from, layout)."""
    row = session.get(ImageRow, image_id)
    if row is None:
        raise NotFoundError(f"no image with id {image_id} in the store")
    return dict(row.meta or {})
