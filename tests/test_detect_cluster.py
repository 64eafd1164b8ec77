"""Store-mode detection on a Dask LocalCluster of 2 worker processes.

The cluster is started once for the module (it costs seconds); the archive is a
handful of small simulated scenes of Tumangang. The worker-killing test comes
last, since it leaves the cluster with a restarted worker.
"""

from __future__ import annotations

import json
import os
import signal
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from http_range import serve
from railwatch import service
from railwatch.detect import run_store
from railwatch.railcars import CLASSES
from railwatch.sites import builtin
from railwatch.store import detections as stored
from railwatch.store import open_store
from test_detect_store import rendered_scenes
from test_store_postgres import pg_url  # noqa: F401  (the throwaway PostgreSQL fixture)

pytest.importorskip("distributed")

N_IMAGES = 5


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> list[Path]:
    """Small clear scenes on distinct dates, with different numbers of cars."""
    root = tmp_path_factory.mktemp("archive")
    return rendered_scenes(root, N_IMAGES, seed=100, cars=4, more_cars=3)


@pytest.fixture(scope="module")
def client():
    from railwatch.cluster import ClusterSpec, connect

    with connect(ClusterSpec(workers=2, dashboard=False)) as c:
        yield c


def _store_with(db: str | Path, images: list[Path] | list[str]):
    from railwatch.imagery.ingest import ingest

    store = open_store(db, create=True)
    service.add_sites(store, builtin())
    ingest(store, images, site="tumangang")
    return store


def _stored_counts(store) -> dict[tuple[str, str], int]:
    """(image file name, class) → count, failing on any duplicate row."""
    obs = service.list_observations(store, site="tumangang")
    keys = Counter((Path(o.source).parent.name, o.railcar_class) for o in obs)
    assert max(keys.values()) == 1, f"duplicate observations: {keys.most_common(3)}"
    return {(Path(o.source).parent.name, o.railcar_class): o.count for o in obs}


def _detections_per_image(store) -> dict[int, int]:
    with store.transaction() as session:
        ids = stored.processed_image_ids(session, _version(store))
        return {i: len(stored.list_for_image(session, i)) for i in ids}


def _version(store) -> str:
    from railwatch.detect import active_detector

    return active_detector(store).version


@pytest.fixture(scope="module")
def in_process(tmp_path_factory, archive) -> dict[tuple[str, str], int]:
    """The counts an in-process run stores: what every cluster run must match."""
    store = _store_with(tmp_path_factory.mktemp("ref") / "ref.db", archive)
    try:
        run = run_store(store, ["tumangang"])
        assert len(run.results) == N_IMAGES and run.throughput is None
        counts = _stored_counts(store)
    finally:
        store.close()
    assert len(counts) == N_IMAGES * len(CLASSES)
    assert sum(counts.values()) > 0
    return counts


def _corrupt_copy(good: Path, tmp_path: Path) -> Path:
    """A scene whose file is truncated after it was stored (a disk or transfer fault)."""
    import shutil

    folder = tmp_path / "broken"
    shutil.copytree(good.parent, folder)
    return folder / "image.tif"


def test_cluster_counts_equal_in_process(tmp_path, archive, client, in_process) -> None:
    store = _store_with(tmp_path / "c.db", archive)
    try:
        seen = []
        run = run_store(
            store, ["tumangang"], client=client, threads=1, progress=lambda p, i, n: seen.append(i)
        )
        assert run.skipped == []
        assert [r.acquired_at for r in run.results] == sorted(r.acquired_at for r in run.results)
        assert _stored_counts(store) == in_process
        assert seen == list(range(1, N_IMAGES + 1))
        speed = run.throughput
        assert speed is not None and speed["units"] == N_IMAGES
        assert sum(w["units"] for w in speed["workers"].values()) == N_IMAGES
        assert all(w.startswith("tcp://") for w in speed["workers"])
        # A second run finds nothing missing.
        assert run_store(store, ["tumangang"], client=client).results == []
    finally:
        store.close()


def test_cluster_reads_images_by_url(tmp_path, archive, client, in_process) -> None:
    """Workers read the images where a web server keeps them, by ranges, with no shared disk."""
    with serve(archive[0].parent.parent) as web:
        urls = [web.url_of(f"{p.parent.name}/image.tif") for p in archive]
        store = _store_with(tmp_path / "u.db", urls)
        try:
            run = run_store(store, ["tumangang"], client=client, threads=1)
            assert run.skipped == []
            assert _stored_counts(store) == in_process
            assert {o.source for o in service.list_observations(store, site="tumangang")} == set(
                urls
            )
        finally:
            store.close()


def test_corrupt_image_is_skipped_by_name(tmp_path, archive, client, in_process) -> None:
    broken = _corrupt_copy(archive[2], tmp_path)
    store = _store_with(tmp_path / "c.db", [*archive[:2], broken])
    try:
        broken.write_bytes(broken.read_bytes()[:3000])
        run = run_store(store, None, client=client, threads=1)  # --all-sites
        assert [p for p, _ in run.skipped] == [str(broken)]
        assert str(broken) in run.skipped[0][1] or "corrupt" in run.skipped[0][1]
        counts = _stored_counts(store)
        assert counts == {k: v for k, v in in_process.items() if k[0] in ("scene-0", "scene-1")}
    finally:
        store.close()


def test_workers_that_cannot_open_the_images_fail_early(tmp_path, archive, client, monkeypatch):
    """A relative path resolves here but not on workers started elsewhere: no shared FS."""
    from railwatch.cluster import check_readable, check_writable
    from railwatch.errors import ImageryError

    monkeypatch.chdir(archive[0].parent)
    before = client.run(os.getcwd)
    client.run(os.chdir, str(tmp_path))
    try:
        with pytest.raises(
            ImageryError, match=r"worker tcp://\S+ cannot open the image: image.tif"
        ):
            check_readable(client, "image.tif")
        with pytest.raises(ImageryError, match="cannot write there: out: no such folder"):
            (archive[0].parent / "out").mkdir()
            check_writable(client, "out")
    finally:
        for worker, cwd in before.items():
            client.run(os.chdir, cwd, workers=[worker])
    check_readable(client, str(archive[0]))  # a shared file: every worker opens it


def test_evaluate_and_render_on_the_cluster(tmp_path, client) -> None:
    from railwatch.detect import evaluate
    from railwatch.simulate.dataset import make_dataset
    from railwatch.simulate.scenario import _render_on, _render_one, scenario_specs

    make_dataset(tmp_path / "data", 3, seed=5, size=(256, 256))
    here = evaluate(tmp_path / "data")
    there = evaluate(tmp_path / "data", client=client, threads=1)
    assert there.overall == here.overall
    assert [s.image for s in there.scenes] == [s.image for s in here.scenes]

    specs = [replace(spec, size=(256, 128)) for _, spec in scenario_specs("tumangang")[:2]]
    jobs = [(spec, str(tmp_path / "remote" / str(i))) for i, spec in enumerate(specs)]
    (tmp_path / "remote").mkdir()
    remote = _render_on(client, jobs, tmp_path / "remote", None)
    local = [_render_one((spec, str(tmp_path / "local" / str(i)))) for i, spec in enumerate(specs)]
    assert remote == local
    for i in range(2):
        a = (tmp_path / "remote" / str(i) / "image.tif").read_bytes()
        assert a == (tmp_path / "local" / str(i) / "image.tif").read_bytes()


def _square_unless_13(k: int, offset: int) -> int:
    if k == 13:
        raise ValueError("unit 13 is corrupt")
    return k * k + offset


def test_units_in_chunks_each_fail_alone(client) -> None:
    """Several units per task: every unit comes back once, one unit's error costs no other."""
    from railwatch.cluster import run_units

    outcomes = list(run_units(client, _square_unless_13, list(range(20)), 1, chunk=3))
    assert sorted(o.index for o in outcomes) == list(range(20))
    by_index = {o.index: o for o in outcomes}
    assert by_index[13].error == "ValueError: unit 13 is corrupt" and by_index[13].value is None
    assert {i: o.value for i, o in by_index.items() if i != 13} == {
        i: i * i + 1 for i in range(20) if i != 13
    }
    assert all(o.worker for o in outcomes)


def _profiler_enabled() -> bool:
    import dask

    return bool(dask.config.get("distributed.worker.profile.enabled"))


def test_local_workers_share_the_cores_and_run_no_profiler(client) -> None:
    """One task per core in all, each model on one thread; no stack sampling beside them."""
    from railwatch.cluster import cpu_cores

    workers = client.scheduler_info()["workers"].values()
    assert sum(w["nthreads"] for w in workers) == 2 * max(1, cpu_cores() // 2)  # 2 workers
    assert set(client.run(_profiler_enabled).values()) == {False}


def test_same_on_postgres(pg_url, archive, client, in_process) -> None:  # noqa: F811
    store = _store_with(pg_url, archive)
    try:
        run = run_store(store, ["tumangang"], client=client, threads=1)
        assert run.skipped == [] and len(run.results) == N_IMAGES
        assert _stored_counts(store) == in_process
        again = run_store(store, ["tumangang"], client=client, threads=1, rerun=True)
        assert len(again.results) == N_IMAGES
        assert _stored_counts(store) == in_process  # --all replaces, never duplicates
    finally:
        store.close()


def test_cli_detect_with_workers(cli, archive) -> None:
    """The command a user types: a local cluster of 2 processes, its dashboard link, a summary."""
    cli("sites", "add", "--builtin")
    cli("images", "add", *map(str, archive[:3]), "--site", "tumangang")
    bad = cli("detect", "--site", "tumangang", "--all-sites", "--workers", "2", ok=False)
    assert bad.exit_code == 2 and "not both" in bad.stderr
    done = cli("detect", "--site", "tumangang", "--all", "--workers", "2", "--json")
    assert "dashboard http://" in done.stderr
    doc = json.loads(done.stdout)
    assert len(doc["images"]) == 3 and doc["skipped"] == [] and doc["stored"]
    assert doc["throughput"]["units"] == 3 and doc["throughput"]["workers"]
    # The boxes are not kept in memory after storing, but their number is reported.
    assert all(im["n_detections"] == sum(im["counts"].values()) for im in doc["images"])
    assert sum(im["n_detections"] for im in doc["images"]) > 0
    assert len(cli.json("observe", "list", "--site", "tumangang")["observations"]) == 3 * len(
        CLASSES
    )


def test_killed_worker_then_rerun_completes(tmp_path, archive, client, in_process) -> None:
    from railwatch.cluster import worker_pids

    store = _store_with(tmp_path / "k.db", archive)
    try:
        pids = worker_pids(client)
        killed: list[int] = []

        def kill_one(path: str, done: int, total: int) -> None:
            if not killed:  # after the first image is stored, one worker dies mid-run
                victim = sorted(pids.values())[0]
                os.kill(victim, signal.SIGKILL)
                killed.append(victim)

        run = run_store(store, ["tumangang"], client=client, threads=1, progress=kill_one)
        assert killed
        lost = [p for p, why in run.skipped]
        assert len(run.results) + len(lost) == N_IMAGES  # finished, or reported the lost ones
        assert all("lost" in why or "died" in why for _, why in run.skipped)
        rerun = run_store(store, ["tumangang"], client=client, threads=1)
        assert sorted(r.path for r in rerun.results) == sorted(lost)
        assert _stored_counts(store) == in_process
        assert len(_detections_per_image(store)) == N_IMAGES
        assert run_store(store, ["tumangang"], client=client).results == []
    finally:
        store.close()
