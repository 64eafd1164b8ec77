"""The activity judgment on hand-built series: the seed story and the edge cases."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import pytest

from railwatch.analyze import (
    Rules,
    assess,
    collect,
    find_onset,
    parse_window,
    robust_scale,
    tail_probability,
)
from railwatch.errors import AnalysisError, InputError
from railwatch.records import Event, Observation
from test_analyze_story import SUMMIT, at, history, obs, story


def quiet_series(n: int, value: int | None = None, start: date = date(2020, 1, 1)):
    return [
        obs(start + timedelta(days=7 * i), value if value is not None else 5 + i % 7)
        for i in range(n)
    ]


def test_seed_story_is_unprecedented_with_onset_after_the_summit():
    a = assess(story(), [SUMMIT], as_of="2023-10-06")
    row = a.latest
    assert row.date == date(2023, 10, 5)
    assert row.value == 73
    assert row.level == "unprecedented"
    assert row.baseline.max == 20
    assert row.ratio_to_max == pytest.approx(3.65, abs=0.01)
    assert row.baseline.n > 100
    assert row.baseline.episode_excluded == 4  # the ramp is not its own baseline
    assert row.baseline.window_start == date(2018, 10, 5)
    assert a.onset is not None
    assert abs((a.onset.date - date(2023, 9, 18)).days) <= 3
    assert a.onset.earliest <= a.onset.date
    assert [e.title for e in a.linked_events] == ["Kim–Putin summit"]
    assert abs(a.linked_events[0].lag_days - 5) <= 3
    assert "unprecedented" in a.finding
    assert "3.65× the previous 5-year maximum of 20" in a.finding
    assert "after 'Kim–Putin summit' (2023-09-13)" in a.finding


def test_rise_dates_are_unprecedented_against_the_quiet_years():
    a = assess(story(), [SUMMIT])
    assert a.row("2023-09-18").level == "unprecedented"
    assert a.row("2023-09-30").baseline.max == 20
    assert all(
        r.level in ("insufficient-history", "normal", "elevated")
        for r in a.rows
        if r.date < date(2023, 9, 18)
    )


def test_as_of_ignores_later_observations():
    a = assess(story(), [SUMMIT], as_of="2023-09-20")
    assert a.latest.date == date(2023, 9, 18)
    assert a.as_of == date(2023, 9, 20)
    assert all(r.date <= date(2023, 9, 20) for r in a.rows)


def test_flat_series_is_never_unprecedented():
    a = assess(quiet_series(40, value=3))
    assert {r.level for r in a.rows} <= {"insufficient-history", "normal"}
    assert a.latest.z_scale_method == "poisson"  # MAD and mean deviation are 0
    assert a.latest.robust_z == 0


def test_single_spike_just_above_the_maximum_is_at_most_elevated():
    series = quiet_series(30, value=None)
    series[10] = obs(series[10].observed_at.date(), 20)
    series.append(obs(date(2021, 1, 1), 22))
    a = assess(series)
    assert a.latest.baseline.max == 20
    assert a.latest.level == "elevated"
    assert a.latest.excess == 2 and a.latest.margin >= 3
    # and the same with a confident detector: the materiality floor still holds
    series[-1] = obs(
        date(2021, 1, 1), 22, method="detector", source="m", image_id=9, count_sigma=0.1
    )
    assert assess(series).latest.level in ("normal", "elevated")


def test_too_little_history_is_insufficient_and_says_how_much_is_needed():
    a = assess(quiet_series(5) + [obs(date(2021, 1, 1), 90)])
    assert a.latest.level == "insufficient-history"
    assert "10 needed" in a.latest.reasons[0]
    assert "only 5 earlier observation(s)" in a.finding
    assert a.onset is None
    assert (
        assess(quiet_series(5) + [obs(date(2021, 1, 1), 90)], min_history=5).latest.level
        == "unprecedented"
    )


def test_window_limits_the_baseline():
    old = [obs(date(2010, 1, 1) + timedelta(days=10 * i), 50) for i in range(20)]
    recent = quiet_series(20)
    a = assess(old + recent + [obs(date(2021, 1, 1), 40)], window="5y")
    assert a.latest.baseline.max == 11
    assert a.latest.level == "unprecedented"
    a = assess(old + recent + [obs(date(2021, 1, 1), 40)], window="15y")
    assert a.latest.baseline.max == 50


def test_same_date_sources_analyst_first_all_kept():
    series = quiet_series(20)
    day = date(2021, 1, 1)
    series += [
        obs(day, 30, method="press", source="Outlet", document_id=3),
        obs(day, 28, "box", method="detector", source="img.tif", image_id=7, count_sigma=1.5),
        obs(day, 4, "flat", method="detector", source="img.tif", image_id=7, count_sigma=2.0),
        obs(day, 2, "locomotive", method="detector", source="img.tif", image_id=7),
        obs(day, 31, method="analyst", source="kim"),
    ]
    row = assess(series).latest
    assert (row.value, row.method) == (31, "analyst")
    assert sorted(c.value for c in row.candidates) == [30, 31, 32]
    assert [c.method for c in row.candidates if c.used] == ["analyst"]
    assert row.spread == 2
    det = next(c for c in row.candidates if c.method == "detector")
    assert det.count_sigma == pytest.approx(2.5)  # quadrature of 1.5 and 2.0
    assert "Other sources for that date" in assess(series).finding


def test_press_only_dates_do_not_set_the_baseline():
    series = quiet_series(20)
    series.append(obs(date(2020, 12, 1), 70, method="press", source="Outlet", document_id=1))
    series.append(obs(date(2021, 1, 1), 13))
    a = assess(series)
    assert a.row("2020-12-01").basis == "press"
    assert a.latest.baseline.max == 11  # the press 70 was compared, not used
    assert a.latest.baseline.n == 20


def test_class_selection_and_rollups():
    day = date(2021, 1, 1)
    series = [
        obs(day, 10, "box"),
        obs(day, 3, "flat"),
        obs(day, 2, "locomotive"),
        obs(day + timedelta(days=1), 70, "freight", method="press", source="X", document_id=1),
    ]
    days, unanswered = collect(series, "box")
    assert [d.value for d in days] == [10] and unanswered == 1
    assert [d.value for d in collect(series, "freight")[0]] == [13, 70]
    assert [d.value for d in collect(series, "total")[0]] == [15]
    assert [d.value for d in collect(series, "tank")[0]] == [0]  # split count, none seen
    with pytest.raises(InputError):
        collect(series, "wagons")


def test_duplicates_same_method_use_the_lower_median():
    day = date(2021, 1, 1)
    series = [obs(day, 10, source="a"), obs(day, 40, source="b"), obs(day, 12, source="c")]
    d = collect(series)[0][0]
    assert d.value == 12 and d.spread == 30


def test_onset_on_a_step():
    dates = [date(2023, 1, 1) + timedelta(days=5 * i) for i in range(30)]
    values = [10, 12, 9, 11, 10, 13, 8, 10, 11, 12] * 2 + [10, 11, 9, 40, 42, 39, 41, 45, 44, 50]
    onset = find_onset(dates, values)
    assert onset is not None
    assert onset.date == dates[23] and onset.last_before == dates[22]
    assert onset.earliest == dates[22] + timedelta(days=1)
    assert find_onset(dates, [10] * 30) is None


def test_events_outside_the_lookback_or_after_the_onset_are_not_linked():
    events = [
        SUMMIT,
        Event(occurred_at=datetime(2023, 7, 1, tzinfo=UTC), title="long before"),
        Event(occurred_at=datetime(2023, 10, 1, tzinfo=UTC), title="after the onset"),
    ]
    a = assess(story(), events)
    assert [e.title for e in a.linked_events] == ["Kim–Putin summit"]
    assert assess(story(), events, lookback="120d").linked_events[-1].title == "long before"


def test_robust_scale_fallbacks():
    assert robust_scale([1, 2, 3, 4, 5])[1] == "mad"
    assert robust_scale([2, 2, 2, 2, 9])[1] == "meanad"
    assert robust_scale([4, 4, 4]) == (2.0, "poisson")
    assert robust_scale([0, 0, 0]) == (1.0, "unit")


def test_tail_model_follows_dispersion():
    assert tail_probability([10, 9, 11, 10, 10, 9, 11], 12).model == "poisson"
    bursty = tail_probability([1, 30, 2, 25, 0, 40, 3, 1, 28, 2], 45)
    assert bursty.model == "negbin" and 0 < bursty.p < 0.5
    assert tail_probability([0, 0, 0], 1).p == 0.0
    assert tail_probability([5, 6], 0).p == 1.0


def test_parse_window():
    assert parse_window("5y").start(date(2023, 10, 5)) == date(2018, 10, 5)
    assert parse_window("18m").start(date(2024, 8, 31)) == date(2023, 2, 28)
    assert parse_window("90d").start(date(2023, 10, 5)) == date(2023, 7, 7)
    assert parse_window("2w").label == "2-week"
    for bad in ("5", "y", "0d", "-3d", "5 years"):
        with pytest.raises(InputError):
            parse_window(bad)


def test_errors():
    with pytest.raises(AnalysisError, match="no freight observations"):
        assess([])
    with pytest.raises(AnalysisError, match="several sites"):
        assess(
            [
                obs("2021-01-01", 3),
                obs("2021-01-02", 4).__class__(
                    site="khasan",
                    observed_at=at("2021-01-02"),
                    railcar_class="freight",
                    count=4,
                    method="analyst",
                ),
            ]
        )
    with pytest.raises(InputError):
        Rules(min_history=0)


def test_to_dict_is_plain_json():
    import json

    doc = assess(story(), [SUMMIT]).to_dict()
    text = json.dumps(doc)
    assert doc["latest"]["level"] == "unprecedented"
    assert doc["onset"]["date"] and doc["rows"][0]["baseline"]["n"] == 0
    assert "NaN" not in text and "Infinity" not in text


# -- clouded imagery ---------------------------------------------------------------


def _detector(day: str | date, count: int, image_id: int) -> Observation:
    return obs(day, count, method="detector", source=f"img{image_id}", image_id=image_id)


def test_a_clouded_count_is_judged_but_does_not_set_the_baseline():
    # Cloud edges read as cars: 30 on a cloudy day in the quiet years, then 32 clear.
    quiet = [_detector(d, n, i) for i, (d, n) in enumerate(history(), start=1)]
    cloudy_day = quiet[40].observed_at.date()
    quiet[40] = _detector(cloudy_day, 30, 40_000)
    later = [_detector("2023-10-05", 32, 50_000)]
    clouds = {40_000: 44.0}
    a = assess(quiet + later, cloud_cover=clouds, as_of="2023-10-06")
    row = a.row(cloudy_day)
    assert row.basis == "clouded"
    assert row.candidates[0].cloud_cover == 44.0
    assert a.latest.baseline.max == 20
    assert a.latest.level == "unprecedented"
    # Without the cloud figure the cloudy count is the prior maximum, and 32 no record.
    plain = assess(quiet + later, as_of="2023-10-06")
    assert plain.latest.baseline.max == 30
    assert plain.latest.level != "unprecedented"
    # A stricter or looser rule is honoured: 44 % is fine under a 50 % limit.
    loose = assess(quiet + later, cloud_cover=clouds, rules=Rules(max_cloud=50))
    assert loose.row(cloudy_day).basis == "imagery"
    assert loose.latest.baseline.max == 30


def test_a_clear_image_of_the_same_date_beats_a_clouded_one():
    day = "2022-05-01"
    clouded, clear = _detector(day, 30, 1), _detector(day, 4, 2)
    for order in ([clouded, clear], [clear, clouded]):
        (value,), _ = collect(order, cloud_cover={1: 60.0, 2: 0.0})
        assert value.value == 4 and value.basis == "imagery"
        assert [c.used for c in value.candidates if c.key == "image:1"] == [False]
    # Clouded imagery is still preferred to a press claim of that date.
    press = obs(day, 12, method="press", source="wire", document_id=7)
    (value,), _ = collect([clouded, press], cloud_cover={1: 60.0})
    assert (value.value, value.basis) == (30, "clouded")


def test_clouded_dates_set_the_baseline_when_nothing_clearer_exists():
    quiet = [_detector(d, n, i) for i, (d, n) in enumerate(history(), start=1)]
    clouds = {i: 80.0 for i in range(1, len(quiet) + 1)}
    a = assess([*quiet, _detector("2023-10-05", 73, 9999)], cloud_cover=clouds)
    assert a.latest.baseline.basis == "clouded"
    assert a.latest.baseline.max == 20
    assert a.latest.level == "unprecedented"


def test_the_finding_says_when_its_count_comes_from_a_clouded_image():
    quiet = [_detector(d, n, i) for i, (d, n) in enumerate(history(), start=1)]
    a = assess([*quiet, _detector("2023-10-05", 73, 9999)], cloud_cover={9999: 62.4})
    assert "(from an image 62 % under cloud)" in a.finding
    with pytest.raises(InputError, match="cloud"):
        Rules(max_cloud=120)


def test_a_roll_up_counted_by_one_model_takes_that_model_s_roll_up_error():
    from railwatch.railcars import CLASSES

    def image(day: str, counts: dict[str, int], version: str = "m1") -> list[Observation]:
        return [
            obs(
                day,
                counts.get(c, 0),
                c,
                method="detector",
                source="img",
                image_id=1,
                model_version=version,
                count_sigma=3.0,
            )  # fmt: skip
            for c in CLASSES
        ]

    counts = {"box": 10, "flat": 8, "open": 2}
    models = {"m1": {"freight": (1.0, 0.05), "total": (1.5, 0.05), "box": (3.0, 0.0)}}
    (freight,), _ = collect(image("2022-01-01", counts), "freight", model_sigmas=models)
    assert freight.value == 20
    assert freight.sigma == pytest.approx(math.hypot(1.0, 0.05 * 20), abs=1e-3)
    assert freight.count_sigma == freight.sigma
    # Without the model's figure: its five freight classes' 3.0 each, in quadrature.
    (plain,), _ = collect(image("2022-01-01", counts), "freight")
    assert plain.sigma == pytest.approx(3.0 * math.sqrt(5))
    # A single class keeps its own error; an unknown model falls back on quadrature.
    (box,), _ = collect(image("2022-01-01", counts), "box", model_sigmas=models)
    assert box.sigma == 3.0
    (other,), _ = collect(image("2022-01-01", counts, "m2"), "freight", model_sigmas=models)
    assert other.sigma == pytest.approx(3.0 * math.sqrt(5))


def test_eligible_days_by_bisection_match_the_definition():
    # The baseline of each date is found by bisection on per-basis positions (ten years of
    # near-daily imagery made the filter over the whole history cost seconds): it must pick
    # exactly the earlier dates in the window of the best basis present.
    import random

    from railwatch.analyze.assessment import _Eligible
    from railwatch.analyze.series import DayValue

    rng = random.Random(3)
    day0 = date(2020, 1, 1)
    offsets = sorted(rng.sample(range(2000), 400))
    days = [
        DayValue(
            date=day0 + timedelta(days=k), value=rng.randint(0, 30), method="detector",
            source="", sigma=1.0, count_sigma=None,
            basis=rng.choice(["imagery", "imagery", "clouded", "press"]), candidates=(), spread=0,
        )
        for k in offsets
    ]  # fmt: skip
    eligible = _Eligible(days)
    for index in range(len(days)):
        start = days[index].date - timedelta(days=rng.choice([30, 200, 5000]))
        earlier = [d for d in days[:index] if d.date >= start]
        want = next(
            ([d for d in earlier if d.basis == b] for b in ("imagery", "clouded")
             if any(d.basis == b for d in earlier)),
            earlier,
        )  # fmt: skip
        got = eligible(index, start)
        assert [got[k] for k in range(len(got))] == want
        assert list(got.values) == [d.value for d in want]
