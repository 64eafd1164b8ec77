"""The all-dates-at-once judgment gives what the per-date reference gives, bit for bit."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from railwatch.analyze import assess, assessment, rolling
from railwatch.analyze.baseline import summarize
from railwatch.records import Observation


def _reference_all(days, eligible, span, cls, rules):  # type: ignore[no-untyped-def]
    """The loop assess ran before: every date through ``_judge`` with its own window."""
    rows, levels = [], {}
    for i, day in enumerate(days):
        start = span.start(day.date)
        row = assessment._judge(day, eligible(i, start), levels, start, cls, rules)
        rows.append(row)
        levels[day.date] = row.level
    return rows


def _history(seed: int) -> list[Observation]:
    rng = random.Random(seed)
    n = rng.choice([1, 3, 9, 12, 40, 150, 400])
    t = datetime(2015, 1, 1, 2, tzinfo=UTC)
    high = rng.choice([2, 5, 30])
    out = []
    for i in range(n):
        t += timedelta(days=rng.choice([1, 1, 2, 3, 7, 40, 400]))
        ramp = 10 * (i - n + 6) if i > n - 6 and rng.random() < 0.7 else 0
        method = rng.choice(["detector", "detector", "analyst", "press"])
        for cls in ("box", "flat") if method != "press" else ("freight",):
            out.append(
                Observation(
                    site="tumangang",
                    observed_at=t,
                    railcar_class=cls,
                    count=rng.randint(0, high) + ramp,
                    method=method,
                    source=f"s{i}",
                    image_id=i if method != "press" else None,
                    count_sigma=rng.choice([None, 1.0, 2.5]),
                    id=len(out) + 1,
                )
            )
    return out


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("window", ["5y", "90d"])
def test_fast_judgment_equals_reference(seed: int, window: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    obs = _history(seed)
    clouds = {i: float(random.Random(seed + i).choice([0, 0, 60])) for i in range(400)}
    for cls in ("freight", "box"):
        try:
            fast = assess(obs, railcar_class=cls, window=window, cloud_cover=clouds)
        except Exception as exc:  # no value for the class: the reference must fail alike
            with monkeypatch.context() as m:
                m.setattr(assessment, "_judge_all", _reference_all)
                with pytest.raises(type(exc)):
                    assess(obs, railcar_class=cls, window=window, cloud_cover=clouds)
            continue
        with monkeypatch.context() as m:
            m.setattr(assessment, "_judge_all", _reference_all)
            slow = assess(obs, railcar_class=cls, window=window, cloud_cover=clouds)
        assert repr(fast.to_dict()) == repr(slow.to_dict())
        with monkeypatch.context() as m:  # histograms too large: window by window
            m.setattr(rolling, "MAX_CELLS", 0)
            capped = assess(obs, railcar_class=cls, window=window, cloud_cover=clouds)
        assert repr(capped.to_dict()) == repr(slow.to_dict())


def test_window_stats_equal_summarize() -> None:
    rng = np.random.default_rng(0)
    for _ in range(100):
        n = int(rng.integers(1, 50))
        values = rng.integers(0, int(rng.integers(1, 20)), n)
        sigmas = rng.choice([0.5, 1.0, 2.0], n)
        lo = rng.integers(0, n, 20)
        hi = np.minimum(n, lo + rng.integers(1, n + 1, 20))
        got = rolling.window_stats(values, sigmas, lo, hi)
        assert got is not None
        days = [date(2020, 1, 1) + timedelta(days=i) for i in range(n)]
        for q, (a, b) in enumerate(zip(lo, hi, strict=True)):
            ref = summarize(days[a:b], values[a:b], sigmas[a:b], basis="x", window_start=days[0])
            assert (got.n[q], got.max[q], days[got.max_at[q]], got.max_sigma[q]) == (
                ref.n, ref.max, ref.max_date, ref.max_sigma)  # fmt: skip
            assert (got.median[q], got.mad[q], got.p90[q], got.mean[q], got.variance[q]) == (
                ref.median, ref.mad, ref.p90, ref.mean, ref.variance)  # fmt: skip
