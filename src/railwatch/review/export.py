"""Reviewed images with their corrected labels, as a folder ``train``/``evaluate`` read.

Each reviewed image becomes ``image-<id>.tif`` (the stored GeoTIFF copied byte
for byte, or a GeoTIFF written from a PNG/JPEG with its sidecar georeferencing)
with ``image-<id>.geojson`` beside it: one EPSG:4326 polygon per car not
rejected, with ``class`` and ``tarped`` — the third layout of
``detect.evaluation.find_samples``. ``reviews.json`` says who reviewed what, when,
and which model's boxes were corrected.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from railwatch.errors import InputError
from railwatch.review.service import counts
from railwatch.store import Store
from railwatch.store import images as image_rows
from railwatch.store import reviews as review_rows
from railwatch.store import sites as site_rows


def _labels_geojson(labels: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [lab["polygon"]]},
                "properties": {
                    "class": lab["railcar_class"],
                    "tarped": bool(lab["tarped"]),
                    "source": "detector" if lab.get("detection_id") else "analyst",
                },
            }
            for lab in labels
            if lab["status"] != "rejected"
        ],
    }


def _write_tiff(src_path: str, dest: Path) -> None:
    """Copy a GeoTIFF, or write one from a sidecar-georeferenced PNG/JPEG.

    A remote GeoTIFF is copied through GDAL, which reads it by ranges like any other.
    """
    import rasterio
    import rasterio.shutil

    from railwatch.imagery import open_source
    from railwatch.imagery.location import is_remote

    with open_source(src_path) as src:
        if src.driver == "GTiff" and not is_remote(src_path):
            shutil.copyfile(src_path, dest)
            return
        if src.driver == "GTiff":
            rasterio.shutil.copy(src.dataset, dest, driver="GTiff")
            return

        profile = {
            "driver": "GTiff",
            "width": src.width,
            "height": src.height,
            "count": src.count,
            "dtype": src.dtype,
            "crs": src.crs,
            "transform": src.transform,
        }
        with rasterio.open(dest, "w", **profile) as out:
            out.write(src.read())


def export(store: Store, *, site: str, out_dir: str | Path) -> dict[str, Any]:
    """Write a site's reviewed images and labels into ``out_dir`` (made if missing).

    Raises:
        NotFoundError: no such site.
        InputError: ``out_dir`` is a file, or already holds an export of other images.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a folder")
    with store.transaction() as session:
        site_row = site_rows.row_for(session, site)
        rows = review_rows.for_site(session, site_row.id)
        reviewed = [
            (image_rows.get(session, image_id), row)
            for image_id, row in sorted(rows.items())
            if row.status == "reviewed"
        ]
        entries = [
            {
                "image_id": image.id,
                "acquired_at": image.acquired_at,
                "reviewer": row.reviewer,
                "reviewed_at": row.reviewed_at,
                "revision": row.revision,
                "model_version": row.model_version,
                "counts": counts(row.labels),
                "labels": list(row.labels),
                "path": image.path,
            }
            for image, row in reviewed
        ]
    out.mkdir(parents=True, exist_ok=True)
    stray = [p.name for p in out.glob("*.tif") if not p.name.startswith("image-")]
    if stray:
        raise InputError(f"{out}: holds other GeoTIFFs ({stray[0]}); export into an empty folder")
    written = []
    for e in entries:
        stem = f"image-{e['image_id']}"
        tif = out / f"{stem}.tif"
        tmp = out / f".{stem}.tif.part"
        _write_tiff(e["path"], tmp)
        tmp.replace(tif)
        (out / f"{stem}.geojson").write_text(json.dumps(_labels_geojson(e.pop("labels"))) + "\n")
        written.append({**e, "image": tif.name, "labels": f"{stem}.geojson"})
    index = {"site": site, "images": written}
    (out / "reviews.json").write_text(json.dumps(index, default=str, indent=2) + "\n")
    return {"site": site, "out": str(out), "images": written}
