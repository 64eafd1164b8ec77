"""Site groups: several sites (both sides of a crossing) read as one series.

Satellites rarely image the two sides of a border on the same day, so a group's
series pairs dates within a tolerance: each date of the group's first site (the
*anchor*) takes the nearest unused date of every other member no more than
``tolerance_days`` away, nearest pairs first; an anchor date that finds no
partner at some member is left out, as are member dates no anchor date took.
The pair is dated by its anchor date and its counts are the members' counts
summed class by class, each member's part kept. Only clear-imagery counts are
summed: a press figure or a clouded image's count on one side would make the sum
neither a measurement nor a claim.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from railwatch.analyze.series import MAX_CLOUD, PRECEDENCE, ModelSigmas, Sigmas, collect
from railwatch.errors import AnalysisError, InputError
from railwatch.railcars import CLASSES
from railwatch.records import Observation, SiteGroup

#: Default pairing tolerance: two passes up to this many days apart are one picture.
TOLERANCE_DAYS = 3


@dataclass(frozen=True)
class Part:
    """One member site's counts in a pair.

    Attributes:
        site: member site slug.
        date: its observation date.
        observed_at: when that site was seen.
        method, source: of the count set used (for a split, that of its box count).
        counts: cars per class, or ``{"freight": n}`` when the source gave no split.
        sigma: counting error of the freight sum (cars, one sigma).
    """

    site: str
    date: date
    observed_at: datetime
    method: str
    source: str
    counts: dict[str, int]
    sigmas: dict[str, float]

    @property
    def freight(self) -> int:
        if "freight" in self.counts:
            return self.counts["freight"]
        return sum(self.counts.get(c, 0) for c in ("box", "open", "tank", "flat", "other"))


@dataclass(frozen=True)
class Pair:
    """One date of the group: the anchor's date and every member's part."""

    date: date
    parts: tuple[Part, ...]

    @property
    def span_days(self) -> int:
        """Days between the earliest and latest member date of the pair."""
        days = [p.date for p in self.parts]
        return (max(days) - min(days)).days

    @property
    def freight(self) -> int:
        return sum(p.freight for p in self.parts)


@dataclass(frozen=True)
class GroupSeries:
    """A group's paired dates, with what could not be paired.

    Attributes:
        group: the group record.
        tolerance_days: pairing tolerance used.
        pairs: one per group date, in date order.
        unpaired: per member site, the dates that found no partner.
        pairing: how the dates were paired, in words.
    """

    group: SiteGroup
    tolerance_days: int
    pairs: tuple[Pair, ...]
    unpaired: dict[str, tuple[date, ...]] = field(default_factory=dict)
    pairing: str = ""

    def observations(self) -> list[Observation]:
        """The summed counts as observations of the group, ready for ``analyze.assess``."""
        out: list[Observation] = []
        for pair in self.pairs:
            anchor = pair.parts[0]
            split = all("freight" not in p.counts for p in pair.parts)
            names = CLASSES if split else ("freight",)
            methods = {p.method for p in pair.parts}
            # The weakest method among the parts speaks for the sum.
            method = max(methods, key=lambda m: PRECEDENCE.index(m) if m in PRECEDENCE else 9)
            source = "; ".join(f"{p.site} {p.date}: {p.source}" for p in pair.parts)
            for cls in names:
                value = sum(
                    p.counts.get(cls, 0) if split else p.freight for p in pair.parts
                )  # fmt: skip
                sigma = math.sqrt(sum(p.sigmas.get(cls, 0.0) ** 2 for p in pair.parts))
                out.append(
                    Observation(
                        site=self.group.slug,
                        observed_at=anchor.observed_at,
                        railcar_class=cls,
                        count=value,
                        method=method,
                        source=source,
                        count_sigma=round(sigma, 3),
                        note=f"sum of {len(pair.parts)} sites",
                    )
                )
        return out

    def to_dict(self) -> dict[str, Any]:
        from railwatch.analyze.assessment import _plain

        return {
            "slug": self.group.slug,
            "name": self.group.name,
            "sites": list(self.group.sites),
            "anchor": self.group.sites[0],
            "tolerance_days": self.tolerance_days,
            "pairing": self.pairing,
            "pairs": [
                {
                    "date": p.date.isoformat(),
                    "span_days": p.span_days,
                    "freight": p.freight,
                    "parts": [
                        {
                            "site": part.site,
                            "date": part.date.isoformat(),
                            "observed_at": _plain(part.observed_at),
                            "method": part.method,
                            "source": part.source,
                            "counts": dict(part.counts),
                            "freight": part.freight,
                        }
                        for part in p.parts
                    ],
                }
                for p in self.pairs
            ],
            "unpaired": {s: [d.isoformat() for d in ds] for s, ds in self.unpaired.items()},
            "contributions": self.contributions(),
        }

    def contributions(self) -> dict[str, dict[str, float]]:
        """Each member's freight over the paired dates: cars and share of the sum."""
        totals = {s: 0 for s in self.group.sites}
        for pair in self.pairs:
            for part in pair.parts:
                totals[part.site] += part.freight
        whole = sum(totals.values())
        return {
            s: {"freight": n, "share": round(n / whole, 4) if whole else 0.0}
            for s, n in totals.items()
        }


def _site_parts(
    observations: list[Observation],
    site: str,
    *,
    until: date | None,
    sigmas: Sigmas | None,
    cloud_cover: Mapping[int, float] | None,
    max_cloud: float,
    model_sigmas: Mapping[str, ModelSigmas] | None,
) -> dict[date, Part]:
    options: dict[str, Any] = dict(
        until=until,
        sigmas=sigmas,
        cloud_cover=cloud_cover,
        max_cloud=max_cloud,
        model_sigmas=model_sigmas,
    )
    mine = [o for o in observations if o.site == site]
    per_class = {}
    for cls in (*CLASSES, "freight"):
        days, _ = collect(mine, cls, **options)
        per_class[cls] = {d.date: d for d in days if d.basis == "imagery"}
    parts = {}
    for day, freight in per_class["freight"].items():
        if all(day in per_class[c] for c in CLASSES):
            values = {c: per_class[c][day] for c in CLASSES}
            counts = {c: v.value for c, v in values.items()}
            sig = {c: v.sigma for c, v in values.items()}
        else:
            counts, sig = {"freight": freight.value}, {"freight": freight.sigma}
        used = next(c for c in freight.candidates if c.used)
        parts[day] = Part(
            site=site,
            date=day,
            observed_at=used.observed_at,
            method=freight.method,
            source=freight.source,
            counts=counts,
            sigmas=sig,
        )
    return parts


def pair_sites(
    observations: Iterable[Observation],
    group: SiteGroup,
    *,
    tolerance_days: int = TOLERANCE_DAYS,
    until: date | None = None,
    sigmas: Sigmas | None = None,
    cloud_cover: Mapping[int, float] | None = None,
    max_cloud: float = MAX_CLOUD,
    model_sigmas: Mapping[str, ModelSigmas] | None = None,
) -> GroupSeries:
    """Pair the members' dates and sum their counts (see the module docstring).

    Raises:
        InputError: a negative tolerance.
        AnalysisError: no date could be paired.
    """
    if tolerance_days < 0:
        raise InputError(f"pairing tolerance {tolerance_days} days must be 0 or more")
    obs = list(observations)
    parts = {
        s: _site_parts(
            obs,
            s,
            until=until,
            sigmas=sigmas,
            cloud_cover=cloud_cover,
            max_cloud=max_cloud,
            model_sigmas=model_sigmas,
        )
        for s in group.sites
    }
    anchor, others = group.sites[0], group.sites[1:]
    partner: dict[str, dict[date, date]] = {}
    for site in others:
        options = sorted(
            (abs((b - a).days), a, b)
            for a in parts[anchor]
            for b in parts[site]
            if abs((b - a).days) <= tolerance_days
        )
        taken_a: set[date] = set()
        taken_b: set[date] = set()
        chosen: dict[date, date] = {}
        for _, a, b in options:
            if a in taken_a or b in taken_b:
                continue
            taken_a.add(a)
            taken_b.add(b)
            chosen[a] = b
        partner[site] = chosen
    pairs = []
    used: dict[str, set[date]] = {s: set() for s in group.sites}
    for day in sorted(parts[anchor]):
        if all(day in partner[s] for s in others):
            members = [parts[anchor][day], *(parts[s][partner[s][day]] for s in others)]
            pairs.append(Pair(date=day, parts=tuple(members)))
            for m in members:
                used[m.site].add(m.date)
    unpaired = {s: tuple(sorted(set(parts[s]) - used[s])) for s in group.sites}
    if not pairs:
        raise AnalysisError(
            f"no dates of {', '.join(group.sites)} lie within {tolerance_days} days of each "
            f"other to sum for group {group.slug!r}"
        )
    pairing = (
        f"each {anchor} date is paired with the nearest unused date of "
        + ", ".join(others)
        + f" within {tolerance_days} days (nearest pairs first); the sum is dated by the "
        f"{anchor} date; {sum(len(v) for v in unpaired.values())} date(s) found no partner "
        "and are left out"
    )
    return GroupSeries(
        group=group,
        tolerance_days=tolerance_days,
        pairs=tuple(pairs),
        unpaired=unpaired,
        pairing=pairing,
    )


@dataclass(frozen=True)
class GroupAssessment:
    """A group's series judged like a site's, with how it was built."""

    assessment: Any  # railwatch.analyze.Assessment of the summed series
    series: GroupSeries
    mix: Any = None  # railwatch.analyze.mix.MixAssessment, when asked for

    def to_dict(self) -> dict[str, Any]:
        out = self.assessment.to_dict()
        out["group"] = self.series.to_dict()
        if self.mix is not None:
            out["mix"] = self.mix.to_dict()
        return out


def group_observations(store: Any, slug: str, **options: Any) -> tuple[GroupSeries, list[Any]]:
    """A stored group's paired series and the events of its members (and general ones).

    Args:
        store: an open store.
        slug: group slug.
        **options: ``tolerance_days``, ``until``, ``sigmas``, ``max_cloud`` for
            :func:`pair_sites`.

    Raises:
        NotFoundError: no such group.
        AnalysisError: nothing to pair.
    """
    from railwatch import service

    group = service.get_group(store, slug)
    observations = []
    clouds: dict[int, float] = {}
    events: dict[Any, Any] = {}
    for site in group.sites:
        observations += service.list_observations(store, site=site)
        clouds.update(service.cloud_cover(store, site=site))
        for ev in service.list_events(store, site=site):
            events[ev.id if ev.id is not None else (ev.occurred_at, ev.title)] = ev
    series = pair_sites(
        observations,
        group,
        cloud_cover=clouds,
        model_sigmas=service.model_sigmas(store),
        **options,
    )
    return series, sorted(events.values(), key=lambda e: (e.occurred_at, e.title))


def assess_group(
    store: Any,
    slug: str,
    *,
    tolerance_days: int = TOLERANCE_DAYS,
    mix: bool = False,
    mix_window: str = "2y",
    mix_rules: Any = None,
    **options: Any,
) -> GroupAssessment:
    """Assess a stored group as one site: its members' counts summed per paired date.

    Args:
        store: an open store.
        slug: group slug.
        tolerance_days: how many days apart two members' passes may be and still pair.
        mix: also compare the class mix (:func:`railwatch.analyze.mix.assess_mix`).
        mix_window, mix_rules: for the mix comparison.
        **options: passed to :func:`railwatch.analyze.assess` (``railcar_class``,
            ``window``, ``as_of``, ``lookback``, ``min_history``, ``rules``).
    """
    from railwatch.analyze.assessment import Rules, _as_date, assess
    from railwatch.analyze.mix import assess_mix

    rules = options.get("rules") or Rules()
    until = _as_date(options.get("as_of"), "as-of date")
    series, events = group_observations(
        store,
        slug,
        tolerance_days=tolerance_days,
        until=until,
        sigmas=rules.sigmas,
        max_cloud=rules.max_cloud,
    )
    summed = series.observations()
    result = assess(summed, events, site=slug, **options)
    shift = None
    if mix:
        try:
            shift = assess_mix(
                summed,
                as_of=until or result.latest.date,
                window=mix_window,
                rules=mix_rules,
                site=slug,
            )
        except AnalysisError:  # no class split on any paired date: nothing to compare
            shift = None
    return GroupAssessment(assessment=result, series=series, mix=shift)
