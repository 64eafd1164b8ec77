"""Many random scenes and a manifest: the detector's training and validation data."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from railwatch import __version__
from railwatch.errors import InputError
from railwatch.simulate.render import render_scene
from railwatch.simulate.spec import SceneSpec, random_spec
from railwatch.simulate.write import write_scene


def scene_spec(seed: int, index: int, gsd_range=(0.3, 1.0), size=(512, 512), realism=0.0):
    """The spec of scene ``index`` of a dataset seeded ``seed`` (independent of n)."""
    rng = np.random.default_rng([seed, index])
    return random_spec(rng, gsd_range=gsd_range, size=size, realism=realism)


def make_dataset(
    out: Path | str,
    n: int,
    seed: int = 1,
    gsd_range: tuple[float, float] = (0.3, 1.0),
    size: tuple[int, int] = (512, 512),
    on_scene: Callable[[int], None] | None = None,
    workers: int | None = None,
    realism: float = 0.0,
) -> dict[str, Any]:
    """Render ``n`` random scenes under ``out`` and write ``out/manifest.json``.

    Args:
        out: the dataset folder (created); scenes go to ``out/000000`` etc.
        n: number of scenes.
        seed: dataset seed; scene i's spec depends only on (seed, i).
        gsd_range: (lowest, highest) GSD in metres.
        size: (width, height) in pixels.
        on_scene: called with the scene index after each scene (progress bars).
        workers: processes to render with; None uses up to 2 (output does not depend on it).
        realism: share of scenes rendered like real yards (``SceneSpec.realism``).

    Returns:
        The manifest written.

    Raises:
        InputError: n is negative, the GSD range is not positive or realism is not 0-1.
    """
    if n < 0:
        raise InputError(f"n {n} must not be negative")
    if min(gsd_range) <= 0:
        raise InputError(f"GSD range {gsd_range} must be positive")
    root = Path(out)
    # Specs first: a bad one (random_spec checks realism) stops the run before any file.
    jobs = [
        (scene_spec(seed, i, gsd_range, size, realism), str(root / f"{i:06d}")) for i in range(n)
    ]
    root.mkdir(parents=True, exist_ok=True)
    workers = workers if workers is not None else min(2, os.cpu_count() or 1)
    if workers > 1 and n > 2:
        pool = ProcessPoolExecutor(max_workers=workers)
        results = pool.map(_render_one, jobs, chunksize=2)
    else:
        pool = None
        results = map(_render_one, jobs)
    scenes = []
    try:
        for i, ((spec, _), summary) in enumerate(zip(jobs, results, strict=True)):
            scenes.append(_entry(i, spec, summary, size))
            if on_scene is not None:
                on_scene(i)
    finally:
        if pool is not None:
            pool.shutdown()
    manifest = {
        "generator": f"railwatch {__version__}",
        "seed": seed,
        "n": n,
        "gsd_range": [float(g) for g in gsd_range],
        "size": list(size),
        "realism": realism,
        "scenes": scenes,
    }
    (root / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest


def _render_one(job: tuple[SceneSpec, str]) -> dict[str, Any]:
    spec, folder = job
    scene = render_scene(spec)
    write_scene(scene, folder)
    return {
        "n_cars": len(scene.cars),
        "counts": scene.counts(),
        "cloud_fraction": scene.cloud_fraction,
        "acquired_at": scene.acquired.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "sun_elevation": round(float(scene.sun_elevation), 1),
    }


def _entry(i: int, spec: SceneSpec, res: dict[str, Any], size) -> dict[str, Any]:
    sid = f"{i:06d}"
    return {
        "id": sid,
        "dir": sid,
        "seed": spec.seed,
        "gsd": spec.gsd,
        "season": spec.season,
        "haze": spec.haze,
        "tarp_fraction": spec.tarp_fraction,
        "off_nadir": spec.off_nadir,
        "cloud": bool(res["cloud_fraction"] > 0),
        "cloud_fraction": res["cloud_fraction"],
        "jpeg_quality": spec.jpeg_quality,
        "realism": spec.realism,
        "acquired_at": res["acquired_at"],
        "sun_elevation": res["sun_elevation"],
        "width": size[0],
        "height": size[1],
        "n_cars": res["n_cars"],
        "counts": res["counts"],
    }
