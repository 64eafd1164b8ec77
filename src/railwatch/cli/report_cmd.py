"""``railwatch report``: write the assessment of a site as HTML, PDF and Markdown."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from railwatch.cli.common import (
    DEFAULT_DB_VALUE,
    DbOption,
    JsonOption,
    emit_json,
    out,
    say,
    store_at,
)
from railwatch.plausible import user_time


def register(app: typer.Typer) -> None:
    """Add ``railwatch report`` to the app."""
    app.command("report")(report_site)


def report_site(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the report into.")],
    site: Annotated[str | None, typer.Option("--site", help="Site slug (e.g. tumangang).")] = None,
    group: Annotated[
        str | None,
        typer.Option("--group", help="Site group slug: its sites summed per paired date."),
    ] = None,
    formats: Annotated[
        str, typer.Option("--format", help="Comma-separated: html, pdf, md.")
    ] = "html,pdf,md",
    lang: Annotated[str, typer.Option("--lang", help="Language: en or fr.")] = "en",
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Judge as of this date (ISO 8601); default: latest data."),
    ] = None,
    railcar_class: Annotated[
        str, typer.Option("--class", help="Railcar class or roll-up the judgment is about.")
    ] = "freight",
    window: Annotated[
        str,
        typer.Option(
            "--window", help="Baseline window, also the span the chart shows: 5y, 18m, 90d, 2w."
        ),
    ] = "5y",
    mix_window: Annotated[
        str, typer.Option("--mix-window", help="Reference window of the class-mix comparison.")
    ] = "2y",
    db: DbOption = DEFAULT_DB_VALUE,
    as_json: JsonOption = False,
) -> None:
    """Write the analyst report of a site or group: judgment, charts, imagery, tables, caveats."""
    from railwatch import report  # matplotlib and WeasyPrint load only when a report is made
    from railwatch.errors import InputError

    if (site is None) == (group is None):
        raise InputError("give either --site SLUG or --group SLUG")
    when = user_time(as_of, what="--as-of") if as_of else None
    with store_at(db) as store:
        result = report.write(
            store,
            site or group or "",
            out_dir,
            group=group is not None,
            mix_window=mix_window,
            formats=formats,
            lang=lang,
            as_of=when,
            railcar_class=railcar_class,
            window=window,
        )
    if as_json:
        emit_json(result.to_dict())
        return
    out.print(result.judgment, highlight=False, markup=False, soft_wrap=True)
    for name, path in result.files.items():
        say(f"{name}: {path}")
    say(f"report written in {result.seconds.get('total', 0):.1f} s")
