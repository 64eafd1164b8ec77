"""Ingesting a 40 000 × 40 000 tiled GeoTIFF: time and peak memory (target < 300 MB RSS).

The image (3 bands, uint8, 512 × 512 deflate tiles, UTM 52N at 0.5 m over
Tumangang) is written tile by tile so this script stays small too; most tiles
are constant and compress to almost nothing, the tiles over the site are noise.
Ingestion runs in a child process whose peak RSS is read after it exits.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from pyproj import Transformer
from rasterio.windows import Window

from bench.memory import peak_rss_mb_of

SIDE = 40_000
BLOCK = 512
GSD = 0.5
TARGET_MB = 300


def write_big(path: Path, side: int = SIDE) -> None:
    x, y = Transformer.from_crs(4326, 32652, always_xy=True).transform(130.6081, 42.4214)
    transform = Affine(GSD, 0, x - GSD * side / 2, 0, -GSD, y + GSD * side / 2)
    profile = dict(
        driver="GTiff",
        width=side,
        height=side,
        count=3,
        dtype="uint8",
        crs="EPSG:32652",
        transform=transform,
        tiled=True,
        blockxsize=BLOCK,
        blockysize=BLOCK,
        compress="deflate",
        zlevel=1,
        bigtiff="IF_SAFER",
    )
    rng = np.random.default_rng(0)
    centre = side // BLOCK // 2
    # A small block cache: dirty tiles are flushed as we go instead of piling up.
    with rasterio.Env(GDAL_CACHEMAX=64), rasterio.open(path, "w", **profile) as ds:
        ds.update_tags(ns="IMD", ACQUISITION_DATETIME="2023-10-05T02:13:00Z")
        tile = np.empty((3, BLOCK, BLOCK), dtype="uint8")
        for by in range(0, side, BLOCK):
            for bx in range(0, side, BLOCK):
                h, w = min(BLOCK, side - by), min(BLOCK, side - bx)
                if abs(by // BLOCK - centre) < 3 and abs(bx // BLOCK - centre) < 3:
                    tile[:, :h, :w] = rng.integers(0, 256, (3, h, w), dtype="uint8")
                else:
                    tile[:, :h, :w] = (by // BLOCK * 7 + bx // BLOCK) % 200
                ds.write(tile[:, :h, :w], window=Window(bx, by, w, h))


CHILD = """
import json, time
t0 = time.perf_counter()
from railwatch.imagery import ingest
from railwatch.store import open_store
t1 = time.perf_counter()
store = open_store({db!r})
done = ingest(store, [{path!r}], site="tumangang")
t2 = time.perf_counter()
image, action = done[0]
print(json.dumps({{"import_s": t1 - t0, "ingest_s": t2 - t1, "action": action,
                   "width": image.width, "gsd_m": image.gsd_m}}))
"""

IMPORT_ONLY = "import railwatch.imagery, railwatch.store\nprint('{}')"


def main() -> None:
    from railwatch import service
    from railwatch.sites import builtin
    from railwatch.store import open_store

    tmp = Path(tempfile.mkdtemp(prefix="railwatch-bench-ingest-"))
    try:
        path, db = tmp / "big.tif", tmp / "bench.db"
        start = time.perf_counter()
        write_big(path)
        written = time.perf_counter() - start
        print(
            f"wrote {SIDE} x {SIDE} x 3 tiled GeoTIFF: {path.stat().st_size / 2**20:.1f} MiB "
            f"in {written:.1f} s"
        )
        with open_store(db, create=True) as store:
            service.add_sites(store, builtin())
        base_mb, _ = peak_rss_mb_of(IMPORT_ONLY)
        rss_mb, result = peak_rss_mb_of(CHILD.format(db=str(db), path=str(path)))
        again_mb, again = peak_rss_mb_of(CHILD.format(db=str(db), path=str(path)))
        print(
            f"ingest: {result['ingest_s']:.2f} s ({result['action']}), "
            f"peak RSS {rss_mb:.0f} MB (imports alone: {base_mb:.0f} MB; target < {TARGET_MB} MB)"
        )
        print(f"re-add: {again['ingest_s']:.2f} s ({again['action']}), peak RSS {again_mb:.0f} MB")
        if rss_mb >= TARGET_MB:
            raise RuntimeError(f"peak RSS {rss_mb:.0f} MB is over the {TARGET_MB} MB target")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
