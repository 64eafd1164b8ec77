"""Commands of the detector: detect, evaluate, train, models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.table import Column, Table

from railwatch.cli.common import (
    DEFAULT_DB_VALUE,
    DbOption,
    JsonOption,
    SchedulerOption,
    WorkersOption,
    cluster_at,
    emit_json,
    out,
    progress,
    say,
    say_throughput,
    store_at,
    warn,
)
from railwatch.errors import InputError
from railwatch.plausible import user_time
from railwatch.railcars import CLASSES

models_app = typer.Typer(help="Detector models: which one the store uses.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the railwatch app."""
    app.command("detect")(detect)
    app.command("evaluate")(evaluate)
    app.command("train")(train)
    app.add_typer(models_app, name="models")


def _progress_cb(bar, task):  # type: ignore[no-untyped-def]
    def update(label: str, done: int, total: int) -> None:
        bar.update(task, completed=done, total=total, description=Path(label).name[:40])

    return update


def _counts_table(rows: list[dict]) -> Table:
    dated = any(r.get("acquired_at") for r in rows)
    table = Table(
        Column("image", overflow="fold"),  # the file name, whole: it is how users know them
        *([Column("acquired UTC", no_wrap=True)] if dated else []),
        *(Column(c, justify="right", no_wrap=True) for c in (*CLASSES, "total")),
        box=box.SIMPLE_HEAD,
        padding=(0, 0),
        pad_edge=False,
    )
    for r in rows:
        counts = r["counts"]
        when = r.get("acquired_at")
        table.add_row(
            Path(r["path"]).name,
            *([f"{when:%Y-%m-%d %H:%M}" if when else ""] if dated else []),
            *(str(counts.get(c, 0)) for c in CLASSES),
            str(sum(counts.values())),
        )
    return table


def detect(
    images: Annotated[
        list[Path] | None, typer.Argument(help="Image files (GeoTIFF…); omit to use the store.")
    ] = None,
    site: Annotated[
        str | None, typer.Option("--site", help="Site slug: read only its window; store mode.")
    ] = None,
    all_sites: Annotated[
        bool, typer.Option("--all-sites", help="Store mode: every site in the store.")
    ] = False,
    all_: Annotated[
        bool, typer.Option("--all", help="Store mode: re-run images already processed.")
    ] = False,
    since: Annotated[
        str | None, typer.Option("--since", help="Store mode: only images acquired since DATE.")
    ] = None,
    out_path: Annotated[
        Path | None, typer.Option("--out", help="Write the detections as GeoJSON here.")
    ] = None,
    model: Annotated[
        Path | None, typer.Option("--model", help="Model file (default: the store's active one).")
    ] = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    db: DbOption = DEFAULT_DB_VALUE,
    as_json: JsonOption = False,
) -> None:
    """Find and classify railcars: in image files, or in every stored image of a site."""
    from railwatch import detect as detection

    if not images and not site and not all_sites:
        raise InputError("give image files, or --site SLUG to detect in the store's images")
    if site and all_sites:
        raise InputError("give --site SLUG or --all-sites, not both")
    if images and (workers is not None or scheduler is not None):
        raise InputError("--workers/--scheduler run store mode: give --site SLUG or --all-sites")
    when = user_time(since, what="--since") if since else None
    skipped: list[dict] = []

    def skip(image: Any, reason: str) -> None:
        skipped.append({"image_id": image.id, "path": image.path, "reason": reason})
        from railwatch.imagery.location import display_name

        warn(f"image {image.id} {display_name(image.path)} skipped: {reason}")

    run = None
    with cluster_at(workers, scheduler) as (client, threads), progress(transient=True) as bar:
        task = bar.add_task("detecting", total=None)
        cb = _progress_cb(bar, task)
        if images:
            geometry = None
            if site:
                geometry = _site_geometry(site, db)
            results = detection.run_paths(images, model=model, site_geometry=geometry, progress=cb)
        else:
            with store_at(db) as store:
                run = detection.run_store(
                    store,
                    None if all_sites else [site],  # type: ignore[list-item]
                    since=when,
                    rerun=all_,
                    progress=cb,
                    model=model,
                    client=client,
                    threads=threads,
                    keep_detections=out_path is not None,
                    on_skip=skip,
                )
            results = run.results
    if out_path is not None:
        out_path.write_text(json.dumps(detection.to_geojson(results)) + "\n")
        say(f"wrote {sum(len(r.detections) for r in results)} detections to {out_path}")
    rows = [r.to_dict() for r in results]
    if as_json:
        doc = {
            "model_version": results[0].model_version if results else None,
            "images": rows,
            "skipped": skipped,
            "stored": not images,
        }
        if run is not None and run.throughput is not None:
            doc["throughput"] = run.throughput
        emit_json(doc)
        return
    if run is not None:
        say_throughput(run.throughput)
    if not results:
        if not skipped:
            say("nothing to do: every image is already processed by this model (use --all)")
        return
    out.print(_counts_table(rows))
    say(f"model {results[0].model_version}")
    if skipped:
        say(f"{len(skipped)} images skipped; run the same command again to retry them")


def _site_geometry(slug: str, db: str) -> dict:
    """A site's polygon from the store when there is one, else from the built-in catalogue."""
    from railwatch.errors import NotFoundError, StoreError

    try:
        from railwatch import service

        with store_at(db) as store:
            return service.get_site(store, slug).geometry
    except (StoreError, NotFoundError):
        from railwatch.sites import builtin

        for s in builtin():
            if s.slug == slug:
                return s.geometry
        raise


def evaluate(
    data: Annotated[
        Path, typer.Option("--data", help="Labelled folder (simulate dataset, COCO…).")
    ],
    model: Annotated[
        Path | None, typer.Option("--model", help="Model file (default: the shipped one).")
    ] = None,
    margin: Annotated[
        float, typer.Option("--margin", help="Ignore cars centred this close (px) to the edge.")
    ] = 0.0,
    limit: Annotated[int | None, typer.Option("--limit", help="Score only N images.")] = None,
    scenes: Annotated[
        bool, typer.Option("--scenes", help="Include per-scene rows in JSON.")
    ] = False,
    record: Annotated[
        str | None,
        typer.Option(
            "--record",
            metavar="NAME",
            help="Keep the figures in the --model's metadata as evaluation.NAME "
            "(e.g. simulated, real_yard); reports quote evaluation.simulated.",
        ),
    ] = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    db: DbOption = DEFAULT_DB_VALUE,  # accepted for symmetry; evaluation never touches the store
    as_json: JsonOption = False,
) -> None:
    """Score the detector on labelled images: precision, recall, F1, count error."""
    from railwatch import detect as detection

    if record is not None:
        if model is None:
            raise InputError("--record writes into a model's metadata: give it with --model")
        from railwatch.detect.calibration import record_evaluation, record_target

        record_target(model, record)
    with cluster_at(workers, scheduler) as (client, threads), progress(transient=True) as bar:
        task = bar.add_task("evaluating", total=None)
        report = detection.evaluate(
            data,
            model,
            margin_px=margin,
            limit=limit,
            progress=_progress_cb(bar, task),
            client=client,
            threads=threads,
        )
    if record is not None:
        assert model is not None
        record_evaluation(model, record, report)
    if as_json:
        emit_json(report.to_dict(with_scenes=scenes))
        return
    table = Table("subset", "scenes", "truth", "P", "R", "F1", "class acc", "count MAE")
    rows = [("overall", report.overall)]
    if report.visible.get("truth", 0) != report.overall.get("truth", 0):
        rows.append(("visible cars (cloud-hidden ignored)", report.visible))
    rows += [(f"GSD {k} m", v) for k, v in report.by_gsd.items()]
    rows += list(report.by_condition.items())
    for name, m in rows:
        table.add_row(
            name,
            str(m["scenes"]),
            str(m["truth"]),
            f"{m['precision']:.3f}",
            f"{m['recall']:.3f}",
            f"{m['f1']:.3f}",
            f"{m['class_accuracy']:.3f}" if "class_accuracy" in m else "-",
            f"{m['count_mae']:.2f}",
        )
    out.print(table)
    say(f"model {report.model_version}; IoU 0.5")
    if record is not None:
        say(f"recorded in {model} as evaluation.{record}")


def train(
    out_path: Annotated[Path, typer.Option("--out", help="Where to write the ONNX model.")],
    data: Annotated[
        list[Path] | None, typer.Option("--data", help="Labelled folder(s) to train on.")
    ] = None,
    epochs: Annotated[int, typer.Option("--epochs", help="Epochs.")] = 20,
    steps: Annotated[int, typer.Option("--steps", help="Steps per epoch.")] = 100,
    batch: Annotated[int, typer.Option("--batch", help="Tiles per step.")] = 16,
    device: Annotated[str, typer.Option("--device", help="cpu or cuda.")] = "cpu",
    start: Annotated[
        str, typer.Option("--from", help="shipped (fine-tune), scratch, or a .weights.npz")
    ] = "shipped",
    simulated: Annotated[
        int | None,
        typer.Option(
            "--simulated",
            help="Simulator scenes to mix in (default 200 from scratch, "
            "0 when fine-tuning on --data).",
        ),
    ] = None,
    minutes: Annotated[
        float | None, typer.Option("--minutes", help="Stop after this many minutes.")
    ] = None,
    lr: Annotated[float | None, typer.Option("--lr", help="Peak learning rate.")] = None,
    realism: Annotated[
        float,
        typer.Option(
            "--realism",
            help="Share (0-1) of simulator scenes rendered like real yards (docs/realism.md).",
        ),
    ] = 0.0,
    threads: Annotated[int, typer.Option("--threads", help="CPU threads.")] = 2,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            help="Processes rendering scenes and making batches (default 1 when a core is "
            "free beside --threads, else 0). Each makes ~5 batches a second; a GPU needs many.",
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="First simulator seed.")] = 1_000_000,
    version: Annotated[str | None, typer.Option("--version-name", help="Model version.")] = None,
    arch: Annotated[
        str,
        typer.Option(
            "--arch",
            help="Network from scratch: res16 (default), sep32, or effl0 (ImageNet-trained "
            "EfficientNet-Lite0 encoder).",
        ),
    ] = "res16",
    db: DbOption = DEFAULT_DB_VALUE,  # accepted for symmetry; training never touches the store
    as_json: JsonOption = False,
) -> None:
    """Train or fine-tune the detector (needs the train extra: torch, onnx) and export ONNX."""
    from railwatch.detect import training

    if device not in ("cpu", "cuda"):
        raise InputError(f"--device {device!r}: choose cpu or cuda")
    if arch not in training.ARCHITECTURES:
        raise InputError(f"--arch {arch!r}: choose {', '.join(training.ARCHITECTURES)}")
    if simulated is None:
        simulated = 0 if (data and start != "scratch") else 200
    cfg = training.TrainConfig(
        realism=realism,
        arch=arch,
        out=out_path,
        data=tuple(data or ()),
        epochs=epochs,
        steps_per_epoch=steps,
        batch=batch,
        start=start,
        simulated=simulated,
        minutes=minutes,
        lr=lr if lr is not None else (2e-3 if start == "scratch" else 5e-4),
        threads=threads,
        workers=workers,
        device=device,
        seed=seed,
        version=version,
    )
    info = training.train(cfg, log=say)
    if as_json:
        emit_json({"model": str(out_path), **info.to_dict()})


@models_app.command("list")
def models_list(db: DbOption = DEFAULT_DB_VALUE, as_json: JsonOption = False) -> None:
    """List the models the store knows (the shipped one is active when none other is)."""
    from railwatch import detect as detection

    with store_at(db) as store:
        models = detection.list_models(store)
    if as_json:
        emit_json({"models": models})
        return
    table = Table("active", "version", "threshold", "flips", "path")
    for m in models:
        meta = m.get("meta") or {}
        threshold = meta.get("score_threshold")
        table.add_row(
            "*" if m["active"] else "",
            m["version"],
            f"{threshold:.2f}" if isinstance(threshold, int | float) else "",
            str(meta.get("flips", "none")),
            m["path"],
        )
    out.print(table)


@models_app.command("use")
def models_use(
    model: Annotated[Path, typer.Argument(help="ONNX model file (with its .json sidecar).")],
    db: DbOption = DEFAULT_DB_VALUE,
    as_json: JsonOption = False,
) -> None:
    """Register a model and make it the one detections use."""
    from railwatch import detect as detection

    with store_at(db) as store:
        done = detection.use_model(store, model)
    say(f"active model: {done['version']}")
    if as_json:
        emit_json(done)


@models_app.command("calibrate")
def models_calibrate(
    model: Annotated[
        Path, typer.Argument(help="ONNX model file (its .json sidecar is rewritten).")
    ],
    data: Annotated[
        Path,
        typer.Option("--data", help="Labelled calibration folder, apart from training and test."),
    ],
    limit: Annotated[int | None, typer.Option("--limit", help="Use only N images.")] = None,
    flips: Annotated[
        str | None,
        typer.Option(
            "--flips",
            help="Test-time flips to average: none, hflip (2x network time) or flip4 (4x); "
            "default the model's own.",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the choice; leave the model as it is.")
    ] = False,
    db: DbOption = DEFAULT_DB_VALUE,  # accepted for symmetry; calibration never touches the store
    as_json: JsonOption = False,
) -> None:
    """Choose the model's score threshold and count uncertainty on labelled images."""
    from railwatch.detect import calibration
    from railwatch.detect.model import FLIPS

    if flips is not None and flips not in FLIPS:
        raise InputError(f"--flips {flips!r}: choose one of {', '.join(FLIPS)}")
    with progress(transient=True) as bar:
        task = bar.add_task("calibrating", total=None)
        cal = calibration.calibrate(
            data, model, flips=flips, limit=limit, progress=_progress_cb(bar, task)
        )
    if not dry_run:
        calibration.apply_calibration(model, cal)
    if as_json:
        emit_json({"model": str(model), "written": not dry_run, **cal.to_dict()})
        return
    table = Table("threshold", "P", "R", "F1", "class acc", "count MAE", "bias")
    for r in cal.rows:
        chosen = r["threshold"] == cal.threshold
        if not chosen and round(r["threshold"] * 100) % 5:
            continue  # the table shows every 0.05 and the choice; --json has every row
        mark = " *" if chosen else ""
        table.add_row(
            f"{r['threshold']:.2f}{mark}",
            f"{r['precision']:.3f}",
            f"{r['recall']:.3f}",
            f"{r['f1']:.3f}",
            f"{r['class_accuracy']:.3f}",
            f"{r['count_mae']:.2f}",
            f"{r['count_bias']:+.2f}",
        )
    out.print(table)
    verb = "would set" if dry_run else "set"
    say(
        f"{verb} score threshold {cal.threshold:.2f} with flips {cal.flips} "
        f"on {cal.scenes} images ({cal.data})"
    )


@models_app.command("quantize")
def models_quantize(
    model: Annotated[Path, typer.Argument(help="Float ONNX model (railwatch train output).")],
    out_path: Annotated[Path, typer.Option("--out", help="Where to write the int8 model.")],
    data: Annotated[
        list[Path],
        typer.Option("--data", help="GeoTIFFs, or folders of them, like those it will see."),
    ],
    tiles: Annotated[int, typer.Option("--tiles", help="Tiles that set the int8 ranges.")] = 16,
    db: DbOption = DEFAULT_DB_VALUE,  # accepted for symmetry; quantisation never touches the store
    as_json: JsonOption = False,
) -> None:
    """Write an int8 copy of a model: about 3x faster on CPU (needs the train extra)."""
    from railwatch.detect import quantize as quantisation

    if tiles < 1:
        raise InputError(f"--tiles {tiles}: give at least 1")
    with progress(transient=True) as bar:
        task = bar.add_task("measuring activations", total=None)
        info = quantisation.quantize(
            model, data, out_path, tiles=tiles, progress=_progress_cb(bar, task)
        )
    q = info.extra["quantization"]
    say(
        f"wrote {out_path} ({info.version}; {q['tiles']} tiles from {len(q['images'])} images); "
        f"pick its threshold again: railwatch models calibrate {out_path} --data DIR"
    )
    if as_json:
        emit_json({"model": str(out_path), **info.to_dict()})
