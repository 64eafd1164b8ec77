"""A tiny fine-tune (only where torch is installed: the train extra)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")


def test_fine_tune_on_a_user_folder_exports_a_loadable_model(tmp_path: Path) -> None:
    from railwatch.detect import evaluate, load_model, read_info
    from railwatch.detect.training import TrainConfig, train
    from railwatch.simulate import SceneSpec, render_scene, write_scene

    data = tmp_path / "user"
    for seed in (1_900_001, 1_900_002):
        spec = SceneSpec(seed=seed, gsd=0.6, size=(256, 256), n_cars=12)
        write_scene(render_scene(spec), data / f"s{seed}")
    out = tmp_path / "tuned.onnx"
    logs: list[str] = []
    info = train(
        TrainConfig(
            out=out,
            data=(data,),
            epochs=1,
            steps_per_epoch=2,
            batch=2,
            crop=128,
            start="shipped",
            simulated=0,
            lr=1e-4,
            version="railcar-centernet-test",
        ),
        log=logs.append,
    )
    assert out.is_file() and out.with_suffix(".json").is_file()
    assert out.with_suffix(".weights.npz").is_file()
    assert read_info(out).version == info.version == "railcar-centernet-test"
    assert any("epoch 1/1" in line for line in logs)
    assert (
        load_model(out).predict(__import__("numpy").zeros((1, 128, 128, 3), "uint8"))[0].shape[1]
        == 8
    )
    report = evaluate(data, out)
    assert report.overall["scenes"] == 2
    assert "torch" in sys.modules  # sanity: this test really ran the torch path
