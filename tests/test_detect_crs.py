"""The same scene counts the same in its own CRS, in Web Mercator and in EPSG:4326.

A geographic grid's pixels are not square on the ground (at 42° N a degree of
longitude is 0.74 of a degree of latitude): each axis must be brought to the
model's GSD by its own ground size, or cars come out stretched one way and
squashed the other, and are counted and classed differently.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin
from rasterio.warp import Resampling, calculate_default_transform, reproject

from railwatch.detect import raster
from railwatch.detect.runs import detect_file
from test_detect_slicing import BrightBoxDetector


def warp(src_path: Path, dst_crs: str, dst: Path) -> Path:
    with rasterio.open(src_path) as src:
        t, w, h = calculate_default_transform(src.crs, dst_crs, src.width, src.height, *src.bounds)
        profile = src.profile | {"crs": dst_crs, "transform": t, "width": w, "height": h}
        with rasterio.open(dst, "w", **profile) as out:
            for b in range(1, src.count + 1):
                reproject(
                    rasterio.band(src, b), rasterio.band(out, b), resampling=Resampling.bilinear
                )
    return dst


def test_geographic_pixels_are_resampled_axis_by_axis(tmp_path: Path) -> None:
    """A 30 m car along each axis of an EPSG:4326 grid reaches the model 60 px long (0.5 m)."""
    lat, deg = 42.42, 4.5e-6  # ~0.37 m east-west, ~0.50 m north-south
    data = np.full((3, 300, 300), 40, np.uint8)
    with rasterio.open(
        tmp_path / "g.tif",
        "w",
        driver="GTiff",
        width=300,
        height=300,
        count=3,
        dtype="uint8",
        crs="EPSG:4326",
        transform=from_origin(130.6, lat, deg, deg),
    ) as dst:
        gx, gy = raster.pixel_size_of(dst.crs, dst.transform, 300, 300)
        assert gx / gy == pytest.approx(np.cos(np.radians(lat)), rel=0.01)
        along_x, along_y = round(30 / gx), round(30 / gy)
        data[:, 60:66, 40 : 40 + along_x] = 230  # a car lying east-west
        data[:, 120 : 120 + along_y, 250:256] = 230  # a car lying north-south
        dst.write(data)
    seen: list[float] = []

    class Recording(BrightBoxDetector):
        def predict(self, tiles: np.ndarray) -> list[np.ndarray]:
            out = super().predict(tiles)
            seen.extend(float(row[2]) for rows in out for row in rows)
            return out

    assert len(detect_file(tmp_path / "g.tif", Recording()).detections) == 2
    assert sorted(seen) == pytest.approx([60, 60], abs=2)


@pytest.fixture(scope="module")
def scene(tmp_path_factory) -> Path:
    from railwatch.simulate import SceneSpec, render_scene, write_scene

    out = tmp_path_factory.mktemp("crs")
    spec = SceneSpec(seed=77, gsd=0.5, size=(512, 512), n_cars=40, site="tumangang")
    return Path(write_scene(render_scene(spec), out)) / "image.tif"


def test_same_scene_same_count_in_any_crs(scene: Path, tmp_path: Path) -> None:
    from railwatch.detect import load_model

    detector = load_model(threads=2)
    counts = {"own": detect_file(scene, detector).counts}
    for name, crs in [("mercator", "EPSG:3857"), ("geographic", "EPSG:4326")]:
        counts[name] = detect_file(warp(scene, crs, tmp_path / f"{name}.tif"), detector).counts
    own, square, geographic = counts["own"], counts["mercator"], counts["geographic"]
    assert sum(own.values()) >= 20  # the detector really sees this scene
    for other in (square, geographic):
        assert abs(sum(other.values()) - sum(own.values())) <= 0.1 * sum(own.values()), counts
    # Both warped copies went through the same bilinear resampling, so what tells them
    # apart is only the shape of their pixels: Web Mercator's are square on the ground,
    # EPSG:4326's are not. Squashed cars were taken for other types (tank for open).
    assert abs(sum(geographic.values()) - sum(square.values())) <= 2, counts
    assert all(abs(geographic[c] - square[c]) <= 2 for c in own), counts
