"""The baseline statistics of every date's trailing window at once.

``baseline.summarize`` sorts one window per date: over ten years of near-daily
imagery that is 3 650 medians, MADs and percentiles of up to 1 800 values each,
most of the time of a site's first analysis. Counts are whole numbers, so a
window's order statistics can instead be read off prefix histograms (how many
of the first ``k`` values are at most ``v``): any contiguous window's k-th
smallest value is then a bisection over ``v``, done for all windows together.

Every figure is the one ``summarize`` gives, bit for bit: medians and MADs of
whole numbers are halves, exact in floating point; the mean of whole numbers is
their exact sum divided by ``n``, as numpy's pairwise sum is exact for them; the
90th percentile repeats numpy's ``linear`` interpolation step by step; the
variance, whose rounding depends on numpy's summation order, is numpy's own on
each window. ``tests/test_analyze_rolling.py`` holds the two side by side.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Most prefix-histogram cells (windows' sequence length × distinct values) built:
#: 32 MiB of int32. Beyond it the caller summarizes window by window.
MAX_CELLS = 1 << 23


@dataclass(frozen=True)
class WindowStats:
    """Per window (query), as plain Python lists ready for records.

    Attributes:
        n: values in the window.
        max, max_at, max_sigma: highest value, the position (in the sequence) of
            its first occurrence, the largest sigma among the values at it.
        median, mad, p90, mean, variance: as :func:`railwatch.analyze.baseline.summarize`.
    """

    n: list[int]
    max: list[int]
    max_at: list[int]
    max_sigma: list[float]
    median: list[float]
    mad: list[float]
    p90: list[float]
    mean: list[float]
    variance: list[float]


def _sparse_max(keys: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """max(keys[lo:hi]) for every (non-empty) range, by a sparse table."""
    table = [keys]
    span = 1
    while 2 * span <= len(keys):
        prev = table[-1]
        table.append(np.maximum(prev[:-span], prev[span:]))
        span *= 2
    length = hi - lo
    level = np.frexp(length)[1] - 1  # floor(log2(length)), exactly
    out = np.empty(len(lo), dtype=keys.dtype)
    for k in np.unique(level):
        sel = level == k
        t = table[k]
        out[sel] = np.maximum(t[lo[sel]], t[hi[sel] - (1 << int(k))])
    return out


def _kth_rank(
    prefix: np.ndarray, lo: np.ndarray, hi: np.ndarray, k: np.ndarray, n_unique: int
) -> np.ndarray:
    """Index (into the distinct values) of the k-th smallest value (0-based) of each window."""
    left = np.zeros(len(lo), dtype=np.intp)
    right = np.full(len(lo), n_unique - 1, dtype=np.intp)
    while True:
        open_ = left < right
        if not open_.any():
            return left
        mid = (left + right) // 2
        count = prefix[hi, mid + 1] - prefix[lo, mid + 1]
        ok = count >= k + 1
        right = np.where(open_ & ok, mid, right)
        left = np.where(open_ & ~ok, mid + 1, left)


def _kth_deviation(
    prefix: np.ndarray,
    unique: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    centre: np.ndarray,
    k: np.ndarray,
) -> np.ndarray:
    """The k-th smallest |value − centre| (0-based) of each window.

    ``centre`` is a whole number or a half, so every deviation is a multiple of a half:
    the search runs over twice the deviation, in whole numbers.
    """
    as_float = unique.astype(float)

    def at_most(x: np.ndarray) -> np.ndarray:
        col = np.searchsorted(as_float, x, side="right")
        return prefix[hi, col] - prefix[lo, col]

    left = np.zeros(len(lo), dtype=np.int64)
    right = np.full(len(lo), 2 * int(unique[-1] - unique[0]), dtype=np.int64)
    while True:
        open_ = left < right
        if not open_.any():
            return left / 2
        mid = (left + right) // 2
        r = mid / 2
        # Values within [centre - r, centre + r]: whole numbers up to floor(centre + r)
        # less those up to ceil(centre - r) - 1.
        count = at_most(np.floor(centre + r)) - at_most(np.ceil(centre - r) - 1)
        ok = count >= k + 1
        right = np.where(open_ & ok, mid, right)
        left = np.where(open_ & ~ok, mid + 1, left)


def window_stats(
    values: np.ndarray, sigmas: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> WindowStats | None:
    """Statistics of ``values[lo[q]:hi[q]]`` for every query ``q`` (each non-empty).

    Args:
        values: whole-number values of one sequence (int64), in order.
        sigmas: their counting sigmas.
        lo, hi: window bounds into the sequence, ``lo < hi``.

    Returns:
        The statistics, or None when the prefix histograms would exceed
        :data:`MAX_CELLS` (then summarize each window on its own).
    """
    values = np.asarray(values, dtype=np.int64)
    lo = np.asarray(lo, dtype=np.intp)
    hi = np.asarray(hi, dtype=np.intp)
    q = len(lo)
    if q == 0:
        return WindowStats([], [], [], [], [], [], [], [], [])
    unique, ranks = np.unique(values, return_inverse=True)
    n_total, n_unique = len(values), len(unique)
    if (n_total + 1) * (n_unique + 1) > MAX_CELLS:
        return None
    # prefix[k, j + 1]: how many of the first k values are at most unique[j].
    prefix = np.zeros((n_total + 1, n_unique + 1), dtype=np.int32)
    prefix[np.arange(1, n_total + 1), ranks + 1] = 1
    np.cumsum(prefix, axis=0, out=prefix)
    np.cumsum(prefix, axis=1, out=prefix)

    n = hi - lo

    def kth(k: np.ndarray) -> np.ndarray:
        return unique[_kth_rank(prefix, lo, hi, k, n_unique)].astype(float)

    low_mid, high_mid = (n - 1) // 2, n // 2
    median = (kth(low_mid) + kth(high_mid)) / 2
    mad = (
        _kth_deviation(prefix, unique, lo, hi, median, low_mid)
        + _kth_deviation(prefix, unique, lo, hi, median, high_mid)
    ) / 2
    # numpy's percentile(…, 90), method "linear": index (n − 1)·0.9, its floor and the next
    # one (both the last value from the end on), weight and lerp as numpy's _lerp.
    virtual = (n - 1) * np.true_divide(90, 100)
    below = np.floor(virtual)
    at_end = virtual >= n - 1
    below_i = np.where(at_end, n - 1, below.astype(np.intp))
    above_i = np.where(at_end, n - 1, below_i + 1)
    gamma = virtual - np.where(at_end, -1.0, below)
    a, b = kth(below_i), kth(np.minimum(above_i, n - 1))
    diff = b - a
    p90 = np.where(gamma >= 0.5, b - diff * (1 - gamma), a + diff * gamma)

    sums = np.concatenate(([0], np.cumsum(values)))
    mean = (sums[hi] - sums[lo]).astype(float) / n
    # The first position of the maximum (the highest value, then the earliest), and the
    # largest sigma among the values at the maximum (the highest value, then sigma).
    positions = np.arange(n_total, dtype=np.int64)
    first_top = _sparse_max(ranks.astype(np.int64) * n_total + (n_total - 1 - positions), lo, hi)
    max_rank = first_top // n_total
    max_at = n_total - 1 - (first_top - max_rank * n_total)
    sigma_values, sigma_ranks = np.unique(np.asarray(sigmas, dtype=float), return_inverse=True)
    n_sigma = len(sigma_values)
    top_sigma = _sparse_max(ranks.astype(np.int64) * n_sigma + sigma_ranks, lo, hi) % n_sigma

    floats = values.astype(float)
    variance = []
    for start, stop, m in zip(lo.tolist(), hi.tolist(), mean.tolist(), strict=True):
        if stop - start < 2:
            variance.append(0.0)
            continue
        # As numpy's _var: deviations from the mean squared, its pairwise sum, / (n − 1).
        x = floats[start:stop] - m
        np.square(x, out=x)
        variance.append(float(np.add.reduce(x)) / (stop - start - 1))
    return WindowStats(
        n=n.tolist(),
        max=unique[max_rank].tolist(),
        max_at=max_at.tolist(),
        max_sigma=sigma_values[top_sigma].tolist(),
        median=median.tolist(),
        mad=mad.tolist(),
        p90=p90.tolist(),
        mean=mean.tolist(),
        variance=variance,
    )
