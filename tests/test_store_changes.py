"""service.store_version: one cheap row, bumped by every transaction that writes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import event

from railwatch import service
from railwatch.records import Event, Image
from railwatch.sites import builtin
from railwatch.store import detections as detection_rows
from railwatch.store import images as image_rows

WHEN = datetime(2023, 10, 5, 2, 13, tzinfo=UTC)


def _image(store) -> int:  # type: ignore[no-untyped-def]
    ring = [[130.61, 42.42], [130.62, 42.42], [130.62, 42.43], [130.61, 42.42]]
    with store.transaction() as session:
        im = image_rows.add(
            session,
            Image(
                path="/nowhere/a.tif", sha256="a" * 64, site="tumangang", crs="EPSG:32652",
                bounds=(0, 0, 1, 1), footprint={"type": "Polygon", "coordinates": [ring]},
                width=10, height=10, bands=3, dtype="uint8", gsd_m=0.5, acquired_at=WHEN,
            ),
        )  # fmt: skip
    assert im.id is not None
    return im.id


def _model(sigma: dict) -> dict:
    return dict(version="m1", path="/m1.onnx", sha256="b" * 64, meta={"count_sigma": sigma})


def test_every_kind_of_write_changes_the_version_and_reads_do_not(store):
    seen = [service.store_version(store)]

    def changed() -> bool:
        seen.append(service.store_version(store))
        return seen[-1] != seen[-2]

    service.add_sites(store, builtin())
    assert changed()
    image_id = _image(store)
    assert changed()
    service.add_counts(store, site="tumangang", observed_at=WHEN, counts={"box": 3})
    assert changed()
    # In place: a JSON value of an existing row (cloud cover), then a model's metadata.
    with store.transaction() as session:
        image_rows.set_cloud_cover(session, image_id, 80.0, "analyst")
    assert changed()
    with store.transaction() as session:
        detection_rows.register_model(session, **_model({}))
    assert changed()
    with store.transaction() as session:
        detection_rows.register_model(session, **_model({"box": 1}))
    assert changed()
    service.add_event(store, Event(site="tumangang", occurred_at=WHEN, title="Talks", kind="x"))
    assert changed()
    # A bulk delete statement, with nothing flushed.
    with store.transaction() as session:
        detection_rows.delete_observations(session, image_id, "m1")
    assert changed()
    service.list_observations(store, site="tumangang")
    service.list_sites(store)
    assert not changed()


def test_a_rolled_back_write_leaves_the_version(store):
    before = service.store_version(store)
    with pytest.raises(RuntimeError), store.transaction():
        service.add_sites(store, builtin())  # its own transaction: commits
        raise RuntimeError
    after_sites = service.store_version(store)
    assert after_sites != before
    with pytest.raises(RuntimeError), store.transaction() as session:
        image_rows.add(
            session,
            Image(
                path="/nowhere/b.tif", sha256="c" * 64, site="tumangang", crs="EPSG:32652",
                bounds=(0, 0, 1, 1), footprint={"type": "Polygon", "coordinates": [[[0, 0]] * 4]},
                width=10, height=10, bands=3, dtype="uint8", gsd_m=0.5, acquired_at=WHEN,
            ),
        )  # fmt: skip
        session.flush()
        raise RuntimeError
    assert service.store_version(store) == after_sites


def test_store_version_is_one_query(store):
    # The dashboard checks it on every cached request: it must not read whole tables.
    service.add_sites(store, builtin())
    _image(store)
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(store.engine, "before_cursor_execute", seen)
    try:
        service.store_version(store)
    finally:
        event.remove(store.engine, "before_cursor_execute", seen)
    assert len(statements) == 1, statements
