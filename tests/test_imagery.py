"""railwatch.imagery without the CLI: raster sources, windows, metadata, sidecars.

The ``write_*`` helpers here make small real images on the fly; the CLI tests reuse them.
"""

from __future__ import annotations

import json
import math
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from affine import Affine
from pyproj import Transformer
from rasterio.errors import NotGeoreferencedWarning
from rasterio.windows import Window
from shapely.geometry import box, mapping, shape

from railwatch.errors import ImageryError
from railwatch.imagery import MAX_PIXELS, MAX_SIDE, open_source
from railwatch.imagery.metadata import acquisition_from_tags, crs_text, footprint, pixel_size_m
from railwatch.imagery.sidecar import read_world_file
from railwatch.sites import builtin

# Tumangang rail facility, inside the built-in site polygon.
LON, LAT = 130.6081, 42.4214


def utm_transform(
    gsd: float, width: int, height: int, lon: float = LON, lat: float = LAT
) -> Affine:
    """A north-up UTM 52N grid of ``gsd`` metres centred on (lon, lat)."""
    x, y = Transformer.from_crs(4326, 32652, always_xy=True).transform(lon, lat)
    return Affine(gsd, 0, x - gsd * width / 2, 0, -gsd, y + gsd * height / 2)


def geo_transform(
    deg: float, width: int, height: int, lon: float = LON, lat: float = LAT
) -> Affine:
    return Affine(deg, 0, lon - deg * width / 2, 0, -deg, lat + deg * height / 2)


def write_tif(
    path: Path,
    *,
    crs: str | None = "EPSG:32652",
    transform: Affine | None = None,
    width: int = 400,
    height: int = 300,
    count: int = 3,
    dtype: str = "uint8",
    tags: dict[str, str] | None = None,
    ns_tags: dict[str, dict[str, str]] | None = None,
    overviews: bool = False,
    **profile: Any,
) -> Path:
    """A GeoTIFF with a gradient in every band (so overviews and reads are checkable)."""
    if transform is None and crs is not None:
        transform = utm_transform(0.5, width, height)
    kwargs: dict[str, Any] = dict(
        driver="GTiff", width=width, height=height, count=count, dtype=dtype, **profile
    )
    if crs is not None:
        kwargs.update(crs=crs, transform=transform)
    ramp = (np.arange(width)[None, :] + np.arange(height)[:, None]) % 200
    data = np.stack([ramp + 10 * b for b in range(count)]).astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(path, "w", **kwargs) as ds:
            ds.write(data)
            if tags:
                ds.update_tags(**tags)
            for ns, values in (ns_tags or {}).items():
                ds.update_tags(ns=ns, **values)
            if overviews:
                ds.build_overviews([2, 4, 8], rasterio.enums.Resampling.average)
    return path


def write_plain(path: Path, driver: str = "PNG", width: int = 120, height: int = 80) -> Path:
    """A PNG or JPEG with no georeferencing of its own."""
    data = np.stack([(np.arange(width)[None, :] + np.arange(height)[:, None]) % 250] * 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(
            path, "w", driver=driver, width=width, height=height, count=3, dtype="uint8"
        ) as ds:
            ds.write(data.astype("uint8"))
    for extra in path.parent.glob(path.name + ".aux.xml"):
        extra.unlink()
    return path


def write_json(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc))
    return path


def tumangang() -> dict:
    return next(s for s in builtin() if s.slug == "tumangang").geometry


# -- RasterSource ------------------------------------------------------------------


def test_open_source_geotiff_and_window_for_site(tmp_path):
    path = write_tif(
        tmp_path / "a.tif",
        transform=utm_transform(2.0, 1600, 1200, lon=130.616, lat=42.4215),
        width=1600,
        height=1200,
    )
    with open_source(path) as src:
        assert (src.width, src.height, src.count, src.dtype) == (1600, 1200, 3, "uint8")
        assert src.crs.to_epsg() == 32652 and src.nodata is None
        win = src.window_for(tumangang())
        # the site (~2.8 km × 1.2 km) at 2 m falls inside, about that size in pixels
        assert win.col_off >= 0 and win.col_off + win.width <= 1600
        assert 1350 < win.width < 1550 and 580 < win.height < 700
        assert win.row_off + win.height <= 1200
        px = src.read(Window(10, 20, 5, 4))
        assert px.shape == (3, 4, 5)
        assert px[1, 0, 0] == (10 + 20) % 200 + 10


def test_read_is_boundless_and_resamples(tmp_path):
    path = write_tif(tmp_path / "b.tif", width=100, height=100, count=1, nodata=7)
    with open_source(path) as src:
        part = src.read(Window(-10, -10, 20, 20))
        assert part.shape == (1, 20, 20)
        assert (part[0, :10, :] == 7).all() and (part[0, :, :10] == 7).all()
        assert part[0, 10, 10] == 0 and part[0, 15, 12] == 7  # (0,0) ramp value 0, then 2+5
        outside = src.read(Window(500, 500, 8, 8))
        assert (outside == 7).all()
        small = src.read(out_shape=(10, 10))
        assert small.shape == (1, 10, 10)
        whole = src.read()
        assert abs(float(small.mean()) - float(whole.mean())) < 2


def test_window_for_clips_and_refuses_disjoint(tmp_path):
    # a tiny image in the middle of the site: the window is the whole image
    path = write_tif(tmp_path / "c.tif", transform=utm_transform(0.5, 50, 40), width=50, height=40)
    with open_source(path) as src:
        assert src.window_for(tumangang()) == Window(0, 0, 50, 40)
        far = mapping(box(10.0, 50.0, 10.01, 50.01))
        with pytest.raises(ImageryError, match="does not overlap"):
            src.window_for(far)


def test_geographic_source_and_gsd(tmp_path):
    deg = 5e-6
    path = write_tif(
        tmp_path / "g.tif",
        crs="EPSG:4326",
        transform=geo_transform(deg, 300, 300),
        width=300,
        height=300,
    )
    with open_source(path) as src:
        gx, gy = pixel_size_m(src.crs, src.transform, src.width, src.height)
    # independent estimate: metres per degree at this latitude
    lat = math.radians(LAT)
    m_lon = deg * (111412.84 * math.cos(lat) - 93.5 * math.cos(3 * lat))
    m_lat = deg * (111132.92 - 559.82 * math.cos(2 * lat) + 1.175 * math.cos(4 * lat))
    assert gx == pytest.approx(m_lon, rel=0.005) and gy == pytest.approx(m_lat, rel=0.005)
    assert gx < gy  # degrees of longitude are shorter at 42° N


def test_footprint_is_densified_and_covers_the_image(tmp_path):
    t = utm_transform(10, 500, 500)
    fp = footprint(rasterio.crs.CRS.from_epsg(32652), t, 500, 500)
    ring = fp["coordinates"][0]
    assert fp["type"] == "Polygon" and ring[0] == ring[-1] and len(ring) == 129
    poly = shape(fp)
    assert poly.is_valid and poly.contains(shape({"type": "Point", "coordinates": [LON, LAT]}))
    assert poly.area == pytest.approx((5000 / 82000) * (5000 / 111000), rel=0.05)


def test_crs_text():
    assert crs_text(rasterio.crs.CRS.from_epsg(32652)) == "EPSG:32652"
    custom = rasterio.crs.CRS.from_proj4(
        "+proj=tmerc +lat_0=42 +lon_0=130.6 +k=1 +x_0=0 +y_0=0 +ellps=WGS84 +units=m"
    )
    assert crs_text(custom).startswith(("PROJCS", "PROJCRS"))


def test_acquisition_tags_prefer_acquisition_over_file_time(tmp_path):
    path = write_tif(
        tmp_path / "t.tif",
        tags={"TIFFTAG_DATETIME": "2023:10:06 11:00:00"},
        ns_tags={"IMAGERY": {"acquisitionDateTime": "2023-10-05T02:13:00Z"}},
    )
    with open_source(path) as src:
        when, name, unparsed = acquisition_from_tags(src.dataset)
    assert when == datetime(2023, 10, 5, 2, 13, tzinfo=UTC)
    assert name == "IMAGERY:acquisitionDateTime" and unparsed == []
    only = write_tif(
        tmp_path / "u.tif", tags={"TIFFTAG_DATETIME": "2023:10:06 11:00:00", "DATETIME": "soon"}
    )
    with open_source(only) as src:
        when, name, unparsed = acquisition_from_tags(src.dataset)
    assert when == datetime(2023, 10, 6, 11, tzinfo=UTC) and name == "TIFFTAG_DATETIME"
    assert unparsed == ["DATETIME='soon'"]


def test_world_file_is_pixel_centre_based(tmp_path):
    wf = tmp_path / "x.pgw"
    wf.write_text("0.5\n0\n0\n-0.5\n1000.25\n2000.75\n")
    assert read_world_file(wf, tmp_path / "x.png") == Affine(0.5, 0, 1000.0, 0, -0.5, 2001.0)
    wf.write_text("0.5\n0\n0\n")
    with pytest.raises(ImageryError, match="six numbers"):
        read_world_file(wf, tmp_path / "x.png")


def test_png_with_world_file_and_sidecar_crs(tmp_path):
    png = write_plain(tmp_path / "s.png")
    t = utm_transform(0.5, 120, 80)
    (tmp_path / "s.pgw").write_text(f"{t.a}\n0\n0\n{t.e}\n{t.c + t.a / 2}\n{t.f + t.e / 2}\n")
    write_json(tmp_path / "s.png.json", {"crs": "EPSG:32652"})
    with open_source(png) as src:
        assert src.crs.to_epsg() == 32652
        assert src.transform.almost_equals(t)
        assert src.georef["crs"] == "sidecar s.png.json"
        assert src.georef["transform"].startswith("world file")


def test_png_sidecar_bounds(tmp_path):
    png = write_plain(tmp_path / "b.png", width=100, height=50)
    write_json(tmp_path / "b.json", {"crs": "EPSG:4326", "bounds": [130.60, 42.42, 130.61, 42.425]})
    with open_source(png) as src:
        assert src.bounds == pytest.approx((130.60, 42.42, 130.61, 42.425))
        assert src.transform.a == pytest.approx(0.0001)


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"crs": "EPSG:999999", "bounds": [0, 0, 1, 1]}, "is not a CRS"),
        ({"crs": "EPSG:4326", "transform": [1, 2, 3]}, "6 finite numbers"),
        ({"crs": "EPSG:4326", "bounds": [1, 1, 0, 0]}, "min < max"),
        (
            {"crs": "EPSG:4326", "bounds": [0, 0, 1, 1], "transform": [1, 0, 0, 0, -1, 0]},
            "not both",
        ),
        ({"crs": "EPSG:4326", "bounds": [0, 0, 1, 1], "datetime": "5 Oct"}, "ISO 8601"),
        ({"crs": "EPSG:4326", "bounds": [0, 0, 1, 1], "gsd": -1}, "positive"),
        ([1, 2], "JSON object"),
        ({"colour": "red"}, "none of the fields"),
    ],
)
def test_bad_sidecars(tmp_path, doc, message):
    png = write_plain(tmp_path / "p.png")
    write_json(tmp_path / "p.png.json", doc)
    with pytest.raises(ImageryError, match=message) as info:
        open_source(png)
    assert "p.png" in str(info.value)


def test_dimension_limits_are_documented_constants():
    assert MAX_PIXELS == 2**31 and MAX_SIDE == 1_000_000
