"""Images by URL: a COG on a web server is added, read by ranges and counted like a local file."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.enums import Resampling

from http_range import serve
from railwatch import service
from railwatch.errors import ImageryError
from railwatch.imagery import ingest, list_images, open_source
from railwatch.imagery.ingest import remote_identity
from railwatch.imagery.location import display_name, is_remote, remote_url, vsi_path
from railwatch.sites import builtin
from test_detect_store import rendered_scenes
from test_imagery import utm_transform, write_plain


@pytest.fixture
def site_store(store):
    service.add_sites(store, builtin())
    return store


def _images(store) -> list:
    return list_images(store, site="tumangang")


def write_cog(path: Path, size: int = 2048) -> Path:
    """A tiled, compressed, overviewed GeoTIFF of noise: too big to be read whole by accident."""
    rng = np.random.default_rng(7)
    data = rng.integers(0, 255, (1, size, size), dtype=np.uint8)
    profile = dict(
        driver="GTiff",
        width=size,
        height=size,
        count=1,
        dtype="uint8",
        crs="EPSG:32652",
        transform=utm_transform(0.5, size, size),
        tiled=True,
        blockxsize=256,
        blockysize=256,
        compress="deflate",
    )
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(data)
        ds.update_tags(TIFFTAG_DATETIME="2023:10:05 02:13:00")
        ds.build_overviews([2, 4, 8], Resampling.average)
    return path


def test_url_spellings() -> None:
    url = "https://example.org/cogs/scene%201.tif"
    assert remote_url(url) == url
    assert remote_url("/vsicurl/" + url) == url
    assert remote_url("/vsis3/bucket/key/a.tif") == "s3://bucket/key/a.tif"
    assert remote_url("s3://bucket/key/a.tif") == "s3://bucket/key/a.tif"
    assert vsi_path("s3://bucket/key/a.tif") == "/vsis3/bucket/key/a.tif"
    assert vsi_path(url) == "/vsicurl/" + url
    assert display_name(url) == "scene 1.tif"
    for local in ["scene.tif", "/data/scene.tif", "C:/data/x.tif", Path("https://x/y.tif")]:
        assert not is_remote(local), local
    assert not is_remote("/vsicurl/not-a-url")


def test_add_by_url_reads_ranges_and_is_found_again(tmp_path, site_store) -> None:
    cog = write_cog(tmp_path / "scene.tif")
    with serve(tmp_path) as web:
        url = web.url_of("scene.tif")
        [(image, action)] = ingest(site_store, [url], site="tumangang")
        assert action == "added"
        assert image.path == url
        read = web.bytes_sent
        # The header and the tiles under the site's centre, not the file.
        assert 0 < read < cog.stat().st_size / 5, (read, cog.stat().st_size)
        assert all(r[2] is not None for r in web.requests if r[0] == "GET")
        # Another spelling of the same URL is the same image; nothing is added.
        [(again, action)] = ingest(site_store, ["/vsicurl/" + url], site="tumangang")
        assert (again.id, action) == (image.id, "already stored")
        with open_source(url) as src:
            assert src.file_bytes == cog.stat().st_size
    [stored] = _images(site_store)
    assert stored.sha256 == image.sha256
    assert stored.acquired_at.isoformat().startswith("2023-10-05T02:13")
    assert stored.format == "GTiff"
    # The same place on the globe as the file added from disk.
    local_store_path = tmp_path / "local.db"
    from railwatch.store import open_store

    local = open_store(local_store_path, create=True)
    try:
        service.add_sites(local, builtin())
        [(from_disk, _)] = ingest(local, [cog], site="tumangang")
    finally:
        local.close()
    assert from_disk.footprint == stored.footprint
    assert (from_disk.width, from_disk.height, from_disk.gsd_m) == (
        stored.width,
        stored.height,
        stored.gsd_m,
    )
    assert from_disk.sha256 != stored.sha256  # a content hash there, a remote identity here


def test_replaced_file_at_the_same_url_is_a_new_image(tmp_path, site_store) -> None:
    write_cog(tmp_path / "scene.tif")
    with serve(tmp_path) as web:
        url = web.url_of("scene.tif")
        [(first, _)] = ingest(site_store, [url], site="tumangang")
        with open_source(url) as src:
            window = src.window_for(_site_geometry())
            assert remote_identity(src, window) == first.sha256
        # Different pixels, same header: GDAL's cache must not answer for the old file.
        with rasterio.open(tmp_path / "scene.tif", "r+") as ds:
            ds.write(np.zeros((1, 2048, 2048), dtype=np.uint8))
        with rasterio.Env(CPL_VSIL_CURL_NON_CACHED=f"/vsicurl/{web.url}"):
            [(second, action)] = ingest(site_store, [url], site="tumangang")
    assert action == "added" and second.id != first.id


def _site_geometry() -> dict:
    return next(s for s in builtin() if s.slug == "tumangang").geometry


def test_bad_urls_are_refused_by_name_and_nothing_is_stored(tmp_path, site_store) -> None:
    write_cog(tmp_path / "good.tif", size=512)
    (tmp_path / "notes.txt").write_text("not an image at all, just some words")
    write_plain(tmp_path / "plain.png")
    shutil.copy(tmp_path / "plain.png", tmp_path / "plain2.png")
    (tmp_path / "plain2.png.json").write_text('{"crs": "EPSG:32652", "bounds": [0, 0, 1, 1]}')
    with serve(tmp_path) as web:
        cases = {
            "missing.tif": "no such file on the server (HTTP 404)",
            "notes.txt": "not an image format railwatch reads",
            "plain.png": "a remote image must carry its own",
            "plain2.png": "a remote image must carry its own",  # no sidecar looked for
        }
        for name, expected in cases.items():
            url = web.url_of(name)
            with pytest.raises(ImageryError) as err:
                ingest(site_store, [web.url_of("good.tif"), url], site="tumangang")
            assert str(err.value).startswith(f"{url}: "), err.value
            assert expected in str(err.value), err.value
            assert not any("plain2.png.json" in r[1] for r in web.requests)
    assert _images(site_store) == []  # the good one went down with the batch


def test_cli_takes_urls_whole(tmp_path, cli) -> None:
    write_cog(tmp_path / "scene.tif", size=512)
    cli("sites", "add", "--builtin")
    with serve(tmp_path) as web:
        url = web.url_of("scene.tif")
        [image] = cli.json("images", "add", url, "--site", "tumangang")["images"]
        assert image["path"] == url and image["action"] == "added"
        listed = cli("images", "list", "--site", "tumangang")
        assert "scene.tif" in listed.stdout


def test_detections_from_a_url_equal_those_from_the_file(tmp_path, site_store) -> None:
    from railwatch.detect import run_store
    from railwatch.store import open_store

    [scene] = rendered_scenes(tmp_path / "www", 1, seed=500, cars=12, more_cars=0)
    local = open_store(tmp_path / "local.db", create=True)
    try:
        service.add_sites(local, builtin())
        ingest(local, [scene], site="tumangang")
        run_store(local, ["tumangang"])
        expected = sorted(
            (o.railcar_class, o.count) for o in service.list_observations(local, site="tumangang")
        )
    finally:
        local.close()
    with serve(tmp_path / "www") as web:
        url = web.url_of(f"{scene.parent.name}/image.tif")
        ingest(site_store, [url], site="tumangang")
        run = run_store(site_store, ["tumangang"])
        assert run.skipped == [] and len(run.results) == 1
    got = sorted(
        (o.railcar_class, o.count) for o in service.list_observations(site_store, site="tumangang")
    )
    assert got == expected and sum(c for _, c in got) > 0
    assert {o.source for o in service.list_observations(site_store, site="tumangang")} == {url}


def test_map_thumbnail_and_review_export_read_urls(tmp_path) -> None:
    """The web map and the training export take a stored URL like a stored path."""
    from PIL import Image as PILImage

    from railwatch.review.export import _write_tiff
    from railwatch.web.tiles import TileRenderer

    cog = write_cog(tmp_path / "scene.tif", size=512)
    with serve(tmp_path) as web:
        url = web.url_of("scene.tif")
        png = TileRenderer().thumbnail(url, "x" * 64, 1, 128)
        _write_tiff(url, tmp_path / "copy.tif")
    assert max(PILImage.open(io.BytesIO(png)).size) == 128
    with rasterio.open(cog) as a, rasterio.open(tmp_path / "copy.tif") as b:
        assert (a.crs, a.transform, a.shape) == (b.crs, b.transform, b.shape)
        assert np.array_equal(a.read(), b.read())


def test_s3_urls_go_through_gdal_to_the_bucket(tmp_path, site_store, monkeypatch) -> None:
    """``s3://bucket/key`` is read by GDAL's S3 client, here pointed at a local endpoint."""
    (tmp_path / "team-bucket" / "tumangang").mkdir(parents=True)
    write_cog(tmp_path / "team-bucket" / "tumangang" / "scene.tif", size=512)
    with serve(tmp_path) as web:
        for name, value in {
            "AWS_S3_ENDPOINT": web.url.removeprefix("http://"),
            "AWS_HTTPS": "NO",
            "AWS_VIRTUAL_HOSTING": "FALSE",
            "AWS_NO_SIGN_REQUEST": "YES",
        }.items():
            monkeypatch.setenv(name, value)
        url = "s3://team-bucket/tumangang/scene.tif"
        [(image, action)] = ingest(
            site_store, ["/vsis3/team-bucket/tumangang/scene.tif"], site="tumangang"
        )
        assert (image.path, action) == (url, "added")
        assert any(r[1].startswith("/team-bucket/tumangang/scene.tif") for r in web.requests)
        with open_source(url) as src:
            assert src.file_bytes is None  # only a web server is asked for a size
            assert src.read().shape == (1, 512, 512)
