"""Write a rendered scene as the files the detector and QGIS read.

``image.tif`` (GeoTIFF in the site's UTM zone), ``labels.geojson`` (EPSG:4326
oriented boxes) and ``coco.json`` (pixel corners). Nothing time-dependent goes
into the files, so the same scene always writes the same bytes.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from pyproj import Transformer

from railwatch import __version__
from railwatch.railcars import CLASSES
from railwatch.simulate.render import Scene


def _round(x: float, nd: int) -> float:
    return float(round(float(x), nd))


@lru_cache(maxsize=8)
def _to_lonlat(crs: str) -> Transformer:
    return Transformer.from_crs(crs, "EPSG:4326", always_xy=True)


def pixel_to_lonlat(scene: Scene, corners_px: np.ndarray) -> np.ndarray:
    """Map pixel (col, row) corners through the GeoTIFF transform to lon/lat."""
    t = scene.transform
    xs = t.c + t.a * corners_px[:, 0] + t.b * corners_px[:, 1]
    ys = t.f + t.d * corners_px[:, 0] + t.e * corners_px[:, 1]
    lon, lat = _to_lonlat(scene.crs).transform(xs, ys)
    return np.column_stack([lon, lat])


def labels_geojson(scene: Scene) -> dict[str, Any]:
    """The railcars as a GeoJSON FeatureCollection in EPSG:4326."""
    feats = []
    for i, car in enumerate(scene.cars):
        ll = pixel_to_lonlat(scene, car.corners_px)
        ring = [[_round(x, 8), _round(y, 8)] for x, y in ll]
        ring.append(ring[0])
        feats.append(
            {
                "type": "Feature",
                "id": i + 1,
                "properties": {
                    "class": car.railcar_class,
                    "tarped": car.tarped,
                    "occluded": car.occluded,
                    "truncated": car.truncated,
                    "length_m": _round(car.length_m, 2),
                    "width_m": _round(car.width_m, 2),
                    "load": car.load,
                },
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    return {
        "type": "FeatureCollection",
        "name": "railcars",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
        "features": feats,
    }


def coco_json(scene: Scene) -> dict[str, Any]:
    """The railcars as COCO: oriented corners in ``segmentation``, axis-aligned ``bbox``."""
    h, w = scene.image.shape[:2]
    anns = []
    for i, car in enumerate(scene.cars):
        c = car.corners_px
        xs = np.clip(c[:, 0], 0, w)
        ys = np.clip(c[:, 1], 0, h)
        x0, y0, x1, y1 = xs.min(), ys.min(), xs.max(), ys.max()
        seg = [_round(v, 3) for v in c.reshape(-1)]
        area = 0.5 * abs(
            float(np.dot(c[:, 0], np.roll(c[:, 1], 1)) - np.dot(c[:, 1], np.roll(c[:, 0], 1)))
        )
        anns.append(
            {
                "id": i + 1,
                "image_id": 1,
                "category_id": CLASSES.index(car.railcar_class) + 1,
                "segmentation": [seg],
                "bbox": [_round(x0, 3), _round(y0, 3), _round(x1 - x0, 3), _round(y1 - y0, 3)],
                "area": _round(area, 3),
                "iscrowd": 0,
                "attributes": {
                    "tarped": car.tarped,
                    "occluded": car.occluded,
                    "truncated": car.truncated,
                },
            }
        )
    return {
        "info": {"description": "railwatch synthetic scene", "version": __version__},
        "images": [{"id": 1, "file_name": "image.tif", "width": w, "height": h}],
        "categories": [{"id": i + 1, "name": n} for i, n in enumerate(CLASSES)],
        "annotations": anns,
    }


def write_image(scene: Scene, path: Path) -> None:
    """The GeoTIFF with its acquisition time and scene tags."""
    import rasterio  # here, so rendering in memory (training) needs no GDAL

    img = scene.image
    h, w, nb = img.shape
    spec = scene.spec
    acq = scene.acquired
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=w,
        height=h,
        count=nb,
        dtype=img.dtype,
        crs=scene.crs,
        transform=scene.transform,
        compress="deflate",
        predictor=2,
        zlevel=1,  # fast; higher levels save under 2 % on these images
        tiled=False,
        photometric="RGB" if nb == 3 else "MINISBLACK",
    ) as ds:
        ds.write(np.moveaxis(img, -1, 0))
        ds.update_tags(
            TIFFTAG_DATETIME=acq.strftime("%Y:%m:%d %H:%M:%S"),
            TIFFTAG_SOFTWARE=f"railwatch {__version__}",
            ACQUISITION_DATETIME=acq.strftime("%Y-%m-%dT%H:%M:%SZ"),
            GSD=f"{spec.gsd:g}",
            SEASON=spec.season,
            HAZE=f"{spec.haze:g}",
            SEED=str(spec.seed),
            OFF_NADIR=f"{spec.off_nadir:g}",
            SUN_ELEVATION=f"{scene.sun_elevation:g}",
            SUN_AZIMUTH=f"{scene.sun_azimuth:g}",
            CLOUD_FRACTION=f"{scene.cloud_fraction:g}",
            SITE=spec.site,
            SYNTHETIC="true",
        )
        names = ["red", "green", "blue", "nir"][:nb]
        for i, name in enumerate(names, start=1):
            ds.set_band_description(i, name)


def write_scene(scene: Scene, out_dir: Path | str) -> Path:
    """Write image.tif, labels.geojson and coco.json into ``out_dir`` (created).

    Args:
        scene: a rendered scene.
        out_dir: folder for the three files.

    Returns:
        The folder.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_image(scene, out / "image.tif")
    (out / "labels.geojson").write_text(
        json.dumps(labels_geojson(scene), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    (out / "coco.json").write_text(json.dumps(coco_json(scene), indent=1) + "\n", encoding="utf-8")
    return out
