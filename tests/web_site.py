"""A small simulated Tumangang for the web tests: 14 dated images, boxes and counts.

Each image is a 256 px GeoTIFF (0.5 m, UTM 52N) in the middle of the yard with
bright 28x6 px "cars" on grey; its stored detections are those cars, except on
the last (peak) date, where the detector missed car 0 (a flat) and saw a box
where there is none. The last date is unprecedented (40 cars after 8-12).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import rasterio
from pyproj import Transformer
from rasterio.transform import from_origin

from railwatch import service
from railwatch.railcars import CLASSES
from railwatch.records import Detection, Event, Image, Observation
from railwatch.sites import builtin
from railwatch.store import detections as detection_rows
from railwatch.store import images as image_rows
from railwatch.store import observations as observation_rows

SIZE = 256
GSD = 0.5
MODEL = "fake-1"
COUNTS = (9, 11, 8, 12, 10, 9, 11, 10, 12, 8, 10, 11, 9, 40)
DATES = tuple(datetime(2022, 9 + i, 10, 2, 13, tzinfo=UTC) for i in range(4)) + tuple(
    datetime(2023, 1 + i, 10, 2, 13, tzinfo=UTC) for i in range(9)
)
PEAK = datetime(2023, 10, 5, 2, 13, tzinfo=UTC)
#: Where the detector's false box lies on the peak image (pixels: x0, y0, x1, y1): empty ground.
FALSE_BOX = (100, 226, 128, 232)
CENTRE = (130.616, 42.4215)
CRS = "EPSG:32652"


def car_class(k: int) -> str:
    return "flat" if k % 3 == 0 else "box"


def car_px(k: int) -> tuple[int, int, int, int]:
    col, row = k % 8, k // 8
    x0, y0 = 8 + 31 * col, 20 + 18 * row
    return x0, y0, x0 + 28, y0 + 6


@dataclass
class WebSite:
    images: list[Image]
    peak: Image
    true_counts: dict[str, int]  # the peak image's cars per class
    detected_counts: dict[str, int]  # what the detector said there
    origin: tuple[float, float]

    def lonlat(self, col: float, row: float) -> tuple[float, float]:
        to_ll = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)
        x, y = self.origin[0] + col * GSD, self.origin[1] - row * GSD
        lon, lat = to_ll.transform(x, y)
        return float(lon), float(lat)

    def ring(self, box: tuple[float, float, float, float]) -> list[list[float]]:
        x0, y0, x1, y1 = box
        pts = [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]
        return [list(self.lonlat(c, r)) for c, r in pts]


def build(store, folder: Path) -> WebSite:
    """Fill ``store`` with the small site; image files go into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    service.add_sites(store, builtin())
    to_utm = Transformer.from_crs("EPSG:4326", CRS, always_xy=True)
    cx, cy = to_utm.transform(*CENTRE)
    origin = (cx - SIZE * GSD / 2, cy + SIZE * GSD / 2)
    site = WebSite([], None, {}, {}, origin)  # type: ignore[arg-type]
    for i, (when, n) in enumerate(zip((*DATES, PEAK), COUNTS, strict=True)):
        img = np.full((3, SIZE, SIZE), 60, np.uint8)
        for k in range(n):
            x0, y0, x1, y1 = car_px(k)
            img[:, y0:y1, x0:x1] = 230
        path = folder / f"scene-{i:02d}.tif"
        with rasterio.open(
            path, "w", driver="GTiff", width=SIZE, height=SIZE, count=3, dtype="uint8",
            crs=CRS, transform=from_origin(*origin, GSD, GSD),
        ) as dst:  # fmt: skip
            dst.write(img)
        footprint = {"type": "Polygon", "coordinates": [site.ring((0, 0, SIZE, SIZE))]}
        record = Image(
            path=str(path), sha256=f"{i:064d}", site="tumangang", crs=CRS,
            bounds=(origin[0], origin[1] - SIZE * GSD, origin[0] + SIZE * GSD, origin[1]),
            footprint=footprint, width=SIZE, height=SIZE, bands=3, dtype="uint8", gsd_m=GSD,
            acquired_at=when, provider="simulated", format="GTiff",
        )  # fmt: skip
        boxes = [(car_px(k), car_class(k)) for k in range(n)]
        peak = i == len(COUNTS) - 1
        if peak:
            boxes = boxes[1:] + [(FALSE_BOX, "box")]
        with store.transaction() as session:
            stored = image_rows.add(session, record)
            detection_rows.replace_for_image(
                session,
                stored.id,
                MODEL,
                [
                    Detection(
                        railcar_class=cls,
                        score=0.9 - 0.001 * j,
                        polygon=tuple(tuple(p) for p in site.ring(box)),
                        polygon_px=tuple(
                            (float(c), float(r))
                            for c, r in [
                                (box[0], box[1]),
                                (box[2], box[1]),
                                (box[2], box[3]),
                                (box[0], box[3]),
                                (box[0], box[1]),
                            ]
                        ),  # fmt: skip
                        image_id=stored.id,
                        model_version=MODEL,
                    )
                    for j, (box, cls) in enumerate(boxes)
                ],
            )
            per_class = dict.fromkeys(CLASSES, 0)
            for _, cls in boxes:
                per_class[cls] += 1
            observation_rows.add(
                session,
                [
                    Observation(
                        site="tumangang",
                        observed_at=when,
                        railcar_class=cls,
                        count=c,
                        method="detector",
                        source=str(path),
                        image_id=stored.id,
                        model_version=MODEL,
                        count_sigma=1.0,
                    )  # fmt: skip
                    for cls, c in per_class.items()
                ],
            )
        site.images.append(stored)
        if peak:
            site.peak = stored
            site.detected_counts = per_class
            truth = dict.fromkeys(CLASSES, 0)
            for k in range(n):
                truth[car_class(k)] += 1
            site.true_counts = truth
    service.add_event(
        store,
        Event(occurred_at=datetime(2023, 9, 13, tzinfo=UTC), title="Summit", site="tumangang"),
    )
    return site
