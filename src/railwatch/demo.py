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
from railwatch.errors import InputError
from railwatch.records import Event, SiteGroup
from railwatch.sites import builtin
from railwatch.store import Store, open_store
from railwatch.timeparse import parse_time

SITE = "tumangang"
#: The day the press reported the Tumangang surge: the demo judges the imagery as of then.
AS_OF = "2023-10-06"
#: The seed reports sit in ../shared/seeds beside a checkout; ingested too when present.
SEED_DIRS = (Path("../shared/seeds"), Path(__file__).resolve().parents[3] / "shared" / "seeds")

Step = Callable[[str], None]

#: The stories the demo can tell: ``railwatch demo --scenario 2024``.
SCENARIOS: tuple[str, ...] = ("2023", "2024")
GROUP = "tumangang-khasan"
GROUP_NAME = "Tumangang–Khasan crossing"
#: A press report of our own for the 2024 story, to show a count of one class checked
#: against that class: ore cars against open wagons, not against every car.
PRESS_2024 = """RAILWATCH SAMPLE - a fictional report written for the tumangang-2024 scenario.

Coal and oil on the move at the Tumangang-Khasan crossing

Satellite imagery taken on 14 June 2024 shows about 50 ore cars and some 25 tank cars on
both sides of the rail crossing between Tumangang, North Korea, and Khasan, Russia, far more
than the boxcars that used to dominate the yards. Analysts said the pattern had changed
since March, when Moscow agreed to ship more coal and oil by rail.
"""


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


def _archive(
    root: Path,
    step: Step,
    on_scene: Callable[[int, int], None] | None,
    name: str = "tumangang",
    label: str = "the Tumangang scenario archive (2018-2023)",
) -> dict:
    """The scenario archive; rendered once, reused while its generator version matches."""
    from railwatch import __version__
    from railwatch.simulate.scenario import make_scenario

    manifest_path = root / "manifest.json"
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text("utf-8"))
        complete = all((root / s["dir"] / "image.tif").exists() for s in manifest["scenes"])
        if (
            manifest.get("generator") == f"railwatch {__version__}"
            and manifest.get("scenario", "tumangang") == name
            and complete
        ):
            step(f"reusing the scenario archive in {root}")
            return manifest
    step(f"rendering {label}")
    return make_scenario(name, root, on_scene=on_scene)


def _ticker(
    on_progress: Callable[[str, int, int], None] | None,
) -> Callable[[str], Callable[[int, int], None] | None]:
    """Per stage, the progress callback the stage's function takes (None: no progress)."""

    def tick(stage: str) -> Callable[[int, int], None] | None:
        if on_progress is None:
            return None
        return lambda done, total: on_progress(stage, done + 1, total)

    return tick


class _Laps:
    """Seconds per stage into the summary: each call closes the stage since the last one."""

    def __init__(self, summary: DemoSummary) -> None:
        self.summary = summary
        self.timer = time.perf_counter()

    def __call__(self, name: str) -> None:
        now = time.perf_counter()
        self.summary.seconds[name] = now - self.timer
        self.timer = now


def run_demo(
    out: Path,
    *,
    step: Step = lambda _msg: None,
    on_progress: Callable[[str, int, int], None] | None = None,
    lang: str = "en",
    scenario: str = "2023",
) -> DemoSummary:
    """Run the whole flow into ``out`` and return what it found and wrote.

    Args:
        out: folder for the store, the archive and the report (made if missing).
        step: called with a short line as each stage starts.
        on_progress: called as (stage, done, total) during long stages.
        lang: language of the report (``en`` or ``fr``).
        scenario: ``2023`` (the Tumangang surge after the summit) or ``2024`` (both sides
            of the crossing; the class mix turns after a dated event, see
            :func:`run_demo_2024`).

    Raises:
        InputError: an unknown scenario.
    """
    from railwatch import analyze, detect, imagery, press, report

    if scenario not in SCENARIOS:
        raise InputError(f"unknown demo scenario {scenario!r} (choose from {', '.join(SCENARIOS)})")
    if scenario == "2024":
        return run_demo_2024(out, step=step, on_progress=on_progress, lang=lang)

    tick = _ticker(on_progress)
    out.mkdir(parents=True, exist_ok=True)
    summary = DemoSummary(out=out, db=out / "railwatch.db")
    lap = _Laps(summary)

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
    summary.lines.extend(serve_lines(summary.db, SITE, AS_OF))
    return summary


def serve_lines(db: Path, site: str, as_of: str) -> list[str]:
    """The command that serves the demo store and the page of the demo's own finding.

    The dashboard judges the latest stored date unless the address names an as-of date;
    the demo's finding is about ``as_of``, so the link carries it.
    """
    return [
        f"serve it: railwatch serve --db {db}",
        f"  then open http://127.0.0.1:8000/#/site/{site}?as_of={as_of}",
    ]


def run_demo_2024(
    out: Path,
    *,
    step: Step = lambda _msg: None,
    on_progress: Callable[[str, int, int], None] | None = None,
    lang: str = "en",
) -> DemoSummary:
    """The 2024 story: both sides of the crossing, a class-mix shift after a dated event.

    Renders ``tumangang-2024`` (Tumangang and Khasan), counts each side's railcars
    with the shipped detector, groups the two sites, and writes the group's report as
    of 20 June 2024 with its class-mix finding and each side's part.
    """
    from railwatch import analyze, detect, imagery, press, report
    from railwatch.simulate.scenario import AS_OF_2024

    tick = _ticker(on_progress)
    out.mkdir(parents=True, exist_ok=True)
    summary = DemoSummary(out=out, db=out / "railwatch-2024.db")
    lap = _Laps(summary)

    root = out / "archive-2024"
    manifest = _archive(root, step, tick("render"), "tumangang-2024",
                        "the 2024 crossing scenario (Tumangang and Khasan, 2022-2024)")  # fmt: skip
    lap("archive")
    sites = manifest.get("sites") or [SITE]
    with _fresh_store(summary.db) as store:
        step("adding the built-in sites, the crossing group and the scenario's events")
        service.add_sites(store, builtin())
        service.add_group(store, SiteGroup(slug=GROUP, name=GROUP_NAME, sites=tuple(sites)))
        for ev in json.loads((root / "events.json").read_text("utf-8"))["events"]:
            service.add_event(
                store,
                Event(occurred_at=parse_time(ev["date"]), title=ev["title"],
                      kind=ev.get("kind", ""), site=SITE, source="scenario events.json"),
            )  # fmt: skip
        for site in sites:
            paths = [root / s["dir"] / "image.tif" for s in manifest["scenes"] if s["site"] == site]
            step(f"ingesting {len(paths)} images of {site}")
            imagery.ingest(store, paths, site=site)
        lap("ingest")
        on_image = tick("detect")
        for site in sites:
            step(f"detecting railcars at {site} with the shipped model")
            detect.run_site(
                store,
                site,
                progress=None if on_image is None else lambda _p, n, total: on_image(n - 1, total),
            )
        lap("detect")
        step("reading the sample press report")
        report_path = out / "press-2024.txt"
        report_path.write_text(PRESS_2024, encoding="utf-8")
        press.ingest(store, [report_path], published="2024-06-18", outlet="Railwatch sample",
                     lang="en", site=SITE)  # fmt: skip
        lap("press")
        step("analysing the crossing: volume and class mix")
        grouped = analyze.assess_group(store, GROUP, as_of=AS_OF_2024, mix=True)
        summary.finding = grouped.assessment.finding
        assert grouped.mix is not None
        summary.lines.append(f"Class mix: {grouped.mix.finding}")
        lap("analyze")
        step("writing the report")
        result = report.write(
            store, GROUP, out / "report-2024", formats=("html", "pdf", "md"), lang=lang,
            as_of=parse_time(AS_OF_2024.isoformat()), group=True, window="2y",
        )  # fmt: skip
        summary.judgment = result.judgment
        summary.files.update(result.files)
        lap("report")
    summary.lines.insert(0, f"Finding: {summary.finding}")
    summary.lines.append(f"Key judgment: {summary.judgment}")
    for name, path in summary.files.items():
        summary.lines.append(f"  {name}: {path}")
    total = sum(summary.seconds.values())
    parts = ", ".join(f"{k} {v:.1f} s" for k, v in summary.seconds.items())
    summary.lines.append(f"demo finished in {total:.1f} s ({parts})")
    return summary
