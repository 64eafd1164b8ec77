"""railwatch press add/list/show/compare, with --json and bad inputs."""

from __future__ import annotations

import json

import pytest

from railwatch import press


@pytest.fixture
def pcli(cli):
    cli("sites", "add", "--builtin")
    return cli


def _samples():
    return {e["file"]: e for e in press.sample_reports()}


def test_add_list_show_compare(pcli):
    s = _samples()
    doc = pcli.json(
        "press",
        "add",
        s["en_wire.txt"]["path"],
        s["nl_krant.txt"]["path"],
        "--published",
        "2023-10-06",
        "--outlet",
        "Northgate Wire",
    )
    docs = doc["documents"]
    assert [d["new"] for d in docs] == [True, True]
    assert {d["document"]["group_key"] for d in docs} == {"tumangang:2023-10-05"}
    assert all(d["observations"][0]["method"] == "press" for d in docs)
    assert docs[0]["observations"][0]["count"] == 73
    listed = pcli.json("press", "list", "--site", "tumangang")["documents"]
    assert [d["language"] for d in listed] == ["en", "nl"]
    shown = pcli.json("press", "show", str(listed[1]["id"]))
    assert shown["language"] == "nl" and "Lees ook" not in shown["clean_text"]
    for c in shown["claims"]:
        assert shown["raw_text"][c["start"] : c["end"]] == c["quote"]
    comp = pcli.json("press", "compare")
    group = comp["groups"][0]
    slots = {s["name"]: s for s in group["slots"]}
    assert slots["baseline.max"]["status"] == "agree"
    assert slots["event.summit.duration_days"]["status"] == "conflict"
    assert {v["value"] for v in slots["event.summit.duration_days"]["values"]} == {6, 7}
    again = pcli("press", "add", s["en_wire.txt"]["path"])
    assert "already stored" in again.stderr
    text = pcli("press", "compare")
    assert "conflict" in text.stdout
    observe = pcli.json("observe", "list", "--method", "press")["observations"]
    assert len(observe) == 2


def test_json_stdout_is_one_document(pcli):
    r = pcli("press", "add", _samples()["fr_agence.txt"]["path"], "--json")
    json.loads(r.stdout)


@pytest.mark.parametrize(
    ("name", "content"),
    [("empty.txt", b""), ("binary.bin", b"\x00\x01\x02" * 50)],
)
def test_bad_input_exits_2_and_leaves_store(pcli, tmp_path, name, content):
    bad = tmp_path / name
    bad.write_bytes(content)
    good = _samples()["en_wire.txt"]["path"]
    r = pcli("press", "add", good, str(bad), ok=False)
    assert r.exit_code == 2 and name in r.stderr
    assert pcli.json("press", "list")["documents"] == []


def test_missing_file_and_unknown_site_and_id(pcli, tmp_path):
    r = pcli("press", "add", str(tmp_path / "nope.txt"), ok=False)
    assert r.exit_code == 2 and "nope.txt" in r.stderr
    r = pcli("press", "add", _samples()["en_wire.txt"]["path"], "--site", "atlantis", ok=False)
    assert r.exit_code == 2 and "atlantis" in r.stderr
    r = pcli("press", "show", "99", ok=False)
    assert r.exit_code == 2 and "99" in r.stderr
    r = pcli("press", "add", _samples()["en_wire.txt"]["path"], "--published", "soon", ok=False)
    assert r.exit_code == 2 and "soon" in r.stderr
    assert pcli.json("press", "list")["documents"] == []
