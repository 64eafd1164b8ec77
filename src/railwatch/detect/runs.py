"""Running the detector: on image files, or on every stored image of a site.

A run turns boxes in pixels into :class:`railwatch.records.Detection` records
in EPSG:4326, and in store mode into one detector observation per railcar
class per image, tagged with the model version and its counting uncertainty.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from pyproj import CRS, Transformer

from railwatch.detect import geometry, raster
from railwatch.detect.model import (
    Detector,
    ModelInfo,
    OnnxDetector,
    load_model,
    read_info,
    sha256_of,
)
from railwatch.detect.slicing import DEFAULT_GSD_RANGE, Region, detect_raster
from railwatch.errors import DetectionError, ImageryError, UnfitImageError
from railwatch.railcars import CLASSES
from railwatch.records import Detection, Image, Observation

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]

#: GDAL block cache while detecting (MB).
GDAL_CACHE_MB = 64

#: Extra ground (metres) read around a site so cars on its edge are seen whole.
SITE_PAD_M = 40.0


@dataclass(frozen=True)
class ImageResult:
    """What the detector found in one image."""

    path: str
    model_version: str
    gsd: float
    detections: tuple[Detection, ...]
    counts: dict[str, int]
    seconds: float
    megapixels: float  # at the model's GSD
    image_id: int | None = None
    acquired_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self, with_detections: bool = False) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "path": self.path,
            "image_id": self.image_id,
            "acquired_at": self.acquired_at,
            "model_version": self.model_version,
            "gsd_m": round(self.gsd, 4),
            "n_detections": len(self.detections),
            "counts": dict(self.counts),
            "seconds": round(self.seconds, 3),
            "megapixels": round(self.megapixels, 3),
        }
        if with_detections:
            doc["detections"] = [d.to_dict() for d in self.detections]
        return doc


def info_of(detector: Detector) -> ModelInfo | None:
    return getattr(detector, "info", None)


def as_detector(model: Detector | str | Path | None) -> Detector:
    """A detector from a model file, an existing detector, or the shipped model."""
    if model is None or isinstance(model, str | Path):
        return load_model(model)
    return model


@contextmanager
def open_raster(path: str | Path) -> Iterator[Any]:
    """The image through :func:`railwatch.imagery.open_source`, with GDAL's cache capped."""
    import rasterio

    from railwatch.imagery import open_source

    # GDAL's block cache defaults to 5 % of RAM and fills as a big scene streams past:
    # cap it, so peak memory does not grow with the scene.
    with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB), open_source(path) as src:
        yield src


def site_region(
    src: Any, geometry_4326: dict[str, Any], pad_m: float = SITE_PAD_M
) -> Region | None:
    """The native-pixel window covering a site polygon (padded), or None when they do not meet."""
    from shapely.geometry import shape
    from shapely.ops import transform as shp_transform

    to_img = Transformer.from_crs("EPSG:4326", CRS.from_user_input(src.crs), always_xy=True)
    poly = shp_transform(to_img.transform, shape(geometry_4326))
    inverse = ~src.transform
    xs, ys = np.asarray(
        poly.exterior.coords if poly.geom_type == "Polygon" else poly.convex_hull.exterior.coords
    ).T
    cols, rows = inverse * (xs, ys)
    gx, gy = raster.pixel_size_of(src.crs, src.transform, src.width, src.height)
    pad_c, pad_r = pad_m / gx, pad_m / gy
    if not (np.isfinite(cols).all() and np.isfinite(rows).all()):
        return None
    c0 = max(0, math.floor(cols.min() - pad_c))
    c1 = min(src.width, math.ceil(cols.max() + pad_c))
    r0 = max(0, math.floor(rows.min() - pad_r))
    r1 = min(src.height, math.ceil(rows.max() + pad_r))
    if c1 <= c0 or r1 <= r0:
        return None
    return Region(c0, r0, c1 - c0, r1 - r0)


def _detections(found: Any, src: Any, version: str, image_id: int | None) -> list[Detection]:
    if len(found) == 0:
        return []
    to_geo = Transformer.from_crs(CRS.from_user_input(src.crs), "EPSG:4326", always_xy=True)
    px = found.corners.reshape(-1, 2)
    xs, ys = src.transform * (px[:, 0], px[:, 1])
    lon, lat = to_geo.transform(np.asarray(xs), np.asarray(ys))
    rings = geometry.ccw_rings(np.column_stack([lon, lat]).reshape(-1, 4, 2))
    rings_px = np.round(np.concatenate([found.corners, found.corners[:, :1]], axis=1), 2)
    out = []
    for ring, ring_px, score, cls, tarp in zip(
        rings.tolist(), rings_px.tolist(), found.scores, found.classes, found.tarped, strict=True
    ):
        out.append(
            Detection(
                railcar_class=CLASSES[int(cls)],
                score=round(float(score), 4),
                polygon=tuple(map(tuple, ring)),
                polygon_px=tuple(map(tuple, ring_px)),
                tarped=bool(tarp >= 0.5),
                image_id=image_id,
                model_version=version,
                extra={"tarp_score": round(float(tarp), 3)},
            )
        )
    return out


def _inside(detections: list[Detection], geometry_4326: dict[str, Any]) -> list[Detection]:
    from shapely.geometry import Point, shape

    site = shape(geometry_4326)
    keep = []
    for d in detections:
        lon = sum(p[0] for p in d.polygon[:4]) / 4
        lat = sum(p[1] for p in d.polygon[:4]) / 4
        if site.contains(Point(lon, lat)):
            keep.append(d)
    return keep


def counts_of(detections: Sequence[Detection]) -> dict[str, int]:
    """Cars per class, every class present (zeros included)."""
    counts = dict.fromkeys(CLASSES, 0)
    for d in detections:
        counts[d.railcar_class] = counts.get(d.railcar_class, 0) + 1
    return counts


def detect_file(
    path: str | Path,
    detector: Detector,
    *,
    site_geometry: dict[str, Any] | None = None,
    image_id: int | None = None,
    acquired_at: datetime | None = None,
    batch: int = 4,
    progress: Callable[[int, int], None] | None = None,
) -> ImageResult:
    """Detect railcars in one image file (the site's window of it when a site is given).

    Raises:
        ImageryError: the file cannot be read or has no georeference.
        UnfitImageError: the model cannot count it: its GSD is outside the model's
            range, its georeferencing gives no ground size, it misses the site, or its
            bands are not an image.
    """
    started = time.perf_counter()
    info = info_of(detector)
    with open_raster(path) as src:
        try:
            size = raster.pixel_size_of(src.crs, src.transform, src.width, src.height)
        except ImageryError as exc:
            raise UnfitImageError(f"{path}: {exc}") from None
        gsd = (size[0] + size[1]) / 2
        region = None
        if site_geometry is not None:
            region = site_region(src, site_geometry)
            if region is None:
                raise UnfitImageError(f"{path}: the image does not cover the site")
        try:
            found = detect_raster(
                src,
                detector,
                gsd=size,
                region=region,
                tile=info.tile if info else 1024,
                overlap=info.overlap if info else 96,
                gsd_range=tuple(info.gsd_range) if info else DEFAULT_GSD_RANGE,  # type: ignore[arg-type]
                batch=batch,
                progress=progress,
            )
        except DetectionError as exc:
            raise type(exc)(f"{path}: {exc}") from None
        detections = _detections(found, src, detector.version, image_id)
    if site_geometry is not None:
        detections = _inside(detections, site_geometry)
    return ImageResult(
        path=str(path),
        model_version=detector.version,
        gsd=gsd,
        detections=tuple(detections),
        counts=counts_of(detections),
        seconds=time.perf_counter() - started,
        megapixels=found.model_pixels / 1e6,
        image_id=image_id,
        acquired_at=acquired_at,
    )


def detect_image(path: str | Path, model: Detector | str | Path | None = None) -> list[Detection]:
    """All railcars in an image file, with the shipped model unless another is given.

    Raises:
        ImageryError: the file cannot be read.
        DetectionError: the model is missing, or the image's GSD is outside its range.
    """
    return list(detect_file(path, as_detector(model)).detections)


def run_paths(
    paths: Sequence[str | Path],
    *,
    model: Detector | str | Path | None = None,
    site_geometry: dict[str, Any] | None = None,
    progress: Progress | None = None,
) -> list[ImageResult]:
    """Detect in each image file (one-off: nothing is stored)."""
    detector = as_detector(model)
    results = []
    for i, p in enumerate(paths):
        results.append(detect_file(p, detector, site_geometry=site_geometry))
        if progress is not None:
            progress(str(p), i + 1, len(paths))
    return results


def to_geojson(results: Sequence[ImageResult]) -> dict[str, Any]:
    """An RFC 7946 FeatureCollection of every detection (lon/lat, counter-clockwise rings)."""
    features = []
    for r in results:
        for d in r.detections:
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Polygon", "coordinates": [[list(p) for p in d.polygon]]},
                    "properties": {
                        "class": d.railcar_class,
                        "score": d.score,
                        "tarped": d.tarped,
                        "image": r.path,
                        "image_id": r.image_id,
                        "acquired_at": r.acquired_at.isoformat().replace("+00:00", "Z")
                        if r.acquired_at
                        else None,
                        "model_version": d.model_version,
                    },
                }
            )
    return {"type": "FeatureCollection", "features": features}


# ----------------------------------------------------------------------------- store mode


def use_model(store: Any, model_path: str | Path) -> dict[str, Any]:
    """Register a model file in the store and make it the active one.

    Raises:
        DetectionError: the file is not a loadable railwatch model.
    """
    from railwatch.store import detections as stored

    path = Path(model_path).expanduser().resolve()
    info = read_info(path)
    OnnxDetector(path, info)  # fail now, not at the next detect, if onnxruntime cannot load it
    with store.transaction() as session:
        return stored.register_model(
            session,
            version=info.version,
            path=str(path),
            sha256=sha256_of(path),
            meta=info.to_dict(),
        )


def list_models(store: Any) -> list[dict[str, Any]]:
    """Models the store knows, plus the shipped one (active when no other is)."""
    from railwatch.store import detections as stored

    with store.transaction() as session:
        return with_shipped(stored.list_models(session))


def with_shipped(models: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The store's model rows plus the shipped model, which is used without being registered.

    Counts made by the shipped model carry its version like any other; whoever
    reads them back (the analysis for counting errors, the report for benchmark
    figures) needs its metadata even in a store where ``models use`` never ran.
    """
    from railwatch.detect.model import SHIPPED_MODEL

    models = list(models)
    if not SHIPPED_MODEL.is_file():
        return models
    info = read_info(SHIPPED_MODEL)
    if not any(m["version"] == info.version for m in models):
        models.insert(
            0,
            {
                "version": info.version,
                "path": str(SHIPPED_MODEL),
                "sha256": sha256_of(SHIPPED_MODEL),
                "active": not any(m["active"] for m in models),
                "meta": info.to_dict(),
                "registered_at": None,
                "shipped": True,
            },
        )
    return models


def active_detector(store: Any) -> Detector:
    """The store's active model, or the shipped one."""
    from railwatch.store import detections as stored

    with store.transaction() as session:
        active = stored.active_model(session)
    if active is None:
        return load_model()
    if not Path(active["path"]).is_file():
        raise DetectionError(
            f"the active model {active['version']} is missing at {active['path']}; "
            "run 'railwatch models use FILE' again"
        )
    return load_model(active["path"])


def run_site(
    store: Any,
    site: str,
    *,
    since: datetime | None = None,
    rerun: bool = False,
    progress: Progress | None = None,
    model: Detector | str | Path | None = None,
    on_skip: Callable[[Image, str], None] | None = None,
) -> list[ImageResult]:
    """Detect in every stored image of a site that the active model has not processed yet.

    Each image is one transaction: its earlier detections and detector
    observations by this model are replaced, so re-running is safe. An image
    the model cannot count (GSD outside its range, georeferencing with no ground
    size, a file gone or unreadable) is skipped: why is recorded on the image
    (``unfit_reason``) and given to ``on_skip`` (logged as a warning if None), and
    the other images are processed. It is tried again at the next run, so a
    model made for it, or a corrected file, counts it then.

    Raises:
        NotFoundError: no such site.
        DetectionError: the model cannot run at all.
    """
    from railwatch.store import detections as stored
    from railwatch.store import images as stored_images
    from railwatch.store import observations as stored_obs
    from railwatch.store import sites as stored_sites

    detector = active_detector(store) if model is None else as_detector(model)
    info = info_of(detector)
    with store.transaction() as session:
        geometry_4326 = stored_sites.get(session, site).geometry
        images = stored_images.list_images(session, site=site, since=since)
        done = stored.processed_image_ids(session, detector.version)
    todo = [im for im in images if rerun or im.id not in done]
    results = []
    for i, image in enumerate(todo):
        assert image.id is not None
        try:
            result = detect_file(
                image.path,
                detector,
                site_geometry=geometry_4326,
                image_id=image.id,
                acquired_at=image.acquired_at,
            )
        except (UnfitImageError, ImageryError) as exc:
            reason = str(exc).removeprefix(f"{image.path}: ")
            with store.transaction() as session:
                stored_images.set_unfit(session, image.id, f"{detector.version}: {reason}")
            if on_skip is not None:
                on_skip(image, reason)
            else:
                log.warning("image %s %s skipped: %s", image.id, Path(image.path).name, reason)
            if progress is not None:
                progress(image.path, i + 1, len(todo))
            continue
        observations = [
            Observation(
                site=site,
                observed_at=image.acquired_at,
                railcar_class=cls,
                count=result.counts[cls],
                method="detector",
                source=image.path,
                image_id=image.id,
                model_version=detector.version,
                count_sigma=info.sigma_of(cls, result.counts[cls]) if info else None,
            )
            for cls in CLASSES
        ]
        with store.transaction() as session:
            stored.delete_observations(session, image.id, detector.version)
            stored.replace_for_image(session, image.id, detector.version, list(result.detections))
            stored_obs.add(session, observations)
            if image.unfit_reason is not None:
                stored_images.set_unfit(session, image.id, None)
        results.append(result)
        if progress is not None:
            progress(image.path, i + 1, len(todo))
    return results
