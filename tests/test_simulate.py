"""The scene simulator: labels line up with pixels, files agree, same seed same bytes."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import pytest
import rasterio
from pyproj import Transformer
from shapely.geometry import Polygon, shape

from label_masks import rasterise
from railwatch.errors import InputError
from railwatch.railcars import CLASSES
from railwatch.simulate import SceneSpec, random_spec, render_scene, write_scene
from railwatch.simulate.stock import STOCK


@pytest.mark.parametrize(("seed", "gsd", "off_nadir"), [(1, 0.3, 0.0), (2, 0.5, 12.0)])
def test_labels_cover_the_rendered_cars(seed, gsd, off_nadir):
    scene = render_scene(
        SceneSpec(seed=seed, gsd=gsd, size=(320, 256), n_cars=30, off_nadir=off_nadir)
    )
    assert len(scene.cars) == 30
    mask = rasterise(scene.cars, 320, 256)
    iou = (mask & scene.car_mask).sum() / (mask | scene.car_mask).sum()
    assert iou > 0.9
    # And the cars really are there in the pixels: car pixels differ from what is
    # right beside them (no label floats over bare ground).
    assert scene.car_mask.sum() > 30 * 20


def test_cars_have_their_class_sizes():
    scene = render_scene(SceneSpec(seed=4, gsd=0.5, size=(512, 384), n_cars=60))
    assert {c.railcar_class for c in scene.cars} <= set(CLASSES)
    for car in scene.cars:
        st = STOCK[car.railcar_class]
        assert st.length[0] <= car.length_m <= st.length[1]
        assert st.width[0] <= car.width_m <= st.width[1]
        c = car.corners_px
        side_a = np.linalg.norm(c[1] - c[0]) * 0.5
        side_b = np.linalg.norm(c[2] - c[1]) * 0.5
        assert sorted([side_a, side_b]) == pytest.approx(sorted([car.width_m, car.length_m]))
        # Coupled cars do not overlap.
    polys = [Polygon(c.corners_px) for c in scene.cars]
    for i, a in enumerate(polys):
        for b in polys[i + 1 :]:
            assert a.intersection(b).area < 0.01 * a.area


def test_mix_is_exact_and_tarps_follow_the_fraction():
    mix = {"box": 12, "flat": 20, "open": 6, "locomotive": 1}
    scene = render_scene(SceneSpec(seed=5, gsd=0.5, size=(512, 512), mix=mix, tarp_fraction=1.0))
    assert scene.counts() == {c: mix.get(c, 0) for c in CLASSES}
    for car in scene.cars:
        assert car.tarped == (car.railcar_class in ("flat", "open"))


def test_files_agree_with_each_other_and_the_geotiff(tmp_path):
    acquired = datetime(2023, 10, 5, 2, 14, tzinfo=UTC)
    spec = SceneSpec(seed=9, gsd=0.5, size=(400, 300), n_cars=25, acquired=acquired)
    scene = render_scene(spec)
    write_scene(scene, tmp_path)
    with rasterio.open(tmp_path / "image.tif") as ds:
        assert ds.crs.to_epsg() == 32652
        assert (ds.width, ds.height, ds.count) == (400, 300, 3)
        tags = ds.tags()
        transform = ds.transform
        pixels = ds.read()
    assert np.array_equal(np.moveaxis(pixels, 0, -1), scene.image)
    assert tags["TIFFTAG_DATETIME"] == "2023:10:05 02:14:00"
    assert tags["ACQUISITION_DATETIME"] == "2023-10-05T02:14:00Z"
    assert tags["GSD"] == "0.5" and tags["SEASON"] == "summer" and tags["SEED"] == "9"
    coco = json.loads((tmp_path / "coco.json").read_text())
    geo = json.loads((tmp_path / "labels.geojson").read_text())
    assert [c["name"] for c in coco["categories"]] == list(CLASSES)
    assert [c["id"] for c in coco["categories"]] == list(range(1, 8))
    assert coco["images"] == [{"id": 1, "file_name": "image.tif", "width": 400, "height": 300}]
    assert len(coco["annotations"]) == len(geo["features"]) == 25
    to_ll = Transformer.from_crs("EPSG:32652", "EPSG:4326", always_xy=True)
    for ann, feat in zip(coco["annotations"], geo["features"], strict=True):
        props = feat["properties"]
        assert CLASSES[ann["category_id"] - 1] == props["class"]
        assert ann["attributes"]["tarped"] == props["tarped"]
        assert isinstance(props["occluded"], bool) and isinstance(props["truncated"], bool)
        seg = np.array(ann["segmentation"][0]).reshape(4, 2)
        x, y = transform * (seg[:, 0], seg[:, 1])
        lon, lat = to_ll.transform(np.asarray(x), np.asarray(y))
        ring = np.array(feat["geometry"]["coordinates"][0])
        assert ring.shape == (5, 2) and np.array_equal(ring[0], ring[-1])
        assert np.abs(ring[:4] - np.column_stack([lon, lat])).max() < 1e-7  # ~1 cm
        bx, by, bw, bh = ann["bbox"]
        assert bx >= 0 and by >= 0 and bx + bw <= 400 + 1e-6 and by + bh <= 300 + 1e-6
        if not props["truncated"]:
            assert seg[:, 0].min() == pytest.approx(bx, abs=1e-2)
            assert seg[:, 1].max() == pytest.approx(by + bh, abs=1e-2)
            # The GeoJSON box has the car's real size on the ground.
            poly_m = Polygon(np.column_stack([x, y]))
            assert poly_m.area == pytest.approx(props["length_m"] * props["width_m"], rel=0.01)
    # The scene is at Tumangang.
    site = shape({"type": "Polygon", "coordinates": [[[130.599, 42.416], [130.633, 42.416],
                  [130.633, 42.427], [130.599, 42.427], [130.599, 42.416]]]})  # fmt: skip
    assert site.contains(shape(geo["features"][0]["geometry"]).centroid)


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    spec = SceneSpec(seed=11, gsd=0.6, size=(256, 256), n_cars=20, season="winter", clouds=True)
    a, b = tmp_path / "a", tmp_path / "b"
    write_scene(render_scene(spec), a)
    write_scene(render_scene(spec), b)
    for name in ("image.tif", "labels.geojson", "coco.json"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    c = tmp_path / "c"
    write_scene(render_scene(spec.with_(seed=12)), c)
    assert (a / "image.tif").read_bytes() != (c / "image.tif").read_bytes()


def test_sixteen_bit_four_band(tmp_path):
    scene = render_scene(SceneSpec(seed=3, gsd=0.5, size=(200, 160), n_cars=8, bits=16, bands=4))
    assert scene.image.dtype == np.uint16 and scene.image.shape == (160, 200, 4)
    assert scene.image.max() <= 4095 and scene.image.max() > 1000
    write_scene(scene, tmp_path)
    with rasterio.open(tmp_path / "image.tif") as ds:
        assert ds.count == 4 and ds.dtypes[0] == "uint16"


def test_conditions_change_the_picture():
    base = SceneSpec(seed=21, gsd=0.5, size=(256, 256), n_cars=20)
    summer = render_scene(base).image.astype(float)
    winter = render_scene(base.with_(season="winter")).image.astype(float)
    hazy = render_scene(base.with_(haze=0.8)).image.astype(float)
    assert winter.mean() > summer.mean() + 20  # snow
    assert hazy.std() < summer.std() * 0.7  # haze flattens contrast
    cloudy = render_scene(base.with_(clouds=True))
    assert cloudy.cloud_fraction > 0.05
    assert render_scene(base.with_(clouds=False)).cloud_fraction == 0


def test_too_many_cars_is_an_input_error():
    with pytest.raises(InputError, match="do not fit"):
        render_scene(SceneSpec(seed=1, gsd=0.3, size=(128, 128), n_cars=200))
    with pytest.raises(InputError, match="unknown railcar class"):
        SceneSpec(mix={"hopper": 3})
    with pytest.raises(InputError):
        SceneSpec(gsd=0.0)


def test_random_spec_covers_the_training_distribution():
    rng = np.random.default_rng(0)
    specs = [random_spec(rng, gsd_range=(0.3, 1.0), size=(512, 512)) for _ in range(300)]
    gsds = [s.gsd for s in specs]
    assert 0.3 <= min(gsds) < 0.4 and 0.9 < max(gsds) <= 1.0
    assert {s.season for s in specs} == {"summer", "winter"}
    # Low winter sun without snow (the scenario's November dates) must be in the training data.
    snowless_winter = [s for s in specs if s.season == "summer" and s.acquired.month in (11, 12, 1)]
    assert len(snowless_winter) > 30
    assert any(s.clouds for s in specs) and not all(s.clouds for s in specs)
    assert max(s.n_cars for s in specs) <= 120 and min(s.n_cars for s in specs) == 0
    assert len({s.seed for s in specs}) == 300
