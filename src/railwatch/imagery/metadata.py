"""What an image's header tells: when it was taken, its ground sample distance, its footprint.

All of it comes from metadata and the affine transform; no pixel is decoded.
"""

from __future__ import annotations

import contextlib
import math
import re
from datetime import UTC, datetime
from typing import Any

import numpy as np
from affine import Affine
from pyproj import Geod
from rasterio.crs import CRS
from rasterio.warp import transform as warp_points
from shapely.geometry import Polygon, mapping
from shapely.validation import make_valid

from railwatch.errors import InputError
from railwatch.timeparse import parse_time

GEOD = Geod(ellps="WGS84")
_EXIF = re.compile(r"^(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})")

# Tag names (upper case, letters and digits only) in order of trust. TIFFTAG_DATETIME
# is when the file was written, which for most products is close to, but after,
# the acquisition, so explicit acquisition tags win over it.
_FIRST = ("ACQUISITIONDATETIME", "ACQUISITIONTIME", "ACQUISITIONSTARTTIME", "ACQUIRED")
_LATER = ("EXIFDATETIMEORIGINAL", "DATETIMEORIGINAL", "TIFFTAGDATETIME", "DATETIME")
# Metadata domains that never hold dates (pixel layout, XML blobs, RPC numbers).
_SKIP_DOMAINS = ("IMAGE_STRUCTURE", "DERIVED_SUBDATASETS", "RPC", "GEOLOCATION", "TIFF")


def _rank(key: str) -> int | None:
    norm = re.sub(r"[^A-Z0-9]", "", key.upper())
    if norm in _FIRST:
        return _FIRST.index(norm)
    if "ACQUI" in norm and ("DATE" in norm or "TIME" in norm):
        return len(_FIRST)
    if any(w in norm for w in ("SENSING", "IMAGING", "CAPTURE", "COLLECT")) and (
        "DATE" in norm or "TIME" in norm
    ):
        return len(_FIRST) + 1
    if norm in _LATER:
        return len(_FIRST) + 2 + _LATER.index(norm)
    return None


def parse_tag_time(value: str) -> datetime | None:
    """A time from a tag: EXIF/TIFF ``YYYY:MM:DD HH:MM:SS`` or ISO 8601; None if neither."""
    text = value.strip()
    m = _EXIF.match(text)
    try:
        if m:
            return datetime(*(int(g) for g in m.groups()), tzinfo=UTC)  # type: ignore[misc]
        if len(text) < 10 or not text[:4].isdigit():
            return None
        return parse_time(text)
    except (ValueError, InputError):
        return None


def tags_of(dataset: Any) -> list[tuple[str, str, str]]:
    """(domain, key, value) of every text tag of the dataset and its first band."""
    found: list[tuple[str, str, str]] = []
    domains: list[str | None] = [None]
    # Some drivers cannot list domains; the default one is enough then.
    with contextlib.suppress(Exception):
        domains += [d for d in dataset.tag_namespaces() if d and not d.startswith("xml:")]
    for domain in domains:
        if domain in _SKIP_DOMAINS:
            continue
        for bidx in (0, 1):
            try:
                tags = dataset.tags(bidx, ns=domain) if domain else dataset.tags(bidx)
            except Exception:
                continue
            found += [(domain or "", k, v) for k, v in tags.items() if isinstance(v, str)]
    return found


# Cloud-cover tags (normalised as above): percent, or a 0-1 fraction. Providers name
# them variously; railwatch's own simulator writes CLOUD_FRACTION.
_CLOUD_PERCENT = ("CLOUDCOVER", "CLOUDCOVERPERCENT", "CLOUDCOVERAGE", "CLOUDPERCENT")
_CLOUD_FRACTION = ("CLOUDFRACTION",)


def cloud_cover_from_tags(dataset: Any) -> tuple[float | None, str, list[str]]:
    """The image's cloud cover in percent, from its tags.

    Returns:
        The percentage (or None), the tag it came from (``DOMAIN:KEY``), and
        cloud tags whose value is not a number in range (kept for the record).
    """
    unreadable: list[str] = []
    for domain, key, value in tags_of(dataset):
        norm = re.sub(r"[^A-Z0-9]", "", key.upper())
        if norm not in _CLOUD_PERCENT + _CLOUD_FRACTION:
            continue
        name = f"{domain}:{key}" if domain else key
        try:
            number = float(value.strip().rstrip("%"))
        except ValueError:
            number = math.nan
        percent = number * 100 if norm in _CLOUD_FRACTION else number
        if math.isfinite(percent) and 0 <= percent <= 100:
            return round(percent, 3), name, unreadable
        unreadable.append(f"{name}={value[:40]!r}")
    return None, "", unreadable


def acquisition_from_tags(
    dataset: Any,
) -> tuple[datetime | None, str, list[str]]:
    """The most trusted acquisition time among the file's tags.

    Returns:
        The time (or None), the tag it came from (``DOMAIN:KEY``), and the date-like
        tags that could not be parsed (for the error message when nothing is found).
    """
    candidates: list[tuple[int, str, datetime]] = []
    unparsed: list[str] = []
    for domain, key, value in tags_of(dataset):
        rank = _rank(key)
        if rank is None:
            continue
        name = f"{domain}:{key}" if domain else key
        when = parse_tag_time(value)
        if when is None:
            unparsed.append(f"{name}={value[:40]!r}")
        else:
            candidates.append((rank, name, when))
    if not candidates:
        return None, "", unparsed
    rank, name, when = min(candidates, key=lambda c: c[0])
    return when, name, unparsed


#: No point on Earth is further than this from a projection's origin (the equator is
#: 40 075 km round); a geographic grid stays within a turn and a half of longitude.
_MAX_PROJECTED_M = 1e8
_MAX_DEGREES = 540.0


def off_earth(crs: CRS, transform: Affine, width: int, height: int) -> str | None:
    """Why the image's corners cannot be on Earth in its CRS; None when they can.

    Checked before any reprojection: GDAL takes minutes, or forever, to give up on
    a point 1e300 m from the origin of a Web Mercator grid.
    """
    xs, ys = transform * (
        np.array([0, width, width, 0], dtype=float),
        np.array([0, 0, height, height], dtype=float),
    )
    far = float(max(np.abs(xs).max(), np.abs(ys).max()))
    if not math.isfinite(far):
        return "its transform gives corners at infinity"
    if crs.is_geographic:
        return None if far <= _MAX_DEGREES else f"its corners lie {far:.3g}° from the origin"
    try:
        _unit, factor = crs.linear_units_factor
    except Exception:  # a CRS with no linear unit: nothing to compare with
        return None
    metres = far * factor
    if metres <= _MAX_PROJECTED_M:
        return None
    return f"its corners lie {metres:.3g} m from the origin of its CRS, off the Earth"


def pixel_size_m(crs: CRS, transform: Affine, width: int, height: int) -> tuple[float, float]:
    """Ground size of the centre pixel (along columns, along rows) in metres on the WGS84 ellipsoid.

    Geodesic distances make this right for geographic CRSs (degrees) and for
    projections whose units are not metres on the ground (Web Mercator, feet).

    Raises:
        ValueError: the grid is off the Earth (see :func:`off_earth`).
    """
    why = off_earth(crs, transform, width, height)
    if why is not None:
        raise ValueError(why)
    cx, cy = width / 2, height / 2
    cols = np.array([cx, cx + 1, cx], dtype=float)
    rows = np.array([cy, cy, cy + 1], dtype=float)
    xs, ys = transform * (cols, rows)
    lons, lats = warp_points(crs, "EPSG:4326", list(map(float, xs)), list(map(float, ys)))
    _, _, dx = GEOD.inv(lons[0], lats[0], lons[1], lats[1])
    _, _, dy = GEOD.inv(lons[0], lats[0], lons[2], lats[2])
    return float(dx), float(dy)


def footprint(
    crs: CRS, transform: Affine, width: int, height: int, per_edge: int = 32
) -> dict[str, Any]:
    """The image outline as a GeoJSON Polygon in EPSG:4326, edges densified before reprojecting.

    Raises:
        ValueError: the grid is off the Earth, or its corners do not map to lon/lat.
    """
    why = off_earth(crs, transform, width, height)
    if why is not None:
        raise ValueError(why)
    t = np.linspace(0.0, 1.0, per_edge, endpoint=False)
    cols = np.concatenate(
        [t * width, np.full(per_edge, width), (1 - t) * width, np.zeros(per_edge)]
    )
    rows = np.concatenate(
        [np.zeros(per_edge), t * height, np.full(per_edge, height), (1 - t) * height]
    )
    xs, ys = transform * (cols, rows)
    lons, lats = warp_points(crs, "EPSG:4326", list(map(float, xs)), list(map(float, ys)))
    ring = [(round(x, 8), round(y, 8)) for x, y in zip(lons, lats, strict=True)]
    if not all(math.isfinite(v) for p in ring for v in p):
        raise ValueError("footprint corners do not map to longitude/latitude")
    poly = Polygon(ring)
    if not poly.is_valid:
        poly = make_valid(poly)
        if poly.geom_type != "Polygon":
            poly = poly.convex_hull
    poly = Polygon(poly.exterior.coords)
    if not poly.exterior.is_ccw:
        poly = Polygon(list(poly.exterior.coords)[::-1])
    geo = mapping(poly)
    return {"type": "Polygon", "coordinates": [[list(p) for p in geo["coordinates"][0]]]}


def crs_text(crs: CRS) -> str:
    """``EPSG:xxxx`` when the CRS has an EPSG code, else its WKT."""
    code = crs.to_epsg()
    return f"EPSG:{code}" if code else crs.to_wkt()
