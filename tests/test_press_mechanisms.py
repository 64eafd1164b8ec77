"""The general rules behind the press extractor, each tried in several languages.

Every test here failed before its rule was added: a multi-word cue with a word
inserted inside it, a cue that stands after what it qualifies, an article read as
the number one. The sentences are written for these tests, not taken from the gold set.
"""

from __future__ import annotations

from datetime import date

import pytest

from railwatch import press
from railwatch.press import lexicon
from railwatch.sites import builtin

PUB = date(2024, 3, 15)  # a Friday


def _claims(text: str, lang: str, published: date | None = PUB):
    return press.extract_claims(text, lang, published, builtin())


def _caveats(claims) -> set[str]:
    return {
        k for c in claims if c.kind == "caveat" for k in ("uncertain", "concealment") if c.value[k]
    }


def _hedges(claims) -> set[str]:
    return {c.value["level"] for c in claims if c.kind == "assessment"}


def test_gapped_widens_only_spaces_between_words():
    frag = lexicon.gapped(r"not (?:really )?sure|[a ]b|x\ y")
    assert frag.count(lexicon.TOKEN_GAP) == 2  # "not_(?:really_)" — not in [a ] or x\ y
    assert lexicon.rx(frag).fullmatch("not at all really sure")
    assert not lexicon.rx(frag).fullmatch("not 3 sure")  # a number never fills the gap


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "Analysts at 38 North said they could not fully confirm what the wagons held."),
        (
            "fr",
            "Les analystes disent qu'il est impossible pour nous de savoir ce qu'il y a.",
        ),
        ("fr", "Les analystes n'ont pas encore pu identifier la cargaison."),
        ("nl", "Wat de wagons vervoeren, is niet met absolute zekerheid te zeggen."),
        ("de", "Was die Wagen geladen haben, lässt sich nicht mit völliger Sicherheit sagen."),
        ("es", "Los analistas dicen que no se puede estar del todo seguro de la carga."),
        ("ru", "Аналитики считают, что нельзя с полной уверенностью судить о грузе."),
    ],
)
def test_uncertainty_phrase_with_inserted_words(lang, text):
    assert "uncertain" in _caveats(_claims(text, lang))


@pytest.mark.parametrize(
    ("lang", "text", "level"),
    [
        ("es", "Es muy probable que los trenes lleven municiones.", "likely"),
        ("de", "Es ist nahezu ganz sicher, dass die Züge Munition bringen.", "almost_certain"),
    ],
)
def test_hedge_phrase_with_inserted_words(lang, text, level):
    assert _hedges(_claims(text, lang)) == {level}


def _observed(claims):
    from railwatch.press.service import placed_counts

    return sorted(
        (c.site, c.value["railcar_class"], c.value["count"], c.value["date"])
        for c in placed_counts(claims)
    )


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        (
            "en",
            "According to Planet Labs, on Tuesday 52 tank cars stood at Khasan, as pictures "
            "taken by its satellites on that day make clear.",
        ),
        (
            "fr",
            "Selon Planet Labs, mardi, 52 wagons-citernes se trouvaient à Khasan, comme le "
            "montrent les images satellites prises ce jour-là.",
        ),
        (
            "nl",
            "Volgens Planet Labs stonden er dinsdag 52 ketelwagens in Khasan, zo blijkt uit "
            "de satellietbeelden die toen zijn gemaakt.",
        ),
        (
            "de",
            "Laut Planet Labs standen am Dienstag 52 Kesselwagen in Khasan, wie die an diesem "
            "Tag entstandenen Satellitenaufnahmen belegen.",
        ),
        (
            "es",
            "Según Planet Labs, el martes había 52 vagones cisterna en Khasan, como muestran "
            "las imágenes de satélite de esa jornada.",
        ),
    ],
)
def test_imagery_cue_at_the_far_end_of_its_sentence(lang, text):
    """The imagery word governs the sentence's date wherever it stands in it."""
    assert _observed(_claims(text, lang)) == [("khasan", "tank", 52, "2024-03-12")]


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "According to Maxar, on Wednesday 40 cars stood at Khasan."),
        ("es", "Según Maxar, el miércoles había 40 vagones en Khasan."),
        ("de", "Laut Maxar standen am Mittwoch 40 Waggons in Khasan."),
    ],
)
def test_an_attribution_is_not_a_report_date(lang, text):
    """ "According to X, on Wednesday …" dates the scene, not X's statement."""
    claims = _claims(text, lang)
    assert not [c for c in claims if c.kind == "report_date"]


def test_two_dates_each_cue_takes_the_nearer():
    text = (
        "A Russian delegation arrived at Khasan on Thursday; 61 cars were there on Wednesday, "
        "as satellite pictures show."
    )
    claims = _claims(text, "en")
    imagery = [c.value["date"] for c in claims if c.kind == "imagery_date"]
    assert imagery == ["2024-03-13"]
    assert _observed(claims) == [("khasan", "total", 61, "2024-03-13")]


@pytest.mark.parametrize(
    ("lang", "text", "value"),
    [
        ("es", "unos noventa vagones", 90),
        ("es", "unas cuarenta plataformas", 40),
        ("fr", "une soixantaine de wagons", 60),
        ("en", "one hundred cars", 100),
        ("ru", "около семидесяти вагонов", 70),
        ("ru", "не более тридцати пяти вагонов", 35),
    ],
)
def test_articles_and_oblique_cases_read_as_the_number_they_qualify(lang, text, value):
    from railwatch.press.numbers import find_numbers

    assert [n.value for n in find_numbers(text, lang)] == [value]


def test_a_plural_article_never_becomes_a_count_of_one():
    text = "Imágenes tomadas el 12 de marzo muestran unos noventa vagones de carga en Khasan."
    assert _observed(_claims(text, "es")) == [("khasan", "freight", 90, "2024-03-12")]


@pytest.mark.parametrize(
    ("text", "cls", "value"),
    [
        ("3월 12일 촬영된 위성사진에서 하산역 화차는 모두 48량이었다.", "freight", 48),
        ("3월 12일 촬영된 위성사진에서 하산역 유개화차는 총 21량이었다.", "box", 21),
    ],
)
def test_korean_noun_keeps_its_class_across_a_particle_and_a_total_word(text, cls, value):
    assert _observed(_claims(text, "ko")) == [("khasan", cls, value, "2024-03-12")]


def test_reading_a_report_does_not_import_torch():
    """spaCy's ML layer would import torch (~3 s) for pipelines that never use it."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from railwatch.press import gazetteer\n"
        "from railwatch.sites import builtin\n"
        "assert gazetteer.find('Khasan', 'en', builtin())\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
        "import importlib.util\n"
        "if importlib.util.find_spec('torch'):\n"
        "    import torch  # still importable afterwards\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("es", "En el pasado hubo en Khasan a lo sumo 18 vagones."),
        ("fr", "Par le passé, Khasan a compté au plus fort 18 wagons."),
        ("nl", "In het verleden stonden er in Khasan op zijn hoogst 18 wagons."),
        ("de", "In der Vergangenheit standen in Khasan allenfalls 18 Waggons."),
    ],
)
def test_a_maximum_word_before_the_number_reads_as_after_it(lang, text):
    """The maximum vocabulary holds in both positions, so the past peak is found."""
    claims = _claims(text, lang)
    assert [c.value["max"] for c in claims if c.kind == "baseline"] == [18]
    assert _observed(claims) == []
