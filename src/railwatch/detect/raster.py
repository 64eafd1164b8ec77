"""Pixels in the form the detector expects: 8-bit RGB at the model's ground sample distance.

Training and detection both go through these functions, so the network sees
the same stretch and the same resampling in both.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image as PILImage
from pyproj import CRS, Transformer

from railwatch.errors import DetectionError, ImageryError


def pixel_size_of(crs: Any, transform: Any, width: int, height: int) -> tuple[float, float]:
    """Ground size in metres of the centre pixel along columns and along rows.

    The two differ where pixels are not square on the ground (a geographic grid
    away from the equator: 4e-6 degrees are 0.33 m east-west and 0.44 m
    north-south at 42 N), and the detector resamples each axis by its own.

    Raises:
        ImageryError: no CRS, or the georeferencing gives no finite positive size.
    """
    from railwatch.imagery.metadata import pixel_size_m

    if crs is None:
        raise ImageryError("the image has no coordinate reference system; cannot tell its scale")
    try:
        dx, dy = pixel_size_m(CRS.from_user_input(crs), transform, width, height)
    except Exception as exc:  # pyproj/GDAL raise many kinds on absurd coordinates
        raise ImageryError(f"its georeferencing gives no ground size for a pixel ({exc})") from None
    if not (math.isfinite(dx) and math.isfinite(dy) and dx > 0 and dy > 0):
        raise ImageryError(
            f"its georeferencing gives pixels of {dx:.3g} × {dy:.3g} m on the ground; "
            "check its transform"
        )
    return float(dx), float(dy)


def gsd_of(crs: Any, transform: Any, width: int, height: int) -> float:
    """Ground sample distance in metres: the mean geodesic size of the centre pixel.

    The same figure ingest stores with an image, so a Web Mercator or a
    geographic grid is scaled by what its pixels cover on the ground, not by
    their nominal size.
    """
    dx, dy = pixel_size_of(crs, transform, width, height)
    return float((dx + dy) / 2)


def stretch_limits(sample: np.ndarray, nodata: float | None = None) -> tuple[float, float]:
    """Low and high values (0.5 and 99.5 percentiles) mapped to 0 and 255 for >8-bit imagery."""
    values = sample[np.isfinite(sample)]
    if nodata is not None:
        values = values[values != nodata]
    values = values[values != 0]
    if values.size == 0:
        return 0.0, 1.0
    lo, hi = np.percentile(values, [0.5, 99.5])
    return float(lo), float(max(hi, lo + 1))


def to_rgb8(
    bands: np.ndarray,
    *,
    limits: tuple[float, float] | None = None,
    nodata: float | None = None,
) -> np.ndarray:
    """(bands, h, w) of any dtype → (h, w, 3) uint8 RGB.

    One band is replicated (panchromatic); a fourth band and beyond (NIR) is
    dropped; two bands cannot be read as colour. Nodata pixels become black.
    """
    if bands.ndim == 2:
        bands = bands[None]
    count = bands.shape[0]
    if count == 1:
        rgb = np.repeat(bands, 3, axis=0)
    elif count >= 3:
        rgb = bands[:3]
    else:
        raise DetectionError(f"{count}-band imagery is neither panchromatic nor RGB(N)")
    mask = None
    if nodata is not None:
        mask = np.all(rgb == nodata, axis=0)
    if rgb.dtype == np.uint8 and limits is None:
        out = rgb
    else:
        lo, hi = limits if limits is not None else stretch_limits(rgb, nodata)
        out = np.clip((rgb.astype(np.float32) - lo) * (255.0 / (hi - lo)), 0, 255).astype(np.uint8)
    out = np.ascontiguousarray(np.moveaxis(out, 0, -1))
    if mask is not None and mask.any():
        out[mask] = 0
    return out


def resample(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """(h, w, 3) uint8 → (height, width, 3); bilinear, antialiased when shrinking."""
    if image.shape[0] == height and image.shape[1] == width:
        return image
    pil = PILImage.fromarray(np.ascontiguousarray(image))
    return np.asarray(pil.resize((width, height), PILImage.Resampling.BILINEAR))


def read_rgb(path: str | Path) -> tuple[np.ndarray, Any, Any, float]:
    """A whole (small) GeoTIFF as (h, w, 3) uint8 with its transform, CRS and GSD.

    For training and evaluation scenes only; detection reads in tiles instead.
    """
    import rasterio

    try:
        with rasterio.open(path) as src:
            data = src.read()
            nodata = src.nodata
            gsd = gsd_of(src.crs, src.transform, src.width, src.height)
            return to_rgb8(data, nodata=nodata), src.transform, src.crs, gsd
    except rasterio.errors.RasterioIOError as exc:
        raise ImageryError(f"{path}: cannot read image: {exc}") from exc


def labels_px(geojson_path: str | Path, transform: Any, crs: Any) -> list[dict[str, Any]]:
    """Labelled railcars of a ``labels.geojson`` (EPSG:4326 polygons) in the image's pixel grid.

    Returns dicts with ``corners`` ((4, 2) float, x = column, y = row), ``class``,
    ``tarped`` and ``occluded`` (under cloud). A polygon with more than four corners
    is replaced by its minimum rotated rectangle, so hand-drawn outlines from QGIS
    work too.
    """
    from shapely.geometry import shape

    try:
        doc = json.loads(Path(geojson_path).read_text())
    except (OSError, ValueError) as exc:
        raise ImageryError(f"{geojson_path}: cannot read labels: {exc}") from exc
    to_img = Transformer.from_crs("EPSG:4326", CRS.from_user_input(crs), always_xy=True)
    inverse = ~transform
    out = []
    features = doc.get("features", []) if doc.get("type") == "FeatureCollection" else [doc]
    for feat in features:
        geom = feat.get("geometry")
        if not geom:
            continue
        poly = shape(geom)
        if poly.geom_type == "MultiPolygon":
            poly = max(poly.geoms, key=lambda g: g.area)
        if poly.geom_type != "Polygon":
            continue
        xs, ys = to_img.transform(*np.asarray(poly.exterior.coords).T)
        cols, rows = inverse * (np.asarray(xs), np.asarray(ys))
        from shapely.geometry import Polygon

        rect = Polygon(np.column_stack([cols, rows])).minimum_rotated_rectangle
        corners = np.asarray(rect.exterior.coords)[:4]
        props = feat.get("properties") or {}
        out.append(
            {
                "corners": corners,
                "class": str(props.get("class", props.get("railcar_class", "other"))),
                "tarped": bool(props.get("tarped", False)),
                "occluded": bool(props.get("occluded", False)),
            }
        )
    return out
