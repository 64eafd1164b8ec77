"""Simulator speed: rendering megapixels per second, and the Tumangang archive's time."""

from __future__ import annotations

import os
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor

from railwatch.simulate import SceneSpec, render_scene
from railwatch.simulate.scenario import make_scenario

SIZE = (1024, 1024)
N = 6


def _render(seed: int) -> int:
    spec = SceneSpec(seed=seed, gsd=0.5, size=SIZE, n_cars=100, haze=0.1, clouds=seed % 3 == 0)
    return render_scene(spec).image.size


def main() -> None:
    mp = SIZE[0] * SIZE[1] / 1e6
    _render(0)  # warm imports and caches
    start, cpu = time.perf_counter(), time.process_time()
    for seed in range(1, N + 1):
        _render(seed)
    one = N * mp / (time.perf_counter() - start)
    one_cpu = N * mp / (time.process_time() - cpu)
    print(
        f"render, 1 process: {one:.2f} MP/s wall, {one_cpu:.2f} MP/s per CPU-second "
        f"({N} scenes of {SIZE[0]}x{SIZE[1]} px at 0.5 m, 100 cars)"
    )
    print(f"machine load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    workers = min(2, os.cpu_count() or 1)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        list(pool.map(_render, range(2)))
        start = time.perf_counter()
        list(pool.map(_render, range(1, 2 * N + 1)))
        many = 2 * N * mp / (time.perf_counter() - start)
    print(f"render, {workers} processes: {many:.2f} MP/s (target >= 5)")
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        manifest = make_scenario("tumangang", tmp)
        took = time.perf_counter() - start
    n = len(manifest["scenes"])
    print(f"scenario tumangang: {n} scenes in {took:.1f} s ({took / n * 1000:.0f} ms a scene)")


if __name__ == "__main__":
    main()
