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
    from railwatch.detect.runs import model_version_here
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
            f"in-process: {N_IMAGES} images ({SIZE[0]}x{SIZE[1]}) in {local:.1f} s, "
            f"{1000 * local / N_IMAGES:.0f} ms/image, {N_IMAGES / local:.2f} images/s, "
            f"{1000 * local_cpu / N_IMAGES:.0f} CPU-ms/image"
        )
        walls: dict[tuple[int, int | None], float] = {}
        cpus: dict[tuple[int, int | None], float] = {}
        # (workers, model threads per task): 1 x onnxruntime's default is what
        # `--workers 1` runs (its overhead against in-process, which runs the same);
        # 1 x 1 and 2 x 1 show how throughput scales with worker processes.
        for n, thread_counts in ((1, (None, 1)), (2, (1,))):
            t0 = time.perf_counter()
            with connect(ClusterSpec(workers=n, dashboard=False)) as client:
                for threads in thread_counts:
                    t1 = time.perf_counter()
                    # What every command pays once: imports and the model on each worker.
                    client.run(model_version_here, None, threads)
                    client.run(_can_open, str(images[0]))
                    startup = time.perf_counter() - (t0 if threads == thread_counts[0] else t1)
                    start, cpu = time.perf_counter(), time.process_time()
                    run = run_store(
                        store, ["tumangang"], rerun=True, client=client, threads=threads
                    )
                    wall = walls[n, threads] = time.perf_counter() - start
                    # This process is the client and, for a local cluster, the scheduler.
                    client_cpu = time.process_time() - cpu
                    assert len(run.results) == N_IMAGES and not run.skipped, run.skipped[:3]
                    workers = run.throughput["workers"].values()  # type: ignore[index]
                    per = ", ".join(
                        f"{w['units']} at {w['per_second']:.2f}/s busy, "
                        f"{1000 * w['cpu_seconds'] / w['units']:.0f} CPU-ms/image"
                        for w in workers
                    )
                    label = "default" if threads is None else str(threads)
                    worker_cpu = sum(w["cpu_seconds"] for w in workers)
                    cpus[n, threads] = worker_cpu + client_cpu
                    print(
                        f"dask, {n} worker{'s' * (n > 1)} x {label} threads:"
                        f" {wall:.1f} s ({N_IMAGES / wall:.2f} images/s; start-up {startup:.1f} s;"
                        f" per worker: {per}; client + scheduler "
                        f"{1000 * client_cpu / N_IMAGES:.0f} CPU-ms/image)"
                    )
        store.close()
        overhead = walls[1, None] / local - 1
        scaling = walls[1, 1] / walls[2, 1]
        print(
            "dask 1-worker overhead vs in-process (same threads, start-up apart): "
            f"{100 * overhead:+.1f} % (target <= 10 %)"
        )
        print(
            "dask 1-worker CPU per image vs in-process (robust to other load on the machine): "
            f"{100 * (cpus[1, None] / local_cpu - 1):+.1f} %"
        )
        print(f"2 workers vs 1 (1 thread each): {scaling:.2f}x (target >= 1.7x)")
        print(
            f"CPU per image, 1 thread: {1000 * cpus[1, 1] / N_IMAGES:.0f} ms on 1 worker, "
            f"{1000 * cpus[2, 1] / N_IMAGES:.0f} ms on 2 (workers + client + scheduler)"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
