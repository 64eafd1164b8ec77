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
    if len(arr) > 1 and variance is None:
        variance = float(arr.var(ddof=1))
    return tail_probabilities(
        [len(arr)], [mean], [variance or 0.0], [value], overdispersion_alpha=overdispersion_alpha
    )[0]


def tail_probabilities(
    n: Sequence[int] | np.ndarray,
    mean: Sequence[float] | np.ndarray,
    variance: Sequence[float] | np.ndarray,
    value: Sequence[int] | np.ndarray,
    *,
    overdispersion_alpha: float = 0.05,
) -> list[Tail]:
    """:func:`tail_probability` of many baselines (sizes, means, variances) at once.

    One call of each survival function over arrays instead of three per date: those
    calls were most of the time left in judging every date of a long history.
    """
    n_ = np.asarray(n, dtype=np.int64)
    mean_ = np.asarray(mean, dtype=float)
    var_ = np.asarray(variance, dtype=float)
    value_ = np.asarray(value, dtype=np.int64)
    live = (value_ > 0) & (mean_ > 0)
    tested = live & (n_ > 1)
    safe_mean = np.where(live, mean_, 1.0)
    # scipy.special's survival functions, which scipy.stats' chi2, nbinom and poisson
    # call underneath: the same numbers without the distribution objects' argument checks.
    dispersion = special.chdtrc(n_ - 1, (n_ - 1) * var_ / safe_mean)
    negbin = tested & (var_ > mean_) & (dispersion < overdispersion_alpha)
    safe_var = np.where(negbin, var_, 2.0)
    size = np.where(negbin, mean_ * mean_ / (safe_var - np.where(negbin, mean_, 1.0)), 1.0)
    p_negbin = special.betainc(
        np.where(negbin, value_, 1), size, 1 - np.where(negbin, mean_, 1.0) / safe_var
    )
    p_poisson = special.pdtrc(np.where(live, value_, 1) - 1, safe_mean)
    out = []
    for k, (m, v, neg) in enumerate(
        zip(mean_.tolist(), value_.tolist(), negbin.tolist(), strict=True)
    ):
        if v <= 0:
            out.append(Tail(p=1.0, model="poisson", mean=m, dispersion_p=None))
        elif m <= 0:
            out.append(Tail(p=0.0, model="poisson", mean=m, dispersion_p=None))
        else:
            d = float(dispersion[k]) if tested[k] else None
            if neg:
                out.append(
                    Tail(
                        p=float(p_negbin[k]),
                        model="negbin",
                        mean=m,
                        dispersion_p=d,
                        size=float(size[k]),
                    )
                )
            else:
                out.append(Tail(p=float(p_poisson[k]), model="poisson", mean=m, dispersion_p=d))
    return out
