"""What a date's count is compared with: the trailing baseline and its statistics.

Everything here is a pure function of a short list of earlier counts, so a
date's judgment depends only on what was seen before it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
from scipy import special

#: 1.4826 × MAD estimates the standard deviation of normal data.
MAD_TO_SD = 1.4826
#: sqrt(pi/2) × mean absolute deviation estimates it too.
MEANAD_TO_SD = math.sqrt(math.pi / 2)


@dataclass(frozen=True)
class Baseline:
    """The earlier observations a date is compared with.

    Attributes:
        n: number of earlier observation dates used.
        basis: the kind of value the window's baseline was made of: ``imagery``
            when any clear imagery-based value lies in it, else ``clouded`` when
            counts of clouded images do, else ``press``; ``none`` when empty.
        first, last: first and last date actually covered.
        max, max_date, max_sigma: highest earlier value, its (first) date and
            the largest counting sigma among the dates at that value.
        median, mad: median and median absolute deviation.
        p90: 90th percentile (linear interpolation).
        mean, variance: sample mean and variance (ddof=1; 0 for one value).
        episode_excluded: earlier dates left out because they belong to the
            episode under way (the run of elevated or unprecedented dates
            just before this one).
        episode_since: first date of that run.
    """

    n: int
    basis: str
    window_start: date
    first: date | None = None
    last: date | None = None
    max: int | None = None
    max_date: date | None = None
    max_sigma: float | None = None
    median: float | None = None
    mad: float | None = None
    p90: float | None = None
    mean: float | None = None
    variance: float | None = None
    episode_excluded: int = 0
    episode_since: date | None = None


def summarize(
    dates: Sequence[date],
    values: Sequence[int] | np.ndarray,
    sigmas: Sequence[float] | np.ndarray,
    *,
    basis: str,
    window_start: date,
    episode: list[date] | None = None,
) -> Baseline:
    """Statistics of earlier values (given in date order; lists or numpy arrays)."""
    episode = episode or []
    left_out = dict(episode_excluded=len(episode), episode_since=episode[0] if episode else None)
    if len(values) == 0:
        return Baseline(n=0, basis="none", window_start=window_start, **left_out)
    arr = np.asarray(values, dtype=float)
    top = int(arr.max())
    at_top = np.flatnonzero(arr == top).tolist()
    median = float(np.median(arr))
    return Baseline(
        n=len(values),
        basis=basis,
        window_start=window_start,
        first=dates[0],
        last=dates[-1],
        max=top,
        max_date=dates[at_top[0]],
        max_sigma=float(max(sigmas[i] for i in at_top)),
        median=median,
        mad=float(np.median(np.abs(arr - median))),
        p90=float(np.percentile(arr, 90)),
        mean=float(arr.mean()),
        variance=float(arr.var(ddof=1)) if len(arr) > 1 else 0.0,
        **left_out,
    )


def robust_scale(
    values: Sequence[int] | np.ndarray, *, median: float | None = None, mad: float | None = None
) -> tuple[float, str]:
    """A spread for robust z-scores that is never zero.

    Many equal low counts make the MAD zero, so the scale falls back in turn
    on the mean absolute deviation, then on the Poisson standard deviation
    sqrt(median), then on one car.

    Returns:
        The scale in cars and which rule gave it: ``mad``, ``meanad``,
        ``poisson`` or ``unit``.
    """
    arr = np.asarray(values, dtype=float)
    if median is None or mad is None:  # a baseline already holds both (summarize)
        median = float(np.median(arr))
        mad = float(np.median(np.abs(arr - median)))
    if mad > 0:
        return MAD_TO_SD * mad, "mad"
    meanad = float(np.mean(np.abs(arr - median)))
    if meanad > 0:
        return MEANAD_TO_SD * meanad, "meanad"
    if median > 0:
        return math.sqrt(median), "poisson"
    return 1.0, "unit"


@dataclass(frozen=True)
class Tail:
    """Chance of a count at least this large under a fit of the baseline.

    Attributes:
        p: P(X >= value).
        model: ``poisson`` or ``negbin`` (when the baseline is overdispersed).
        mean: fitted mean.
        dispersion_p: p-value of the index-of-dispersion test that chose the
            model (small means overdispersed).
        size: negative-binomial size ``r`` (None for Poisson).
    """

    p: float
    model: str
    mean: float
    dispersion_p: float | None
    size: float | None = None


def tail_probability(
    values: Sequence[int] | np.ndarray,
    value: int,
    *,
    overdispersion_alpha: float = 0.05,
    mean: float | None = None,
    variance: float | None = None,
) -> Tail:
    """P(X >= value) under a Poisson or, if overdispersed, negative-binomial fit.

    Railcar counts at a yard are bursty (trains arrive as blocks), so the
    variance usually exceeds the mean; a Poisson fit would then call ordinary
    days extreme. The index-of-dispersion test (n-1)·s²/mean ~ chi²(n-1)
    decides; the negative binomial is fitted by moments.
    """
    arr = np.asarray(values, dtype=float)
    mean = float(arr.mean()) if mean is None else mean  # a baseline holds mean and variance
    if value <= 0:
        return Tail(p=1.0, model="poisson", mean=mean, dispersion_p=None)
    if mean <= 0:
        return Tail(p=0.0, model="poisson", mean=mean, dispersion_p=None)
    # scipy.special's survival functions, which scipy.stats' chi2, nbinom and poisson
    # call underneath: the same numbers without the distribution objects' argument
    # checks, which were most of the cost of judging each date of a long history.
    dispersion_p = None
    if len(arr) > 1:
        var = float(arr.var(ddof=1)) if variance is None else variance
        dispersion_p = float(special.chdtrc(len(arr) - 1, (len(arr) - 1) * var / mean))
        if var > mean and dispersion_p < overdispersion_alpha:
            size = mean * mean / (var - mean)
            p = float(special.betainc(value, size, 1 - mean / var))  # nbinom.sf(value - 1)
            return Tail(p=p, model="negbin", mean=mean, dispersion_p=dispersion_p, size=size)
    p = float(special.pdtrc(value - 1, mean))
    return Tail(p=p, model="poisson", mean=mean, dispersion_p=dispersion_p)
