"""``railwatch demo``: the whole system on bundled sample data, on a fresh machine."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from railwatch import service
from railwatch.cli.common import say, store_at
from railwatch.demo import run_demo


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    out: Annotated[
        Path, typer.Option("--out", help="Folder for the store and everything made.")
    ] = Path("demo-output"),
) -> None:
    """Run the main job end to end on the bundled sample data."""
    summary = run_demo(out)
    with store_at(str(summary.db)) as store:
        sites = service.list_sites(store)
    say(f"store: {summary.db}  sites: {', '.join(s.slug for s in sites)}")
    for line in summary.lines:
        typer.echo(line)
