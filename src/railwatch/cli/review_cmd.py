"""``railwatch review``: which images an analyst reviewed, and their labels for training."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from railwatch.cli.common import (
    DEFAULT_DB_VALUE,
    DbOption,
    JsonOption,
    emit_json,
    out,
    say,
    store_at,
)

review_app = typer.Typer(
    help="Analyst reviews of the detector's boxes (made in `railwatch serve`).",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add ``railwatch review`` to the app."""
    app.add_typer(review_app, name="review")


@review_app.command("list")
def review_list(
    site: Annotated[str, typer.Option("--site", help="Site slug.")],
    db: DbOption = DEFAULT_DB_VALUE,
    as_json: JsonOption = False,
) -> None:
    """Each image of a site: reviewed, in progress or pending; by whom, when; counts."""
    from railwatch import review

    with store_at(db) as store:
        rows = review.list_reviews(store, site=site)
    if as_json:
        emit_json({"reviews": rows})
        return
    table = Table("image", "acquired (UTC)", "status", "reviewer", "when", "detector", "analyst")
    for r in rows:
        when = r["reviewed_at"] or r["updated_at"]
        table.add_row(
            str(r["image_id"]),
            f"{r['acquired_at']:%Y-%m-%d %H:%M}",
            r["status"],
            r["reviewer"] or "",
            f"{when:%Y-%m-%d %H:%M}" if when else "",
            str(sum(r["detector_counts"].values())) if r["detector_counts"] else "",
            str(sum(r["analyst_counts"].values())) if r["analyst_counts"] else "",
        )
    out.print(table)
    done = sum(r["status"] == "reviewed" for r in rows)
    say(f"{done} of {len(rows)} images reviewed")


@review_app.command("next")
def review_next(
    site: Annotated[str, typer.Option("--site", help="Site slug.")],
    after: Annotated[
        int | None, typer.Option("--after", help="Image id to search from (default: the start).")
    ] = None,
    previous: Annotated[bool, typer.Option("--previous", help="Search backwards in time.")] = False,
    db: DbOption = DEFAULT_DB_VALUE,
    as_json: JsonOption = False,
) -> None:
    """The site's next image not yet reviewed (by date, wrapping round once)."""
    from railwatch import review

    with store_at(db) as store:
        found = review.next_unreviewed(store, site=site, after=after, backward=previous)
    if as_json:
        emit_json(found)
        return
    if found["image_id"] is None:
        say(
            f"every image of {site} is reviewed"
            if not found["unreviewed"]
            else f"no other image of {site} is unreviewed"
        )
        return
    wrapped = " (wrapped round)" if found["wrapped"] else ""
    out.print(
        f"image {found['image_id']}, {found['acquired_at']:%Y-%m-%d %H:%M} UTC, "
        f"{found['status']}{wrapped}"
    )
    say(f"{found['unreviewed']} of {found['images']} images not yet reviewed")


@review_app.command("export")
def review_export(
    site: Annotated[str, typer.Option("--site", help="Site slug.")],
    out_dir: Annotated[
        Path, typer.Option("--out", help="Folder to write (train/evaluate --data).")
    ],
    db: DbOption = DEFAULT_DB_VALUE,
    as_json: JsonOption = False,
) -> None:
    """Write reviewed images with their corrected labels, as `train --data` reads them."""
    from railwatch import review

    with store_at(db) as store:
        done = review.export(store, site=site, out_dir=out_dir)
    say(f"wrote {len(done['images'])} reviewed image(s) with labels to {out_dir}")
    if as_json:
        emit_json(done)
