"""Scenarios: dated synthetic archives that tell a site's story, with their truth.

``tumangang``: six years of dated synthetic imagery that tells the seeds' story.

Freight railcars stay at or under 20 on every date before mid-September 2023, fall
to near zero while the border is closed (from 31 January 2020 until rail freight
resumes in late September 2022), then rise steadily from 18 September 2023, five
days after the Kim-Putin summit, to 73 on 5 October 2023, mostly box and flat cars,
many under tarps. The archive is the demo's imagery and the analysis tests' truth.

``tumangang-2024``: both sides of the crossing (Tumangang and Khasan), March 2022 to
June 2024. Volume stays ordinary until the coal-and-oil deal of 4 March 2024
(:data:`MIX_EVENT`); after it open (ore) and tank cars take a much larger share
and box cars a much smaller one (:data:`MIX_BEFORE`, :data:`MIX_AFTER`), while
flat and other cars keep theirs; the summed freight peaks on 14 June 2024
(:data:`PEAK_2024`, Tumangang; Khasan the day after). Khasan's passes fall up to
three days from Tumangang's, so the two sides pair within a tolerance.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from railwatch import __version__
from railwatch.errors import InputError
from railwatch.railcars import CLASSES, rollup
from railwatch.simulate.render import render_scene
from railwatch.simulate.spec import SceneSpec
from railwatch.simulate.write import write_scene

SUMMIT = date(2023, 9, 13)
RISE_START = date(2023, 9, 18)
PEAK = date(2023, 10, 5)
PEAK_FREIGHT = 73
BORDER_CLOSED = date(2020, 1, 31)
BORDER_REOPENED = date(2022, 9, 26)

EVENTS: list[dict[str, str]] = [
    {
        "date": "2020-01-31",
        "title": "North Korea closes its borders against COVID-19",
        "kind": "border",
    },  # fmt: skip
    {
        "date": "2022-09-26",
        "title": "Rail freight resumes across the Tumangang-Khasan bridge",
        "kind": "border",
    },  # fmt: skip
    {
        "date": "2022-11-18",
        "title": "White House statement on Russian railcars at Tumangang",
        "kind": "statement",
    },  # fmt: skip
    {"date": "2023-09-13", "title": "Kim–Putin summit, Vostochny Cosmodrome", "kind": "summit"},
]

# The rise, acquisition by acquisition: dense imagery around the summit.
_FIXED_DATES = [
    date(2023, 9, 2), date(2023, 9, 7), date(2023, 9, 11), date(2023, 9, 14), date(2023, 9, 16),
    date(2023, 9, 18), date(2023, 9, 21), date(2023, 9, 24), date(2023, 9, 27), date(2023, 9, 30),
    date(2023, 10, 2), PEAK,
]  # fmt: skip
_WINDOW = (date(2023, 8, 28), date(2023, 10, 9))

SCENARIOS = ("tumangang", "tumangang-2024")
SIZE = (1024, 512)


def _dates(rng: np.random.Generator) -> list[tuple[date, bool]]:
    """Acquisition dates 2018-2023 (2-3 a month) and whether cloudy.

    Two or three a month are enough for a five-year baseline and keep the demo's archive
    small (a new user waits for every scene it renders and detects); the weeks around the
    summit are dense (``_FIXED_DATES``), since the onset is read from them.
    """
    out: list[tuple[date, bool]] = []
    for year in range(2018, 2024):
        for month in range(1, 13):
            k = int(rng.integers(2, 4))
            days = sorted(rng.choice(np.arange(1, 29), size=k, replace=False))
            for d in days:
                day = date(year, month, int(d))
                if _WINDOW[0] <= day <= _WINDOW[1]:
                    continue
                cloudy = bool(rng.random() < (0.25 if month in (6, 7, 8) else 0.1))
                out.append((day, cloudy))
    out.extend((d, False) for d in _FIXED_DATES)
    return sorted(out)


def _freight(day: date, rng: np.random.Generator) -> int:
    if day < BORDER_CLOSED:
        return int(rng.integers(5, 21))
    if day < BORDER_REOPENED:
        return int(rng.choice([0, 0, 0, 0, 1, 2, 3]))
    if day < RISE_START:
        return int(rng.integers(3, 17))
    if day <= PEAK:
        frac = (day - RISE_START).days / (PEAK - RISE_START).days
        return round(24 + (PEAK_FREIGHT - 24) * frac)
    # After the peak the yard stays busy, easing off toward the year's end.
    weeks = (day - PEAK).days / 7
    return int(max(30, 70 - 1.6 * weeks + rng.integers(-6, 7)))


def _mix(day: date, freight: int, rng: np.random.Generator) -> dict[str, int]:
    if day >= RISE_START:
        shares = {"box": 0.55, "flat": 0.37, "open": 0.05, "tank": 0.02, "other": 0.01}
    else:
        shares = {"box": 0.38, "open": 0.25, "tank": 0.15, "flat": 0.17, "other": 0.05}
    names = list(shares)
    p = np.array([shares[n] for n in names])
    drawn = rng.multinomial(freight, p / p.sum())
    mix = {n: int(c) for n, c in zip(names, drawn, strict=True)}
    mix["locomotive"] = int(rng.integers(0, 3)) if freight else int(rng.integers(0, 2))
    mix["passenger"] = int(rng.integers(0, 4)) if day < BORDER_CLOSED and rng.random() < 0.3 else 0
    return mix


def scenario_specs(name: str = "tumangang") -> list[tuple[date, SceneSpec]]:
    """Every acquisition of the scenario with the spec that renders it."""
    if name not in SCENARIOS:
        raise InputError(f"unknown scenario {name!r} (choose from {', '.join(SCENARIOS)})")
    if name == "tumangang-2024":
        return _specs_2024()
    rng = np.random.default_rng(20231005)
    out = []
    for day, cloudy in _dates(rng):
        freight = _freight(day, rng)
        mix = _mix(day, freight, rng)
        r = rng.random()
        gsd = 0.5 if day >= RISE_START or r < 0.75 else (0.3 if r < 0.88 else 0.8)
        winter = day.month in (12, 1, 2, 3)
        acquired = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
            hours=1, minutes=int(rng.integers(45, 140))
        )
        spec = SceneSpec(
            seed=int(rng.integers(0, 2**31 - 1)),
            gsd=gsd,
            size=SIZE,
            mix=mix,
            season="winter" if winter else "summer",
            haze=round(float(min(0.6, rng.beta(1.3, 6.0))), 3),
            tarp_fraction=0.75 if day >= RISE_START else 0.2,
            off_nadir=round(float(rng.uniform(0, 15)), 1),
            site="tumangang",
            acquired=acquired,
            clouds=cloudy,
            jpeg_quality=None,
        )
        out.append((day, spec))
    return out


# --- tumangang-2024: the class mix turns after a dated event -------------------------

MIX_EVENT = date(2024, 3, 4)
PEAK_2024 = date(2024, 6, 14)
AS_OF_2024 = date(2024, 6, 20)
SITES_2024 = ("tumangang", "khasan")
#: Freight shares by class before and after the event: open 2.1×, tank 2×, box 0.38×;
#: flat and other unchanged (the targets' "did not move").
MIX_BEFORE = {"box": 0.52, "open": 0.20, "tank": 0.10, "flat": 0.13, "other": 0.05}
MIX_AFTER = {"box": 0.20, "open": 0.42, "tank": 0.20, "flat": 0.13, "other": 0.05}

EVENTS_2024: list[dict[str, str]] = [
    {"date": "2023-09-13", "title": "Kim–Putin summit, Vostochny Cosmodrome", "kind": "summit"},
    {
        "date": "2024-03-04",
        "title": "Scenario: Russia agrees to ship more coal and oil by rail to North Korea",
        "kind": "trade",
    },  # fmt: skip
    {"date": "2024-06-19", "title": "Putin visits Pyongyang; partnership treaty", "kind": "summit"},
]


def _freight_2024(site: str, day: date, rng: np.random.Generator) -> int:
    low, high = (18, 34) if site == "tumangang" else (12, 26)
    if day < MIX_EVENT:
        return int(rng.integers(low, high + 1))
    if day == PEAK_2024 or day == PEAK_2024 + timedelta(days=1):
        return 64 if site == "tumangang" else 52
    # Somewhat busier after the deal, but well below the peak.
    return int(rng.integers(low + 6, high + 9))


def _mix_2024(day: date, freight: int, rng: np.random.Generator) -> dict[str, int]:
    shares = MIX_AFTER if day >= MIX_EVENT else MIX_BEFORE
    names = list(shares)
    drawn = rng.multinomial(freight, np.array([shares[n] for n in names]))
    mix = {n: int(c) for n, c in zip(names, drawn, strict=True)}
    mix["locomotive"] = int(rng.integers(1, 3))
    mix["passenger"] = 0
    return mix


def _dates_2024(rng: np.random.Generator) -> list[tuple[str, date]]:
    """Tumangang's passes and Khasan's, 0-3 days apart, a few alone.

    About three a month, two in winter, four once the deal has drawn attention.
    """
    out: list[tuple[str, date]] = []
    month = date(2022, 3, 1)
    while month <= AS_OF_2024:
        k = 4 if month >= date(2024, 3, 1) else 2 if month.month in (12, 1, 2) else 3
        days = sorted(rng.choice(np.arange(1, 26), size=k, replace=False))
        for d in days:
            day = date(month.year, month.month, int(d))
            if day > AS_OF_2024 or abs((day - PEAK_2024).days) <= 3:
                continue
            out.append(("tumangang", day))
            if rng.random() < 0.9:  # Khasan is seen too, a few days either side
                out.append(("khasan", day + timedelta(days=int(rng.integers(0, 4)))))
            else:  # a pass over Khasan alone, far from any Tumangang date
                out.append(("khasan", day + timedelta(days=6)))
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    out += [("tumangang", PEAK_2024), ("khasan", PEAK_2024 + timedelta(days=1))]
    # One pass per site and day, so that the truth has one count per site and date.
    return sorted(set(out), key=lambda x: (x[1], x[0]))


def _specs_2024() -> list[tuple[date, SceneSpec]]:
    rng = np.random.default_rng(20240614)
    out = []
    for site, day in _dates_2024(rng):
        if day > AS_OF_2024:
            continue
        freight = _freight_2024(site, day, rng)
        mix = _mix_2024(day, freight, rng)
        winter = day.month in (12, 1, 2, 3)
        acquired = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
            hours=1, minutes=int(rng.integers(45, 140))
        )
        spec = SceneSpec(
            seed=int(rng.integers(0, 2**31 - 1)),
            gsd=0.5,
            size=SIZE,
            mix=mix,
            season="winter" if winter else "summer",
            haze=round(float(min(0.4, rng.beta(1.3, 8.0))), 3),
            tarp_fraction=0.15,
            off_nadir=round(float(rng.uniform(0, 12)), 1),
            site=site,
            acquired=acquired,
            clouds=False,
            jpeg_quality=None,
        )
        out.append((day, spec))
    return out


def _render_one(args: tuple[SceneSpec, str]) -> dict[str, Any]:
    spec, folder = args
    scene = render_scene(spec)
    write_scene(scene, folder)
    return {
        "counts": scene.counts(),
        "cloud_fraction": scene.cloud_fraction,
        "acquired_at": scene.acquired.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def _render_on(
    client: Any,
    jobs: list[tuple[SceneSpec, str]],
    root: Path,
    on_scene: Callable[[int, int], None] | None,
) -> list[dict[str, Any]]:
    """Render the scenes as Dask tasks of :func:`_render_one`, in the jobs' order."""
    from railwatch import cluster
    from railwatch.errors import SimulationError

    cluster.check_writable(client, str(root))
    results: dict[int, dict[str, Any]] = {}
    for n, outcome in enumerate(cluster.run_units(client, _render_one, jobs)):
        if outcome.error is not None:
            raise SimulationError(f"{jobs[outcome.index][1]}: {outcome.error}")
        results[outcome.index] = outcome.value
        if on_scene:
            on_scene(n, len(jobs))
    return [results[i] for i in range(len(jobs))]


def make_scenario(
    name: str,
    out: Path | str,
    on_scene: Callable[[int, int], None] | None = None,
    workers: int | None = None,
    client: Any = None,
) -> dict[str, Any]:
    """Render the scenario's archive under ``out``.

    Writes ``manifest.json``, ``events.json``, ``truth.csv`` (per class, one row
    per acquisition, with its site) and one folder per acquisition named by its
    date (``2023-10-05``; a suffix ``-2`` for a second one on the same day), under
    a folder per site when the scenario has several (``khasan/2024-06-15``).

    Args:
        name: the scenario (``tumangang`` or ``tumangang-2024``).
        out: folder (created).
        on_scene: progress callback (done index, total).
        workers: processes to render with; None uses up to 2 (the output does not depend on it).
        client: a ``distributed.Client`` to render on instead (one Dask task per scene;
            the workers write into ``out``, so it must be on a file system they share).

    Returns:
        The manifest.

    Raises:
        InputError: unknown scenario.
    """
    specs = scenario_specs(name)
    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    dirs: list[str] = []
    seen: dict[str, int] = {}
    sites = list(dict.fromkeys(spec.site for _, spec in specs))
    for day, spec in specs:
        key = f"{spec.site}/{day.isoformat()}" if len(sites) > 1 else day.isoformat()
        seen[key] = seen.get(key, 0) + 1
        dirs.append(key if seen[key] == 1 else f"{key}-{seen[key]}")
    jobs = [(spec, str(root / d)) for (_, spec), d in zip(specs, dirs, strict=True)]
    workers = workers if workers is not None else min(2, os.cpu_count() or 1)
    results: list[dict[str, Any]] = []
    if client is not None:
        results = _render_on(client, jobs, root, on_scene)
    elif workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for i, res in enumerate(pool.map(_render_one, jobs, chunksize=4)):
                results.append(res)
                if on_scene:
                    on_scene(i, len(jobs))
    else:
        for i, job in enumerate(jobs):
            results.append(_render_one(job))
            if on_scene:
                on_scene(i, len(jobs))
    scenes = []
    rows = []
    for (day, spec), d, res in zip(specs, dirs, results, strict=True):
        counts = res["counts"]
        freight, total = rollup(counts, "freight"), rollup(counts, "total")
        cloudy = bool(res["cloud_fraction"] > 0)
        scenes.append(
            {
                "date": day.isoformat(),
                "site": spec.site,
                "acquired_at": res["acquired_at"],
                "dir": d,
                "gsd": spec.gsd,
                "season": spec.season,
                "cloudy": cloudy,
                "cloud_fraction": res["cloud_fraction"],
                "seed": spec.seed,
                "counts": counts,
                "freight": freight,
                "total": total,
            }
        )
        rows.append([res["acquired_at"], day.isoformat(), d, spec.gsd, int(cloudy),
                     *(counts[c] for c in CLASSES), freight, total, spec.site])  # fmt: skip
    manifest = {
        "generator": f"railwatch {__version__}",
        "scenario": name,
        "site": sites[0],
        "sites": sites,
        "size": list(SIZE),
        "scenes": scenes,
    }
    (root / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    (root / "events.json").write_text(
        json.dumps(
            {"events": EVENTS_2024 if name == "tumangang-2024" else EVENTS},
            ensure_ascii=False,
            indent=1,
        )
        + "\n",
        encoding="utf-8",
    )
    with (root / "truth.csv").open("w", newline="", encoding="utf-8") as f:
        wr = csv.writer(f, lineterminator="\n")
        wr.writerow(
            ["acquired_at", "date", "dir", "gsd", "cloudy", *CLASSES, "freight", "total", "site"]
        )
        wr.writerows(rows)
    return manifest
