"""railwatch images add/list/show on real images made on the fly, and every kind of bad input."""

from __future__ import annotations

import json
import math
import struct
import zlib
from pathlib import Path

import pytest
from shapely.geometry import Point, shape
from tests.test_cli_store import table_counts
from tests.test_imagery import (
    LAT,
    LON,
    geo_transform,
    utm_transform,
    write_json,
    write_plain,
    write_tif,
)

WHEN = "2023-10-05T02:13:00Z"


@pytest.fixture
def sited(cli):
    cli("sites", "add", "--builtin")
    return cli


def add(cli, *args):
    return cli.json("images", "add", *map(str, args), "--site", "tumangang")["images"]


def test_utm_geotiff_with_acquisition_tag(sited, tmp_path):
    t = utm_transform(0.5, 600, 400)
    path = write_tif(
        tmp_path / "utm.tif",
        transform=t,
        width=600,
        height=400,
        ns_tags={"IMD": {"ACQUISITION_DATETIME": WHEN}},
    )
    [img] = add(sited, path)
    assert img["action"] == "added" and img["id"] == 1
    assert img["crs"] == "EPSG:32652" and img["format"] == "GTiff"
    assert img["bounds"] == pytest.approx([t.c, t.f - 200, t.c + 300, t.f], abs=1e-6)
    assert img["gsd_m"] == pytest.approx(0.5, rel=0.01)
    assert img["acquired_at"] == WHEN
    assert (img["width"], img["height"], img["bands"], img["dtype"]) == (600, 400, 3, "uint8")
    assert img["path"] == str(path.resolve()) and len(img["sha256"]) == 64
    assert shape(img["footprint"]).contains(Point(LON, LAT))
    meta = sited.json("images", "show", "1")["meta"]
    assert meta["datetime_source"] == "tag IMD:ACQUISITION_DATETIME"
    assert meta["gsd_source"] == "transform" and meta["tiled"] is False


def test_geographic_geotiff_gsd_in_metres(sited, tmp_path):
    deg = 4e-6  # ~0.33 m × 0.44 m at 42° N
    path = write_tif(
        tmp_path / "geo.tif",
        crs="EPSG:4326",
        transform=geo_transform(deg, 500, 500),
        width=500,
        height=500,
        tags={"TIFFTAG_DATETIME": "2023:10:05 02:13:00"},
    )
    [img] = add(sited, path)
    assert img["crs"] == "EPSG:4326"
    lat = math.radians(LAT)
    expected = deg * ((111412.84 * math.cos(lat)) + (111132.92 - 559.82 * math.cos(2 * lat))) / 2
    assert img["gsd_m"] == pytest.approx(expected, rel=0.01)
    assert img["bounds"][0] == pytest.approx(LON - deg * 250) and img["acquired_at"] == WHEN


def test_tiled_cog_like_with_overviews_and_stac_beside(sited, tmp_path):
    path = write_tif(
        tmp_path / "cog.tif",
        transform=utm_transform(0.3, 1024, 1024),
        width=1024,
        height=1024,
        tiled=True,
        blockxsize=256,
        blockysize=256,
        compress="deflate",
        overviews=True,
    )
    write_json(
        tmp_path / "cog.tif.stac.json",
        {
            "type": "Feature",
            "stac_version": "1.0.0",
            "id": "x",
            "properties": {
                "datetime": "2023-10-05T02:13:00Z",
                "gsd": 0.31,
                "constellation": "pleiades",
            },
        },
    )
    [img] = add(sited, path)
    assert img["acquired_at"] == WHEN and img["provider"] == "pleiades"
    assert img["gsd_m"] == pytest.approx(0.31)
    meta = sited.json("images", "show", str(img["id"]))["meta"]
    assert meta["tiled"] is True and meta["cog"] is True and meta["overviews"] == [2, 4, 8]
    assert meta["block_shape"] == [256, 256] and meta["compression"] == "DEFLATE"
    assert meta["datetime_source"] == "STAC cog.tif.stac.json"
    assert meta["gsd_source"] == "STAC properties.gsd"
    assert meta["gsd_transform_m"] == pytest.approx(0.3, rel=0.01)
    assert meta["verified"]["blocks_checked"] == 16


def test_uint16_four_band_with_stac_option_and_overrides(sited, tmp_path):
    path = write_tif(
        tmp_path / "ms.tif", count=4, dtype="uint16", transform=utm_transform(2.0, 400, 300)
    )
    stac = write_json(
        tmp_path / "item.json",
        {
            "type": "Feature",
            "stac_version": "1.0.0",
            "properties": {"datetime": "2023-09-30T01:00:00Z", "providers": [{"name": "Maxar"}]},
        },
    )
    [img] = add(sited, path, "--stac", stac, "--acquired", WHEN, "--provider", "analyst upload")
    assert (img["bands"], img["dtype"]) == (4, "uint16")
    assert img["acquired_at"] == WHEN and img["provider"] == "analyst upload"
    assert img["gsd_m"] == pytest.approx(2.0, rel=0.01)


def test_png_with_sidecar(sited, tmp_path):
    png = write_plain(tmp_path / "scene.png", width=200, height=100)
    write_json(
        tmp_path / "scene.png.json",
        {
            "crs": "EPSG:4326",
            "bounds": [130.605, 42.420, 130.611, 42.423],
            "datetime": "2023-10-05T02:13:00Z",
            "provider": "sidecar co",
        },
    )
    [img] = add(sited, png)
    assert img["format"] == "PNG" and img["crs"] == "EPSG:4326" and img["provider"] == "sidecar co"
    assert img["bounds"] == pytest.approx([130.605, 42.420, 130.611, 42.423])
    assert img["acquired_at"] == WHEN
    # 0.006° lon / 200 px and 0.003° lat / 100 px at 42.42° N
    lat = math.radians(42.4215)
    expected = (0.00003 * 111412.84 * math.cos(lat) + 0.00003 * 111053.0) / 2
    assert img["gsd_m"] == pytest.approx(expected, rel=0.01)
    assert not list(tmp_path.glob("*.aux.xml"))  # ingestion writes nothing beside the image


def test_jpeg_with_world_file_and_prj(sited, tmp_path):
    jpg = write_plain(tmp_path / "scene.jpg", driver="JPEG", width=160, height=120)
    t = utm_transform(0.5, 160, 120)
    (tmp_path / "scene.jgw").write_text(f"0.5\n0\n0\n-0.5\n{t.c + 0.25}\n{t.f - 0.25}\n")
    from rasterio.crs import CRS

    (tmp_path / "scene.prj").write_text(CRS.from_epsg(32652).to_wkt())
    [img] = add(sited, jpg, "--acquired", WHEN, "--gsd", "0.55")
    assert img["format"] == "JPEG" and img["crs"] == "EPSG:32652"
    assert img["bounds"] == pytest.approx([t.c, t.f - 60, t.c + 80, t.f], abs=1e-6)
    assert img["gsd_m"] == 0.55  # --gsd wins, within 20 %: no warning


def test_gsd_override_far_from_transform_warns(sited, tmp_path):
    path = write_tif(tmp_path / "w.tif", tags={"TIFFTAG_DATETIME": "2023:10:05 02:13:00"})
    result = sited("images", "add", path, "--site", "tumangang", "--gsd", "2", "--json")
    assert "GSD" in result.stderr and "0.5" in result.stderr
    import json

    assert json.loads(result.stdout)["images"][0]["gsd_m"] == 2.0


def test_second_add_is_already_stored(sited, tmp_path, db_path):
    path = write_tif(tmp_path / "same.tif", tags={"TIFFTAG_DATETIME": "2023:10:05 02:13:00"})
    assert add(sited, path)[0]["action"] == "added"
    again = sited("images", "add", path, "--site", "tumangang")
    assert "already stored" in again.stderr
    copy = tmp_path / "copy.tif"
    copy.write_bytes(path.read_bytes())
    assert add(sited, copy)[0]["action"] == "already stored"
    assert table_counts(db_path)["images"] == 1
    # the same file is a new image for another site it covers (Khasan is next door)
    listed = sited.json("images", "list", "--site", "tumangang")["images"]
    assert [i["id"] for i in listed] == [1]


def test_same_file_added_by_another_process_meanwhile_is_already_stored(
    sited, tmp_path, db_path, monkeypatch
):
    """Two `images add` of one file racing: the loser reads "already stored", not a DB error."""
    from railwatch.store import images as image_rows

    path = write_tif(tmp_path / "raced.tif", tags={"TIFFTAG_DATETIME": "2023:10:05 02:13:00"})
    assert add(sited, path)[0]["action"] == "added"  # the other process, already committed
    real_find, calls = image_rows.find, []

    def find_before_the_other_commit(*args, **kwargs):
        calls.append(1)
        return None if len(calls) == 1 else real_find(*args, **kwargs)

    monkeypatch.setattr(image_rows, "find", find_before_the_other_commit)
    assert add(sited, path)[0]["action"] == "already stored"
    assert len(calls) == 2 and table_counts(db_path)["images"] == 1


def test_several_files_list_in_time_order(sited, tmp_path):
    paths = []
    for i, day in enumerate(["2023-10-05", "2019-06-01", "2021-03-15"]):
        paths.append(
            write_tif(
                tmp_path / f"s{i}.tif",
                width=100 + i,
                height=100,
                tags={"TIFFTAG_DATETIME": day.replace("-", ":") + " 02:00:00"},
            )
        )
    done = add(sited, *paths, paths[0])
    assert [d["action"] for d in done] == ["added"] * 3 + ["already stored"]
    listed = sited.json("images", "list", "--site", "tumangang")["images"]
    assert [i["acquired_at"][:10] for i in listed] == ["2019-06-01", "2021-03-15", "2023-10-05"]
    assert set(listed[0]) == set(done[0]) - {"action"}
    text = sited("images", "list").stdout
    assert "s1.tif" in text and "2019-06-01" in text
    shown = sited("images", "show", "2").stdout
    assert "s1.tif" in shown and "tag TIFFTAG_DATETIME" in shown


def test_big_sparse_tiled_image_is_ingested_without_decoding_it(sited, tmp_path):
    # 40 000² × 3 bytes would be 4.8 GB decoded; nothing is written, so the file is tiny
    path = _sparse(tmp_path / "big.tif", 40000)
    [img] = add(sited, path)
    assert (img["width"], img["height"]) == (40000, 40000)
    meta = sited.json("images", "show", "1")["meta"]
    c, r, w, h = meta["site_window"]
    assert 0 < w < 7000 and 0 < h < 3000  # the site at 0.5 m, not the whole image


def _sparse(path: Path, side: int) -> Path:
    import rasterio

    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=side,
        height=side,
        count=3,
        dtype="uint8",
        crs="EPSG:32652",
        transform=utm_transform(0.5, side, side),
        tiled=True,
        blockxsize=512,
        blockysize=512,
        compress="deflate",
        sparse_ok=True,
    ) as ds:
        ds.update_tags(TIFFTAG_DATETIME="2023:10:05 02:13:00")
    return path


# -- bad input: exit 2, one line naming the file and the problem, store unchanged ---------


def _png_header(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (
        b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + chunk + struct.pack(">I", zlib.crc32(chunk))
    )


def _bad_inputs(tmp: Path) -> dict[str, tuple[Path, str]]:
    good = write_tif(tmp / "good.tif", tags={"TIFFTAG_DATETIME": "2023:10:05 02:13:00"})
    data = good.read_bytes()
    big = write_tif(
        tmp / "bigsrc.tif",
        width=800,
        height=800,
        tags={"TIFFTAG_DATETIME": "2023:10:05"},
        tiled=True,
        blockxsize=256,
        blockysize=256,
    )
    cases: dict[str, tuple[Path, str]] = {}
    trunc = tmp / "truncated.tif"
    trunc.write_bytes(big.read_bytes()[: big.stat().st_size * 2 // 3])
    cases["truncated"] = (trunc, "truncated")
    # a COG keeps its header first, so a cut file still opens: the block check catches it
    import rasterio.shutil

    cog = tmp / "cog.tif"
    rasterio.shutil.copy(big, cog, driver="COG", blocksize=256, compress="deflate")
    cut = tmp / "cut_cog.tif"
    cut.write_bytes(cog.read_bytes()[: cog.stat().st_size * 2 // 3])
    cases["truncated cog"] = (cut, "truncated: block")
    corrupt = tmp / "corrupt.tif"
    corrupt.write_bytes(data[:8] + bytes(reversed(data[8:200])))
    cases["corrupt"] = (corrupt, "corrupt")
    txt = tmp / "notes.txt"
    txt.write_text("railcars everywhere\n")
    cases["text"] = (txt, "not an image format")
    gif = tmp / "anim.gif"
    gif.write_bytes(b"GIF89a" + bytes(40))
    cases["gif"] = (gif, "GIF is not supported")
    cut_png = write_plain(tmp / "cut.png", width=300, height=300)
    cut_png.write_bytes(cut_png.read_bytes()[: cut_png.stat().st_size // 2])
    write_json(
        tmp / "cut.png.json",
        {"crs": "EPSG:4326", "bounds": [130.60, 42.42, 130.61, 42.425], "datetime": WHEN},
    )
    cases["truncated png"] = (cut_png, "corrupt or truncated")
    cases["plain png"] = (write_plain(tmp / "plain.png"), "no georeferencing")
    far = write_tif(
        tmp / "far.tif",
        transform=utm_transform(0.5, 100, 100, lon=129.0, lat=40.0),
        width=100,
        height=100,
        tags={"TIFFTAG_DATETIME": "2023:10:05 02:13:00"},
    )
    cases["outside"] = (far, "does not cover site 'tumangang'")
    wide = tmp / "wide.png"
    wide.write_bytes(_png_header(2_000_000, 10) + bytes(100))
    cases["wide png"] = (wide, "over the limit")
    cases["too many pixels"] = (_sparse(tmp / "huge.tif", 50000), "over the limit")
    sidecar_png = write_plain(tmp / "side.png")
    (tmp / "side.png.json").write_text("{crs: EPSG:4326")
    cases["bad sidecar"] = (sidecar_png, "not valid JSON")
    cases["missing"] = (tmp / "nowhere.tif", "no such file")
    world = write_plain(tmp / "world.png")
    (tmp / "world.pgw").write_text("0.5\n0\n0\n-0.5\n632000\n4698000\n")
    cases["world file no crs"] = (world, "no CRS")
    undated = write_tif(tmp / "undated.tif")
    cases["no date"] = (undated, "--acquired")
    empty = tmp / "empty.tif"
    empty.write_bytes(b"")
    cases["empty"] = (empty, "empty file")
    return cases


BAD = [
    "truncated",
    "truncated cog",
    "truncated png",
    "corrupt",
    "text",
    "gif",
    "plain png",
    "outside",
    "wide png",
    "too many pixels",
    "bad sidecar",
    "missing",
    "world file no crs",
    "no date",
    "empty",
]


@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory) -> tuple[Path, dict[str, tuple[Path, str]]]:
    tmp = tmp_path_factory.mktemp("bad")
    return tmp, _bad_inputs(tmp)


@pytest.mark.parametrize("case", BAD)
def test_bad_input_changes_nothing(sited, db_path, bad_inputs, case):
    tmp, cases = bad_inputs
    path, message = cases[case]
    good = tmp / "good.tif"
    before = table_counts(db_path)
    # alone, then after a good file in the same batch: nothing is stored either way
    for args in ([path], [good, path]):
        result = sited("images", "add", *args, "--site", "tumangang", ok=False)
        assert result.exit_code == 2, result.stdout
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert lines[-1].startswith("error: ") and str(path) in lines[-1], result.stderr
        assert message in lines[-1]
        assert table_counts(db_path) == before


def test_unknown_site_and_bad_options_change_nothing(sited, tmp_path, db_path):
    path = write_tif(tmp_path / "ok.tif", tags={"TIFFTAG_DATETIME": "2023:10:05 02:13:00"})
    before = table_counts(db_path)
    r = sited("images", "add", path, "--site", "nowhere", ok=False)
    assert r.exit_code == 2 and "unknown site 'nowhere'" in r.stderr
    r = sited("images", "add", path, "--site", "tumangang", "--acquired", "yesterday", ok=False)
    assert r.exit_code == 2 and "ISO 8601" in r.stderr
    r = sited("images", "add", path, "--site", "tumangang", "--gsd", "-1", ok=False)
    assert r.exit_code == 2 and "--gsd" in r.stderr and "ok.tif" in r.stderr
    r = sited("images", "add", path, "--site", "tumangang", "--acquired", "1900-01-01", ok=False)
    assert r.exit_code == 2 and "1900-01-01 is before 1959" in r.stderr
    stac = write_json(tmp_path / "item.json", {"type": "Feature"})
    r = sited("images", "add", path, "--site", "tumangang", "--stac", stac, ok=False)
    assert r.exit_code == 2 and "not a STAC item" in r.stderr and "item.json" in r.stderr
    assert table_counts(db_path) == before
    r = sited("images", "show", "42", ok=False)
    assert r.exit_code == 2 and "no image with id 42" in r.stderr
    r = sited("images", "list", "--site", "nowhere", ok=False)
    assert r.exit_code == 2 and "unknown site" in r.stderr


def test_list_json_is_only_json(sited, tmp_path):
    write_tif(tmp_path / "a.tif", tags={"TIFFTAG_DATETIME": "2023:10:05 02:13:00"})
    sited("images", "add", tmp_path / "a.tif", "--site", "tumangang")
    import json

    result = sited("images", "list", "--json")
    assert [i["site"] for i in json.loads(result.stdout)["images"]] == ["tumangang"]


# -- cloud cover -------------------------------------------------------------------


def _stac(path: Path, **props) -> Path:
    doc = {"type": "Feature", "stac_version": "1.0.0", "id": "x", "properties": props}
    return write_json(path, doc)


def test_cloud_cover_comes_from_the_metadata_that_says_it(sited, tmp_path):
    dated = {"TIFFTAG_DATETIME": "2023:10:05 02:13:00"}
    # A 0-1 fraction tag (railwatch's simulator), a percent tag in a vendor domain.
    frac = write_tif(tmp_path / "frac.tif", tags={**dated, "CLOUD_FRACTION": "0.4378"})
    pct = write_tif(tmp_path / "pct.tif", tags=dated, ns_tags={"IMD": {"cloudCover": "12"}})
    none = write_tif(tmp_path / "none.tif", tags={"TIFFTAG_DATETIME": "2023:10:06 02:13:00"})
    # STAC wins over the tag; --cloud-cover wins over both.
    stac = write_tif(tmp_path / "stac.tif", tags={**dated, "CLOUD_COVER": "90"})
    _stac(tmp_path / "stac.tif.stac.json", datetime=WHEN, **{"eo:cloud_cover": 3.5})
    by_name = {Path(i["path"]).name: i for i in add(sited, frac, pct, none, stac)}
    assert by_name["frac.tif"]["cloud_cover"] == pytest.approx(43.78)
    assert by_name["pct.tif"]["cloud_cover"] == 12
    assert by_name["none.tif"]["cloud_cover"] is None
    assert by_name["stac.tif"]["cloud_cover"] == 3.5
    meta = sited.json("images", "show", str(by_name["pct.tif"]["id"]))["meta"]
    assert meta["cloud_cover_source"] == "tag IMD:cloudCover"
    meta = sited.json("images", "show", str(by_name["stac.tif"]["id"]))["meta"]
    assert meta["cloud_cover_source"] == "STAC eo:cloud_cover"
    over = write_tif(tmp_path / "over.tif", tags={**dated, "CLOUD_COVER": "91"})
    [img] = add(sited, over, "--cloud-cover", "0")
    assert img["action"] == "added" and img["cloud_cover"] == 0
    # An analyst sets it afterwards; the listing shows it.
    image_id = by_name["none.tif"]["id"]
    shown = sited.json("images", "cloud", str(image_id), "60")
    assert shown["cloud_cover"] == 60
    meta = sited.json("images", "show", str(image_id))["meta"]
    assert meta["cloud_cover_source"] == "analyst"
    listed = {i["id"]: i["cloud_cover"] for i in sited.json("images", "list")["images"]}
    assert listed[image_id] == 60 and listed[by_name["pct.tif"]["id"]] == 12


def test_a_nonsense_cloud_tag_is_kept_for_the_record_not_used(sited, tmp_path):
    tags = {"TIFFTAG_DATETIME": "2023:10:05 02:13:00", "CLOUD_COVER": "lots"}
    [img] = add(sited, write_tif(tmp_path / "odd.tif", tags=tags))
    assert img["cloud_cover"] is None
    meta = sited.json("images", "show", str(img["id"]))["meta"]
    assert meta["unreadable_cloud_tags"] == ["CLOUD_COVER='lots'"]


def test_bad_cloud_cover_is_refused_and_changes_nothing(sited, tmp_path, db_path):
    path = write_tif(tmp_path / "ok.tif", tags={"TIFFTAG_DATETIME": "2023:10:05 02:13:00"})
    before = table_counts(db_path)
    r = sited("images", "add", path, "--site", "tumangang", "--cloud-cover", "140", ok=False)
    assert r.exit_code == 2 and "--cloud-cover" in r.stderr and "ok.tif" in r.stderr
    _stac(tmp_path / "ok.tif.stac.json", datetime=WHEN, **{"eo:cloud_cover": "cloudy"})
    r = sited("images", "add", path, "--site", "tumangang", ok=False)
    assert r.exit_code == 2 and "eo:cloud_cover" in r.stderr and "ok.tif.stac.json" in r.stderr
    assert table_counts(db_path) == before
    (tmp_path / "ok.tif.stac.json").unlink()
    [img] = add(sited, path)
    r = sited("images", "cloud", str(img["id"]), "150", ok=False)
    assert r.exit_code == 2 and "0 to 100" in r.stderr
    r = sited("images", "cloud", "99", "5", ok=False)
    assert r.exit_code == 2 and "no image with id 99" in r.stderr
    assert sited.json("images", "show", str(img["id"]))["cloud_cover"] is None


# -- absurd georeferencing, corrections, removal ------------------------------------


def _sidecar_png(tmp_path: Path, crs: str, transform: list[float], name: str = "geo") -> Path:
    png = tmp_path / f"{name}.png"
    if not png.exists():
        write_plain(png, width=400, height=400)
    write_json(
        tmp_path / f"{name}.png.json", {"crs": crs, "transform": transform, "datetime": WHEN}
    )
    return png


def _utm_origin() -> tuple[float, float]:
    t = utm_transform(0.5, 100, 100)
    return t.c, t.f


@pytest.mark.parametrize(
    ("crs", "transform", "message"),
    [
        ("EPSG:3857", [1e300, 0, 14539000, 0, -1e300, 5223000], "off the Earth"),
        ("EPSG:4326", [1e300, 0, LON, 0, -1e300, LAT], "from the origin"),
        ("EPSG:32652", [1e300, 0, "X", 0, -1e300, "Y"], "off the Earth"),
        ("EPSG:32652", [20000, 0, "X", 0, -20000, "Y"], "not a plausible ground sample distance"),
        ("EPSG:32652", [0.001, 0, "X", 0, -0.001, "Y"], "not a plausible ground sample distance"),
        ("EPSG:32652", [990, 0, "X-198000", 0, -990, "Y+198000"], "far larger than site"),
    ],
)
def test_absurd_georeferencing_is_refused_at_ingest(
    sited, tmp_path, db_path, crs, transform, message
):
    x, y = _utm_origin()
    values = [
        eval(v, {"X": x, "Y": y}) if isinstance(v, str) else v  # noqa: S307 - test data
        for v in transform
    ]
    png = _sidecar_png(tmp_path, crs, values)
    before = table_counts(db_path)
    r = sited("images", "add", png, "--site", "tumangang", ok=False)
    assert r.exit_code == 2, r.stdout
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {png}: "), r.stderr
    assert message in lines[0]
    assert table_counts(db_path) == before


@pytest.mark.parametrize(
    ("args", "sidecar_gsd"), [(["--gsd", "1e300"], None), ([], 5000.0), ([], 0.001)]
)
def test_declared_gsd_must_be_plausible(sited, tmp_path, db_path, args, sidecar_gsd):
    png = write_plain(tmp_path / "d.png", width=100, height=100)
    doc = {"crs": "EPSG:32652", "transform": list(utm_transform(0.5, 100, 100))[:6]}
    doc["datetime"] = WHEN
    if sidecar_gsd is not None:
        doc["gsd"] = sidecar_gsd
    write_json(tmp_path / "d.png.json", doc)
    r = sited("images", "add", png, "--site", "tumangang", *args, ok=False)
    assert r.exit_code == 2 and "plausible ground sample distance" in r.stderr, r.stderr
    assert str(png) in r.stderr and table_counts(db_path)["images"] == 0


def test_corrected_sidecar_updates_the_record_and_drops_stale_counts(sited, tmp_path, db_path):
    from tests.test_detect_slicing import BrightBoxDetector

    from railwatch.detect import run_site
    from railwatch.store import open_store

    x, y = _utm_origin()
    png = _sidecar_png(tmp_path, "EPSG:32652", [0.5, 0, x + 30, 0, -0.5, y])  # 30 m off
    [first] = add(sited, png)
    assert first["action"] == "added"
    store = open_store(db_path)
    try:
        assert len(run_site(store, "tumangang", model=BrightBoxDetector())) == 1
    finally:
        store.close()
    counted = table_counts(db_path)
    assert counted["observations"] == 7
    # Re-adding as is changes nothing; with the sidecar corrected, the record follows it.
    assert add(sited, png)[0]["action"] == "already stored"
    _sidecar_png(tmp_path, "EPSG:32652", [0.5, 0, x, 0, -0.5, y])
    r = sited("images", "add", png, "--site", "tumangang", "--json")
    [second] = json.loads(r.stdout)["images"]
    assert second["action"] == "updated" and "updated: image 1" in r.stderr
    assert second["id"] == first["id"] and second["bounds"][0] == pytest.approx(x)
    after = table_counts(db_path)
    assert after["images"] == 1 and after["observations"] == 0 and after["detections"] == 0
    # A new acquisition time moves the observations made from it, and nothing else.
    store = open_store(db_path)
    try:
        run_site(store, "tumangang", model=BrightBoxDetector())
    finally:
        store.close()
    [third] = add(sited, png, "--acquired", "2023-10-06T02:13:00Z")
    assert third["action"] == "updated" and third["acquired_at"] == "2023-10-06T02:13:00Z"
    obs = sited.json("observe", "list", "--site", "tumangang")["observations"]
    assert len(obs) == 7 and {o["observed_at"] for o in obs} == {"2023-10-06T02:13:00Z"}


def test_images_remove_takes_detections_and_observations_along(sited, tmp_path, db_path):
    from tests.test_detect_slicing import BrightBoxDetector

    from railwatch.detect import run_site
    from railwatch.store import open_store

    keep = write_tif(tmp_path / "keep.tif", tags={"TIFFTAG_DATETIME": "2023:10:04 02:13:00"})
    drop = write_tif(tmp_path / "drop.tif", tags={"TIFFTAG_DATETIME": "2023:10:05 02:13:00"})
    ids = {Path(i["path"]).name: i["id"] for i in add(sited, keep, drop)}
    store = open_store(db_path)
    try:
        run_site(store, "tumangang", model=BrightBoxDetector())
    finally:
        store.close()
    sited("observe", "add", "--site", "tumangang", "--at", "2023-10-05", "--count", "box=3")
    before = table_counts(db_path)
    r = sited("images", "remove", str(ids["drop.tif"]), "--json")
    doc = json.loads(r.stdout)
    assert doc["id"] == ids["drop.tif"] and doc["observations_removed"] == 7
    assert f"removed image {ids['drop.tif']} drop.tif" in r.stderr
    after = table_counts(db_path)
    assert after["images"] == before["images"] - 1
    assert after["observations"] == before["observations"] - 7  # the analyst's count stays
    assert after["detections"] == before["detections"] - doc["detections_removed"]
    assert [i["id"] for i in sited.json("images", "list")["images"]] == [ids["keep.tif"]]
    assert drop.exists()  # the file is not ours to delete
    for bad in (str(ids["drop.tif"]), "99999999999999999999", "0"):
        r = sited("images", "remove", bad, ok=False)
        assert r.exit_code == 2 and r.stderr.startswith("error: no image with id"), r.stderr
        assert len(r.stderr.splitlines()) == 1
    assert table_counts(db_path) == after
    # the file can come back, as a new image
    assert add(sited, drop)[0]["action"] == "added"


@pytest.mark.parametrize("command", ["show", "cloud"])
def test_huge_image_ids_are_not_found_not_a_traceback(sited, command):
    args = ["images", command, "99999999999999999999"] + (["5"] if command == "cloud" else [])
    r = sited(*args, ok=False)
    assert (
        r.exit_code == 2
        and r.stderr == "error: no image with id 99999999999999999999 in the store\n"
    )
