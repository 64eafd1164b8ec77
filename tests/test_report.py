"""The rendered report: content, escaping of untrusted text, self-containment, PDF pages."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from railwatch import report, service
from railwatch.errors import InputError, NotFoundError
from railwatch.records import Event, Image, Observation
from railwatch.sites import builtin
from railwatch.store import images as image_rows
from railwatch.store import observations as observation_rows
from railwatch.store import open_store
from railwatch.store.schema import ClaimRow, DetectionRow, DocumentRow, ModelRow

HOSTILE = "<script>alert(1)</script>"
PEAK = datetime(2023, 10, 5, 2, 13, tzinfo=UTC)
MODEL = "rw-test-0.1"


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _image(path: Path, n_cars: int) -> list[tuple[str, list[list[float]], bool]]:
    """A small 3-band GeoTIFF with ``n_cars`` bright boxes on three tracks."""
    h, w = 240, 400
    rng = np.random.default_rng(n_cars)
    pixels = rng.normal(90, 10, (3, h, w)).clip(0, 255).astype(np.uint8)
    cars = []
    for i in range(n_cars):
        y0 = (70, 120, 170)[i % 3] - 6
        x0 = 20 + (i // 3) * 26
        pixels[:, y0 : y0 + 12, x0 : x0 + 22] = 190
        ring = [[x0, y0], [x0 + 22, y0], [x0 + 22, y0 + 12], [x0, y0 + 12], [x0, y0]]
        cars.append(("flat" if i % 5 == 0 else "box", ring, i % 4 == 0))
    with rasterio.open(
        path, "w", driver="GTiff", width=w, height=h, count=3, dtype="uint8",
        crs="EPSG:32652", transform=from_origin(500000, 4700000, 0.5, 0.5),
    ) as dst:  # fmt: skip
        dst.write(pixels)
    return cars


def _add_image(
    store, path: Path, when: datetime, n_cars: int, cloud_cover: float | None = None
) -> None:
    cars = _image(path, n_cars)
    with rasterio.open(path) as src:
        bounds = tuple(src.bounds)
    record = Image(
        path=str(path), sha256=hashlib.sha256(path.read_bytes()).hexdigest(), site="tumangang",
        crs="EPSG:32652", bounds=bounds,
        footprint={"type": "Polygon", "coordinates": [[[130.6, 42.42], [130.61, 42.42],
                                                      [130.61, 42.425], [130.6, 42.42]]]},
        width=400, height=240, bands=3, dtype="uint8", gsd_m=0.5, acquired_at=when,
        provider="synthetic", cloud_cover=cloud_cover,
    )  # fmt: skip
    with store.transaction() as session:
        image = image_rows.add(session, record)
        counts: dict[str, int] = {}
        for cls, ring, tarped in cars:
            session.add(
                DetectionRow(
                    image_id=image.id,
                    model_version=MODEL,
                    railcar_class=cls,
                    score=0.9,
                    tarped=tarped,
                    polygon=[[130.6, 42.42]] * 5,
                    polygon_px=ring,
                )  # fmt: skip
            )
            counts[cls] = counts.get(cls, 0) + 1
        observation_rows.add(
            session,
            [
                Observation(
                    site="tumangang",
                    observed_at=when,
                    railcar_class=cls,
                    count=n,
                    method="detector",
                    source=str(path),  # as `detect --site` stores it
                    image_id=image.id,
                    model_version=MODEL,
                    count_sigma=1.5,
                )  # fmt: skip
                for cls, n in counts.items()
            ],
        )


def make_store(db: Path, images_dir: Path):
    """Fifteen analyst dates of ordinary traffic, a detector-counted peak, an event, a claim."""
    images_dir.mkdir(parents=True, exist_ok=True)
    store = open_store(db, create=True)
    service.add_sites(store, builtin())
    day = _utc("2020-03-01")
    for i in range(15):
        n = 8 + (i * 7) % 11  # 8..18
        service.add_counts(
            store, site="tumangang", observed_at=day, counts={"box": n - 2, "flat": 2},
            analyst="A. Analyst", note=HOSTILE if i == 14 else "",
        )  # fmt: skip
        day += timedelta(days=80)
    # An ordinary count just after the summit pins the onset to after it.
    service.add_counts(
        store, site="tumangang", observed_at=_utc("2023-09-30"), counts={"box": 10, "flat": 2}
    )
    for when, title in (("2020-01-31", "Border closed"), ("2023-09-28", f"Summit {HOSTILE}")):
        service.add_event(store, Event(occurred_at=_utc(when), title=title, site="tumangang"))
    with store.transaction() as session:
        session.add(
            ModelRow(
                version=MODEL,
                path="m.onnx",
                sha256="0" * 64,
                active=True,
                meta={
                    "benchmark": {"count_mae": 1.5, "map50": 0.8},
                    "gsd_range_m": [0.3, 0.8],
                    # as `evaluate --record real_yard` keeps it
                    "evaluation": {
                        "real_yard": {
                            "data": "yard-x",
                            "overall": {
                                "precision": 0.6,
                                "recall": 0.45,
                                "f1": 0.514,
                                "truth": 160,
                                "detected": 120,
                            },
                        }
                    },
                },
            )  # fmt: skip
        )
    _add_image(store, images_dir / "base.tif", _utc("2022-05-10T02:00:00"), 12)
    _add_image(store, images_dir / "peak.tif", PEAK, 45)
    with store.transaction() as session:
        doc = DocumentRow(
            sha256="a" * 64, outlet=f"Wire {HOSTILE}", title=f"Rail {HOSTILE}",
            published_at=_utc("2023-10-06"), language="fr", raw_text="…", clean_text="…",
        )  # fmt: skip
        session.add(doc)
        session.flush()
        # Claims shaped as railwatch.press extracts them (see press/claims.py).
        count = ClaimRow(
            document_id=doc.id, kind="count", quote=f"about 45 wagons {HOSTILE}", site_id=1,
            value={"count": 45, "noun": "wagons", "railcar_class": "freight",
                   "qualifier": "approx", "qualifier_text": "about", "number_text": "45"},
        )  # fmt: skip
        session.add_all(
            [
                count,
                ClaimRow(document_id=doc.id, kind="baseline", quote="at most 20", site_id=1,
                         value={"max": 20, "window_years": 5, "qualifier": "at_most",
                                "qualifier_text": "at most", "noun": "", "relation": "max"}),
                ClaimRow(document_id=doc.id, kind="imagery_date", quote="5 October", site_id=1,
                         value={"date": "2023-10-05", "until": None, "precision": "day",
                                "resolved": True, "relative": False,
                                "expression": "5 October"}),
                ClaimRow(document_id=doc.id, kind="characterization", quote="unprecedented",
                         site_id=1, value={"unprecedented": True, "expression": "unprecedented"}),
                ClaimRow(document_id=doc.id, kind="caveat", quote="tarps", site_id=1,
                         value={"reason": "concealment", "uncertain": False,
                                "concealment": True, "words": ["tarps"]}),
            ]
        )  # fmt: skip
        session.flush()
        doc_id, claim_id = doc.id, count.id
    with store.transaction() as session:
        observation_rows.add(
            session,
            [
                Observation(
                    site="tumangang",
                    observed_at=_utc("2023-10-05"),
                    railcar_class="freight",
                    count=45,
                    method="press",
                    source="Wire",
                    document_id=doc_id,
                    claim_id=claim_id,
                )  # fmt: skip
            ],
        )
    return store


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """The report rendered once in every format (the PDF is the slow part)."""
    root = tmp_path_factory.mktemp("report")
    store = make_store(root / "store.db", root / "images")
    try:
        result = report.write(
            store, "tumangang", root / "out", formats="html,pdf,md", lang="en",
            as_of=_utc("2023-10-06"),
        )  # fmt: skip
        french = report.write(
            store, "tumangang", root / "fr", formats=("html", "md"), lang="fr",
            as_of=_utc("2023-10-06"),
        )  # fmt: skip
    finally:
        store.close()
    return root, result, french


def test_judgment_and_files(rendered):
    root, result, _ = rendered
    assert result.level == "unprecedented"
    assert result.term == "likely"
    assert "45" in result.judgment and "5 October 2023" in result.judgment
    for key in ("html", "pdf", "md", "chart_png", "chart_svg", "chip_peak", "chip_baseline"):
        assert result.files[key].is_file() and result.files[key].stat().st_size > 0, key
    assert result.files["chart_png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in result.files["chart_svg"].read_bytes()[:2000]
    assert sorted(p.name for p in (root / "out" / "chips").glob("*.png")) == [
        "baseline-2022-05-10.png",
        "peak-2023-10-05.png",
    ]


def test_html_escapes_untrusted_text(rendered):
    html = rendered[1].files["html"].read_text(encoding="utf-8")
    assert HOSTILE not in html
    assert "<script" not in html.lower()
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert html.count(escaped) >= 4  # note, event title, quote, outlet (and the judgment)
    assert f"Summit {escaped}" in html
    assert f"45 wagons {escaped}" in html


def test_markdown_escapes_untrusted_text(rendered):
    md = rendered[1].files["md"].read_text(encoding="utf-8")
    assert HOSTILE not in md and "<script" not in md
    assert "&lt;script&gt;" in md
    assert "](chart.png)" in md and "](chips/peak-2023-10-05.png)" in md


def test_html_is_self_contained(rendered):
    html = rendered[1].files["html"].read_text(encoding="utf-8")
    sources = re.findall(r'<img[^>]+src="([^"]+)"', html)
    assert len(sources) == 4  # the chart, the class-mix chart and two chips
    assert sources[0].startswith("data:image/png;base64,")  # the chart
    assert sources[1].startswith("data:image/png;base64,")  # the class mix
    assert all(s.startswith(("data:image/png;base64,", "data:image/jpeg;base64,")) for s in sources)
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.I)
    assert not re.search(r"@import|url\(\s*['\"]?(https?:)?//", html, re.I)
    assert "<link" not in html.lower()
    assert not re.search(r"https?://", html)


def test_html_carries_every_section(rendered):
    html = rendered[1].files["html"].read_text(encoding="utf-8")
    for words in (
        "Key judgment", "Railcars counted per date", "Annotated imagery",
        "Observations by date", "What the press said", "Caveats", "Method and provenance",
    ):  # fmt: skip
        assert words in html, words
    assert "Cargo under tarps cannot be identified" in html
    assert "Direction of travel is not established" in html
    assert MODEL in html and "count_mae 1.5" in html
    # The check on real imagery travels with the simulated benchmark, in the caveats too.
    assert "120 railcars found where 160 are labelled" in html
    assert "(yard-x, never trained on) it scores F1 0.51 and counts 25 % fewer" in html
    assert "railwatch 0." in html
    # The press count of about 45 agrees with the detector's 45; the claimed prior maximum
    # of 20 with the 18 seen before the rise; "unprecedented" with the level; the tarps
    # with the tarped detections. Each row comes from press.compare (one source).
    press = html[html.index("What the press said") : html.index("Caveats</h2>")]
    assert press.count('class="verdict-agree"') == 5, press
    assert "single source" in press
    for label in ("railcar count", "prior maximum", "date of the imagery", "called unprecedented",
                  "cargo hidden"):  # fmt: skip
        assert label in press, label
    # tarps are counted on the peak date only (12 of its 45 cars; the base date has 3 more)
    assert "12 tarped railcars detected on that date" in press
    assert "12 railcars seen on the peak date are under tarps" in html


def test_pdf_has_pages(rendered):
    from pypdf import PdfReader

    reader = PdfReader(str(rendered[1].files["pdf"]))
    assert 2 <= len(reader.pages) <= 8
    text = reader.pages[0].extract_text()
    assert "Key judgment" in text


def test_french_report(rendered):
    _, _, french = rendered
    html = french.files["html"].read_text(encoding="utf-8")
    assert 'lang="fr"' in html
    assert "5 octobre 2023" in french.judgment and "probable" in french.judgment
    for words in ("Jugement principal", "Réserves", "Ce qu'a dit la presse", "wagons"):
        assert words.replace("'", "&#39;") in html or words in html, words
    assert "Key judgment" not in html
    # The analysis finding, rebuilt in French from the same figures (its title escaped).
    finding = html[html.index("Constat de l") :]
    finding = finding[: finding.index("</p>")]
    assert "45 wagons de marchandises le 5 octobre 2023" in finding
    assert "2,50 fois le maximum antérieur de 18" in finding and "sans précédent" in finding
    assert "Début de la hausse vers le" in finding and "« Summit &lt;script&gt;" in finding
    assert "<script>" not in html
    assert "F1 de 0,51 et compte 25 % de wagons en moins" in html


def test_markdown_dates_and_tables(rendered):
    root = rendered[0]
    md = rendered[1].files["md"].read_text(encoding="utf-8")
    assert md.startswith("# Tumangang")
    assert "| 5 October 2023 |" in md
    # Images are named by their hash, never by a path on the machine that made the report.
    peak_sha = hashlib.sha256((root / "images" / "peak.tif").read_bytes()).hexdigest()[:8]
    assert f"| detector 0.1 · img {peak_sha}… |" in md
    html = rendered[1].files["html"].read_text(encoding="utf-8")
    assert str(root / "images") not in md and str(root / "images") not in html
    rows = [line for line in md.splitlines() if line.startswith("| ") and "October 2023" in line]
    assert rows and all(line.count("|") == rows[0].count("|") for line in rows[:1])


def test_empty_site_reports_nothing_to_judge(tmp_path):
    store = open_store(tmp_path / "s.db", create=True)
    try:
        service.add_sites(store, builtin())
        result = report.write(store, "khasan", tmp_path / "out", formats="md")
    finally:
        store.close()
    assert result.level is None
    assert "nothing to judge" in result.judgment
    assert "Khasan" in (tmp_path / "out" / "report.md").read_text(encoding="utf-8")


def test_bad_requests_are_refused(tmp_path):
    store = open_store(tmp_path / "s.db", create=True)
    try:
        service.add_sites(store, builtin())
        with pytest.raises(InputError, match="format"):
            report.write(store, "khasan", tmp_path, formats="docx")
        with pytest.raises(InputError, match="language"):
            report.write(store, "khasan", tmp_path, lang="de")
        with pytest.raises(InputError, match="window"):
            report.write(store, "khasan", tmp_path, window="forever")
        with pytest.raises(NotFoundError):
            report.write(store, "nowhere", tmp_path)
    finally:
        store.close()


@pytest.mark.parametrize(("spread", "flagged"), [(0, False), (6, False), (20, True)])
def test_round_press_figures_beside_a_count_are_no_disagreement(spread, flagged) -> None:
    """76 detected and "about 73" / "at least 70" in the press agree; 76 against 56 does not."""
    from types import SimpleNamespace

    from railwatch.report.model import _row

    r = SimpleNamespace(
        date=date(2023, 10, 5), value=76, method="detector", source="x.tif", level="unprecedented",
        ratio_to_max=3.2, robust_z=9.0, spread=spread, candidates=(), sigma=4.0, basis="imagery",
        baseline=SimpleNamespace(n=0, max=None, median=None),
    )  # fmt: skip
    assert _row(r, {}, "freight").disagreement is flagged


def test_a_clouded_image_is_shown_but_sets_no_baseline(tmp_path):
    """Cloud edges read as 40 cars in 2022 must not become the prior maximum."""
    store = make_store(tmp_path / "store.db", tmp_path / "images")
    try:
        _add_image(store, tmp_path / "images" / "cloudy.tif", _utc("2022-08-01T02:00"), 40, 63.0)
        data = report.build(store, "tumangang", as_of=_utc("2023-10-06"))
        result = report.write(
            store, "tumangang", tmp_path / "out", formats="md", as_of=_utc("2023-10-06")
        )
        french = report.write(
            store, "tumangang", tmp_path / "fr", formats="md", lang="fr", as_of=_utc("2023-10-06")
        )
    finally:
        store.close()
    cloudy = next(r for r in data.rows if r.day == date(2022, 8, 1))
    assert cloudy.clouded and cloudy.cloud_cover == 63.0 and cloudy.total == 40
    assert data.peak is not None and data.peak.day == date(2023, 10, 5)
    assert data.latest is not None and data.latest.baseline is not None
    assert data.latest.baseline.max == 18
    assert result.level == "unprecedented" and "prior maximum 18" in result.judgment
    md = result.files["md"].read_text(encoding="utf-8")
    assert "image 63 % under cloud: compared, not used for baselines" in md
    assert "more than 25 % under cloud" in md
    assert "couverte de nuages à 63 %" in french.files["md"].read_text(encoding="utf-8")


@pytest.mark.parametrize("crowd", [3, 7])
def test_event_labels_on_the_chart_do_not_overlap(tmp_path, crowd):
    from railwatch.report.chart import LABEL_ROWS, figure

    store = make_store(tmp_path / "store.db", tmp_path / "images")
    try:
        # Long titles a few weeks apart: the labels stack; those with no room are left
        # off (the lines stay, and the events table lists them all).
        for i in range(crowd):
            when = date(2022, 1, 10) + timedelta(days=20 * i)
            title = f"A long event title that needs room on the chart ({when})"
            service.add_event(
                store, Event(occurred_at=_utc(when.isoformat()), title=title, site="tumangang")
            )
        data = report.build(store, "tumangang", as_of=_utc("2023-10-06"))
    finally:
        store.close()
    fig = figure(data, "en")
    renderer = fig.canvas.get_renderer()
    main = fig.axes[0]
    boxes = [t.get_window_extent(renderer) for t in main.texts]
    assert len(main.lines) >= len(data.events) == crowd + 2
    if crowd + 1 <= LABEL_ROWS:
        assert len(boxes) == len(data.events)
    else:
        assert LABEL_ROWS <= len(boxes) < len(data.events)
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b), (a, b)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_chart_legend_fits_the_figure(tmp_path, lang):
    """Every legend entry is inside the figure, in both languages (the French ones are longer)."""
    from railwatch.report.chart import figure

    store = make_store(tmp_path / "store.db", tmp_path / "images")
    try:
        _add_image(store, tmp_path / "images" / "cloudy.tif", _utc("2022-08-01T02:00"), 4, 63.0)
        data = report.build(store, "tumangang", as_of=_utc("2023-10-06"))
    finally:
        store.close()
    fig = figure(data, lang)
    renderer = fig.canvas.get_renderer()
    legend = fig.axes[0].get_legend()
    labels = [text.get_text() for text in legend.get_texts()]
    assert any("%" in label for label in labels)  # the cloud entry, the longest
    assert legend.get_window_extent(renderer).x1 <= fig.bbox.width
    for text in legend.get_texts():
        assert text.get_window_extent(renderer).x1 <= fig.bbox.width, text.get_text()


def _axes_of_chart(tmp_path, counts: list[tuple[str, int]]) -> int:
    from railwatch.report.chart import figure

    store = open_store(tmp_path / f"z{len(counts)}.db", create=True)
    try:
        service.add_sites(store, builtin())
        for day, n in counts:
            service.add_counts(store, site="tumangang", observed_at=_utc(day), counts={"box": n})
        data = report.build(store, "tumangang", as_of=_utc("2023-10-06"))
    finally:
        store.close()
    return len(figure(data, "en").axes)


def test_rise_close_up_needs_a_judged_rise_with_points(tmp_path):
    # One date alone: nothing to judge and nothing rising; no zoom panel.
    assert _axes_of_chart(tmp_path, [("2023-10-05", 40)]) == 1
    # A judged spike whose zoomed span holds it alone (the dates before are months older).
    history = [(f"{year}-{month:02d}-10", 8 + month % 3) for year in (2021, 2022)
               for month in range(1, 13)]  # fmt: skip
    assert _axes_of_chart(tmp_path, [*history, ("2023-10-05", 60)]) == 1
    # A rise seen on several dates keeps its close-up.
    rise = [("2023-09-20", 12), ("2023-09-28", 30), ("2023-10-05", 60)]
    assert _axes_of_chart(tmp_path, [*history, *rise]) == 2
