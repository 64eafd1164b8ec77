"""Store-mode detection on Dask: 1 vs 2 local workers, and the Dask path's overhead.

A 200-image archive of small Tumangang scenes (20 rendered scenes, each stored
10 times under a different name with one pixel changed, so every file is its
own image) is detected in-process, then on a local cluster of 1 and of 2 worker
processes, each a full re-run (``--all``) into the same store. Targets (issue
18): 2 workers at least 1.7x one worker; 1 worker at most 10 % slower than
in-process. Cluster start-up is timed apart: it is paid once per command.

``RAILWATCH_BENCH_IMAGES`` sets the archive size (default 200).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.cpu import cpu_line

N_IMAGES = int(os.environ.get("RAILWATCH_BENCH_IMAGES", "200"))
DISTINCT = 20
#: Image size, "WxH"; the demo's scenes are 1024x512. Small images show the per-task
#: overhead at its worst; larger ones what a real archive pays.
SIZE = tuple(int(v) for v in os.environ.get("RAILWATCH_BENCH_SIZE", "384x384").split("x"))


def make_archive(root: Path) -> list[Path]:
    import numpy as np
    import rasterio

    from railwatch.simulate import SceneSpec, render_scene, write_scene

    paths = []
    for i in range(DISTINCT):
        spec = SceneSpec(seed=500 + i, size=SIZE, n_cars=6 + i, site="tumangang", clouds=False)
        folder = Path(write_scene(render_scene(spec), root / f"s{i:02d}"))
        paths.append(folder / "image.tif")
    out = []
    for k in range(N_IMAGES):
        src = paths[k % DISTINCT]
        dst = root / f"img{k:04d}.tif"
        shutil.copyfile(src, dst)
        with rasterio.open(dst, "r+") as ds:  # one pixel apart: a distinct file to the store
            ds.write(np.full((1, 1), k % 251, dtype="uint8"), 1, window=((0, 1), (0, 1)))
        out.append(dst)
    return out


def main() -> None:
    from railwatch import service
    from railwatch.cluster import ClusterSpec, _can_open, connect
    from railwatch.detect import run_store
    from railwatch.detect.runs import images_at_a_time, model_version_here
    from railwatch.imagery.ingest import ingest
    from railwatch.sites import builtin
    from railwatch.store import open_store

    print(cpu_line())
    print(f"machine load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    tmp = Path(tempfile.mkdtemp(prefix="railwatch-bench-cluster-"))
    try:
        images = make_archive(tmp)
        store = open_store(tmp / "store.db", create=True)
        service.add_sites(store, builtin())
        ingest(store, images, site="tumangang")

        run_store(store, ["tumangang"], since=datetime(2100, 1, 1, tzinfo=UTC))  # imports, model
        start, cpu = time.perf_counter(), time.process_time()
        run = run_store(store, ["tumangang"], rerun=True)
        local = time.perf_counter() - start
        local_cpu = time.process_time() - cpu
        assert len(run.results) == N_IMAGES
        print(
            f"in-process ({images_at_a_time()} images at a time): "
            f"{N_IMAGES} images ({SIZE[0]}x{SIZE[1]}) in {local:.1f} s, "
            f"{1000 * local / N_IMAGES:.0f} ms/image, {N_IMAGES / local:.2f} images/s, "
            f"{1000 * local_cpu / N_IMAGES:.0f} CPU-ms/image"
        )
        walls: dict[str, float] = {}
        cpus: dict[str, float] = {}
        # `--workers 1` as a user runs it (the cores shared out: one worker, a task per
        # core), against in-process, which detects as many images at a time; then one
        # task per worker, to see throughput scale with worker processes.
        configs = {
            "default": ClusterSpec(workers=1, dashboard=False),
            "1x1": ClusterSpec(workers=1, threads=1, dashboard=False),
            "2x1": ClusterSpec(workers=2, threads=1, dashboard=False),
        }
        for name, spec in configs.items():
            t0 = time.perf_counter()
            threads = spec.threads_per_task()
            with connect(spec) as client:
                # What every command pays once: imports and the model on each worker.
                client.run(model_version_here, None, threads)
                client.run(_can_open, str(images[0]))
                startup = time.perf_counter() - t0
                worker_cpu_before = client.run(time.process_time)
                start, cpu = time.perf_counter(), time.process_time()
                run = run_store(store, ["tumangang"], rerun=True, client=client, threads=threads)
                wall = walls[name] = time.perf_counter() - start
                # This process is the client and, for a local cluster, the scheduler.
                client_cpu = time.process_time() - cpu
                worker_cpu_after = client.run(time.process_time)
            assert len(run.results) == N_IMAGES and not run.skipped, run.skipped[:3]
            # Each worker process's CPU over the run, all its threads (a task's own
            # figure counts only the thread that ran it).
            used = {a: worker_cpu_after[a] - worker_cpu_before[a] for a in worker_cpu_after}
            per = ", ".join(
                f"{w['units']} at {w['per_second']:.2f}/s busy, "
                f"{1000 * used[a] / max(1, w['units']):.0f} CPU-ms/image"
                for a, w in run.throughput["workers"].items()  # type: ignore[index]
            )
            worker_cpu = sum(used.values())
            cpus[name] = worker_cpu + client_cpu
            slots = spec.threads_per_worker()
            print(
                f"dask, {spec.workers} worker{'s' * (spec.workers > 1)} x "
                f"{slots} task{'s' * (slots > 1)} at a time:"
                f" {wall:.1f} s ({N_IMAGES / wall:.2f} images/s; start-up {startup:.1f} s;"
                f" per worker: {per}; client + scheduler "
                f"{1000 * client_cpu / N_IMAGES:.0f} CPU-ms/image)"
            )
        store.close()
        overhead = walls["default"] / local - 1
        scaling = walls["1x1"] / walls["2x1"]
        print(
            "dask 1-worker overhead vs in-process (the same images at a time, start-up apart): "
            f"{100 * overhead:+.1f} % (target <= 10 %)"
        )
        print(
            "dask 1-worker CPU per image vs in-process (robust to other load on the machine): "
            f"{100 * (cpus['default'] / local_cpu - 1):+.1f} %"
        )
        print(f"2 workers vs 1 (one task at a time each): {scaling:.2f}x (target >= 1.7x)")
        print(
            f"CPU per image, one task at a time: {1000 * cpus['1x1'] / N_IMAGES:.0f} ms on 1 "
            f"worker, {1000 * cpus['2x1'] / N_IMAGES:.0f} ms on 2 (workers + client + scheduler)"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
