"""Commands over imagery: add image files for a site, list them, show one."""

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
    progress,
    say,
    store_at,
    warn,
)
from railwatch.plausible import user_time
from railwatch.records import Image

images_app = typer.Typer(
    help="Satellite images of sites: add, list, show, cloud, remove.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the railwatch app."""
    app.add_typer(images_app, name="images")


def display_name(path: str) -> str:
    """The file name of a stored image, or the last part of its URL."""
    from railwatch.imagery.location import display_name as name  # rasterio loads with imagery

    return name(path)


def _line(image: Image) -> str:
    return (
        f"image {image.id} {display_name(image.path)}: {image.width}×{image.height}×{image.bands} "
        f"{image.dtype}, {image.gsd_m:.2f} m, "
        f"{image.crs if len(image.crs) < 20 else 'custom CRS'}, "
        f"{image.acquired_at:%Y-%m-%d %H:%M}Z"
    )


@images_app.command("add")
def images_add(
    files: Annotated[
        list[str],
        typer.Argument(
            help="GeoTIFF/COG, PNG or JPEG files, or URLs of GeoTIFF/COGs "
            "(https://, s3://, gs://, az://, /vsicurl/…) that every reader of the store can open.",
            show_default=False,
        ),
    ],
    site: Annotated[str, typer.Option("--site", help="Slug of the site the images cover.")],
    acquired: Annotated[
        str | None,
        typer.Option(
            "--acquired", help="Acquisition time (ISO 8601, UTC); overrides STAC and tags."
        ),
    ] = None,
    gsd: Annotated[
        float | None, typer.Option("--gsd", help="Ground sample distance in metres; overrides all.")
    ] = None,
    stac: Annotated[
        Path | None, typer.Option("--stac", help="STAC item JSON giving time, GSD, provider.")
    ] = None,
    provider: Annotated[
        str | None, typer.Option("--provider", help="Who supplied the imagery.")
    ] = None,
    cloud_cover: Annotated[
        float | None,
        typer.Option(
            "--cloud-cover",
            help="Percent of the image under cloud (0-100); overrides STAC, sidecar and tags.",
        ),
    ] = None,
    db: DbOption = DEFAULT_DB_VALUE,
    as_json: JsonOption = False,
) -> None:
    """Check image files against a site and record them (all or none)."""
    when = user_time(acquired, what="--acquired") if acquired else None
    options = dict(
        site=site,
        acquired=when,
        gsd=gsd,
        stac=stac,
        provider=provider,
        cloud_cover=cloud_cover,
        warn=warn,
    )
    from railwatch import imagery  # rasterio loads here, not at CLI start-up

    with store_at(db) as store:
        if len(files) > 1:
            with progress(transient=True) as bar:
                task = bar.add_task("checking images", total=len(files))
                done = imagery.ingest(
                    store,
                    files,
                    **options,  # type: ignore[arg-type]
                    progress=lambda n, _total, path: bar.update(
                        task, completed=n, description=f"checked {display_name(path)}"
                    ),
                )
        else:
            done = imagery.ingest(store, files, **options)  # type: ignore[arg-type]
    for image, action in done:
        say(f"{action}: {_line(image)}")
    if as_json:
        emit_json({"images": [dict(image.to_dict(), action=action) for image, action in done]})


@images_app.command("list")
def images_list(
    site: Annotated[str | None, typer.Option("--site", help="Only this site's images.")] = None,
    db: DbOption = DEFAULT_DB_VALUE,
    as_json: JsonOption = False,
) -> None:
    """List images in acquisition order."""
    from railwatch import imagery  # rasterio loads here, not at CLI start-up

    with store_at(db) as store:
        images = imagery.list_images(store, site=site)
    if as_json:
        emit_json({"images": [i.to_dict() for i in images]})
        return
    table = Table("id")
    table.add_column("acquired (UTC)", no_wrap=True)
    table.add_column("site")
    table.add_column("pixels", no_wrap=True)
    table.add_column("GSD m")
    table.add_column("cloud %")
    table.add_column("provider")
    table.add_column("file", no_wrap=True)
    skipped = [i for i in images if i.unfit_reason]
    if skipped:
        table.add_column("detector skipped it")
    for i in images:
        table.add_row(
            str(i.id),
            f"{i.acquired_at:%Y-%m-%d %H:%M}",
            i.site,
            f"{i.width}×{i.height}×{i.bands}",
            f"{i.gsd_m:.2f}",
            "-" if i.cloud_cover is None else f"{i.cloud_cover:.0f}",
            i.provider,
            display_name(i.path),
            *([i.unfit_reason or ""] if skipped else []),
        )
    out.print(table)


@images_app.command("show")
def images_show(
    image_id: Annotated[int, typer.Argument(metavar="ID", help="Image id (from images list).")],
    db: DbOption = DEFAULT_DB_VALUE,
    as_json: JsonOption = False,
) -> None:
    """Show one image: where it is, what it covers, when and how it was taken."""
    from railwatch import imagery  # rasterio loads here, not at CLI start-up

    with store_at(db) as store:
        image, meta = imagery.get_image(store, image_id)
    if as_json:
        emit_json(dict(image.to_dict(), meta=meta))
        return
    out.print(f"[bold]image {image.id}[/] {image.path}")
    rows = [
        ("site", image.site),
        (
            "acquired",
            f"{image.acquired_at:%Y-%m-%d %H:%M:%S}Z (from {meta.get('datetime_source', '?')})",
        ),
        ("size", f"{image.width} × {image.height} pixels, {image.bands} band(s) of {image.dtype}"),
        ("format", image.format + (" (COG layout)" if meta.get("cog") else "")),
        ("GSD", f"{image.gsd_m:.3f} m (from {meta.get('gsd_source', '?')})"),
        ("CRS", image.crs),
        ("bounds", ", ".join(f"{v:.6f}" for v in image.bounds)),
        ("provider", image.provider or "-"),
        (
            "cloud",
            "unknown"
            if image.cloud_cover is None
            else f"{image.cloud_cover:g} % (from {meta.get('cloud_cover_source', '?')})",
        ),
        ("sha256", image.sha256),
    ]
    if image.unfit_reason:
        rows.append(("detector", f"skipped it: {image.unfit_reason}"))
    for name, value in rows:
        out.print(f"{name:>9}: {value}", markup=False)


@images_app.command("cloud")
def images_cloud(
    image_id: Annotated[int, typer.Argument(metavar="ID", help="Image id (from images list).")],
    percent: Annotated[
        float, typer.Argument(metavar="PERCENT", help="Percent of the image under cloud, 0-100.")
    ],
    db: DbOption = DEFAULT_DB_VALUE,
    as_json: JsonOption = False,
) -> None:
    """Record an image's cloud cover (when its metadata gave none, or gave it wrong).

    Counts from images more clouded than the analysis's --max-cloud are shown but
    do not set baselines.
    """
    from railwatch import imagery  # rasterio loads here, not at CLI start-up

    with store_at(db) as store:
        image = imagery.set_cloud_cover(store, image_id, percent)
    say(f"cloud cover {image.cloud_cover:g} %: {_line(image)}")
    if as_json:
        emit_json(image.to_dict())


@images_app.command("remove")
def images_remove(
    image_id: Annotated[int, typer.Argument(metavar="ID", help="Image id (from images list).")],
    db: DbOption = DEFAULT_DB_VALUE,
    as_json: JsonOption = False,
) -> None:
    """Forget an image, with its detections and the observations made from it.

    One transaction; the file itself is left where it is. Add it again (with a
    corrected sidecar, say) to have it counted anew.
    """
    from railwatch import imagery  # rasterio loads here, not at CLI start-up

    with store_at(db) as store:
        image, n_det, n_obs = imagery.remove_image(store, image_id)
    say(f"removed {_line(image)}, with {n_det} detection(s) and {n_obs} observation(s)")
    if as_json:
        emit_json(dict(image.to_dict(), detections_removed=n_det, observations_removed=n_obs))
