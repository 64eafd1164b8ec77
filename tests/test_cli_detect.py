"""The detect, evaluate and models commands through the CLI, store mode included."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from railwatch.detect import SHIPPED_MODEL
from railwatch.railcars import CLASSES


@pytest.fixture(scope="module")
def site_scene(tmp_path_factory) -> Path:
    """A small scene placed in the Tumangang yard (fresh seed, never trained on)."""
    from railwatch.simulate import SceneSpec, render_scene, write_scene

    out = tmp_path_factory.mktemp("tumangang")
    spec = SceneSpec(seed=5151, gsd=0.5, size=(512, 512), n_cars=30, site="tumangang")
    return Path(write_scene(render_scene(spec), out)) / "image.tif"


def test_detect_needs_files_or_site(cli) -> None:
    r = cli("detect", ok=False)
    assert r.exit_code == 2 and "--site" in r.stderr


def test_models_list_and_use(cli, tmp_path: Path) -> None:
    doc = cli.json("models", "list")
    (shipped,) = doc["models"]
    assert shipped["active"] and shipped["path"] == str(SHIPPED_MODEL)
    mine = tmp_path / "mine.onnx"
    shutil.copy(SHIPPED_MODEL, mine)
    meta = json.loads(SHIPPED_MODEL.with_suffix(".json").read_text())
    meta["version"] = "railcar-centernet-mine"
    meta["score_threshold"], meta["flips"] = 0.42, "flip4"
    mine.with_suffix(".json").write_text(json.dumps(meta))
    used = cli.json("models", "use", str(mine))
    assert used["version"] == "railcar-centernet-mine" and used["active"]
    versions = {m["version"]: m["active"] for m in cli.json("models", "list")["models"]}
    assert versions == {shipped["version"]: False, "railcar-centernet-mine": True}
    # The table says how each model turns scores into counts.
    table = cli("models", "list").stdout
    assert "railcar-centernet-mine" in table and "0.42" in table and "flip4" in table
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model")
    r = cli("models", "use", str(bad), ok=False)
    assert r.exit_code == 2 and "bad.onnx" in r.stderr


def test_store_mode_detects_each_image_once(cli, site_scene: Path) -> None:
    cli("sites", "add", "--builtin")
    cli("images", "add", str(site_scene), "--site", "tumangang", "--acquired", "2023-10-05T02:00Z")
    doc = cli.json("detect", "--site", "tumangang")
    assert doc["stored"] is True
    (img,) = doc["images"]
    assert img["model_version"] == doc["model_version"] and img["image_id"] is not None
    obs = cli.json("observe", "list", "--site", "tumangang") if _has_observe_list(cli) else None
    if obs is not None:
        rows = [o for o in obs["observations"] if o["method"] == "detector"]
        assert sorted(o["railcar_class"] for o in rows) == sorted(CLASSES)
        assert sum(o["count"] for o in rows) == sum(img["counts"].values())
    again = cli.json("detect", "--site", "tumangang")
    assert again["images"] == []
    rerun = cli.json("detect", "--site", "tumangang", "--all")
    assert rerun["images"][0]["counts"] == img["counts"]


def _has_observe_list(cli) -> bool:
    return cli("observe", "list", "--help", ok=False).exit_code == 0


def test_store_mode_skips_an_unfit_image_and_counts_the_rest(cli, site_scene: Path, tmp_path):
    from tests.test_imagery import utm_transform, write_tif

    cli("sites", "add", "--builtin")
    coarse = write_tif(
        tmp_path / "coarse.tif",
        transform=utm_transform(3.0, 400, 400),
        width=400,
        height=400,
        tags={"TIFFTAG_DATETIME": "2023:10:04 02:00:00"},
    )
    cli("images", "add", coarse, "--site", "tumangang")
    cli("images", "add", site_scene, "--site", "tumangang", "--acquired", "2023-10-05T02:00Z")
    table = cli("detect", "--site", "tumangang")
    assert table.exit_code == 0
    warning = [line for line in table.stderr.splitlines() if line.startswith("warning:")]
    assert len(warning) == 1 and "image 1 coarse.tif skipped" in warning[0]
    assert "3.001 m is outside the 0.25–1.2 m" in warning[0]
    # The table names each image by its file, with its time in a column of its own.
    assert "image.tif" in table.stdout and "2023-10-05 02:00" in table.stdout
    listed = {i["id"]: i for i in cli.json("images", "list")["images"]}
    assert "3.001 m is outside the 0.25–1.2 m (±2%)" in listed[1]["unfit_reason"]
    assert listed[2]["unfit_reason"] is None
    assert "detector: skipped it" in cli("images", "show", "1").stdout
    again = cli.json("detect", "--site", "tumangang")
    assert again["images"] == [] and [s["image_id"] for s in again["skipped"]] == [1]
    # Removing it leaves the site clean.
    cli("images", "remove", "1")
    assert cli.json("detect", "--site", "tumangang")["skipped"] == []
