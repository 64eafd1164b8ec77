"""The timeline route answers, byte for byte, what the slow reference read gives.

A rich simulated site (several images a day, cloud cover, analyst reviews, press counts,
a corrected count, a detector count without its image, an image with no counts, events,
a rise at the end) and the small web site; several option sets each. The digest pins the
rich site's JSON as it was before the route was made fast (regenerate it only on purpose:
``python tests/test_web_timeline.py``).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

import timeline_reference
import web_site
from railwatch import service
from railwatch.railcars import CLASSES
from railwatch.records import Event, Image, Observation
from railwatch.sites import builtin
from railwatch.store import images as image_rows
from railwatch.store import observations as observation_rows
from railwatch.web import WebSettings, create_app

#: sha256 of the rich site's default timeline JSON, taken from the reference read.
RICH_DIGEST = "3d5b7f60a942ca4a6791bc167e4c7303bdebc7fb408ee5c3c2ef17af763bfc1d"

OPTIONS = (
    {},
    {"as_of": "2023-06-30"},
    {"railcar_class": "box"},
    {"railcar_class": "total", "window": "2y"},
    {"max_cloud": 10.0},
    {"window": "90d", "as_of": "2024-02-01"},
)


def build_rich(store) -> None:
    """Five years, 2-3 passes a week, every kind of count the timeline must lay out."""
    service.add_sites(store, builtin())
    rng = np.random.default_rng(7)
    footprint = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}
    t = datetime(2019, 3, 1, 2, 13, tzinfo=UTC)
    n = 0
    with store.transaction() as session:
        while t < datetime(2024, 3, 1, tzinfo=UTC):
            t += timedelta(days=int(rng.integers(1, 5)))
            shots = 2 if rng.random() < 0.1 else 1
            for k in range(shots):
                when = t + timedelta(minutes=7 * k)
                n += 1
                cloud = float(rng.choice([0.0, 5.0, 18.0, 40.0, 80.0])) if n % 3 else None
                im = image_rows.add(
                    session,
                    Image(
                        path=f"/nowhere/{n}.tif", sha256=f"{n:064d}", site="tumangang",
                        crs="EPSG:32652", bounds=(0, 0, 1, 1), footprint=footprint,
                        width=4000, height=4000, bands=3, dtype="uint8", gsd_m=0.5,
                        acquired_at=when, cloud_cover=cloud,
                    ),
                )  # fmt: skip
                if n % 41 == 0:
                    continue  # an image nobody counted yet
                rise = 2.5 if t > datetime(2024, 2, 10, tzinfo=UTC) else 1.0
                counts = rng.poisson(np.array([20, 5, 3, 8, 1, 1, 1]) * rise)
                obs = [
                    Observation(
                        site="tumangang",
                        observed_at=when,
                        railcar_class=c,
                        count=int(m),
                        method="detector",
                        source=f"/nowhere/{n}.tif",
                        image_id=im.id,
                        model_version="m1" if n % 5 else "m2",
                        count_sigma=1.0 + 0.1 * int(m) if n % 7 else None,
                    )  # fmt: skip
                    for c, m in zip(CLASSES, counts, strict=True)
                ]
                if n % 13 == 0:  # a corrected count: the later row wins
                    obs.append(dataclass_replace(obs[0], count=obs[0].count + 3))
                if n % 9 == 0:  # an analyst reviewed the image
                    obs += [
                        Observation(
                            site="tumangang",
                            observed_at=when,
                            railcar_class=c,
                            count=int(m) + (1 if c == "box" else 0),
                            method="analyst",
                            source="kim",
                            analyst="kim",
                            image_id=im.id,
                        )  # fmt: skip
                        for c, m in zip(CLASSES, counts, strict=True)
                    ]
                if n % 29 == 0:  # a detector count of a scene not in the store
                    obs += [
                        Observation(
                            site="tumangang",
                            observed_at=when + timedelta(hours=1),
                            railcar_class="freight",
                            count=int(counts[:5].sum()) + 4,
                            method="detector",
                            source="/elsewhere/x.tif",
                            model_version="m1",
                        )  # fmt: skip
                    ]
                observation_rows.add(session, obs)
            if rng.random() < 0.04:  # the press, as a roll-up, some on days with no image
                noon = (t + timedelta(days=n % 2)).replace(hour=12)
                observation_rows.add(
                    session,
                    [
                        Observation(
                            site="tumangang",
                            observed_at=noon,
                            railcar_class="freight",
                            count=int(rng.integers(20, 90)),
                            method="press",
                            source=f"outlet {n % 3}",
                        )  # fmt: skip
                    ],
                )
    for day, title in ((date(2021, 5, 2), "Talks"), (date(2024, 2, 5), "Summit")):
        service.add_event(
            store,
            Event(
                occurred_at=datetime(day.year, day.month, day.day, tzinfo=UTC),
                title=title, site="tumangang", kind="diplomatic",
            ),
        )  # fmt: skip


def dataclass_replace(obs: Observation, **changes) -> Observation:
    import dataclasses

    return dataclasses.replace(obs, **changes)


def _reference(store, opts: dict) -> bytes:
    opts = dict(opts)
    if "as_of" in opts:
        opts["as_of"] = date.fromisoformat(opts["as_of"])
    return timeline_reference.timeline_json(store, "tumangang", **opts)


def _answered(store, opts: dict) -> bytes:
    params = {("class" if k == "railcar_class" else k): v for k, v in opts.items()}
    client = TestClient(create_app(store, WebSettings(token="t" * 16)))
    r = client.get("/api/v1/sites/tumangang/timeline", params=params)
    assert r.status_code == 200, r.text
    return r.content


@pytest.fixture
def rich(store):
    build_rich(store)
    return store


@pytest.mark.parametrize("opts", OPTIONS, ids=lambda o: ",".join(map(str, o.values())) or "-")
def test_rich_site_timeline_is_the_reference(rich, opts):
    assert _answered(rich, opts) == _reference(rich, opts)


def test_rich_site_timeline_is_what_it_was(rich):
    assert hashlib.sha256(_answered(rich, {})).hexdigest() == RICH_DIGEST


def test_observations_read_are_the_records_whole_rows_give(rich):
    # The store builds these records without their __init__ (store.observations._made).
    with rich.transaction() as session:
        fast = observation_rows.list_observations(session, site="tumangang")
    slow = timeline_reference._observations(rich, "tumangang")
    assert fast == slow and [vars(o) for o in fast] == [vars(o) for o in slow]
    assert all(o.observed_at.tzinfo is not None for o in fast)
    assert hash(fast[0]) == hash(slow[0]) and repr(fast[-1]) == repr(slow[-1])


@pytest.mark.parametrize("opts", [{"window": "2y"}, {}, {"railcar_class": "flat"}])
def test_small_site_timeline_is_the_reference(store, tmp_path: Path, opts):
    web_site.build(store, tmp_path / "images")
    assert _answered(store, opts) == _reference(store, opts)


if __name__ == "__main__":
    import tempfile

    from railwatch.store import open_store

    with tempfile.TemporaryDirectory() as tmp:
        s = open_store(Path(tmp) / "rich.db", create=True)
        build_rich(s)
        print(hashlib.sha256(_reference(s, {})).hexdigest())
        s.close()
