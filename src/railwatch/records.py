"""Plain records passed between stages.

The store turns its rows into these, and every stage above the store reads
them; SQLAlchemy rows never leave ``railwatch.store``. Each record has
``to_dict`` so the CLI's ``--json`` output and the REST API share one shape.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


class _Record:
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: datetimes as ISO 8601 UTC strings ending in ``Z``."""
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}  # type: ignore[arg-type]


@dataclass(frozen=True)
class Site(_Record):
    slug: str
    name: str
    geometry: dict[str, Any]  # GeoJSON Polygon/MultiPolygon in EPSG:4326
    country: str = ""
    description: str = ""
    aliases: tuple[str, ...] = ()
    region: str = ""
    region_aliases: tuple[str, ...] = ()
    id: int | None = None


@dataclass(frozen=True)
class Image(_Record):
    path: str
    sha256: str
    site: str
    crs: str
    bounds: tuple[float, float, float, float]  # in the image's own CRS
    footprint: dict[str, Any]  # GeoJSON Polygon in EPSG:4326
    width: int
    height: int
    bands: int
    dtype: str
    gsd_m: float
    acquired_at: datetime
    provider: str = ""
    format: str = ""
    cloud_cover: float | None = None  # percent of the image; None: no source said
    # Why the detector last skipped it ("MODEL: reason"); None once it is counted.
    unfit_reason: str | None = None
    id: int | None = None


@dataclass(frozen=True)
class Observation(_Record):
    """A count of one railcar class at a site at one time, with where it came from.

    ``railcar_class`` is a class from :data:`railwatch.railcars.CLASSES` or a
    roll-up (``freight``, ``total``) when the source gives no split (press).
    ``count_sigma`` is the source's counting uncertainty in cars (detector
    observations carry their model's; analysts and press leave it ``None``).
    """

    site: str
    observed_at: datetime
    railcar_class: str
    count: int
    method: str  # analyst | detector | press
    source: str = ""  # human-readable: image path, analyst name, outlet
    image_id: int | None = None
    model_version: str | None = None
    analyst: str | None = None
    document_id: int | None = None
    claim_id: int | None = None
    count_sigma: float | None = None
    note: str = ""
    id: int | None = None


@dataclass(frozen=True)
class Event(_Record):
    occurred_at: datetime
    title: str
    kind: str = ""
    site: str | None = None
    description: str = ""
    source: str = ""
    id: int | None = None


@dataclass(frozen=True)
class Detection(_Record):
    """One railcar found in an image.

    ``polygon`` is the oriented box in EPSG:4326 (lon, lat corners, closed ring);
    ``polygon_px`` the same corners in the image's pixel grid (col, row).
    """

    railcar_class: str
    score: float
    polygon: tuple[tuple[float, float], ...]
    polygon_px: tuple[tuple[float, float], ...] = ()
    tarped: bool = False
    image_id: int | None = None
    model_version: str = ""
    id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SiteGroup(_Record):
    """Sites analysed as one: their counts are summed per (paired) date.

    ``sites`` keeps the order given; the first is the anchor whose dates the
    group's series is dated by (see ``analyze.group``).
    """

    slug: str
    name: str
    sites: tuple[str, ...]
    description: str = ""
    id: int | None = None


@dataclass(frozen=True)
class Review(_Record):
    """An analyst's labels of one image, as last saved.

    ``labels`` are plain dicts: ``key`` (``d<detection id>`` or ``a<n>`` for a
    car the analyst drew), ``detection_id``, ``railcar_class``, ``tarped``,
    ``status`` (``detected`` untouched, ``accepted``, ``rejected``, ``added``),
    ``polygon`` (EPSG:4326 ring) and ``score`` (the detector's, None when drawn).
    ``revision`` is 0 for an image nobody has saved yet.
    """

    image_id: int
    site: str
    acquired_at: datetime
    status: str  # pending | in-progress | reviewed
    revision: int
    reviewer: str | None
    model_version: str
    labels: tuple[dict[str, Any], ...]
    updated_at: datetime | None = None
    reviewed_at: datetime | None = None


@dataclass(frozen=True)
class ReviewEdit(_Record):
    """One save of a review, kept whole so no one's work is lost to a later save."""

    image_id: int
    revision: int
    reviewer: str
    action: str  # save | reviewed
    at: datetime
    changes: tuple[dict[str, Any], ...]
    labels: tuple[dict[str, Any], ...]
    base_revision: int | None = None
    conflict: bool = False
    id: int | None = None
