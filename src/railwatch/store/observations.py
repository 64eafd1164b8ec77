"""Observations: counts per railcar class, per site, per time, with provenance."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import String, delete, insert, select, type_coerce
from sqlalchemy.orm import Session

from railwatch.records import Observation
from railwatch.store import sites
from railwatch.store.schema import ObservationRow, SiteRow, utcnow

#: The columns a record needs, read as plain rows: building ORM objects for the tens of
#: thousands of observations of a long history took most of the time of reading them.
#: In the order of :class:`Observation`'s fields after ``site``, so a row is its arguments.
_FIELDS = (
    "observed_at", "railcar_class", "count", "method", "source", "image_id",
    "model_version", "analyst", "document_id", "claim_id", "count_sigma", "note", "id",
)  # fmt: skip


_COLUMNS = tuple(getattr(ObservationRow, f) for f in _FIELDS)


def _times(session: Session) -> Callable[[Any], datetime]:
    """The stored time of a row as a datetime, each distinct value converted once.

    A detector writes one row per class for each image, all at the image's time: a
    ten-year history holds seven rows per moment, and converting every one of them
    (SQLite keeps text) took a third of the time of reading the observations.
    """
    dialect = session.get_bind().dialect
    convert = ObservationRow.observed_at.type.dialect_impl(dialect).result_processor(dialect, None)
    seen: dict[Any, datetime] = {}

    def at(value: Any) -> datetime:
        found = seen.get(value)
        if found is None:
            found = seen[value] = convert(value) if convert else value
        return found

    return at


def _record(row: Any, slug: str) -> Observation:
    return Observation(
        id=row.id,
        site=slug,
        observed_at=row.observed_at,
        railcar_class=row.railcar_class,
        count=row.count,
        method=row.method,
        source=row.source,
        image_id=row.image_id,
        model_version=row.model_version,
        analyst=row.analyst,
        document_id=row.document_id,
        claim_id=row.claim_id,
        count_sigma=row.count_sigma,
        note=row.note,
    )


def _columns(session: Session, observations: list[Observation]) -> list[dict[str, Any]]:
    """Each observation's column values, its site slug turned into the site's row id."""
    site_ids: dict[str, int] = {}
    for obs in observations:
        if obs.site not in site_ids:
            site_ids[obs.site] = sites.row_for(session, obs.site).id
    return [
        {
            "site_id": site_ids[o.site],
            "observed_at": o.observed_at,
            "railcar_class": o.railcar_class,
            "count": o.count,
            "count_sigma": o.count_sigma,
            "method": o.method,
            "source": o.source,
            "image_id": o.image_id,
            "model_version": o.model_version,
            "analyst": o.analyst,
            "document_id": o.document_id,
            "claim_id": o.claim_id,
            "note": o.note,
        }
        for o in observations
    ]


def add(session: Session, observations: list[Observation]) -> list[Observation]:
    """Store observations (all in the caller's transaction) and return them with ids."""
    out = []
    for obs, values in zip(observations, _columns(session, observations), strict=True):
        row = ObservationRow(**values)
        session.add(row)
        session.flush()
        out.append(_record(row, obs.site))
    return out


def add_many(session: Session, observations: list[Observation]) -> int:
    """Store observations in one multi-row INSERT, without reading their ids back.

    For the detector's per-image counts, written by the client of a cluster run for
    every image it gets back; :func:`add` returns records with ids for the CLI and API.
    """
    if observations:
        now = utcnow()
        rows = [{**values, "created_at": now} for values in _columns(session, observations)]
        session.execute(insert(ObservationRow), rows)
    return len(observations)


def list_observations(
    session: Session,
    *,
    site: str | None = None,
    method: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[Observation]:
    """Observations in time order (then by id, so the order is stable)."""
    # The time as the driver gives it (text in SQLite), converted by ``_times``.
    columns = [type_coerce(ObservationRow.observed_at, String), *_COLUMNS[1:]]
    query = select(SiteRow.slug, *columns).join(SiteRow, ObservationRow.site_id == SiteRow.id)
    if site is not None:
        query = query.where(ObservationRow.site_id == sites.row_for(session, site).id)
    if method is not None:
        query = query.where(ObservationRow.method == method)
    if since is not None:
        query = query.where(ObservationRow.observed_at >= since)
    if until is not None:
        query = query.where(ObservationRow.observed_at <= until)
    query = query.order_by(ObservationRow.observed_at, ObservationRow.id)
    at = _times(session)
    return [
        _made({
            "site": r[0], "observed_at": at(r[1]), "railcar_class": r[2], "count": r[3],
            "method": r[4], "source": r[5], "image_id": r[6], "model_version": r[7],
            "analyst": r[8], "document_id": r[9], "claim_id": r[10], "count_sigma": r[11],
            "note": r[12], "id": r[13],
        })
        for r in session.execute(query)
    ]  # fmt: skip


#: Observation's fields in order: the columns read, after the site's slug.
_NAMES = ("site", *_FIELDS)
if tuple(f.name for f in dataclasses.fields(Observation)) != _NAMES or hasattr(
    Observation, "__post_init__"
):  # pragma: no cover - a changed record must change the read too
    raise RuntimeError("Observation's fields changed: update store.observations._FIELDS")


def _made(fields: dict[str, Any]) -> Observation:
    """The record ``Observation(**fields)`` makes, without its generated ``__init__``.

    A frozen dataclass sets each of its 14 fields through ``object.__setattr__``; for the
    25 000 observations of a ten-year site that was 40 % of reading them. ``fields``
    holds every field, in order (checked above when the module loads), and Observation
    checks nothing on construction, so the record is the same.
    """
    record = _new(Observation)
    object.__setattr__(record, "__dict__", fields)
    return record


_new = object.__new__


def delete_for_image(session: Session, image_id: int, *, method: str = "detector") -> int:
    """Drop the observations one image produced (before re-detecting it)."""
    result = session.execute(
        delete(ObservationRow).where(
            ObservationRow.image_id == image_id, ObservationRow.method == method
        )
    )
    return int(result.rowcount or 0)
