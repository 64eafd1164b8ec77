"""From raw observations to one value per date for one railcar class.

Observations arrive at irregular dates, from several sources, sometimes
several per day, split by class or only as a roll-up. This module groups them
into *count sets* (one source's counts of one scene) and picks, per date, the
value the analysis uses while keeping every candidate for the record.
"""

from __future__ import annotations

import dataclasses
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime

from railwatch.railcars import CLASSES, ROLLUPS, members
from railwatch.records import Observation

#: Which method's value is used when several report the same date: an analyst
#: checked the image; a detector counted it; the press reports someone's count.
PRECEDENCE: tuple[str, ...] = ("analyst", "detector", "press")

#: Methods whose values are measurements of imagery (they may set baselines).
IMAGERY_METHODS: frozenset[str] = frozenset({"analyst", "detector"})

#: Percent of an image under cloud above which its counts are not trusted to set
#: a baseline: clouds hide cars, and their edges and shadows pass for cars.
MAX_CLOUD = 25.0


@dataclass(frozen=True)
class Sigmas:
    """Nominal counting uncertainty (cars, one sigma) when a source gives none.

    The detector reports its own ``count_sigma``; analysts and the press do not,
    yet both miscount: an analyst by about one car or a few percent on a crowded
    yard, the press by rounding ("about 73").
    """

    analyst_rel: float = 0.05
    analyst_floor: float = 1.0
    detector_rel: float = 0.10
    detector_floor: float = 1.0
    press_rel: float = 0.10
    press_floor: float = 2.0

    def nominal(self, method: str, count: float) -> float:
        """One-sigma counting error of ``count`` cars counted by ``method``."""
        rel, floor = {
            "analyst": (self.analyst_rel, self.analyst_floor),
            "detector": (self.detector_rel, self.detector_floor),
        }.get(method, (self.press_rel, self.press_floor))
        return max(floor, rel * abs(count))


@dataclass(frozen=True)
class Candidate:
    """One count set's answer for the chosen class on one date.

    Attributes:
        observed_at: when the scene was seen (UTC).
        method: analyst, detector or press.
        source: human-readable provenance (analyst, image path, outlet).
        key: provenance key that groups observations into this set
            (``image:12``, ``analyst:kim``, ``document:3``).
        value: cars of the chosen class (a direct count, or the sum of the
            member classes the set holds).
        count_sigma: counting uncertainty the source itself gave (quadrature
            sum over members), or ``None``.
        sigma: the uncertainty the analysis uses: ``count_sigma`` where known,
            the nominal one (:class:`Sigmas`) for the rest.
        classes: the observation classes the value was built from.
        observation_ids: store ids of those observations (where known).
        cloud_cover: percent of the counted image under cloud, where known.
        used: whether this is the value used for the date.
    """

    observed_at: datetime
    method: str
    source: str
    key: str
    value: int
    count_sigma: float | None
    sigma: float
    classes: tuple[str, ...]
    observation_ids: tuple[int, ...]
    cloud_cover: float | None = None
    used: bool = False

    def clouded(self, max_cloud: float) -> bool:
        """Whether the image counted was too cloudy for the count to be trusted."""
        return self.cloud_cover is not None and self.cloud_cover > max_cloud


@dataclass(frozen=True)
class DayValue:
    """The value used for one date, with every candidate kept.

    Attributes:
        date: UTC calendar date.
        value: cars of the chosen class used for this date.
        method, source, sigma, count_sigma: those of the candidate used.
        basis: ``imagery`` (analyst or detector), ``clouded`` (imagery more
            clouded than the analysis allows, see :data:`MAX_CLOUD`) or ``press``.
        candidates: every count set that answered, used one flagged.
        spread: max minus min over all candidates (0 when they agree or
            when there is only one).
    """

    date: date
    value: int
    method: str
    source: str
    sigma: float
    count_sigma: float | None
    basis: str
    candidates: tuple[Candidate, ...]
    spread: int


def _key(obs: Observation) -> str:
    if obs.method == "detector":
        if obs.image_id is not None:
            return f"image:{obs.image_id}"
        return f"detector:{obs.model_version or ''}:{obs.source}"
    if obs.method == "analyst":
        # A reviewed image is its own count set: one analyst reviewing two images
        # of a day counted two scenes, not one.
        name = obs.analyst or obs.source
        return (
            f"analyst:{name}:image:{obs.image_id}"
            if obs.image_id is not None
            else f"analyst:{name}"
        )
    if obs.document_id is not None:
        return f"document:{obs.document_id}"
    return f"{obs.method}:{obs.source}"


def _newest(duplicates: list[Observation]) -> Observation:
    # A class counted twice in one set is a correction: the last stored wins.
    # Without ids fall back on content so that input order never matters.
    return max(
        duplicates,
        key=lambda o: (o.id is not None, o.id or 0, o.count, o.note, o.source, o.count_sigma or 0),
    )


def _answer(by_class: dict[str, Observation], name: str) -> list[Observation] | None:
    """Observations of one set that make up ``name``; [] means a known zero."""
    if name in by_class:
        return [by_class[name]]
    present_rollups = [r for r in ROLLUPS if r in by_class]
    singles = [c for c in CLASSES if c in by_class]
    if name in CLASSES:
        # A class hidden inside a roll-up cannot be read out of it; a split count
        # that does not list the class saw none of it.
        if any(name in members(r) for r in present_rollups) or not singles:
            return None
        return []
    wanted = set(members(name))
    for r in present_rollups:
        if wanted & set(members(r)) and not set(members(r)) <= wanted:
            # ``total`` when asked for ``freight``: the split inside it is unknown.
            return None
    parts: list[Observation] = []
    covered: set[str] = set()
    for sub in present_rollups:
        if set(members(sub)) < wanted:
            parts.append(by_class[sub])
            covered |= set(members(sub))
    parts += [by_class[c] for c in singles if c in wanted and c not in covered]
    if covered < wanted and not singles:
        # A roll-up that leaves the rest unknown: a press ``freight`` count says
        # nothing of locomotives, so it is no ``total``.
        return None
    if not parts:
        # A split count that lists none of the classes saw none of them.
        return [] if singles else None
    return parts


#: A detector model's counting error per class or roll-up: name → (fixed, rel), the
#: error of ``n`` cars being hypot(fixed, rel × n) (see ``detect.calibration``).
ModelSigmas = Mapping[str, tuple[float, float]]


#: Each roll-up's classes as a set (asked for once per count set).
_MEMBERS = {name: frozenset(members(name)) for name in ROLLUPS}


def _rollup_sigma(
    parts: list[Observation], name: str, value: int, models: Mapping[str, ModelSigmas]
) -> float | None:
    """The model's own error for a roll-up counted whole by one detector run, if known.

    Class confusions (a box car read as a flat car) cancel in a roll-up, so its
    classes' errors added in quadrature overstate the roll-up's error.
    """
    if name not in ROLLUPS or not parts:
        return None
    versions = set()
    for o in parts:
        if o.method != "detector":
            return None
        versions.add(o.model_version)
    if len(versions) != 1 or {o.railcar_class for o in parts} != _MEMBERS[name]:
        return None
    fit = models.get(versions.pop() or "", {}).get(name)
    if fit is None:
        return None
    return round(math.hypot(fit[0], fit[1] * value), 3)


def _candidate(
    group: list[Observation],
    name: str,
    key: str,
    sigmas: Sigmas,
    cloud_cover: Mapping[int, float],
    models: Mapping[str, ModelSigmas],
) -> Candidate | None:
    by_class: dict[str, list[Observation]] = defaultdict(list)
    for obs in group:
        by_class[obs.railcar_class].append(obs)
    # Most sets count each class once: no correction to choose from.
    chosen = {cls: dups[0] if len(dups) == 1 else _newest(dups) for cls, dups in by_class.items()}
    parts = _answer(chosen, name)
    if parts is None:
        return None
    # The set's source as its chosen parts give it (they share time and method); the
    # smallest name when they differ, so input order never matters.
    first = min(parts or group, key=lambda o: (o.source, o.id or 0))
    value = unknown = 0
    known: list[float] = []
    for o in parts:
        value += o.count
        if o.count_sigma is None:
            unknown += o.count
        else:
            known.append(o.count_sigma)
    sigma_sq = sum(s * s for s in known)
    count_sigma = math.sqrt(sigma_sq) if known else None
    if len(known) < len(parts) or not parts:
        sigma_sq += sigmas.nominal(first.method, unknown) ** 2
    whole = _rollup_sigma(parts, name, value, models)
    if whole is not None:
        count_sigma, sigma_sq = whole, whole * whole
    return Candidate(
        observed_at=first.observed_at,
        method=first.method,
        source=first.source,
        key=key,
        value=value,
        count_sigma=count_sigma,
        sigma=math.sqrt(sigma_sq),
        classes=tuple(sorted(o.railcar_class for o in parts)),
        observation_ids=tuple(sorted(o.id for o in parts if o.id is not None)),
        cloud_cover=cloud_cover.get(first.image_id) if first.image_id is not None else None,
    )


def utc_date(moment: datetime) -> date:
    """The UTC calendar date of an aware datetime (naive ones are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).date()


def collect(
    observations: Iterable[Observation],
    railcar_class: str = "freight",
    *,
    until: date | None = None,
    sigmas: Sigmas | None = None,
    cloud_cover: Mapping[int, float] | None = None,
    max_cloud: float = MAX_CLOUD,
    model_sigmas: Mapping[str, ModelSigmas] | None = None,
) -> tuple[list[DayValue], int]:
    """One value per date for ``railcar_class``, in date order.

    Args:
        observations: observations of one site, in any order.
        railcar_class: a class or roll-up name.
        until: ignore observations after this UTC date.
        sigmas: nominal uncertainties for sources that give none.
        cloud_cover: percent under cloud of the counted images, by image id.
        max_cloud: counts of images more clouded than this are used for their
            date only when no clearer count of that date exists, and then
            marked ``clouded``.
        model_sigmas: detector models' counting errors by version; a roll-up
            counted by one model takes the model's roll-up error where it has one,
            not its classes' errors added in quadrature.

    Returns:
        The per-date values, and how many count sets could not answer for
        the class (a press ``freight`` count asked for ``box``).
    """
    members(railcar_class)  # fail early on an unknown name
    sigmas = sigmas or Sigmas()
    groups: dict[tuple[datetime, str, str], list[Observation]] = defaultdict(list)
    for obs in observations:
        if until is not None and utc_date(obs.observed_at) > until:
            continue
        groups[(obs.observed_at, obs.method, _key(obs))].append(obs)
    by_date: dict[date, list[Candidate]] = defaultdict(list)
    unanswered = 0
    for (_, _, key), group in groups.items():
        cand = _candidate(group, railcar_class, key, sigmas, cloud_cover or {}, model_sigmas or {})
        if cand is None:
            unanswered += 1
        else:
            by_date[utc_date(cand.observed_at)].append(cand)
    days = []
    for day in sorted(by_date):
        days.append(_choose(day, by_date[day], max_cloud))
    return days, unanswered


def _rank(method: str) -> int:
    return PRECEDENCE.index(method) if method in PRECEDENCE else len(PRECEDENCE)


def _choose(day: date, cands: list[Candidate], max_cloud: float) -> DayValue:
    def rank(c: Candidate) -> tuple[bool, bool, int]:
        # Imagery beats press; a clear image beats a clouded one whoever counted them.
        return c.method not in IMAGERY_METHODS, c.clouded(max_cloud), _rank(c.method)

    if len(cands) == 1:  # most dates of a long history: nothing to choose between
        (only,) = cands
        return _day(day, only, (dataclasses.replace(only, used=True),), 0, max_cloud)
    order = sorted(cands, key=lambda c: (rank(c), c.value, c.observed_at, c.key))
    best = rank(order[0])
    top = [c for c in order if rank(c) == best]
    # Same method, several scenes (two images, two analysts): the lower median,
    # so the value is one that was actually counted and a lone high count
    # cannot make a record on its own.
    used = top[(len(top) - 1) // 2]
    # Candidates are made unused; only the one used is copied (a copy each cost ~25 ms of
    # a ten-year timeline).
    kept = tuple(
        c if c is not used and not c.used else dataclasses.replace(c, used=c is used)
        for c in sorted(cands, key=lambda c: (c.observed_at, _rank(c.method), c.key, c.value))
    )
    values = [c.value for c in cands]
    return _day(day, used, kept, max(values) - min(values), max_cloud)


def _day(
    day: date, used: Candidate, kept: tuple[Candidate, ...], spread: int, max_cloud: float
) -> DayValue:
    return DayValue(
        date=day,
        value=used.value,
        method=used.method,
        source=used.source,
        sigma=used.sigma,
        count_sigma=used.count_sigma,
        basis=(
            "press"
            if used.method not in IMAGERY_METHODS
            else "clouded"
            if used.clouded(max_cloud)
            else "imagery"
        ),
        candidates=kept,
        spread=spread,
    )
