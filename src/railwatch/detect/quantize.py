"""Int8 quantisation of a detector: the same network, about three times faster on a CPU.

The network is most of detection's time. With int8 weights (per output channel)
and uint8 activations in QDQ form, onnxruntime runs the convolutions on the
CPU's integer dot-product units, and the file shrinks fourfold.

The weights are kept to 7 bits (``reduce_range``: -64..64). x86 CPUs without
VNNI (AVX2, and AVX-512 before Cascade Lake) multiply uint8 by int8 with
``vpmaddubsw``, which adds each pair of products into a saturating int16: two
products of 255 × 127 overflow it, so full-range weights give other answers
there than on VNNI CPUs, whose ``vpdpbusd`` sums into int32. With 7-bit weights
a pair can reach at most 2 × 255 × 64 = 32 640, which fits, so every kernel
computes the same exact integers and the model answers bit for bit the same on
AVX2, AVX-512, VNNI and ARM (measured under emulation: MODEL.md). The eighth
bit bought no accuracy that the tests or the evaluation sets could see. Activation
ranges are measured by running the float model over tiles of real scenes, cut
exactly as detection cuts them, so the images given should look like the
imagery the model will meet (site, GSD, season). The score threshold should be
picked again afterwards (``railwatch models calibrate``): quantisation moves
scores a little.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from railwatch.detect.calibration import CAL_TAG
from railwatch.detect.model import ModelInfo, OnnxDetector, read_info, write_metadata
from railwatch.errors import DetectionError, InputError

#: Tiles whose activations set the int8 ranges; more changes little past a dozen.
DEFAULT_TILES = 16
#: Image files a folder given to :func:`quantize` is searched for.
IMAGE_SUFFIXES = (".tif", ".tiff")
SCHEME = (
    "int8 static QDQ: per-channel 7-bit int8 weights (reduce_range), uint8 activations, "
    "min-max ranges"
)
#: Weights a portable int8 model keeps to (see the module docstring).
WEIGHT_RANGE = (-64, 64)
#: What the version gains: int8 with 7-bit weights. The 8-bit copies of earlier
#: releases said ``int8``; the two count differently, so they are told apart.
QUANT_TAG = "int8w7"


class _TileRecorder(OnnxDetector):
    """The float detector, keeping the first ``limit`` tiles the network is given."""

    def __init__(self, path: Path, info: ModelInfo, limit: int) -> None:
        # Ranges are measured on upright tiles: flips would only run the network twice.
        super().__init__(path, replace(info, flips="none"))
        self.limit = limit
        self.tiles: list[np.ndarray] = []

    def _run(self, x: np.ndarray) -> np.ndarray:
        take = x[: max(0, self.limit - len(self.tiles))]
        self.tiles.extend(take[i : i + 1].copy() for i in range(len(take)))
        return super()._run(x)


def image_files(paths: Sequence[str | Path]) -> list[Path]:
    """The GeoTIFFs named, or found under the folders named, in a stable order."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found.extend(sorted(f for f in p.rglob("*") if f.suffix.lower() in IMAGE_SUFFIXES))
        elif p.is_file():
            found.append(p)
        else:
            raise InputError(f"{p}: no such file or folder")
    if not found:
        raise InputError(f"{', '.join(map(str, paths))}: no GeoTIFF images to calibrate on")
    return found


def is_quantized(model_path: str | Path) -> bool:
    import onnx

    graph = onnx.load(str(model_path), load_external_data=False).graph
    return any(n.op_type in ("QuantizeLinear", "QLinearConv") for n in graph.node)


def weight_range(model_path: str | Path) -> tuple[int, int] | None:
    """The lowest and highest int8 weight of a quantised model, or None for a float one.

    A model whose weights lie within :data:`WEIGHT_RANGE` gives the same answers on
    every CPU; one that uses the full int8 range does not (module docstring).
    """
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(model_path), load_external_data=False).graph
    inits = {i.name: i for i in graph.initializer}
    # Weights enter a QDQ graph through DequantizeLinear, a QOperator one as QLinearConv's w.
    names = [
        n.input[0] if n.op_type == "DequantizeLinear" else n.input[3]
        for n in graph.node
        if n.op_type in ("DequantizeLinear", "QLinearConv")
    ]
    arrays = (numpy_helper.to_array(inits[name]) for name in names if name in inits)
    found = [a for a in arrays if a.dtype == np.int8]
    if not found:
        return None
    return int(min(a.min() for a in found)), int(max(a.max() for a in found))


def quantize(
    model_path: str | Path,
    images: Sequence[str | Path],
    out: str | Path,
    *,
    tiles: int = DEFAULT_TILES,
    progress: Callable[[str, int, int], None] | None = None,
) -> ModelInfo:
    """Write an int8 copy of a float model, with the metadata saying how it was made.

    Args:
        model_path: a float ONNX model with its sidecar (``railwatch train`` output).
        images: GeoTIFFs, or folders of them, whose tiles set the activation ranges.
        out: the int8 model to write (its ``.json`` sidecar is written beside it).
        tiles: how many tiles to measure.

    Raises:
        InputError: no images, the model is already quantised, or ``out`` is the model itself.
        DetectionError: the onnx package (train extra) is missing, or the model cannot load.
    """
    try:
        from onnxruntime.quantization import (
            CalibrationDataReader,
            CalibrationMethod,
            QuantFormat,
            QuantType,
            quantize_static,
        )
        from onnxruntime.quantization.shape_inference import quant_pre_process
    except ImportError as exc:
        raise DetectionError(
            "quantisation needs the onnx package: pip install 'railwatch[train]'"
        ) from exc
    from railwatch.detect.runs import detect_file

    src, dst = Path(model_path), Path(out)
    if src.resolve() == dst.resolve():
        raise InputError(f"{dst}: write the int8 model beside the float one, not over it")
    if is_quantized(src):
        raise InputError(f"{src}: already quantised")
    files = image_files(images)
    info = read_info(src)
    recorder = _TileRecorder(src, info, tiles)
    used: list[str] = []
    for k, f in enumerate(files):
        if len(recorder.tiles) >= tiles:
            break
        detect_file(f, recorder)
        used.append(f"{f.parent.name}/{f.name}")  # scenes of a dataset share a file name
        if progress is not None:
            progress(str(f), k + 1, len(files))
    batches = iter(recorder.tiles)
    name = recorder._input

    class _Reader(CalibrationDataReader):
        def get_next(self) -> dict[str, Any] | None:
            x = next(batches, None)
            return None if x is None else {name: x}

    dst.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        pre = Path(tmp) / "pre.onnx"
        quant_pre_process(str(src), str(pre))  # shape inference and graph clean-up first
        staged = Path(tmp) / "int8.onnx"
        quantize_static(
            str(pre),
            str(staged),
            _Reader(),
            quant_format=QuantFormat.QDQ,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            per_channel=True,
            reduce_range=True,  # portable: no int16 saturation on CPUs without VNNI
            calibrate_method=CalibrationMethod.MinMax,
        )
        staged.replace(dst)
    # A calibration tag would no longer hold: int8 moves the scores (calibrate again).
    base, _, local = CAL_TAG.sub("", info.version).partition("+")
    extra = dict(info.extra)
    extra["quantization"] = {
        "scheme": SCHEME,
        "from": info.version,
        "tiles": len(recorder.tiles),
        "images": used,
    }
    version = f"{base}+{local + '.' if local else ''}{QUANT_TAG}"
    qinfo = replace(info, version=version, extra=extra)
    write_metadata(dst, qinfo)
    return qinfo
