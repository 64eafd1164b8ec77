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


def _gold_dir(tmp_path, reports):
    lines = []
    for name, body, gold in reports:
        (tmp_path / name).write_text(body, encoding="utf-8")
        lines.append(json.dumps({"file": name, **gold}, ensure_ascii=False))
    (tmp_path / "gold.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return tmp_path


def test_evaluate_scores_slots_and_lists_wrong_observations(cli, tmp_path):
    right = {
        "split": "heldout",
        "lang": "en",
        "published": "2023-10-08",
        "sites": ["tumangang"],
        "counts": [
            {
                "site": "tumangang",
                "class": "freight",
                "role": "current",
                "count": 73,
                "date": "2023-10-05",
            }
        ],
        "imagery_date": ["2023-10-05"],
        "sources": ["38 North"],
    }
    # The second gold says 20 was a prior peak: the extractor reads it as seen now, so
    # its observation is wrong, as a reader would judge it.
    wrong = dict(right, split="tune", counts=[], imagery_date=["2023-10-05"], prior_max=[20])
    data = _gold_dir(
        tmp_path,
        [
            (
                "a.txt",
                "Images taken on 5 October show 73 freight cars at Tumangang, 38 North said.",
                right,
            ),
            (
                "b.txt",
                "Images taken on 5 October show 20 freight cars at Tumangang, 38 North said.",
                wrong,
            ),
        ],
    )
    result = cli.json("press", "evaluate", "--data", str(data))
    held = result["scores"]["heldout"]["en"]
    assert held["counts"]["precision"] == 1.0 and held["counts"]["recall"] == 1.0
    assert held["observations"]["tp"] == 1 and held["sources"]["tp"] == 1
    tune = result["scores"]["tune"]["all"]
    assert tune["observations"]["fp"] == 1 and tune["prior_max"]["fn"] == 1
    assert [(w["file"], w["count"], w["quote"]) for w in result["wrong_observations"]] == [
        ("b.txt", 20, "20 freight cars")
    ]
    text = cli("press", "evaluate", "--data", str(data), "--split", "heldout").stdout
    assert "split heldout" in text and "wrong observations: 0" in text


def test_evaluate_bad_gold_exits_2(cli, tmp_path):
    r = cli("press", "evaluate", "--data", str(tmp_path), ok=False)
    assert r.exit_code == 2 and "gold.jsonl" in r.stderr
    (tmp_path / "gold.jsonl").write_text('{"file": "gone.txt", "split": "tune", "lang": "en"}\n')
    r = cli("press", "evaluate", "--data", str(tmp_path), ok=False)
    assert r.exit_code == 2 and "gone.txt" in r.stderr
