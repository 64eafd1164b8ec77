"""The press cross-check when the press stage cannot compare: claims one by one."""

from __future__ import annotations

from datetime import UTC, date, datetime

from railwatch.records import Observation
from railwatch.report import crosscheck
from railwatch.report.model import Baseline, DocumentInfo, Row

BASE = Baseline(n=30, max=20, median=10.0, mad=3.0, p90=16.0, first=date(2019, 1, 1),
                last=date(2023, 9, 10))  # fmt: skip
ROWS = [
    Row(day=date(2023, 9, 10), counts={"box": 12}, total=12, method="analyst", level="normal",
        baseline=BASE),
    Row(day=date(2023, 10, 5), counts={"box": 73}, total=73, method="detector",
        level="unprecedented", baseline=BASE),
]  # fmt: skip
DOCS = {7: DocumentInfo(id=7, outlet="Wire", title="t", published=None, sha256="a" * 64)}


def _claim(i: int, kind: str, value: dict) -> dict:
    return {"id": i, "document_id": 7, "kind": kind, "value": value, "quote": f"q{i}",
            "outlet": "Wire"}  # fmt: skip


def _press_obs(claim_id: int, day: date, count: int) -> Observation:
    return Observation(site="tumangang", observed_at=datetime(day.year, day.month, day.day,
                       tzinfo=UTC), railcar_class="freight", count=count, method="press",
                       document_id=7, claim_id=claim_id)  # fmt: skip


def test_counts_agree_differ_or_have_no_imagery():
    claims = [_claim(1, "count", {"count": 75}), _claim(2, "count", {"count": 40}),
              _claim(3, "count", {"count": 9})]  # fmt: skip
    obs = [_press_obs(1, date(2023, 10, 5), 75), _press_obs(2, date(2023, 10, 6), 40),
           _press_obs(3, date(2023, 8, 1), 9)]  # fmt: skip
    checks = {c.value: c for c in crosscheck.from_claims(claims, obs, ROWS, ROWS[-1], DOCS)}
    assert checks["75"].verdict == "agree" and checks["75"].imagery == "73"
    assert checks["40"].verdict == "differ"  # a day off is allowed; 40 is not 73
    assert checks["9"].verdict == "no-imagery"
    assert checks["75"].sources == ("Wire",)


def test_claimed_prior_maximum_is_set_against_the_baseline():
    claims = [_claim(1, "baseline", {"max": 20, "window_years": 5}),
              _claim(2, "baseline", {"max": 50, "window_years": 5})]  # fmt: skip
    checks = crosscheck.from_claims(claims, [], ROWS, ROWS[-1], DOCS)
    verdicts = {c.number: c.verdict for c in checks}
    assert verdicts == {20.0: "agree", 50.0: "differ"}


def test_tarp_caveat_is_a_caveat_not_a_row():
    tarp = _claim(1, "caveat", {"reason": "concealment", "concealment": True})
    assert crosscheck.mentions_tarp(tarp)
    assert not crosscheck.mentions_tarp(_claim(2, "caveat", {"uncertain": True}))
    assert crosscheck.from_claims([tarp], [], ROWS, ROWS[-1], DOCS) == []


def test_a_count_off_by_less_than_its_own_error_is_within_counting_error():
    """A detected prior maximum of 24 (±2 sigma of 5) against "at most 20": not refuted."""
    from dataclasses import replace

    noisy = replace(BASE, max=24, max_sigma=2.5)
    rows = [replace(ROWS[0], baseline=noisy), replace(ROWS[1], baseline=noisy, sigma=3.0)]
    claims = [_claim(1, "baseline", {"max": 20, "window_years": 5}),
              _claim(2, "baseline", {"max": 40, "window_years": 5}),
              _claim(3, "count", {"count": 82})]  # fmt: skip
    obs = [_press_obs(3, date(2023, 10, 5), 82)]
    checks = {c.value: c for c in crosscheck.from_claims(claims, obs, rows, rows[-1], DOCS)}
    assert checks["≤ 20 (5 y)"].verdict == "consistent"
    assert checks["≤ 20 (5 y)"].imagery == "24 ± 5"
    assert checks["≤ 40 (5 y)"].verdict == "differ"  # 16 cars off is beyond any error band
    assert checks["82"].verdict == "consistent" and checks["82"].imagery == "73 ± 6"
    # Without the count's own error the same figures differ: the band is what makes them fit.
    bare = replace(BASE, max=24)
    rows = [replace(ROWS[0], baseline=bare), replace(ROWS[1], baseline=bare)]
    plain = {c.value: c for c in crosscheck.from_claims(claims, obs, rows, rows[-1], DOCS)}
    assert plain["≤ 20 (5 y)"].verdict == "differ" and plain["≤ 20 (5 y)"].imagery == "24"
    assert plain["82"].verdict == "differ"


def test_a_class_count_is_checked_against_that_class_not_the_total():
    # "about 175 ore cars": open wagons, on a day with 175 open among 300 railcars.
    rows = [
        Row(day=date(2024, 6, 14), counts={"box": 100, "open": 176, "tank": 24}, total=300,
            method="detector", level="elevated", baseline=BASE, sigma=12.0,
            class_sigmas={"open": 6.0}),
    ]  # fmt: skip
    claims = [
        _claim(1, "count", {"count": 175, "railcar_class": "open", "qualifier": "approx"}),
        _claim(2, "count", {"count": 175, "railcar_class": "freight"}),
        _claim(3, "count", {"count": 60, "railcar_class": "tank"}),
    ]
    day = date(2024, 6, 14)
    obs = [
        Observation(site="tumangang", observed_at=datetime(2024, 6, 14, tzinfo=UTC),
                    railcar_class=cls, count=n, method="press", document_id=7, claim_id=i)
        for i, cls, n in ((1, "open", 175), (2, "freight", 175), (3, "tank", 60))
    ]  # fmt: skip
    checks = crosscheck.from_claims(claims, obs, rows, rows[0], DOCS)
    by = {(c.value, c.railcar_class): c for c in checks}
    assert by[("175", "open")].verdict == "agree" and by[("175", "open")].imagery == "176"
    assert by[("175", "")].verdict == "differ" and by[("175", "")].imagery == "300"
    assert by[("60", "tank")].verdict == "differ" and by[("60", "tank")].day == day
    # A row with only a roll-up cannot answer for one class.
    flat = [Row(day=day, counts={"freight": 300}, total=300, method="analyst", level="normal")]
    only = crosscheck.from_claims(claims[:1], obs[:1], flat, flat[0], DOCS)
    assert only[0].verdict == "not-checkable" and only[0].imagery is None


def test_a_change_or_a_capacity_is_not_checked_as_a_count():
    claims = [
        _claim(1, "count", {"count": 25, "role": "change"}),
        _claim(2, "count", {"count": 300, "role": "unrelated"}),
        _claim(3, "count", {"count": 73, "role": "current"}),
    ]
    checks = crosscheck.from_claims(claims, [_press_obs(3, date(2023, 10, 5), 73)], ROWS,
                                    ROWS[-1], DOCS)  # fmt: skip
    assert [c.value for c in checks] == ["73"]
