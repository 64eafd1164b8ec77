"""Class mix: has the kind of traffic changed, not only its volume?

Analysts read a yard's freight by what it carries: open (ore, coal) wagons and
tank cars mean bulk and oil, box cars general goods. :func:`assess_mix` compares
the share each freight class takes of the freight cars seen in a recent window
with its share in a reference window before it, with a test made for counts
that come in trains (dates are clusters, not independent cars) and carry a
counting error, and says in words which classes rose or fell, by how much, how
sure it is, and when the data cannot tell. See docs/analyze.md ("Class mix").
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from railwatch.analyze.series import MAX_CLOUD, DayValue, ModelSigmas, Sigmas, collect
from railwatch.analyze.window import Window, parse_window
from railwatch.errors import AnalysisError, InputError
from railwatch.records import Observation

#: Freight classes whose shares are compared (passenger cars and locomotives haul
#: or carry people, not the freight the mix is about, and are left out).
MIX_CLASSES: tuple[str, ...] = ("box", "open", "tank", "flat", "other")

#: Class names as an analyst writes them, plural.
CLASS_WORDS: dict[str, str] = {
    "box": "box cars",
    "open": "open (ore) cars",
    "tank": "tank cars",
    "flat": "flat cars",
    "other": "other freight cars",
}

_ONE_DAY = timedelta(days=1)

#: Verdicts on one class, from most to least telling.
VERDICTS: tuple[str, ...] = ("rose", "fell", "minor", "unchanged", "uncertain")


@dataclass(frozen=True)
class MixRules:
    """The thresholds of the mix test; echoed in the output so it can be redone.

    Attributes:
        recent: the recent window, ending on the as-of date (``90d``).
        alpha: family-wise error level (Holm over the classes) at which a class
            is said to have risen or fallen.
        material: a share must change by at least this fraction (ratio ≥ 1.2 or
            ≤ 1/1.2) to be reported as a rise or fall; a 95 % interval inside
            that band is "unchanged".
        min_dates: imagery dates needed in each window.
        min_cars: freight cars needed in each window.
    """

    recent: str = "90d"
    alpha: float = 0.05
    material: float = 0.2
    min_dates: int = 5
    min_cars: int = 50

    def __post_init__(self) -> None:
        parse_window(self.recent, what="recent mix window")
        if not 0 < self.alpha < 1:
            raise InputError(f"mix alpha {self.alpha:g} must lie between 0 and 1")
        if self.material <= 0:
            raise InputError(f"mix material change {self.material:g} must be above 0")
        if self.min_dates < 2:
            raise InputError(f"mix minimum dates {self.min_dates} must be at least 2")


@dataclass(frozen=True)
class Period:
    """One window's freight mix.

    Attributes:
        start, end: first and last day of the window (inclusive).
        dates: imagery dates with a class split in it.
        cars: freight cars counted on them (sum over dates).
        counts: cars per class (sum over dates).
        shares: counts / cars.
        per_date: mean cars per class per date.
        freight_per_date: mean freight cars per date.
    """

    start: date
    end: date
    dates: int
    cars: int
    counts: dict[str, int]
    shares: dict[str, float]
    per_date: dict[str, float]
    freight_per_date: float


@dataclass(frozen=True)
class ClassShift:
    """How one class's share moved between the windows.

    Attributes:
        railcar_class: the class.
        share_ref, share_recent: its share of freight cars in each window.
        share_change: share_recent − share_ref (a fraction; ×100 for points).
        ratio: share_recent / share_ref (None when the class was absent before).
        ratio_low, ratio_high: 95 % interval of the ratio (None when not defined).
        per_date_ratio: its mean cars per date, recent / reference.
        se: standard error of share_change (dates as clusters, counting error added).
        z, p: Wald statistic and two-sided p of share_change.
        p_holm: p adjusted for testing every class (Holm).
        verdict: one of :data:`VERDICTS`.
        confidence: estimative words for a rise or fall (``very likely``), else "".
    """

    railcar_class: str
    share_ref: float
    share_recent: float
    share_change: float
    ratio: float | None
    ratio_low: float | None
    ratio_high: float | None
    per_date_ratio: float | None
    se: float
    z: float
    p: float
    p_holm: float
    verdict: str
    confidence: str = ""


@dataclass(frozen=True)
class MixAssessment:
    """The class-mix comparison of one site (or group) as of a date.

    Attributes:
        site: site or group slug.
        as_of: the last day of the recent window.
        window: reference window length as typed (``2y``).
        rules: thresholds used.
        status: ``shift`` (some class rose or fell), ``no-shift`` (every class
            unchanged or changed too little to matter), ``uncertain`` (no class
            moved clearly but some could have), ``insufficient-data``.
        reference, recent: the two windows' mixes (None when a window is empty).
        classes: one :class:`ClassShift` per class seen in either window.
        chi2, df, design_effect, p: the overall test (Pearson χ² of the
            window × class table divided by the design effect, Rao–Scott).
        volume_ratio: freight cars per date, recent / reference.
        finding: the result in one paragraph of plain words.
        reasons: why the data cannot tell, when it cannot.
    """

    site: str
    as_of: date
    window: str
    rules: MixRules
    status: str
    reference: Period | None
    recent: Period | None
    classes: tuple[ClassShift, ...] = ()
    chi2: float | None = None
    df: int | None = None
    design_effect: float | None = None
    p: float | None = None
    volume_ratio: float | None = None
    finding: str = ""
    reasons: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (dates as ISO strings)."""
        from railwatch.analyze.assessment import _plain

        return _plain(self)

    @property
    def risen(self) -> tuple[str, ...]:
        return tuple(c.railcar_class for c in self.classes if c.verdict == "rose")

    @property
    def fallen(self) -> tuple[str, ...]:
        return tuple(c.railcar_class for c in self.classes if c.verdict == "fell")


@dataclass(frozen=True)
class SplitDay:
    """One date's freight by class (clear imagery), with each class's counting error."""

    date: date
    counts: dict[str, int]
    sigmas: dict[str, float]


def split_days(
    observations: Iterable[Observation],
    *,
    until: date | None = None,
    sigmas: Sigmas | None = None,
    cloud_cover: Mapping[int, float] | None = None,
    max_cloud: float = MAX_CLOUD,
    model_sigmas: Mapping[str, ModelSigmas] | None = None,
) -> list[SplitDay]:
    """Dates whose freight is known class by class from clear imagery.

    Press counts and counts of clouded images are left out: a press figure is
    rarely split by class, and clouds hide cars of every kind unevenly.
    """
    obs = list(observations)
    per_class: dict[str, dict[date, DayValue]] = {}
    for cls in MIX_CLASSES:
        days, _ = collect(
            obs,
            cls,
            until=until,
            sigmas=sigmas,
            cloud_cover=cloud_cover,
            max_cloud=max_cloud,
            model_sigmas=model_sigmas,
        )
        per_class[cls] = {d.date: d for d in days if d.basis == "imagery"}
    common = set.intersection(*(set(v) for v in per_class.values()))
    return [
        SplitDay(
            date=day,
            counts={c: per_class[c][day].value for c in MIX_CLASSES},
            sigmas={c: per_class[c][day].sigma for c in MIX_CLASSES},
        )
        for day in sorted(common)
    ]


def _period(days: list[SplitDay], start: date, end: date) -> Period | None:
    inside = [d for d in days if start <= d.date <= end]
    if not inside:
        return None
    counts = {c: sum(d.counts[c] for d in inside) for c in MIX_CLASSES}
    cars = sum(counts.values())
    return Period(
        start=start,
        end=end,
        dates=len(inside),
        cars=cars,
        counts=counts,
        shares={c: (counts[c] / cars if cars else 0.0) for c in MIX_CLASSES},
        per_date={c: counts[c] / len(inside) for c in MIX_CLASSES},
        freight_per_date=cars / len(inside),
    )


def _share_variance(days: list[SplitDay], cls: str) -> tuple[float, float]:
    """Variance of a window's share of ``cls``, and the multinomial variance alone.

    The share is a ratio estimator over dates: trains arrive as blocks of one
    kind, so cars of one date are not independent draws and the scatter between
    dates is the honest measure (cluster-robust, m/(m−1) corrected). It never
    claims more than independent cars would give (the multinomial floor), and
    the sources' counting error is added on top, so a detector's class confusions
    on few dates cannot pass for a shift.
    """
    total = sum(sum(d.counts.values()) for d in days)
    m = len(days)
    if total == 0:
        return math.inf, math.inf
    share = sum(d.counts[cls] for d in days) / total
    resid = sum((d.counts[cls] - share * sum(d.counts.values())) ** 2 for d in days)
    cluster = resid * m / (m - 1) / total**2 if m > 1 else math.inf
    multinomial = max(share * (1 - share), 0.25 / total) / total
    counting = (
        sum(
            ((1 - share) * d.sigmas[cls]) ** 2
            + share**2 * sum(d.sigmas[k] ** 2 for k in MIX_CLASSES if k != cls)
            for d in days
        )
        / total**2
    )
    return max(cluster, multinomial) + counting, multinomial


def _holm(pvalues: list[float]) -> list[float]:
    order = sorted(range(len(pvalues)), key=lambda i: pvalues[i])
    out = [1.0] * len(pvalues)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(pvalues) - rank) * pvalues[i]))
        out[i] = running
    return out


def _confidence(p_holm: float) -> str:
    # Estimative words (ICD 203) tied to how surely the share moved, not to its size.
    if p_holm < 0.0001:
        return "almost certainly"
    if p_holm < 0.001:
        return "very likely"
    return "likely"


def _verdict(ratio: float | None, low: float | None, high: float | None, p_holm: float,
             change: float, rules: MixRules) -> str:  # fmt: skip
    up, down = 1 + rules.material, 1 / (1 + rules.material)
    if p_holm <= rules.alpha:
        if ratio is None or ratio >= up:
            return "rose"
        if ratio <= down:
            return "fell"
        return "minor"
    if low is not None and high is not None and down < low and high < up:
        return "unchanged"
    if ratio is None and change == 0:
        return "unchanged"
    return "uncertain"


def _words(classes: Iterable[str]) -> str:
    names = [CLASS_WORDS[c] for c in classes]
    # "open (ore) and tank cars": one "cars" for the list, as people write it.
    short = [n.removesuffix(" cars") for n in names]
    if len(short) == 1:
        return names[0]
    return ", ".join(short[:-1]) + " and " + short[-1] + " cars"


def _pct(x: float) -> str:
    return f"{100 * x:.0f} %"


def finding_text(m: MixAssessment, name: str | None = None) -> str:
    """The finding of ``m`` with the site called ``name`` (a report's display name)."""
    return _finding(m, parse_window(m.window), parse_window(m.rules.recent), name)


def _finding(m: MixAssessment, window: Window, recent: Window, name: str | None = None) -> str:
    where = f"at {name or m.site}"
    span = f"the {recent.label} window to {m.as_of}"
    if m.status == "insufficient-data":
        return (
            f"The data cannot tell whether the mix of freight cars {where} changed: "
            + "; ".join(m.reasons)
            + "."
        )
    assert m.reference is not None and m.recent is not None
    by = {c.railcar_class: c for c in m.classes}
    up, down = m.risen, m.fallen
    before = f"the previous {window.label} window"
    if m.status == "shift":
        parts = []
        if up:
            parts.append(f"more {_words(up)}")
        if down:
            parts.append(f"fewer {_words(down)}")
        text = f"{' and '.join(parts).capitalize()} {where} in {span} than in {before}: "
        details = []
        for cls in (*up, *down):
            c = by[cls]
            ratio = "new" if c.ratio is None else f"{c.ratio:.2f}×"
            details.append(
                f"{CLASS_WORDS[cls]} {_pct(c.share_recent)} of freight cars against "
                f"{_pct(c.share_ref)} ({ratio}, {c.confidence})"
            )
        text += "; ".join(details) + "."
    elif m.status == "no-shift":
        text = f"No material change in the mix of freight cars {where} in {span} against {before}."
    else:
        text = (
            f"No class of freight car clearly rose or fell {where} in {span} against {before}, "
            "but the data cannot rule out a change."
        )
    steady = [c.railcar_class for c in m.classes if c.verdict in ("unchanged", "minor")]
    unsure = [c.railcar_class for c in m.classes if c.verdict == "uncertain"]
    if m.status == "shift" and steady:
        text += f" {_words(steady).capitalize()} about the same."
    if unsure:
        text += f" The data cannot tell whether {_words(unsure)} changed."
    text += (
        f" Freight cars per image: {m.recent.freight_per_date:.0f} against "
        f"{m.reference.freight_per_date:.0f} ({m.recent.dates} and {m.reference.dates} dates)."
    )
    return text


def assess_mix(
    observations: Iterable[Observation],
    *,
    as_of: date | datetime | str | None = None,
    window: str | Window = "2y",
    rules: MixRules | None = None,
    site: str | None = None,
    sigmas: Sigmas | None = None,
    cloud_cover: Mapping[int, float] | None = None,
    max_cloud: float = MAX_CLOUD,
    model_sigmas: Mapping[str, ModelSigmas] | None = None,
    days: list[SplitDay] | None = None,
) -> MixAssessment:
    """Compare the freight mix of the recent window with the window before it.

    Args:
        observations: one site's (or one group's) observations.
        as_of: last day of the recent window (default: the latest split date).
        window: the reference window, which ends the day before the recent one starts.
        rules: thresholds (``MixRules``; the recent window is ``rules.recent``).
        site: keep only this site's observations.
        sigmas, cloud_cover, max_cloud, model_sigmas: as for :func:`railwatch.analyze.assess`.
        days: the observations' :func:`split_days` when the caller has them already
            (a report charts them too); they must be of the same observations.

    Returns:
        The comparison; its ``status`` is ``insufficient-data`` when either window
        is too thin to say anything.

    Raises:
        InputError: malformed window or date.
        AnalysisError: no class-split counts at all.
    """
    from scipy import stats

    from railwatch.analyze.assessment import _as_date

    rules = rules or MixRules()
    span = parse_window(window, what="mix window")
    recent_span = parse_window(rules.recent, what="recent mix window")
    cutoff = _as_date(as_of, "as-of date")
    obs = [o for o in observations if site in (None, o.site)]
    if days is None:
        days = split_days(
            obs,
            until=cutoff,
            sigmas=sigmas,
            cloud_cover=cloud_cover,
            max_cloud=max_cloud,
            model_sigmas=model_sigmas,
        )
    else:
        days = [d for d in days if cutoff is None or d.date <= cutoff]
    name = site or (obs[0].site if obs else "the site")
    if not days:
        upto = f" on or before {cutoff}" if cutoff else ""
        raise AnalysisError(f"no class-split imagery counts at {name}{upto} to compare the mix")
    end = cutoff or days[-1].date
    recent_start = recent_span.start(end) + _ONE_DAY
    ref_end = recent_start - _ONE_DAY
    ref_start = span.start(recent_start)
    ref = _period(days, ref_start, ref_end)
    rec = _period(days, recent_start, end)
    reasons = []
    for label, p in (("the recent window", rec), ("the reference window", ref)):
        n, cars = (p.dates, p.cars) if p else (0, 0)
        if n < rules.min_dates or cars < rules.min_cars:
            reasons.append(
                f"{label} has {n} dated count(s) and {cars} freight cars "
                f"({rules.min_dates} dates and {rules.min_cars} cars needed)"
            )
    base = dict(site=name, as_of=end, window=span.text, rules=rules, reference=ref, recent=rec)
    if reasons:
        result = MixAssessment(status="insufficient-data", reasons=tuple(reasons), **base)
        return _with_finding(result, span, recent_span)
    assert ref is not None and rec is not None
    ref_days = [d for d in days if ref_start <= d.date <= ref_end]
    rec_days = [d for d in days if recent_start <= d.date <= end]
    present = [c for c in MIX_CLASSES if ref.counts[c] or rec.counts[c]]
    raw = []
    for cls in present:
        v_ref, mult_ref = _share_variance(ref_days, cls)
        v_rec, mult_rec = _share_variance(rec_days, cls)
        change = rec.shares[cls] - ref.shares[cls]
        se = math.sqrt(v_ref + v_rec)
        z = change / se if se > 0 else 0.0
        raw.append((cls, change, se, z, float(2 * stats.norm.sf(abs(z))), v_ref, v_rec,
                    (v_ref + v_rec) / (mult_ref + mult_rec)))  # fmt: skip
    adjusted = _holm([r[4] for r in raw])
    shifts = []
    for (cls, change, se, z, p, v_ref, v_rec, _), p_holm in zip(raw, adjusted, strict=True):
        s_ref, s_rec = ref.shares[cls], rec.shares[cls]
        ratio = s_rec / s_ref if s_ref > 0 else None
        low = high = None
        if ratio is not None and s_rec > 0:
            se_log = math.sqrt(v_ref / s_ref**2 + v_rec / s_rec**2)
            low, high = ratio * math.exp(-1.96 * se_log), ratio * math.exp(1.96 * se_log)
        elif ratio is not None:
            low, high = 0.0, (s_rec + 1.96 * math.sqrt(v_rec)) / s_ref
        per_date = rec.per_date[cls] / ref.per_date[cls] if ref.per_date[cls] > 0 else None
        verdict = _verdict(ratio, low, high, p_holm, change, rules)
        shifts.append(
            ClassShift(
                railcar_class=cls,
                share_ref=round(s_ref, 4),
                share_recent=round(s_rec, 4),
                share_change=round(change, 4),
                ratio=None if ratio is None else round(ratio, 3),
                ratio_low=None if low is None else round(low, 3),
                ratio_high=None if high is None else round(high, 3),
                per_date_ratio=None if per_date is None else round(per_date, 3),
                se=round(se, 5),
                z=round(z, 3),
                p=p,
                p_holm=p_holm,
                verdict=verdict,
                confidence=_confidence(p_holm) if verdict in ("rose", "fell") else "",
            )
        )
    # Overall: Pearson chi-square of the 2 x K table, divided by the mean design
    # effect (first-order Rao-Scott), against chi-square with K - 1 degrees of freedom.
    chi2 = 0.0
    for cls in present:
        col = ref.counts[cls] + rec.counts[cls]
        for p_ in (ref, rec):
            expected = col * p_.cars / (ref.cars + rec.cars)
            if expected > 0:
                chi2 += (p_.counts[cls] - expected) ** 2 / expected
    deff = max(1.0, sum(r[7] for r in raw) / len(raw)) if raw else 1.0
    df = max(1, len(present) - 1)
    p_all = float(stats.chi2.sf(chi2 / deff, df))
    flagged = any(s.verdict in ("rose", "fell") for s in shifts)
    if flagged:
        status = "shift"
    elif any(s.verdict == "uncertain" for s in shifts):
        status = "uncertain"
    else:
        status = "no-shift"
    result = MixAssessment(
        status=status,
        classes=tuple(shifts),
        chi2=round(chi2, 3),
        df=df,
        design_effect=round(deff, 3),
        p=p_all,
        volume_ratio=round(rec.freight_per_date / ref.freight_per_date, 3)
        if ref.freight_per_date
        else None,
        **base,
    )
    return _with_finding(result, span, recent_span)


def _with_finding(m: MixAssessment, window: Window, recent: Window) -> MixAssessment:
    return dataclasses.replace(m, finding=_finding(m, window, recent))


def day_mix(
    observations: Iterable[Observation], **options: Any
) -> list[tuple[date, dict[str, int]]]:
    """Per date, freight cars by class (clear imagery only), for charts."""
    return [(d.date, dict(d.counts)) for d in split_days(observations, **options)]


def assess_site_mix(store: Any, site: str, **options: Any) -> MixAssessment:
    """The class-mix comparison of a stored site (see :func:`assess_mix`).

    Raises:
        NotFoundError: no such site.
        AnalysisError: no class-split imagery counts.
    """
    from railwatch import service

    service.get_site(store, site)
    return assess_mix(
        service.list_observations(store, site=site),
        site=site,
        cloud_cover=service.cloud_cover(store, site=site),
        model_sigmas=service.model_sigmas(store),
        **options,
    )
