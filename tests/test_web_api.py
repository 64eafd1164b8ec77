"""The REST API in-process: every route, its errors, the token, read-only, reviews, export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import web_site
from railwatch import detect, service
from railwatch.web import WebSettings, create_app

TOKEN = "test-token-123456"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
V1 = "/api/v1"


@pytest.fixture
def site(store, tmp_path: Path) -> web_site.WebSite:
    return web_site.build(store, tmp_path / "images")


@pytest.fixture
def client(store, site) -> TestClient:
    return TestClient(create_app(store, WebSettings(token=TOKEN)))


def _labels_after_review(doc: dict, site: web_site.WebSite) -> list[dict]:
    """Reject the false box, add the missed flat car: what an analyst would do."""
    labels = doc["review"]["labels"]
    false_ring = site.ring(web_site.FALSE_BOX)
    out = []
    for lab in labels:
        lab = dict(lab)
        if lab["polygon"] == false_ring:
            lab["status"] = "rejected"
        out.append(lab)
    out.append(
        {
            "key": "a1",
            "railcar_class": "flat",
            "tarped": False,
            "status": "added",
            "polygon": site.ring(web_site.car_px(0))[:4],
        }
    )
    return out


def test_reads_match_the_cli_json(client, cli, site, store):
    # The CLI and the API are two edges over one service: same documents.
    assert client.get(f"{V1}/sites").json() == cli.json("sites", "list")
    assert client.get(f"{V1}/sites/tumangang").json() == cli.json("sites", "show", "tumangang")
    assert client.get(f"{V1}/sites/tumangang/images").json() == cli.json(
        "images", "list", "--site", "tumangang"
    )
    peak = site.peak.id
    assert client.get(f"{V1}/images/{peak}").json() == cli.json("images", "show", str(peak))
    assert client.get(f"{V1}/observations", params={"site": "tumangang"}).json() == cli.json(
        "observe", "list", "--site", "tumangang"
    )
    assert client.get(f"{V1}/events").json() == cli.json("events", "list")
    assert client.get(f"{V1}/models").json() == cli.json("models", "list")
    analysis = client.get(
        f"{V1}/sites/tumangang/analysis", params={"as_of": "2023-10-06", "window": "2y"}
    ).json()
    assert analysis == cli.json(
        "analyze", "--site", "tumangang", "--as-of", "2023-10-06", "--window", "2y"
    )
    assert analysis["latest"]["level"] == "unprecedented"
    assert client.get(f"{V1}/sites/tumangang/reviews").json() == cli.json(
        "review", "list", "--site", "tumangang"
    )
    assert client.get(f"{V1}/press/documents").json() == cli.json("press", "list")
    assert client.get(f"{V1}/press/comparison").json() == cli.json("press", "compare")
    assert client.get(f"{V1}/press/claims").json() == {"claims": []}


def test_timeline_has_every_date_and_the_split(client, site):
    doc = client.get(f"{V1}/sites/tumangang/timeline", params={"window": "2y"}).json()
    assert len(doc["dates"]) == len(web_site.COUNTS)
    assert [d["value"] for d in doc["dates"]] == list(web_site.COUNTS)
    last = doc["dates"][-1]
    assert last["level"] == "unprecedented"
    assert last["image_id"] == site.peak.id
    assert last["counts"]["box"] == site.detected_counts["box"]
    assert last["max"] == max(web_site.COUNTS[:-1])
    assert [e["title"] for e in doc["events"]] == ["Summit"]


def test_image_resources(client, site):
    peak = site.peak.id
    foot = client.get(f"{V1}/images/{peak}/footprint").json()
    assert foot["geometry"]["type"] == "Polygon" and foot["id"] == peak
    thumb = client.get(f"{V1}/images/{peak}/thumbnail.png", params={"size": 64})
    assert thumb.headers["content-type"] == "image/png"
    assert thumb.content[:8] == b"\x89PNG\r\n\x1a\n"
    dets = client.get(f"{V1}/images/{peak}/detections").json()
    assert dets["type"] == "FeatureCollection"
    assert len(dets["features"]) == sum(site.detected_counts.values())
    assert {f["properties"]["model_version"] for f in dets["features"]} == {web_site.MODEL}


def test_tiles_cover_the_image_and_nothing_else(client, site):
    import io
    import math

    from PIL import Image as PILImage

    lon, lat = web_site.CENTRE
    z = 19
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    r = client.get(f"{V1}/images/{site.peak.id}/tiles/{z}/{x}/{y}.png")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    tile = PILImage.open(io.BytesIO(r.content))
    # A tile wholly inside the image is opaque RGB; one over its edge is RGBA.
    assert tile.size == (256, 256) and tile.mode in ("RGB", "RGBA")
    pixels = list(tile.convert("RGBA").getdata())
    # Opaque where the image is, with its bright cars and grey ground both present.
    opaque = [p for p in pixels if p[3] == 255]
    assert len(opaque) > 0.5 * len(pixels)
    assert max(p[0] for p in opaque) > 200 and min(p[0] for p in opaque) < 80
    assert client.get(f"{V1}/images/{site.peak.id}/tiles/{z}/0/0.png").status_code == 204
    bad = client.get(f"{V1}/images/{site.peak.id}/tiles/3/9/0.png")
    assert bad.status_code == 422 and "not on the grid" in bad.json()["error"]


def _tile_xy(lon: float, lat: float, z: int) -> tuple[float, float]:
    import math

    n = 2**z
    return (lon + 180) / 360 * n, (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n


def test_a_tile_over_the_image_edge_is_transparent_outside_it(client, site):
    import io

    from PIL import Image as PILImage

    # At z17 one tile (~0.9 m a pixel) spans more than the 128 m image: its edge is inside.
    fx, fy = _tile_xy(*site.lonlat(0, 0), 17)
    r = client.get(f"{V1}/images/{site.peak.id}/tiles/17/{int(fx)}/{int(fy)}.png")
    assert r.status_code == 200
    tile = PILImage.open(io.BytesIO(r.content))
    assert tile.mode == "RGBA"
    alpha = [p[3] for p in tile.getdata()]
    assert 0 < alpha.count(0) < len(alpha) and alpha.count(255) > 0
    assert set(alpha) <= {0, 255}


def test_tiles_match_gdal_warp_and_open_the_file_once(site, monkeypatch):
    # The renderer reads a decimated window and warps it itself; the picture must be GDAL's
    # own WarpedVRT of the tile (within bilinear rounding), and panning must not reopen
    # the file or rebuild its georeferencing for every tile.
    import io

    import numpy as np
    import rasterio
    from PIL import Image as PILImage
    from rasterio.enums import Resampling
    from rasterio.transform import from_bounds
    from rasterio.vrt import WarpedVRT

    from railwatch import imagery
    from railwatch.web import tiles

    opened = []
    real_open = imagery.open_source

    def counting(path):  # type: ignore[no-untyped-def]
        opened.append(path)
        return real_open(path)

    monkeypatch.setattr(imagery, "open_source", counting)
    renderer = tiles.TileRenderer()
    image = site.peak
    fx, fy = _tile_xy(*web_site.CENTRE, 19)
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            png = renderer.tile(image.path, image.sha256, image.id, 19, int(fx) + dx, int(fy) + dy)
            assert png is not None
    assert len(opened) == 1
    bounds = tiles.tile_bounds(19, int(fx), int(fy))
    got = np.asarray(PILImage.open(io.BytesIO(png_of(renderer, image, int(fx), int(fy)))))
    with rasterio.open(image.path) as src, WarpedVRT(
        src, crs="EPSG:3857", transform=from_bounds(*bounds, 256, 256), width=256, height=256,
        resampling=Resampling.bilinear,
    ) as vrt:  # fmt: skip
        want = np.moveaxis(vrt.read([1, 2, 3]), 0, -1)
    diff = np.abs(got[..., :3].astype(int) - want.astype(int))
    assert np.median(diff) <= 1 and np.percentile(diff, 99) <= 24


def png_of(renderer, image, x: int, y: int) -> bytes:  # type: ignore[no-untyped-def]
    png = renderer.tile(image.path, image.sha256, image.id, 19, x, y)
    assert png is not None
    return png


def test_not_found_and_bad_input_are_json(client):
    for url in (
        f"{V1}/sites/nowhere",
        f"{V1}/images/999",
        f"{V1}/images/999/detections",
        f"{V1}/images/999/review",
        f"{V1}/press/documents/5",
        "/static/../../etc/passwd",
        "/static/nothing.js",
    ):
        r = client.get(url)
        assert r.status_code == 404, url
        assert "error" in r.json()
    for url, params in (
        (f"{V1}/sites/Bad Slug", {}),
        (f"{V1}/images/abc", {}),
        (f"{V1}/images/0", {}),
        (f"{V1}/sites/tumangang/analysis", {"class": "wagons"}),
        (f"{V1}/sites/tumangang/analysis", {"as_of": "soon"}),
        (f"{V1}/sites/tumangang/analysis", {"max_cloud": "120"}),
        (f"{V1}/observations", {"method": "guess"}),
    ):
        r = client.get(url, params=params)
        assert r.status_code == 422, (url, params, r.text)
        assert r.json()["error"]


def test_security_headers_and_pages(client):
    r = client.get("/")
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert client.get("/api/docs").status_code == 200
    assert (
        "/api/v1/images/{image_id}/tiles/{z}/{x}/{y}.png"
        in client.get("/api/openapi.json").json()["paths"]
    )
    assert client.get(f"{V1}/health").json()["read_only"] is False


def test_writes_need_the_token_and_nothing_is_written_without(client, site, store):
    url = f"{V1}/images/{site.peak.id}/review"
    body = {"reviewer": "kim", "labels": []}
    for headers in ({}, {"Authorization": "Bearer wrong-token"}, {"Authorization": TOKEN}):
        r = client.put(url, json=body, headers=headers)
        assert r.status_code == 401, headers
        assert r.json()["error"].startswith("missing or wrong bearer token")
        assert r.headers["www-authenticate"] == "Bearer"
        r = client.post(f"{url}/complete", json={"reviewer": "kim"}, headers=headers)
        assert r.status_code == 401
    assert client.get(url).json()["review"]["revision"] == 0
    assert service.list_observations(store, method="analyst") == []


def test_read_only_refuses_writes(store, site):
    client = TestClient(create_app(store, WebSettings(token=TOKEN, read_only=True)))
    r = client.put(
        f"{V1}/images/{site.peak.id}/review", json={"reviewer": "kim", "labels": []}, headers=AUTH
    )
    assert r.status_code == 403 and "read-only" in r.json()["error"]
    assert client.get(f"{V1}/images/{site.peak.id}/review").json()["review"]["revision"] == 0
    assert client.get(f"{V1}/sites").status_code == 200


def test_auth_all_protects_reads(store, site):
    client = TestClient(create_app(store, WebSettings(token=TOKEN, auth="all")))
    assert client.get(f"{V1}/sites").status_code == 401
    assert client.get(f"{V1}/sites", headers=AUTH).status_code == 200
    assert client.get("/").status_code == 200  # the page asks for the token itself


def test_request_size_limit(store, site):
    client = TestClient(create_app(store, WebSettings(token=TOKEN, max_body=4096)))
    big = {"reviewer": "kim", "labels": [{"railcar_class": "box", "note": "x" * 5000}]}
    r = client.put(f"{V1}/images/{site.peak.id}/review", json=big, headers=AUTH)
    assert r.status_code == 413


def test_bad_reviews_are_refused_whole(client, site, store):
    url = f"{V1}/images/{site.peak.id}/review"
    doc = client.get(url).json()
    good = doc["review"]["labels"]
    cases = [
        {"reviewer": "", "labels": good},
        {"reviewer": "kim", "labels": [dict(good[0], railcar_class="wagon")]},
        {"reviewer": "kim", "labels": [dict(good[0], status="maybe")]},
        {"reviewer": "kim", "labels": [dict(good[0], detection_id=10**6)]},
        # a drawn box far from the image, and one longer than any railcar
        {
            "reviewer": "kim",
            "labels": [
                {"railcar_class": "box", "polygon": [[0, 0], [0, 1e-4], [1e-4, 1e-4], [1e-4, 0]]}
            ],
        },  # fmt: skip
        {
            "reviewer": "kim",
            "labels": [{"railcar_class": "box", "polygon": site.ring((0, 0, 250, 6))[:4]}],
        },  # fmt: skip
        {"reviewer": "kim", "labels": "none"},
    ]
    for body in cases:
        r = client.put(url, json=body, headers=AUTH)
        assert r.status_code == 422, (body, r.text)
    assert client.get(url).json()["review"]["revision"] == 0


def test_review_changes_the_counts_the_analysis_uses(client, site, store, cli):
    url = f"{V1}/images/{site.peak.id}/review"
    doc = client.get(url).json()
    assert doc["review"]["status"] == "pending"
    assert doc["counts"] == site.detected_counts
    labels = _labels_after_review(doc, site)
    saved = client.put(
        url, json={"reviewer": "kim", "labels": labels, "base_revision": 0}, headers=AUTH
    ).json()
    assert saved["conflict"] is False and saved["review"]["revision"] == 1
    assert saved["counts"] == site.true_counts
    done = client.post(
        f"{url}/complete", json={"reviewer": "kim", "base_revision": 1}, headers=AUTH
    ).json()
    assert done["review"]["status"] == "reviewed"
    analyst = {o["railcar_class"]: o for o in done["observations"]}
    assert {k: o["count"] for k, o in analyst.items()} == site.true_counts
    assert {o["model_version"] for o in analyst.values()} == {web_site.MODEL}
    assert {o["analyst"] for o in analyst.values()} == {"kim"}
    # The detector's counts stay on record beside the analyst's.
    det = client.get(f"{V1}/observations", params={"method": "detector"}).json()
    assert sum(o["count"] for o in det["observations"] if o["image_id"] == site.peak.id) == 40
    timeline = client.get(f"{V1}/sites/tumangang/timeline", params={"window": "2y"}).json()
    last = timeline["dates"][-1]
    assert last["method"] == "analyst"
    assert last["counts"] == site.true_counts
    rows = cli.json("review", "list", "--site", "tumangang")["reviews"]
    peak_row = next(r for r in rows if r["image_id"] == site.peak.id)
    assert peak_row["status"] == "reviewed" and peak_row["reviewer"] == "kim"
    history = client.get(f"{url}/history").json()["edits"]
    assert [e["action"] for e in history] == ["save", "reviewed"]
    ops = {c["op"] for c in history[0]["changes"]}
    assert ops == {"add", "change"}


def test_concurrent_saves_later_wins_with_a_visible_conflict(client, site):
    url = f"{V1}/images/{site.peak.id}/review"
    loaded = client.get(url).json()
    mine = [dict(lab, railcar_class="tank") for lab in loaded["review"]["labels"][:1]]
    theirs = [dict(lab, tarped=True) for lab in loaded["review"]["labels"][:1]]
    first = client.put(
        url, json={"reviewer": "ana", "labels": theirs, "base_revision": 0}, headers=AUTH
    ).json()
    second = client.put(
        url, json={"reviewer": "ben", "labels": mine, "base_revision": 0}, headers=AUTH
    ).json()
    assert first["conflict"] is False
    assert second["conflict"] is True and second["review"]["revision"] == 2
    assert second["review"]["reviewer"] == "ben"
    history = client.get(f"{url}/history").json()["edits"]
    assert [(e["reviewer"], e["conflict"]) for e in history] == [("ana", False), ("ben", True)]
    # Nothing lost: ana's labels are in the log whole.
    assert history[0]["labels"][0]["tarped"] is True
    # Saving the same labels again is harmless: one more revision, no change recorded.
    again = client.put(
        url, json={"reviewer": "ben", "labels": mine, "base_revision": 2}, headers=AUTH
    ).json()
    assert again["conflict"] is False and again["edit"]["changes"] == []


def test_export_round_trip_scores_the_reviewed_labels(client, site, cli, tmp_path):
    from test_detect_slicing import BrightBoxDetector

    url = f"{V1}/images/{site.peak.id}/review"
    labels = _labels_after_review(client.get(url).json(), site)
    r = client.put(url, json={"reviewer": "kim", "labels": labels, "reviewed": True}, headers=AUTH)
    assert r.status_code == 200 and r.json()["review"]["status"] == "reviewed"
    out = tmp_path / "export"
    done = cli.json("review", "export", "--site", "tumangang", "--out", str(out))
    assert [e["image_id"] for e in done["images"]] == [site.peak.id]
    labels_doc = json.loads((out / f"image-{site.peak.id}.geojson").read_text())
    assert len(labels_doc["features"]) == sum(site.true_counts.values())
    # evaluate reads the export: the bright cars are the truth now, the false box is gone.
    report = detect.evaluate(out, BrightBoxDetector())
    assert report.overall["truth"] == sum(site.true_counts.values())
    assert report.overall["precision"] == 1.0 and report.overall["recall"] == 1.0
    scored = cli.json("evaluate", "--data", str(out), "--limit", "1")
    assert scored["overall"]["truth"] == sum(site.true_counts.values())


def test_report_downloads(client, site):
    r = client.get(f"{V1}/sites/tumangang/report.md", params={"window": "2y"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/markdown")
    assert "attachment" in r.headers["content-disposition"]
    assert "Tumangang" in r.text
    assert client.get(f"{V1}/sites/tumangang/report.exe").status_code == 422
    j = client.get(f"{V1}/sites/tumangang/judgment", params={"window": "2y"}).json()
    assert j["level"] == "unprecedented" and j["judgment"]


def test_cached_analyses_follow_the_store(client, site, store):
    first = client.get(f"{V1}/sites/tumangang/timeline", params={"window": "2y"}).json()
    assert first["dates"][-1]["method"] == "detector"
    # A change made outside the app (the CLI, another process) is seen at once.
    from railwatch import imagery

    imagery.set_cloud_cover(store, site.peak.id, 80.0)
    clouded = client.get(f"{V1}/sites/tumangang/timeline", params={"window": "2y"}).json()
    assert clouded["dates"][-1]["basis"] == "clouded"
    service.add_counts(
        store, site="tumangang", observed_at=site.peak.acquired_at, counts={"box": 3}, analyst="x"
    )
    after = client.get(f"{V1}/sites/tumangang/timeline", params={"window": "2y"}).json()
    assert after["dates"][-1]["method"] == "analyst"


def test_serve_refuses_bad_settings_in_one_line(cli):
    for args in (("--auth", "nobody"), ("--token", "short")):
        result = cli("serve", *args, ok=False)
        assert result.exit_code == 2
        assert len(result.stderr.strip().splitlines()) == 1 and "error:" in result.stderr


def test_tiles_render_in_parallel_threads(site):
    # The server renders tiles in a thread pool; GDAL's in-memory warp, shared that way,
    # now and then raised NotGeoreferencedWarning (an error under this test suite).
    import threading

    from railwatch.web import tiles

    renderer = tiles.TileRenderer()
    image = site.peak
    errors: list[str] = []

    def work(dy: int) -> None:
        for z in range(17, 23):
            fx, fy = _tile_xy(*web_site.CENTRE, z)
            for dx in (-1, 0, 1):
                try:
                    renderer.tile(image.path, image.sha256, image.id, z, int(fx) + dx, int(fy) + dy)
                except Exception as exc:  # collected: a thread's exception is lost otherwise
                    errors.append(repr(exc))

    threads = [threading.Thread(target=work, args=(dy,)) for dy in (-2, -1, 0, 1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_next_unreviewed_skips_reviewed_images_and_matches_the_cli(client, site, cli):
    ids = [im.id for im in site.images]
    r = client.post(f"{V1}/images/{ids[1]}/review/complete", json={"reviewer": "kim"}, headers=AUTH)
    assert r.status_code == 200
    labels = client.get(f"{V1}/images/{ids[2]}/review").json()["review"]["labels"]
    r = client.put(
        f"{V1}/images/{ids[2]}/review", json={"reviewer": "kim", "labels": labels}, headers=AUTH
    )
    assert r.status_code == 200 and r.json()["review"]["status"] == "in-progress"
    url = f"{V1}/sites/tumangang/reviews/next"

    def nxt(**params):
        r = client.get(url, params=params)
        assert r.status_code == 200, r.text
        return r.json()

    got = nxt(after=ids[0])
    # The reviewed image is skipped; one saved but not finished still wants review.
    assert (got["image_id"], got["status"], got["wrapped"]) == (ids[2], "in-progress", False)
    assert (got["unreviewed"], got["images"]) == (len(ids) - 1, len(ids))
    assert got["acquired_at"].startswith(site.images[2].acquired_at.strftime("%Y-%m-%d"))
    assert nxt(after=ids[2], direction="previous")["image_id"] == ids[0]
    assert nxt()["image_id"] == ids[0]
    assert nxt(direction="previous")["image_id"] == ids[-1]
    last = nxt(after=ids[-1])
    assert (last["image_id"], last["wrapped"]) == (ids[0], True)
    first = nxt(after=ids[0], direction="previous")
    assert (first["image_id"], first["wrapped"]) == (ids[-1], True)
    # The CLI is the same service function.
    assert cli.json("review", "next", "--site", "tumangang", "--after", str(ids[0])) == got
    said = cli("review", "next", "--site", "tumangang", "--after", str(ids[-1]))
    assert said.stdout.startswith(f"image {ids[0]}, ") and "(wrapped round)" in said.stdout
    assert f"{len(ids) - 1} of {len(ids)} images not yet reviewed" in said.stderr
    back = cli.json("review", "next", "--site", "tumangang", "--after", str(ids[2]), "--previous")
    assert back["image_id"] == ids[0] and back["direction"] == "previous"
    # Everything else reviewed: nothing to go to (the image itself is not an answer).
    for i in ids[2:]:
        client.post(f"{V1}/images/{i}/review/complete", json={"reviewer": "kim"}, headers=AUTH)
    done = nxt(after=ids[0])
    assert done["image_id"] is None and done["unreviewed"] == 1
    said = cli("review", "next", "--site", "tumangang", "--after", str(ids[0]))
    assert said.stdout == "" and "no other image of tumangang is unreviewed" in said.stderr
    assert nxt(after=ids[1])["image_id"] == ids[0]


def test_next_unreviewed_errors_token_and_read_only(store, site, client):
    from railwatch.records import Image
    from railwatch.store import images as image_rows

    url = f"{V1}/sites/tumangang/reviews/next"
    assert client.get(f"{V1}/sites/nowhere/reviews/next").status_code == 404
    r = client.get(url, params={"after": 999_999})
    assert r.status_code == 404 and r.json()["error"]
    for params in ({"direction": "sideways"}, {"after": 0}, {"after": "x"}):
        r = client.get(url, params=params)
        assert r.status_code == 422, params
    # An image of another site is not a place to search from.
    other = dict(vars(site.images[0]), id=None, site="khasan", sha256="f" * 64)
    with store.transaction() as session:
        khasan = image_rows.add(session, Image(**other))
    r = client.get(url, params={"after": khasan.id})
    assert r.status_code == 422 and "khasan" in r.json()["error"]
    # --auth all: the token is asked for this read too.
    guarded = TestClient(create_app(store, WebSettings(token=TOKEN, auth="all")))
    r = guarded.get(url)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert guarded.get(url, headers=AUTH).json()["image_id"] == site.images[0].id
    # A read-only server still answers it (a read) and refuses the review writes.
    ro = TestClient(create_app(store, WebSettings(token=TOKEN, read_only=True)))
    assert ro.get(url).json()["image_id"] == site.images[0].id
    r = ro.post(
        f"{V1}/images/{site.images[0].id}/review/complete", json={"reviewer": "kim"}, headers=AUTH
    )
    assert r.status_code == 403
    assert ro.get(url).json()["unreviewed"] == len(site.images)


def test_a_moved_detector_box_is_saved_checked_and_kept_in_the_history(client, site):
    url = f"{V1}/images/{site.peak.id}/review"
    labels = client.get(url).json()["review"]["labels"]
    box = labels[0]
    d_lon = 2e-5  # about 1.6 m east
    moved = [[lon + d_lon, lat] for lon, lat in box["polygon"]]
    sent = [dict(lab) for lab in labels]
    sent[0] = dict(box, polygon=moved, status="accepted")
    r = client.put(url, json={"reviewer": "kim", "labels": sent, "base_revision": 0}, headers=AUTH)
    assert r.status_code == 200, r.text
    saved = r.json()
    assert saved["review"]["labels"][0]["polygon"] == moved
    assert saved["review"]["labels"][0]["score"] == box["score"]
    change = next(c for c in saved["edit"]["changes"] if c["key"] == box["key"])
    assert change["fields"]["polygon"] == [box["polygon"], moved]
    assert [c["key"] for c in saved["edit"]["changes"]] == [box["key"]]
    # The detector's own record is untouched.
    dets = client.get(f"{V1}/images/{site.peak.id}/detections").json()["features"]
    assert box["polygon"] in [f["geometry"]["coordinates"][0] for f in dets]
    # Sent without a polygon, a detector box keeps the detector's geometry.
    bare = [dict(lab, polygon=None) for lab in saved["review"]["labels"]]
    r = client.put(url, json={"reviewer": "kim", "labels": bare}, headers=AUTH)
    assert r.json()["review"]["labels"][0]["polygon"] == box["polygon"]
    # A box moved off the image or stretched past any railcar is refused whole.
    for bad in (
        [[lon + 0.01, lat] for lon, lat in box["polygon"]],
        site.ring((0, 0, 250, 6)),
    ):
        body = {"reviewer": "kim", "labels": [dict(box, polygon=bad)]}
        r = client.put(url, json=body, headers=AUTH)
        assert r.status_code == 422, r.text
    history = client.get(f"{url}/history").json()["edits"]
    assert [(e["reviewer"], e["revision"]) for e in history] == [("kim", 1), ("kim", 2)]
