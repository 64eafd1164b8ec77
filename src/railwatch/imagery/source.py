"""Raster sources: one georeferenced image, read a window at a time.

:func:`open_source` opens GeoTIFF/COG (any CRS), PNG and JPEG files with
rasterio. When the file carries no georeferencing of its own, it comes from a
sidecar JSON, a world file plus a CRS (sidecar, ``.prj`` or ``.aux.xml``), so
the detector sees one kind of object whatever the format. A URL (``https://``,
``s3://`` …, see :mod:`railwatch.imagery.location`) is opened the same way, read in
byte ranges, and must carry its own georeferencing. Header dimensions are checked
before any pixel is decoded, so a decompression bomb costs nothing.
"""

from __future__ import annotations

import math
import re
import struct
import warnings
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import rasterio
import shapely
from affine import Affine
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.errors import NotGeoreferencedWarning, RasterioError
from rasterio.transform import from_bounds, from_gcps
from rasterio.warp import transform_geom
from rasterio.windows import Window
from shapely.geometry import mapping, shape

from railwatch.errors import ImageryError
from railwatch.imagery import location
from railwatch.imagery import sidecar as sidecars

# Refuse images whose header promises more than this, before decoding anything:
# a 2**31-pixel band is ~46 000 × 46 000, bigger than any single scene of a rail
# yard needs, and a width or height over a million is a forged header.
MAX_PIXELS = 2**31
MAX_SIDE = 1_000_000
# One read() may not allocate more than this without out_shape (decimation).
MAX_READ_BYTES = 2 * 1024**3

FORMATS = {"GTiff": "GeoTIFF", "PNG": "PNG", "JPEG": "JPEG"}
_SUPPORTED = "GeoTIFF/COG, PNG or JPEG"

# Magic numbers of formats people may try; only the first three are read.
_MAGIC: list[tuple[bytes, str]] = [
    (b"II*\x00", "GTiff"),
    (b"MM\x00*", "GTiff"),
    (b"II+\x00", "GTiff"),  # BigTIFF
    (b"MM\x00+", "GTiff"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
    (b"\x00\x00\x00\x0cjP  ", "JPEG 2000"),
    (b"\xff\x4f\xff\x51", "JPEG 2000"),
    (b"RIFF", "RIFF/WebP"),
    (b"%PDF", "PDF"),
    (b"PK\x03\x04", "ZIP"),
    (b"\x89HDF", "HDF5"),
    (b"CDF\x01", "NetCDF"),
]


def check_dimensions(path: str | Path, width: int, height: int) -> None:
    """Refuse absurd sizes from the header alone.

    Raises:
        ImageryError: a side is zero or over :data:`MAX_SIDE`, or the band has
            more than :data:`MAX_PIXELS` pixels.
    """
    if width <= 0 or height <= 0:
        raise ImageryError(f"{path}: header says {width} × {height} pixels; not an image")
    if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
        raise ImageryError(
            f"{path}: header says {width} × {height} pixels, over the limit "
            f"({MAX_SIDE:,} per side, {MAX_PIXELS:,} in all); refused without decoding "
            "(a forged header or a mosaic to cut into tiles first)"
        )


def sniff_format(path: Path) -> str:
    """The GDAL driver for this file, from its first bytes; PNG sizes are checked here too.

    Raises:
        ImageryError: missing, empty or unreadable file; a format railwatch does not read.
    """
    if not path.exists():
        raise ImageryError(f"{path}: no such file")
    if not path.is_file():
        raise ImageryError(f"{path}: not a file")
    try:
        with path.open("rb") as fh:
            head = fh.read(32)
    except OSError as exc:
        raise ImageryError(f"{path}: cannot be read: {exc.strerror}") from None
    if not head:
        raise ImageryError(f"{path}: empty file")
    kind = next((name for magic, name in _MAGIC if head.startswith(magic)), None)
    if kind is None:
        raise ImageryError(f"{path}: not an image format railwatch reads ({_SUPPORTED})")
    if kind not in FORMATS:
        raise ImageryError(f"{path}: {kind} is not supported; railwatch reads {_SUPPORTED}")
    if kind == "PNG":
        # libpng refuses wide images itself; read IHDR so the message says why.
        if len(head) < 24 or head[12:16] != b"IHDR":
            raise ImageryError(f"{path}: corrupt PNG (no IHDR header)")
        width, height = struct.unpack(">II", head[16:24])
        check_dimensions(path, width, height)
    return kind


def _gdal_message(exc: BaseException, path: str | Path) -> str:
    # rasterio chains GDAL's own message as the cause of a generic "Read failed".
    while exc.__cause__ is not None and "previous exception" in str(exc):
        exc = exc.__cause__
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
    name = location.display_name(path)
    names = [str(path), name]
    if location.is_remote(path):  # GDAL names a URL by its /vsi…/ path
        names.insert(0, location.vsi_path(str(path)))
    for prefix in [f"{n}{sep}" for n in names for sep in (": ", ", ")]:  # we name the file already
        text = text.replace(prefix, "")
    return text[:200]


def _fill_value(nodata: float | None, dtype: str) -> float:
    """Nodata when the band's type can hold it exactly, else 0."""
    if nodata is None:
        return 0
    kind = np.dtype(dtype)
    if kind.kind == "f":
        return nodata
    info = np.iinfo(kind)
    if math.isfinite(nodata) and nodata == int(nodata) and info.min <= nodata <= info.max:
        return nodata
    return 0


def _has_transform(transform: Affine) -> bool:
    return not transform.almost_equals(Affine.identity())


class RasterSource:
    """One image opened for windowed reads, in its own CRS and pixel grid.

    A context manager: ``with open_source(path) as src: src.read(window)``.
    ``crs`` and ``transform`` are the file's own, or else those of its sidecar
    JSON / world file; ``georef`` says which file supplied each. ``path`` is a
    :class:`~pathlib.Path`, or the URL string of a remote image; ``file_bytes`` is
    the file's size, None where a remote server does not say.
    """

    path: str | Path
    file_bytes: int | None
    crs: CRS
    transform: Affine
    width: int
    height: int
    count: int
    dtype: str
    nodata: float | None

    def __init__(
        self,
        path: str | Path,
        dataset: Any,
        *,
        crs: CRS,
        transform: Affine,
        driver: str,
        sidecar: sidecars.Sidecar | None,
        georef: dict[str, str],
        file_bytes: int | None,
    ) -> None:
        self.path = path
        self.file_bytes = file_bytes
        self.dataset = dataset
        self.crs = crs
        self.transform = transform
        self.width = int(dataset.width)
        self.height = int(dataset.height)
        self.count = int(dataset.count)
        self.dtype = str(dataset.dtypes[0])
        self.nodata = None if dataset.nodata is None else float(dataset.nodata)
        self.driver = driver
        self.sidecar = sidecar
        self.georef = georef

    # -- context manager -------------------------------------------------------
    def __enter__(self) -> RasterSource:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self.dataset.close()

    def __repr__(self) -> str:
        return (
            f"RasterSource({str(self.path)!r}, {self.width}x{self.height}x{self.count}, {self.crs})"
        )

    # -- geometry ---------------------------------------------------------------
    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(minx, miny, maxx, maxy) in the image CRS, from the four corners."""
        xs, ys = self.transform * (
            np.array([0, self.width, self.width, 0], dtype=float),
            np.array([0, 0, self.height, self.height], dtype=float),
        )
        return (float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max()))

    def window_for(self, geometry_4326: dict[str, Any]) -> Window:
        """The pixel window covering a GeoJSON geometry (EPSG:4326), clipped to the image.

        Edges are densified (every ~50 m) before reprojection, so curved
        projections do not cut corners.

        Raises:
            ImageryError: the geometry is malformed or does not overlap the image.
        """
        try:
            geom = shapely.segmentize(shape(geometry_4326), 0.0005)
            local = transform_geom("EPSG:4326", self.crs, mapping(geom))
        except Exception as exc:  # shapely/GDAL raise many kinds on bad input
            raise ImageryError(f"{self.path}: cannot place geometry on image: {exc}") from None
        coords = np.asarray(shapely.get_coordinates(shape(local)), dtype=float)
        if coords.size == 0 or not np.isfinite(coords).all():
            raise ImageryError(f"{self.path}: geometry cannot be placed on the image grid")
        cols, rows = ~self.transform * (coords[:, 0], coords[:, 1])
        lo_c, hi_c = float(np.min(cols)), float(np.max(cols))
        lo_r, hi_r = float(np.min(rows)), float(np.max(rows))
        if hi_c < 0 or lo_c > self.width or hi_r < 0 or lo_r > self.height:
            raise ImageryError(f"{self.path}: the geometry does not overlap the image")
        c0 = min(self.width - 1, max(0, math.floor(lo_c)))
        r0 = min(self.height - 1, max(0, math.floor(lo_r)))
        c1 = max(c0 + 1, min(self.width, math.ceil(hi_c)))
        r1 = max(r0 + 1, min(self.height, math.ceil(hi_r)))
        return Window(c0, r0, c1 - c0, r1 - r0)

    # -- pixels -------------------------------------------------------------------
    def read(
        self,
        window: Window | None = None,
        out_shape: tuple[int, int] | None = None,
        resampling: Resampling = Resampling.average,
    ) -> np.ndarray:
        """Pixels of a window as (bands, rows, cols); parts outside the image are nodata (or 0).

        Args:
            window: pixel window (may extend past the image); the whole image if None.
            out_shape: (rows, cols) to resample the window to; its own size if None.
            resampling: how to resample when ``out_shape`` differs from the window.

        Raises:
            ImageryError: the request is too large, or the file cannot be decoded there.
        """
        if window is None:
            window = Window(0, 0, self.width, self.height)
        c0, r0 = math.floor(window.col_off), math.floor(window.row_off)
        c1 = math.ceil(window.col_off + window.width)
        r1 = math.ceil(window.row_off + window.height)
        h, w = max(0, r1 - r0), max(0, c1 - c0)
        oh, ow = (h, w) if out_shape is None else (int(out_shape[0]), int(out_shape[1]))
        if oh < 0 or ow < 0:
            raise ImageryError(f"{self.path}: negative output shape {out_shape}")
        nbytes = oh * ow * self.count * np.dtype(self.dtype).itemsize
        if nbytes > MAX_READ_BYTES:
            raise ImageryError(
                f"{self.path}: reading {ow} × {oh} × {self.count} would need "
                f"{nbytes / 2**20:.0f} MiB; read a smaller window or pass out_shape"
            )
        fill = _fill_value(self.nodata, self.dtype)
        out = np.full((self.count, oh, ow), fill, dtype=self.dtype)
        ic0, ir0 = max(c0, 0), max(r0, 0)
        ic1, ir1 = min(c1, self.width), min(r1, self.height)
        if ic1 <= ic0 or ir1 <= ir0 or oh == 0 or ow == 0:
            return out
        sy, sx = oh / h, ow / w
        oc0, oc1 = round((ic0 - c0) * sx), round((ic1 - c0) * sx)
        or0, or1 = round((ir0 - r0) * sy), round((ir1 - r0) * sy)
        if oc1 <= oc0 or or1 <= or0:
            return out
        try:
            data = self.dataset.read(
                window=Window(ic0, ir0, ic1 - ic0, ir1 - ir0),
                out_shape=(self.count, or1 - or0, oc1 - oc0),
                resampling=resampling,
            )
        except RasterioError as exc:
            raise ImageryError(
                f"{self.path}: corrupt or truncated: cannot decode pixels "
                f"(window {ic0},{ir0} {ic1 - ic0}×{ir1 - ir0}): {_gdal_message(exc, self.path)}"
            ) from None
        out[:, or0:or1, oc0:oc1] = data
        return out

    def verify(self, window: Window | None = None) -> dict[str, Any]:
        """Cheap evidence the file is whole: block extents vs file size, one small decoded window.

        Tiled/stripped TIFFs have every block's offset and size checked against
        the file size (no decoding); PNG/JPEG have their last row decoded, which
        streams through the file. Then at most 256 × 256 pixels at the centre of
        ``window`` are decoded.

        Returns:
            What was checked, for the image's ``meta``.

        Raises:
            ImageryError: the file is truncated or a block cannot be decoded.
        """
        done: dict[str, Any] = {}
        if self.driver == "GTiff":
            done["blocks_checked"] = self._check_tiff_blocks()
        else:
            self.read(Window(0, self.height - 1, self.width, 1))
            done["last_row_decoded"] = True
        if window is None:
            window = Window(0, 0, self.width, self.height)
        w, h = min(256, int(window.width)), min(256, int(window.height))
        cx = int(window.col_off + window.width / 2 - w / 2)
        cy = int(window.row_off + window.height / 2 - h / 2)
        if w > 0 and h > 0:
            self.read(Window(cx, cy, w, h))
            done["decoded_window"] = [cx, cy, w, h]
        return done

    def _check_tiff_blocks(self) -> int:
        size = self.file_bytes
        if size is None:
            return 0  # a remote file of unknown size: GDAL reports a short read itself
        bh, bw = self.dataset.block_shapes[0]
        nx, ny = math.ceil(self.width / bw), math.ceil(self.height / bh)
        structure = self.dataset.tags(ns="IMAGE_STRUCTURE")
        pixel_interleaved = structure.get("INTERLEAVE", "PIXEL").upper() == "PIXEL"
        bands = [1] if pixel_interleaved else list(range(1, self.count + 1))
        if nx * ny * len(bands) > 2_000_000:
            return 0  # a strip per row of a huge image: too many to list cheaply
        n = 0
        for b in bands:
            for y in range(ny):
                for x in range(nx):
                    offset = self.dataset.get_tag_item(f"BLOCK_OFFSET_{x}_{y}", "TIFF", bidx=b)
                    if offset is None:  # sparse block: not written, reads as nodata
                        continue
                    nbytes = self.dataset.get_tag_item(f"BLOCK_SIZE_{x}_{y}", "TIFF", bidx=b)
                    if int(offset) + int(nbytes or 0) > size:
                        raise ImageryError(
                            f"{self.path}: truncated: block {x},{y} of band {b} ends at byte "
                            f"{int(offset) + int(nbytes or 0):,} but the file has {size:,} bytes"
                        )
                    n += 1
        return n


def _own_georeference(dataset: Any) -> tuple[CRS | None, Affine | None, dict[str, str]]:
    """The CRS and transform the file itself carries (tags or ground control points)."""
    crs: CRS | None = dataset.crs if dataset.crs else None
    transform: Affine | None = dataset.transform if _has_transform(dataset.transform) else None
    source = {k: "file" for k, v in (("transform", transform), ("crs", crs)) if v is not None}
    if transform is None and crs is None:
        gcps, gcp_crs = dataset.gcps
        if gcps and gcp_crs:
            transform, crs = from_gcps(gcps), gcp_crs
            source.update(transform="ground control points", crs="file")
    return crs, transform, source


def _georeference(
    path: Path, dataset: Any, sidecar: sidecars.Sidecar | None
) -> tuple[CRS, Affine, dict[str, str]]:
    """The CRS and transform to use, and which file gave each."""
    crs, transform, source = _own_georeference(dataset)
    # GDAL reads a world file and an .aux.xml itself: say so where it did.
    files = {Path(f).name for f in getattr(dataset, "files", [])[1:]}
    world = sidecars.find_world_file(path)
    aux = path.with_name(path.name + ".aux.xml")
    if source.get("transform") == "file" and world and world.name in files:
        source["transform"] = f"world file {world.name}"
    from_tags = source.get("transform") != "ground control points"
    if source.get("crs") == "file" and from_tags and aux.name in files:
        source["crs"] = aux.name
    if transform is None and sidecar is not None:
        if sidecar.transform is not None:
            transform, source["transform"] = sidecar.transform, f"sidecar {sidecar.path.name}"
        elif sidecar.bounds is not None:
            transform = from_bounds(*sidecar.bounds, dataset.width, dataset.height)
            source["transform"] = f"sidecar {sidecar.path.name} bounds"
    if transform is None and world is not None:
        transform, source["transform"] = (
            sidecars.read_world_file(world, path),
            f"world file {world.name}",
        )
    if crs is None and sidecar is not None and sidecar.crs is not None:
        crs, source["crs"] = sidecar.crs, f"sidecar {sidecar.path.name}"
    if crs is None:
        prj = sidecars.find_prj(path)
        if prj is not None:
            crs, source["crs"] = sidecars.read_prj(prj, path), prj.name
    if transform is None:
        raise ImageryError(
            f'{path}: no georeferencing; give a sidecar {path.name}.json with "crs" and '
            '"transform" or "bounds", or a world file with a CRS (see docs/imagery.md)'
        )
    if crs is None:
        raise ImageryError(
            f'{path}: the {source["transform"]} gives the pixel grid but no CRS; put "crs" '
            f"in a sidecar {path.name}.json, or add a .prj or .aux.xml"
        )
    return crs, transform, source


def open_source(path: str | Path) -> RasterSource:
    """Open an image for windowed reads, georeferenced by itself or by the files beside it.

    Nothing but the header is decoded.

    Raises:
        ImageryError: missing file, unsupported format, corrupt header, absurd
            dimensions, bad sidecar, or no georeferencing at all.
    """
    url = location.remote_url(path)
    if url is not None:
        return _open_remote(url)
    path = Path(path)
    driver = sniff_format(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            dataset = rasterio.open(path, driver=driver)
    except RasterioError as exc:
        raise ImageryError(
            f"{path}: corrupt or truncated {FORMATS[driver]}: {_gdal_message(exc, path)}"
        ) from None
    try:
        check_dimensions(path, dataset.width, dataset.height)
        if dataset.count < 1:
            raise ImageryError(f"{path}: has no bands")
        sidecar = sidecars.find_sidecar(path)
        crs, transform, georef = _georeference(path, dataset, sidecar)
        return RasterSource(
            path,
            dataset,
            crs=crs,
            transform=transform,
            driver=driver,
            sidecar=sidecar,
            georef=georef,
            file_bytes=path.stat().st_size,
        )
    except BaseException:
        dataset.close()
        raise


def _open_remote(url: str) -> RasterSource:
    """Open an image at a URL: GDAL reads the header in a few range requests.

    The format is GDAL's verdict, not our magic numbers (reading them would be one
    more request, and an object store may need GDAL's credentials).
    """
    try:
        with warnings.catch_warnings(), rasterio.Env(**location.gdal_options()):
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            dataset = rasterio.open(url)
    except RasterioError as exc:
        text = _gdal_message(exc, url)
        if "not recognized as" in text:  # GDAL read it and knows no such format
            raise ImageryError(
                f"{url}: not an image format railwatch reads ({_SUPPORTED})"
            ) from None
        code = re.search(r"HTTP response code: (\d+)", text)
        if code and code.group(1) == "404":
            raise ImageryError(f"{url}: no such file on the server (HTTP 404)") from None
        raise ImageryError(f"{url}: cannot be opened: {text}") from None
    try:
        if dataset.driver not in FORMATS:
            kind = dataset.driver
            raise ImageryError(f"{url}: {kind} is not supported; railwatch reads {_SUPPORTED}")
        check_dimensions(url, dataset.width, dataset.height)
        if dataset.count < 1:
            raise ImageryError(f"{url}: has no bands")
        crs, transform, georef = _own_georeference(dataset)
        if transform is None or crs is None:
            raise ImageryError(
                f"{url}: no georeferencing in the file; a remote image must carry its own "
                "(a GeoTIFF/COG with a CRS and transform): sidecars, world files and .prj "
                "files are only looked for beside local files"
            )
        return RasterSource(
            url,
            dataset,
            crs=crs,
            transform=transform,
            driver=dataset.driver,
            sidecar=None,
            georef=georef,
            file_bytes=location.remote_size(url),
        )
    except BaseException:
        dataset.close()
        raise
