"""Detections and detector models in the store.

A model is known by its version string; exactly one model is active and its
version lands on every detection and detector observation, so a count can
always be traced to the network that made it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from railwatch.errors import NotFoundError
from railwatch.records import Detection
from railwatch.store.schema import DetectionRow, ModelRow, ObservationRow, utcnow


def _model_dict(row: ModelRow) -> dict[str, Any]:
    return {
        "version": row.version,
        "path": row.path,
        "sha256": row.sha256,
        "active": bool(row.active),
        "meta": row.meta or {},
        "registered_at": row.registered_at,
    }


def register_model(
    session: Session,
    *,
    version: str,
    path: str,
    sha256: str,
    meta: dict[str, Any] | None = None,
    activate: bool = True,
) -> dict[str, Any]:
    """Add a model (or update the one with this version) and optionally make it the active one."""
    row = session.scalar(select(ModelRow).where(ModelRow.version == version))
    if row is None:
        row = ModelRow(version=version, path=path, sha256=sha256, meta=meta or {}, active=False)
        session.add(row)
    else:
        row.path, row.sha256, row.meta = path, sha256, meta or {}
    session.flush()
    if activate:
        session.execute(update(ModelRow).where(ModelRow.id != row.id).values(active=False))
        row.active = True
        session.flush()
    return _model_dict(row)


def active_model(session: Session) -> dict[str, Any] | None:
    """The active model, or None when the store has none (then the shipped model is used)."""
    row = session.scalar(select(ModelRow).where(ModelRow.active.is_(True)))
    return None if row is None else _model_dict(row)


def list_models(session: Session) -> list[dict[str, Any]]:
    rows = session.scalars(select(ModelRow).order_by(ModelRow.registered_at, ModelRow.id))
    return [_model_dict(r) for r in rows]


def get_model(session: Session, version: str) -> dict[str, Any]:
    row = session.scalar(select(ModelRow).where(ModelRow.version == version))
    if row is None:
        raise NotFoundError(f"no model with version {version!r} in the store")
    return _model_dict(row)


def replace_for_image(
    session: Session, image_id: int, model_version: str, detections: list[Detection]
) -> int:
    """Store an image's detections by one model, dropping that model's earlier ones.

    One multi-row INSERT, not one ORM object per box: the client of a cluster run
    writes every image's boxes itself, so this is on its per-image path.

    Returns:
        How many detections were stored.
    """
    session.execute(
        delete(DetectionRow).where(
            DetectionRow.image_id == image_id, DetectionRow.model_version == model_version
        )
    )
    if detections:
        now = utcnow()
        session.execute(
            insert(DetectionRow),
            [
                {
                    "image_id": image_id,
                    "model_version": model_version,
                    "railcar_class": d.railcar_class,
                    "score": float(d.score),
                    "tarped": bool(d.tarped),
                    "polygon": [list(p) for p in d.polygon],
                    "polygon_px": [list(p) for p in d.polygon_px],
                    "created_at": now,
                }
                for d in detections
            ],
        )
    return len(detections)


def _detection(row: DetectionRow) -> Detection:
    return Detection(
        id=row.id,
        image_id=row.image_id,
        model_version=row.model_version,
        railcar_class=row.railcar_class,
        score=row.score,
        tarped=row.tarped,
        polygon=tuple(tuple(p) for p in row.polygon),
        polygon_px=tuple(tuple(p) for p in row.polygon_px),
    )


def list_for_image(
    session: Session, image_id: int, model_version: str | None = None
) -> list[Detection]:
    query = select(DetectionRow).where(DetectionRow.image_id == image_id)
    if model_version is not None:
        query = query.where(DetectionRow.model_version == model_version)
    return [_detection(r) for r in session.scalars(query.order_by(DetectionRow.id))]


def delete_observations(session: Session, image_id: int, model_version: str) -> int:
    """Drop the detector observations one image produced with one model."""
    result = session.execute(
        delete(ObservationRow).where(
            ObservationRow.image_id == image_id,
            ObservationRow.method == "detector",
            ObservationRow.model_version == model_version,
        )
    )
    return int(result.rowcount or 0)


def processed_image_ids(session: Session, model_version: str) -> set[int]:
    """Images that already have detector observations from this model."""
    rows = session.scalars(
        select(ObservationRow.image_id)
        .where(
            ObservationRow.method == "detector",
            ObservationRow.model_version == model_version,
            ObservationRow.image_id.is_not(None),
        )
        .distinct()
    )
    return {int(r) for r in rows}
