"""``railwatch demo``: the whole system on bundled sample data, on a fresh machine."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from railwatch.cli.common import progress, say


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    out: Annotated[
        Path, typer.Option("--out", help="Folder for the store, the archive and the report.")
    ] = Path("demo-output"),
    lang: Annotated[str, typer.Option("--lang", help="Report language: en or fr.")] = "en",
    scenario: Annotated[
        str,
        typer.Option(
            "--scenario",
            help="2023: the Tumangang surge after the summit; 2024: both sides of the "
            "crossing, the class mix turning after a dated event.",
        ),
    ] = "2023",
) -> None:
    """Run the main job end to end on the bundled sample data (offline)."""
    from railwatch.demo import run_demo

    with progress() as bar:
        tasks: dict[str, int] = {}

        def on_progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        summary = run_demo(out, step=say, on_progress=on_progress, lang=lang, scenario=scenario)
    for line in summary.lines:
        typer.echo(line)
