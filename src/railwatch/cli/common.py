"""What every CLI command shares: the store option, JSON output, messages.

Messages and progress go to stderr; with ``--json`` stdout carries exactly one
JSON document, so other tools can pipe it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from railwatch.store import DEFAULT_DB

if TYPE_CHECKING:
    from rich.progress import Progress

    from railwatch.store import Store

err = Console(stderr=True, highlight=False)
out = Console(highlight=False)

DbOption = Annotated[
    str,
    typer.Option(
        "--db",
        envvar="RAILWATCH_DB",
        help="Store: a SQLite path or a database URL (postgresql+psycopg://…).",
        show_default=True,
    ),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print one JSON document on stdout, nothing else.")
]
DEFAULT_DB_VALUE = DEFAULT_DB
WorkersOption = Annotated[
    int | None,
    typer.Option(
        "--workers",
        min=1,
        help="Run on a local Dask cluster of N worker processes (default: in-process).",
    ),
]
SchedulerOption = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        metavar="ADDRESS",
        help="Run on the Dask scheduler at ADDRESS (tcp://host:8786); its workers must "
        "reach the images and the model.",
    ),
]


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, set | tuple):
        return list(value)
    try:  # numpy scalars
        return value.item()
    except AttributeError:
        raise TypeError(f"cannot write {type(value).__name__} as JSON") from None


def emit_json(document: Any) -> None:
    """Write one JSON document to stdout."""
    sys.stdout.write(json.dumps(document, default=_default, ensure_ascii=False, indent=2))
    sys.stdout.write("\n")
    sys.stdout.flush()


def say(message: str) -> None:
    """A message for people, on stderr, as one line: file names are not read as markup
    and a long message is not wrapped (scripts grep these lines)."""
    err.print(message, markup=False, highlight=False, soft_wrap=True)


def warn(message: str) -> None:
    """A warning (something looked wrong but was not refused), on stderr."""
    say(f"warning: {message}")


@contextmanager
def store_at(db: str, *, create: bool = False) -> Iterator[Store]:
    from railwatch.store import open_store

    store = open_store(db, create=create)
    try:
        yield store
    finally:
        store.close()


def progress(transient: bool = False) -> Progress:
    """A Rich progress bar on stderr for work that can take more than a second."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    return Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=transient,
        # Off when stderr is a pipe or a file: there a bar is no use, and Rich's live
        # display leaves an empty line before the one-line error a script reads.
        disable=not err.is_terminal,
    )


@contextmanager
def cluster_at(workers: int | None, scheduler: str | None) -> Iterator[tuple[Any, int | None]]:
    """A Dask client and the model threads per task, or (None, None) to run in-process."""
    from railwatch.cluster import ClusterSpec, connect

    spec = ClusterSpec(workers=workers, scheduler=scheduler)
    if not spec.wanted:
        yield None, None
        return
    with connect(spec, say=say) as client:
        yield client, spec.threads_per_task()


def say_throughput(throughput: dict[str, Any] | None, unit: str = "images") -> None:
    """The per-worker summary of a cluster run, on stderr."""
    if not throughput:
        return
    for worker, w in throughput["workers"].items():
        rate = f"{w['per_second']:.2f} {unit}/s busy" if w["per_second"] else "-"
        failed = f", {w['failed']} failed" if w["failed"] else ""
        say(f"  {worker}: {w['units']} {unit}{failed}, {w['seconds']:.1f} s, {rate}")
    total = throughput["per_second"]
    say(
        f"{throughput['units']} {unit} in {throughput['wall_seconds']:.1f} s"
        + (f" ({total:.2f} {unit}/s)" if total else "")
    )
