"""When did the current rise begin? Change points on the irregular count series.

The series is the sequence of observation values in date order (one per
date), not a daily grid: the gaps between satellite passes carry no counts,
and interpolating them would invent data. Change points are found on the
sequence and mapped back to dates, so the onset's uncertainty is the gap
between the last observation before the rise and the first one in it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import ruptures

from railwatch.analyze.baseline import MAD_TO_SD, robust_scale

METHOD = "ruptures KernelCPD(linear) = penalized least-squares mean shifts (PELT)"


@dataclass(frozen=True)
class Onset:
    """The start of the current episode of high counts.

    Attributes:
        date: first observation date in the rise ("on or about").
        earliest: the day after the last observation before the rise: the
            rise began between ``earliest`` and ``date`` (equal when the rise
            starts the series).
        last_before: date of the last observation before the rise, if any.
        value_before: its value.
        value_at: the value on ``date``.
        change_points: first dates of every segment the detector found
            after the first one (the episode's segments among them).
        n: observations in the series searched.
        noise_sigma: noise level used for the penalty (cars).
        penalty: penalty passed to the change-point search.
        method: how the change points were found.
    """

    date: date
    earliest: date
    last_before: date | None
    value_before: int | None
    value_at: int
    change_points: tuple[date, ...]
    n: int
    noise_sigma: float
    penalty: float
    method: str = METHOD


def _fence(values: np.ndarray, fence_z: float) -> float:
    """Above this, a value is outside the earlier values' range."""
    if len(values) == 0:
        return math.inf
    scale, _ = robust_scale(list(values))
    return min(float(values.max()), float(np.median(values)) + fence_z * scale)


def find_onset(
    dates: list[date],
    values: list[int],
    *,
    penalty_factor: float = 3.0,
    fence_z: float = 3.0,
) -> Onset | None:
    """Find where the rise that ends at the last value began.

    Mean shifts are found with a penalized least-squares search (PELT, via
    ruptures' C implementation), penalty ``penalty_factor · sigma² · ln n``
    (a BIC-like penalty; sigma is the robust noise level from successive
    differences, at least one car). The episode is the run of trailing
    segments each higher than the one before and above the usual range
    (median + ``fence_z`` robust SD of the values before the last one).
    A rise is a ramp, and a step model may cut it late, so the onset is then
    moved back over immediately preceding observations that were themselves
    above everything (or the usual range of what) came before them.

    Args:
        dates: observation dates, increasing, the assessed date last.
        values: the value on each date.
        penalty_factor: multiplies sigma² · ln n.
        fence_z: robust SDs above the median that count as outside the range.

    Returns:
        The onset, or None when the series does not end in a rise.
    """
    n = len(values)
    if n < 3:
        return None
    x = np.asarray(values, dtype=float)
    diffs = np.diff(x)
    noise = max(1.0, MAD_TO_SD * float(np.median(np.abs(diffs - np.median(diffs)))) / math.sqrt(2))
    penalty = penalty_factor * noise * noise * math.log(n)
    ends = [
        int(e)
        for e in ruptures.KernelCPD(kernel="linear", min_size=1, jump=1)
        .fit(x.reshape(-1, 1))
        .predict(pen=penalty)
    ]
    starts = [0, *ends[:-1]]
    means = [float(x[s:e].mean()) for s, e in zip(starts, ends, strict=True)]
    fence = _fence(x[:-1], fence_z)
    start: int | None = None
    if len(means) >= 2 and means[-1] > means[-2]:
        j = len(means) - 1
        while j >= 2 and means[j - 1] > means[j - 2] and means[j - 1] > fence:
            j -= 1
        start = starts[j]
    elif x[-1] > _fence(x[:-1], fence_z):
        start = n - 1
    if start is None:
        return None
    while start > 0 and x[start - 1] > _fence(x[: start - 1], fence_z):
        start -= 1
    before = start - 1
    return Onset(
        date=dates[start],
        earliest=dates[before] + timedelta(days=1) if before >= 0 else dates[start],
        last_before=dates[before] if before >= 0 else None,
        value_before=int(values[before]) if before >= 0 else None,
        value_at=int(values[start]),
        change_points=tuple(dates[s] for s in starts[1:]),
        n=n,
        noise_sigma=noise,
        penalty=penalty,
    )
