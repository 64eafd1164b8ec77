"""The detector behind a small protocol, and the ONNX network that implements it.

The network is a CenterNet-style single-stage detector: at every 4th pixel it
says how likely a railcar centre is there, which class it is, its length,
width and orientation, and whether it is tarped. Decoding those maps into
oriented boxes happens here in numpy, so running a model needs onnxruntime
only (torch is for training).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from scipy.ndimage import maximum_filter

from railwatch.errors import DetectionError
from railwatch.railcars import CLASSES

#: Where the shipped model lives (package data).
MODELS_DIR = Path(__file__).with_name("models")
SHIPPED_MODEL = MODELS_DIR / "railcar.onnx"

#: Channels of the network's output map, in order.
CH_HEAT = 0
CH_CLASS = slice(1, 1 + len(CLASSES))
CH_SIZE = slice(8, 10)  # log length, log width (pixels at the model's GSD)
CH_ANGLE = slice(10, 12)  # cos 2θ, sin 2θ of the long axis
CH_OFFSET = slice(12, 14)  # centre within its cell, 0..1
CH_TARP = 14
N_CHANNELS = 15

#: Test-time augmentation: the mirror images the network also sees, as (flip rows,
#: flip columns). A railcar looks the same mirrored, so averaging the maps of the
#: mirrored views (turned back) steadies scores and classes: on the 200-scene
#: evaluation set "hflip" adds about 0.01 F1 and 0.015 class accuracy and takes a
#: third of a car off the count error, for twice the network time.
FLIPS: dict[str, tuple[tuple[bool, bool], ...]] = {
    "none": (),
    "hflip": ((False, True),),
    "flip4": ((False, True), (True, False), (True, True)),
}

#: Columns of one decoded detection row.
COLUMNS = ("cx", "cy", "length", "width", "angle", "score", "class", "tarped")


class Detector(Protocol):
    """Anything that finds railcars in equally sized 8-bit RGB tiles at its own GSD."""

    version: str
    gsd: float

    def predict(self, tiles: np.ndarray) -> list[np.ndarray]:
        """Boxes per tile: (N, h, w, 3) uint8 → N arrays of rows laid out as :data:`COLUMNS`.

        Coordinates are in the tile's pixels (edge-based); ``class`` is an index
        into :data:`railwatch.railcars.CLASSES`; ``tarped`` a probability.
        """
        ...


@dataclass(frozen=True)
class ModelInfo:
    """What a model file says about itself (sidecar JSON and ONNX metadata)."""

    version: str
    gsd: float = 0.5
    stride: int = 4
    tile: int = 1024
    overlap: int = 96
    gsd_range: tuple[float, float] = (0.25, 1.2)
    score_threshold: float = 0.35
    classes: tuple[str, ...] = CLASSES
    count_sigma: dict[str, float] = field(default_factory=dict)
    #: Per class, the part of the counting error that grows with the count (fraction of
    #: the cars counted): see :meth:`sigma_of`.
    count_sigma_rel: dict[str, float] = field(default_factory=dict)
    #: Test-time flips averaged into the maps (see :data:`FLIPS`); the score threshold
    #: is calibrated with them, so the two travel together.
    flips: str = "none"
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.flips not in FLIPS:
            raise DetectionError(
                f"model metadata: flips {self.flips!r} is not one of {', '.join(FLIPS)}"
            )

    def sigma_of(self, railcar_class: str, count: int) -> float | None:
        """One-sigma counting error of ``count`` cars of a class, or None when unknown.

        A fixed part (``count_sigma``: a car missed or doubled anywhere) and a part in
        proportion to the count (``count_sigma_rel``: busy yards hide more), added in
        quadrature. A model that gives no proportional part has a fixed error.
        """
        if railcar_class not in self.count_sigma:
            return None
        rel = self.count_sigma_rel.get(railcar_class, 0.0) * count
        return round(math.hypot(self.count_sigma[railcar_class], rel), 3)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "gsd": self.gsd,
            "stride": self.stride,
            "tile": self.tile,
            "overlap": self.overlap,
            "gsd_range": list(self.gsd_range),
            "score_threshold": self.score_threshold,
            "classes": list(self.classes),
            "count_sigma": dict(self.count_sigma),
            "count_sigma_rel": dict(self.count_sigma_rel),
            "flips": self.flips,
            **self.extra,
        }

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> ModelInfo:
        known = {
            "version",
            "gsd",
            "stride",
            "tile",
            "overlap",
            "gsd_range",
            "score_threshold",
            "classes",
            "count_sigma",
            "count_sigma_rel",
            "flips",
        }
        if "version" not in doc:
            raise DetectionError("model metadata has no 'version'")
        return cls(
            version=str(doc["version"]),
            gsd=float(doc.get("gsd", 0.5)),
            stride=int(doc.get("stride", 4)),
            tile=int(doc.get("tile", 1024)),
            overlap=int(doc.get("overlap", 96)),
            gsd_range=tuple(doc.get("gsd_range", (0.25, 1.2))),  # type: ignore[arg-type]
            score_threshold=float(doc.get("score_threshold", 0.35)),
            classes=tuple(doc.get("classes", CLASSES)),
            count_sigma={k: float(v) for k, v in (doc.get("count_sigma") or {}).items()},
            count_sigma_rel={k: float(v) for k, v in (doc.get("count_sigma_rel") or {}).items()},
            flips=str(doc.get("flips", "none")),
            extra={k: v for k, v in doc.items() if k not in known},
        )


def sidecar_of(model_path: str | Path) -> Path:
    return Path(model_path).with_suffix(".json")


def write_metadata(model_path: str | Path, info: ModelInfo) -> None:
    """Rewrite a model's metadata: its sidecar JSON, and the ONNX ``metadata_props`` too.

    The sidecar is what :func:`read_info` trusts first, so it is written whole and
    swapped in. The copy inside the ONNX file (for a model passed around without
    its sidecar) needs the ``onnx`` package, which only the train extra installs;
    without it that copy is left as it was.
    """
    path = Path(model_path)
    doc = info.to_dict()
    side = sidecar_of(path)
    tmp = side.with_name(side.name + ".tmp")
    tmp.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    try:
        import onnx
    except ImportError:
        tmp.replace(side)
        return
    model = onnx.load(str(path))
    del model.metadata_props[:]
    for key, value in (("railwatch", json.dumps(doc)), ("version", info.version)):
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    staged = path.with_name(path.name + ".tmp")
    onnx.save(model, str(staged))
    staged.replace(path)
    tmp.replace(side)


def sha256_of(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def decode(
    maps: np.ndarray, *, stride: int = 4, score_threshold: float = 0.35, max_boxes: int = 2000
) -> list[np.ndarray]:
    """Network output (N, 15, h, w) → per image an array of rows laid out as :data:`COLUMNS`."""
    out = []
    for m in maps:
        heat = m[CH_HEAT]
        peaks = (heat >= maximum_filter(heat, size=3, mode="constant")) & (heat > score_threshold)
        rows, cols = np.nonzero(peaks)
        if len(rows) > max_boxes:
            top = np.argsort(-heat[rows, cols])[:max_boxes]
            rows, cols = rows[top], cols[top]
        score = heat[rows, cols]
        cls_prob = m[CH_CLASS][:, rows, cols]
        size = np.exp(np.clip(m[CH_SIZE][:, rows, cols], -3, 6))
        cos2, sin2 = m[CH_ANGLE][:, rows, cols]
        off = m[CH_OFFSET][:, rows, cols]
        det = np.empty((len(rows), len(COLUMNS)), dtype=np.float64)
        det[:, 0] = (cols + off[0]) * stride
        det[:, 1] = (rows + off[1]) * stride
        det[:, 2] = np.maximum(size[0], size[1])
        det[:, 3] = np.minimum(size[0], size[1])
        det[:, 4] = np.mod(np.arctan2(sin2, cos2) / 2, np.pi)
        det[:, 5] = score
        det[:, 6] = np.argmax(cls_prob, axis=0) if len(rows) else []
        det[:, 7] = m[CH_TARP][rows, cols]
        out.append(det)
    return out


class OnnxDetector:
    """The default :class:`Detector`: an ONNX network run with onnxruntime on the CPU."""

    def __init__(self, path: str | Path, info: ModelInfo, *, threads: int | None = None) -> None:
        import onnxruntime as ort

        self.path = Path(path)
        self.info = info
        self.version = info.version
        self.gsd = info.gsd
        opts = ort.SessionOptions()
        if threads:
            opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        try:
            self._session = ort.InferenceSession(
                str(self.path), sess_options=opts, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise DetectionError(f"{self.path}: cannot load the model: {exc}") from exc
        self._input = self._session.get_inputs()[0].name

    def with_threads(self, threads: int) -> OnnxDetector:
        """The same model (file, threshold, flips) with its own session on ``threads`` threads."""
        return OnnxDetector(self.path, self.info, threads=threads)

    def maps(self, tiles: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(np.moveaxis(tiles, -1, 1), dtype=np.float32)
        out = self._run(x)
        views = FLIPS[self.info.flips]
        if not views:
            return out
        total = out.copy()
        for flip_rows, flip_cols in views:
            axes = (2,) * flip_rows + (3,) * flip_cols
            back = np.flip(self._run(np.ascontiguousarray(np.flip(x, axes))), axes)
            if flip_rows != flip_cols:  # one mirror turns the long axis from θ to -θ
                back = back.copy()
                back[:, CH_ANGLE.start + 1] *= -1
            total += back
        # Centre offsets are kept from the upright view: a mirrored cell is not the same
        # sub-pixel position. Every other channel is the mean over the views.
        mean = total / (len(views) + 1)
        mean[:, CH_OFFSET] = out[:, CH_OFFSET]
        return mean

    def _run(self, x: np.ndarray) -> np.ndarray:
        """The network on (N, 3, H, W) float32 tiles: its (N, 15, H/4, W/4) maps."""
        return self._session.run(None, {self._input: x})[0]

    def predict(self, tiles: np.ndarray) -> list[np.ndarray]:
        return decode(
            self.maps(tiles),
            stride=self.info.stride,
            score_threshold=self.info.score_threshold,
        )


def read_info(model_path: str | Path) -> ModelInfo:
    """The metadata of a model: its sidecar JSON, else the ONNX ``metadata_props``.

    Raises:
        DetectionError: the file is missing or carries no metadata.
    """
    path = Path(model_path)
    if not path.is_file():
        raise DetectionError(f"{path}: no such model file")
    side = sidecar_of(path)
    if side.is_file():
        try:
            return ModelInfo.from_dict(json.loads(side.read_text()))
        except ValueError as exc:
            raise DetectionError(f"{side}: unreadable model metadata: {exc}") from exc
    import onnxruntime as ort

    try:
        meta = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).get_modelmeta()
    except Exception as exc:
        raise DetectionError(f"{path}: not an ONNX model: {exc}") from exc
    raw = meta.custom_metadata_map.get("railwatch")
    if not raw:
        raise DetectionError(f"{path}: not a railwatch model (no 'railwatch' metadata, no sidecar)")
    return ModelInfo.from_dict(json.loads(raw))


def load_model(model_path: str | Path | None = None, *, threads: int | None = None) -> OnnxDetector:
    """Load a model file, or the shipped model when none is given.

    Raises:
        DetectionError: the model is missing or unreadable.
    """
    path = Path(model_path) if model_path is not None else SHIPPED_MODEL
    if model_path is None and not path.is_file():
        raise DetectionError(f"the shipped model is missing ({path}); reinstall railwatch")
    return OnnxDetector(path, read_info(path), threads=threads)
