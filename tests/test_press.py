"""Press stage: cleaning, language, claims per slot, grouping and comparison.

Runs over the two French seed reports (read from ../shared/seeds) and over the
packaged English, French, Dutch and HTML samples, so no rule is French-only.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from railwatch import press
from railwatch.errors import PressError
from railwatch.press import text
from railwatch.press.numbers import find_numbers
from railwatch.press.service import prepare
from railwatch.sites import builtin

SAMPLES = Path(press.__file__).with_name("samples")
SEEDS = Path(__file__).resolve().parents[1].parent / "shared" / "seeds"  # as conftest's seeds_dir


def _seed(seeds_dir: Path, prefix: str) -> Path:
    return next(seeds_dir.glob(f"{prefix}_*.txt"))


def _one(claims, kind, **match):
    found = [
        c for c in claims if c.kind == kind and all(c.value.get(k) == v for k, v in match.items())
    ]
    assert found, f"no {kind} claim with {match} in {[(c.kind, c.value) for c in claims]}"
    return found[0]


@pytest.fixture(scope="module")
def seeds():
    seeds_dir = SEEDS
    if not seeds_dir.is_dir():
        pytest.skip("../shared/seeds/ is not here")
    return {
        "000": prepare(_seed(seeds_dir, "000"), builtin()),
        "001": prepare(_seed(seeds_dir, "001"), builtin()),
    }


@pytest.fixture(scope="module")
def samples():
    out = {}
    for entry in press.sample_reports():
        out[entry["file"]] = prepare(
            Path(entry["path"]), builtin(), published=entry["published"], outlet=entry["outlet"]
        )
    return out


def test_seed_boilerplate_is_dropped(seeds):
    c = seeds["001"].cleaned
    assert "CLIQUEZ ICI" in c.original and "CLIQUEZ ICI" not in c.text
    assert "a contribué à ce rapport" in c.original and "a contribué" not in c.text
    assert "LE COMMANDANT RUSSE" not in c.text and "LE TOUR DE LA RUSSIE" not in c.text
    assert not c.text.startswith(" date") and "date 2023-10" not in c.text
    assert "Beyond Parallel" in c.text and "Tumangang" in c.text
    rules = {d[2] for d in c.dropped}
    assert {"metadata-header", "all-caps-headline", "app-promo", "contributor"} & rules >= {
        "metadata-header",
        "all-caps-headline",
        "contributor",
    }
    assert seeds["000"].cleaned.text.strip() == seeds["000"].raw_text.strip()


def test_seed_language_date_and_site(seeds):
    for p in seeds.values():
        assert p.document.language == "fr"
        assert p.document.sites[0] == "tumangang"
    assert seeds["001"].document.published_precision == "month"
    assert seeds["001"].document.published_at.strftime("%Y-%m") == "2023-10"
    assert seeds["000"].document.published_at is None
    assert any("publication date unknown" in w for w in seeds["000"].document.warnings)


def test_seed_counts_and_baseline(seeds):
    c0 = _one(seeds["000"].claims, "count", count=73)
    assert c0.value["railcar_class"] == "freight" and c0.value["qualifier"] == "exact"
    assert c0.site == "tumangang"
    c1 = _one(seeds["001"].claims, "count", count=73)
    assert c1.value["qualifier"] == "approx" and c1.quote.lower().startswith("environ")
    b = _one(seeds["001"].claims, "baseline", max=20)
    assert b.value["window_years"] == 5
    assert not any(c.kind == "count" and c.value["count"] == 20 for c in seeds["001"].claims)


def test_seed_dates_are_modelled_by_role(seeds):
    img = _one(seeds["001"].claims, "imagery_date", resolved=True)
    assert img.value["date"] == "2023-10-05"
    # Seed 000's "vendredi" is when the think tank spoke, not when the pictures were taken.
    assert not any(c.kind == "imagery_date" for c in seeds["000"].claims)
    rep = _one(seeds["000"].claims, "report_date", expression="vendredi")
    assert rep.value["resolved"] is False


def test_seed_source_assessment_caveat_events(seeds):
    for key in ("000", "001"):
        claims = seeds[key].claims
        assert {"Beyond Parallel", "CSIS"} <= {
            c.value["name"] for c in claims if c.kind == "source"
        }
        a = _one(claims, "assessment", topic="arms_transfer", attributed_to="Beyond Parallel")
        assert a.hedge == "likely" and a.value["hedge_text"] == "probablement" in a.quote
        cav = _one(claims, "caveat", concealment=True)
        assert cav.hedge == "caveat" and "bâches" in cav.quote
    assert _one(seeds["000"].claims, "event", attribute="duration_days").value["days"] == 7
    assert _one(seeds["001"].claims, "event", attribute="duration_days").value["days"] == 6


def test_offsets_quote_the_original(seeds, samples):
    for p in [*seeds.values(), *samples.values()]:
        assert p.claims
        for c in p.claims:
            assert p.raw_text[c.start : c.end] == c.quote, (p.path, c)


@pytest.mark.parametrize("name", ["en_wire.txt", "nl_krant.txt", "fr_agence.txt", "en_portal.html"])
def test_samples_fill_the_same_slots(samples, name):
    p = samples[name]
    assert p.document.language == name[:2]
    assert "tumangang" in p.document.sites
    counts = {c.value["count"] for c in p.claims if c.kind == "count"}
    assert 73 in counts
    assert _one(p.claims, "baseline", max=20).value["window_years"] == 5
    assert _one(p.claims, "imagery_date", resolved=True).value["date"] == "2023-10-05"
    assert "Beyond Parallel" in {c.value["name"] for c in p.claims if c.kind == "source"}
    assert _one(p.claims, "assessment", level="likely").hedge == "likely"
    assert _one(p.claims, "caveat", concealment=True)


def test_dutch_and_english_specifics(samples):
    nl = samples["nl_krant.txt"].claims
    at_least = _one(nl, "count", count=70)
    assert (
        at_least.value["qualifier"] == "at_least"
        and at_least.quote == "zeker zeventig goederenwagons"
    )
    thursday = _one(nl, "imagery_date", expression="donderdag")
    assert thursday.value["relative"] and thursday.value["date"] == "2023-10-05"
    en = samples["en_wire.txt"].claims
    assert _one(en, "count", count=73).quote == "seventy-three freight cars"
    assert _one(en, "report_date", expression="Friday").value["date"] == "2023-10-06"
    assert _one(en, "event", attribute="duration_days").value["days"] == 6


def test_html_sample_passes_no_markup(samples):
    p = samples["en_portal.html"]
    assert p.document.meta["format"] == "html"
    for bad in ("<", "alert(", "TRACKING PIXEL", "window.tracker", "SIGN UP"):
        assert bad not in p.cleaned.text
    assert "<" not in p.raw_text and "alert(" not in p.raw_text


def test_number_words_in_several_languages():
    cases = {
        ("soixante-treize wagons", "fr"): 73,
        ("seventy-three cars", "en"): 73,
        ("drieënzeventig wagons", "nl"): 73,
        ("dreiundsiebzig Güterwagen", "de"): 73,
        ("семьдесят три вагона", "ru"): 73,
        ("화차 칠십삼 량", "ko"): 73,
    }
    for (t, lang), want in cases.items():
        assert [n.value for n in find_numbers(t, lang)] == [want], (t, lang)
    assert find_numbers("le 20e mois", "fr") == []


def test_extract_claims_is_pure_and_other_languages():
    claims = press.extract_claims(
        "Auf Satellitenbildern vom 5. Oktober 2023 sind etwa 73 Güterwagen in Tumangang zu sehen.",
        "de",
        None,
        builtin(),
    )
    assert _one(claims, "count", count=73).value["qualifier"] == "approx"
    assert _one(claims, "imagery_date").value["date"] == "2023-10-05"
    ru = press.extract_claims("В Тумангане замечено 73 вагона.", "ru", None, builtin())
    assert _one(ru, "count", count=73).site == "tumangang"


def test_clean_keeps_offsets():
    raw = " date 2023-10-06 First line of news.\nCLICK HERE TO GET THE FOO APP\nSecond line.\n"
    c = text.clean(raw)
    assert c.published_precision == "day"
    assert c.text == "First line of news.\nSecond line.\n"
    s = c.text.index("Second")
    a, b = c.to_original(s, s + 6)
    assert raw[a:b] == "Second"


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "empty"), (b"  \n ", "empty"), (b"abc\x00def" * 10, "binary")],
)
def test_bad_files(tmp_path, content, message):
    f = tmp_path / "bad.txt"
    f.write_bytes(content)
    with pytest.raises(PressError, match=message):
        prepare(f, builtin())


def test_huge_and_missing_files(tmp_path, monkeypatch):
    monkeypatch.setattr(text, "MAX_BYTES", 100)
    f = tmp_path / "big.txt"
    f.write_text("x" * 200)
    with pytest.raises(PressError, match="limit"):
        prepare(f, builtin())
    with pytest.raises(PressError, match="no such file"):
        prepare(tmp_path / "nope.txt", builtin())


def test_cp1252_and_unknown_language(tmp_path):
    f = tmp_path / "latin.txt"
    f.write_bytes("Le wagon à Tumangang était plein, a déclaré l'équipe.".encode("cp1252"))
    p = prepare(f, builtin())
    assert any("cp1252" in w for w in p.document.warnings)
    g = tmp_path / "short.txt"
    g.write_text("73 wagons ?")
    q = prepare(g, builtin())
    assert q.document.language == "und" and q.document.status == "partial"


def test_ingest_groups_compares_and_observes(store, seeds_dir):
    from railwatch import service

    service.add_sites(store, builtin())
    results = press.ingest(store, sorted(seeds_dir.glob("*.txt")))
    assert [r.new for r in results] == [True, True]
    keys = {r.document.group_key for r in results}
    assert keys == {"tumangang:2023-10-05"}
    # Seed 000 has no imagery date: no observation; 001 gives one for 2023-10-05.
    obs = service.list_observations(store, method="press")
    assert [(o.count, o.railcar_class, o.observed_at.date().isoformat()) for o in obs] == [
        (73, "total", "2023-10-05")
    ]
    assert obs[0].document_id == results[1].document.id and obs[0].claim_id is not None
    assert "imagery date" in " ".join(results[0].notes)
    again = press.ingest(store, [next(seeds_dir.glob("001_*.txt"))])
    assert not again[0].new and "already stored" in again[0].notes[0]
    comparison = press.compare(store)
    assert len(comparison.groups) == 1
    slots = {s.name: s for s in comparison.groups[0].slots}
    assert slots["count"].status == "agree"
    assert slots["event.summit.duration_days"].status == "conflict"
    assert {v.value for v in slots["event.summit.duration_days"].values} == {6, 7}
    # "le mois dernier" with no publication date against "ce mois-ci" in October 2023.
    assert slots["event.summit.when"].status == "undetermined"
    assert slots["baseline.max"].status == "single-source"
    assert slots["imagery_date"].status == "single-source"
    assert slots["imagery_date"].values[0].quote == "5 octobre 2023"
    assert slots["caveat.concealment"].status == "agree"
    assert slots["assessment.arms_transfer"].status == "agree"
    assert comparison.to_dict()["groups"][0]["key"] == "tumangang:2023-10-05"


def test_unrelated_report_is_a_separate_event(store, tmp_path):
    from railwatch import service

    service.add_sites(store, builtin())
    entries = press.sample_reports()[:2]
    press.ingest(store, [e["path"] for e in entries], published="2023-10-06")
    old = tmp_path / "old.txt"
    old.write_text(
        "Satellite images taken on March 3 showed 12 freight cars at Khasan station, "
        "a quiet day at the Russian border post, local officials said on Monday.",
        encoding="utf-8",
    )
    r = press.ingest(store, [old], published="2019-03-05")
    assert r[0].document.group_key.startswith("khasan:2019-03-0")
    assert len(press.compare(store).groups) == 2


def test_compare_handles_open_and_unqualified_counts():
    """An "at least" count has no upper bound and a hand-made claim may lack a qualifier."""
    import json

    from railwatch.press.comparison import _slot_entries, _status
    from railwatch.press.records import Claim, SlotValue

    at_least = Claim(
        kind="count",
        value={"count": 70, "qualifier": "at_least"},
        quote="at least 70",
        start=0,
        end=11,
    )
    bare = Claim(kind="count", value={"count": 73}, quote="73 wagons", start=0, end=9)
    ((slot_a, value_a, _),) = _slot_entries(at_least)
    ((slot_b, value_b, shown_b),) = _slot_entries(bare)
    assert value_a == [70.0, None] and json.loads(json.dumps(value_a)) == [70.0, None]
    assert value_b == [73.0, 73.0] and shown_b.startswith("73")
    per_doc = {
        1: [
            SlotValue(
                document_id=1,
                source="a",
                value=value_a,
                display="≥70",
                quote="at least 70",
                start=0,
                end=11,
            )
        ],
        2: [
            SlotValue(
                document_id=2,
                source="b",
                value=value_b,
                display="73",
                quote="73 wagons",
                start=0,
                end=9,
            )
        ],
    }
    assert _status("count", per_doc)[0] == "agree"
    per_doc[2][0] = SlotValue(
        document_id=2, source="b", value=[20.0, 20.0], display="20", quote="20", start=0, end=2
    )
    assert _status("count", per_doc)[0] == "conflict"


REPORT_EN = (
    "Satellite imagery of 5 October 2023 shows 73 railcars at Tumangang, "
    "far above the earlier maximum of 20, analysts said.\n"
)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_with_a_bom_are_read(tmp_path, encoding):
    f = tmp_path / "wide.txt"
    bom = {"utf-16-be": b"\xfe\xff"}.get(encoding, b"")
    f.write_bytes(bom + REPORT_EN.encode(encoding))
    p = prepare(f, builtin())
    assert p.raw_text.strip() == REPORT_EN.strip()
    assert _one(p.claims, "count").value["count"] == 73


def test_shift_jis_and_cp1251_are_decoded_not_stored_as_garbage(tmp_path):
    f = tmp_path / "jp.txt"
    words = "北朝鮮の豆満江駅で貨車が七十三両確認された。衛星画像による。"
    f.write_bytes(words.encode("shift_jis"))
    p = prepare(f, builtin())
    assert p.raw_text == words
    assert any("cp932" in w for w in p.document.warnings)
    g = tmp_path / "ru.txt"
    russian = "5 октября 2023 года на станции Туманган замечено 73 вагона."
    g.write_bytes(russian.encode("cp1251"))
    assert prepare(g, builtin()).raw_text == russian


def test_random_high_bytes_are_refused(tmp_path):
    import random

    rng = random.Random(7)
    f = tmp_path / "noise.txt"
    f.write_bytes(bytes(rng.randrange(128, 256) for _ in range(3000)))
    with pytest.raises(PressError, match="noise.txt: not UTF-8 .* save the report as UTF-8"):
        prepare(f, builtin())


def test_escaped_markup_in_html_survives_as_text(tmp_path):
    f = tmp_path / "page.html"
    f.write_text(
        "<html><head><title>Rail &lt;b&gt;news</title><script>alert(2)</script></head><body>"
        "<article><p>Satellite imagery of 5 October 2023 shows 73 railcars at Tumangang.</p>"
        "<p>An official wrote &quot;&lt;script&gt;alert(1)&lt;/script&gt; is not a railcar&quot;"
        " in a message seen by reporters, who kept the odd wording as it was written.</p>"
        "</article></body></html>",
        encoding="utf-8",
    )
    p = prepare(f, builtin())
    assert "<script>alert(1)</script> is not a railcar" in p.cleaned.text
    assert "alert(2)" not in p.cleaned.text and "\u27e6" not in p.raw_text
