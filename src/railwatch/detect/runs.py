"""Running the detector: on image files, or on every stored image of a site.

A run turns boxes in pixels into :class:`railwatch.records.Detection` records
in EPSG:4326, and in store mode into one detector observation per railcar
class per image, tagged with the model version and its counting uncertainty.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from pyproj import CRS, Transformer

from railwatch.detect import geometry, raster
from railwatch.detect.model import (
    SHIPPED_MODEL,
    Detector,
    ModelInfo,
    OnnxDetector,
    load_model,
    read_info,
    sha256_of,
)
from railwatch.detect.slicing import DEFAULT_GSD_RANGE, Region, detect_raster
from railwatch.errors import DetectionError, ImageryError, UnfitImageError
from railwatch.imagery.location import display_name
from railwatch.railcars import CLASSES
from railwatch.records import Detection, Image, Observation

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

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
            "n_detections": self.extra.get("n_detections", len(self.detections)),
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


@dataclass(frozen=True)
class ImageTask:
    """One stored image to detect in: all a worker needs, nothing of the store.

    Workers get these (paths or GDAL URLs and the site's polygon), never a store
    session: only the client writes the store.
    """

    path: str
    image_id: int
    site: str
    acquired_at: datetime
    site_geometry: dict[str, Any]
    #: The image was skipped as unfit before: counting it clears that.
    was_unfit: bool = False

    @property
    def id(self) -> int:
        return self.image_id


@dataclass
class StoreRun:
    """What a store-mode run did: the images detected, those skipped and why, and speed."""

    results: list[ImageResult]
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, why)
    throughput: dict[str, Any] | None = None


@functools.lru_cache(maxsize=4)
def _cached_model(path: str, stamp: tuple[int, int], threads: int | None) -> OnnxDetector:
    return load_model(path, threads=threads)


def cached_model(path: str | Path | None = None, *, threads: int | None = None) -> OnnxDetector:
    """A model loaded once per process (per Dask worker), however many images it sees.

    Keyed by the file's modification time and size too, so a model rewritten in
    place is loaded again.

    Raises:
        DetectionError: the model is missing or unreadable.
    """
    resolved = Path(path) if path is not None else SHIPPED_MODEL
    try:
        st = resolved.stat()
    except OSError:
        return load_model(path, threads=threads)  # raises the usual DetectionError
    return _cached_model(str(resolved), (st.st_mtime_ns, st.st_size), threads)


def detect_task(
    task: ImageTask, model: Detector | str | None = None, threads: int | None = None
) -> ImageResult:
    """The unit of work of store mode: one image → its detections and per-class counts.

    The same function runs in-process and as a Dask task; ``model`` is a model
    file (None: the shipped one), loaded once per process, or a detector object.

    Raises:
        ImageryError: the image cannot be read or does not cover the site.
        DetectionError: the model cannot run on it (GSD out of range…).
    """
    detector = model if model is not None and not isinstance(model, str) else None
    if detector is None:
        detector = cached_model(model, threads=threads)  # type: ignore[arg-type]
    return detect_file(
        task.path,
        detector,
        site_geometry=task.site_geometry,
        image_id=task.image_id,
        acquired_at=task.acquired_at,
    )


def plan_tasks(
    store: Any,
    sites: Sequence[str] | None,
    model_version: str,
    *,
    since: datetime | None = None,
    rerun: bool = False,
) -> list[ImageTask]:
    """The stored images of the sites (None: every site) this model version has not processed.

    Raises:
        NotFoundError: no such site.
    """
    from railwatch.store import detections as stored
    from railwatch.store import images as stored_images
    from railwatch.store import sites as stored_sites

    tasks = []
    with store.transaction() as session:
        slugs = (
            list(sites) if sites is not None else [s.slug for s in stored_sites.all_sites(session)]
        )
        done = set() if rerun else stored.processed_image_ids(session, model_version)
        for slug in slugs:
            geometry_4326 = stored_sites.get(session, slug).geometry
            for im in stored_images.list_images(session, site=slug, since=since):
                assert im.id is not None
                if im.id not in done:
                    tasks.append(
                        ImageTask(
                            im.path,
                            im.id,
                            slug,
                            im.acquired_at,
                            geometry_4326,
                            was_unfit=im.unfit_reason is not None,
                        )
                    )
    return tasks


def store_result(store: Any, task: ImageTask, result: ImageResult, info: ModelInfo | None) -> None:
    """Write one image's detections and detector observations: one transaction.

    Its earlier detections and observations by this model version are replaced,
    so writing the same image twice (a re-run, a retried task) never duplicates.
    """
    from railwatch.store import detections as stored
    from railwatch.store import images as stored_images
    from railwatch.store import observations as stored_obs

    observations = [
        Observation(
            site=task.site,
            observed_at=task.acquired_at,
            railcar_class=cls,
            count=result.counts[cls],
            method="detector",
            source=task.path,
            image_id=task.image_id,
            model_version=result.model_version,
            count_sigma=info.sigma_of(cls, result.counts[cls]) if info else None,
        )
        for cls in CLASSES
    ]
    with store.transaction() as session:
        stored.delete_observations(session, task.image_id, result.model_version)
        stored.replace_for_image(
            session, task.image_id, result.model_version, list(result.detections)
        )
        stored_obs.add_many(session, observations)
        if task.was_unfit:
            stored_images.set_unfit(session, task.image_id, None)


def mark_unfit(store: Any, task: ImageTask, reason: str) -> None:
    """Record on the image why the detector skipped it; the next run tries it again."""
    from railwatch.store import images as stored_images

    with store.transaction() as session:
        stored_images.set_unfit(session, task.image_id, reason)


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
    return run_store(
        store, [site], since=since, rerun=rerun, progress=progress, model=model, on_skip=on_skip
    ).results


def run_store(
    store: Any,
    sites: Sequence[str] | None,
    *,
    since: datetime | None = None,
    rerun: bool = False,
    progress: Progress | None = None,
    model: Detector | str | Path | None = None,
    client: Any = None,
    threads: int | None = None,
    keep_detections: bool = True,
    on_skip: Callable[[ImageTask, str], None] | None = None,
) -> StoreRun:
    """Detect in the stored images of some sites (None: all), in-process or on a Dask cluster.

    An image the model cannot count (GSD outside its range, georeferencing with
    no ground size, a file gone or unreadable) is skipped: why is recorded on
    the image (``unfit_reason``) and given to ``on_skip`` (logged as a warning
    if None), and the other images are processed; each is tried again at the
    next run, so a model made for it, or a corrected file, counts it then.

    On a cluster (a ``distributed.Client``) the images run as Dask tasks of
    :func:`detect_task`; the client writes each result as it arrives, one
    transaction per image, so a crash or a killed worker loses only the images
    in flight and the next run picks up exactly those. An image that fails on
    a worker (corrupt, lost with its worker) is skipped the same way.

    Args:
        threads: CPU threads for each task's model on the workers (None: their own choice).
        keep_detections: False drops each image's boxes from the returned results once
            they are stored (their number stays in ``extra``), so a run over a large
            archive holds counts, not every box, in memory.

    Raises:
        NotFoundError: no such site.
        DetectionError: in-process, the model cannot run on an image.
        ImageryError: on a cluster, a worker cannot open the first image.
    """
    detector = active_detector(store) if model is None else as_detector(model)
    info = info_of(detector)
    todo = plan_tasks(store, sites, detector.version, since=since, rerun=rerun)

    def skip(task: ImageTask, reason: str) -> None:
        mark_unfit(store, task, f"{detector.version}: {reason}")
        if on_skip is not None:
            on_skip(task, reason)
        else:
            log.warning("image %s %s skipped: %s", task.id, display_name(task.path), reason)

    if client is None:
        results = []
        skipped: list[tuple[str, str]] = []
        for i, (task, outcome) in enumerate(side_by_side(detect_task, todo, detector)):
            try:
                result = outcome()
            except (UnfitImageError, ImageryError) as exc:
                reason = str(exc).removeprefix(f"{task.path}: ")
                skip(task, reason)
                skipped.append((task.path, reason))
            else:
                store_result(store, task, result, info)
                results.append(result if keep_detections else _slim(result))
            if progress is not None:
                progress(task.path, i + 1, len(todo))
        return StoreRun(results, skipped=skipped)
    return _run_on_cluster(
        store, client, todo, detector, info, progress, threads, keep_detections, skip
    )


def images_at_a_time() -> int:
    """Images an in-process run detects at once: one per core, each model on one thread.

    Measured on 2 cores (demo images): two images at a time on one thread each
    detect 14 % more per second than one image on two threads, whose operators wait
    for each other whenever another process takes a core. A local Dask cluster
    shares the cores out the same way (:meth:`railwatch.cluster.ClusterSpec.threads_per_worker`).
    """
    from railwatch.cluster import cpu_cores

    return cpu_cores()


def side_by_side(
    unit: Callable[[T, Detector], R], items: Sequence[T], detector: Detector
) -> Iterator[tuple[T, Callable[[], R]]]:
    """Run ``unit(item, model)`` in-process, :func:`images_at_a_time` items at a time.

    Yields each item with its outcome, in order: a call that returns the unit's
    result or raises its error, so callers handle errors as in a plain loop. Only
    onnxruntime models run side by side (their sessions are thread-safe; a copy
    with one thread per session is made once per call); any other detector object
    runs one item at a time, as given.
    """
    at_once = min(images_at_a_time(), len(items))
    model = detector
    if at_once > 1 and isinstance(detector, OnnxDetector):
        model = detector.with_threads(1)  # its own threshold and flips, not the file's
    else:
        at_once = 1
    return _in_order(functools.partial(_with_model, unit, model), items, at_once)


def _with_model(unit: Callable[[T, Detector], R], model: Detector, item: T) -> R:
    return unit(item, model)


def _in_order(
    fn: Callable[[T], R], tasks: Sequence[T], at_once: int
) -> Iterator[tuple[T, Callable[[], R]]]:
    """Run ``fn`` over the tasks, ``at_once`` at a time; yield each with its outcome, in order.

    The outcome is a call that returns the result or raises the task's own error, so
    the caller handles errors as in a plain loop. At most ``2 * at_once`` tasks are
    ahead of the caller, so memory stays bounded however long the archive; an error
    the caller lets through cancels the tasks not started.
    """
    if at_once <= 1:
        for task in tasks:
            yield task, functools.partial(fn, task)
        return
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor
    from itertools import islice

    pool = ThreadPoolExecutor(max_workers=at_once, thread_name_prefix="railwatch-detect")
    queue = iter(tasks)
    ahead = deque((task, pool.submit(fn, task)) for task in islice(queue, 2 * at_once))
    try:
        while ahead:
            task, future = ahead.popleft()
            ahead.extend((nxt, pool.submit(fn, nxt)) for nxt in islice(queue, 1))
            yield task, future.result
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _slim(result: ImageResult) -> ImageResult:
    extra = {**result.extra, "n_detections": len(result.detections)}
    return dataclasses.replace(result, detections=(), extra=extra)


def model_version_here(model: str | None, threads: int | None = None) -> str:
    """Runs on each worker before the tasks: loads its model once, says which version it is."""
    return cached_model(model, threads=threads).version


def prepare_workers(client: Any, detector: Detector, threads: int | None) -> Detector | str | None:
    """What the tasks should name as their model, after every worker has loaded it.

    Workers load a model file themselves, once each, before the first task (so
    start-up is not charged to the first images and a worker that lacks the
    model fails the run now, by name); the shipped model is each worker's own
    copy, wherever railwatch is installed there. Any other detector object is
    sent to the workers as it is.

    Raises:
        DetectionError: a worker cannot load the model, or has another version of it.
    """
    if not isinstance(detector, OnnxDetector):
        return detector
    shipped = detector.path.resolve() == SHIPPED_MODEL.resolve()
    ref = None if shipped else str(detector.path)
    try:
        versions = client.run(model_version_here, ref, threads)
    except Exception as exc:
        raise DetectionError(f"a worker cannot load the model {ref or 'shipped'}: {exc}") from None
    for worker, version in sorted(versions.items()):
        if version != detector.version:
            raise DetectionError(
                f"worker {worker} has model {version}, not {detector.version}: "
                "install the same railwatch (and model file) on every worker"
            )
    return ref


def _run_on_cluster(
    store: Any,
    client: Any,
    todo: list[ImageTask],
    detector: Detector,
    info: ModelInfo | None,
    progress: Progress | None,
    threads: int | None,
    keep_detections: bool,
    skip: Callable[[ImageTask, str], None],
) -> StoreRun:
    from railwatch import cluster

    if not todo:
        return StoreRun([], throughput=cluster.Throughput().to_dict())
    cluster.check_readable(client, todo[0].path)
    ref = prepare_workers(client, detector, threads)
    started = time.perf_counter()
    speed = cluster.Throughput()
    done: dict[int, ImageResult] = {}
    skipped: list[tuple[str, str]] = []
    for n, outcome in enumerate(cluster.run_units(client, detect_task, todo, ref, threads)):
        task = todo[outcome.index]
        error = outcome.error
        if error is None and outcome.value.model_version != detector.version:
            error = (
                f"the worker ran model {outcome.value.model_version}, not {detector.version}: "
                "install the same railwatch on every worker"
            )
        if error is None:
            store_result(store, task, outcome.value, info)
            done[outcome.index] = outcome.value if keep_detections else _slim(outcome.value)
        else:
            skip(task, error.removeprefix(f"{task.path}: "))
            skipped.append((task.path, error))
            outcome = cluster.Outcome(
                outcome.index,
                error=error,
                worker=outcome.worker,
                seconds=outcome.seconds,
                cpu_seconds=outcome.cpu_seconds,
            )
        speed.add(outcome)
        if progress is not None:
            progress(task.path, n + 1, len(todo))
    speed.wall_seconds = time.perf_counter() - started
    return StoreRun(
        [done[i] for i in sorted(done)],
        skipped=sorted(skipped),
        throughput=speed.to_dict(),
    )
