"""Detector figures: accuracy on fresh simulated scenes and on the real yard, speed, memory.

Prints: F1 / class accuracy / count error on ``simulate dataset --n 200 --seed 424242``
(overall, by GSD band, by condition); the same on the Muttenz real yard (class-agnostic,
40 px margin); throughput in MP/s at the model's GSD on 2 threads; the Tumangang scenario
archive's wall time; peak RSS for a 100 MP and a 1 GP scene.
Environment: BENCH_DETECT_N (scenes, default 200), BENCH_DETECT_QUICK=1 (skip the 1 GP run),
BENCH_DETECT_SCENARIO=DIR (an already rendered scenario archive, else one is rendered).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.cpu import cpu_line

ROOT = Path(__file__).resolve().parents[1]
SCRATCH = ROOT / "scratch" / "detect"
REAL = ROOT.parent / "shared" / "real" / "muttenz-yard"


def _line(name: str, m: dict) -> str:
    acc = f" class_acc {m['class_accuracy']:.3f}" if "class_accuracy" in m else ""
    return (
        f"  {name:<14} scenes {m['scenes']:>4} truth {m['truth']:>6} P {m['precision']:.3f} "
        f"R {m['recall']:.3f} F1 {m['f1']:.3f}{acc} count MAE {m['count_mae']:.2f} "
        f"(rel {m['count_mean_relative_error']:.3f})"
    )


def _stale(data: Path, n: int) -> bool:
    """True when the cached dataset is missing or was drawn from another training distribution."""
    from railwatch.simulate.dataset import scene_spec

    try:
        scenes = json.loads((data / "manifest.json").read_text())["scenes"]
    except (OSError, ValueError, KeyError):
        return True
    drawn = [scene_spec(424242, i, (0.3, 1.0), (512, 512)) for i in range(n)]
    return len(scenes) != n or any(
        s.get("seed") != d.seed
        or s.get("acquired_at") != d.acquisition_time().strftime("%Y-%m-%dT%H:%M:%SZ")
        for s, d in zip(scenes, drawn, strict=False)
    )


def simulated_accuracy(n: int) -> None:
    from railwatch.detect import evaluate
    from railwatch.simulate.dataset import make_dataset

    data = SCRATCH / f"eval-424242-n{n}"
    if _stale(data, n):
        shutil.rmtree(data, ignore_errors=True)
        make_dataset(data, n, seed=424242, gsd_range=(0.3, 1.0), size=(512, 512))
    start = time.perf_counter()
    report = evaluate(data)
    print(f"simulated dataset n={n} seed=424242 ({time.perf_counter() - start:.0f} s), IoU 0.5:")
    print(_line("overall", report.overall))
    print(_line("visible cars (cloud-hidden ignored)", report.visible))
    for k, v in report.by_gsd.items():
        print(_line(f"GSD {k}", v))
    for k, v in report.by_condition.items():
        print(_line(k, v))
    per = report.overall.get("per_class", {})
    print("  per class F1: " + ", ".join(f"{c} {v['f1']:.3f}" for c, v in per.items()))
    print("  count_sigma: " + json.dumps(report.count_sigma()))


def real_yard() -> None:
    from railwatch.detect import evaluate

    if not REAL.is_dir():
        print("real yard: ../shared/real/muttenz-yard not here, skipped")
        return
    report = evaluate(REAL, margin_px=40)
    m = report.overall
    print("real yard (Muttenz, class-agnostic, 40 px margin):")
    print(_line("overall", m))
    print(
        f"  count: detected {m['detected']} vs truth {m['truth']} "
        f"(error {m['detected'] - m['truth']:+d}, {m['count_relative_error_total']:.1%})"
    )


def _write(
    path: Path, width: int, height: int, fill, *, gsd: float = 0.5, patch=None, every: int = 0
) -> None:
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    profile = dict(
        driver="GTiff",
        width=width,
        height=height,
        count=3,
        dtype="uint8",
        crs="EPSG:32652",
        transform=from_origin(600_000, 4_700_000, gsd, gsd),
        tiled=True,
        blockxsize=512,
        blockysize=512,
        compress="deflate",
        BIGTIFF="YES",
    )
    with rasterio.open(path, "w", **profile) as dst:
        rows = 512
        for r0 in range(0, height, rows):
            h = min(rows, height - r0)
            block = fill(r0, h, width)
            if patch is not None and every and (r0 // rows) % every == 0:
                ph, pw = patch.shape[1:]
                for c0 in range(0, width - pw, pw * every):
                    block[:, : min(h, ph), c0 : c0 + pw] = patch[:, : min(h, ph)]
            dst.write(block, window=Window(0, r0, width, h))


def _patch() -> np.ndarray:
    """A rendered 512×512 yard at 0.5 m, bands first."""
    from railwatch.simulate import SceneSpec, render_scene

    scene = render_scene(SceneSpec(seed=31337, gsd=0.5, size=(512, 512), n_cars=60))
    return np.moveaxis(np.asarray(scene.image)[..., :3], -1, 0).copy()


def speed(tmp: Path) -> None:
    from railwatch.detect import detect_file, load_model

    patch = _patch()
    side = 4096
    path = tmp / "busy.tif"
    reps = side // 512
    tile = np.tile(patch, (1, reps, reps))
    _write(path, side, side, lambda r0, h, w: tile[:, r0 : r0 + h, :w].copy())
    det = load_model(threads=2)
    detect_file(path, det)  # warm-up
    start = time.perf_counter()
    res = detect_file(path, det)
    dt = time.perf_counter() - start
    print(
        f"speed: {res.megapixels:.1f} MP at 0.5 m (every tile busy) in {dt:.2f} s = "
        f"{res.megapixels / dt:.1f} MP/s on 2 threads; {len(res.detections)} cars"
    )
    print(f"  {cpu_line()}")


def scenario(tmp: Path) -> None:
    try:
        from railwatch.simulate.scenario import make_scenario  # type: ignore[import-not-found]
    except ImportError:
        print("tumangang scenario: simulator scenario not available, skipped")
        return
    from railwatch.detect import load_model, run_paths
    from railwatch.sites import builtin

    out = Path(os.environ.get("BENCH_DETECT_SCENARIO", SCRATCH / "scenario-tumangang"))
    if not (out / "truth.csv").is_file():
        make_scenario("tumangang", out)
    images = sorted(out.glob("*/image.tif"))
    site = next(s for s in builtin() if s.slug == "tumangang")
    det = load_model(threads=2)
    start = time.perf_counter()
    results = run_paths(images, model=det, site_geometry=site.geometry)
    dt = time.perf_counter() - start
    import csv

    truth = {row["dir"]: row for row in csv.DictReader((out / "truth.csv").open())}
    errs = []
    for img, r in zip(images, results, strict=True):
        row = truth.get(img.parent.name)
        if row is not None and row.get("cloudy", "").lower() not in ("1", "true", "yes"):
            errs.append(sum(r.counts.values()) - int(row["total"]))
    err = np.abs(errs) if errs else np.zeros(1)
    print(
        f"tumangang scenario: {len(images)} images in {dt:.1f} s; total-count MAE "
        f"{err.mean():.2f}, max {err.max():.0f} over {len(errs)} clear dates"
    )


def memory(tmp: Path, quick: bool) -> None:
    from bench.memory import peak_rss_mb_of

    patch = _patch()

    def fill(r0, h, w):
        return np.full((3, h, w), 118, np.uint8)

    sizes = [("100 MP", 10_000)] + ([] if quick else [("1 GP", 31_623)])
    for name, side in sizes:
        path = tmp / f"big{side}.tif"
        t0 = time.perf_counter()
        _write(path, side, side, fill, patch=patch, every=8)
        made = time.perf_counter() - t0
        code = (
            "import json, time\nfrom railwatch.detect import detect_file, load_model\n"
            f"t=time.perf_counter(); r=detect_file({str(path)!r}, load_model(threads=2))\n"
            "print(json.dumps({'n': len(r.detections), 's': time.perf_counter()-t, "
            "'mp': r.megapixels}))"
        )
        rss, out = peak_rss_mb_of(code)
        print(
            f"memory {name}: peak RSS {rss:.0f} MB, {out.get('n')} cars, "
            f"{out.get('s', 0):.0f} s (file written in {made:.0f} s, "
            f"{path.stat().st_size / 1e6:.0f} MB on disk)"
        )
        path.unlink()


def main() -> None:
    n = int(os.environ.get("BENCH_DETECT_N", "200"))
    quick = os.environ.get("BENCH_DETECT_QUICK") == "1"
    SCRATCH.mkdir(parents=True, exist_ok=True)
    from railwatch.detect import read_info
    from railwatch.detect.model import SHIPPED_MODEL

    print(f"model {read_info(SHIPPED_MODEL).version}, {SHIPPED_MODEL.stat().st_size / 1e6:.2f} MB")
    simulated_accuracy(n)
    real_yard()
    with tempfile.TemporaryDirectory() as d:
        speed(Path(d))
        scenario(Path(d))
        memory(Path(d), quick)


if __name__ == "__main__":
    main()
