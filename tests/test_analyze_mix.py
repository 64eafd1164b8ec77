"""Class-mix shifts and site groups, on analyst counts (no detector, no rendering)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from railwatch import analyze
from railwatch.analyze.mix import MixRules, assess_mix
from railwatch.errors import AnalysisError
from railwatch.records import Observation, SiteGroup
from railwatch.simulate.scenario import (
    AS_OF_2024,
    MIX_AFTER,
    MIX_BEFORE,
    PEAK_2024,
    scenario_specs,
)

FREIGHT = ("box", "open", "tank", "flat", "other")


def _counts(site: str, day: date, counts: dict[str, int], **extra) -> list[Observation]:
    at = datetime(day.year, day.month, day.day, 2, 0, tzinfo=UTC)
    return [
        Observation(site=site, observed_at=at, railcar_class=c, count=n, method="analyst",
                    source="kim", analyst="kim", **extra)
        for c, n in counts.items()
    ]  # fmt: skip


def _scenario_observations() -> list[Observation]:
    """The 2024 scenario's true counts, as an analyst would enter them."""
    obs = []
    for day, spec in scenario_specs("tumangang-2024"):
        obs += _counts(spec.site, day, spec.mix)
    return obs


def test_scenario_truth_shift_found_per_site_and_summed():
    obs = _scenario_observations()
    change = {c: MIX_AFTER[c] / MIX_BEFORE[c] - 1 for c in FREIGHT}
    moved = {c: v for c, v in change.items() if abs(v) >= 0.3}
    assert set(moved) == {"box", "open", "tank"}
    group = SiteGroup(slug="crossing", name="Tumangang–Khasan", sites=("tumangang", "khasan"))
    series = analyze.pair_sites(obs, group, until=AS_OF_2024)
    summed = series.observations()
    for name, data in (("tumangang", obs), ("khasan", obs), ("crossing", summed)):
        m = assess_mix(data, site=name, as_of=AS_OF_2024, window="2y")
        assert m.status == "shift", (name, m.finding)
        for c in FREIGHT:
            want = "rose" if moved.get(c, 0) > 0 else "fell" if c in moved else None
            got = next((s.verdict for s in m.classes if s.railcar_class == c), "absent")
            if want:
                assert got == want, (name, c, got)
            else:
                assert got not in ("rose", "fell"), (name, c, got)
    m = assess_mix(summed, site="crossing", as_of=AS_OF_2024)
    assert m.finding.startswith("More open (ore) and tank cars and fewer box cars at crossing")
    # The sums are the two sides' true counts, each pair within the tolerance.
    truth = {(s.site, d): s.mix for d, s in scenario_specs("tumangang-2024")}
    for pair in series.pairs:
        assert pair.span_days <= 3 and pair.parts[0].site == "tumangang"
        want = sum(truth[(p.site, p.date)][c] for p in pair.parts for c in FREIGHT)
        assert pair.freight == want
    # Khasan's lone passes (six days off) stay out, and are listed.
    assert series.unpaired["khasan"]
    # The summed series peaks on the scenario's peak date, and the peak is judged unusual.
    result = analyze.assess(summed, site="crossing", as_of=AS_OF_2024)
    peak = max(result.rows, key=lambda r: r.value)
    assert peak.date == PEAK_2024 and peak.level in ("elevated", "unprecedented")


def _flip_series(sigma: float | None = None, flip: bool = True) -> list[Observation]:
    """60 freight cars a date, every date; box and open swap shares in the last 90 days."""
    rng = np.random.default_rng(5)
    obs = []
    start = date(2022, 1, 5)
    for i in range(0, 900, 10):
        day = start + timedelta(days=i)
        late = flip and day > date(2024, 3, 20)
        shares = [0.2, 0.5, 0.1, 0.15, 0.05] if late else [0.5, 0.2, 0.1, 0.15, 0.05]
        drawn = rng.multinomial(60, shares)
        counts = dict(zip(FREIGHT, (int(x) for x in drawn), strict=True))
        extra = {} if sigma is None else {"count_sigma": sigma}
        obs += _counts("yard", day, counts, **extra)
    return obs


def test_flat_total_with_flipped_mix_is_a_mix_shift_not_a_volume_anomaly():
    obs = _flip_series()
    as_of = max(o.observed_at for o in obs).date()
    volume = analyze.assess(obs, site="yard", as_of=as_of)
    assert volume.latest.value == 60 and volume.latest.level == "normal"
    m = assess_mix(obs, site="yard", as_of=as_of)
    assert m.status == "shift"
    assert set(m.risen) == {"open"} and set(m.fallen) == {"box"}
    assert m.volume_ratio == pytest.approx(1.0)
    box = next(c for c in m.classes if c.railcar_class == "box")
    assert box.ratio < 0.6 and box.confidence in ("likely", "very likely", "almost certainly")
    assert "Freight cars per image: 60 against 60" in m.finding


def test_unchanged_mix_is_no_shift():
    obs = _flip_series(flip=False)
    m = assess_mix(obs, site="yard")
    assert not m.risen and not m.fallen
    assert m.status in ("no-shift", "uncertain")


def test_counting_error_can_make_a_shift_unprovable():
    # The same flip on three recent dates only: clear with exact counts, not once
    # each class count carries an error of 15 cars.
    obs = [o for o in _flip_series() if o.observed_at.date() < date(2024, 4, 20)]
    rules = MixRules(recent="40d", min_dates=3)
    sharp = assess_mix(obs, site="yard", rules=rules)
    assert sharp.status == "shift"
    noisy = [
        Observation(
            site=o.site, observed_at=o.observed_at, railcar_class=o.railcar_class, count=o.count,
            method="detector", source=f"img-{o.observed_at:%F}", count_sigma=15.0,
        )
        for o in obs
    ]  # fmt: skip
    blurred = assess_mix(noisy, site="yard", rules=rules)
    assert blurred.status != "shift" and not blurred.risen
    assert "cannot tell" in blurred.finding


def test_thin_data_cannot_tell():
    obs = [o for o in _flip_series() if o.observed_at.date() < date(2024, 4, 1)]
    m = assess_mix(obs, site="yard", as_of="2024-06-20")
    assert m.status == "insufficient-data" and not m.classes
    assert m.finding.startswith("The data cannot tell whether the mix")
    assert "the recent window has 1 dated count(s)" in m.finding


def test_mix_does_not_depend_on_input_order():
    obs = _flip_series()
    a = assess_mix(obs, site="yard").to_dict()
    b = assess_mix(list(reversed(obs)), site="yard").to_dict()
    assert a == b


def test_pairing_keeps_each_date_once_and_nearest_first():
    group = SiteGroup(slug="g", name="G", sites=("a", "b"))
    one = {"box": 1, "open": 0, "tank": 0, "flat": 0, "other": 0}
    obs = (
        _counts("a", date(2024, 1, 10), one)
        + _counts("a", date(2024, 1, 12), one)
        + _counts("b", date(2024, 1, 11), {**one, "box": 2})
        + _counts("b", date(2024, 1, 20), one)
    )
    series = analyze.pair_sites(obs, group, tolerance_days=3)
    # 01-11 is as near to 01-10 as to 01-12; ties go to the earlier anchor date.
    assert [p.date for p in series.pairs] == [date(2024, 1, 10)]
    assert series.pairs[0].freight == 3
    assert series.unpaired == {"a": (date(2024, 1, 12),), "b": (date(2024, 1, 20),)}
    assert series.contributions() == {
        "a": {"freight": 1, "share": 0.3333},
        "b": {"freight": 2, "share": 0.6667},
    }
    with pytest.raises(AnalysisError, match="no dates of a, b lie within 0 days"):
        analyze.pair_sites(obs, group, tolerance_days=0)
