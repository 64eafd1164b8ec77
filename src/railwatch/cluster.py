"""Running units of work on Dask distributed: a local cluster or an existing scheduler.

The heavy jobs (detecting one image, rendering one scene, scoring one labelled
image) are each one plain function of a small picklable record. In-process the
stages call those functions in a loop; here the same functions become Dask
tasks, and their results come back to the client as they finish
(``as_completed``), so the caller can write the store one unit at a time. A unit
that fails (a corrupt file, a worker killed under it) is reported by name as an
:class:`Outcome` with an error, never raised: the other units complete.

Only this module imports ``distributed``, and only when a cluster is asked for.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from railwatch.errors import ImageryError, InputError

#: Seconds to wait for a remote scheduler before giving up.
CONNECT_TIMEOUT_S = 20


@dataclass(frozen=True)
class ClusterSpec:
    """Where to run: N local worker processes, or the scheduler at an address."""

    workers: int | None = None
    scheduler: str | None = None
    dashboard: bool = True
    #: Tasks each local worker runs at a time (None: the cores shared out).
    threads: int | None = None

    def __post_init__(self) -> None:
        if self.workers is not None and self.workers < 1:
            raise InputError(f"--workers {self.workers}: give at least 1")
        if self.workers is not None and self.scheduler is not None:
            raise InputError("give --workers (a local cluster) or --scheduler ADDRESS, not both")

    @property
    def wanted(self) -> bool:
        return self.workers is not None or self.scheduler is not None

    def threads_per_worker(self) -> int:
        """Tasks one local worker runs at a time: the machine's cores shared out.

        One worker on two cores runs two images at a time, each on one core, as an
        in-process run does (:func:`railwatch.detect.runs.images_at_a_time`).
        """
        if self.threads is not None:
            return self.threads
        return max(1, cpu_cores() // (self.workers or 1))

    def threads_per_task(self) -> int | None:
        """CPU threads one task's model may use.

        Local workers: one, with as many tasks at a time as the worker has cores
        (images in parallel scale better than one image's operators split over
        threads, and they keep scaling when another process takes a core for a
        moment). None for remote workers: each decides from its own cores.
        """
        if self.workers is None:
            return None
        return 1


def cpu_cores() -> int:
    """The cores this process may run on (a container's or ``taskset``'s limit included)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@dataclass(frozen=True)
class Outcome:
    """One unit's end: its value, or why it has none, and where and how long it ran."""

    index: int
    value: Any = None
    error: str | None = None
    worker: str | None = None
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # of the worker thread that ran the unit

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class WorkerStats:
    """What one worker did over a run: units, seconds busy, units per second busy."""

    units: int = 0
    failed: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "units": self.units,
            "failed": self.failed,
            "seconds": round(self.seconds, 3),
            "cpu_seconds": round(self.cpu_seconds, 3),
            "per_second": round(self.units / self.seconds, 3) if self.seconds > 0 else None,
        }


@dataclass
class Throughput:
    """Units per worker, and the run's wall time."""

    workers: dict[str, WorkerStats] = field(default_factory=dict)
    wall_seconds: float = 0.0

    def add(self, outcome: Outcome) -> None:
        stats = self.workers.setdefault(outcome.worker or "?", WorkerStats())
        stats.units += outcome.ok
        stats.failed += not outcome.ok
        stats.seconds += outcome.seconds
        stats.cpu_seconds += outcome.cpu_seconds

    def to_dict(self) -> dict[str, Any]:
        done = sum(w.units for w in self.workers.values())
        return {
            "wall_seconds": round(self.wall_seconds, 3),
            "units": done,
            "per_second": round(done / self.wall_seconds, 3) if self.wall_seconds > 0 else None,
            "workers": {k: v.to_dict() for k, v in sorted(self.workers.items())},
        }


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise InputError(
            "--workers/--scheduler need Dask distributed: pip install 'railwatch[cluster]'"
        ) from None
    return distributed


@contextmanager
def connect(spec: ClusterSpec, *, say: Callable[[str], None] | None = None) -> Iterator[Any]:
    """A ``distributed.Client``: on a local cluster of worker processes, or a running scheduler.

    For a local cluster the machine's cores are shared out among the workers, one
    task per core, each task's model on one thread (see
    :meth:`ClusterSpec.threads_per_worker`), and the dashboard link is told to ``say``.

    Raises:
        InputError: Dask is not installed, or the scheduler cannot be reached.
    """
    distributed = _distributed()
    if spec.scheduler is not None:
        try:
            client = distributed.Client(spec.scheduler, timeout=CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError) as exc:
            raise InputError(f"--scheduler {spec.scheduler}: cannot connect: {exc}") from None
        try:
            if say is not None:
                n = len(client.scheduler_info().get("workers", {}))
                say(f"scheduler {spec.scheduler}: {n} workers; dashboard {client.dashboard_link}")
            yield client
        finally:
            client.close()
        return
    import dask

    # The workers' statistical profiler samples every thread's stack 100 times a second
    # for the dashboard's profile page: 5-15 CPU-ms per image here, on the cores the
    # images need. A user's own Dask config (DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED)
    # still wins, as for a remote cluster, whose workers are configured where they run.
    profile = os.environ.get("DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED", "false")
    with dask.config.set({"distributed.worker.profile.enabled": profile.lower() == "true"}):
        cluster = distributed.LocalCluster(
            n_workers=spec.workers or 1,
            threads_per_worker=spec.threads_per_worker(),
            processes=True,
            dashboard_address=":0" if spec.dashboard else None,
            silence_logs=40,  # errors only: a restarted worker is reported by the run itself
        )
    try:
        client = distributed.Client(cluster)
        try:
            if say is not None and spec.dashboard:
                link = client.dashboard_link
                say(f"local Dask cluster of {spec.workers} workers; dashboard {link}")
            yield client
        finally:
            client.close()
    finally:
        cluster.close()


def _run_chunk(
    fn: Callable[..., Any], items: Sequence[Any], *args: Any
) -> tuple[str, list[tuple[Any, str | None, float, float]]]:
    """Runs on a worker: the units of one task, each caught on its own.

    Returns where it ran and, per unit, (value, error, wall seconds, CPU seconds of
    the thread that ran it). One unit's error (a corrupt file) never costs the others
    of its task.
    """
    from distributed import get_worker

    done = []
    for item in items:
        started, cpu = time.perf_counter(), time.thread_time()
        try:
            value, error = fn(item, *args), None
        except Exception as exc:  # the unit's own error, reported by name
            value, error = None, _message(exc)
        done.append((value, error, time.perf_counter() - started, time.thread_time() - cpu))
    return get_worker().address, done


def run_units(
    client: Any,
    fn: Callable[..., Any],
    items: Sequence[Any],
    *args: Any,
    in_flight: int | None = None,
    chunk: int | None = None,
) -> Iterator[Outcome]:
    """Run ``fn(item, *args)`` for every item as Dask tasks; yield outcomes as they finish.

    ``args`` (a model, a folder) are sent to the cluster once, not once per task.
    Each task runs ``chunk`` consecutive items (default: up to 8, leaving at least
    16 tasks per worker thread): the scheduler's and the client's cost per task (a
    few CPU-ms, on the same cores as the workers on a local cluster) is then paid
    once per ``chunk`` units. At most ``in_flight`` tasks
    (default: about 8 units per worker thread) are submitted at a time, so the
    scheduler's task table and the results held on workers stay small however long
    the list, and a worker lost takes only its tasks in flight with it. An
    exception in a unit, or a unit lost with its worker more often than the
    scheduler retries, becomes an outcome with ``error`` set.
    """
    distributed = _distributed()
    shared = [client.scatter(a, broadcast=True) if _heavy(a) else a for a in args]
    threads = sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values())
    if chunk is None:
        chunk = min(8, len(items) // (16 * max(1, threads)))
    chunk = max(1, chunk)
    if in_flight is None:
        in_flight = max(2 * threads, -(-max(8, 4 * threads) // chunk))
    pending: dict[str, tuple[list[int], Any]] = {}
    batches = iter(
        [list(range(i, min(i + chunk, len(items)))) for i in range(0, len(items), chunk)]
    )
    done = distributed.as_completed()

    def submit_next() -> None:
        for batch in batches:
            future = client.submit(_run_chunk, fn, [items[i] for i in batch], *shared, pure=False)
            pending[future.key] = (batch, future)
            done.add(future)
            return

    for _ in range(in_flight):
        submit_next()
    try:
        for future in done:
            batch, _ = pending.pop(future.key)
            try:
                worker, results = future.result()
                outcomes = [
                    Outcome(
                        i, value=value, error=error, worker=worker, seconds=sec, cpu_seconds=cpu
                    )
                    for i, (value, error, sec, cpu) in zip(batch, results, strict=True)
                ]
            except distributed.KilledWorker as exc:
                error = f"lost: its worker died while running it ({exc})"
                outcomes = [Outcome(i, error=error) for i in batch]
            except Exception as exc:  # the task itself failed on the worker
                outcomes = [Outcome(i, error=_message(exc)) for i in batch]
            del future
            submit_next()
            yield from outcomes
    finally:
        for _, future in pending.values():
            future.cancel()


def _heavy(arg: Any) -> bool:
    """Objects worth scattering once (a detector) rather than sending with every task."""
    return not isinstance(arg, str | bytes | int | float | bool | Path | type(None))


def _message(exc: BaseException) -> str:
    text = str(exc).strip() or exc.__class__.__name__
    from railwatch.errors import RailwatchError

    return text if isinstance(exc, RailwatchError) else f"{exc.__class__.__name__}: {text}"


def _can_open(path: str) -> str | None:
    """Runs on every worker: None when it can open the image, else why not."""
    try:
        from railwatch.imagery import open_source

        with open_source(path):
            return None
    except Exception as exc:
        return _message(exc)


def _can_write(folder: str) -> str | None:
    """Runs on every worker: None when the folder is there and writable, else why not."""
    if not Path(folder).is_dir():
        return f"{folder}: no such folder on this worker"
    if not os.access(folder, os.W_OK):
        return f"{folder}: not writable on this worker"
    return None


def check_readable(client: Any, path: str) -> None:
    """Fail before submitting anything when some worker cannot open the first image.

    An image that this process cannot open either is the image's own fault, not
    the workers': it is left to fail (and be skipped) like any other.

    Raises:
        ImageryError: naming the worker, the image and what it said.
    """
    if _can_open(path) is None:
        _check(client, _can_open, path, "open the image")


def check_writable(client: Any, folder: str) -> None:
    """Fail before submitting anything when some worker cannot write into the folder.

    Raises:
        ImageryError: naming the worker and the folder.
    """
    _check(client, _can_write, folder, "write there")


def _check(client: Any, probe: Callable[[str], str | None], target: str, what: str) -> None:
    answers = client.run(probe, target)
    if not answers:
        raise InputError("the Dask cluster has no workers")
    for worker, problem in sorted(answers.items()):
        if problem is not None:
            raise ImageryError(
                f"worker {worker} cannot {what}: {problem} (workers need a file system they "
                "all mount at the same path, or GDAL URLs such as /vsicurl/https://… or s3://…)"
            )


def worker_pids(client: Any) -> dict[str, int]:
    """Each worker's process id (tests kill one; operators match workers to hosts)."""
    return dict(client.run(os.getpid))
