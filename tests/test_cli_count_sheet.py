"""`observe add --from SHEET`: many analyst counts in one launch and one transaction."""

from __future__ import annotations

import pytest
from tests.test_cli_errors import one_line
from tests.test_cli_store import table_counts

from railwatch.count_sheet import read_sheet
from railwatch.errors import InputError

GOOD = """site,at,class,count,analyst,note
tumangang,2023-10-05,box,41,kim,peak image
tumangang,2023-10-05,flat,28,kim,peak image
tumangang,2023-09-16,box,9,,
khasan,2023-10-05T02:13:00Z,open,12,lee,
"""


@pytest.fixture
def sited(cli):
    cli("sites", "add", "--builtin")
    return cli


def test_a_sheet_stores_every_count_with_its_provenance(sited, tmp_path):
    sheet = tmp_path / "counts.csv"
    sheet.write_text(GOOD, encoding="utf-8")
    result = sited("observe", "add", "--from", sheet, "--analyst", "desk", "--json")
    assert "4 count(s) from 3 site-time(s)" in result.stderr
    listed = sited.json("observe", "list")["observations"]
    got = {
        (o["site"], o["observed_at"][:10], o["railcar_class"], o["count"], o["analyst"], o["note"])
        for o in listed
    }
    assert got == {
        ("tumangang", "2023-10-05", "box", 41, "kim", "peak image"),
        ("tumangang", "2023-10-05", "flat", 28, "kim", "peak image"),
        ("tumangang", "2023-09-16", "box", 9, "desk", ""),  # --analyst fills the empty cell
        ("khasan", "2023-10-05", "open", 12, "lee", ""),
    }
    assert {o["method"] for o in listed} == {"analyst"}


def test_the_same_counts_as_one_observe_add_per_set(sited, tmp_path, db_path):
    """A sheet is a shorter way to say what several `observe add` say, not another rule."""
    sheet = tmp_path / "counts.csv"
    sheet.write_text("site,at,class,count\ntumangang,2023-10-05,box,41\n", encoding="utf-8")
    one = sited.json("observe", "add", "--from", sheet)["observations"][0]
    two = sited.json(
        "observe", "add", "--site", "tumangang", "--at", "2023-10-05", "--count", "box=41"
    )["observations"][0]
    for key in ("site", "observed_at", "railcar_class", "count", "method", "source", "analyst"):
        assert one[key] == two[key], key


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("site,at,count\ntumangang,2023-10-05,3\n", ["counts.csv", "missing class"]),
        (GOOD + "tumangang,2023-10-06,box,-1,,\n", ["counts.csv line 6", "negative"]),
        (GOOD + "tumangang,2099-01-01,box,3,,\n", ["counts.csv line 6", "future"]),
        (GOOD + "tumangang,2023-10-06,boxes,3,,\n", ["line 6", "unknown railcar class"]),
        (GOOD + "tumangang,2023-10-05,box,40,kim,peak image\n", ["line 6", "counted on line 2"]),
        (GOOD + "pyongyang,2023-10-06,box,3,,\n", ["counts.csv line 6", "site 'pyongyang'"]),
        ("site,at,class,count\n", ["no counts"]),
    ],
)  # fmt: skip
def test_one_bad_line_stores_nothing_and_is_named(sited, tmp_path, db_path, body, words):
    sheet = tmp_path / "counts.csv"
    sheet.write_text(body, encoding="utf-8")
    before = table_counts(db_path)
    one_line(sited("observe", "add", "--from", sheet, ok=False), *words)
    assert table_counts(db_path) == before


def test_a_sheet_or_single_counts_not_both(sited, tmp_path):
    sheet = tmp_path / "counts.csv"
    sheet.write_text(GOOD, encoding="utf-8")
    one_line(sited("observe", "add", "--from", sheet, "--site", "tumangang", ok=False), "either")
    one_line(sited("observe", "add", "--site", "tumangang", ok=False), "--at", "--count")


def test_reading_a_sheet_with_a_byte_order_mark_and_blank_lines(tmp_path):
    sheet = tmp_path / "s.csv"
    sheet.write_text("\ufeffSite,At,Class,Count\n\ntumangang,2023-10-05,Box,3\n", encoding="utf-8")
    (entry,) = read_sheet(sheet)
    assert entry.counts == {"box": 3} and entry.where == f"{sheet} line 3"
    with pytest.raises(InputError, match="no such file"):
        read_sheet(tmp_path / "missing.csv")
