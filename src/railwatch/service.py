"""Entry points the CLI and the REST API share for sites, observations and events.

Each function is one unit of work on a store: one transaction, all or nothing.
Stages with more to do keep their own entry points (``imagery.ingest``,
``press.ingest``, ``analyze.assess_site``, ``detect.run_site``, ``report.write``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from railwatch import plausible
from railwatch.errors import InputError, NotFoundError
from railwatch.railcars import members
from railwatch.records import Event, Observation, Site, SiteGroup
from railwatch.store import Store
from railwatch.store import detections as detection_rows
from railwatch.store import events as event_rows
from railwatch.store import groups as group_rows
from railwatch.store import images as image_rows
from railwatch.store import observations as observation_rows
from railwatch.store import sites as site_rows

if TYPE_CHECKING:
    from railwatch.count_sheet import SheetEntry


def add_sites(store: Store, sites: list[Site], *, replace: bool = False) -> list[tuple[Site, str]]:
    """Add several sites at once; if one conflicts, none is added."""
    with store.transaction() as session:
        return [site_rows.add(session, s, replace=replace) for s in sites]


def list_sites(store: Store) -> list[Site]:
    with store.transaction() as session:
        return site_rows.all_sites(session)


def get_site(store: Store, slug: str) -> Site:
    with store.transaction() as session:
        return site_rows.get(session, slug)


def _analyst_observations(
    site: str,
    observed_at: datetime,
    counts: Mapping[str, int],
    analyst: str | None,
    note: str,
) -> list[Observation]:
    """One analyst observation per class, each value checked by the one plausibility rule."""
    if observed_at.tzinfo is None:
        raise InputError("observation time needs a zone (use UTC, e.g. 2023-10-05T02:13:00Z)")
    observed_at = plausible.check_time(observed_at, "observation time")
    for cls, n in counts.items():
        members(cls)
        plausible.check_count(n, f"count {cls}={n}")
    return [
        Observation(
            site=site,
            observed_at=observed_at,
            railcar_class=cls,
            count=n,
            method="analyst",
            source=analyst or "analyst",
            analyst=analyst,
            note=note,
        )
        for cls, n in counts.items()
    ]


def add_counts(
    store: Store,
    *,
    site: str,
    observed_at: datetime,
    counts: Mapping[str, int],
    analyst: str | None = None,
    note: str = "",
) -> list[Observation]:
    """Record an analyst's counts for one site and time, one observation per class.

    Raises:
        InputError: an unknown class, a count or a time that is not plausible
            (:mod:`railwatch.plausible`: the same rules as every other command).
    """
    obs = _analyst_observations(site, observed_at, counts, analyst, note)
    with store.transaction() as session:
        return observation_rows.add(session, obs)


def add_count_sheet(store: Store, entries: Sequence[SheetEntry]) -> list[Observation]:
    """Record every entry of a count sheet in one transaction: all of them, or none.

    Raises:
        InputError, NotFoundError: naming the sheet lines of the first entry that fails
            (an implausible value, an unknown site); nothing is stored then.
    """
    batches = []
    for entry in entries:
        try:
            batches.append(
                _analyst_observations(
                    entry.site, entry.observed_at, entry.counts, entry.analyst, entry.note
                )
            )
        except InputError as exc:
            raise InputError(f"{entry.where}: {exc}") from None
    added: list[Observation] = []
    with store.transaction() as session:
        for entry, obs in zip(entries, batches, strict=True):
            try:
                added.extend(observation_rows.add(session, obs))
            except NotFoundError as exc:
                raise NotFoundError(f"{entry.where}: {exc}") from None
    return added


def list_observations(
    store: Store,
    *,
    site: str | None = None,
    method: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[Observation]:
    with store.transaction() as session:
        return observation_rows.list_observations(
            session, site=site, method=method, since=since, until=until
        )


def cloud_cover(store: Store, *, site: str) -> dict[int, float]:
    """Percent under cloud of the site's images whose cover is known, by image id."""
    with store.transaction() as session:  # ids, times and covers only: no footprints
        times = image_rows.list_times(session, site=site)
    return {i.id: i.cloud_cover for i in times if i.cloud_cover is not None}


def model_sigmas(store: Store) -> dict[str, dict[str, tuple[float, float]]]:
    """Each known detector model's counting error: version → name → (fixed, rel)."""
    from railwatch.detect.runs import with_shipped

    with store.transaction() as session:
        return sigmas_of_models(with_shipped(detection_rows.list_models(session)))


def sigmas_of_models(models: list[dict]) -> dict[str, dict[str, tuple[float, float]]]:
    """The counting errors a model's metadata gives (``count_sigma``, ``count_sigma_rel``)."""
    out: dict[str, dict[str, tuple[float, float]]] = {}
    for m in models:
        meta = m.get("meta") or {}
        fixed = meta.get("count_sigma") or {}
        rel = meta.get("count_sigma_rel") or {}
        out[m["version"]] = {k: (float(v), float(rel.get(k, 0.0))) for k, v in fixed.items()}
    return out


def add_event(store: Store, event: Event) -> tuple[Event, bool]:
    """Record a dated event (the same title, time and site again is a no-op).

    Raises:
        InputError: no title, or a time that is not plausible.
    """
    if not event.title.strip():
        raise InputError("an event needs a title")
    plausible.check_time(event.occurred_at, "event time")
    with store.transaction() as session:
        return event_rows.add(session, event)


def list_events(store: Store, *, site: str | None = None) -> list[Event]:
    with store.transaction() as session:
        return event_rows.list_events(session, site=site)


def add_group(store: Store, group: SiteGroup, *, replace: bool = False) -> tuple[SiteGroup, str]:
    """Store a named group of sites (all must exist); ``added`` or ``replaced``."""
    with store.transaction() as session:
        return group_rows.add(session, group, replace=replace)


def get_group(store: Store, slug: str) -> SiteGroup:
    with store.transaction() as session:
        return group_rows.get(session, slug)


def list_groups(store: Store) -> list[SiteGroup]:
    with store.transaction() as session:
        return group_rows.all_groups(session)


def image_detections(store: Store, image_id: int) -> dict:
    """An image's stored detections as a GeoJSON FeatureCollection (lon/lat).

    Properties as ``detect --out`` writes them, plus the detection's ``id``.

    Raises:
        NotFoundError: no image has this id.
    """
    with store.transaction() as session:
        image = image_rows.get(session, image_id)
        found = detection_rows.list_for_image(session, image_id)
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": d.id,
                "geometry": {"type": "Polygon", "coordinates": [[list(p) for p in d.polygon]]},
                "properties": {
                    "id": d.id,
                    "class": d.railcar_class,
                    "score": d.score,
                    "tarped": d.tarped,
                    "image_id": image_id,
                    "acquired_at": image.to_dict()["acquired_at"],
                    "model_version": d.model_version,
                },
            }
            for d in found
        ],
    }


def store_version(store: Store) -> int:
    """A fingerprint of everything analyses read: the store's count of writing transactions.

    One indexed row, so callers can check it on every request and cache analyses
    against it; any count, image, event, model or review written by any process
    changes it (``railwatch.store.engine.count_changes``).
    """
    from sqlalchemy import select

    from railwatch.store.schema import ChangeRow

    with store.transaction() as session:
        return int(session.scalar(select(ChangeRow.version).where(ChangeRow.id == 1)) or 0)
