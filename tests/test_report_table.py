"""The observations table of a long history: compact in the PDF, whole in Markdown and CSV."""

from __future__ import annotations

import csv
import re
from datetime import UTC, datetime, timedelta

import pytest
from pypdf import PdfReader

from railwatch import report, service
from railwatch.records import Image, Observation
from railwatch.report.document import RECENT_ROWS, model_labels
from railwatch.sites import builtin
from railwatch.store import images as image_rows
from railwatch.store import observations as observation_rows
from railwatch.store import open_store

VERSION = "railcar-centernet-0.4.1+9b6d5d54.int8.t36.hflip"
SPIKES = (40, 41)  # fortnights with an elevated count long before the latest dates
PROVIDER = "Sat\x00Co \x1b[31mred\x07"  # control characters, as an image tag may carry them


@pytest.fixture(scope="module")
def long_history(tmp_path_factory):
    """Five years of detector counts every fortnight (130 dates), two early spikes, a peak."""
    root = tmp_path_factory.mktemp("table")
    store = open_store(root / "s.db", create=True)
    service.add_sites(store, builtin())
    day = datetime(2018, 10, 10, 2, tzinfo=UTC)
    with store.transaction() as session:
        for i in range(130):
            n = 10 + (i * 7) % 6
            if i in SPIKES:
                n = 22 + i - SPIKES[0]
            if i == 129:
                n = 60
            image = image_rows.add(
                session,
                Image(
                    path=f"/server/archive/{i}.tif", sha256=f"{i:04d}" + "ab" * 30,
                    site="tumangang", crs="EPSG:32652", bounds=(0, 0, 1, 1),
                    footprint={"type": "Polygon", "coordinates": [[[130.6, 42.42], [130.61, 42.42],
                               [130.61, 42.425], [130.6, 42.42]]]},
                    width=100, height=100, bands=3, dtype="uint8", gsd_m=0.5,
                    acquired_at=day, provider=PROVIDER,
                ),
            )  # fmt: skip
            observation_rows.add(
                session,
                [
                    Observation(
                        site="tumangang",
                        observed_at=day,
                        railcar_class=cls,
                        count=count,
                        method="detector",
                        source=f"/server/archive/{i}.tif",
                        image_id=image.id,
                        model_version=VERSION,
                        count_sigma=1.0,
                    )  # fmt: skip
                    for cls, count in (("box", n - 3), ("flat", 3))
                ],
            )
            day += timedelta(days=14)
    out = {}
    try:
        for lang in ("en", "fr"):
            out[lang] = report.write(
                store, "tumangang", root / lang, formats="html,pdf,md", lang=lang,
                as_of=day,
            )  # fmt: skip
    finally:
        store.close()
    return out


def _pdf_text(result) -> tuple[int, str]:
    reader = PdfReader(str(result.files["pdf"]))
    return len(reader.pages), "\n".join(p.extract_text() for p in reader.pages)


def test_pdf_stays_short_for_a_long_history(long_history):
    for lang in ("en", "fr"):
        pages, _ = _pdf_text(long_history[lang])
        assert pages <= 5, (lang, pages)


def test_pdf_table_lists_recent_and_notable_dates(long_history):
    html = long_history["en"].files["html"].read_text(encoding="utf-8")
    table = html[html.index('<table class="observations">') :]
    table = table[: table.index("</table>")]
    rows = table.count("<tr>") - 1  # less the header
    levels = re.findall(r'class="level level-([a-z-]+)"', table)
    early = levels[RECENT_ROWS:]
    assert rows == len(levels)
    # The recent ones, then the early spikes, each judged elevated or unprecedented.
    assert RECENT_ROWS < rows <= RECENT_ROWS + 2 * len(SPIKES), rows
    assert early and set(early) <= {"elevated", "unprecedented"}
    assert "/server/archive" not in table  # an image is named by its hash
    assert f"of 130 dates listed: the {RECENT_ROWS} most recent" in html


def test_pdf_cell_has_short_provenance_and_full_version_once(long_history):
    _, text = _pdf_text(long_history["en"])
    flat = re.sub(r"\s+", " ", text)
    assert "detector 0.4.1 · img 0129abab…" in flat
    # The full version is printed in the table's note and the method section, not per row.
    assert flat.count(VERSION) <= 3, flat.count(VERSION)
    _, french = _pdf_text(long_history["fr"])
    assert "détecteur 0.4.1 · img" in re.sub(r"\s+", " ", french)


def test_markdown_and_csv_keep_every_date(long_history):
    result = long_history["en"]
    md = result.files["md"].read_text(encoding="utf-8")
    assert md.count("| detector 0.4.1 · img ") == 130
    assert f"detector 0.4.1: model {VERSION}" in md.replace("\\", "")
    with result.files["csv"].open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 130
    assert rows[-1]["total"] == "60" and rows[-1]["model_version"] == VERSION
    assert rows[-1]["image_sha256"] == "0129" + "ab" * 30 and rows[-1]["source"] == ""
    assert [r["date"] for r in rows] == sorted(r["date"] for r in rows)


def test_model_labels_are_short_and_distinct():
    labels = model_labels([VERSION, "railcar-centernet-0.4.1+0000.fp32", "analyst-model"])
    assert labels[VERSION] == "0.4.1 (1)"
    assert labels["railcar-centernet-0.4.1+0000.fp32"] == "0.4.1 (2)"
    assert labels["analyst-model"] == "analyst-mod…"
    assert model_labels([VERSION]) == {VERSION: "0.4.1"}


def test_control_characters_never_reach_the_report(long_history):
    result = long_history["en"]
    for key in ("md", "html", "csv"):
        content = result.files[key].read_text(encoding="utf-8")
        assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", content), key
    assert "| SatCo " in result.files["md"].read_text(encoding="utf-8")


def test_printable():
    from railwatch.plaintext import printable

    assert printable("a\x00b\tc\nd\x9b") == "ab c d"
    assert printable("a\tb\nc\x1b", keep_lines=True) == "a\tb\nc"
