"""Sliced detection: tiles, borders, resampling, band layouts, GSD limits (no model needed)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin
from scipy import ndimage

from railwatch.detect import geometry
from railwatch.detect.runs import detect_file, to_geojson
from railwatch.detect.slicing import detect_raster
from railwatch.errors import DetectionError, UnfitImageError


class BrightBoxDetector:
    """A fake detector that 'sees' bright axis-aligned rectangles, cut ones included."""

    version = "fake-1"
    gsd = 0.5

    def __init__(self) -> None:
        self.calls = 0

    def predict(self, tiles: np.ndarray) -> list[np.ndarray]:
        self.calls += 1
        out = []
        for tile in tiles:
            labels, _ = ndimage.label(tile[..., 0] > 128)
            rows = []
            for sl in ndimage.find_objects(labels):
                y0, y1, x0, x1 = sl[0].start, sl[0].stop, sl[1].start, sl[1].stop
                w, h = x1 - x0, y1 - y0
                angle = 0.0 if w >= h else np.pi / 2
                rows.append(
                    [(x0 + x1) / 2, (y0 + y1) / 2, max(w, h), min(w, h), angle, 0.9, 2, 0.8]
                )
            out.append(np.array(rows, float).reshape(-1, 8))
        return out


def write_tif(path: Path, data: np.ndarray, gsd: float, nodata=None) -> Path:
    bands = data if data.ndim == 3 else data[None]
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=bands.shape[2],
        height=bands.shape[1],
        count=bands.shape[0],
        dtype=bands.dtype,
        crs="EPSG:32652",
        transform=from_origin(600_000, 4_700_000, gsd, gsd),
        nodata=nodata,
    ) as dst:
        dst.write(bands)
    return path


def consist_scene(h: int = 300, w: int = 420) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """A grey scene with a horizontal and a vertical consist of bright 30x6 px cars."""
    img = np.full((3, h, w), 60, np.uint8)
    cars = []
    for x in range(4, w - 34, 34):  # horizontal consist along row 120
        cars.append((x, 117, x + 30, 123))
    vx = int(w * 0.6)
    for y in range(4, h - 34, 34):  # vertical consist along column 0.6 w
        cars.append((vx - 3, y, vx + 3, y + 30))
    # drop the horizontal cars the vertical consist runs through
    cars = [c for c in cars if c[2] <= vx - 4 or c[0] >= vx + 4 or c[1] != 117] + []
    cars = [c for c in cars if not (c[1] < 123 and c[3] > 117 and c[0] == vx - 3)]
    for x0, y0, x1, y1 in cars:
        img[:, y0:y1, x0:x1] = 230
    return img, cars


def _car_corners(cars):
    return np.array([[[x0, y0], [x1, y0], [x1, y1], [x0, y1]] for x0, y0, x1, y1 in cars], float)


@pytest.mark.parametrize("gsd", [0.5, 0.4])
def test_consist_across_tile_borders_comes_out_once(tmp_path: Path, gsd: float) -> None:
    img, cars = consist_scene()
    path = write_tif(tmp_path / "consist.tif", img, gsd)
    det = BrightBoxDetector()
    with rasterio.open(path) as src:
        found = detect_raster(src, det, gsd=gsd, tile=128, overlap=40, batch=4)
    assert found.tiles > 9  # the consists really cross many tile borders
    truth = _car_corners(cars)
    ious = geometry.iou_matrix(found.corners, truth)
    assert len(found) == len(cars), (len(found), len(cars))
    # every car found exactly once, and well placed
    assert (ious.max(axis=0) > 0.6).all()
    assert ((ious > 0.3).sum(axis=0) == 1).all()


def test_detect_file_gives_geojson_in_lonlat(tmp_path: Path) -> None:
    img, cars = consist_scene(200, 200)
    path = write_tif(tmp_path / "s.tif", img, 0.5)
    result = detect_file(path, BrightBoxDetector())
    assert sum(result.counts.values()) == len(cars) == len(result.detections)
    assert result.counts["tank"] == len(cars)  # class index 2
    doc = to_geojson([result])
    assert doc["type"] == "FeatureCollection"
    ring = doc["features"][0]["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 5
    lon, lat = ring[0]
    assert 128 < lon < 132 and 42 < lat < 43  # UTM 52N near Tumangang
    props = doc["features"][0]["properties"]
    assert (
        props["class"] == "tank" and props["tarped"] is True and props["model_version"] == "fake-1"
    )
    from shapely.geometry import Polygon

    assert Polygon(ring).exterior.is_ccw  # RFC 7946: exterior rings counter-clockwise


def test_sixteen_bit_panchromatic_with_nodata(tmp_path: Path) -> None:
    img, cars = consist_scene(200, 200)
    pan = img[0].astype(np.uint16) * 40 + 500
    pan[:, :20] = 0  # nodata strip
    path = write_tif(tmp_path / "pan.tif", pan, 0.5, nodata=0)
    result = detect_file(path, BrightBoxDetector())
    assert sum(result.counts.values()) == len([c for c in cars if c[2] > 20])  # cut car still seen


def test_rgbn_drops_nir(tmp_path: Path) -> None:
    img, cars = consist_scene(160, 160)
    nir = np.full((1, 160, 160), 255, np.uint8)  # would swamp everything if read as colour
    path = write_tif(tmp_path / "rgbn.tif", np.concatenate([img, nir]), 0.5)
    assert sum(detect_file(path, BrightBoxDetector()).counts.values()) == len(cars)


def test_gsd_far_outside_range_is_refused(tmp_path: Path) -> None:
    img, _ = consist_scene(100, 100)
    path = write_tif(tmp_path / "coarse.tif", img, 3.0)
    with pytest.raises(UnfitImageError, match=r"3\.001 m is outside the 0\.25–1\.2 m"):
        detect_file(path, BrightBoxDetector())
    assert issubclass(UnfitImageError, DetectionError)


@pytest.mark.parametrize("gsd", [0.25, 0.2495, 0.246, 1.2, 1.22])
def test_gsd_at_the_ends_of_the_range_is_accepted(tmp_path: Path, gsd: float) -> None:
    """Geodesic GSDs are never exact: a "0.25 m" product measures 0.2499 m or 0.2501 m."""
    img, cars = consist_scene(160, 160)
    path = write_tif(tmp_path / "edge.tif", img, gsd)
    assert detect_file(path, BrightBoxDetector()).gsd == pytest.approx(gsd, rel=0.002)


@pytest.mark.parametrize("gsd", [0.24, 1.25])
def test_gsd_past_the_tolerance_is_refused_with_its_measure(tmp_path: Path, gsd: float) -> None:
    img, _ = consist_scene(100, 100)
    path = write_tif(tmp_path / "past.tif", img, gsd)
    with pytest.raises(UnfitImageError, match=rf"{gsd:.2f}\d m is outside .*±2%"):
        detect_file(path, BrightBoxDetector())


def test_blank_tiles_skip_the_network(tmp_path: Path) -> None:
    path = write_tif(tmp_path / "blank.tif", np.full((3, 600, 600), 77, np.uint8), 0.5)
    det = BrightBoxDetector()
    result = detect_file(path, det)
    assert det.calls == 0 and result.detections == ()


def test_web_mercator_scene_is_scaled_by_ground_size_not_nominal_pixels(tmp_path: Path) -> None:
    """Web Mercator pixels at 42° N cover 0.74 of their nominal size; a 30 m car stays 30 m."""
    import math

    from pyproj import Geod, Transformer

    from railwatch.detect import raster

    lat = 42.42
    nominal = 0.5 / math.cos(math.radians(lat))
    x0, y0 = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True).transform(130.6, lat)
    data = np.zeros((3, 200, 200), np.uint8)
    data[:, 97:103, 70:130] = 220  # 60 × 6 pixels = 30 m × 3 m on the ground
    path = tmp_path / "mercator.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=200,
        height=200,
        count=3,
        dtype="uint8",
        crs="EPSG:3857",
        transform=from_origin(x0, y0, nominal, nominal),
    ) as dst:
        dst.write(data)
        assert raster.gsd_of(dst.crs, dst.transform, 200, 200) == pytest.approx(0.5, rel=0.01)
    seen: list[float] = []

    class Recording(BrightBoxDetector):
        def predict(self, tiles: np.ndarray) -> list[np.ndarray]:
            out = super().predict(tiles)
            seen.extend(float(row[2]) for rows in out for row in rows)
            return out

    result = detect_file(path, Recording())
    assert len(result.detections) == 1
    assert seen and max(seen) == pytest.approx(60, abs=3)  # the model sees 0.5 m pixels
    ring = result.detections[0].polygon
    geod = Geod(ellps="WGS84")
    sides = [geod.inv(*ring[i], *ring[i + 1])[2] for i in range(4)]
    assert max(sides) == pytest.approx(30.0, rel=0.05)
    assert min(sides) == pytest.approx(3.0, rel=0.15)


def test_tiles_read_ahead_in_order_and_hand_errors_back() -> None:
    import threading

    from railwatch.detect.slicing import _read_ahead

    made: list[int] = []

    def tiles(n: int, fail_at: int | None = None):
        for i in range(n):
            if i == fail_at:
                raise OSError(f"block {i} unreadable")
            made.append(i)
            yield i

    assert list(_read_ahead(tiles(20), 3)) == list(range(20))
    with pytest.raises(OSError, match="block 5 unreadable"):
        list(_read_ahead(tiles(20, fail_at=5), 3))
    # A consumer that stops early stops the reader, which never runs far ahead.
    made.clear()
    for i in _read_ahead(tiles(1000), 2):
        if i == 3:
            break
    assert len(made) <= 3 + 1 + 2 + 1  # taken, the one in flight, the queue, the blocked put
    assert not any(t.name == "railwatch-tiles" for t in threading.enumerate())


@pytest.mark.parametrize("size", [100, 256, 257, 300, 700, 1500, 4096, 10_000, 31_623])
@pytest.mark.parametrize(("tile", "overlap"), [(1024, 96), (256, 40)])
def test_tile_layout_covers_with_overlap_and_no_more_tiles(size, tile, overlap) -> None:
    from railwatch.detect.slicing import _layout

    width, starts = _layout(size, tile, overlap)
    assert width <= max(tile, -(-size // 32) * 32) and (width == tile or width % 32 == 0)
    assert starts[0] == 0 and starts[-1] + width >= size
    gaps = np.diff(starts)
    assert (gaps <= width - overlap).all()  # neighbours overlap by at least `overlap`
    fixed = 1 if size <= tile else math.ceil((size - overlap) / (tile - overlap))
    assert len(starts) == fixed  # never more tiles than the plain grid
    if len(starts) > 1:
        assert width - 32 < -(-(size + (len(starts) - 1) * overlap) // len(starts))  # tight


def test_tiles_shrink_to_what_covers_the_scene(tmp_path: Path) -> None:
    """A 700-pixel scene in 256-pixel tiles: four tiles of 224, and every car once."""
    img, cars = consist_scene(700, 700)
    path = write_tif(tmp_path / "consist.tif", img, 0.5)
    shapes = []

    class Recording(BrightBoxDetector):
        def predict(self, tiles):
            shapes.append(tiles.shape[1:3])
            return super().predict(tiles)

    with rasterio.open(path) as src:
        found = detect_raster(src, Recording(), gsd=0.5, tile=256, overlap=40, batch=4)
    assert set(shapes) == {(224, 224)} and found.tiles == 16
    ious = geometry.iou_matrix(found.corners, _car_corners(cars))
    assert len(found) == len(cars) and (ious.max(axis=0) > 0.6).all()
