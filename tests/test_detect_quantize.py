"""Int8 quantisation: the copy finds the same cars as the float model, and says what it is."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from railwatch.detect import SHIPPED_MODEL, detect_image, load_model, read_info
from railwatch.detect.model import MODELS_DIR
from railwatch.detect.quantize import is_quantized, quantize
from railwatch.errors import InputError

pytest.importorskip("onnx")


@pytest.fixture(scope="module")
def float_model(tmp_path_factory) -> Path:
    """The shipped weights exported as a float ONNX model (what `railwatch train` writes)."""
    from railwatch.detect.training import export_onnx, load_network

    out = tmp_path_factory.mktemp("float") / "float.onnx"
    info = read_info(SHIPPED_MODEL)
    from railwatch.detect.calibration import CAL_TAG

    extra = {k: v for k, v in info.extra.items() if k not in ("quantization", "calibration")}
    version = CAL_TAG.sub("", info.version).removesuffix(".int8")
    net = load_network(MODELS_DIR / "railcar.weights.npz")
    export_onnx(net, out, replace(info, version=version, extra=extra, flips="none"))
    return out


@pytest.fixture(scope="module")
def scene_dir(tmp_path_factory) -> Path:
    from railwatch.simulate import SceneSpec, render_scene, write_scene

    out = tmp_path_factory.mktemp("qscene")
    spec = SceneSpec(seed=4243, gsd=0.5, size=(448, 448), n_cars=30, haze=0.1)
    return Path(write_scene(render_scene(spec), out))


def test_int8_copy_counts_like_the_float_model(float_model, scene_dir, tmp_path) -> None:
    out = tmp_path / "int8.onnx"
    info = quantize(float_model, [scene_dir], out, tiles=2)
    assert is_quantized(out) and not is_quantized(float_model)
    assert out.stat().st_size < 0.4 * float_model.stat().st_size
    assert info.version == read_info(float_model).version + ".int8" == read_info(out).version
    q = read_info(out).extra["quantization"]
    assert q["from"] == read_info(float_model).version
    assert q["tiles"] == 1  # a 448-pixel scene at the model GSD is one tile
    assert q["images"] == ["image.tif"]

    image = scene_dir / "image.tif"
    f32 = detect_image(image, load_model(float_model))
    i8 = detect_image(image, load_model(out))
    assert abs(len(i8) - len(f32)) <= 1, (len(i8), len(f32))
    # Box by box: nearly every int8 car sits where a float car of the same class sits.
    fc = np.array([np.mean(d.polygon_px[:4], axis=0) for d in f32])
    same = 0
    for d in i8:
        k = int(np.argmin(np.hypot(*(fc - np.mean(d.polygon_px[:4], axis=0)).T)))
        near = np.hypot(*(fc[k] - np.mean(d.polygon_px[:4], axis=0))) < 3
        same += bool(near and f32[k].railcar_class == d.railcar_class)
    assert same >= 0.9 * len(i8), (same, len(i8))


def test_quantize_refuses_what_it_cannot_do(float_model, scene_dir, tmp_path) -> None:
    with pytest.raises(InputError, match="not over it"):
        quantize(float_model, [scene_dir], float_model, tiles=1)
    with pytest.raises(InputError, match="no GeoTIFF images"):
        quantize(float_model, [tmp_path], tmp_path / "q.onnx", tiles=1)
    with pytest.raises(InputError, match="no such file"):
        quantize(float_model, [tmp_path / "missing.tif"], tmp_path / "q.onnx", tiles=1)
    done = tmp_path / "q.onnx"
    quantize(float_model, [scene_dir], done, tiles=1)
    with pytest.raises(InputError, match="already quantised"):
        quantize(done, [scene_dir], tmp_path / "qq.onnx", tiles=1)


def test_cli_quantize(float_model, scene_dir, tmp_path, cli) -> None:
    out = tmp_path / "cli-int8.onnx"
    r = cli("models", "quantize", str(float_model), "--out", str(out), "--data", str(scene_dir),
            "--tiles", "1", "--json")  # fmt: skip
    doc = json.loads(r.stdout)
    assert doc["model"] == str(out) and doc["version"].endswith(".int8")
    assert "models calibrate" in r.stderr and out.is_file()
