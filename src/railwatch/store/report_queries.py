"""Read-only queries the report needs: images, detections, models, press claims.

They return plain dicts and records, never rows, and change nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from railwatch.store import sites
from railwatch.store.schema import ClaimRow, DetectionRow, DocumentRow, ObservationRow


def detections_for_images(
    session: Session, image_ids: Iterable[int]
) -> dict[int, list[dict[str, Any]]]:
    """Detections of each image, as dicts with the fields of ``DetectionRow``."""
    ids = sorted(set(image_ids))
    out: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    if not ids:
        return out
    query = (
        select(DetectionRow)
        .where(DetectionRow.image_id.in_(ids))
        .order_by(DetectionRow.image_id, DetectionRow.id)
    )
    for row in session.scalars(query):
        out[row.image_id].append(
            {
                "id": row.id,
                "image_id": row.image_id,
                "model_version": row.model_version,
                "railcar_class": row.railcar_class,
                "score": row.score,
                "tarped": bool(row.tarped),
                "polygon": row.polygon,
                "polygon_px": row.polygon_px,
            }
        )
    return out


def claims_for_site(session: Session, site: str) -> list[dict[str, Any]]:
    """Claims of every document that speaks of ``site`` (by a claim or a press observation)."""
    site_id = sites.row_for(session, site).id
    doc_ids = set(session.scalars(select(ClaimRow.document_id).where(ClaimRow.site_id == site_id)))
    doc_ids |= set(
        session.scalars(
            select(ObservationRow.document_id).where(
                ObservationRow.site_id == site_id, ObservationRow.document_id.is_not(None)
            )
        )
    )
    if not doc_ids:
        return []
    query = (
        select(ClaimRow, DocumentRow.outlet)
        .join(DocumentRow, ClaimRow.document_id == DocumentRow.id)
        .where(ClaimRow.document_id.in_(doc_ids))
        .where((ClaimRow.site_id == site_id) | ClaimRow.site_id.is_(None))
        .order_by(ClaimRow.document_id, ClaimRow.start, ClaimRow.id)
    )
    return [
        {
            "id": c.id,
            "document_id": c.document_id,
            "kind": c.kind,
            "value": c.value,
            "quote": c.quote,
            "hedge": c.hedge,
            "outlet": outlet,
        }
        for c, outlet in session.execute(query)
    ]


def documents(session: Session, ids: Iterable[int]) -> list[dict[str, Any]]:
    """Press documents by id: outlet, title, publication date, hash."""
    wanted = sorted(set(ids))
    if not wanted:
        return []
    rows = session.scalars(select(DocumentRow).where(DocumentRow.id.in_(wanted)))
    return [
        {
            "id": r.id,
            "outlet": r.outlet,
            "title": r.title,
            "published_at": r.published_at,
            "sha256": r.sha256,
            "url": r.url,
        }
        for r in rows
    ]
