"""The railwatch command line: thin commands over the stages' service functions.

Errors railwatch raises on purpose (:class:`railwatch.errors.RailwatchError`)
become one line on stderr and exit code 2; usage errors exit 2 as well.
"""

from __future__ import annotations

import os
import sys
from typing import Any

# GDAL prints "ERROR 1: ..." on stderr itself whenever no handler of rasterio's is
# installed (a CRS parsed outside rasterio.Env, say), before the error we raise says
# the same in one line. Send its own printing to nowhere; a user's CPL_LOG wins.
os.environ.setdefault("CPL_LOG", os.devnull)

import typer
from typer.core import TyperGroup

from railwatch import __version__
from railwatch.errors import RailwatchError


class _Group(TyperGroup):
    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except RailwatchError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None


app = typer.Typer(
    cls=_Group,
    help="Watch rail sites in satellite imagery: count railcars, flag unprecedented "
    "activity, tie it to events and the press, and write the assessment.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"railwatch {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """railwatch command line."""


# Each module adds its commands to ``app``; the order here is the order in --help.
from railwatch.cli import (  # noqa: E402
    analyze_cmd,
    demo_cmd,
    detect_cmd,
    images_cmd,
    press_cmd,
    report_cmd,
    review_cmd,
    simulate_cmd,
    store_cmd,
    web_cmd,
)

for _module in (
    store_cmd,
    images_cmd,
    simulate_cmd,
    detect_cmd,
    analyze_cmd,
    press_cmd,
    report_cmd,
    review_cmd,
    web_cmd,
    demo_cmd,
):
    _module.register(app)


def main() -> None:
    """Console entry point."""
    sys.exit(app())
