"""The judgment: how unusual is each date's count, since when, and after what.

``assess`` is a pure function of observations and events: same inputs, same
output, whatever their order, with no randomness. A date's row depends only on
observations up to that date, so adding later observations never rewrites the
past. ``assess_site`` reads them from the store for the CLI, the REST API and
the report.
"""

from __future__ import annotations

import dataclasses
import math
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, overload

import numpy as np

from railwatch import plausible, service
from railwatch.analyze import rolling
from railwatch.analyze.baseline import (
    Baseline,
    Tail,
    robust_scale,
    summarize,
    tail_probabilities,
    tail_probability,
)
from railwatch.analyze.onset import Onset, find_onset
from railwatch.analyze.series import (
    MAX_CLOUD,
    Candidate,
    DayValue,
    ModelSigmas,
    Sigmas,
    collect,
    utc_date,
)
from railwatch.analyze.window import Window, parse_window
from railwatch.errors import AnalysisError, InputError
from railwatch.railcars import members
from railwatch.records import Event, Observation
from railwatch.store import Store
from railwatch.timeparse import parse_time

#: Anomaly levels, from least to most remarkable.
LEVELS: tuple[str, ...] = ("insufficient-history", "normal", "elevated", "unprecedented")


@dataclass(frozen=True)
class Rules:
    """Every threshold the judgment uses; echoed in the output so it can be redone.

    Attributes:
        min_history: earlier observation dates needed in the window to judge.
        margin_sigmas: an unprecedented value must exceed the earlier maximum
            by more than this many combined counting sigmas ...
        margin_rel: ... and by more than this fraction of that maximum ...
        margin_abs: ... and by more than this many cars.
        z_elevated: robust z-score at or above which a value is elevated.
        p_elevated: tail probability at or below which a value is elevated.
        overdispersion_alpha: dispersion-test level that switches Poisson to
            negative binomial.
        episode_max_days: an episode (run of elevated or unprecedented dates)
            is kept out of the baseline of the dates that follow it for at most
            this long; after that it is the new normal.
        onset_penalty: change-point penalty factor (× sigma² · ln n).
        onset_fence_z: robust SDs above the median that are "above the usual
            range" when delimiting the episode.
        sigmas: nominal counting uncertainty for sources that give none.
        max_cloud: percent of an image under cloud above which its count is
            compared with the baseline but does not enter later ones.
    """

    min_history: int = 10
    margin_sigmas: float = 2.0
    margin_rel: float = 0.2
    margin_abs: float = 3.0
    z_elevated: float = 3.5
    p_elevated: float = 0.01
    overdispersion_alpha: float = 0.05
    episode_max_days: int = 180
    onset_penalty: float = 3.0
    onset_fence_z: float = 3.0
    sigmas: Sigmas = field(default_factory=Sigmas)
    max_cloud: float = MAX_CLOUD

    def __post_init__(self) -> None:
        if self.min_history < 1:
            raise InputError(f"minimum history {self.min_history} must be at least 1")
        if not 0 <= self.max_cloud <= 100:
            raise InputError(f"maximum cloud cover {self.max_cloud:g} % must be within 0-100")


@dataclass(frozen=True)
class DateAssessment:
    """One observation date judged against the dates before it.

    Attributes:
        date: UTC date.
        railcar_class: class or roll-up assessed.
        value, method, source: the value used and where it came from.
        sigma: its counting uncertainty (cars, one sigma) as used.
        count_sigma: the uncertainty the source gave, if any.
        basis: ``imagery``, ``clouded`` or ``press`` (clouded-imagery and
            press-only dates are compared with the baseline but do not enter
            later baselines while clear imagery exists).
        candidates: every source's value for the date, the used one flagged.
        spread: disagreement between candidates (max − min, cars).
        baseline: the earlier dates in the window.
        ratio_to_max: value / earlier maximum (None when that maximum is 0).
        excess: value − earlier maximum.
        margin: cars the value must exceed the earlier maximum by to be
            unprecedented.
        robust_z: (value − median) / scale.
        z_scale, z_scale_method: the scale and which fallback gave it.
        tail: probability of a count at least this large under the baseline fit.
        level: one of :data:`LEVELS`.
        reasons: the rule(s) that gave the level, in words.
    """

    date: date
    railcar_class: str
    value: int
    method: str
    source: str
    sigma: float
    count_sigma: float | None
    basis: str
    candidates: tuple[Candidate, ...]
    spread: int
    baseline: Baseline
    level: str
    reasons: tuple[str, ...]
    ratio_to_max: float | None = None
    excess: int | None = None
    margin: float | None = None
    robust_z: float | None = None
    z_scale: float | None = None
    z_scale_method: str | None = None
    tail: Tail | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (dates as ISO strings)."""
        return _plain(self)


@dataclass(frozen=True)
class LinkedEvent:
    """An event within the lookback before the onset.

    Attributes:
        title, kind, source, id: from the event record.
        occurred_at: when it happened (UTC).
        date: its UTC date.
        lag_days: onset date − event date.
        lag_min_days: the same from the onset's earliest possible date
            (the rise may have begun that soon after the event).
    """

    title: str
    kind: str
    occurred_at: datetime
    date: date
    lag_days: int
    lag_min_days: int
    source: str = ""
    id: int | None = None


@dataclass(frozen=True)
class Assessment:
    """Everything railwatch concludes about one site and class.

    Attributes:
        site: site slug.
        railcar_class: class or roll-up assessed.
        window: baseline window as typed (``5y``).
        lookback: how far before the onset events are linked (``30d``).
        as_of: observations after this date were ignored (None: none ignored).
        rules: thresholds used.
        rows: one :class:`DateAssessment` per observation date, in date order.
        latest: the row of the latest date (the one the finding is about).
        onset: start of the current rise, when the latest date is elevated or
            unprecedented and the series ends in a rise.
        linked_events: events before the onset within the lookback, nearest first.
        finding: one line in plain words.
        observations: observations read (on or before ``as_of``).
        unanswered: count sets that could not give a value for the class (a
            press ``freight`` count asked for ``box``).
    """

    site: str
    railcar_class: str
    window: str
    lookback: str
    as_of: date | None
    rules: Rules
    rows: tuple[DateAssessment, ...]
    latest: DateAssessment
    onset: Onset | None
    linked_events: tuple[LinkedEvent, ...]
    finding: str
    observations: int
    unanswered: int

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (dates as ISO strings); the shape ``--json`` prints."""
        return _plain(self)

    def row(self, day: date | str) -> DateAssessment:
        """The row for one date.

        Raises:
            InputError: no observation on that date.
        """
        wanted = date.fromisoformat(day) if isinstance(day, str) else day
        for r in self.rows:
            if r.date == wanted:
                return r
        raise InputError(f"no {self.railcar_class} observation at {self.site} on {wanted}")


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class _Run(Sequence[DayValue]):
    """Some of the days, by position, with their values, sigmas and dates as arrays.

    The baseline statistics read whole columns of a window of up to years of dates
    for every date judged; numpy slices of columns built once cost nothing, where
    rebuilding lists of the window's values for each date was quadratic.
    """

    def __init__(self, owner: _Eligible, positions: np.ndarray) -> None:
        self.owner = owner
        self.positions = positions

    def __len__(self) -> int:
        return len(self.positions)

    @overload
    def __getitem__(self, key: int) -> DayValue: ...
    @overload
    def __getitem__(self, key: slice) -> _Run: ...
    def __getitem__(self, key: int | slice) -> DayValue | _Run:
        if isinstance(key, slice):
            return _Run(self.owner, self.positions[key])
        return self.owner.days[int(self.positions[key])]

    @property
    def values(self) -> np.ndarray:
        return self.owner.values[self.positions]

    @property
    def sigmas(self) -> np.ndarray:
        return self.owner.sigmas[self.positions]

    @property
    def dates(self) -> np.ndarray:
        return self.owner.dates[self.positions]


class _Eligible:
    """Earlier dates in the window that may set the baseline for ``days[index]``.

    Press values are claims about imagery, usually rounded and second-hand, and
    counts of clouded images miss hidden cars and take cloud edges for cars:
    while a better kind of value lies in the window they are compared, not used.

    ``days`` are in date order (one per date), so each basis's dates are found by
    bisection: filtering the whole history for every date made ten years of
    near-daily imagery cost seconds.
    """

    def __init__(self, days: list[DayValue]) -> None:
        self.days = days
        self.dates = np.empty(len(days), dtype=object)
        self.dates[:] = [d.date for d in days]
        self.values = np.asarray([d.value for d in days], dtype=np.int64)
        self.sigmas = np.asarray([d.sigma for d in days], dtype=float)
        self.where = {
            b: np.asarray([i for i, d in enumerate(days) if d.basis == b], dtype=np.intp)
            for b in ("imagery", "clouded")
        }
        self.when = {b: [days[i].date for i in idx] for b, idx in self.where.items()}
        self._all_dates = [d.date for d in days]

    def __call__(self, index: int, start: date) -> _Run:
        for basis in ("imagery", "clouded"):
            idx = self.where[basis]
            lo, hi = bisect_left(self.when[basis], start), int(np.searchsorted(idx, index))
            if hi > lo:
                return _Run(self, idx[lo:hi])
        lo = bisect_left(self._all_dates, start, 0, index)
        return _Run(self, np.arange(lo, index, dtype=np.intp))


def _episode(
    day: date, eligible: Sequence[DayValue], levels: dict[date, str], rules: Rules
) -> list[DayValue]:
    """The run of elevated or unprecedented dates just before ``day``.

    A rise is judged against what came before it, not against its own first
    days: otherwise 73 cars after a ramp of 30, 41, 50, 61 would be compared
    with 61 instead of with the years of at most 20.
    """
    run: list[DayValue] = []
    for k in range(len(eligible) - 1, -1, -1):
        d = eligible[k]
        if levels.get(d.date) not in ("elevated", "unprecedented"):
            break
        run.append(d)
    run.reverse()
    if run and (day - run[0].date).days > rules.episode_max_days:
        return []  # it has lasted long enough to be the new normal
    return run


def _judge(
    day: DayValue,
    eligible: _Run,
    levels: dict[date, str],
    start: date,
    cls: str,
    rules: Rules,
) -> DateAssessment:
    episode = _episode(day.date, eligible, levels, rules)
    prior = eligible[: len(eligible) - len(episode)]
    basis = prior[0].basis if prior else "none"
    values = prior.values
    base = summarize(
        prior.dates,
        values,
        prior.sigmas,
        basis=basis,
        window_start=start,
        episode=[d.date for d in episode],
    )
    return _verdict(day, base, values, cls, rules)


def _verdict(
    day: DayValue,
    base: Baseline,
    values: np.ndarray,
    cls: str,
    rules: Rules,
    tail: Tail | None = None,
) -> DateAssessment:
    """A date's level against its baseline (``values``: the baseline's values, in order;
    ``tail``: the tail probability where already computed with the others)."""
    common = dict(
        date=day.date,
        railcar_class=cls,
        value=day.value,
        method=day.method,
        source=day.source,
        sigma=day.sigma,
        count_sigma=day.count_sigma,
        basis=day.basis,
        candidates=day.candidates,
        spread=day.spread,
        baseline=base,
    )
    if base.n < rules.min_history:
        reason = f"{base.n} earlier observation(s) in the window; {rules.min_history} needed"
        return DateAssessment(level="insufficient-history", reasons=(reason,), **common)
    assert base.max is not None and base.median is not None and base.max_sigma is not None
    scale, scale_method = robust_scale(values, median=base.median, mad=base.mad)
    z = (day.value - base.median) / scale
    if tail is None:
        tail = tail_probability(
            values,
            day.value,
            overdispersion_alpha=rules.overdispersion_alpha,
            mean=base.mean,
            variance=base.variance,
        )
    excess = day.value - base.max
    counting = rules.margin_sigmas * math.hypot(day.sigma, base.max_sigma)
    margin = max(counting, rules.margin_rel * base.max, rules.margin_abs)
    if excess > margin:
        level = "unprecedented"
        reasons: list[str] = [
            f"{excess} cars above the earlier maximum, beyond the margin of {margin:.1f}"
        ]
    else:
        reasons = []
        if excess > 0:
            reasons.append(
                f"above the earlier maximum by {excess}, within the margin of {margin:.1f}"
            )
        if z >= rules.z_elevated:
            reasons.append(f"robust z {z:.1f} ≥ {rules.z_elevated:g}")
        if tail.p <= rules.p_elevated:
            reasons.append(f"P(≥{day.value}) = {tail.p:.2g} ≤ {rules.p_elevated:g} ({tail.model})")
        level = "elevated" if reasons else "normal"
        if not reasons:
            reasons.append("within the range of earlier observations")
    return DateAssessment(
        level=level,
        reasons=tuple(reasons),
        ratio_to_max=day.value / base.max if base.max > 0 else None,
        excess=excess,
        margin=margin,
        robust_z=z,
        z_scale=scale,
        z_scale_method=scale_method,
        tail=tail,
        **common,
    )


_HIGH = frozenset({"elevated", "unprecedented"})


def _judge_all(
    days: list[DayValue], eligible: _Eligible, span: Window, cls: str, rules: Rules
) -> list[DateAssessment]:
    """Every date judged, as :func:`_judge` judges each, with the windows' statistics at once.

    A date's baseline is a contiguous run of one of three sequences (the imagery
    dates, the clouded ones, or all of them), so :mod:`rolling` gives every
    window's statistics in one pass. Only a date just after an elevated or
    unprecedented one may leave an episode out of its window; the levels that
    decide that are known only date by date, so such dates go through
    :func:`_judge` itself.
    """
    n_days = len(days)
    starts = [span.start(d.date) for d in days]
    ordinals = np.asarray([d.date.toordinal() for d in days], dtype=np.int64)
    start_ord = np.asarray([s.toordinal() for s in starts], dtype=np.int64)
    here = np.arange(n_days, dtype=np.intp)
    sequences = [eligible.where["imagery"], eligible.where["clouded"], here]
    chosen = np.full(n_days, 2, dtype=np.intp)
    lo = np.minimum(np.searchsorted(ordinals, start_ord, side="left"), here)
    hi = here.copy()
    for k in (1, 0):  # imagery over clouded over everything: the first that is not empty
        idx = sequences[k]
        k_lo = np.searchsorted(ordinals[idx], start_ord, side="left")
        k_hi = np.searchsorted(idx, here, side="left")
        some = k_hi > k_lo
        chosen[some], lo[some], hi[some] = k, k_lo[some], k_hi[some]
    stats: list[rolling.WindowStats | None] = []
    slot = np.zeros(n_days, dtype=np.intp)  # each date's query number in its sequence
    for k, idx in enumerate(sequences):
        mine = np.flatnonzero((chosen == k) & (hi > lo))
        slot[mine] = np.arange(len(mine))
        stats.append(
            rolling.window_stats(eligible.values[idx], eligible.sigmas[idx], lo[mine], hi[mine])
        )
    # The tails of the dates that can be judged, all at once, as the windows' statistics.
    tails: list[list[Tail]] = []
    for k, st in enumerate(stats):
        if st is None:
            tails.append([])
            continue
        mine = np.flatnonzero((chosen == k) & (hi > lo))
        tails.append(
            tail_probabilities(
                st.n,
                st.mean,
                st.variance,
                [days[i].value for i in mine.tolist()],
                overdispersion_alpha=rules.overdispersion_alpha,
            )
        )
    floats = eligible.values.astype(float)
    seq_floats = [floats[idx] for idx in sequences]
    seq_lists = [idx.tolist() for idx in sequences]
    levels: dict[date, str] = {}
    level_at: list[str] = []
    rows = []
    for i, (day, start, k, a, b, q) in enumerate(
        zip(days, starts, chosen.tolist(), lo.tolist(), hi.tolist(), slot.tolist(), strict=True)
    ):
        positions = seq_lists[k]
        st = stats[k]
        if b > a and (st is None or level_at[positions[b - 1]] in _HIGH):
            row = _judge(day, eligible(i, start), levels, start, cls, rules)
        elif b == a:
            row = _verdict(
                day, Baseline(n=0, basis="none", window_start=start), floats[:0], cls, rules
            )
        else:
            assert st is not None
            base = Baseline(
                n=st.n[q],
                basis=days[positions[a]].basis,
                window_start=start,
                first=days[positions[a]].date,
                last=days[positions[b - 1]].date,
                max=st.max[q],
                max_date=days[positions[st.max_at[q]]].date,
                max_sigma=st.max_sigma[q],
                median=st.median[q],
                mad=st.mad[q],
                p90=st.p90[q],
                mean=st.mean[q],
                variance=st.variance[q],
            )
            row = _verdict(day, base, seq_floats[k][a:b], cls, rules, tails[k][q])
        rows.append(row)
        levels[day.date] = row.level
        level_at.append(row.level)
    return rows


def _as_date(value: date | datetime | str | None, what: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        day = utc_date(value)
    elif isinstance(value, date):
        day = value
    else:
        day = utc_date(parse_time(value, what=what))
    # The same range as every time railwatch accepts: an as-of date of 2099 judged an
    # observation that should never have been stored.
    return plausible.check_date(day, what)


def _noun(cls: str, count: int) -> str:
    names = {"total": "railcars", "locomotive": "locomotives", "passenger": "passenger cars"}
    noun = names.get(cls, f"{cls} railcars")
    return noun[:-1] if count == 1 and noun.endswith("s") else noun


def _finding(
    row: DateAssessment,
    window: Window,
    rules: Rules,
    onset: Onset | None,
    linked: tuple[LinkedEvent, ...],
    lookback: Window,
) -> str:
    b = row.baseline
    head = f"{row.value} {_noun(row.railcar_class, row.value)} on {row.date}"
    if row.basis == "press":
        head += " (a press claim, not a measurement)"
    elif row.basis == "clouded":
        used = next(c for c in row.candidates if c.used)
        head += f" (from an image {used.cloud_cover:.0f} % under cloud)"
    since = f"since {b.window_start}"
    if row.level == "insufficient-history":
        text = (
            f"{head}: only {b.n} earlier observation(s) in the previous {window.label} window "
            f"({since}); {rules.min_history} needed to judge."
        )
    elif row.level == "normal":
        text = (
            f"{head}, within the range of the previous {window.label} window (median "
            f"{b.median:g}, maximum {b.max}; n = {b.n} observations {since}): normal."
        )
    else:
        if row.ratio_to_max is not None:
            versus = f"{row.ratio_to_max:.2f}× the previous {window.label} maximum of {b.max}"
        else:
            versus = f"above a previous {window.label} maximum of 0"
        text = f"{head}, {versus} (n = {b.n} observations {since}): {row.level}"
        text += "." if row.level == "unprecedented" else f" ({'; '.join(row.reasons)})."
    if onset is not None:
        when = f"on or about {onset.date}"
        if onset.earliest < onset.date:
            when += f" (not before {onset.earliest})"
        text += f" Rise began {when}"
        if linked:
            ev = linked[0]
            days = "day" if ev.lag_days == 1 else "days"
            text += f", {ev.lag_days} {days} after '{ev.title}' ({ev.date})."
        else:
            text += f"; no recorded event in the {lookback.label} lookback before it."
    others = [c for c in row.candidates if not c.used and c.value != row.value]
    if others:
        listed = ", ".join(f"{c.value} ({c.method}: {c.source or c.key})" for c in others)
        text += f" Other sources for that date: {listed}."
    return text


def assess(
    observations: Iterable[Observation],
    events: Iterable[Event] = (),
    *,
    railcar_class: str = "freight",
    window: str | Window = "5y",
    as_of: date | datetime | str | None = None,
    lookback: str | Window = "30d",
    min_history: int | None = None,
    rules: Rules | None = None,
    site: str | None = None,
    cloud_cover: Mapping[int, float] | None = None,
    model_sigmas: Mapping[str, ModelSigmas] | None = None,
) -> Assessment:
    """Judge every observation date of one site, and summarize the latest.

    Args:
        observations: the site's observations, any order, any methods.
        events: dated events to link to the onset of a rise.
        railcar_class: a class, or ``freight`` / ``total``.
        window: trailing baseline window (``5y``, ``18m``, ``90d``).
        as_of: ignore observations after this UTC date; the summary is about
            the latest date on or before it.
        lookback: how far before the onset an event may be linked.
        min_history: overrides ``rules.min_history``.
        rules: thresholds (defaults documented in docs/analyze.md).
        site: keep only this site's observations (and name it in messages);
            without it the observations must all be of one site.
        cloud_cover: percent under cloud of the counted images, by image id
            (see ``Rules.max_cloud``); images missing from it count as clear.
        model_sigmas: detector models' counting errors by version, for roll-ups
            (see :func:`railwatch.analyze.series.collect`).

    Returns:
        The assessment; ``latest`` is the row the finding is about.

    Raises:
        InputError: unknown class, malformed window, lookback or date.
        AnalysisError: observations of several sites, or none for the class.
    """
    members(railcar_class)
    span = parse_window(window, what="window")
    back = parse_window(lookback, what="lookback")
    rules = rules or Rules()
    if min_history is not None:
        rules = dataclasses.replace(rules, min_history=min_history)
    cutoff = _as_date(as_of, "as-of date")
    obs = [
        o
        for o in observations
        if (cutoff is None or utc_date(o.observed_at) <= cutoff) and site in (None, o.site)
    ]
    sites = sorted({o.site for o in obs}) or ([site] if site else [])
    if len(sites) > 1:
        raise AnalysisError(f"observations of several sites ({', '.join(sites)}); assess one")
    days, unanswered = collect(
        obs,
        railcar_class,
        sigmas=rules.sigmas,
        cloud_cover=cloud_cover,
        max_cloud=rules.max_cloud,
        model_sigmas=model_sigmas,
    )
    if not days:
        upto = f" on or before {cutoff}" if cutoff else ""
        where = sites[0] if sites else "the site"
        raise AnalysisError(f"no {railcar_class} observations at {where}{upto} to assess")
    eligible = _Eligible(days)
    rows = _judge_all(days, eligible, span, railcar_class, rules)
    latest = rows[-1]
    onset = None
    if latest.level in ("elevated", "unprecedented"):
        start = span.start(latest.date)
        series = [*eligible(len(days) - 1, start), days[-1]]
        onset = find_onset(
            [d.date for d in series],
            [d.value for d in series],
            penalty_factor=rules.onset_penalty,
            fence_z=rules.onset_fence_z,
        )
    linked: tuple[LinkedEvent, ...] = ()
    if onset is not None:
        linked = _link(events, onset, back)
    return Assessment(
        site=sites[0],
        railcar_class=railcar_class,
        window=span.text,
        lookback=back.text,
        as_of=cutoff,
        rules=rules,
        rows=tuple(rows),
        latest=latest,
        onset=onset,
        linked_events=linked,
        finding=_finding(latest, span, rules, onset, linked, back),
        observations=len(obs),
        unanswered=unanswered,
    )


def _link(events: Iterable[Event], onset: Onset, lookback: Window) -> tuple[LinkedEvent, ...]:
    first = lookback.start(onset.date)
    found = []
    for ev in events:
        day = utc_date(ev.occurred_at)
        if first <= day <= onset.date:
            found.append(
                LinkedEvent(
                    title=ev.title,
                    kind=ev.kind,
                    occurred_at=ev.occurred_at,
                    date=day,
                    lag_days=(onset.date - day).days,
                    lag_min_days=(onset.earliest - day).days,
                    source=ev.source,
                    id=ev.id,
                )
            )
    found.sort(key=lambda e: (e.lag_days, e.occurred_at, e.title, e.kind, e.id or 0))
    return tuple(found)


def assess_site(store: Store, site: str, **options: Any) -> Assessment:
    """Assess a stored site: its observations and its (and general) events.

    Args:
        store: an open store.
        site: site slug.
        **options: passed to :func:`assess` (``railcar_class``, ``window``,
            ``as_of``, ``lookback``, ``min_history``, ``rules``).

    Raises:
        NotFoundError: no such site.
        AnalysisError: no observations of the class to assess.
    """
    observations = service.list_observations(store, site=site)
    events = service.list_events(store, site=site)
    clouds = service.cloud_cover(store, site=site)
    models = service.model_sigmas(store)
    return assess(
        observations, events, site=site, cloud_cover=clouds, model_sigmas=models, **options
    )
