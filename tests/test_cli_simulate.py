"""railwatch simulate …: commands write the contract's files and fail cleanly."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from railwatch.cli import app

runner = CliRunner()


def _run(*args: str, code: int = 0):
    result = runner.invoke(app, list(map(str, args)))
    assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
    return result


def test_scene_command_writes_the_three_files(tmp_path):
    out = tmp_path / "scene"
    r = _run("simulate", "scene", "--out", out, "--seed", 7, "--gsd", 0.5, "--size", "256x192",
             "--mix", "box=6,flat=4", "--season", "winter", "--bits", 16, "--json")  # fmt: skip
    doc = json.loads(r.stdout)
    assert doc["counts"]["box"] == 6 and doc["counts"]["flat"] == 4 and doc["n_cars"] == 10
    assert doc["crs"] == "EPSG:32652"
    assert {p.name for p in out.iterdir()} == {"image.tif", "labels.geojson", "coco.json"}


def test_dataset_command_writes_a_manifest(tmp_path):
    out = tmp_path / "ds"
    r = _run("simulate", "dataset", "--out", out, "--n", 2, "--seed", 3, "--size", "128x128",
             "--gsd-range", "0.4,0.6")  # fmt: skip
    assert "2 scenes" in r.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert [s["id"] for s in manifest["scenes"]] == ["000000", "000001"]
    assert all(0.4 <= s["gsd"] <= 0.6 for s in manifest["scenes"])
    # The solar elevation lets `evaluate` report the low-sun condition on its own.
    assert all(8.0 <= s["sun_elevation"] <= 75.0 for s in manifest["scenes"])


def test_dataset_command_renders_realism_scenes_on_request(tmp_path):
    out = tmp_path / "ds"
    _run("simulate", "dataset", "--out", out, "--n", 2, "--seed", 3, "--size", "128x128",
         "--realism", 1)  # fmt: skip
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["realism"] == 1.0
    assert [s["realism"] for s in manifest["scenes"]] == [True, True]
    r = _run("simulate", "dataset", "--out", tmp_path / "bad", "--n", 2, "--realism", 2, code=2)
    assert "realism 2.0 is outside 0-1" in r.stderr
    assert not (tmp_path / "bad" / "manifest.json").exists()


def test_bad_values_are_one_line_errors(tmp_path):
    r = _run("simulate", "scene", "--out", tmp_path, "--size", "big", code=2)
    assert "error: size 'big'" in r.stderr
    r = _run("simulate", "scene", "--out", tmp_path, "--mix", "hopper=3", code=2)
    assert "unknown railcar class" in r.stderr
    r = _run("simulate", "scene", "--out", tmp_path, "--season", "monsoon", code=2)
    assert "season" in r.stderr
    r = _run("simulate", "scenario", "atlantis", "--out", tmp_path, code=2)
    assert "unknown scenario" in r.stderr
