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


def test_scratch_training_with_a_batch_process_records_its_architecture(tmp_path: Path) -> None:
    import numpy as np

    from railwatch.detect import load_model, read_info
    from railwatch.detect.training import RailcarResNet, TrainConfig, load_network, train

    out = tmp_path / "scratch.onnx"
    info = train(
        TrainConfig(
            out=out,
            epochs=1,
            steps_per_epoch=3,
            batch=2,
            crop=128,
            start="scratch",
            simulated=3,
            refresh_every=1,  # the batch process renders fresh scenes too
            workers=1,
            scene_size=256,
            realism=1.0,  # and the realism scenes go through the same pipeline
            version="railcar-scratch-test",
        ),
        log=lambda _: None,
    )
    assert info.extra["training"]["realism"] == 1.0
    assert info.extra["training"]["arch"] == RailcarResNet.arch
    assert read_info(out).extra["training"]["arch"] == RailcarResNet.arch
    net = load_network(out.with_suffix(".weights.npz"))
    assert isinstance(net, RailcarResNet)
    maps = load_model(out).predict(np.zeros((1, 128, 128, 3), "uint8"))
    assert len(maps) == 1


def test_weights_without_an_architecture_load_as_the_separable_net(tmp_path: Path) -> None:
    import numpy as np

    from railwatch.detect.training import RailcarNet, load_network
    from railwatch.errors import DetectionError

    legacy = tmp_path / "legacy.weights.npz"
    state = {k: v.numpy() for k, v in RailcarNet().state_dict().items()}
    np.savez(legacy, **state)
    assert isinstance(load_network(legacy), RailcarNet)

    odd = tmp_path / "odd.weights.npz"
    np.savez(odd, __arch__=np.array("transformer9000"), **state)
    with pytest.raises(DetectionError, match="odd.weights.npz.*transformer9000"):
        load_network(odd)
    mismatched = tmp_path / "mismatched.weights.npz"
    np.savez(mismatched, __arch__=np.array("res16"), **state)
    with pytest.raises(DetectionError, match="do not fit"):
        load_network(mismatched)


def test_a_realism_share_outside_0_1_is_refused_before_training(tmp_path: Path) -> None:
    from railwatch.detect.training import TrainConfig
    from railwatch.errors import InputError

    # Scenes that fail to render are skipped, so this must fail here, not wait for scenes.
    with pytest.raises(InputError, match="realism 1.5 is outside 0-1"):
        TrainConfig(out=tmp_path / "m.onnx", realism=1.5)
    with pytest.raises(InputError, match="--workers -1"):
        TrainConfig(out=tmp_path / "m.onnx", workers=-1)


def test_a_pool_renders_the_scenes_one_process_renders(tmp_path: Path) -> None:
    """Up-front scenes from two workers: the same seeds, in order, as from none."""
    import numpy as np

    from railwatch.detect.training import TrainConfig, _render_many

    cfg = TrainConfig(out=tmp_path / "m.onnx", simulated=3, scene_size=128, realism=0.5)
    one, next_one = _render_many(cfg, 4242, 0, lambda _: None)
    two, next_two = _render_many(cfg, 4242, 2, lambda _: None)
    assert len(one) == len(two) == 3 and next_one == next_two >= 4245
    for a, b in zip(one, two, strict=True):
        assert np.array_equal(a.image, b.image) and np.array_equal(a.params, b.params)


def test_batch_workers_render_different_scenes(tmp_path: Path) -> None:
    """Two batch processes: both refresh the pool, from seeds no other worker renders."""

    from railwatch.detect.training import TrainConfig, _Batches, _render_many

    cfg = TrainConfig(
        out=tmp_path / "m.onnx", simulated=2, scene_size=128, batch=2, crop=64, refresh_every=1
    )
    scenes, seed = _render_many(cfg, 9000, 0, lambda _: None)
    batches = _Batches(scenes, 0, cfg, seed, workers=2)
    try:
        made = []  # (x, targets, next seed) as the workers put them
        while len(made) < 40 and len({(m[2] - seed) % 2 for m in made}) < 2:
            made.append(batches.queue.get(timeout=60))
        x, _ = batches.next()
    finally:
        batches.close()
    assert not batches.procs and x.shape == (2, 64, 64, 3)
    # Worker 0 renders seed, seed + 2, …; worker 1 seed + 1, seed + 3, …: never the same one.
    offsets = {(m[2] - seed) % 2 for m in made}
    assert offsets == {0, 1}, [m[2] - seed for m in made]
    assert len({m[0].tobytes() for m in made}) == len(made)  # their random streams differ


def test_training_needs_neither_gdal_nor_the_store(tmp_path: Path) -> None:
    """Training renders in memory: a GPU machine with torch needs no rasterio or SQLAlchemy."""
    import subprocess

    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from railwatch.detect.training import TrainConfig, train\n"
        f"train(TrainConfig(out=Path({str(tmp_path / 'm.onnx')!r}), epochs=1, steps_per_epoch=1,"
        " batch=2, crop=64, start='scratch', simulated=2, scene_size=128, workers=0,"
        " realism=1.0), log=lambda _: None)\n"
        "print(sorted(m for m in ('rasterio', 'sqlalchemy') if m in sys.modules))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip().splitlines()[-1] == "[]", r.stdout
    assert (tmp_path / "m.onnx").is_file()
