"""Commands of this stage (not written yet)."""

import typer


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the railwatch app."""
