"""Properties of the judgment: it is causal and does not depend on input order."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from railwatch.analyze import assess
from railwatch.errors import AnalysisError
from railwatch.records import Event
from test_analyze_story import obs

START = date(2022, 1, 1)
OPTIONS = dict(window="120d", min_history=3, lookback="20d")


@st.composite
def observation(draw, first: int = 0, last: int = 300):
    day = START + timedelta(days=draw(st.integers(first, last)))
    count = draw(st.integers(0, 60))
    method = draw(st.sampled_from(["analyst", "analyst", "detector", "press"]))
    cls = draw(st.sampled_from(["freight", "freight", "box", "flat", "locomotive"]))
    extra = {}
    if method == "detector":
        extra = dict(
            image_id=draw(st.integers(1, 3)), count_sigma=draw(st.sampled_from([None, 0.5, 2.0]))
        )
    elif method == "press":
        extra = dict(document_id=draw(st.integers(1, 3)))
    source = draw(st.sampled_from(["a", "b"]))
    return obs(day, count, cls, method=method, source=source, **extra)


events = st.lists(
    st.builds(
        lambda d, t: Event(occurred_at=obs(START + timedelta(days=d), 0).observed_at, title=t),
        st.integers(0, 300),
        st.sampled_from(["summit", "visit", "closure"]),
    ),
    max_size=4,
)


def _assess(observations, evs, **kw):
    try:
        return assess(observations, evs, **OPTIONS, **kw).to_dict()
    except AnalysisError as exc:
        return str(exc)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(observation(0, 200), min_size=1, max_size=40),
    st.lists(observation(201, 300), min_size=1, max_size=10),
    events,
)
def test_later_observations_never_change_an_earlier_date(before, after, evs):
    cutoff = START + timedelta(days=200)
    assert _assess(before, evs, as_of=cutoff) == _assess(before + after, evs, as_of=cutoff)
    try:
        alone = assess(before, evs, as_of=cutoff, **OPTIONS)
    except AnalysisError:
        return  # nothing to assess on or before the cutoff, with or without the rest
    full = assess(before + after, evs, **OPTIONS)
    for row in alone.rows:
        assert full.row(row.date).to_dict() == row.to_dict()


@settings(max_examples=50, deadline=None)
@given(st.lists(observation(), min_size=1, max_size=50), events, st.randoms())
def test_input_order_never_changes_the_output(observations, evs, rnd):
    shuffled = list(observations)
    rnd.shuffle(shuffled)
    evs_shuffled = list(evs)
    rnd.shuffle(evs_shuffled)
    assert _assess(observations, evs) == _assess(shuffled, evs_shuffled)


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 40), st.integers(1, 60), st.integers(1, 30))
def test_constant_series_is_never_unprecedented(value, n, step):
    series = [obs(START + timedelta(days=step * i), value) for i in range(n)]
    levels = {r.level for r in assess(series, min_history=3).rows}
    assert "unprecedented" not in levels and "elevated" not in levels
