"""Web Mercator map tiles and thumbnails cut from stored imagery.

A tile is one windowed read through a warped VRT: GDAL picks the overview level
that matches the tile's resolution, so a 1-gigapixel COG pans as fast as a small
scene. The pixels are stretched to 8 bits exactly as the detector sees them
(:func:`railwatch.detect.raster.to_rgb8` with the scene's stretch limits), so a
reviewer judges the same picture the network judged.

rio-tiler is the field's tool for this and installs beside rasterio 1.4.4, but it
reads georeferencing from the file alone; the store also holds PNG/JPEG images
georeferenced by a sidecar JSON or world file (``imagery.open_source`` knows
them), and one code path for every image the store accepts matters more than the
~80 lines saved. The warp here is the same one rio-tiler performs.
"""

from __future__ import annotations

import io
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from railwatch.errors import InputError

TILE = 256
#: Half the Web Mercator world's width in metres.
_HALF = 20037508.342789244
MAX_ZOOM = 24
#: Rendered tiles kept in memory (about 50 kB each).
CACHE_TILES = 1024


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


class TileRenderer:
    """Renders and caches PNG tiles and thumbnails of image files.

    Callers pass the image's stored path and content hash (looked up by id in
    the store), never a path a client typed. Stretch limits of >8-bit scenes
    are computed once per image from a decimated read, as ``detect`` does.
    """

    def __init__(self, capacity: int = CACHE_TILES) -> None:
        self.tiles = _LRU(capacity)
        self._limits = _LRU(256)

    def clear(self) -> None:
        self.tiles.clear()
        self._limits.clear()

    def _stretch(self, src: object, sha256: str) -> tuple[float, float] | None:
        from railwatch.detect.slicing import stretch_for

        cached = self._limits.get(sha256)
        if cached is None:
            limits = stretch_for(src.dataset)  # type: ignore[attr-defined]
            cached = ("limits", limits)
            self._limits.put(sha256, cached)
        return cached[1]  # type: ignore[index,no-any-return]

    def tile(self, path: str, sha256: str, image_id: int, z: int, x: int, y: int) -> bytes | None:
        """The PNG of tile z/x/y, or None when the image does not reach into it."""
        key = TileKey(image_id, sha256, z, x, y)
        hit = self.tiles.get(key)
        if hit is not None:
            return hit  # type: ignore[return-value]
        west, south, east, north = tile_bounds(z, x, y)
        png = self._render(path, sha256, (west, south, east, north), (TILE, TILE))
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
        from railwatch.imagery import open_source

        with open_source(path) as src:
            scale = size / max(src.width, src.height)
            shape = (max(1, round(src.height * scale)), max(1, round(src.width * scale)))
            data = src.read(out_shape=shape)
            rgb = to_rgb8(data, limits=self._stretch(src, sha256), nodata=src.nodata)
        png = _png(rgb, None)
        self.tiles.put(key, png)
        return png

    def _render(
        self,
        path: str,
        sha256: str,
        bounds: tuple[float, float, float, float],
        shape: tuple[int, int],
    ) -> bytes | None:
        from rasterio.crs import CRS
        from rasterio.enums import Resampling
        from rasterio.transform import from_bounds
        from rasterio.vrt import WarpedVRT
        from rasterio.warp import transform_bounds

        from railwatch.detect.raster import to_rgb8
        from railwatch.imagery import open_source

        mercator = CRS.from_epsg(3857)
        with open_source(path) as src:
            # Where the image lies in Web Mercator: tiles beyond it cost nothing.
            img_bounds = transform_bounds(src.crs, mercator, *src.bounds, densify_pts=21)
            west, south, east, north = bounds
            if (
                east <= img_bounds[0]
                or west >= img_bounds[2]
                or north <= img_bounds[1]
                or south >= img_bounds[3]
            ):
                return None
            limits = self._stretch(src, sha256)
            # A VRT at the image's own resolution over the tile; reading it at 256 px
            # lets GDAL choose the overview level (as rio-tiler does).
            res_src = abs(src.transform.a) if src.crs.is_projected else None
            span = max(east - west, north - south)
            native = (
                res_src if res_src else (img_bounds[2] - img_bounds[0]) / max(src.width, src.height)
            )
            px = max(shape[1], min(8192, math.ceil(span / max(native, 1e-9))))
            vrt_transform = from_bounds(west, south, east, north, px, px)
            bands = list(range(1, min(src.count, 3) + 1)) if src.count != 2 else [1]
            nodata = src.nodata
            with WarpedVRT(
                src.dataset,
                src_crs=src.crs,
                src_transform=src.transform,
                crs=mercator,
                transform=vrt_transform,
                width=px,
                height=px,
                resampling=Resampling.bilinear,
                src_nodata=nodata,
                nodata=nodata if nodata is not None else 0,
                add_alpha=False,
            ) as vrt:
                data = vrt.read(
                    bands, out_shape=(len(bands), *shape), resampling=Resampling.bilinear
                )
                mask = vrt.read_masks(1, out_shape=shape, resampling=Resampling.nearest)
        rgb = to_rgb8(data, limits=limits, nodata=None)
        return _png(rgb, mask)


def _png(rgb: np.ndarray, mask: np.ndarray | None) -> bytes:
    from PIL import Image as PILImage

    if mask is not None:
        rgba = np.dstack([rgb, (mask > 0).astype(np.uint8) * 255])
        pil = PILImage.fromarray(rgba, "RGBA")
    else:
        pil = PILImage.fromarray(rgb, "RGB")
    buf = io.BytesIO()
    pil.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()
