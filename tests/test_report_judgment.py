"""The key judgment, the caveats and the report's words: pure functions, per level and language."""

from __future__ import annotations

from datetime import date

import pytest

from railwatch.errors import InputError
from railwatch.report import caveats, judgment, md_escape
from railwatch.report.i18n import (
    ESTIMATIVE,
    ESTIMATIVE_KEYS,
    STRINGS,
    format_date,
    format_figure,
    format_number,
)
from railwatch.report.judgment import TERM_FOR_LEVEL
from railwatch.report.model import LinkedEvent, ModelInfo

SUMMIT = LinkedEvent("Kim–Putin summit", date(2023, 9, 13), lag_days=7, lag_min_days=7)
FACTS = dict(
    site="Tumangang",
    count=73,
    day=date(2023, 10, 5),
    prior_max=20,
    median=9.0,
    baseline_n=40,
    baseline_first=date(2018, 10, 6),
)
STRONGER_THAN_LIKELY = ("very likely", "almost certain", "very_likely", "almost_certain")
STRONGER_FR = ("très probable", "quasi certain")


def _strength(term: str | None) -> int:
    return -1 if term is None else ESTIMATIVE_KEYS.index(term)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_unprecedented_with_event_is_likely_never_certain(lang):
    j = judgment("unprecedented", SUMMIT, lang=lang, **FACTS)
    assert j.term == "likely"
    assert ESTIMATIVE[lang]["likely"] in j.text
    for strong in STRONGER_THAN_LIKELY + STRONGER_FR:
        assert strong not in j.text
    assert "73" in j.text and "20" in j.text
    assert ("5 October 2023" if lang == "en" else "5 octobre 2023") in j.text
    assert ("13 September 2023" if lang == "en" else "13 septembre 2023") in j.text
    assert "Kim–Putin summit" in j.text
    assert ("7 days" if lang == "en" else "7 jours") in j.text


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_unprecedented_without_event_says_what_not_why(lang):
    j = judgment("unprecedented", None, lang=lang, **FACTS)
    assert j.term is None
    for key in ESTIMATIVE_KEYS:  # no estimate of a cause at all
        assert f" {ESTIMATIVE[lang][key]} que" not in j.text
    assert "judge it" not in j.text and "Nous jugeons" not in j.text
    assert ("not its cause" if lang == "en" else "pas sa cause") in j.text


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_elevated_is_cautious(lang):
    with_event = judgment("elevated", SUMMIT, lang=lang, **FACTS)
    alone = judgment("elevated", None, lang=lang, **FACTS)
    assert with_event.term == "roughly_even_chance"
    assert ESTIMATIVE[lang]["roughly_even_chance"] in with_event.text
    assert ESTIMATIVE[lang]["likely"] + " " not in with_event.text.replace(
        ESTIMATIVE[lang]["roughly_even_chance"], ""
    )
    assert alone.term is None
    assert ("ordinary variation" if lang == "en" else "variation ordinaire") in alone.text


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_normal_says_nothing_unusual(lang):
    j = judgment("normal", SUMMIT, lang=lang, **FACTS)
    assert j.term is None
    assert j.text.startswith("Nothing unusual" if lang == "en" else "Rien d'inhabituel")
    assert "Kim–Putin" not in j.text  # a normal count is not tied to events


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_insufficient_history_cannot_judge(lang):
    j = judgment("insufficient-history", None, lang=lang, **{**FACTS, "baseline_n": 3})
    assert j.term is None
    assert j.text.startswith("Cannot judge" if lang == "en" else "Impossible de juger")
    assert "3" in j.text


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_no_data(lang):
    j = judgment(None, lang=lang, site="Tumangang")
    assert j.level is None and j.term is None
    assert "Tumangang" in j.text


@pytest.mark.parametrize("level", list(TERM_FOR_LEVEL))
@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("event", [SUMMIT, None])
def test_no_level_exceeds_its_ceiling(level, lang, event):
    j = judgment(level, event, lang=lang, **FACTS)
    assert _strength(j.term) <= _strength(TERM_FOR_LEVEL[level])
    for strong in STRONGER_THAN_LIKELY + STRONGER_FR:
        assert strong not in j.text


def test_press_only_count_lowers_confidence():
    j = judgment("unprecedented", SUMMIT, lang="en", basis="press", **FACTS)
    assert j.term == "roughly_even_chance"
    assert "press claim" in j.text


def test_a_count_from_a_clouded_image_lowers_confidence_and_says_why():
    for lang, words in (("en", "under cloud"), ("fr", "nuageuse")):
        j = judgment("unprecedented", SUMMIT, lang=lang, basis="clouded", **FACTS)
        assert j.term == "roughly_even_chance"
        assert words in j.text
    assert "under cloud" not in judgment("unprecedented", SUMMIT, **FACTS).text
    with pytest.raises(InputError, match="basis"):
        judgment("unprecedented", SUMMIT, basis="rumour", **FACTS)


def test_uncertain_onset_gives_a_range_of_days():
    uncertain = LinkedEvent("Summit", date(2023, 9, 13), lag_days=7, lag_min_days=2)
    assert "between 2 and 7 days" in judgment("unprecedented", uncertain, **FACTS).text
    assert "entre 2 et 7 jours" in judgment("unprecedented", uncertain, lang="fr", **FACTS).text


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_rise_that_may_predate_the_event_lowers_confidence(lang):
    early = LinkedEvent("Summit", date(2023, 9, 13), lag_days=7, lag_min_days=-60)
    j = judgment("unprecedented", early, lang=lang, **FACTS)
    assert j.term == "roughly_even_chance"
    assert ESTIMATIVE[lang]["likely"] + " que" not in j.text
    span = "60 days before and 7 days after" if lang == "en" else "60 jours avant et 7 jours"
    assert span in j.text


def test_rise_mostly_after_the_event_stays_likely():
    close = LinkedEvent("Summit", date(2023, 9, 13), lag_days=7, lag_min_days=-2)
    j = judgment("unprecedented", close, **FACTS)
    assert j.term == "likely"
    assert "between 2 days before and 7 days after" in j.text


def test_bad_inputs_are_refused():
    with pytest.raises(InputError, match="language"):
        judgment("normal", lang="de", **FACTS)
    with pytest.raises(InputError, match="level"):
        judgment("alarming", **FACTS)
    with pytest.raises(InputError, match="count"):
        judgment("normal", site="x")


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_caveats_name_tarps_direction_and_detector(lang):
    model = ModelInfo("rw-det-0.1", count_error=1.8, gsd_range=(0.3, 0.8))
    out = caveats(
        lang=lang,
        tarped_detections=12,
        tarp_claimed=True,
        models=(model,),
        gsd_range=(0.5, 0.6),
        methods=frozenset({"detector"}),
        baseline_n=30,
    )
    text = " ".join(out)
    assert ("tarps" if lang == "en" else "bâche") in out[0]
    assert "12" in out[0]
    assert ("Direction of travel" if lang == "en" else "sens de circulation") in text
    assert "rw-det-0.1" in text and format_number(1.8, lang) in text
    assert format_number(0.5, lang, 2) in text


def test_no_tarp_caveat_without_evidence_of_tarps():
    out = caveats(lang="en", methods=frozenset({"analyst"}))
    assert not any("tarp" in c for c in out)
    assert any("Direction of travel" in c for c in out)


def test_dates_and_numbers_are_written_by_hand():
    assert format_date(date(2023, 10, 5), "en") == "5 October 2023"
    assert format_date(date(2023, 10, 5), "fr") == "5 octobre 2023"
    assert format_date(date(2023, 10, 1), "fr") == "1er octobre 2023"
    assert format_date(date(2023, 8, 15), "fr") == "15 août 2023"
    assert format_number(3.65, "fr") == "3,6" or format_number(3.65, "fr") == "3,7"
    assert format_number(4.0, "en") == "4"
    assert format_figure(0.810, "en") == "0.81"
    assert format_figure(20.0, "en") == "20"


def test_both_languages_have_every_string():
    assert set(STRINGS["en"]) == set(STRINGS["fr"])
    assert set(ESTIMATIVE["en"]) == set(ESTIMATIVE["fr"]) == set(ESTIMATIVE_KEYS)


def test_md_escape_neutralizes_markup():
    hostile = "<script>alert(1)</script> [x](http://evil) *bold* | pipe\nnext"
    out = md_escape(hostile)
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert "[x](" not in out and "\\[x\\]" in out
    assert "\\*bold\\*" in out and "\\|" in out
    assert "\n" not in out
    assert md_escape("# title") == "\\# title"
    assert md_escape("1. first") == "1\\. first"
    assert md_escape("- item") == "\\- item"
    assert md_escape("> quoted") == "&gt; quoted"
    assert md_escape("4.1 times") == "4.1 times"  # ordinary text stays readable
