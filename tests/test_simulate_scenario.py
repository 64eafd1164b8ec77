"""The Tumangang scenario tells the story, the dataset and gallery write their files."""

from __future__ import annotations

import csv
import json
from datetime import date

import pytest
import rasterio
from PIL import Image
from pyproj import Transformer
from shapely.geometry import box, shape
from shapely.ops import transform as sh_transform

from railwatch.errors import InputError
from railwatch.railcars import CLASSES, rollup
from railwatch.simulate import scenario as scenario_mod
from railwatch.simulate.dataset import make_dataset
from railwatch.simulate.gallery import make_gallery
from railwatch.simulate.scenario import make_scenario, scenario_specs
from railwatch.sites import builtin


def _freight(spec) -> int:
    return rollup(spec.mix, "freight")


def test_the_story_in_the_specs():
    specs = scenario_specs("tumangang")
    days = [d for d, _ in specs]
    assert days == sorted(days)
    assert days[0].year == 2018 and days[-1].year == 2023
    before = [_freight(s) for d, s in specs if d < date(2023, 9, 14)]
    assert max(before) <= 20
    closed = [_freight(s) for d, s in specs if date(2020, 3, 1) <= d <= date(2022, 8, 31)]
    assert sum(closed) / len(closed) < 2  # near zero while the border is shut
    peak = [s for d, s in specs if d == date(2023, 10, 5)]
    assert len(peak) == 1 and _freight(peak[0]) == 73
    rise = [(d, _freight(s)) for d, s in specs if date(2023, 9, 14) <= d <= date(2023, 10, 5)]
    assert all(f <= 20 for d, f in rise if d < date(2023, 9, 18))
    after = [f for d, f in rise if d >= date(2023, 9, 18)]
    assert after[0] > 20 and after == sorted(after)  # a steady rise from 18 September
    per_month: dict[tuple[int, int], int] = {}
    for d in days:
        per_month[(d.year, d.month)] = per_month.get((d.year, d.month), 0) + 1
    assert len(per_month) == 72 and min(per_month.values()) >= 2
    # ... and no more than the story needs: a new user waits while the demo renders and
    # detects every scene (the demo's time is in `python -m bench demo`).
    assert len(days) <= 200 and max(per_month.values()) <= 3 + 12
    assert any(s.clouds for _, s in specs)
    assert {s.gsd for _, s in specs} == {0.3, 0.5, 0.8}
    # After the summit the yard is mostly box and flat cars, many tarped.
    m = peak[0].mix
    assert m["box"] + m["flat"] >= 0.8 * 73 and peak[0].tarp_fraction >= 0.5


def test_scenario_archive_layout(tmp_path, monkeypatch):
    every = scenario_specs("tumangang")
    keep = [date(2019, 5, 1), date(2023, 9, 18), date(2023, 10, 5)]
    chosen = [(d, s) for d, s in every if d in keep[1:]] + [
        (keep[0], every[40][1]),
        (keep[0], every[41][1]),
    ]
    monkeypatch.setattr(
        scenario_mod, "scenario_specs", lambda name: sorted(chosen, key=lambda x: x[0])
    )
    manifest = make_scenario("tumangang", tmp_path, workers=1)
    assert {p.name for p in tmp_path.iterdir()} == {
        "manifest.json", "events.json", "truth.csv",
        "2019-05-01", "2019-05-01-2", "2023-09-18", "2023-10-05",
    }  # fmt: skip
    rows = list(csv.DictReader((tmp_path / "truth.csv").open()))
    assert list(rows[0]) == ["acquired_at", "date", "dir", "gsd", "cloudy", *CLASSES,
                             "freight", "total", "site"]  # fmt: skip
    peak = next(r for r in rows if r["date"] == "2023-10-05")
    assert int(peak["freight"]) == 73
    # truth.csv is what the labels say.
    geo = json.loads((tmp_path / "2023-10-05" / "labels.geojson").read_text())
    freight = [f for f in geo["features"] if f["properties"]["class"] in
               ("box", "open", "tank", "flat", "other")]  # fmt: skip
    assert len(freight) == 73
    assert manifest["scenes"][-1]["counts"]["box"] == int(peak["box"])
    events = json.loads((tmp_path / "events.json").read_text())["events"]
    kinds = {e["date"]: e["kind"] for e in events}
    assert kinds["2023-09-13"] == "summit" and kinds["2020-01-31"] == "border"
    assert "2022-11-18" in kinds
    # The image sits on the Tumangang site polygon.
    site = next(s for s in builtin() if s.slug == "tumangang")
    with rasterio.open(tmp_path / "2023-10-05" / "image.tif") as ds:
        assert ds.tags()["ACQUISITION_DATETIME"].startswith("2023-10-05T")
        b = ds.bounds
        footprint = box(b.left, b.bottom, b.right, b.top)
        assert ds.crs.to_epsg() == 32652
    tr = Transformer.from_crs("EPSG:4326", "EPSG:32652", always_xy=True)
    assert sh_transform(tr.transform, shape(site.geometry)).intersects(footprint)


def test_unknown_scenario():
    with pytest.raises(InputError, match="unknown scenario"):
        scenario_specs("pyongyang")


def test_dataset_layout_and_workers_do_not_change_it(tmp_path):
    m1 = make_dataset(tmp_path / "a", 3, seed=5, size=(160, 128), workers=1)
    m2 = make_dataset(tmp_path / "b", 3, seed=5, size=(160, 128), workers=2)
    assert m1 == m2
    assert m1["generator"].startswith("railwatch ") and m1["n"] == 3 and m1["seed"] == 5
    for s in m1["scenes"]:
        folder = tmp_path / "a" / s["dir"]
        assert {p.name for p in folder.iterdir()} == {"image.tif", "labels.geojson", "coco.json"}
        assert sum(s["counts"].values()) == s["n_cars"]
        assert 0.3 <= s["gsd"] <= 1.0 and s["season"] in ("summer", "winter")
        coco = json.loads((folder / "coco.json").read_text())
        assert len(coco["annotations"]) == s["n_cars"]
        assert (folder / "image.tif").read_bytes() == (
            tmp_path / "b" / s["dir"] / "image.tif"
        ).read_bytes()


def test_gallery_writes_a_png(tmp_path, monkeypatch):
    from railwatch.simulate import gallery

    monkeypatch.setattr(gallery, "TILE", 96)
    monkeypatch.setattr(gallery, "GSDS", (0.5, 1.0))
    path = make_gallery(tmp_path)
    im = Image.open(path)
    assert im.format == "PNG" and im.size[0] > 6 * 96
