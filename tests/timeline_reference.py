"""The dashboard timeline as it was first built: whole ORM rows, every record, then assess.

The web app's timeline reads only the columns it needs; tests compare its bytes with these,
read the slow and obvious way, so a faster path can never change the JSON contract.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from railwatch import analyze, service
from railwatch.analyze.assessment import assess
from railwatch.analyze.timeline import timeline
from railwatch.records import Observation
from railwatch.store import images as image_rows
from railwatch.store.schema import ImageRow, ObservationRow, SiteRow


def _observations(store, site: str) -> list[Observation]:
    with store.transaction() as session:
        query = (
            select(ObservationRow, SiteRow.slug)
            .join(SiteRow, ObservationRow.site_id == SiteRow.id)
            .where(SiteRow.slug == site)
            .order_by(ObservationRow.observed_at, ObservationRow.id)
        )
        return [
            Observation(
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
            )  # fmt: skip
            for row, slug in session.execute(query)
        ]


def _images(store, site: str) -> list:
    with store.transaction() as session:
        query = (
            select(ImageRow, SiteRow.slug)
            .join(SiteRow, ImageRow.site_id == SiteRow.id)
            .where(SiteRow.slug == site)
            .order_by(ImageRow.acquired_at, ImageRow.id)
        )
        return [image_rows.to_record(row, slug) for row, slug in session.execute(query)]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat().replace("+00:00", "Z")
    if hasattr(value, "to_dict"):
        return value.to_dict()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def timeline_json(
    store,
    site: str,
    *,
    as_of: date | None = None,
    railcar_class: str = "freight",
    window: str = "5y",
    max_cloud: float = 25.0,
) -> bytes:
    """The bytes ``GET /sites/{site}/timeline`` must answer with these options."""
    observations = _observations(store, site)
    events = service.list_events(store, site=site)
    images = _images(store, site)
    clouds = {i.id: i.cloud_cover for i in images if i.id is not None and i.cloud_cover is not None}
    result = assess(
        observations, events, site=site, cloud_cover=clouds,
        model_sigmas=service.model_sigmas(store), railcar_class=railcar_class, window=window,
        as_of=as_of, rules=analyze.Rules(max_cloud=max_cloud),
    )  # fmt: skip
    doc = timeline(result, observations, images, events)
    return json.dumps(doc, default=_plain, ensure_ascii=False).encode()
