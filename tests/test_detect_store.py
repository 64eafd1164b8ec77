"""Store mode: detections and per-class observations per image, re-runs, the models registry."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import rasterio
from pyproj import Transformer
from rasterio.transform import from_origin

from railwatch import service
from railwatch.detect import SHIPPED_MODEL, read_info, run_site, with_shipped
from railwatch.railcars import CLASSES
from railwatch.records import Image
from railwatch.sites import builtin
from railwatch.store import detections as stored
from railwatch.store import images as stored_images
from test_detect_slicing import BrightBoxDetector, consist_scene


def add_site_image(
    store, tmp_path: Path, name: str, when: datetime, n_cols: int = 4, gsd: float = 0.5
) -> Image:
    """A small UTM image in the middle of Tumangang with bright 'cars'."""
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:32652", always_xy=True).transform(
        130.616, 42.4215
    )
    img, cars = consist_scene(240, 240)
    img[:, :, 34 * n_cols :] = 60  # keep only the first cars of the horizontal consist
    path = tmp_path / f"{name}.tif"
    transform = from_origin(x - 120 * gsd, y + 120 * gsd, gsd, gsd)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=240,
        height=240,
        count=3,
        dtype="uint8",
        crs="EPSG:32652",
        transform=transform,
    ) as dst:
        dst.write(img)
    record = Image(
        path=str(path),
        sha256=name * 4,
        site="tumangang",
        crs="EPSG:32652",
        bounds=(x - 60, y - 60, x + 60, y + 60),
        footprint={
            "type": "Polygon",
            "coordinates": [[[130.61, 42.42], [130.62, 42.42], [130.62, 42.423], [130.61, 42.42]]],
        },
        width=240,
        height=240,
        bands=3,
        dtype="uint8",
        gsd_m=gsd,
        acquired_at=when,
    )
    with store.transaction() as session:
        return stored_images.add(session, record)


@pytest.fixture
def site_store(store):
    service.add_sites(store, builtin())
    return store


def test_run_site_stores_all_classes_and_reruns_replace(site_store, tmp_path: Path) -> None:
    d1 = datetime(2023, 9, 1, 2, tzinfo=UTC)
    d2 = datetime(2023, 10, 5, 2, tzinfo=UTC)
    add_site_image(site_store, tmp_path, "a", d1, n_cols=2)
    im2 = add_site_image(site_store, tmp_path, "b", d2, n_cols=4)
    det = BrightBoxDetector()
    results = run_site(site_store, "tumangang", model=det)
    assert [r.acquired_at for r in results] == [d1, d2]
    assert results[1].counts["tank"] > results[0].counts["tank"] > 0
    obs = service.list_observations(site_store, site="tumangang")
    assert len(obs) == 2 * len(CLASSES)
    assert {o.method for o in obs} == {"detector"} and {o.model_version for o in obs} == {"fake-1"}
    assert {o.railcar_class for o in obs} == set(CLASSES)
    tank = [o for o in obs if o.railcar_class == "tank"]
    assert [o.count for o in tank] == [results[0].counts["tank"], results[1].counts["tank"]]
    assert tank[0].observed_at == d1 and tank[0].source.endswith("a.tif")
    with site_store.transaction() as session:
        dets = stored.list_for_image(session, im2.id)
    assert len(dets) == results[1].counts["tank"]
    assert all(len(d.polygon) == 5 for d in dets)

    # Processed images are skipped; --all re-runs and replaces, never duplicates.
    assert run_site(site_store, "tumangang", model=det) == []
    again = run_site(site_store, "tumangang", model=det, rerun=True)
    assert len(again) == 2
    obs2 = service.list_observations(site_store, site="tumangang")
    assert len(obs2) == 2 * len(CLASSES)
    with site_store.transaction() as session:
        assert len(stored.list_for_image(session, im2.id)) == len(dets)
    # --since limits the images
    since = run_site(site_store, "tumangang", model=det, rerun=True, since=d2)
    assert [r.image_id for r in since] == [im2.id]


def test_images_the_model_cannot_count_are_skipped_and_the_rest_counted(
    site_store, tmp_path: Path
) -> None:
    """One unfit image (a 3 m scene, a file gone) must not stop a whole site, for good."""
    d = [datetime(2023, 9, day, 2, tzinfo=UTC) for day in (1, 2, 3)]
    coarse = add_site_image(site_store, tmp_path, "coarse", d[0], gsd=3.0)
    good = add_site_image(site_store, tmp_path, "good", d[1])
    gone = add_site_image(site_store, tmp_path, "gone", d[2])
    Path(gone.path).unlink()
    skipped: list[tuple[int, str]] = []
    det = BrightBoxDetector()
    results = run_site(
        site_store, "tumangang", model=det, on_skip=lambda im, why: skipped.append((im.id, why))
    )
    assert [r.image_id for r in results] == [good.id]
    assert [i for i, _ in skipped] == [coarse.id, gone.id]
    assert "3.001 m is outside" in skipped[0][1] and "no such file" in skipped[1][1]
    with site_store.transaction() as session:
        rows = {i.id: i for i in stored_images.list_images(session, site="tumangang")}
    assert rows[good.id].unfit_reason is None
    assert rows[coarse.id].unfit_reason.startswith("fake-1: ground sample distance 3.001 m")
    assert "no such file" in rows[gone.id].unfit_reason
    obs = service.list_observations(site_store, site="tumangang")
    assert {o.image_id for o in obs} == {good.id}
    # The next run tries the skipped ones again (a model or a file may have changed).
    skipped.clear()
    assert (
        run_site(site_store, "tumangang", model=det, on_skip=lambda im, why: skipped.append(im.id))
        == []
    )
    assert skipped == [coarse.id, gone.id]


def test_models_registry(site_store) -> None:
    with site_store.transaction() as session:
        assert stored.active_model(session) is None
        stored.register_model(session, version="m1", path="/x/m1.onnx", sha256="a" * 64)
        stored.register_model(session, version="m2", path="/x/m2.onnx", sha256="b" * 64)
        assert stored.active_model(session)["version"] == "m2"
        stored.register_model(session, version="m1", path="/x/m1.onnx", sha256="a" * 64)
        assert stored.active_model(session)["version"] == "m1"
        assert [m["active"] for m in stored.list_models(session)] == [True, False]


def test_shipped_model_is_known_without_registering(site_store) -> None:
    """Counts by the shipped model must find its counting errors and benchmark figures
    even in a store where `models use` never ran (the demo's case)."""

    shipped = read_info(SHIPPED_MODEL)
    (only,) = with_shipped([])
    assert only["version"] == shipped.version and only["active"] and only["shipped"]
    assert only["meta"]["evaluation"]["simulated"]["overall"]["f1"] > 0
    sigmas = service.model_sigmas(site_store)[shipped.version]
    assert sigmas["freight"] == (shipped.count_sigma["freight"], shipped.count_sigma_rel["freight"])
    with site_store.transaction() as session:
        stored.register_model(session, version="m1", path="/x/m1.onnx", sha256="a" * 64)
        models = with_shipped(stored.list_models(session))
    assert [(m["version"], m["active"]) for m in models] == [
        (shipped.version, False),
        ("m1", True),
    ]


def test_site_window_counts_only_cars_inside_the_site(site_store, tmp_path: Path) -> None:
    """An image far larger than the site: only cars within the site polygon count."""
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:32652", always_xy=True).transform(
        130.60, 42.4215
    )  # the image's left edge is outside the site (lon 130.599 is its west end)
    img = np.full((3, 100, 400), 60, np.uint8)
    for k in range(10):
        img[:, 40:46, 10 + 38 * k : 40 + 38 * k] = 230
    path = tmp_path / "wide.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=400,
        height=100,
        count=3,
        dtype="uint8",
        crs="EPSG:32652",
        transform=from_origin(x - 200, y + 25, 0.5, 0.5),
    ) as dst:
        dst.write(img)
    from railwatch.detect.runs import detect_file

    site = next(s for s in builtin() if s.slug == "tumangang")
    whole = detect_file(path, BrightBoxDetector())
    windowed = detect_file(path, BrightBoxDetector(), site_geometry=site.geometry)
    assert sum(whole.counts.values()) == 10
    assert 0 < sum(windowed.counts.values()) < 10


def test_stored_counts_carry_an_uncertainty_that_grows_with_the_count(
    site_store, tmp_path: Path
) -> None:
    from railwatch.detect import ModelInfo

    det = BrightBoxDetector()
    det.info = ModelInfo(
        version="fake-1", count_sigma=dict.fromkeys(CLASSES, 1.0), count_sigma_rel={"tank": 0.5}
    )
    add_site_image(site_store, tmp_path, "a", datetime(2023, 9, 1, 2, tzinfo=UTC), n_cols=2)
    add_site_image(site_store, tmp_path, "b", datetime(2023, 10, 5, 2, tzinfo=UTC), n_cols=4)
    run_site(site_store, "tumangang", model=det)
    obs = service.list_observations(site_store, site="tumangang")
    tank = sorted((o for o in obs if o.railcar_class == "tank"), key=lambda o: o.count)
    assert tank[0].count < tank[1].count
    for o in tank:
        assert o.count_sigma == pytest.approx(np.hypot(1.0, 0.5 * o.count), abs=1e-3)
    assert {o.count_sigma for o in obs if o.railcar_class == "box"} == {1.0}


def rendered_scenes(
    root: Path, n: int, *, seed: int, cars: int, more_cars: int, name: str = "scene"
) -> list[Path]:
    """Small clear Tumangang scenes on distinct months, each with more cars than the last."""
    from railwatch.simulate import SceneSpec, render_scene, write_scene

    paths = []
    for i in range(n):
        spec = SceneSpec(
            seed=seed + i,
            size=(256, 256),
            n_cars=cars + more_cars * i,
            site="tumangang",
            clouds=False,
            acquired=datetime(2023, 1 + i, 5, 2, 13, tzinfo=UTC),
        )
        paths.append(Path(write_scene(render_scene(spec), root / f"{name}-{i}")) / "image.tif")
    return paths


def _rendered_store(store, tmp_path: Path, n: int) -> None:
    from railwatch.imagery.ingest import ingest

    paths = rendered_scenes(tmp_path, n, seed=300, cars=5, more_cars=4, name="s")
    ingest(store, paths, site="tumangang")


def _stored_boxes(store) -> dict[int, list[tuple]]:
    from railwatch.detect import active_detector

    version = active_detector(store).version
    with store.transaction() as session:
        ids = stored.processed_image_ids(session, version)
        return {
            i: sorted(
                (d.railcar_class, d.score, d.polygon) for d in stored.list_for_image(session, i)
            )
            for i in ids
        }


def test_images_side_by_side_store_what_one_at_a_time_stores(
    site_store, tmp_path: Path, monkeypatch
) -> None:
    """In-process runs detect one image per core at a time, each model on one thread;
    the stored boxes and counts are those of a one-image-at-a-time run, to the bit."""
    from railwatch.detect import runs

    _rendered_store(site_store, tmp_path, 4)
    monkeypatch.setattr(runs, "images_at_a_time", lambda: 1)
    serial = runs.run_store(site_store, ["tumangang"]).results
    one_by_one = _stored_boxes(site_store)
    monkeypatch.setattr(runs, "images_at_a_time", lambda: 3)
    side_by_side = runs.run_store(site_store, ["tumangang"], rerun=True).results
    assert _stored_boxes(site_store) == one_by_one
    assert sum(len(b) for b in one_by_one.values()) > 10
    assert [r.counts for r in side_by_side] == [r.counts for r in serial]
    assert [r.image_id for r in side_by_side] == [r.image_id for r in serial]  # in order


def test_tasks_side_by_side_come_back_in_order_a_few_ahead_errors_in_place() -> None:
    import threading
    import time

    from railwatch.detect.runs import _in_order

    started: list[int] = []
    lock = threading.Lock()

    def work(k: int) -> int:
        with lock:
            started.append(k)
        time.sleep(0.02 * (k % 3))  # later tasks often finish first
        if k == 7:
            raise ValueError("task 7 fails")
        return 10 * k

    seen = []
    with pytest.raises(ValueError, match="task 7"):
        for k, outcome in _in_order(work, list(range(50)), 2):
            assert max(started) <= k + 2 * 2  # never more than 2 x at_once ahead
            seen.append(outcome())
    assert seen == [10 * k for k in range(7)]
    assert max(started) < 7 + 2 * 2 + 1 and len(started) < 50  # the rest never started
