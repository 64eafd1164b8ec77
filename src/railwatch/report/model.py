"""What a report shows, as plain data the templates render.

:class:`ReportData` is the one thing the templates, the chart and the chips
read. :func:`build` fills it from the store: the analysis (``railwatch.analyze``)
for the series, baseline and anomaly levels, the press stage for the claims,
and the store for images, detections and models. Only this module knows the
shape of those stages' results, so a change there changes only this file.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from railwatch import __version__, analyze, railcars, service
from railwatch.detect.runs import with_shipped
from railwatch.errors import AnalysisError, InputError
from railwatch.records import Event, Observation, Site
from railwatch.report import crosscheck
from railwatch.report.crosscheck import PressCheck
from railwatch.store import Store, report_queries
from railwatch.store import detections as detection_rows
from railwatch.store import events as event_rows
from railwatch.store import groups as group_rows
from railwatch.store import images as image_rows
from railwatch.store import observations as observation_rows
from railwatch.store import sites as site_rows

LEVELS: tuple[str, ...] = ("insufficient-history", "normal", "elevated", "unprecedented")


@dataclass(frozen=True)
class Baseline:
    """What was usual before a date: the counts of the earlier dates in the window."""

    n: int
    max: int
    median: float
    mad: float
    p90: float
    first: date
    last: date
    max_sigma: float = 0.0  # counting uncertainty of the highest earlier count (one sigma)
    window_start: date | None = None  # first day the baseline's window could reach back to


@dataclass(frozen=True)
class Row:
    """One date of the series: the counts used for it and how they compare."""

    day: date
    counts: dict[str, int]  # per railcar class (or a roll-up when the source gives no split)
    total: int  # the roll-up the report is about
    method: str
    source: str = ""
    model_version: str | None = None
    analyst: str | None = None
    note: str = ""
    image_id: int | None = None
    level: str = "insufficient-history"
    baseline: Baseline | None = None
    ratio_to_prior_max: float | None = None
    robust_z: float | None = None
    candidates: int = 1
    disagreement: bool = False
    sigma: float = 0.0  # counting uncertainty of ``total`` (cars, one sigma)
    cloud_cover: float | None = None  # percent of the counted image under cloud
    clouded: bool = False  # too cloudy to set baselines (the analysis's max_cloud)
    class_sigmas: dict[str, float] = field(default_factory=dict)  # per class, where known

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise InputError(f"unknown anomaly level {self.level!r}")
        if self.total < 0:
            raise InputError(f"a count cannot be negative ({self.total} on {self.day})")


@dataclass(frozen=True)
class LinkedEvent:
    """A dated event the rise followed, and by how many days."""

    title: str
    day: date
    lag_days: int
    kind: str = ""
    lag_min_days: int | None = None  # from the onset's earliest possible date


@dataclass(frozen=True)
class ImageInfo:
    id: int
    day: date
    sha256: str
    gsd_m: float
    path: str
    crs: str
    width: int
    height: int
    provider: str = ""


@dataclass(frozen=True)
class ModelInfo:
    version: str
    benchmark: dict[str, Any] = field(default_factory=dict)
    count_error: float | None = None  # mean absolute count error per image, in cars
    gsd_range: tuple[float, float] | None = None  # GSD (m) the model is validated for
    #: Figures on real labelled imagery (``evaluation.real_yard``): the simulated
    #: benchmark says how well the model learnt its training world, this says how
    #: far that carries to real scenes, so a reader must see both.
    real: dict[str, float] = field(default_factory=dict)  # precision, recall, f1
    real_counts: tuple[int, int] | None = None  # railcars found, railcars labelled
    real_data: str = "?"  # the labelled set they were measured on


@dataclass(frozen=True)
class DocumentInfo:
    id: int
    outlet: str
    title: str
    published: date | None
    sha256: str


@dataclass(frozen=True)
class ChipSpec:
    """An image to cut a chip from, and the detections to draw on it."""

    role: str  # peak | baseline
    day: date
    image: ImageInfo
    count: int
    detections: tuple[dict[str, Any], ...]  # railcar_class, tarped, polygon_px


@dataclass(frozen=True)
class ReportData:
    site_slug: str
    site_name: str
    country: str
    railcar_class: str
    as_of: date
    window_start: date
    rows: tuple[Row, ...]
    level: str | None  # of the latest row; None when there is nothing to judge
    latest: Row | None
    peak: Row | None
    onset: date | None
    onset_uncertainty_days: int | None
    onset_earliest: date | None
    linked_events: tuple[LinkedEvent, ...]
    events: tuple[Event, ...]  # every dated event in the window, for the chart
    press: tuple[PressCheck, ...]
    finding: str
    tarped_detections: int
    tarp_claimed: bool
    models: tuple[ModelInfo, ...]
    images: tuple[ImageInfo, ...]
    documents: tuple[DocumentInfo, ...]
    chips: tuple[ChipSpec, ...]
    rules: dict[str, tuple[str, ...]]  # by language
    generated_at: datetime
    version: str = __version__
    max_cloud: float = analyze.MAX_CLOUD  # percent: clouded rows are marked against it
    #: The class-mix comparison (recent window against the one before), when one could be made.
    mix: analyze.MixAssessment | None = None
    #: Freight cars by class per clear-imagery date in the window, for the mix chart.
    mix_days: tuple[tuple[date, dict[str, int]], ...] = ()
    #: For a group of sites: how the dates were paired and each site's part.
    group: analyze.GroupSeries | None = None

    @property
    def classes(self) -> tuple[str, ...]:
        """Railcar classes that appear in the series, in the vocabulary's order."""
        seen = {c for r in self.rows for c, n in r.counts.items() if n}
        order = (*railcars.CLASSES, *railcars.ROLLUPS)
        return tuple(c for c in order if c in seen)

    @property
    def gsd_range(self) -> tuple[float, float] | None:
        if not self.images:
            return None
        values = [i.gsd_m for i in self.images]
        return min(values), max(values)

    @property
    def baseline(self) -> Baseline | None:
        return None if self.latest is None else self.latest.baseline


# ---------------------------------------------------------------------------
# Building the data


def build(
    store: Store,
    site: str,
    *,
    as_of: datetime | date | None = None,
    railcar_class: str = "freight",
    window: str = "5y",
    group: bool = False,
    mix_window: str = "2y",
    tolerance_days: int = 3,
) -> ReportData:
    """Gather everything the report shows about ``site``.

    Args:
        store: the store to read.
        site: site slug.
        as_of: judge as of this UTC date (default: the latest observation); later data
            is left out.
        railcar_class: a class or roll-up (``freight``, ``total``) the judgment is about.
        window: the baseline window, also the span the chart shows (``5y``, ``18m``).
        group: ``site`` names a site group: its members' counts are summed per
            paired date (``analyze.pair_sites``) and each member's part is kept.
        mix_window: reference window of the class-mix comparison.
        tolerance_days: pairing tolerance for a group.

    Raises:
        NotFoundError: unknown site or group.
        InputError: unknown class or malformed window.
    """
    railcars.members(railcar_class)
    span = analyze.parse_window(window)
    cutoff_day = _as_date(as_of)
    with store.transaction() as session:
        members = group_rows.get(session, site) if group else None
        slugs = members.sites if members else (site,)
        records = [site_rows.get(session, s) for s in slugs]
        site_record = records[0]
        if members is not None:
            countries = " / ".join(dict.fromkeys(r.country for r in records if r.country))
            site_record = Site(slug=members.slug, name=members.name, country=countries,
                               geometry={})  # fmt: skip
        every = [o for s in slugs for o in observation_rows.list_observations(session, site=s)]
        events_all = list(
            {
                (e.id, e.title): e for s in slugs for e in event_rows.list_events(session, site=s)
            }.values()
        )
        images_all = [i for s in slugs for i in image_rows.list_images(session, site=s)]
        models = with_shipped(detection_rows.list_models(session))
        claims = [c for s in slugs for c in report_queries.claims_for_site(session, s)]
        doc_ids = {c["document_id"] for c in claims}
        doc_ids |= {o.document_id for o in every if o.document_id is not None}
        documents = {
            d["id"]: DocumentInfo(
                id=d["id"],
                outlet=d["outlet"],
                title=d["title"],
                published=d["published_at"].date() if d["published_at"] else None,
                sha256=d["sha256"],
            )
            for d in report_queries.documents(session, doc_ids)
        }

    clouds = {i.id: i.cloud_cover for i in images_all if i.id and i.cloud_cover is not None}
    series = None
    press_every = every
    if members is not None:
        # A group is judged on its summed series; the members' own counts stay for the
        # table of each site's part, and their press claims for the cross-check.
        series = analyze.pair_sites(
            every,
            members,
            tolerance_days=tolerance_days,
            until=cutoff_day,
            cloud_cover=clouds,
            model_sigmas=service.sigmas_of_models(models),
        )
        every = series.observations()
    try:
        assessment = analyze.assess(
            every,
            events_all,
            railcar_class=railcar_class,
            window=span,
            as_of=cutoff_day,
            cloud_cover=clouds,
            model_sigmas=service.sigmas_of_models(models),
        )
    except AnalysisError:  # nothing of that class to assess: the report says so
        assessment = None
    as_of_day = cutoff_day or (assessment.latest.date if assessment else _today())
    start = span.start(as_of_day)
    by_id = {o.id: o for o in every}
    pair_counts = {p.date: _pair_counts(p) for p in series.pairs} if series else {}
    rows = [
        _row(r, by_id, railcar_class, pair_counts.get(r.date))
        for r in (assessment.rows if assessment else ())
        if start <= r.date <= as_of_day
    ]
    latest = rows[-1] if rows else None
    imagery_rows = [r for r in rows if r.method != "press"]
    # A clouded image's count may be cloud edges taken for cars: not the peak to show.
    clear_rows = [r for r in imagery_rows if not r.clouded]
    peak = max(clear_rows or imagery_rows or rows, key=lambda r: (r.total, r.day)) if rows else None
    onset = assessment.onset if assessment else None
    linked = tuple(
        LinkedEvent(
            title=e.title,
            day=e.date,
            lag_days=e.lag_days,
            kind=e.kind,
            lag_min_days=e.lag_min_days,
        )  # fmt: skip
        for e in (assessment.linked_events if assessment else ())
    )
    events = [e for e in events_all if start <= e.occurred_at.date() <= as_of_day]

    days = {r.day for r in rows}
    used_image_ids = {r.image_id for r in rows if r.image_id is not None}
    image_infos = tuple(
        ImageInfo(
            id=i.id,  # type: ignore[arg-type]
            day=i.acquired_at.date(),
            sha256=i.sha256,
            gsd_m=i.gsd_m,
            path=i.path,
            crs=i.crs,
            width=i.width,
            height=i.height,
            provider=i.provider,
        )
        for i in images_all
        if i.id in used_image_ids or i.acquired_at.date() in days
    )
    with store.transaction() as session:
        detections = report_queries.detections_for_images(session, [i.id for i in image_infos])
    chips = _chips(clear_rows or imagery_rows, peak, image_infos, detections)
    model_versions = {r.model_version for r in rows if r.model_version}
    model_versions |= {d["model_version"] for ds in detections.values() for d in ds}
    model_infos = tuple(_model_info(m) for m in models if m["version"] in model_versions)
    model_infos += tuple(
        ModelInfo(version=v) for v in sorted(model_versions - {m.version for m in model_infos})
    )
    wanted = railcars.members(railcar_class)
    # Tarps are a caveat about the peak: count them on the peak date's imagery only.
    peak_images = {i.id for i in image_infos if peak is not None and i.day == peak.day}
    tarped = sum(
        1
        for image_id in peak_images
        for d in detections.get(image_id, ())
        if d["tarped"] and d["railcar_class"] in wanted
    )
    # A claimed "prior maximum" is about the time before the rise, so it is set
    # against the baseline of the onset date (or of the peak, when there is no rise).
    before_rise = next((r for r in rows if onset and r.day == onset.date), peak)
    press_obs = [
        o for o in press_every
        if o.method == "press" and o.observed_at.date() <= as_of_day
    ]  # fmt: skip
    press = crosscheck.from_comparison(store, slugs[0], rows, before_rise, tarped, press_obs)
    if press is None:  # the press stage could not compare: show the claims one by one
        press = crosscheck.from_claims(claims, press_obs, rows, before_rise, documents)
    rules = assessment.rules if assessment else analyze.Rules()
    mix, mix_days = _mix(every, site_record.slug, as_of_day, start, mix_window, clouds, rules)

    return ReportData(
        site_slug=site_record.slug,
        site_name=site_record.name,
        country=site_record.country,
        railcar_class=railcar_class,
        as_of=as_of_day,
        window_start=start,
        rows=tuple(rows),
        level=None if latest is None else latest.level,
        latest=latest,
        peak=peak,
        onset=onset.date if onset else None,
        onset_uncertainty_days=(onset.date - onset.earliest).days if onset else None,
        onset_earliest=onset.earliest if onset else None,
        linked_events=linked,
        events=tuple(events),
        press=tuple(press),
        finding=assessment.finding if assessment else "",
        tarped_detections=tarped,
        tarp_claimed=any(crosscheck.mentions_tarp(c) for c in claims),
        models=model_infos,
        images=image_infos,
        documents=tuple(documents.values()),
        chips=chips,
        rules=_rules_text(rules, span.text, assessment.lookback if assessment else "30d"),
        generated_at=datetime.now(UTC).replace(microsecond=0),
        max_cloud=rules.max_cloud,
        mix=mix,
        mix_days=mix_days,
        group=series,
    )


def _mix(
    every: list[Observation],
    slug: str,
    as_of: date,
    start: date,
    window: str,
    clouds: dict[int, float],
    rules: analyze.Rules,
) -> tuple[analyze.MixAssessment | None, tuple[tuple[date, dict[str, int]], ...]]:
    """The class-mix comparison and the per-date mix to chart (none without split counts)."""
    options: dict[str, Any] = dict(
        cloud_cover=clouds, max_cloud=rules.max_cloud, sigmas=rules.sigmas
    )
    days = tuple((d, c) for d, c in analyze.day_mix(every, until=as_of, **options) if d >= start)
    if not days:
        return None, ()
    try:
        mix = analyze.assess_mix(every, site=slug, as_of=as_of, window=window, **options)
    except AnalysisError:
        return None, days
    return mix, days


def _pair_counts(pair: analyze.Pair) -> dict[str, int]:
    """A group date's counts by class: the members' counts summed."""
    out: dict[str, int] = {}
    for part in pair.parts:
        for cls, n in part.counts.items():
            out[cls] = out.get(cls, 0) + n
    return out


def _today() -> date:
    return datetime.now(UTC).date()


def _as_date(value: datetime | date | None) -> date | None:
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    if value.tzinfo is None:
        raise InputError("as-of time needs a zone (e.g. 2023-10-06 or 2023-10-06T00:00:00Z)")
    return value.astimezone(UTC).date()


def _row(
    r: Any,
    by_id: dict[int | None, Observation],
    railcar_class: str,
    summed: dict[str, int] | None = None,
) -> Row:
    """One of the analysis's date rows, with the per-class counts it was built from."""
    used = next((c for c in r.candidates if c.used), None)
    obs = [by_id[i] for i in (used.observation_ids if used else ()) if i in by_id]
    counts: dict[str, int] = {}
    class_sigmas: dict[str, float] = {}
    for o in obs:
        counts[o.railcar_class] = counts.get(o.railcar_class, 0) + o.count
        if o.count_sigma is not None:
            class_sigmas[o.railcar_class] = math.hypot(
                class_sigmas.get(o.railcar_class, 0.0), o.count_sigma
            )
    if not counts:
        counts = dict(summed) if summed else {railcar_class: r.value}
    b = r.baseline
    base = (
        Baseline(
            n=b.n,
            max=b.max,
            median=b.median,
            mad=b.mad or 0.0,
            p90=b.p90 or 0.0,
            first=b.first,
            last=b.last,
            max_sigma=b.max_sigma or 0.0,
            window_start=b.window_start,
        )  # fmt: skip
        if b.n and b.max is not None and b.median is not None
        else None
    )
    first = obs[0] if obs else None
    return Row(
        day=r.date,
        counts=counts,
        total=r.value,
        method=r.method,
        source=r.source,
        model_version=first.model_version if first else None,
        analyst=first.analyst if first else None,
        note="; ".join(dict.fromkeys(o.note for o in obs if o.note)),
        image_id=next((o.image_id for o in obs if o.image_id is not None), None),
        level=r.level,
        baseline=base,
        ratio_to_prior_max=r.ratio_to_max,
        robust_z=r.robust_z,
        candidates=len(r.candidates),
        # Round press figures ("about 73") are no disagreement: the cross-check's tolerance.
        disagreement=r.spread > max(2.0, 0.1 * r.value),
        sigma=r.sigma,
        cloud_cover=used.cloud_cover if used else None,
        clouded=r.basis == "clouded",
        class_sigmas=class_sigmas,
    )


def _rules_text(rules: Any, window: str, lookback: str) -> dict[str, tuple[str, ...]]:
    """The analysis rules in words, from the thresholds it actually used."""
    r = rules
    return {
        "en": (
            "One value per date: imagery (analyst, then detector) is preferred to the press; "
            "press-only dates are compared with the baseline but do not set it.",
            f"Baseline of a date: the earlier dates in the trailing {window} window; fewer "
            f"than {r.min_history} is insufficient history. A rise under way (for at most "
            f"{r.episode_max_days} days) is left out of its own baseline.",
            f"Unprecedented: above the earlier maximum by more than the largest of "
            f"{r.margin_sigmas:g} combined counting sigmas, {r.margin_rel:.0%} of that maximum "
            f"and {r.margin_abs:g} cars.",
            f"Elevated: above the earlier maximum within that margin, or robust z-score "
            f"(median, MAD) of {r.z_elevated:g} or more, or tail probability of "
            f"{r.p_elevated:g} or less. Otherwise normal.",
            "Onset: the first date of the current rise, found by change-point detection on "
            "the series of dates; its uncertainty is the gap since the observation before.",
            f"Linked events: dated events in the {lookback} before the onset, nearest first.",
            f"Clouded images: a count from an image more than {r.max_cloud:g} % under cloud "
            "(as its metadata or an analyst says) is judged against the baseline but does not "
            "enter later ones, and a clearer image of the same date is preferred to it.",
        ),
        "fr": (
            "Une valeur par date : l'imagerie (analyste, puis détecteur) est préférée à la "
            "presse ; les dates connues par la seule presse sont comparées à la référence "
            "sans y entrer.",
            f"Référence d'une date : les dates antérieures dans la fenêtre glissante de "
            f"{window} ; moins de {r.min_history}, l'historique est insuffisant. Une hausse en "
            f"cours (au plus {r.episode_max_days} jours) est exclue de sa propre référence.",
            f"Sans précédent : au-dessus du maximum antérieur de plus que le plus grand de "
            f"{r.margin_sigmas:g} sigmas de comptage combinés, {r.margin_rel:.0%} de ce "
            f"maximum et {r.margin_abs:g} wagons.",
            f"Élevé : au-dessus du maximum antérieur dans cette marge, ou score z robuste "
            f"(médiane, MAD) d'au moins {r.z_elevated:g}, ou probabilité de queue d'au plus "
            f"{r.p_elevated:g}. Sinon normal.",
            "Début de la hausse : la première date de la hausse en cours, trouvée par "
            "détection de rupture sur la suite des dates ; son incertitude est l'écart avec "
            "l'observation précédente.",
            f"Événements liés : les événements datés dans les {lookback} précédant le début "
            "de la hausse, du plus proche au plus lointain.",
            f"Images nuageuses : le compte d'une image couverte de nuages à plus de "
            f"{r.max_cloud:g} % (selon ses métadonnées ou un analyste) est jugé par rapport à "
            "la référence sans entrer dans les suivantes ; une image plus claire de la même "
            "date lui est préférée.",
        ),
    }


# ---------------------------------------------------------------------------
# Imagery, models, press


#: Benchmark figures the report prints, in this order (from detect.evaluation).
BENCH_KEYS: tuple[str, ...] = (
    "precision",
    "recall",
    "f1",
    "count_mae",
    "count_bias",
    "count_mean_relative_error",
    "class_accuracy",
    "map50",
)
#: Figures quoted from a model's evaluation on real labelled imagery.
REAL_KEYS: tuple[str, ...] = ("precision", "recall", "f1")


def _model_info(row: dict[str, Any]) -> ModelInfo:
    """A registered model's version, benchmark figures and validated GSD range.

    The figures sit in the model's metadata under ``benchmark`` (or ``evaluation``
    / ``metrics``), either flat or under ``overall`` as ``detect eval`` writes them;
    ``evaluate --record NAME`` keeps them as ``evaluation.NAME``, of which the
    simulated benchmark (``simulated``) is the one quoted.
    """
    meta = row.get("meta") or {}
    bench = meta.get("benchmark") or meta.get("evaluation") or meta.get("metrics") or {}
    if not isinstance(bench, dict):
        bench = {}
    if "overall" not in bench and isinstance(bench.get("simulated"), dict):
        bench = bench["simulated"]
    if isinstance(bench.get("overall"), dict):
        bench = bench["overall"]
    figures = _numbers(bench, BENCH_KEYS)
    gsd = meta.get("gsd_range_m") or meta.get("gsd_range")
    evaluation = meta.get("evaluation")
    real_run = evaluation.get("real_yard") if isinstance(evaluation, dict) else None
    real_run = real_run if isinstance(real_run, dict) else {}
    real_overall = real_run.get("overall") if isinstance(real_run.get("overall"), dict) else {}
    counts = _numbers(real_overall, ("detected", "truth"))
    return ModelInfo(
        version=row["version"],
        benchmark=figures,
        count_error=figures.get("count_mae"),
        gsd_range=(float(gsd[0]), float(gsd[1])) if isinstance(gsd, list | tuple) else None,
        real=_numbers(real_overall, REAL_KEYS),
        real_counts=(int(counts["detected"]), int(counts["truth"])) if len(counts) == 2 else None,
        real_data=str(real_run.get("data") or "?"),
    )


def _numbers(figures: dict[str, Any], keys: tuple[str, ...]) -> dict[str, float]:
    """The entries of ``figures`` under ``keys`` that are numbers (metadata is user-editable)."""
    return {
        k: float(figures[k])
        for k in keys
        if isinstance(figures.get(k), int | float) and not isinstance(figures[k], bool)
    }


def _chips(
    rows: list[Row],
    peak: Row | None,
    images: tuple[ImageInfo, ...],
    detections: dict[int, list[dict[str, Any]]],
) -> tuple[ChipSpec, ...]:
    by_id = {i.id: i for i in images}
    by_day: dict[date, ImageInfo] = {}
    for i in images:
        by_day.setdefault(i.day, i)

    def image_of(row: Row) -> ImageInfo | None:
        if row.image_id is not None and row.image_id in by_id:
            return by_id[row.image_id]
        return by_day.get(row.day)

    specs: list[ChipSpec] = []
    if peak is not None and (img := image_of(peak)) is not None:
        specs.append(ChipSpec("peak", peak.day, img, peak.total, tuple(detections.get(img.id, ()))))
    # The typical baseline date: the imaged date before the onset whose count is
    # closest to the median of the dates before the peak.
    earlier = [r for r in rows if peak is not None and r.day < peak.day and image_of(r)]
    if earlier:
        median = statistics.median(r.total for r in earlier)
        typical = min(earlier, key=lambda r: (abs(r.total - median), -r.day.toordinal()))
        img = image_of(typical)
        assert img is not None
        specs.append(
            ChipSpec("baseline", typical.day, img, typical.total, tuple(detections.get(img.id, ())))
        )
    return tuple(specs)
