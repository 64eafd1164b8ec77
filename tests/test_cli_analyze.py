"""``railwatch analyze`` end to end on a store built through the CLI and the service."""

from __future__ import annotations

from railwatch import service
from railwatch.store import open_store
from test_analyze_story import history


def _seed(cli):
    cli("sites", "add", "--builtin")
    store = open_store(cli.db)
    try:
        for day, n in history():
            service.add_counts(
                store, site="tumangang", observed_at=_utc(day), counts={"box": n}, analyst="kim"
            )
    finally:
        store.close()
    for day, box, flat in [
        ("2023-09-18", 25, 5),
        ("2023-09-22", 35, 6),
        ("2023-09-26", 42, 8),
        ("2023-09-30", 50, 11),
        ("2023-10-05", 60, 13),
    ]:
        cli(
            "observe",
            "add",
            "--site",
            "tumangang",
            "--at",
            f"{day}T02:13:00Z",
            "--count",
            f"box={box}",
            "--count",
            f"flat={flat}",
            "--analyst",
            "kim",
        )
    cli(
        "observe",
        "add",
        "--site",
        "tumangang",
        "--at",
        "2023-10-09",
        "--count",
        "box=90",
        "--analyst",
        "kim",
    )  # after --as-of: must be ignored
    cli("events", "add", "--at", "2023-09-13", "--title", "Kim–Putin summit", "--kind", "summit")


def _utc(day):
    from datetime import UTC, datetime

    return datetime(day.year, day.month, day.day, 2, tzinfo=UTC)


def test_analyze_json_tells_the_story(cli):
    _seed(cli)
    doc = cli.json("analyze", "--site", "tumangang", "--as-of", "2023-10-06")
    latest = doc["latest"]
    assert doc["site"] == "tumangang" and doc["railcar_class"] == "freight"
    assert doc["as_of"] == "2023-10-06" and doc["window"] == "5y"
    assert latest["date"] == "2023-10-05" and latest["value"] == 73
    assert latest["level"] == "unprecedented"
    assert latest["baseline"]["max"] == 20
    assert abs(latest["ratio_to_max"] - 3.65) < 0.01
    assert latest["candidates"][0]["classes"] == ["box", "flat"]
    assert doc["rows"][-1] == latest
    assert doc["onset"]["date"] == "2023-09-18"
    assert doc["linked_events"][0]["title"] == "Kim–Putin summit"
    assert doc["linked_events"][0]["lag_days"] == 5
    assert "unprecedented" in doc["finding"] and "Kim–Putin summit" in doc["finding"]


def test_analyze_table_class_and_errors(cli):
    _seed(cli)
    text = cli("analyze", "--site", "tumangang", "--as-of", "2023-10-06", "--rows", "3").stdout
    assert "unprecedented" in text and "2023-10-05" in text and "Rise began" in text
    flat = cli.json("analyze", "--site", "tumangang", "--class", "flat", "--min-history", "3")
    assert flat["latest"]["value"] == 0  # the box-only count of 2023-10-09 saw no flats
    flat = cli.json("analyze", "--site", "tumangang", "--class", "flat", "--as-of", "2023-10-06")
    assert flat["latest"]["value"] == 13
    # the box-only counts of the quiet years saw no flats: a split count lists what it saw
    assert flat["latest"]["baseline"]["max"] == 0
    assert flat["latest"]["level"] == "unprecedented"
    bad = cli("analyze", "--site", "tumangang", "--window", "5 years", ok=False)
    assert bad.exit_code == 2 and "error: window '5 years'" in bad.stderr
    none = cli("analyze", "--site", "khasan", ok=False)
    assert none.exit_code == 2 and "no freight observations at khasan" in none.stderr
    unknown = cli("analyze", "--site", "nowhere", ok=False)
    assert unknown.exit_code == 2 and "error:" in unknown.stderr
