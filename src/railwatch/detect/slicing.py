"""Sliced detection: any scene, any size, in overlapping tiles at the model's GSD.

The scene (or the window of it that covers a site) is cut into tiles in the
model's pixel grid; each tile is read from the file on its own and resampled,
so memory depends on the tile and batch sizes, never on the scene's size.
Each tile keeps only the cars whose centre lies in its core (the half of each
overlap nearer to it), and a class-agnostic rotated NMS removes what remains
of a car seen by two tiles.
"""

from __future__ import annotations

import math
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from railwatch.detect import geometry, raster
from railwatch.detect.model import Detector
from railwatch.errors import UnfitImageError

T = TypeVar("T")

#: Accepted ground sample distances, when a detector does not say.
DEFAULT_GSD_RANGE = (0.25, 1.2)
#: How far past either end of a model's GSD range a scene may be and still fit. GSDs
#: are measured geodesically from a transform (UTM's scale factor alone moves them by
#: 0.04 %), so a "0.25 m" product is never exactly 0.25 m; 2 % is still the model's
#: resolution to the eye.
GSD_TOLERANCE = 0.02
#: Batches of tiles read ahead while the network works on the current one.
READ_AHEAD = 2


@dataclass(frozen=True)
class Region:
    """A window of the scene in native pixels (integer offsets and sizes)."""

    col: int
    row: int
    width: int
    height: int


@dataclass(frozen=True)
class Found:
    """Boxes in the scene's native pixel grid: ``params`` (N, 5), ``corners`` (N, 4, 2)."""

    params: np.ndarray
    corners: np.ndarray
    scores: np.ndarray
    classes: np.ndarray
    tarped: np.ndarray
    tiles: int
    model_pixels: int

    def __len__(self) -> int:
        return len(self.scores)


def gsd_misfit(gsd: float, gsd_range: tuple[float, float]) -> str | None:
    """Why a scene of this GSD (metres) is unfit for a model of this range; None when it fits.

    The range is widened by :data:`GSD_TOLERANCE` at both ends, and the message
    gives the measured GSD to the millimetre, so a refusal is never "0.25 m is
    outside 0.25-1.2 m".
    """
    lo, hi = gsd_range
    if math.isfinite(gsd) and lo * (1 - GSD_TOLERANCE) <= gsd <= hi * (1 + GSD_TOLERANCE):
        return None
    measured = f"{gsd:.3f} m" if math.isfinite(gsd) else "not measurable"
    return (
        f"ground sample distance {measured} is outside the {lo:g}–{hi:g} m "
        f"(±{GSD_TOLERANCE:.0%}) the model was trained for; resample it or use a model made "
        "for that resolution"
    )


def _layout(size: int, tile: int, overlap: int) -> tuple[int, list[int]]:
    """Tile size and tile starts along one axis of ``size`` model pixels.

    As few tiles as a ``tile``-sized grid with ``overlap`` needs, each shrunk to
    what covers the axis with that overlap (rounded up to the network's stride
    of 32). A 4096-pixel axis takes five tiles either way, but five of 896 rather
    than five of 1024: a quarter less network time for the same cars. A scene
    smaller than a tile gets one tile of its own size, not a mostly empty big one.
    """

    def stride_up(x: int) -> int:
        return -(-x // 32) * 32

    if size <= tile:
        return min(tile, stride_up(size)), [0]
    n = math.ceil((size - overlap) / (tile - overlap))
    width = min(tile, stride_up(math.ceil((size + (n - 1) * overlap) / n)))
    # Starts spread evenly, rounded down: neighbours overlap by at least ``overlap``.
    return width, [i * (size - width) // (n - 1) for i in range(n)]


def _cores(starts: list[int], tile: int) -> list[tuple[float, float]]:
    """Per tile, the model-grid interval whose centres it is responsible for."""
    bounds = [(starts[i] + tile + starts[i + 1]) / 2 for i in range(len(starts) - 1)]
    lows = [-math.inf, *bounds]
    highs = [*bounds, math.inf]
    return list(zip(lows, highs, strict=True))


def _read(src: Any, bands: list[int], window: Any) -> np.ndarray:
    """Read bands of a window from a rasterio dataset or an imagery ``RasterSource``."""
    if hasattr(src, "dataset_mask"):  # rasterio: read only the bands we use
        return src.read(bands, window=window)
    data = np.asarray(src.read(window=window))
    return data[[b - 1 for b in bands]]


def _read_ahead(items: Iterator[T], depth: int) -> Iterator[T]:
    """Produce ``items`` in a worker thread, up to ``depth`` ahead of the consumer.

    Reading, stretching and resampling tiles (GDAL, numpy, Pillow) release the GIL,
    as does onnxruntime, so the next tiles are made while the network runs on these.
    Only the worker touches the raster while it runs; an error there is raised here,
    and a consumer that stops early stops the worker.
    """
    box: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(entry: tuple[bool, Any]) -> bool:
        while not stop.is_set():
            try:
                box.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for item in items:
                if not put((False, item)):
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            put((True, exc))
            return
        put((True, None))

    worker = threading.Thread(target=work, name="railwatch-tiles", daemon=True)
    worker.start()
    try:
        while True:
            last, value = box.get()
            if last:
                if value is not None:
                    raise value
                return
            yield value
    finally:
        stop.set()
        worker.join()


def stretch_for(src: Any) -> tuple[float, float] | None:
    """Stretch limits for >8-bit imagery from a decimated read of the whole scene."""
    if np.dtype(src.dtypes[0] if hasattr(src, "dtypes") else src.dtype) == np.uint8:
        return None
    factor = max(1, math.ceil(max(src.width, src.height) / 1024))
    shape = (min(src.count, 3), max(1, src.height // factor), max(1, src.width // factor))
    if hasattr(src, "dataset_mask"):
        sample = src.read(list(range(1, shape[0] + 1)), out_shape=shape)
    else:
        sample = np.asarray(src.read(out_shape=shape[1:]))[: shape[0]]
    return raster.stretch_limits(sample, src.nodata)


def detect_raster(
    src: Any,
    detector: Detector,
    *,
    gsd: float | tuple[float, float],
    region: Region | None = None,
    tile: int = 1024,
    overlap: int = 96,
    batch: int = 4,
    gsd_range: tuple[float, float] = DEFAULT_GSD_RANGE,
    nms_iou: float = 0.3,
    progress: Callable[[int, int], None] | None = None,
) -> Found:
    """Find railcars in an open raster (rasterio dataset or ``RasterSource``).

    Args:
        src: the open raster; only ``width``, ``height``, ``count``, ``nodata``,
            ``dtypes``/``dtype`` and ``read(indexes, window=…)`` are used.
        detector: runs on (N, tile, tile, 3) uint8 batches at ``detector.gsd``.
        gsd: the scene's ground sample distance in metres, or its ground pixel size
            along columns and along rows: each axis is resampled by its own, so
            pixels that are not square on the ground (EPSG:4326) come out square.
        region: the part of the scene to search (default: all of it).
        progress: called with (tiles done, tiles in all) after each batch.

    Raises:
        UnfitImageError: the scene's GSD is outside what the model knows (within
            :data:`GSD_TOLERANCE`), or its bands are neither panchromatic nor RGB.
    """
    gx, gy = (float(gsd), float(gsd)) if isinstance(gsd, int | float) else map(float, gsd)
    why = gsd_misfit((gx + gy) / 2, gsd_range)
    if why is not None:
        raise UnfitImageError(why)
    if src.count == 2 or src.count < 1:
        raise UnfitImageError(f"{src.count}-band imagery is neither panchromatic nor RGB(N)")
    region = region or Region(0, 0, src.width, src.height)
    # Model pixels per native pixel, along columns and along rows.
    kx, ky = gx / detector.gsd, gy / detector.gsd
    mw, mh = math.ceil(region.width * kx), math.ceil(region.height * ky)
    (tw, xs), (th, ys) = _layout(mw, tile, overlap), _layout(mh, tile, overlap)
    xcores, ycores = _cores(xs, tw), _cores(ys, th)
    limits = stretch_for(src)
    bands = [1] if src.count == 1 else [1, 2, 3]

    def tiles() -> Iterator[tuple[np.ndarray, tuple[float, ...]]]:
        from rasterio.windows import Window

        for yi, my in enumerate(ys):
            for xi, mx in enumerate(xs):
                c0 = region.col + math.floor(mx / kx)
                c1 = region.col + min(region.width, math.ceil(min(mx + tw, mw) / kx))
                r0 = region.row + math.floor(my / ky)
                r1 = region.row + min(region.height, math.ceil(min(my + th, mh) / ky))
                data = _read(src, bands, Window(c0, r0, c1 - c0, r1 - r0))
                rgb = raster.to_rgb8(data, limits=limits, nodata=src.nodata)
                ow = min(tw, max(1, round((c1 - c0) * kx)))
                oh = min(th, max(1, round((r1 - r0) * ky)))
                img = np.zeros((th, tw, 3), np.uint8)
                img[:oh, :ow] = part = raster.resample(rgb, oh, ow)
                blank = float(part.min() == part.max())
                sx, sy = (c1 - c0) / ow, (r1 - r0) / oh
                # Core bounds in native pixels: centres outside belong to a neighbour.
                core = (
                    region.col + xcores[xi][0] / kx,
                    region.col + xcores[xi][1] / kx,
                    region.row + ycores[yi][0] / ky,
                    region.row + ycores[yi][1] / ky,
                )
                yield img, (c0, r0, sx, sy, *core, blank)

    rows: list[np.ndarray] = []
    total = len(xs) * len(ys)
    done = 0
    pending: list[tuple[np.ndarray, tuple[float, ...]]] = []

    def flush() -> None:
        nonlocal done
        busy = [i for i, (_, meta) in enumerate(pending) if not meta[-1]]
        # Blank tiles (nodata, sea of one colour) cannot hold a railcar: skip the network.
        outs = detector.predict(np.stack([pending[i][0] for i in busy])) if busy else []
        for i, det in zip(busy, outs, strict=True):
            c0, r0, sx, sy, xlo, xhi, ylo, yhi, _ = pending[i][1]
            if len(det) == 0:
                continue
            corners = geometry.params_to_corners(det[:, :5])
            corners[..., 0] = c0 + corners[..., 0] * sx
            corners[..., 1] = r0 + corners[..., 1] * sy
            cx, cy = corners[..., 0].mean(axis=1), corners[..., 1].mean(axis=1)
            keep = (cx >= xlo) & (cx < xhi) & (cy >= ylo) & (cy < yhi)
            if keep.any():
                flat = np.column_stack(
                    [corners[keep].reshape(-1, 8), det[keep][:, 5:8]]
                )  # 8 corner coords + score, class, tarped
                rows.append(flat)
        done += len(pending)
        pending.clear()
        if progress is not None:
            progress(done, total)

    for item in _read_ahead(tiles(), READ_AHEAD * batch):
        pending.append(item)
        if len(pending) == batch:
            flush()
    if pending:
        flush()

    allrows = np.concatenate(rows) if rows else np.zeros((0, 11))
    corners = allrows[:, :8].reshape(-1, 4, 2)
    scores = allrows[:, 8]
    keep = geometry.nms(corners, scores, nms_iou) if len(allrows) else np.zeros(0, np.int64)
    corners, allrows = corners[keep], allrows[keep]
    return Found(
        params=geometry.corners_to_params(corners) if len(keep) else np.zeros((0, 5)),
        corners=corners,
        scores=allrows[:, 8],
        classes=allrows[:, 9].astype(np.int64),
        tarped=allrows[:, 10],
        tiles=total,
        model_pixels=mw * mh,
    )
