"""Commands of the simulator: one scene, a training dataset, the Tumangang archive, a gallery."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from railwatch.cli.common import (
    JsonOption,
    SchedulerOption,
    WorkersOption,
    cluster_at,
    emit_json,
    progress,
    say,
)
from railwatch.errors import InputError
from railwatch.railcars import parse_counts

simulate_app = typer.Typer(
    help="Synthetic overhead rail-yard scenes with exact railcar labels.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the railwatch app."""
    app.add_typer(simulate_app, name="simulate")


def _size(text: str) -> tuple[int, int]:
    w, sep, h = text.lower().partition("x")
    try:
        if not sep:
            raise ValueError
        return int(w), int(h)
    except ValueError:
        raise InputError(f"size {text!r} is not WIDTHxHEIGHT (e.g. 512x512)") from None


def _pair(text: str) -> tuple[float, float]:
    a, sep, b = text.partition(",")
    try:
        if not sep:
            raise ValueError
        return float(a), float(b)
    except ValueError:
        raise InputError(f"range {text!r} is not LOW,HIGH (e.g. 0.3,1.0)") from None


OutOption = Annotated[Path, typer.Option("--out", help="Folder to write into (created).")]


@simulate_app.command("scene")
def scene(
    out: OutOption,
    seed: Annotated[int, typer.Option(help="Random seed; same seed, same bytes.")] = 7,
    gsd: Annotated[float, typer.Option(help="Ground sample distance, metres.")] = 0.5,
    size: Annotated[str, typer.Option(help="WIDTHxHEIGHT in pixels.")] = "1024x1024",
    cars: Annotated[int | None, typer.Option(help="Railcars to place (random mix).")] = None,
    mix: Annotated[
        str | None, typer.Option(help="Exact railcars per class, e.g. box=30,flat=10.")
    ] = None,
    season: Annotated[str, typer.Option(help="summer or winter.")] = "summer",
    haze: Annotated[float, typer.Option(help="Haze 0..1.")] = 0.0,
    tarp_fraction: Annotated[
        float, typer.Option(help="Share of open/flat cars under tarps.")
    ] = 0.3,
    off_nadir: Annotated[float, typer.Option(help="Sensor off-nadir angle, degrees.")] = 0.0,
    site: Annotated[str, typer.Option(help="Site whose place and yard direction to use.")] = (
        "tumangang"
    ),
    bits: Annotated[int, typer.Option(help="8 or 16 (12-bit counts).")] = 8,
    bands: Annotated[int, typer.Option(help="3 (RGB) or 4 (RGB + NIR).")] = 3,
    clouds: Annotated[
        bool | None, typer.Option("--clouds/--no-clouds", help="Force clouds on or off.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Render one scene: image.tif, labels.geojson, coco.json."""
    from railwatch.simulate import SceneSpec, render_scene, write_scene

    mix_counts = parse_counts(mix.split(",")) if mix else None
    if mix_counts and any(k in ("freight", "total") for k in mix_counts):
        raise InputError("--mix takes railcar classes (box=30,flat=10), not roll-ups")
    spec = SceneSpec(
        seed=seed,
        gsd=gsd,
        size=_size(size),
        n_cars=cars,
        mix=mix_counts,
        season=season,
        haze=haze,
        tarp_fraction=tarp_fraction,
        off_nadir=off_nadir,
        site=site,
        bits=bits,
        bands=bands,
        clouds=clouds,
    )
    rendered = render_scene(spec)
    folder = write_scene(rendered, out)
    doc = {
        "dir": str(folder),
        "acquired_at": rendered.acquired.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "gsd": spec.gsd,
        "size": list(spec.size),
        "crs": rendered.crs,
        "n_cars": len(rendered.cars),
        "counts": rendered.counts(),
        "cloud_fraction": rendered.cloud_fraction,
    }
    if as_json:
        emit_json(doc)
    else:
        counts = ", ".join(f"{k}={v}" for k, v in doc["counts"].items() if v)
        say(f"wrote {folder}: {len(rendered.cars)} railcars ({counts or 'none'})")


@simulate_app.command("dataset")
def dataset(
    out: OutOption,
    n: Annotated[int, typer.Option(help="Number of scenes.")] = 500,
    seed: Annotated[int, typer.Option(help="Dataset seed.")] = 1,
    gsd_range: Annotated[str, typer.Option(help="LOW,HIGH GSD in metres.")] = "0.3,1.0",
    size: Annotated[str, typer.Option(help="WIDTHxHEIGHT of each scene.")] = "512x512",
    realism: Annotated[
        float, typer.Option(help="Share (0-1) of scenes rendered like real yards.")
    ] = 0.0,
    as_json: JsonOption = False,
) -> None:
    """Render many random scenes and a manifest.json (detector training data)."""
    from railwatch.simulate.dataset import make_dataset

    with progress(transient=as_json) as bar:
        task = bar.add_task("rendering scenes", total=n)
        manifest = make_dataset(
            out,
            n,
            seed=seed,
            gsd_range=_pair(gsd_range),
            size=_size(size),
            on_scene=lambda i: bar.advance(task),
            realism=realism,
        )
    total = sum(s["n_cars"] for s in manifest["scenes"])
    if as_json:
        emit_json({"dir": str(out), "n": n, "seed": seed, "railcars": total})
    else:
        say(f"wrote {n} scenes ({total} railcars) and manifest.json to {out}")


@simulate_app.command("scenario")
def scenario(
    name: Annotated[str, typer.Argument(help="Scenario name (tumangang).")],
    out: OutOption,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    as_json: JsonOption = False,
) -> None:
    """Render a dated archive that tells a site's story (the demo's imagery)."""
    from railwatch.simulate.scenario import make_scenario

    with cluster_at(workers, scheduler) as (client, _), progress(transient=as_json) as bar:
        task = bar.add_task(f"rendering {name}", total=None)

        def tick(i: int, total: int) -> None:
            bar.update(task, total=total, completed=i + 1)

        manifest = make_scenario(name, out, on_scene=tick, client=client)
    if as_json:
        emit_json({"dir": str(out), "scenario": name, "scenes": len(manifest["scenes"])})
    else:
        say(f"wrote {len(manifest['scenes'])} dated scenes of {name} to {out}")


@simulate_app.command("gallery")
def gallery(
    out: OutOption,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 3,
    as_json: JsonOption = False,
) -> None:
    """A PNG contact sheet across GSD, season, haze and tarps, for people to look at."""
    from railwatch.simulate.gallery import make_gallery

    path = make_gallery(out, seed=seed)
    if as_json:
        emit_json({"path": str(path)})
    else:
        say(f"wrote {path}")
