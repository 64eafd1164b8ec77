"""``railwatch sites group``, ``analyze --group`` and ``analyze --mix`` on a real store."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from railwatch import service
from railwatch.simulate.scenario import AS_OF_2024, PEAK_2024, scenario_specs
from railwatch.store import open_store


def _seed(cli):
    cli("sites", "add", "--builtin")
    store = open_store(cli.db)
    try:
        for day, spec in scenario_specs("tumangang-2024"):
            at = datetime(day.year, day.month, day.day, 2, tzinfo=UTC)
            service.add_counts(
                store, site=spec.site, observed_at=at, counts=spec.mix, analyst="kim"
            )
    finally:
        store.close()


def test_group_add_list_and_errors(cli):
    cli("sites", "add", "--builtin")
    doc = cli.json(
        "sites", "group", "add", "tumangang-khasan", "tumangang", "khasan",
        "--name", "Tumangang–Khasan crossing",
    )  # fmt: skip
    assert doc["sites"] == ["tumangang", "khasan"] and doc["action"] == "added"
    listed = cli.json("sites", "group", "list")["groups"]
    assert [(g["slug"], g["name"]) for g in listed] == [
        ("tumangang-khasan", "Tumangang–Khasan crossing")
    ]
    bad = cli("sites", "group", "add", "g2", "tumangang", "nowhere", ok=False)
    assert bad.exit_code == 2 and "unknown site 'nowhere'" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
    again = cli("sites", "group", "add", "tumangang-khasan", "tumangang", "khasan", ok=False)
    assert again.exit_code == 2 and "exists already" in again.stderr
    one = cli("sites", "group", "add", "g3", "tumangang", ok=False)
    assert one.exit_code == 2 and "at least two sites" in one.stderr
    # Nothing half-written: the failed adds left one group.
    assert len(cli.json("sites", "group", "list")["groups"]) == 1


def test_analyze_group_with_mix(cli):
    _seed(cli)
    cli("sites", "group", "add", "tumangang-khasan", "tumangang", "khasan", "--name", "Crossing")
    doc = cli.json("analyze", "--group", "tumangang-khasan", "--as-of", str(AS_OF_2024), "--mix")
    assert doc["site"] == "tumangang-khasan"
    group = doc["group"]
    assert group["anchor"] == "tumangang" and group["tolerance_days"] == 3
    assert "within 3 days" in group["pairing"]
    peak = max(doc["rows"], key=lambda r: r["value"])
    assert peak["date"] == str(PEAK_2024)
    pair = next(p for p in group["pairs"] if p["date"] == str(PEAK_2024))
    assert [p["site"] for p in pair["parts"]] == ["tumangang", "khasan"]
    assert pair["freight"] == sum(p["freight"] for p in pair["parts"]) == peak["value"]
    shares = group["contributions"]
    assert abs(shares["tumangang"]["share"] + shares["khasan"]["share"] - 1) < 1e-3
    mix = doc["mix"]
    assert mix["status"] == "shift"
    verdicts = {c["railcar_class"]: c["verdict"] for c in mix["classes"]}
    assert verdicts["open"] == verdicts["tank"] == "rose" and verdicts["box"] == "fell"
    assert verdicts["flat"] not in ("rose", "fell") and verdicts["other"] not in ("rose", "fell")
    text = cli("analyze", "--group", "tumangang-khasan", "--as-of", str(AS_OF_2024), "--mix")
    assert "More open (ore) and tank cars and fewer box cars" in " ".join(text.stdout.split())


def test_analyze_site_mix_and_errors(cli):
    _seed(cli)
    doc = cli.json("analyze", "--site", "khasan", "--mix", "--mix-window", "1y")
    assert doc["mix"]["window"] == "1y" and doc["mix"]["site"] == "khasan"
    assert doc["mix"]["rules"]["recent"] == "90d"
    thin = cli.json("analyze", "--site", "khasan", "--mix", "--mix-recent", "3d")
    assert thin["mix"]["status"] == "insufficient-data"
    both = cli("analyze", "--site", "khasan", "--group", "x", ok=False)
    assert both.exit_code == 2 and "either --site" in both.stderr
    bad = cli("analyze", "--site", "khasan", "--mix", "--mix-window", "two years", ok=False)
    assert bad.exit_code == 2 and "--mix-window" in bad.stderr
    missing = cli("analyze", "--group", "nope", ok=False)
    assert missing.exit_code == 2 and "unknown site group 'nope'" in missing.stderr


def test_report_group_shows_mix_and_each_site(cli, tmp_path):
    _seed(cli)
    cli("sites", "group", "add", "tumangang-khasan", "tumangang", "khasan",
        "--name", "Tumangang–Khasan crossing")  # fmt: skip
    for lang in ("en", "fr"):
        out = tmp_path / lang
        doc = cli.json(
            "report", "--group", "tumangang-khasan", "--as-of", str(AS_OF_2024), "--out", out,
            "--format", "md,html", "--lang", lang, "--window", "2y",
        )  # fmt: skip
        assert (out / "mix.png").stat().st_size > 5000 and "mix_png" in doc["files"]
        md = " ".join((out / "report.md").read_text("utf-8").split())
        if lang == "en":
            assert "## What kind of traffic: the class mix" in md
            assert "More open (ore) and tank cars and fewer box cars at Tumangang–Khasan" in md
            assert "## Both sides: each site's part" in md and "within" not in md[:0]
            assert "nearest unused date of the other site(s) no more than 3 days away" in md
        else:
            assert "## Quel trafic : la composition par type" in md
            assert "Plus de wagons tombereaux et wagons-citernes et moins de wagons couverts" in md
            assert "## Les deux côtés : la part de chaque site" in md
        html = (out / "report.html").read_text("utf-8")
        assert 'class="mix-rose"' in html and 'class="mix-fell"' in html
    bad = cli("report", "--out", tmp_path / "x", ok=False)
    assert bad.exit_code == 2 and "either --site" in bad.stderr


def test_mix_without_any_class_split_is_null_not_an_error(cli):
    cli("sites", "add", "--builtin")
    for day in ("2024-01-05", "2024-02-05", "2024-03-05"):
        cli("observe", "add", "--site", "khasan", "--at", day, "--count", "freight=30")
    result = cli("analyze", "--site", "khasan", "--mix", "--json")
    doc = json.loads(result.stdout)
    assert doc["mix"] is None and "no class-split imagery counts" in result.stderr
