"""Training the railcar detector (needs the ``train`` extra: torch and onnx).

Scenes come from the simulator, rendered in memory at random ground sample
distances and resampled to the model's GSD exactly as detection does, and/or
from labelled folders (``simulate dataset`` output, or GeoTIFFs with a
``labels.geojson`` drawn by an analyst). This is the only module that imports
torch; detection runs the exported ONNX file with onnxruntime.
"""

from __future__ import annotations

import math
import os
import subprocess
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from railwatch.detect import geometry, raster
from railwatch.detect.model import (
    CH_ANGLE,
    CH_CLASS,
    CH_HEAT,
    CH_OFFSET,
    CH_SIZE,
    CH_TARP,
    MODELS_DIR,
    N_CHANNELS,
    ModelInfo,
    write_metadata,
)
from railwatch.errors import DetectionError, InputError, RailwatchError
from railwatch.railcars import CLASSES

try:
    import torch
    import torch.nn.functional as F
    from torch import nn
except ImportError as exc:  # pragma: no cover - depends on the extra
    raise DetectionError(
        "training needs torch: pip install 'railwatch[train]' (torch==2.13.0, onnx==1.23.2)"
    ) from exc

MODEL_GSD = 0.5
STRIDE = 4
MODEL_NAME = "railcar-centernet"
MODEL_SERIES = "0.2"
#: Simulator seeds used for training start here, far from evaluation seeds.
TRAIN_SEED_BASE = 1_000_000
SHIPPED_WEIGHTS = MODELS_DIR / "railcar.weights.npz"


# ----------------------------------------------------------------------------- network


class ConvBN(nn.Sequential):
    def __init__(self, cin: int, cout: int, k: int = 3, s: int = 1, groups: int = 1, d: int = 1):
        super().__init__(
            nn.Conv2d(cin, cout, k, s, padding=d * (k // 2), dilation=d, groups=groups, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
        )


class Separable(nn.Module):
    """Depthwise 3×3 then pointwise 1×1, residual when the shape allows."""

    def __init__(self, cin: int, cout: int, s: int = 1, d: int = 1) -> None:
        super().__init__()
        self.dw = ConvBN(cin, cin, 3, s, groups=cin, d=d)
        self.pw = nn.Sequential(nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout))
        self.residual = s == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.pw(self.dw(x))
        return F.relu(y + x if self.residual else y)


class Residual(nn.Module):
    """Two full 3×3 convolutions with a skip: dense convolutions run faster per
    parameter than depthwise ones on CPU, so capacity is cheaper this way."""

    def __init__(self, c: int, d: int = 1) -> None:
        super().__init__()
        self.a = ConvBN(c, c, 3, d=d)
        self.b = nn.Sequential(
            nn.Conv2d(c, c, 3, padding=d, dilation=d, bias=False), nn.BatchNorm2d(c)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(x + self.b(self.a(x)))


class _Pyramid(nn.Module):
    """Encoder at strides 4, 8 and 16, decoded back to stride 4, with the CenterNet head.

    Subclasses build ``stem``, ``e4``, ``e8``, ``e16``, ``lat16``, ``d8``, ``lat8``,
    ``d4`` and ``head``, then call ``_init_head``; the data flow is the same for all.
    """

    def _init_head(self) -> None:
        with torch.no_grad():
            self.head[-1].bias.zero_()
            self.head[-1].bias[CH_HEAT] = -2.2  # CenterNet's prior: few cells hold a centre

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """0–255 RGB → the encoder's maps at strides 4, 8 and 16."""
        x = (x / 255.0 - 0.45) / 0.25
        f4 = self.e4(self.stem(x))
        f8 = self.e8(f4)
        return f4, f8, self.e16(f8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f4, f8, f16 = self.encode(x)
        u8 = self.d8(F.interpolate(self.lat16(f16), size=f8.shape[-2:], mode="nearest") + f8)
        u4 = self.d4(F.interpolate(self.lat8(u8), size=f4.shape[-2:], mode="nearest") + f4)
        return self.head(u4)


class RailcarNet(_Pyramid):
    """The first shipped network: depthwise-separable encoder–decoder (~0.09 M parameters)."""

    arch = "sep32"

    def __init__(self, width: int = 32) -> None:
        super().__init__()
        w1, w2, w3 = width, width * 2, width * 3
        self.stem = nn.Sequential(ConvBN(3, 16, 3, 2), ConvBN(16, w1, 3, 2))
        self.e4 = nn.Sequential(Separable(w1, w1), Separable(w1, w1))
        self.e8 = nn.Sequential(Separable(w1, w2, 2), Separable(w2, w2), Separable(w2, w2))
        self.e16 = nn.Sequential(
            Separable(w2, w3, 2), Separable(w3, w3, d=2), Separable(w3, w3, d=4), Separable(w3, w3)
        )
        self.lat16 = nn.Conv2d(w3, w2, 1)
        self.d8 = Separable(w2, w2)
        self.lat8 = nn.Conv2d(w2, w1, 1)
        self.d4 = nn.Sequential(Separable(w1, w1), Separable(w1, w1, d=2))
        self.head = nn.Sequential(ConvBN(w1, 48, 3), nn.Conv2d(48, N_CHANNELS, 1))
        self._init_head()


class RailcarResNet(_Pyramid):
    """Dense residual encoder–decoder with CenterNet heads at stride 4 (~0.6 M parameters).

    Telling a tank from an open wagon, or a car from its own shadow, needs more
    capacity than the separable net had; dense 3×3 blocks give six times the
    parameters for about the same CPU time per training step.
    """

    arch = "res16"

    def __init__(self, widths: tuple[int, int, int, int] = (16, 32, 64, 96)) -> None:
        super().__init__()
        a, b, c, d = widths
        self.stem = nn.Sequential(ConvBN(3, a, 3, 2), ConvBN(a, b, 3, 2))
        self.e4 = Residual(b)
        self.e8 = nn.Sequential(ConvBN(b, c, 3, 2), Residual(c))
        self.e16 = nn.Sequential(ConvBN(c, d, 3, 2), Residual(d, 2), Residual(d, 4))
        self.lat16 = nn.Conv2d(d, c, 1)
        self.d8 = ConvBN(c, c, 3)
        self.lat8 = nn.Conv2d(c, b, 1)
        self.d4 = ConvBN(b, b, 3)
        self.head = nn.Sequential(ConvBN(b, 48, 3), nn.Conv2d(48, N_CHANNELS, 1))
        self._init_head()


class RailcarEffNet(_Pyramid):
    """EfficientNet-Lite0's first 11 blocks (to stride 16) under the same decoder and head.

    The encoder starts from ImageNet weights (:mod:`railwatch.detect.efficientnet_lite`):
    the only network here that has seen real photographs before the simulator.
    Cut at stride 16 (112 channels), it keeps 0.7 M of Lite0's 4.7 M parameters;
    the stride-32 stages add nothing for objects 7–8 cells long at stride 4.
    """

    arch = "effl0"

    def __init__(self) -> None:
        super().__init__()
        from railwatch.detect.efficientnet_lite import EfficientNetLite0

        self.encoder = EfficientNetLite0(blocks=11)
        self.lat16 = nn.Conv2d(112, 40, 1)
        self.d8 = ConvBN(40, 40, 3)
        self.lat8 = nn.Conv2d(40, 24, 1)
        self.d4 = ConvBN(24, 48, 3)
        self.head = nn.Sequential(ConvBN(48, 48, 3), nn.Conv2d(48, N_CHANNELS, 1))
        self._init_head()

    def load_pretrained(self) -> str:
        """Fill the encoder with the ImageNet weights; returns where they came from."""
        from railwatch.detect.efficientnet_lite import SOURCE, load_pretrained, pretrained_path

        load_pretrained(self.encoder)
        return f"{SOURCE} ({pretrained_path().name})"

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        f = self.encoder.features(self.encoder.normalise(x))
        return f[4], f[8], f[16]


ARCHITECTURES: dict[str, type[nn.Module]] = {
    RailcarNet.arch: RailcarNet,
    RailcarResNet.arch: RailcarResNet,
    RailcarEffNet.arch: RailcarEffNet,
}
DEFAULT_ARCH = RailcarResNet.arch


class Exported(nn.Module):
    """The network with its output activations, as shipped in ONNX."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raw = self.net(x)
        return torch.cat(
            [
                torch.sigmoid(raw[:, CH_HEAT : CH_HEAT + 1]),
                torch.softmax(raw[:, CH_CLASS], dim=1),
                raw[:, CH_SIZE],
                raw[:, CH_ANGLE],
                torch.sigmoid(raw[:, CH_OFFSET]),
                torch.sigmoid(raw[:, CH_TARP : CH_TARP + 1]),
            ],
            dim=1,
        )


# ----------------------------------------------------------------------------- data


@dataclass
class Scene:
    """One labelled scene at the model's GSD."""

    image: np.ndarray  # (h, w, 3) uint8
    params: np.ndarray  # (n, 5) cx, cy, length, width, angle in pixels at MODEL_GSD
    classes: np.ndarray  # (n,) int
    tarped: np.ndarray  # (n,) float
    gsd: float = MODEL_GSD
    tags: dict[str, Any] | None = None


def _to_model_gsd(
    image: np.ndarray, corners: np.ndarray, gsd: float | tuple[float, float]
) -> tuple[np.ndarray, np.ndarray]:
    # Each axis by its own ground size, as detection does: EPSG:4326 pixels are not square.
    gx, gy = (gsd, gsd) if isinstance(gsd, int | float) else gsd
    h = max(8, round(image.shape[0] * gy / MODEL_GSD))
    w = max(8, round(image.shape[1] * gx / MODEL_GSD))
    img = raster.resample(image, h, w)
    c = np.asarray(corners, dtype=np.float64).reshape(-1, 4, 2).copy()
    c[..., 0] *= w / image.shape[1]
    c[..., 1] *= h / image.shape[0]
    return img, c


def _class_index(name: Any) -> int:
    name = str(getattr(name, "value", name)).lower()
    return CLASSES.index(name) if name in CLASSES else CLASSES.index("other")


def simulated_scene(
    seed: int, gsd_range: tuple[float, float], size: int, realism: float = 0.0
) -> Scene:
    """Render one simulator scene (in memory) and bring it to the model's GSD."""
    from railwatch.simulate import random_spec, render_scene

    rng = np.random.default_rng(seed)
    spec = random_spec(rng, gsd_range=gsd_range, size=(size, size), realism=realism)
    scene = render_scene(spec)
    image = np.asarray(scene.image)
    if image.ndim == 3 and image.shape[0] in (1, 3, 4) and image.shape[-1] not in (1, 3, 4):
        image = np.moveaxis(image, 0, -1)
    rgb = raster.to_rgb8(np.moveaxis(image, -1, 0) if image.ndim == 3 else image)
    gsd = float(spec.gsd)
    cars = list(scene.cars)
    corners = np.array([np.asarray(c.corners_px, dtype=float) for c in cars]).reshape(-1, 4, 2)
    img, c = _to_model_gsd(rgb, corners, gsd)
    return Scene(
        image=img,
        params=geometry.corners_to_params(c) if len(c) else np.zeros((0, 5)),
        classes=np.array([_class_index(c.railcar_class) for c in cars], dtype=np.int64),
        tarped=np.array([float(bool(c.tarped)) for c in cars], dtype=np.float32),
        gsd=gsd,
    )


def _render(
    seed: int, gsd_range: tuple[float, float], size: int, realism: float = 0.0, limit_s: int = 20
) -> Scene | None:
    """A simulated scene, or None when the simulator fails or hangs on this seed (it is skipped)."""
    import signal

    def expire(*_: Any) -> None:
        raise TimeoutError(f"simulator seed {seed} took over {limit_s} s")

    main = hasattr(signal, "SIGALRM") and __import__("threading").current_thread().name == (
        "MainThread"
    )
    old = signal.signal(signal.SIGALRM, expire) if main else None
    if main:
        signal.alarm(limit_s)
    try:
        return simulated_scene(seed, gsd_range, size, realism)
    except (TimeoutError, RailwatchError):
        return None
    finally:
        if main:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, old)


def folder_scenes(data_dir: str | Path) -> list[Scene]:
    """Labelled scenes of a folder (simulate dataset, or GeoTIFFs with labels.geojson)."""
    from railwatch.detect.evaluation import find_samples

    scenes = []
    for sample in find_samples(data_dir):
        rgb, transform, crs, gsd = raster.read_rgb(sample.image)
        labels = sample.labels(transform, crs)
        corners = np.array([lab["corners"] for lab in labels]).reshape(-1, 4, 2)
        size = raster.pixel_size_of(crs, transform, rgb.shape[1], rgb.shape[0])
        img, c = _to_model_gsd(rgb, corners, size)
        scenes.append(
            Scene(
                image=img,
                params=geometry.corners_to_params(c) if len(c) else np.zeros((0, 5)),
                classes=np.array([_class_index(lab["class"]) for lab in labels], dtype=np.int64),
                tarped=np.array([float(lab["tarped"]) for lab in labels], dtype=np.float32),
                gsd=gsd,
            )
        )
    if not scenes:
        raise InputError(f"{data_dir}: no labelled GeoTIFFs found")
    return scenes


def augment_crop(
    scene: Scene, crop: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A random augmented ``crop``×``crop`` window of a scene and its boxes (centres inside)."""
    img = scene.image
    # Scale jitter: real cars vary in size and real GSDs are never exact. The window
    # is cut at source scale and resampled, so a big scene costs no more than a small one.
    s = float(rng.uniform(0.85, 1.18)) if rng.random() < 0.7 else 1.0
    src = max(8, round(crop / s))
    h, w = img.shape[:2]
    if h < src or w < src:
        padded = np.zeros((max(h, src), max(w, src), 3), np.uint8)
        padded[:h, :w] = img
        img, (h, w) = padded, padded.shape[:2]
    p = scene.params
    # Bias crops towards cars: most training windows should contain some.
    if len(p) and rng.random() < 0.8:
        i = rng.integers(len(p))
        x0 = int(np.clip(p[i, 0] - rng.uniform(0, src), 0, w - src))
        y0 = int(np.clip(p[i, 1] - rng.uniform(0, src), 0, h - src))
    else:
        x0 = int(rng.integers(0, w - src + 1))
        y0 = int(rng.integers(0, h - src + 1))
    tile = raster.resample(img[y0 : y0 + src, x0 : x0 + src], crop, crop)
    k = crop / src
    p = p.copy()
    p[:, 0] = (p[:, 0] - x0) * k
    p[:, 1] = (p[:, 1] - y0) * k
    p[:, 2:4] *= k
    inside = (p[:, 0] >= 0) & (p[:, 0] < crop) & (p[:, 1] >= 0) & (p[:, 1] < crop)
    p, cls, tarp = p[inside], scene.classes[inside], scene.tarped[inside]
    # Flips and quarter turns: the ground has no preferred direction.
    if rng.random() < 0.5:
        tile = tile[:, ::-1]
        p[:, 0] = crop - p[:, 0]
        p[:, 4] = np.mod(np.pi - p[:, 4], np.pi)
    if rng.random() < 0.5:
        tile = tile[::-1]
        p[:, 1] = crop - p[:, 1]
        p[:, 4] = np.mod(-p[:, 4], np.pi)
    if rng.random() < 0.5:  # transpose (with the flips above gives all 8 symmetries)
        tile = tile.transpose(1, 0, 2)
        p[:, [0, 1]] = p[:, [1, 0]]
        p[:, 4] = np.mod(np.pi / 2 - p[:, 4], np.pi)
    t = tile.astype(np.float32)
    # Radiometry: brightness, contrast, per-band gain, gamma, blur, noise.
    t = t * rng.uniform(0.7, 1.3) + rng.uniform(-30, 30)
    t = (t - t.mean()) * rng.uniform(0.7, 1.3) + t.mean()
    t *= rng.uniform(0.9, 1.1, size=3)
    if rng.random() < 0.3:
        t = 255.0 * (np.clip(t, 0, 255) / 255.0) ** rng.uniform(0.7, 1.4)
    if rng.random() < 0.25:
        from scipy.ndimage import gaussian_filter

        t = gaussian_filter(t, sigma=(rng.uniform(0.4, 1.2), rng.uniform(0.4, 1.2), 0))
    if rng.random() < 0.5:
        t += rng.normal(0, rng.uniform(1, 8), size=t.shape)
    if rng.random() < 0.2:  # grey scenes: panchromatic inputs are replicated to RGB
        t[:] = t.mean(axis=2, keepdims=True)
    tile = np.clip(t, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(tile), p, cls, tarp


def make_targets(
    params: np.ndarray, classes: np.ndarray, tarped: np.ndarray, size: int
) -> dict[str, np.ndarray]:
    """CenterNet targets at stride 4 for one crop: heatmap, centre cells and their regressands."""
    g = size // STRIDE
    heat = np.zeros((g, g), np.float32)
    yy, xx = np.mgrid[0:g, 0:g].astype(np.float32)
    best = np.zeros((g, g), np.float32)
    owner = np.full((g, g), -1, np.int64)
    idx, reg, cls, tarp = [], [], [], []
    for (cx, cy, length, width, angle), c, t in zip(params, classes, tarped, strict=True):
        gx, gy = cx / STRIDE, cy / STRIDE
        ix, iy = int(gx), int(gy)
        if not (0 <= ix < g and 0 <= iy < g):
            continue
        sa = max(0.12 * length / STRIDE, 0.7)
        sb = max(0.12 * width / STRIDE, 0.45)
        dx, dy = xx + 0.5 - gx, yy + 0.5 - gy
        a = dx * math.cos(angle) + dy * math.sin(angle)
        b = -dx * math.sin(angle) + dy * math.cos(angle)
        gauss = np.exp(-(a * a / (2 * sa * sa) + b * b / (2 * sb * sb)))
        np.maximum(heat, gauss, out=heat)
        heat[iy, ix] = 1.0
        gauss[iy, ix] = 1.0
        mine = gauss > best
        owner[mine] = len(idx)
        best[mine] = gauss[mine]
        idx.append(iy * g + ix)
        reg.append(
            [
                math.log(max(length, 1.0)),
                math.log(max(width, 1.0)),
                math.cos(2 * angle),
                math.sin(2 * angle),
                gx - ix,
                gy - iy,
            ]
        )
        cls.append(int(c))
        tarp.append(float(t))
    reg_a = np.asarray(reg, np.float32).reshape(-1, 6)
    cls_a = np.asarray(cls, np.int64)
    tarp_a = np.asarray(tarp, np.float32)
    # Class, size, angle and tarp are also taught on the cells around each centre (its body),
    # several times the signal of the centre cell alone; offsets only make sense at the centre.
    body = np.flatnonzero((best > 0.3) & (owner >= 0))
    own = owner.reshape(-1)[body]
    return {
        "heat": heat,
        "idx": np.asarray(idx, np.int64),
        "reg": reg_a,
        "cls": cls_a,
        "tarp": tarp_a,
        "didx": body.astype(np.int64),
        "dreg": reg_a[own, :4],
        "dcls": cls_a[own],
        "dtarp": tarp_a[own],
    }


def batch_of(
    scenes: list[Scene], n: int, crop: int, rng: np.random.Generator
) -> tuple[np.ndarray, list[dict[str, np.ndarray]]]:
    """``n`` augmented crops (n, crop, crop, 3) uint8 and their CenterNet targets."""
    tiles, targets = [], []
    for _ in range(n):
        scene = scenes[rng.integers(len(scenes))]
        tile, p, c, t = augment_crop(scene, crop, rng)
        tiles.append(tile)
        targets.append(make_targets(p, c, t, crop))
    return np.stack(tiles), targets


def _render_many(
    cfg: TrainConfig, seed: int, workers: int, log: Callable[[str], None]
) -> tuple[list[Scene], int]:
    """``cfg.simulated`` scenes from consecutive seeds, and the first seed not used.

    With more than one worker the seeds are rendered by a pool, in order, so the
    scenes are the same ones a single process renders.
    """
    import functools

    render = functools.partial(
        _render, gsd_range=cfg.gsd_range, size=cfg.scene_size, realism=cfg.realism
    )
    scenes: list[Scene] = []
    pool = None
    if workers > 1:
        import multiprocessing as mp

        pool = mp.get_context("fork").Pool(workers)
    try:
        while len(scenes) < cfg.simulated:
            seeds = range(seed, seed + (cfg.simulated - len(scenes) if pool else 1))
            # A round renders as many seeds as scenes are missing: none is wasted.
            for scene in (pool.map if pool else map)(render, seeds):
                if scene is not None:
                    scenes.append(scene)
                    if len(scenes) % 20 == 0:
                        log(f"rendered {len(scenes)}/{cfg.simulated} scenes")
            seed = seeds[-1] + 1
    finally:
        if pool is not None:
            pool.terminate()
    return scenes, seed


class _Batches:
    """Training batches, made in child processes while the parent runs the network.

    Cutting crops, augmenting them and rendering fresh simulator scenes take a
    quarter of a step's time on a CPU; done beside the network they cost almost
    nothing. On a GPU the network is so fast that one process cannot feed it, so
    ``workers`` processes make batches side by side. Each keeps its own copy of
    the scene pool (fork) and refreshes it; worker ``k`` of ``n`` renders seeds
    ``seed + k``, ``seed + k + n``, …, so no two render the same scene, and one
    worker renders exactly what the single-process version did.
    """

    def __init__(
        self, scenes: list[Scene], fixed: int, cfg: TrainConfig, seed: int, workers: int
    ) -> None:
        import multiprocessing as mp

        self.scenes, self.fixed, self.cfg, self.seed = scenes, fixed, cfg, seed
        self.rng = np.random.default_rng(cfg.seed)
        self.made = 0
        self.stride = 1
        self.procs: list[Any] = []
        if workers > 0 and "fork" in mp.get_all_start_methods():
            ctx = mp.get_context("fork")
            self.queue = ctx.Queue(maxsize=4 * workers)
            for k in range(workers):
                proc = ctx.Process(target=self._run, args=(k, workers), daemon=True)
                proc.start()
                self.procs.append(proc)

    def _make(self) -> tuple[np.ndarray, list[dict[str, np.ndarray]], int]:
        x, targets = batch_of(self.scenes, self.cfg.batch, self.cfg.crop, self.rng)
        self.made += 1
        cfg, pool = self.cfg, len(self.scenes) - self.fixed
        if cfg.simulated and cfg.refresh_every and pool and self.made % cfg.refresh_every == 0:
            fresh = _render(self.seed, cfg.gsd_range, cfg.scene_size, cfg.realism)
            self.seed += self.stride
            if fresh is not None:
                self.scenes[self.fixed + int(self.rng.integers(pool))] = fresh
        return x, targets, self.seed

    def _run(self, k: int, n: int) -> None:  # pragma: no cover - runs in a child process
        if k:
            self.rng = np.random.default_rng([self.cfg.seed, k])
        self.seed, self.stride = self.seed + k, n
        while True:
            self.queue.put(self._make())

    def next(self) -> tuple[np.ndarray, list[dict[str, np.ndarray]]]:
        if not self.procs:
            x, targets, self.seed = self._make()
            return x, targets
        import queue as queue_mod

        while True:
            try:
                x, targets, seed = self.queue.get(timeout=5)
                self.seed = max(self.seed, seed)  # the next seed no worker has rendered
                return x, targets
            except queue_mod.Empty:
                dead = [p for p in self.procs if not p.is_alive()]
                if dead:
                    raise DetectionError(
                        f"a training-batch process died (exit code {dead[0].exitcode})"
                    ) from None

    def close(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            proc.join(5)
        self.procs = []


# ----------------------------------------------------------------------------- loss


def loss_of(raw: torch.Tensor, targets: list[dict[str, np.ndarray]]) -> tuple[torch.Tensor, dict]:
    n, _, gh, gw = raw.shape
    dev = raw.device

    def on(a: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(a).to(dev)

    heat_gt = on(np.stack([t["heat"] for t in targets]))
    pred = torch.sigmoid(raw[:, CH_HEAT]).clamp(1e-4, 1 - 1e-4)
    pos = heat_gt.eq(1).float()
    neg_w = torch.pow(1 - heat_gt, 4)
    pos_loss = torch.log(pred) * torch.pow(1 - pred, 2) * pos
    neg_loss = torch.log(1 - pred) * torch.pow(pred, 2) * neg_w * (1 - pos)
    num_pos = pos.sum().clamp(min=1)
    focal = -(pos_loss.sum() + neg_loss.sum()) / num_pos

    flat = raw.reshape(n, N_CHANNELS, gh * gw)
    feats, regs, dfeats, dregs, dclss, dtarps = [], [], [], [], [], []
    for i, t in enumerate(targets):
        if len(t["idx"]):
            feats.append(flat[i][:, on(t["idx"])].T)
            regs.append(on(t["reg"]))
            dfeats.append(flat[i][:, on(t["didx"])].T)
            dregs.append(on(t["dreg"]))
            dclss.append(on(t["dcls"]))
            dtarps.append(on(t["dtarp"]))
    parts = {"heat": focal}
    if feats:
        f = torch.cat(feats)
        r = torch.cat(regs)
        df = torch.cat(dfeats)
        dr = torch.cat(dregs)
        parts["size"] = F.smooth_l1_loss(df[:, CH_SIZE], dr[:, 0:2], beta=0.1)
        parts["angle"] = F.smooth_l1_loss(df[:, CH_ANGLE], dr[:, 2:4], beta=0.1)
        parts["offset"] = F.smooth_l1_loss(torch.sigmoid(f[:, CH_OFFSET]), r[:, 4:6], beta=0.05)
        parts["class"] = F.cross_entropy(df[:, CH_CLASS], torch.cat(dclss), label_smoothing=0.05)
        parts["tarped"] = 0.5 * F.binary_cross_entropy_with_logits(
            df[:, CH_TARP], torch.cat(dtarps)
        )
    total = sum(parts.values())
    return total, {k: float(v.detach()) for k, v in parts.items()}


# ----------------------------------------------------------------------------- export


def git_sha8() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short=8", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).parent,
        )
        return out.stdout.strip() or "nogit"
    except (OSError, subprocess.CalledProcessError):
        return "nogit"


def save_weights(net: nn.Module, path: Path) -> None:
    state = {k: v.detach().cpu().numpy() for k, v in net.state_dict().items()}
    np.savez_compressed(path, __arch__=np.array(getattr(net, "arch", RailcarNet.arch)), **state)


def load_network(path: Path) -> nn.Module:
    """The network a weights file was saved from, with those weights.

    Files written before the architecture was recorded hold the separable net.
    """
    if not path.is_file():
        raise DetectionError(f"{path}: no weights to fine-tune from")
    with np.load(path) as data:
        arch = str(data["__arch__"]) if "__arch__" in data.files else RailcarNet.arch
        state = {k: torch.from_numpy(data[k]) for k in data.files if k != "__arch__"}
    if arch not in ARCHITECTURES:
        raise DetectionError(f"{path}: unknown architecture {arch!r}")
    net = ARCHITECTURES[arch]()
    try:
        net.load_state_dict(state)
    except RuntimeError as exc:
        raise DetectionError(f"{path}: weights do not fit architecture {arch!r}") from exc
    return net


def export_onnx(net: nn.Module, out: Path, info: ModelInfo) -> None:
    """Write the ONNX model (opset 17, dynamic batch/height/width), its sidecar and weights."""
    import copy

    net = copy.deepcopy(net).cpu().to(memory_format=torch.contiguous_format).eval()
    wrapped = Exported(net)
    dummy = torch.zeros(1, 3, 256, 256)
    out.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        # The exporter cannot fold the reversed pad list of F.pad (the Lite0 encoder's
        # "SAME" stride-2 padding) into a constant; onnxruntime folds it on loading.
        warnings.filterwarnings("ignore", message="Constant folding - Only steps=1")
        torch.onnx.export(
            wrapped,
            (dummy,),
            str(out),
            dynamo=False,
            opset_version=17,
            input_names=["image"],
            output_names=["maps"],
            dynamic_axes={
                "image": {0: "batch", 2: "height", 3: "width"},
                "maps": {0: "batch", 2: "h", 3: "w"},
            },
        )
    write_metadata(out, info)
    save_weights(net, out.with_suffix(".weights.npz"))


# ----------------------------------------------------------------------------- loop


@dataclass
class TrainConfig:
    out: Path
    data: tuple[Path, ...] = ()
    epochs: int = 20
    steps_per_epoch: int = 100
    batch: int = 16
    crop: int = 256
    lr: float = 2e-3
    start: str = "scratch"  # scratch | shipped | path to a .weights.npz
    simulated: int = 200  # scenes rendered up front (0: only --data)
    refresh_every: int = 4  # render a fresh scene every N steps (0.1 s each)
    gsd_range: tuple[float, float] = (0.3, 1.0)
    scene_size: int = 512
    realism: float = 0.0  # share of simulator scenes rendered with SceneSpec.realism
    minutes: float | None = None  # stop after this long whatever the epochs
    seed: int = TRAIN_SEED_BASE
    threads: int = 2
    #: Batch-making processes: None picks 1 when a core is free beside the network's
    #: threads, else 0 (on 2 cores the extra process slows training down). A GPU needs
    #: many: each makes a batch of 16 in about 0.2 s.
    workers: int | None = None
    device: str = "cpu"
    version: str | None = None
    arch: str = DEFAULT_ARCH  # only used from scratch; a fine-tune keeps its start's
    #: Learning rate of an ImageNet-trained encoder relative to the rest, from scratch:
    #: lower, so the new head's first large gradients do not wash out what it has seen.
    encoder_lr_scale: float = 0.3

    def __post_init__(self) -> None:
        # Checked here: scenes that fail to render are skipped, so a bad share would
        # otherwise leave training waiting for scenes that never come.
        if not 0.0 <= self.realism <= 1.0:
            raise InputError(f"realism {self.realism} is outside 0-1")
        if self.workers is not None and self.workers < 0:
            raise InputError(f"--workers {self.workers}: give 0 or more")


def train(cfg: TrainConfig, log: Callable[[str], None] = print) -> ModelInfo:
    """Train (or fine-tune) and export a model; returns its metadata.

    Raises:
        InputError: no training data at all.
        DetectionError: a CUDA device was asked for and is not there.
    """
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    if cfg.device == "cuda" and not torch.cuda.is_available():
        raise DetectionError("--device cuda: no CUDA device available")
    device = torch.device(cfg.device)
    started = time.perf_counter()
    scenes: list[Scene] = []
    for d in cfg.data:
        scenes.extend(folder_scenes(d))
    fixed = len(scenes)
    workers = cfg.workers
    if workers is None:
        workers = 1 if (os.cpu_count() or 1) > cfg.threads + 1 else 0
    rendered, seed = _render_many(cfg, cfg.seed, workers, log)
    scenes.extend(rendered)
    if not scenes:
        raise InputError("no training data: give --data DIR or let the simulator render scenes")
    log(f"{len(scenes)} scenes ({fixed} from folders) in {time.perf_counter() - started:.0f} s")

    if cfg.start == "shipped":
        net = load_network(SHIPPED_WEIGHTS)
    elif cfg.start != "scratch":
        net = load_network(Path(cfg.start))
    else:
        net = ARCHITECTURES[cfg.arch]()
        if hasattr(net, "load_pretrained"):
            pretrained = net.load_pretrained()
            log(f"encoder from {pretrained}")
    # Channels-last makes oneDNN's CPU convolutions about a third faster.
    memory = torch.channels_last if device.type == "cpu" else torch.contiguous_format
    net.to(device=device, memory_format=memory).train()
    total_steps = cfg.epochs * cfg.steps_per_epoch
    pretrained_encoder = cfg.start == "scratch" and hasattr(net, "load_pretrained")
    if pretrained_encoder:
        enc = list(net.encoder.parameters())
        ids = {id(p) for p in enc}
        rest = [p for p in net.parameters() if id(p) not in ids]
        groups = [{"params": enc, "scale": cfg.encoder_lr_scale}, {"params": rest, "scale": 1.0}]
    else:
        groups = [{"params": list(net.parameters()), "scale": 1.0}]
    opt = torch.optim.AdamW(groups, lr=cfg.lr, weight_decay=1e-4)
    warm = min(200, total_steps // 10) if cfg.start == "scratch" else 0

    def lr_at(step: int) -> float:
        if step < warm:
            return cfg.lr * (step + 1) / warm
        frac = (step - warm) / max(1, total_steps - warm)
        return cfg.lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(frac, 1.0))))

    batches = _Batches(scenes, fixed, cfg, seed, workers)
    step = 0
    train_start = time.perf_counter()
    budget = cfg.minutes * 60 if cfg.minutes else None
    try:
        for epoch in range(cfg.epochs):
            sums: dict[str, float] = {}
            done = 0
            for _ in range(cfg.steps_per_epoch):
                if budget is not None:
                    # Squeeze the schedule into the time budget: the LR follows elapsed time.
                    frac_t = (time.perf_counter() - train_start) / budget
                    step = max(step, int(frac_t * total_steps))
                for group in opt.param_groups:
                    group["lr"] = lr_at(step) * group["scale"]
                tiles, targets = batches.next()
                x = torch.from_numpy(tiles).permute(0, 3, 1, 2).float()
                # The loss is taken where the network ran: on a GPU, the targets go there.
                raw = net(x.to(device=device, memory_format=memory))
                loss, parts = loss_of(raw, targets)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(net.parameters(), 5.0)
                opt.step()
                for k, v in parts.items():
                    sums[k] = sums.get(k, 0.0) + v
                step += 1
                done += 1
                if step >= total_steps:
                    break
            elapsed = time.perf_counter() - train_start
            log(
                f"epoch {epoch + 1}/{cfg.epochs} step {step} lr {lr_at(step):.2e} "
                + " ".join(f"{k} {v / max(1, done):.3f}" for k, v in sums.items())
                + f" ({elapsed / 60:.1f} min)"
            )
            if step >= total_steps or (budget is not None and elapsed > budget):
                break
            if epoch % 5 == 4:
                export_onnx(net, cfg.out, _info(cfg, batches.seed, elapsed, net.arch))
    finally:
        batches.close()
    elapsed = time.perf_counter() - train_start
    info = _info(cfg, batches.seed, elapsed, net.arch)
    export_onnx(net, cfg.out, info)
    log(f"wrote {cfg.out} ({info.version}) after {elapsed / 60:.1f} min")
    return info


def _info(cfg: TrainConfig, seed: int, elapsed: float, arch: str) -> ModelInfo:
    version = cfg.version or f"{MODEL_NAME}-{MODEL_SERIES}.{int(time.time()) % 100000}+{git_sha8()}"
    return ModelInfo(
        version=version,
        gsd=MODEL_GSD,
        stride=STRIDE,
        tile=1024,
        overlap=96,
        gsd_range=(0.25, 1.2),
        score_threshold=0.35,
        extra={
            "training": {
                "device": cfg.device,
                "threads": cfg.threads,
                "minutes": round(elapsed / 60, 1),
                "start": cfg.start,
                "data": [str(d) for d in cfg.data],
                "simulated_seeds": [cfg.seed, seed],
                "gsd_range": list(cfg.gsd_range),
                "realism": cfg.realism,
                "crop": cfg.crop,
                "batch": cfg.batch,
                "arch": arch,
                **(
                    {"encoder_weights": _encoder_source(), "encoder_lr_scale": cfg.encoder_lr_scale}
                    if arch == RailcarEffNet.arch
                    else {}
                ),
            }
        },
    )


def _encoder_source() -> str:
    from railwatch.detect.efficientnet_lite import SOURCE

    return SOURCE
