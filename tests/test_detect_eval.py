"""Evaluation: matching, figures, folder layouts (with a fake detector)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from railwatch.detect import geometry
from railwatch.detect.evaluation import evaluate, find_samples, score_scene, summarize
from railwatch.errors import InputError
from test_detect_slicing import BrightBoxDetector, consist_scene, write_tif


def _box(cx, cy, angle=0.0):
    return geometry.params_to_corners(np.array([[cx, cy, 30, 6, angle]]))[0]


def test_score_scene_matches_greedily_and_counts() -> None:
    truth = [{"corners": _box(50, 50), "class": "box"}, {"corners": _box(50, 80), "class": "tank"}]
    dets = np.array([_box(51, 50), _box(50.5, 50), _box(50, 80), _box(200, 200)])
    s = score_scene(
        truth, dets, np.array([0.9, 0.8, 0.7, 0.6]), ["box", "box", "flat", "box"], size=(300, 300)
    )
    assert (s.matched, s.n_detected, s.n_truth, s.class_correct) == (2, 4, 2, 1)
    assert s.count_error == 2
    m = summarize([s])
    assert m["precision"] == 0.5 and m["recall"] == 1.0 and m["class_accuracy"] == 0.5
    assert m["per_class"]["box"]["precision"] == pytest.approx(1 / 3, abs=1e-3)
    assert m["per_class"]["tank"]["recall"] == 0.0


def test_cars_under_cloud_are_dont_care_when_asked() -> None:
    truth = [
        {"corners": _box(50, 50), "class": "box"},
        {"corners": _box(50, 80), "class": "tank", "occluded": True},
        {"corners": _box(50, 110), "class": "flat", "occluded": True},
    ]
    dets = np.array([_box(50, 50), _box(50, 80), _box(200, 200)])
    args = (truth, dets, np.array([0.9, 0.8, 0.7]), ["box", "tank", "open"])
    strict = score_scene(*args, size=(300, 300))
    assert (strict.n_truth, strict.n_detected, strict.matched) == (3, 3, 2)
    visible = score_scene(*args, size=(300, 300), ignore_occluded=True)
    # the hidden tank found anyway is neither a hit nor a false alarm; the unseen flat no miss
    assert (visible.n_truth, visible.n_detected, visible.matched) == (1, 2, 1)
    assert visible.counts_truth["tank"] == 0 and visible.counts_detected["tank"] == 0
    assert visible.counts_detected["open"] == 1  # a real false alarm stays one


def test_margin_drops_edge_cars() -> None:
    truth = [
        {"corners": _box(20, 100), "class": "railcar"},
        {"corners": _box(150, 100), "class": "railcar"},
    ]
    dets = np.array([_box(150, 100)])
    s = score_scene(truth, dets, np.array([0.9]), ["box"], size=(200, 300), margin_px=40)
    assert (s.n_truth, s.matched, s.class_agnostic) == (1, 1, True)
    assert "class_accuracy" not in summarize([s])


def _dataset(tmp_path: Path) -> Path:
    """A two-scene folder laid out like `simulate dataset` (COCO pixel labels)."""
    root = tmp_path / "ds"
    scenes = []
    for k, gsd in enumerate((0.4, 0.8)):
        d = root / f"scene_{k:04d}"
        d.mkdir(parents=True)
        img, cars = consist_scene(200, 200)
        write_tif(d / "image.tif", img, gsd)
        anns = [
            {
                "id": i + 1,
                "image_id": 1,
                "category_id": 3,
                "segmentation": [[x0, y0, x1, y0, x1, y1, x0, y1]],
                "bbox": [x0, y0, x1 - x0, y1 - y0],
                "attributes": {"tarped": False},
            }
            for i, (x0, y0, x1, y1) in enumerate(cars)
        ]
        if k == 1:
            anns = anns[:-1]  # one car unlabelled: a false positive for the fake
        coco = {
            "images": [{"id": 1, "file_name": "image.tif", "width": 200, "height": 200}],
            "annotations": anns,
            "categories": [
                {"id": i + 1, "name": n}
                for i, n in enumerate(
                    ("box", "open", "tank", "flat", "passenger", "locomotive", "other")
                )
            ],
        }
        (d / "coco.json").write_text(json.dumps(coco))
        scenes.append(
            {
                "id": k,
                "dir": d.name,
                "gsd": gsd,
                "season": "winter" if k else "summer",
                "haze": 0.5 if k else 0.0,
                "tarp_fraction": 0.0,
                "sun_elevation": 21.5 if k else 48.0,
                "n_cars": len(anns),
            }
        )
    (root / "manifest.json").write_text(json.dumps({"scenes": scenes}))
    return root


def test_evaluate_dataset_folder(tmp_path: Path) -> None:
    report = evaluate(_dataset(tmp_path), BrightBoxDetector())
    o = report.overall
    assert o["scenes"] == 2 and o["recall"] == 1.0 and o["precision"] < 1.0
    assert o["class_accuracy"] == 1.0
    assert o["count_mae"] == 0.5
    assert set(report.by_gsd) == {"0.3-0.5", "0.7-1.0"}
    assert report.by_gsd["0.3-0.5"]["f1"] == 1.0
    assert set(report.by_condition) >= {"winter", "haze", "low_sun", "clear"}
    assert report.by_condition["low_sun"]["scenes"] == 1
    assert report.count_sigma()["tank"] == pytest.approx(np.sqrt(0.5), abs=1e-3)


def test_cli_evaluate_json(tmp_path: Path, cli, monkeypatch) -> None:
    import railwatch.detect.runs as runs

    monkeypatch.setattr(runs, "load_model", lambda *a, **k: BrightBoxDetector())
    doc = cli.json("evaluate", "--data", str(_dataset(tmp_path)), "--scenes")
    assert doc["overall"]["recall"] == 1.0 and len(doc["scenes"]) == 2
    assert doc["visible"]["truth"] == doc["overall"]["truth"]  # no cloud in these scenes
    assert doc["model_version"] == "fake-1"


def test_find_samples_geotiff_with_geojson(tmp_path: Path) -> None:
    img, _ = consist_scene(100, 100)
    write_tif(tmp_path / "a.tif", img, 0.5)
    (tmp_path / "a.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": []}))
    (tmp_path / "unlabelled.tif").write_bytes(b"")
    samples = find_samples(tmp_path)
    assert [s.image.name for s in samples] == ["a.tif"]
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no labelled images"):
        find_samples(tmp_path / "empty")
