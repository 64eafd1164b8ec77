"""Ingestion: check image files against a site and record them in the store.

Every file is checked in full (format, size, georeferencing, date, footprint
over the site, a small decoded window) before anything is written, and then all
of them are stored in one transaction: a batch goes in whole or not at all.
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shapely.geometry import shape
from sqlalchemy.exc import IntegrityError

from railwatch import plausible
from railwatch.errors import ImageryError, InputError, StoreError
from railwatch.imagery import location, metadata
from railwatch.imagery import sidecar as sidecars
from railwatch.imagery.source import FORMATS, RasterSource, open_source
from railwatch.plaintext import printable
from railwatch.records import Image, Site
from railwatch.store import Store
from railwatch.store import images as image_rows
from railwatch.store import sites as site_rows
from railwatch.timeparse import parse_time

log = logging.getLogger(__name__)

# A declared GSD (--gsd, STAC, sidecar) further than this from the transform's is
# probably a mistake in one of them: it is kept, with a warning.
GSD_TOLERANCE = 0.20
# A footprint wider than both of these is not an image of the site but a broken
# transform: the widest scenes of sub-metre satellites are tens of km across.
MAX_FOOTPRINT_KM = 300.0
MAX_FOOTPRINT_TO_SITE = 100.0
_CHUNK = 1024 * 1024

Progress = Callable[[int, int, str | Path], None]
Warn = Callable[[str], None]


def sha256_of(path: Path) -> str:
    """SHA-256 of the file content, read a mebibyte at a time."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
    except OSError as exc:
        raise ImageryError(f"{path}: cannot be read: {exc.strerror}") from None
    return digest.hexdigest()


def remote_identity(src: RasterSource, window: Any) -> str:
    """A SHA-256 standing for a remote image's content, from a few kilobytes of it.

    Hashing the whole file would download it, which is what reading by ranges is
    for avoiding. The URL, the size where the server gives it, the header (grid,
    georeferencing, bands, tiling) and the decoded pixels at the centre of the
    site make one image's identity: the same URL re-added is found again, and a file
    replaced at that URL is seen as new unless its header and those pixels are
    unchanged too.
    """
    digest = hashlib.sha256(b"railwatch remote image v1\0")
    ds = src.dataset
    header = [
        str(src.path),
        src.file_bytes,
        src.driver,
        src.width,
        src.height,
        src.count,
        list(ds.dtypes),
        src.crs.to_wkt(),
        list(src.transform)[:6],
        list(ds.block_shapes[0]),
        ds.overviews(1) if src.driver == "GTiff" else [],
        src.nodata,
    ]
    digest.update(repr(header).encode())
    w, h = min(256, int(window.width)), min(256, int(window.height))
    cx = int(window.col_off + window.width / 2 - w / 2)
    cy = int(window.row_off + window.height / 2 - h / 2)
    from rasterio.windows import Window

    digest.update(src.read(Window(cx, cy, w, h)).tobytes())
    return digest.hexdigest()


def _acquisition(
    path: str | Path,
    src: RasterSource,
    acquired: datetime | None,
    stac: sidecars.StacItem | None,
) -> tuple[datetime, dict[str, Any]]:
    tag_time, tag_name, unparsed = metadata.acquisition_from_tags(src.dataset)
    meta: dict[str, Any] = {}
    if tag_name:
        meta["datetime_tag"] = tag_name
    if unparsed:
        meta["unparsed_date_tags"] = unparsed
    choices: list[tuple[datetime | None, str]] = [
        (acquired, "--acquired"),
        (stac.acquired if stac else None, f"STAC {stac.path.name}" if stac else ""),
        (tag_time, f"tag {tag_name}"),
        (src.sidecar.acquired if src.sidecar else None, "sidecar"),
    ]
    when, source = next(((w, s) for w, s in choices if w is not None), (None, ""))
    if when is None:
        hint = f" (unreadable date tags: {', '.join(unparsed)})" if unparsed else ""
        beside = (
            "" if location.is_remote(path) else f", or {Path(path).name}.stac.json beside the image"
        )
        raise ImageryError(
            f"{path}: no acquisition time found{hint}; give it with --acquired "
            f"2023-10-05T02:13:00Z or a STAC item (--stac ITEM.json{beside})"
        )
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    when = when.astimezone(UTC)
    try:
        plausible.check_time(when, f"acquisition time (from {source})")
    except InputError as exc:
        raise ImageryError(f"{path}: {exc} (with --acquired)") from None
    meta["datetime_source"] = source
    return when, meta


def _gsd(
    path: str | Path,
    src: RasterSource,
    gsd: float | None,
    stac: sidecars.StacItem | None,
    warn: Warn,
) -> tuple[float, dict[str, Any]]:
    try:
        gx, gy = metadata.pixel_size_m(src.crs, src.transform, src.width, src.height)
        from_transform = (gx + gy) / 2
    except Exception:  # a CRS pyproj cannot take to lon/lat
        gx = gy = from_transform = math.nan
    meta: dict[str, Any] = {}
    if math.isfinite(from_transform) and from_transform > 0:
        # A transform whose pixels are not a plausible size is wrong, whatever a declared
        # GSD says: the footprint and every detection's place come from it.
        for size in (gx, gy):
            try:
                plausible.check_gsd(size, "pixel")
            except InputError:
                raise ImageryError(
                    f"{path}: the {src.georef.get('transform', 'file')} transform gives pixels "
                    f"of {gx:.3g} × {gy:.3g} m on the ground, not a plausible ground sample "
                    f"distance ({plausible.MIN_GSD_M:g}–{plausible.MAX_GSD_M:g} m); "
                    "check its transform"
                ) from None
        meta["gsd_transform_m"] = round(from_transform, 6)
        meta["pixel_size_m"] = [round(gx, 6), round(gy, 6)]
    if gsd is not None:
        try:
            plausible.check_gsd(gsd, "--gsd")
        except InputError as exc:
            raise ImageryError(f"{path}: {exc}") from None
    declared = [
        (gsd, "--gsd"),
        (stac.gsd if stac else None, "STAC properties.gsd"),
        (src.sidecar.gsd if src.sidecar else None, "sidecar gsd"),
    ]
    value, source = next(((v, s) for v, s in declared if v is not None), (None, "transform"))
    if value is None:
        if "gsd_transform_m" not in meta:
            raise ImageryError(f"{path}: cannot work out the GSD from its CRS; give it with --gsd")
        value = from_transform
    elif "gsd_transform_m" in meta and abs(value - from_transform) > GSD_TOLERANCE * from_transform:
        warn(
            f"{path}: {source} says GSD {value:.3g} m but the transform gives "
            f"{from_transform:.3g} m; using {value:.3g} m"
        )
        meta["gsd_disagrees"] = True
    meta["gsd_source"] = source
    return float(value), meta


def _cloud(
    path: str | Path, src: RasterSource, cloud: float | None, stac: sidecars.StacItem | None
) -> dict[str, Any]:
    """Cloud cover in percent and where it came from; nothing when no source says.

    Counts from a cloudy image are unreliable both ways (cars hidden, cloud edges
    and shadows taken for cars), so the analysis needs to know which images were.
    """
    if cloud is not None:
        sidecars.cloud_percent(cloud, "--cloud-cover", str(path))
    tag_value, tag_name, unreadable = metadata.cloud_cover_from_tags(src.dataset)
    choices: list[tuple[float | None, str]] = [
        (cloud, "--cloud-cover"),
        (stac.cloud_cover if stac else None, "STAC eo:cloud_cover"),
        (src.sidecar.cloud_cover if src.sidecar else None, "sidecar cloud_cover"),
        (tag_value, f"tag {tag_name}"),
    ]
    meta: dict[str, Any] = {"unreadable_cloud_tags": unreadable} if unreadable else {}
    for value, source in choices:
        if value is not None:
            return {**meta, "cloud_cover": float(value), "cloud_cover_source": source}
    return meta


def _extent_km(geom: Any) -> float:
    """The longer side of a lon/lat geometry's bounding box, in km along the ground."""
    w, s, e, n = geom.bounds
    mid = (s + n) / 2
    across = abs(metadata.GEOD.inv(w, mid, e, mid)[2]) if e > w else 0.0
    along = abs(metadata.GEOD.inv(w, s, w, n)[2])
    return max(across, along) / 1000


def _check_extent(path: str | Path, area: Any, site: Site) -> None:
    """Refuse a footprint far larger than both the site and any sub-metre scene."""
    image_km, site_km = _extent_km(area), _extent_km(shape(site.geometry))
    limit = max(MAX_FOOTPRINT_KM, MAX_FOOTPRINT_TO_SITE * site_km)
    if image_km > limit:
        raise ImageryError(
            f"{path}: its footprint is {image_km:,.0f} km across, far larger than site "
            f"{site.slug!r} ({site_km:.1f} km; at most {limit:,.0f} km is taken for one scene); "
            "check its transform"
        )


def _layout(src: RasterSource) -> dict[str, Any]:
    ds = src.dataset
    bh, bw = ds.block_shapes[0]
    tiled = src.driver == "GTiff" and (bw != src.width or bw == bh)
    overviews = ds.overviews(1) if src.driver == "GTiff" else []
    structure = ds.tags(ns="IMAGE_STRUCTURE")
    out: dict[str, Any] = {
        "tiled": bool(tiled),
        "block_shape": [int(bh), int(bw)],
        "overviews": [int(o) for o in overviews],
        "cog": structure.get("LAYOUT", "").upper() == "COG" or bool(tiled and overviews),
        "compression": structure.get("COMPRESSION", ""),
        "interleave": structure.get("INTERLEAVE", ""),
        "nodata": src.nodata,
    }
    if len(set(ds.dtypes)) > 1:
        out["dtypes"] = list(ds.dtypes)
    return out


def describe(
    path: str | Path,
    *,
    site: Site,
    acquired: datetime | str | None = None,
    gsd: float | None = None,
    stac: str | Path | None = None,
    provider: str | None = None,
    cloud_cover: float | None = None,
    warn: Warn | None = None,
) -> tuple[Image, dict[str, Any]]:
    """Check one image against a site and describe it, without storing anything.

    ``path`` may be a URL (``https://``, ``s3://`` …): the image is then read in
    ranges where it lies, identified by :func:`remote_identity`, and nothing is
    looked for beside it.

    Returns:
        The image record (no id yet) and the extra metadata for its ``meta`` column.

    Raises:
        ImageryError: the file is unreadable, unsupported, too big, not georeferenced,
            not dated, or does not cover the site.
    """
    url = location.remote_url(path)
    local = Path(path) if url is None else None
    path = url if local is None else local
    if isinstance(acquired, str):
        acquired = parse_time(acquired, what="--acquired")
    import rasterio

    # Inside an Env GDAL's messages go to rasterio's handler, not straight to stderr.
    with rasterio.Env(), open_source(path) as src:
        if stac:
            stac_item = sidecars.read_stac(Path(stac), path)
        else:
            stac_item = sidecars.find_stac(local) if local is not None else None
        try:
            outline = metadata.footprint(src.crs, src.transform, src.width, src.height)
        except Exception as exc:  # GDAL cannot take this CRS to lon/lat
            raise ImageryError(f"{path}: cannot place the image on the globe: {exc}") from None
        area = shape(outline)
        if not area.intersects(shape(site.geometry)):
            w, s, e, n = area.bounds
            raise ImageryError(
                f"{path}: does not cover site {site.slug!r} (image spans lon {w:.4f}..{e:.4f}, "
                f"lat {s:.4f}..{n:.4f})"
            )
        window = src.window_for(site.geometry)
        checked = src.verify(window)
        when, time_meta = _acquisition(path, src, acquired, stac_item)
        gsd_m, gsd_meta = _gsd(path, src, gsd, stac_item, warn or log.warning)
        _check_extent(path, area, site)
        if provider is not None and provider.strip():
            who, who_source = provider.strip(), "--provider"
        elif stac_item and stac_item.provider:
            who, who_source = stac_item.provider, f"STAC {stac_item.provider_field}"
        elif src.sidecar and src.sidecar.provider:
            who, who_source = src.sidecar.provider, "sidecar"
        else:
            who, who_source = "", ""
        who = printable(who).strip()  # tags and sidecars are someone else's text
        meta: dict[str, Any] = {
            **time_meta,
            **gsd_meta,
            **_cloud(path, src, cloud_cover, stac_item),
            "provider_source": who_source,
            "georef": src.georef,
            "sidecar": str(src.sidecar.path) if src.sidecar else None,
            "stac": str(stac_item.path) if stac_item else None,
            **_layout(src),
            "site_window": [
                int(window.col_off),
                int(window.row_off),
                int(window.width),
                int(window.height),
            ],
            "verified": checked,
            "file_bytes": src.file_bytes,
        }
        if local is None:
            meta["identity"] = "remote: URL, size, header and the decoded site centre"
        image = Image(
            path=str(local.resolve()) if local is not None else str(path),
            sha256=sha256_of(local) if local is not None else remote_identity(src, window),
            site=site.slug,
            crs=metadata.crs_text(src.crs),
            bounds=tuple(round(v, 9) for v in src.bounds),  # type: ignore[arg-type]
            footprint=outline,
            width=src.width,
            height=src.height,
            bands=src.count,
            dtype=src.dtype,
            gsd_m=round(gsd_m, 6),
            acquired_at=when,
            provider=who,
            format=src.driver,
            cloud_cover=meta.get("cloud_cover"),
        )
    return image, meta


def ingest(
    store: Store,
    paths: Sequence[str | Path],
    *,
    site: str,
    acquired: datetime | str | None = None,
    gsd: float | None = None,
    stac: str | Path | None = None,
    provider: str | None = None,
    cloud_cover: float | None = None,
    progress: Progress | None = None,
    warn: Warn | None = None,
) -> list[tuple[Image, str]]:
    """Check image files and record them for a site, all or none.

    Args:
        store: where to record them.
        paths: GeoTIFF/COG, PNG or JPEG files, or URLs of GeoTIFF/COGs (as strings).
        site: slug of the site they must cover.
        acquired: acquisition time for every file, overriding STAC and tags.
        gsd: ground sample distance in metres, overriding STAC and the transform.
        stac: a STAC item supplying time, GSD and provider for every file.
        provider: who supplied the imagery, overriding STAC.
        cloud_cover: percent of the image under cloud, overriding STAC, sidecar and tags.
        progress: called as ``progress(done, total, path)`` after each file is checked.
        warn: called with a message when something looks wrong but is not refused
            (a declared GSD far from the transform's); logged as a warning if None.

    Returns:
        Each image as stored with what happened: ``added``, ``updated`` (same
        content already recorded for this site, but its sidecar, world file or
        options now describe it differently, or its old path is gone: a new
        placement drops its detections, to be counted again) or ``already stored``.

    Raises:
        ImageryError: a file is bad; the message names it and nothing is stored.
        NotFoundError: the site is unknown.
    """
    if not paths:
        raise InputError("no image files given")
    with store.transaction() as session:
        target = site_rows.get(session, site)
    if isinstance(acquired, str):
        acquired = parse_time(acquired, what="--acquired")
    described = []
    for i, p in enumerate(paths, 1):
        described.append(
            describe(
                p,
                site=target,
                acquired=acquired,
                gsd=gsd,
                stac=stac,
                provider=provider,
                cloud_cover=cloud_cover,
                warn=warn,
            )
        )
        if progress is not None:
            progress(i, len(paths), location.remote_url(p) or Path(p))
    # Another process adding the same file between our look-up and our insert makes
    # the unique (site, sha256) key refuse the insert; the whole transaction is
    # rolled back and tried once more, when the look-up finds the other's row.
    done: list[tuple[Image, str]] = []
    try:
        return _store_described(store, site, described, done)
    except IntegrityError:
        pass
    try:
        return _store_described(store, site, described, done)
    except IntegrityError as exc:
        path = described[len(done)][0].path
        raise StoreError(f"{path}: the store refused the image: {exc.orig}") from exc


def _store_described(
    store: Store,
    site: str,
    described: list[tuple[Image, dict[str, Any]]],
    done: list[tuple[Image, str]],
) -> list[tuple[Image, str]]:
    """Add what is not stored yet, in one transaction; ``done`` grows as it goes.

    The same file described differently (a corrected sidecar, world file or
    ``--acquired``) updates the stored record; only a new path is not a change.
    """
    done.clear()
    with store.transaction() as session:
        for image, meta in described:
            known = image_rows.find(session, site, image.sha256)
            if known is None:
                done.append((image_rows.add(session, image, meta), "added"))
            elif image_rows.changes(known, image) or location.missing(known.path):
                assert known.id is not None
                done.append((image_rows.redescribe(session, known.id, image, meta), "updated"))
            else:
                done.append((known, "already stored"))
    return done


def remove_image(store: Store, image_id: int) -> tuple[Image, int, int]:
    """Forget an image: its record, its detections and the observations made from it.

    All in one transaction; the file itself is left alone.

    Returns:
        The image as it was, and how many detections and observations went with it.

    Raises:
        NotFoundError: no image has this id.
    """
    with store.transaction() as session:
        return image_rows.remove(session, image_id)


def list_images(store: Store, *, site: str | None = None) -> list[Image]:
    """Images in the store (of one site), in acquisition order."""
    with store.transaction() as session:
        if site is not None:
            site_rows.row_for(session, site)
        return image_rows.list_images(session, site=site)


def get_image(store: Store, image_id: int) -> tuple[Image, dict[str, Any]]:
    """One stored image and its ``meta`` (sources of its date and GSD, layout, checks).

    Raises:
        NotFoundError: no image has this id.
    """
    with store.transaction() as session:
        return image_rows.get(session, image_id), image_rows.meta_of(session, image_id)


def set_cloud_cover(
    store: Store, image_id: int, percent: float, *, source: str = "analyst"
) -> Image:
    """Record an image's cloud cover when its metadata gave none, or gave it wrong.

    Detector counts of the image are kept; the analysis reads the new figure the
    next time it runs.

    Raises:
        ImageryError: ``percent`` is not within 0-100.
        NotFoundError: no image has this id.
    """
    sidecars.cloud_percent(percent, "cloud cover", f"image {image_id}")
    with store.transaction() as session:
        return image_rows.set_cloud_cover(session, image_id, float(percent), source)


__all__ = [
    "FORMATS",
    "describe",
    "get_image",
    "ingest",
    "list_images",
    "remove_image",
    "set_cloud_cover",
    "sha256_of",
]
