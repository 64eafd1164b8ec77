"""How long a report takes to render, and how much memory its imagery chips need.

A store with five years of analyst counts (about one date a fortnight), a summit, a
detector-counted peak on a 6000 × 6000 scene whose detections spread over 3000 × 1500
pixels (so the chip window is read decimated), and a baseline image. Prints seconds
per step (data, chart, chips, HTML+Markdown, PDF) and the child process's peak RSS,
next to the size of the scene a naive full read would load.
"""

from __future__ import annotations

import json
import tempfile
import textwrap
from pathlib import Path

from bench.memory import peak_rss_mb_of

SETUP = r"""
import hashlib, json, time, sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
import numpy as np, rasterio
from rasterio.transform import from_origin
from railwatch import report, service
from railwatch.records import Event, Image, Observation
from railwatch.sites import builtin
from railwatch.store import open_store, images as image_rows, observations as obs_rows
from railwatch.store.schema import DetectionRow

root = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT)
store = open_store(root / "s.db", create=True)
service.add_sites(store, builtin())
rng = np.random.default_rng(7)
day = datetime(2018, 10, 10, tzinfo=UTC)
while day < datetime(2023, 9, 10, tzinfo=UTC):
    n = int(rng.integers(4, 20))
    service.add_counts(store, site="tumangang", observed_at=day,
                       counts={"box": n - n // 4, "flat": n // 4}, analyst="bench")
    day += timedelta(days=int(rng.integers(10, 20)))
service.add_event(store, Event(occurred_at=datetime(2023, 9, 13, tzinfo=UTC),
                               title="Summit", site="tumangang"))

def scene(path, side, cars, spread):
    profile = dict(driver="GTiff", width=side, height=side, count=3, dtype="uint8",
                   crs="EPSG:32652", transform=from_origin(500000, 4700000, 0.5, 0.5),
                   tiled=True, blockxsize=512, blockysize=512)
    with rasterio.open(path, "w", **profile) as dst:
        block = rng.integers(60, 120, (3, 512, 512), dtype=np.uint8)
        for r in range(0, side, 512):
            for c in range(0, side, 512):
                h, w = min(512, side - r), min(512, side - c)
                dst.write(block[:, :h, :w], window=((r, r + h), (c, c + w)))
    rings = []
    for i in range(cars):
        x0 = 1000 + (i * 97) % spread[0]
        y0 = 1000 + (i * 53) % spread[1]
        rings.append([[x0, y0], [x0 + 30, y0], [x0 + 30, y0 + 14], [x0, y0 + 14], [x0, y0]])
    return rings

for name, when, side, cars, spread in (
    ("peak.tif", datetime(2023, 10, 5, 2, tzinfo=UTC), 6000, 73, (3000, 1500)),
    ("base.tif", datetime(2022, 6, 1, 2, tzinfo=UTC), 2000, 12, (400, 200)),
):
    path = root / name
    rings = scene(path, side, cars, spread)
    record = Image(path=str(path), sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
                   site="tumangang", crs="EPSG:32652", bounds=(0, 0, 1, 1),
                   footprint={"type": "Polygon", "coordinates": [[[130.6, 42.42], [130.61, 42.42],
                              [130.61, 42.425], [130.6, 42.42]]]},
                   width=side, height=side, bands=3, dtype="uint8", gsd_m=0.5,
                   acquired_at=when, provider="bench")
    with store.transaction() as session:
        img = image_rows.add(session, record)
        for ring in rings:
            session.add(DetectionRow(image_id=img.id, model_version="bench", railcar_class="box",
                                     score=0.9, tarped=False, polygon=[[130.6, 42.42]] * 5,
                                     polygon_px=ring))
        obs_rows.add(session, [Observation(site="tumangang", observed_at=when, railcar_class="box",
                                           count=cars, method="detector", source=name,
                                           image_id=img.id, model_version="bench")])
store.close()
"""

RENDER = r"""
import json, sys, time
from pathlib import Path
from railwatch import report
from railwatch.store import open_store
root = Path(ROOT)
store = open_store(root / "s.db")
start = time.perf_counter()
result = report.write(store, "tumangang", root / "out", formats=FORMATS, lang="en")
wall = time.perf_counter() - start
store.close()
print(json.dumps({"wall": wall, "seconds": result.seconds, "level": result.level,
                  "sizes": {k: Path(v).stat().st_size for k, v in result.files.items()}}))
"""


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        root = Path(tmp)
        setup = SETUP.replace("ROOT", repr(str(root)))
        peak_rss_mb_of(setup)
        scene_mb = 6000 * 6000 * 3 / 2**20
        idle, _ = peak_rss_mb_of(
            "import railwatch.report.document, railwatch.press, weasyprint\nprint('{}')"
        )
        print(f"imports alone (report, press, WeasyPrint): peak RSS {idle:.0f} MB")
        for formats in ("html,md", "html,pdf,md"):
            code = textwrap.dedent(RENDER).replace("ROOT", repr(str(root)))
            code = code.replace("FORMATS", repr(formats))
            rss, doc = peak_rss_mb_of(code)
            steps = ", ".join(f"{k} {v:.2f}" for k, v in doc["seconds"].items())
            print(f"report --format {formats}: {doc['wall']:.2f} s in write() ({steps})")
            print(f"  peak RSS {rss:.0f} MB (the peak scene alone is {scene_mb:.0f} MB decoded)")
            print(f"  level {doc['level']}; sizes " + json.dumps(doc["sizes"]))


if __name__ == "__main__":
    main()
