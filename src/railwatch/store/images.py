"""Images in the store: where each one is, what it covers, when it was taken."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import delete, select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session

from railwatch.errors import NotFoundError
from railwatch.plausible import MAX_ID
from railwatch.records import Image
from railwatch.store import sites
from railwatch.store.schema import DetectionRow, ImageRow, ObservationRow, SiteRow

#: Fields whose change moves the image on the ground: its detections are then stale.
PLACEMENT = ("crs", "bounds", "footprint", "gsd_m", "width", "height")


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
        unfit_reason=row.unfit_reason,
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
    if not 1 <= image_id <= MAX_ID:  # no row has it, and SQLite cannot even bind it
        raise NotFoundError(f"no image with id {image_id} in the store")
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


class ImageTime(NamedTuple):
    """When an image was taken and how clouded it is: all a timeline needs of it."""

    id: int
    acquired_at: datetime
    cloud_cover: float | None


def list_times(session: Session, *, site: str) -> list[ImageTime]:
    """The site's images in acquisition order, as :func:`list_images` without the rest.

    Reads three columns: whole records (footprints and bounds decoded from JSON) took
    a ten-year timeline a tenth of a second it did not need.
    """
    query = (
        select(ImageRow.id, ImageRow.acquired_at, ImageRow.meta)
        .where(ImageRow.site_id == sites.row_for(session, site).id)
        .order_by(ImageRow.acquired_at, ImageRow.id)
    )
    rows = session.execute(query)
    return [ImageTime(i, at, (meta or {}).get("cloud_cover")) for i, at, meta in rows]


def set_cloud_cover(session: Session, image_id: int, percent: float, source: str) -> Image:
    """Record how much of an image is under cloud (an analyst who looked, say)."""
    row, slug = _row(session, image_id)
    # A new dict: SQLAlchemy does not see changes made inside a JSON value.
    row.meta = {**(row.meta or {}), "cloud_cover": percent, "cloud_cover_source": source}
    session.flush()
    return to_record(row, slug)


def meta_of(session: Session, image_id: int) -> dict:
    """The extra metadata kept with an image (where its date and GSD came from, layout)."""
    row, _ = _row(session, image_id)
    return dict(row.meta or {})


def set_unfit(session: Session, image_id: int, reason: str | None) -> None:
    """Record why the detector skipped an image (None: it was counted)."""
    row, _ = _row(session, image_id)
    row.unfit_reason = reason
    session.flush()


def remove(session: Session, image_id: int) -> tuple[Image, int, int]:
    """Delete an image with its detections and every observation made from it.

    Returns:
        The image as it was, and how many detections and observations went with it.
    """
    row, slug = _row(session, image_id)
    image = to_record(row, slug)
    n_det = session.execute(delete(DetectionRow).where(DetectionRow.image_id == image_id))
    n_obs = session.execute(delete(ObservationRow).where(ObservationRow.image_id == image_id))
    session.delete(row)
    session.flush()
    return image, int(n_det.rowcount or 0), int(n_obs.rowcount or 0)


def changes(stored: Image, fresh: Image) -> list[str]:
    """Names of the fields a fresh description of the same file changes (path aside)."""
    names = (*PLACEMENT, "acquired_at", "provider", "cloud_cover", "format", "bands", "dtype")
    return [n for n in names if _norm(getattr(stored, n)) != _norm(getattr(fresh, n))]


def _norm(value: Any) -> Any:
    # JSON round trips turn tuples into lists; compare them as the store gives them back.
    if isinstance(value, tuple | list):
        return [_norm(v) for v in value]
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items()}
    return value


def redescribe(session: Session, image_id: int, image: Image, meta: dict | None = None) -> Image:
    """Replace a stored image's description with a fresh one of the same file.

    When it moves on the ground (CRS, transform, GSD), its detections and detector
    observations are dropped, so the next ``detect --site`` counts it again; when
    only its time changes, the observations made from it move with it.
    """
    row, slug = _row(session, image_id)
    old = to_record(row, slug)
    moved = [n for n in PLACEMENT if _norm(getattr(old, n)) != _norm(getattr(image, n))]
    meta = dict(meta or {})
    if image.cloud_cover is not None:
        meta["cloud_cover"] = image.cloud_cover
    for name in (
        "path",
        "format",
        "crs",
        "footprint",
        "width",
        "height",
        "bands",
        "dtype",
        "gsd_m",
        "acquired_at",
        "provider",
    ):
        setattr(row, name, getattr(image, name))
    row.bounds = list(image.bounds)
    row.meta = meta
    if moved:
        session.execute(delete(DetectionRow).where(DetectionRow.image_id == image_id))
        session.execute(
            delete(ObservationRow).where(
                ObservationRow.image_id == image_id, ObservationRow.method == "detector"
            )
        )
        row.unfit_reason = None
    elif old.acquired_at != image.acquired_at:
        session.execute(
            sql_update(ObservationRow)
            .where(ObservationRow.image_id == image_id)
            .values(observed_at=image.acquired_at)
        )
    session.flush()
    return to_record(row, slug)
