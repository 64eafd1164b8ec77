"""Web Mercator map tiles and thumbnails cut from stored imagery.

A tile is one decimated windowed read of the image's own pixels (GDAL takes the
COG overview that matches the tile's resolution) warped in memory to the 256-px
Web Mercator grid. What a tile needs besides its pixels — the open file, the
georeferencing, a pyproj transformer, the stretch limits, the footprint in Web
Mercator — is worked out once per image and kept (:class:`_Opened`): reopening
the file, re-reading its sidecar and rebuilding CRS transformers cost more than
the read itself, and panning asks for dozens of tiles of one image. PNGs are
written by a small encoder (Sub filter, zlib level 1, run-length strategy):
about five times faster than Pillow's adaptive filters, for tiles 5 % larger.

The pixels are stretched to 8 bits exactly as the detector sees them
(:func:`railwatch.detect.raster.to_rgb8` with the scene's stretch limits), so a
reviewer judges the same picture the network judged.

rio-tiler is the field's tool for this and installs beside rasterio 1.4.4, but it
reads georeferencing from the file alone; the store also holds PNG/JPEG images
georeferenced by a sidecar JSON or world file (``imagery.open_source`` knows
them), and one code path for every image the store accepts matters more than the
~80 lines saved. The read-then-warp here is the one rio-tiler performs.
"""

from __future__ import annotations

import math
import struct
import threading
import zlib
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from railwatch.errors import InputError

TILE = 256
#: Half the Web Mercator world's width in metres.
_HALF = 20037508.342789244
MAX_ZOOM = 24
#: Rendered tiles kept in memory (about 50-200 kB each).
CACHE_TILES = 1024
#: Images kept open between tiles, and open handles per image (one per concurrent tile).
OPEN_IMAGES = 16
HANDLES = 4
#: Points per tile edge at which the tile is placed on the image (curved projections).
_EDGE_POINTS = 9
#: Tile pixels between the points of the warp grid that are transformed exactly.
_GRID = 16


@dataclass(frozen=True)
class TileKey:
    image_id: int
    sha256: str
    z: int
    x: int
    y: int


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """(west, south, east, north) of an XYZ tile in EPSG:3857 metres.

    Raises:
        InputError: the tile is not on the grid of zoom ``z``.
    """
    if not 0 <= z <= MAX_ZOOM:
        raise InputError(f"zoom {z} out of range 0-{MAX_ZOOM}")
    n = 1 << z
    if not (0 <= x < n and 0 <= y < n):
        raise InputError(f"tile {z}/{x}/{y} is not on the grid")
    size = 2 * _HALF / n
    west = -_HALF + x * size
    north = _HALF - y * size
    return west, north - size, west + size, north


class _LRU:
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._items: OrderedDict[object, object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: object) -> object | None:
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key: object, value: object) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


@dataclass
class _Opened:
    """One image as tiles need it, worked out once: georeferencing, stretch, open handles.

    Handles are pooled because a rasterio dataset must not be read by two threads at
    once, and the page asks for several tiles of one image in parallel.
    """

    path: str
    crs: Any
    transform: Any
    width: int
    height: int
    bands: list[int]
    nodata: float | None
    limits: tuple[float, float] | None
    mercator_bounds: tuple[float, float, float, float]
    to_image: Any  # pyproj Transformer, EPSG:3857 → the image's CRS
    _free: list[Any] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def open(cls, path: str) -> _Opened:
        from pyproj import Transformer
        from rasterio.warp import transform_bounds

        from railwatch.detect.slicing import stretch_for
        from railwatch.imagery import open_source

        src = open_source(path)
        try:
            crs = src.crs
            opened = cls(
                path=path,
                crs=crs,
                transform=src.transform,
                width=src.width,
                height=src.height,
                bands=list(range(1, min(src.count, 3) + 1)) if src.count != 2 else [1],
                nodata=src.nodata,
                limits=stretch_for(src.dataset),
                mercator_bounds=transform_bounds(crs, "EPSG:3857", *src.bounds, densify_pts=21),
                to_image=Transformer.from_crs("EPSG:3857", crs.to_wkt(), always_xy=True),
            )
        except BaseException:
            src.close()
            raise
        opened._free.append(src)
        return opened

    def acquire(self) -> Any:
        from railwatch.imagery import open_source

        with self._lock:
            if self._free:
                return self._free.pop()
        return open_source(self.path)

    def release(self, src: Any) -> None:
        with self._lock:
            if len(self._free) < HANDLES:
                self._free.append(src)
                return
        src.close()


class TileRenderer:
    """Renders and caches PNG tiles and thumbnails of image files.

    Callers pass the image's stored path and content hash (looked up by id in
    the store), never a path a client typed. Stretch limits of >8-bit scenes
    are computed once per image from a decimated read, as ``detect`` does.
    """

    def __init__(self, capacity: int = CACHE_TILES) -> None:
        self.tiles = _LRU(capacity)
        self._opened = _LRU(OPEN_IMAGES)
        self._opening = threading.Lock()

    def clear(self) -> None:
        self.tiles.clear()
        self._opened.clear()

    def _image(self, path: str, sha256: str) -> _Opened:
        key = (path, sha256)
        hit = self._opened.get(key)
        if hit is None:
            with self._opening:  # the first tiles of an image arrive together: open once
                hit = self._opened.get(key)
                if hit is None:
                    hit = _Opened.open(path)
                    self._opened.put(key, hit)
        return hit  # type: ignore[return-value]

    def tile(self, path: str, sha256: str, image_id: int, z: int, x: int, y: int) -> bytes | None:
        """The PNG of tile z/x/y, or None when the image does not reach into it."""
        key = TileKey(image_id, sha256, z, x, y)
        hit = self.tiles.get(key)
        if hit is not None:
            return hit  # type: ignore[return-value]
        bounds = tile_bounds(z, x, y)
        png = self._render(self._image(path, sha256), bounds)
        if png is not None:
            self.tiles.put(key, png)
        return png

    def thumbnail(self, path: str, sha256: str, image_id: int, size: int = 256) -> bytes:
        """A PNG of the whole image, its longer side ``size`` pixels (north up, own grid)."""
        key = ("thumb", image_id, sha256, size)
        hit = self.tiles.get(key)
        if hit is not None:
            return hit  # type: ignore[return-value]
        from railwatch.detect.raster import to_rgb8

        img = self._image(path, sha256)
        src = img.acquire()
        try:
            scale = size / max(src.width, src.height)
            shape = (max(1, round(src.height * scale)), max(1, round(src.width * scale)))
            data = src.read(out_shape=shape)
        finally:
            img.release(src)
        png = encode_png(to_rgb8(data, limits=img.limits, nodata=img.nodata))
        self.tiles.put(key, png)
        return png

    def _render(self, img: _Opened, bounds: tuple[float, float, float, float]) -> bytes | None:
        from rasterio.enums import Resampling
        from rasterio.windows import Window

        from railwatch.detect.raster import to_rgb8

        west, south, east, north = bounds
        mb = img.mercator_bounds
        if east <= mb[0] or west >= mb[2] or north <= mb[1] or south >= mb[3]:
            return None  # tiles beyond the image cost nothing
        # The tile's outline in the image's pixels: the window to read.
        t = np.linspace(0.0, 1.0, _EDGE_POINTS)
        xs = np.concatenate([west + (east - west) * t, np.full_like(t, east),
                             west + (east - west) * t, np.full_like(t, west)])  # fmt: skip
        ys = np.concatenate([np.full_like(t, north), south + (north - south) * t,
                             np.full_like(t, south), south + (north - south) * t])  # fmt: skip
        ix, iy = img.to_image.transform(xs, ys)
        cols, rows = ~img.transform * (np.asarray(ix), np.asarray(iy))
        if not (np.isfinite(cols).all() and np.isfinite(rows).all()):
            return None
        span = max(float(cols.max() - cols.min()), float(rows.max() - rows.min()))
        # Image pixels per tile pixel: read no finer than the tile shows (GDAL then takes
        # the overview of that resolution), and one pixel of margin for the bilinear kernel.
        step = max(1.0, span / TILE)
        pad = math.ceil(step)
        c0 = max(0, math.floor(cols.min()) - pad)
        r0 = max(0, math.floor(rows.min()) - pad)
        c1 = min(img.width, math.ceil(cols.max()) + pad)
        r1 = min(img.height, math.ceil(rows.max()) + pad)
        if c1 <= c0 or r1 <= r0:
            return None
        out_w = max(1, round((c1 - c0) / step))
        out_h = max(1, round((r1 - r0) / step))
        src = img.acquire()
        try:
            data = src.dataset.read(
                img.bands,
                window=Window(c0, r0, c1 - c0, r1 - r0),
                out_shape=(len(img.bands), out_h, out_w),
                resampling=Resampling.bilinear,
            )
        finally:
            img.release(src)
        # Where each tile pixel's centre falls in the array read: exact on a coarse grid,
        # linear in between (as GDAL's approximate transformer does), then bilinear samples.
        # In numpy, not GDAL: rasterio's in-memory warp, run by parallel requests, now and
        # then took its source for "not georeferenced" (NotGeoreferencedWarning).
        g = np.linspace(0.5, TILE - 0.5, _GRID + 1)
        gx, gy = np.meshgrid(west + g * (east - west) / TILE, north - g * (north - south) / TILE)
        ix, iy = img.to_image.transform(gx.ravel(), gy.ravel())
        gc, gr = ~img.transform * (np.asarray(ix), np.asarray(iy))
        sx, sy = out_w / (c1 - c0), out_h / (r1 - r0)
        coarse_r = ((gr - r0) * sy - 0.5).reshape(_GRID + 1, _GRID + 1)
        coarse_c = ((gc - c0) * sx - 0.5).reshape(_GRID + 1, _GRID + 1)
        fine = (np.arange(TILE) + 0.5 - g[0]) / (g[1] - g[0])
        rr = _bilinear(coarse_r, fine, fine)
        cc = _bilinear(coarse_c, fine, fine)
        out = _sample(data, rr, cc)
        # Inside the image: within half a read pixel of the image's own edges.
        lo_r = -0.5 if r0 == 0 else -1.0
        lo_c = -0.5 if c0 == 0 else -1.0
        hi_r = out_h - 0.5 if r1 == img.height else out_h
        hi_c = out_w - 0.5 if c1 == img.width else out_w
        mask = (rr >= lo_r) & (rr <= hi_r) & (cc >= lo_c) & (cc <= hi_c)
        if img.nodata is not None:
            near_r = np.rint(rr).clip(0, out_h - 1).astype(np.intp)
            near_c = np.rint(cc).clip(0, out_w - 1).astype(np.intp)
            mask &= data[0][near_r, near_c] != img.nodata
        out[:, ~mask] = img.nodata if img.nodata is not None else 0
        rgb = to_rgb8(out, limits=img.limits, nodata=None)
        return encode_png(rgb, None if mask.all() else mask.astype(np.uint8))


def _bilinear(field: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """A coarse grid ``field`` interpolated at fractional grid indices ``rows`` x ``cols``."""
    r0 = np.clip(np.floor(rows).astype(np.intp), 0, field.shape[0] - 2)
    c0 = np.clip(np.floor(cols).astype(np.intp), 0, field.shape[1] - 2)
    wr = (rows - r0)[:, None]
    wc = (cols - c0)[None, :]
    top = field[r0][:, c0] * (1 - wc) + field[r0][:, c0 + 1] * wc
    bottom = field[r0 + 1][:, c0] * (1 - wc) + field[r0 + 1][:, c0 + 1] * wc
    return top * (1 - wr) + bottom * wr


def _sample(data: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Bilinear samples of (bands, h, w) ``data`` at fractional pixel indices, edges clamped."""
    h, w = data.shape[1:]
    rows = rows.clip(0, h - 1)
    cols = cols.clip(0, w - 1)
    r0 = np.minimum(rows.astype(np.intp), max(h - 2, 0))
    c0 = np.minimum(cols.astype(np.intp), max(w - 2, 0))
    wr = (rows - r0).astype(np.float32)
    wc = (cols - c0).astype(np.float32)
    flat = data.reshape(data.shape[0], -1)
    i00 = r0 * w + c0
    dc = np.minimum(c0 + 1, w - 1) - c0
    dr = (np.minimum(r0 + 1, h - 1) - r0) * w

    def at(index: np.ndarray) -> np.ndarray:
        return flat[:, index].astype(np.float32)

    a, b, c, d = at(i00), at(i00 + dc), at(i00 + dr), at(i00 + dr + dc)
    top = a + (b - a) * wc
    value = top + (c + (d - c) * wc - top) * wr
    if np.issubdtype(data.dtype, np.integer):
        value = np.rint(value)
    return value.astype(data.dtype)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def encode_png(rgb: np.ndarray, mask: np.ndarray | None = None) -> bytes:
    """(h, w, 3) uint8 → PNG bytes, RGBA with ``mask`` (0 = transparent) when given.

    Every row uses the Sub filter (each byte minus the same channel of the pixel to
    its left, computed by numpy at once) and zlib level 1 with the run-length strategy:
    imagery compresses about as well as with Pillow's per-row adaptive choice, in a
    fifth of the time, and a tile's encoding was a fifth of its cost.
    """
    if mask is not None:
        rgb = np.dstack([rgb, np.where(mask > 0, 255, 0).astype(np.uint8)])
    h, w, channels = rgb.shape
    pixels = np.ascontiguousarray(rgb, dtype=np.uint8).reshape(h, w * channels)
    rows = np.empty((h, w * channels + 1), np.uint8)
    rows[:, 0] = 1  # filter type Sub
    rows[:, 1 : 1 + channels] = pixels[:, :channels]
    np.subtract(pixels[:, channels:], pixels[:, :-channels], out=rows[:, 1 + channels :])
    packer = zlib.compressobj(1, zlib.DEFLATED, 15, 9, zlib.Z_RLE)
    data = packer.compress(rows.tobytes()) + packer.flush()
    colour = {3: 2, 4: 6}[channels]
    header = struct.pack(">IIBBBBB", w, h, 8, colour, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", data)
        + _chunk(b"IEND", b"")
    )
