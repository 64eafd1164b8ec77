"""The analysis laid out for a chart: per date the value judged, per class the counts behind it.

The dashboard draws this: one point per date with its level and the baseline
band (earlier median to earlier maximum), the per-class split of the count set
that was used, the site's images of that date, events and press counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from railwatch.analyze.assessment import Assessment
from railwatch.analyze.series import utc_date
from railwatch.railcars import CLASSES
from railwatch.records import Event, Image, Observation

if TYPE_CHECKING:
    from railwatch.store.images import ImageTime


def timeline(
    result: Assessment,
    observations: Sequence[Observation],
    images: Sequence[Image | ImageTime],
    events: Sequence[Event],
) -> dict[str, Any]:
    """A JSON-ready chart of ``result``: dates, levels, baseline band, classes, markers.

    ``images`` are the site's, records or :class:`~railwatch.store.images.ImageTime`
    (only their ids and times are read).
    """
    by_id: dict[int, Observation] = {}
    by_moment: dict[tuple[Any, str], list[Observation]] = {}
    for o in observations:  # one pass: a ten-year history holds 25 000 of them
        if o.id is not None:
            by_id[o.id] = o
        moment = (o.observed_at, o.method)
        same = by_moment.get(moment)
        if same is None:
            by_moment[moment] = [o]
        else:
            same.append(o)
    images_on: dict[str, list[int]] = {}
    for im in images:
        if im.id is not None:
            images_on.setdefault(utc_date(im.acquired_at).isoformat(), []).append(im.id)
    dates = []
    for r in result.rows:
        used = next((c for c in r.candidates if c.used), None)
        split: dict[str, int] = {}
        image_id = None
        if used is not None:
            members = [by_id[i] for i in used.observation_ids if i in by_id]
            image_id = next((o.image_id for o in members if o.image_id is not None), None)
            # The whole count set (every class it holds), not only the classes summed.
            same = [
                o
                for o in by_moment.get((used.observed_at, used.method), [])
                if (o.image_id == image_id if image_id is not None else o.source == used.source)
            ]
            for o in sorted(same, key=lambda o: o.id or 0):
                if o.railcar_class in CLASSES:
                    split[o.railcar_class] = o.count
        day = r.date.isoformat()
        b = r.baseline
        dates.append(
            {
                "date": day,
                "value": r.value,
                "level": r.level,
                "method": r.method,
                "basis": r.basis,
                "image_id": image_id,
                "image_ids": images_on.get(day, []),
                "counts": split,
                "median": b.median,
                "max": b.max,
                "n": b.n,
                "ratio_to_max": r.ratio_to_max,
                "reasons": list(r.reasons),
            }
        )
    press = [
        {
            "date": utc_date(o.observed_at).isoformat(),
            "count": o.count,
            "railcar_class": o.railcar_class,
            "source": o.source,
            "document_id": o.document_id,
        }
        for o in observations
        if o.method == "press"
    ]
    return {
        "site": result.site,
        "railcar_class": result.railcar_class,
        "window": result.window,
        "as_of": result.as_of.isoformat() if result.as_of else None,
        "finding": result.finding,
        "latest": dates[-1] if dates else None,
        "dates": dates,
        "events": [
            {"date": utc_date(e.occurred_at).isoformat(), "title": e.title, "kind": e.kind}
            for e in events
        ],
        "press": press,
        "classes": list(CLASSES),
    }


def site_timeline(store: Any, site: str, **options: Any) -> dict[str, Any]:
    """The timeline of a stored site (options as :func:`assess_site`).

    Raises:
        NotFoundError: no such site.
        AnalysisError: no observations of the class.
    """
    from railwatch import service
    from railwatch.analyze.assessment import assess
    from railwatch.store import images as image_rows

    observations = service.list_observations(store, site=site)
    events = service.list_events(store, site=site)
    models = service.model_sigmas(store)
    with store.transaction() as session:
        images = image_rows.list_times(session, site=site)
    # As service.cloud_cover, from the images already read (listing them twice cost 0.4 s).
    clouds = {i.id: i.cloud_cover for i in images if i.cloud_cover is not None}
    result = assess(
        observations, events, site=site, cloud_cover=clouds, model_sigmas=models, **options
    )
    return timeline(result, observations, images, events)
