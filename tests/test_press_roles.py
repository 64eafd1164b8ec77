"""Counts by role, dates by clause: reports written to tempt each known mistake.

Each tempting phrasing is tried in several languages, since the rule that reads it
must hold for the whole class of phrasing, not for one sentence.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from railwatch import press
from railwatch.press.service import parse_published, placed_counts
from railwatch.sites import builtin

PUB = date(2023, 10, 8)


def _claims(text: str, lang: str, published: date | None = PUB):
    return press.extract_claims(text, lang, published, builtin())


def _counts(claims, role=None):
    return [c for c in claims if c.kind == "count" and (role is None or c.value["role"] == role)]


def _observed(claims):
    return sorted(
        (c.site, c.value["railcar_class"], c.value["count"], c.value["date"])
        for c in placed_counts(claims)
    )


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "In the past, 20 cars were seen there at most."),
        ("en", "Before this week, 20 cars had been seen there at most in the past."),
        ("fr", "Par le passé, on y a vu 20 wagons au maximum."),
        ("nl", "In het verleden stonden er hooguit 20 wagons."),
        ("de", "In der Vergangenheit wurden dort höchstens 20 Waggons gesehen."),
        ("ru", "В прошлом там видели не более 20 вагонов."),
        ("es", "En el pasado se vieron allí como máximo 20 vagones."),
        ("ko", "과거에는 최대 20량이 관측됐다."),
    ],
)
def test_prior_maximum_is_never_a_count(lang, text):
    lead = {
        "en": "Satellite images taken on 5 October show 73 freight cars at Tumangang.",
        "fr": "Des images prises le 5 octobre montrent 73 wagons de marchandises à Tumangang.",
        "nl": "Op beelden van 5 oktober staan 73 goederenwagons in Tumangang.",
        "de": "Aufnahmen vom 5. Oktober zeigen 73 Güterwagen in Tumangang.",
        "ru": "На снимках от 5 октября видно 73 грузовых вагона в Тумангане.",
        "es": "Imágenes tomadas el 5 de octubre muestran 73 vagones de carga en Tumangang.",
        "ko": "10월 5일 촬영된 위성사진에 두만강역 화물열차 73량이 보였다.",
    }[lang]
    claims = _claims(f"{lead} {text}", lang)
    assert _observed(claims) == [("tumangang", "freight", 73, "2023-10-05")]
    peak = [c for c in claims if c.kind == "baseline" and c.value["max"] == 20]
    assert peak and peak[0].value["role"] == "prior_max"
    assert not any(c.value["count"] == 20 for c in _counts(claims))


@pytest.mark.parametrize(
    ("lang", "text", "cls"),
    [
        ("en", "The yard held freight cars, totalling approximately 73.", "freight"),
        ("fr", "La gare comptait des wagons couverts, au nombre d'environ 73.", "box"),
        ("nl", "Er stonden ketelwagens, in totaal ongeveer 73.", "tank"),
        ("de", "Dort standen Güterwagen, insgesamt etwa 73.", "freight"),
        ("ru", "На станции стояли цистерны, всего около 73.", "tank"),
        ("es", "Había vagones de carga, en total unos 73.", "freight"),
    ],
)
def test_count_after_its_noun(lang, text, cls):
    claims = _claims(f"{text} Tumangang.", lang)
    (c,) = _counts(claims)
    assert (c.value["count"], c.value["railcar_class"], c.value["qualifier"]) == (73, cls, "approx")
    assert c.quote.endswith("73")


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        (
            "en",
            "Satellite images taken on 5 October, a day before Kim's visit on 6 October, "
            "show 73 freight cars at Tumangang.",
        ),
        (
            "en",
            "On October 5, 73 freight cars were observed at Tumangang, Beyond Parallel "
            "said on October 6.",
        ),
        (
            "fr",
            "Des images prises le 5 octobre, la veille de la visite de Kim le 6 octobre, "
            "montrent 73 wagons de marchandises à Tumangang.",
        ),
        (
            "de",
            "Aufnahmen vom 5. Oktober, einen Tag vor dem Besuch Kims am 6. Oktober, "
            "zeigen 73 Güterwagen in Tumangang.",
        ),
        (
            "nl",
            "Op beelden van 5 oktober, een dag voor het bezoek van Kim op 6 oktober, staan "
            "73 goederenwagons in Tumangang.",
        ),
        (
            "ru",
            "На снимках от 5 октября, за день до визита Кима 6 октября, видно 73 грузовых "
            "вагона в Тумангане.",
        ),
        (
            "es",
            "Imágenes tomadas el 5 de octubre, un día antes de la visita de Kim el 6 de "
            "octubre, muestran 73 vagones de carga en Tumangang.",
        ),
    ],
)
def test_another_events_date_does_not_move_the_imagery_date(lang, text):
    claims = _claims(text, lang)
    assert _observed(claims) == [("tumangang", "freight", 73, "2023-10-05")]
    assert {c.value["date"] for c in claims if c.kind == "imagery_date"} == {"2023-10-05"}


def test_a_time_zone_never_moves_a_calendar_date():
    seoul = timezone(timedelta(hours=9))
    published, precision = parse_published(datetime(2023, 10, 6, 1, 30, tzinfo=seoul))
    assert (published.date().isoformat(), precision) == ("2023-10-06", "day")
    claims = press.extract_claims(
        "Pictures taken on Thursday show 73 freight cars at Tumangang.",
        "en",
        datetime(2023, 10, 6, 1, 30, tzinfo=seoul),
        builtin(),
    )
    day = next(c for c in claims if c.kind == "imagery_date")
    assert day.value["date"] == "2023-10-05"
    assert "2023-10-05" in day.value["resolution"] and "2023-10-06" in day.value["resolution"]


def test_a_date_from_another_year_keeps_its_count_undated():
    claims = _claims(
        "Images taken on 5 October show 73 freight cars at Tumangang. In 2019 the yard "
        "held 31 wagons.",
        "en",
    )
    assert _observed(claims) == [("tumangang", "freight", 73, "2023-10-05")]


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        (
            "en",
            "Imagery from 5 October shows approximately 175 ore cars, 14 box cars, 3 tank cars "
            "and 1 passenger car at Tumangang and approximately 112 ore cars and 6 "
            "maintenance-of-way cars at Khasan.",
        ),
        (
            "fr",
            "Les images du 5 octobre montrent environ 175 wagons-trémies, 14 wagons couverts, "
            "3 wagons-citernes et 1 voiture de voyageurs à Tumangang et environ 112 "
            "wagons-trémies et 6 wagons de service à Khasan.",
        ),
        (
            "de",
            "Bilder vom 5. Oktober zeigen in Tumangang etwa 175 Schüttgutwagen, 14 gedeckte "
            "Güterwagen, 3 Kesselwagen und einen Personenwagen, in Khasan etwa 112 "
            "Schüttgutwagen und 6 Bahndienstwagen.",
        ),
        (
            "ru",
            "На снимках от 5 октября в Тумангане видно около 175 полувагонов, 14 крытых "
            "вагонов, 3 цистерны и 1 пассажирский вагон, а в Хасане около 112 полувагонов.",
        ),
    ],
)
def test_per_class_lists_across_two_sites(lang, text):
    got = _observed(_claims(text, lang))
    want = [
        ("tumangang", "open", 175),
        ("tumangang", "box", 14),
        ("tumangang", "tank", 3),
        ("tumangang", "passenger", 1),
        ("khasan", "open", 112),
    ]
    if lang != "ru":
        want.append(("khasan", "other", 6))
    assert got == sorted((s, c, n, "2023-10-05") for s, c, n in want)


@pytest.mark.parametrize(
    ("lang", "text", "days"),
    [
        ("en", "Traffic grew starting five days after the summit.", 5),
        ("fr", "Le trafic a augmenté à partir de cinq jours après le sommet.", 5),
        ("nl", "Het verkeer nam toe vanaf vijf dagen na de top.", 5),
        ("de", "Der Verkehr nahm fünf Tage nach dem Gipfel zu.", 5),
        ("ru", "Движение выросло через пять дней после саммита.", 5),
        ("es", "El tráfico creció cinco días después de la cumbre.", 5),
        ("ko", "정상회담 닷새 뒤부터 운행이 늘었다.", 5),
    ],
)
def test_a_lag_after_the_summit_is_not_its_length(lang, text, days):
    claims = _claims(text, lang)
    events = [c for c in claims if c.kind == "event"]
    assert [c.value["attribute"] for c in events] == ["lag_days"]
    assert events[0].value["days"] == days and events[0].value["direction"] == "after"


def test_a_summit_length_is_still_read():
    claims = _claims("Kim's six-day trip ended. The three-day summit began five days later.", "en")
    kinds = sorted((c.value["attribute"], c.value["days"]) for c in claims if c.kind == "event")
    assert kinds == [("duration_days", 3), ("duration_days", 6), ("lag_days", 5)]


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("The Tumangang yard could hold up to 200 wagons, images from 5 October show.", "unclear"),
        ("Images from 5 October show an increase of 25 wagons at Tumangang.", "change"),
        ("Images from 5 October show 53 more cars at Tumangang than in the spring.", "change"),
        ("Tumangang has room for 300 wagons, images from 5 October show.", "unrelated"),
        ("Images from 5 October show Tumangang usually handles 40 wagons.", "baseline"),
    ],
)
def test_numbers_that_are_not_counts_of_what_was_seen(text, role):
    claims = _claims(text, "en")
    assert not placed_counts(claims)
    got = [c.value["role"] for c in claims if c.kind in {"count", "baseline"}]
    assert got == [role]


def test_relative_date_needs_a_publication_day():
    text = "Pictures taken yesterday show 40 wagons at Tumangang."
    undated = _claims(text, "en", None)
    assert not placed_counts(undated)
    assert _counts(undated)[0].value["placement"] == "not dated"
    dated = _claims(text, "en", date(2024, 2, 2))
    assert _observed(dated) == [("tumangang", "total", 40, "2024-02-01")]


def test_two_sites_and_no_site_in_the_sentence_is_not_placed():
    claims = _claims(
        "Images taken on 5 October show trains at Tumangang and at Khasan. "
        "About 60 wagons stood in the yard.",
        "en",
    )
    (c,) = _counts(claims)
    assert c.site is None and c.value["placement"] == "site unclear"


TEMPTING = {
    "peak.txt": "Satellite images taken on 5 October show 73 freight cars at Tumangang. "
    "In the past, 20 cars were seen there at most.",
    "visit.txt": "Satellite images taken on 5 October, a day before Kim's visit on 6 October, "
    "show 73 freight cars at Tumangang.",
    "after_noun.txt": "Images from 5 October show freight cars at Tumangang, totalling "
    "approximately 73.",
    "two_sites.txt": "Imagery from 5 October shows approximately 175 ore cars and 1 passenger "
    "car at Tumangang and approximately 112 ore cars at Khasan.",
    "lag.txt": "Rail traffic at Tumangang rose starting five days after the summit; the "
    "three-day summit ended on 2 October. About 50 wagons stood there yesterday.",
    "plan.txt": "Kim's visit on 6 October could bring up to 90 wagons to Tumangang.",
}


def test_press_add_stores_no_wrong_observation(cli, tmp_path):
    cli("sites", "add", "--builtin")
    paths = []
    for name, body in TEMPTING.items():
        (tmp_path / name).write_text(body, encoding="utf-8")
        paths.append(str(tmp_path / name))
    cli("press", "add", *paths, "--published", "2023-10-08")
    observed = cli.json("observe", "list", "--method", "press")["observations"]
    got = sorted(
        (o["site"], o["railcar_class"], o["count"], o["observed_at"][:10]) for o in observed
    )
    day = "2023-10-05"
    assert got == sorted(
        [
            ("tumangang", "freight", 73, day),  # peak.txt
            ("tumangang", "freight", 73, day),  # visit.txt
            ("tumangang", "freight", 73, day),  # after_noun.txt
            ("tumangang", "open", 175, day),
            ("tumangang", "passenger", 1, day),
            ("khasan", "open", 112, day),
            ("tumangang", "total", 50, "2023-10-07"),  # lag.txt: "yesterday"
        ]
    )
    comparison = cli.json("press", "compare")
    unplaced = [u for g in comparison["groups"] for u in g["unplaced"]]
    assert [(u["reason"], u["quote"]) for u in unplaced] == [("role unclear", "up to 90 wagons")]
    slots = {s["name"]: s for g in comparison["groups"] for s in g["slots"]}
    assert {v["value"] for v in slots["event.summit.lag_days"]["values"]} == {5}
    assert {v["value"] for v in slots["event.summit.duration_days"]["values"]} == {3}
    text = cli("press", "compare").stdout
    assert "role unclear" in text and "up to 90 wagons" in text
