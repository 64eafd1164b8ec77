"""init, sites, observe, events through the CLI, with the store checked after each bad input."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest


def table_counts(db: Path) -> dict[str, int]:
    con = sqlite3.connect(db)
    try:
        names = [r[0] for r in con.execute("select name from sqlite_master where type='table'")]
        return {n: con.execute(f"select count(*) from {n}").fetchone()[0] for n in names}
    finally:
        con.close()


def test_init_creates_store_with_wal_and_foreign_keys(cli, db_path):
    assert db_path.exists()
    con = sqlite3.connect(db_path)
    assert con.execute("pragma journal_mode").fetchone()[0] == "wal"
    con.close()
    # init on an existing store is harmless
    cli("init")


def test_commands_refuse_missing_store(tmp_path):
    from tests.conftest import Cli

    result = Cli(tmp_path / "missing.db")("sites", "list", ok=False)
    assert result.exit_code == 2
    assert "missing.db" in result.stderr and "railwatch init" in result.stderr


def test_builtin_sites(cli):
    cli("sites", "add", "--builtin")
    sites = {s["slug"]: s for s in cli.json("sites", "list")["sites"]}
    assert set(sites) >= {"tumangang", "khasan"}
    tum = sites["tumangang"]
    from shapely.geometry import Point, shape

    assert shape(tum["geometry"]).contains(Point(130.6081, 42.4214))
    assert shape(sites["khasan"]["geometry"]).contains(Point(130.640, 42.430))
    assert "Туманган" in tum["aliases"] and "Rajin" in tum["region_aliases"]
    # adding the catalogue again keeps what is there and is not an error
    cli("sites", "add", "--builtin")
    assert len(cli.json("sites", "list")["sites"]) == 2


def test_sites_show_json_is_only_json(cli):
    cli("sites", "add", "--builtin")
    result = cli("sites", "show", "khasan", "--json")
    doc = json.loads(result.stdout)
    assert doc["slug"] == "khasan" and doc["country"] == "RU"
    assert "added" not in result.stdout


def _write_sites(path: Path, features: list[dict]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def _feature(slug: str, lon: float = 10.0, lat: float = 50.0) -> dict:
    ring = [[lon, lat], [lon + 0.01, lat], [lon + 0.01, lat + 0.01], [lon, lat + 0.01], [lon, lat]]
    return {
        "type": "Feature",
        "properties": {"slug": slug, "name": slug.title(), "country": "XX"},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


def test_sites_add_file_and_replace(cli, tmp_path):
    f = _write_sites(tmp_path / "s.geojson", [_feature("yard-a"), _feature("yard-b", 11.0)])
    cli("sites", "add", f)
    result = cli("sites", "add", f, ok=False)
    assert result.exit_code == 2 and "yard-a" in result.stderr and "--replace" in result.stderr
    moved = _write_sites(tmp_path / "m.geojson", [_feature("yard-a", 12.0)])
    cli("sites", "add", moved, "--replace")
    site = cli.json("sites", "show", "yard-a")
    assert site["geometry"]["coordinates"][0][0] == [12.0, 50.0]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        (json.dumps({"type": "Point", "coordinates": [1, 2]}), "Feature or FeatureCollection"),
        (
            json.dumps(
                {"type": "FeatureCollection", "features": [dict(_feature("ok"), properties={})]}
            ),
            "slug",
        ),
        (json.dumps(_feature("Bad Slug")), "slug"),
        (
            json.dumps(
                dict(
                    _feature("far"),
                    geometry={
                        "type": "Polygon",
                        "coordinates": [
                            [[500000, 4e6], [500100, 4e6], [500100, 4.0001e6], [500000, 4e6]]
                        ],
                    },
                )
            ),
            "EPSG:4326",
        ),
        (
            json.dumps(
                dict(
                    _feature("bow"),
                    geometry={
                        "type": "Polygon",
                        "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]],
                    },
                )
            ),
            "invalid polygon",
        ),
        *(
            (
                json.dumps(dict(_feature("empty"), geometry={"type": kind, "coordinates": coords})),
                f"the {kind} has no coordinates",
            )
            for kind, coords in [("Polygon", []), ("Polygon", [[]]), ("MultiPolygon", [])]
        ),
    ],
)
def test_sites_add_bad_geojson_changes_nothing(cli, tmp_path, db_path, content, message):
    cli("sites", "add", "--builtin")
    before = table_counts(db_path)
    bad = tmp_path / "bad.geojson"
    bad.write_text(content)
    result = cli("sites", "add", bad, ok=False)
    assert result.exit_code == 2
    assert "bad.geojson" in result.stderr and message in result.stderr
    assert "Valid Geometry" not in result.stderr and result.stderr.count("\n") == 1
    assert table_counts(db_path) == before


def test_sites_add_is_all_or_nothing(cli, tmp_path, db_path):
    cli("sites", "add", _write_sites(tmp_path / "one.geojson", [_feature("b")]))
    before = table_counts(db_path)
    both = _write_sites(tmp_path / "both.geojson", [_feature("a"), _feature("b")])
    assert cli("sites", "add", both, ok=False).exit_code == 2
    assert table_counts(db_path) == before
    assert [s["slug"] for s in cli.json("sites", "list")["sites"]] == ["b"]


def test_observe_add_and_list(cli):
    cli("sites", "add", "--builtin")
    doc = cli.json(
        "observe",
        "add",
        "--site",
        "tumangang",
        "--at",
        "2023-10-05T02:13:00Z",
        "--count",
        "box=60",
        "--count",
        "flat=13",
        "--analyst",
        "jdoe",
        "--note",
        "tarps on most",
    )
    assert {(o["railcar_class"], o["count"]) for o in doc["observations"]} == {
        ("box", 60),
        ("flat", 13),
    }
    listed = cli.json("observe", "list", "--site", "tumangang")["observations"]
    assert len(listed) == 2
    assert all(o["method"] == "analyst" and o["analyst"] == "jdoe" for o in listed)
    assert listed[0]["observed_at"] == "2023-10-05T02:13:00Z"
    assert listed[0]["note"] == "tarps on most"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--count", "box=-3"], "negative"),
        (["--count", "foo=2"], "unknown railcar class"),
        (["--count", "box"], "CLASS=N"),
        (["--count", "box=two"], "whole number"),
        (["--count", "box=1", "--count", "box=2"], "twice"),
    ],
)
def test_observe_add_bad_counts_change_nothing(cli, db_path, args, message):
    cli("sites", "add", "--builtin")
    before = table_counts(db_path)
    result = cli("observe", "add", "--site", "tumangang", "--at", "2023-10-05", *args, ok=False)
    assert result.exit_code == 2 and message in result.stderr
    assert table_counts(db_path) == before


def test_observe_add_unknown_site_and_bad_time(cli, db_path):
    cli("sites", "add", "--builtin")
    before = table_counts(db_path)
    r = cli(
        "observe", "add", "--site", "nowhere", "--at", "2023-10-05", "--count", "box=1", ok=False
    )
    assert r.exit_code == 2 and "unknown site 'nowhere'" in r.stderr
    r = cli("observe", "add", "--site", "khasan", "--at", "5 Oct", "--count", "box=1", ok=False)
    assert r.exit_code == 2 and "ISO 8601" in r.stderr
    assert table_counts(db_path) == before


def test_events(cli):
    cli("sites", "add", "--builtin")
    cli(
        "events",
        "add",
        "--at",
        "2023-09-13",
        "--title",
        "Kim–Putin summit, Vostochny",
        "--kind",
        "summit",
    )
    cli(
        "events",
        "add",
        "--at",
        "2022-11-18",
        "--title",
        "White House statement",
        "--site",
        "tumangang",
    )
    cli("events", "add", "--at", "2021-01-01", "--title", "Khasan only", "--site", "khasan")
    again = cli.json(
        "events",
        "add",
        "--at",
        "2023-09-13",
        "--title",
        "Kim–Putin summit, Vostochny",
        "--kind",
        "summit",
    )
    assert again["new"] is False
    allev = cli.json("events", "list")["events"]
    assert [e["title"] for e in allev] == [
        "Khasan only",
        "White House statement",
        "Kim–Putin summit, Vostochny",
    ]
    tum = cli.json("events", "list", "--site", "tumangang")["events"]
    assert [e["occurred_at"][:10] for e in tum] == ["2022-11-18", "2023-09-13"]


def test_file_site_clashing_with_stored_builtin_is_not_dropped(cli, tmp_path, db_path):
    cli("sites", "add", "--builtin")
    before = table_counts(db_path)
    mine = _write_sites(tmp_path / "mine.geojson", [_feature("tumangang", 12.0)])
    result = cli("sites", "add", "--builtin", mine, ok=False)
    assert result.exit_code == 2 and "tumangang" in result.stderr and "--replace" in result.stderr
    assert table_counts(db_path) == before
