"""Imagery chips: the window read stays bounded; scale bar and north arrow are right."""

from __future__ import annotations

import io
import math
from datetime import date
from pathlib import Path

import numpy as np
import pytest
import rasterio
from PIL import Image as PILImage
from rasterio import Affine
from rasterio.transform import from_origin

from railwatch.report import chips
from railwatch.report.model import ChipSpec, ImageInfo


def _spec(path: Path, width: int, height: int, rings: list[list[list[float]]]) -> ChipSpec:
    info = ImageInfo(id=1, day=date(2023, 10, 5), sha256="f" * 64, gsd_m=0.5, path=str(path),
                     crs="EPSG:32652", width=width, height=height)  # fmt: skip
    dets = tuple({"railcar_class": "box", "tarped": i % 2 == 0, "polygon_px": r}
                 for i, r in enumerate(rings))  # fmt: skip
    return ChipSpec("peak", info.day, info, len(rings), dets)


def _ring(x: float, y: float) -> list[list[float]]:
    return [[x, y], [x + 30, y], [x + 30, y + 14], [x, y + 14], [x, y]]


def test_window_hugs_the_detections(tmp_path):
    spec = _spec(tmp_path / "x.tif", 5000, 5000, [_ring(1000, 1000), _ring(1100, 1040)])
    c0, r0, w, h = chips._window(spec)
    assert c0 < 1000 and r0 < 1000 and c0 + w > 1130 and r0 + h > 1054
    # two cars span 130 px; the window is the least ground extent (150 m at 0.5 m), no more
    assert w == h == round(chips.MIN_WINDOW_M / 0.5)


def test_window_of_a_few_cars_shows_the_yard_around_them(tmp_path):
    """A quiet date's chip keeps 150 m of ground, shifted, not cut, at the image edge."""
    spec = _spec(tmp_path / "x.tif", 1024, 512, [_ring(5, 490)])
    c0, r0, w, h = chips._window(spec)
    assert (w, h) == (300, 300)
    assert c0 == 0 and r0 + h == 512  # pushed inside the image, still holding the car
    small = _spec(tmp_path / "y.tif", 200, 120, [_ring(50, 50)])
    assert chips._window(small) == (0, 0, 200, 120)  # never beyond the image


def test_window_is_capped_when_detections_spread_over_the_scene(tmp_path):
    rings = [_ring(x, y) for x in range(100, 39000, 3000) for y in range(100, 39000, 5000)]
    rings += [_ring(20000 + i, 20000) for i in range(0, 600, 40)]  # a dense yard
    spec = _spec(tmp_path / "x.tif", 40000, 40000, rings)
    c0, r0, w, h = chips._window(spec)
    assert w <= chips.MAX_WINDOW_PX and h <= chips.MAX_WINDOW_PX
    assert c0 <= 20000 <= c0 + w and r0 <= 20000 <= r0 + h  # it keeps the dense part


def test_scale_bar_lengths_are_round():
    assert chips._nice_length(93) == 50
    assert chips._nice_length(230) == 200
    assert chips._nice_length(7.3) == 5
    assert chips._nice_length(1.0) == 1


def test_north_arrow_follows_the_transform():
    north_up = from_origin(500000, 4700000, 0.5, 0.5)
    assert chips._north_angle(north_up) == pytest.approx(0.0, abs=1e-9)
    rotated = north_up * Affine.rotation(90)
    assert abs(chips._north_angle(rotated)) == pytest.approx(math.pi / 2, abs=1e-6)


def test_chip_is_drawn_from_a_window(tmp_path):
    path = tmp_path / "scene.tif"
    with rasterio.open(
        path, "w", driver="GTiff", width=600, height=400, count=3, dtype="uint16",
        crs="EPSG:32652", transform=from_origin(500000, 4700000, 0.5, 0.5),
    ) as dst:  # fmt: skip
        dst.write(np.random.default_rng(0).integers(200, 2000, (3, 400, 600), dtype=np.uint16))
    spec = _spec(path, 600, 400, [_ring(100, 100), _ring(140, 100), _ring(500, 380)])
    png, drawn = chips.cut(spec, "fr")
    picture = PILImage.open(io.BytesIO(png))
    assert picture.format == "PNG"
    assert picture.width == chips.CHIP_WIDTH or picture.height == chips.CHIP_HEIGHT
    assert drawn == 3


def test_unreadable_image_gives_a_note_not_an_error(tmp_path):
    spec = _spec(tmp_path / "missing.tif", 100, 100, [_ring(10, 10)])
    (chip,) = chips.cut_all((spec,), "en")
    assert chip.png is None and "not found" in chip.problem
