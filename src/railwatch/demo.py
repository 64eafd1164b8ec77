"""The demo job: build a store from bundled sample data and run every stage on it.

It is the whole flow in order — sites, the simulated Tumangang archive, imagery
ingestion, detection with the shipped model, events, press reports, analysis,
report — so ``make demo`` on a fresh machine shows railwatch working end to end
with no network. Kept apart from the CLI so tests can run it too.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from railwatch import service
from railwatch.records import Event
from railwatch.sites import builtin
from railwatch.store import Store, open_store
from railwatch.timeparse import parse_time

SITE = "tumangang"
#: The day the press reported the Tumangang surge: the demo judges the imagery as of then.
AS_OF = "2023-10-06"
#: The seed reports sit in ../shared/seeds beside a checkout; ingested too when present.
SEED_DIRS = (Path("../shared/seeds"), Path(__file__).resolve().parents[3] / "shared" / "seeds")

Step = Callable[[str], None]


@dataclass
class DemoSummary:
    out: Path
    db: Path
    judgment: str = ""
    finding: str = ""
    files: dict[str, Path] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)


def seed_reports() -> list[Path]:
    """The seed press reports, when a ``shared/seeds`` folder sits beside the checkout."""
    for folder in SEED_DIRS:
        if folder.is_dir():
            return sorted(folder.glob("*.txt"))
    return []


def _fresh_store(db: Path) -> Store:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    return open_store(db, create=True)


def _archive(root: Path, step: Step, on_scene: Callable[[int, int], None] | None) -> dict:
    """The scenario archive; rendered once, reused while its generator version matches."""
    from railwatch import __version__
    from railwatch.simulate.scenario import make_scenario

    manifest_path = root / "manifest.json"
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text("utf-8"))
        complete = all((root / s["dir"] / "image.tif").exists() for s in manifest["scenes"])
        if manifest.get("generator") == f"railwatch {__version__}" and complete:
            step(f"reusing the scenario archive in {root}")
            return manifest
    step("rendering the Tumangang scenario archive (2018-2023)")
    return make_scenario("tumangang", root, on_scene=on_scene)


def run_demo(
    out: Path,
    *,
    step: Step = lambda _msg: None,
    on_progress: Callable[[str, int, int], None] | None = None,
    lang: str = "en",
) -> DemoSummary:
    """Run the whole flow into ``out`` and return what it found and wrote.

    Args:
        out: folder for the store, the archive and the report (made if missing).
        step: called with a short line as each stage starts.
        on_progress: called as (stage, done, total) during long stages.
        lang: language of the report (``en`` or ``fr``).
    """
    from railwatch import analyze, detect, imagery, press, report

    def tick(stage: str) -> Callable[[int, int], None] | None:
        if on_progress is None:
            return None
        return lambda done, total: on_progress(stage, done + 1, total)

    out.mkdir(parents=True, exist_ok=True)
    summary = DemoSummary(out=out, db=out / "railwatch.db")
    timer = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal timer
        now = time.perf_counter()
        summary.seconds[name] = now - timer
        timer = now

    manifest = _archive(out / "archive", step, tick("render"))
    lap("archive")
    with _fresh_store(summary.db) as store:
        step("adding the built-in sites and the scenario's events")
        service.add_sites(store, builtin())
        events = json.loads((out / "archive" / "events.json").read_text("utf-8"))["events"]
        for ev in events:
            service.add_event(
                store,
                Event(
                    occurred_at=parse_time(ev["date"]),
                    title=ev["title"],
                    kind=ev.get("kind", ""),
                    site=SITE,
                    source=ev.get("source", "scenario events.json"),
                ),
            )
        step(f"ingesting {len(manifest['scenes'])} images")
        paths = [out / "archive" / s["dir"] / "image.tif" for s in manifest["scenes"]]
        imagery.ingest(store, paths, site=SITE)
        lap("ingest")

        step("detecting railcars with the shipped model")
        on_image = tick("detect")
        results = detect.run_site(
            store,
            SITE,
            progress=None if on_image is None else lambda _path, n, total: on_image(n - 1, total),
        )
        geojson = detect.to_geojson(results)
        summary.files["detections"] = out / "detections.geojson"
        summary.files["detections"].write_text(json.dumps(geojson), encoding="utf-8")
        lap("detect")

        step("reading the press reports")
        for entry in press.sample_reports():
            press.ingest(
                store,
                [entry["path"]],
                published=entry.get("published"),
                outlet=entry.get("outlet"),
                url=entry.get("url"),
                lang=entry.get("lang"),
            )
        seeds = seed_reports()
        if seeds:
            press.ingest(store, seeds, site=SITE)
        lap("press")

        step("analysing the activity")
        as_of = parse_time(AS_OF)
        assessment = analyze.assess_site(store, SITE, railcar_class="freight", as_of=as_of)
        summary.finding = assessment.finding
        lap("analyze")

        step("writing the report")
        result = report.write(
            store, SITE, out, formats=("html", "pdf", "md"), lang=lang, as_of=as_of
        )
        summary.judgment = result.judgment
        summary.files.update(result.files)
        lap("report")

    summary.lines.append(f"Finding: {summary.finding}")
    summary.lines.append(f"Key judgment: {summary.judgment}")
    for name, path in summary.files.items():
        summary.lines.append(f"  {name}: {path}")
    total = sum(summary.seconds.values())
    parts = ", ".join(f"{k} {v:.1f} s" for k, v in summary.seconds.items())
    summary.lines.append(f"demo finished in {total:.1f} s ({parts})")
    return summary
