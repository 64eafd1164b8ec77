"""An analyst's review of the detector's work on one image.

A review starts from the detector's boxes; the analyst accepts, rejects,
re-classes or re-flags them and draws the cars it missed. Marking the image
reviewed turns the labels into ``analyst`` observations (one per class, zeros
included, so roll-ups stay answerable) that the analysis prefers to the
detector's; the detector's own observations stay on record beside them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from shapely.geometry import Polygon, shape

from railwatch.errors import ConflictError, InputError
from railwatch.railcars import CLASSES
from railwatch.records import Detection, Image, Observation, Review, ReviewEdit
from railwatch.store import Store
from railwatch.store import detections as detection_rows
from railwatch.store import images as image_rows
from railwatch.store import observations as observation_rows
from railwatch.store import reviews as review_rows
from railwatch.store import sites as site_rows

STATUSES = ("detected", "accepted", "rejected", "added")
#: Most labels one image may carry: a very full yard holds a few hundred cars.
MAX_LABELS = 2000
MAX_REVIEWER = 200
#: Longest side of a drawn car (m): the longest railcars are about 30 m.
MAX_CAR_M = 45.0


def _model_version(detections: Sequence[Detection]) -> str:
    """The model whose boxes are reviewed: the one that wrote the newest detections."""
    if not detections:
        return ""
    return max(detections, key=lambda d: d.id or 0).model_version


def _from_detections(detections: Sequence[Detection]) -> list[dict[str, Any]]:
    version = _model_version(detections)
    return [
        {
            "key": f"d{d.id}",
            "detection_id": d.id,
            "railcar_class": d.railcar_class,
            "tarped": bool(d.tarped),
            "status": "detected",
            "polygon": [list(p) for p in d.polygon],
            "score": round(float(d.score), 4),
        }
        for d in detections
        if d.model_version == version
    ]


def _reviewer(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > MAX_REVIEWER:
        raise InputError(f"reviewer: give a name of 1-{MAX_REVIEWER} characters")
    return name


def _ring(polygon: Any, where: str) -> list[list[float]]:
    if not isinstance(polygon, list | tuple) or not 4 <= len(polygon) <= 5:
        raise InputError(f"{where}: polygon must be 4 corners (lon, lat), optionally closed")
    ring: list[list[float]] = []
    for p in polygon:
        if not isinstance(p, list | tuple) or len(p) != 2:
            raise InputError(f"{where}: each corner is [lon, lat]")
        lon, lat = float(p[0]), float(p[1])
        if not (math.isfinite(lon) and math.isfinite(lat)) or abs(lon) > 180 or abs(lat) > 90:
            raise InputError(f"{where}: corner {p} is not a longitude and latitude")
        ring.append([lon, lat])
    if ring[0] != ring[-1]:
        ring.append(list(ring[0]))
    if len(ring) != 5:
        raise InputError(f"{where}: polygon must be 4 corners (lon, lat)")
    return ring


def _check_box(ring: list[list[float]], image: Image, where: str, area: Any = None) -> None:
    poly = Polygon(ring)
    if not poly.is_valid or poly.area == 0:
        raise InputError(f"{where}: the box is degenerate or self-crossing")
    if area is None:
        area = shape(image.footprint).buffer(1e-4)
    if not area.contains(poly.centroid):
        raise InputError(f"{where}: the box's centre lies outside image {image.id}")
    lat = math.radians(poly.centroid.y)
    xs = [p[0] * 111_320 * math.cos(lat) for p in ring]
    ys = [p[1] * 110_540 for p in ring]
    side = max(math.hypot(xs[i + 1] - xs[i], ys[i + 1] - ys[i]) for i in range(4))
    if side > MAX_CAR_M:
        raise InputError(f"{where}: a side of {side:.0f} m is longer than any railcar")


def validate_labels(
    labels: Sequence[Mapping[str, Any]], base: Sequence[Mapping[str, Any]], image: Image
) -> list[dict[str, Any]]:
    """Labels as a client sent them, checked against the image and the detector's boxes.

    A detector box sent without a polygon (or with the detector's own) keeps the
    detector's geometry; one sent with another polygon was moved or turned by the
    analyst and is held to the drawn boxes' rules: four corners, its centre on
    the image, car-sized. The detector's own record of the box never changes.

    Raises:
        InputError: an unknown class, status or detection, a bad polygon.
    """
    if len(labels) > MAX_LABELS:
        raise InputError(f"labels: at most {MAX_LABELS} per image")
    known = {b["key"]: b for b in base if b.get("detection_id") is not None}
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    area: Any = None  # the image's footprint, made once when a box needs checking
    for i, lab in enumerate(labels):
        where = f"labels[{i}]"
        cls = lab.get("railcar_class")
        if cls not in CLASSES:
            raise InputError(f"{where}: unknown railcar class {cls!r}")
        status = lab.get("status", "accepted")
        if status not in STATUSES:
            raise InputError(f"{where}: unknown status {status!r} (choose {', '.join(STATUSES)})")
        tarped = lab.get("tarped", False)
        if not isinstance(tarped, bool):
            raise InputError(f"{where}: tarped must be true or false")
        det = lab.get("detection_id")
        if det is not None:
            key = f"d{det}"
            if key not in known:
                raise InputError(f"{where}: detection {det} is not among image {image.id}'s")
            if status == "added":
                raise InputError(f"{where}: a detector box cannot have status 'added'")
            polygon, score = known[key]["polygon"], known[key].get("score")
            sent = lab.get("polygon")
            if sent is not None and sent != polygon:
                polygon = _ring(sent, where)
                if polygon != known[key]["polygon"]:
                    if area is None:
                        area = shape(image.footprint).buffer(1e-4)
                    _check_box(polygon, image, where, area)
        else:
            key = str(lab.get("key") or f"a{i + 1}")
            if not key.startswith("a") or len(key) > 40:
                raise InputError(f"{where}: a drawn box's key starts with 'a'")
            if status not in ("added", "rejected"):
                status = "added"
            polygon = _ring(lab.get("polygon"), where)
            if area is None:
                area = shape(image.footprint).buffer(1e-4)
            _check_box(polygon, image, where, area)
            score = None
        if key in seen:
            raise InputError(f"{where}: label {key!r} appears twice")
        seen.add(key)
        out.append(
            {
                "key": key,
                "detection_id": det,
                "railcar_class": cls,
                "tarped": tarped,
                "status": status,
                "polygon": polygon,
                "score": score,
            }
        )
    missing = set(known) - seen
    if missing:
        # A detector box left out is a box the client never saw: keep it as detected.
        out.extend(dict(known[k]) for k in sorted(missing, key=lambda k: int(k[1:])))
    return out


def diff(before: Sequence[Mapping[str, Any]], after: Sequence[Mapping[str, Any]]) -> list[dict]:
    """What a save changed, label by label (the edit log's ``changes``)."""
    old = {b["key"]: b for b in before}
    new = {a["key"]: a for a in after}
    out: list[dict[str, Any]] = []
    for key, a in new.items():
        b = old.get(key)
        if b is None:
            out.append({"key": key, "op": "add", "to": {k: a[k] for k in ("railcar_class",)}})
            continue
        fields = {
            k: [b.get(k), a.get(k)]
            for k in ("railcar_class", "tarped", "status", "polygon")
            if b.get(k) != a.get(k)
        }
        if fields:
            out.append({"key": key, "op": "change", "fields": fields})
    out += [{"key": k, "op": "remove"} for k in old if k not in new]
    return out


def counts(labels: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Cars per class among labels not rejected, every class present (zeros too)."""
    out = dict.fromkeys(CLASSES, 0)
    for lab in labels:
        if lab["status"] != "rejected":
            out[lab["railcar_class"]] += 1
    return out


def _state(session: Any, image_id: int) -> tuple[Image, Review, list[dict[str, Any]]]:
    image = image_rows.get(session, image_id)
    detections = detection_rows.list_for_image(session, image_id)
    base = _from_detections(detections)
    row = review_rows.row_of(session, image_id)
    if row is None:
        review = Review(
            image_id=image_id,
            site=image.site,
            acquired_at=image.acquired_at,
            status="pending",
            revision=0,
            reviewer=None,
            model_version=_model_version(detections),
            labels=tuple(base),
        )
    else:
        review = Review(
            image_id=image_id,
            site=image.site,
            acquired_at=image.acquired_at,
            status=row.status,
            revision=row.revision,
            reviewer=row.reviewer,
            model_version=row.model_version,
            labels=tuple(row.labels or ()),
            updated_at=row.updated_at,
            reviewed_at=row.reviewed_at,
        )
    return image, review, base


def get_review(store: Store, image_id: int) -> Review:
    """An image's review as last saved, or the detector's boxes when nobody saved one.

    Raises:
        NotFoundError: no image has this id.
    """
    with store.transaction() as session:
        return _state(session, image_id)[1]


def save_review(
    store: Store,
    image_id: int,
    labels: Sequence[Mapping[str, Any]],
    *,
    reviewer: str,
    base_revision: int | None = None,
    reviewed: bool = False,
) -> tuple[Review, ReviewEdit, list[Observation]]:
    """Save an image's labels; with ``reviewed`` also write its analyst observations.

    The later save wins. When ``base_revision`` (the revision the reviewer
    loaded) is older than the stored one, the save still goes through and the
    edit says ``conflict``; the overwritten labels stay in the edit log.

    Raises:
        NotFoundError: no image has this id.
        InputError: bad labels or reviewer name.
    """
    reviewer = _reviewer(reviewer)
    if base_revision is not None and base_revision < 0:
        raise InputError(f"base_revision {base_revision}: must be 0 or more")
    with store.transaction() as session:
        image, current, base = _state(session, image_id)
        clean = validate_labels(labels, base, image)
        status = "reviewed" if reviewed else "in-progress"
        row, edit = review_rows.save(
            session,
            image_id,
            reviewer=reviewer,
            model_version=current.model_version,
            labels=clean,
            changes=diff(current.labels, clean),
            base_revision=base_revision,
            action="reviewed" if reviewed else "save",
            status=status,
        )
        observations: list[Observation] = []
        if reviewed:
            observations = _write_observations(session, image, row.model_version, clean, reviewer)
        elif current.status == "reviewed":
            # Reopened: the counts no longer stand for a finished review.
            observation_rows.delete_for_image(session, image_id, method="analyst")
        review = _state(session, image_id)[1]
        return review, review_rows.edit_record(edit, image_id), observations


def _write_observations(
    session: Any, image: Image, model_version: str, labels: list[dict], reviewer: str
) -> list[Observation]:
    assert image.id is not None
    observation_rows.delete_for_image(session, image.id, method="analyst")
    per_class = counts(labels)
    note = f"review of image {image.id}" + (
        f" (model {model_version} reviewed)" if model_version else ""
    )
    return observation_rows.add(
        session,
        [
            Observation(
                site=image.site,
                observed_at=image.acquired_at,
                railcar_class=cls,
                count=n,
                method="analyst",
                source=reviewer,
                image_id=image.id,
                model_version=model_version or None,
                analyst=reviewer,
                note=note,
            )
            for cls, n in per_class.items()
        ],
    )


def complete_review(
    store: Store, image_id: int, *, reviewer: str, base_revision: int | None = None
) -> tuple[Review, ReviewEdit, list[Observation]]:
    """Mark an image reviewed with the labels as last saved (or the detector's, untouched)."""
    current = get_review(store, image_id)
    if base_revision is not None and base_revision > current.revision:
        raise ConflictError(
            f"image {image_id}: revision {base_revision} is newer than the stored "
            f"{current.revision}"
        )
    return save_review(
        store,
        image_id,
        list(current.labels),
        reviewer=reviewer,
        base_revision=base_revision,
        reviewed=True,
    )


def history(store: Store, image_id: int) -> list[ReviewEdit]:
    """Every save of an image's review, oldest first (who, when, what).

    Raises:
        NotFoundError: no image has this id.
    """
    with store.transaction() as session:
        image_rows.get(session, image_id)
        return review_rows.edits(session, image_id)


def next_unreviewed(
    store: Store, *, site: str, after: int | None = None, backward: bool = False
) -> dict[str, Any]:
    """The site's next image (by acquisition time) not yet marked reviewed.

    Searches after image ``after`` (before it with ``backward``), wrapping round
    the site's images once; ``wrapped`` says it went past the last (first) image.
    ``image_id`` is None when every other image is reviewed. Pending and
    in-progress images both count as unreviewed.

    Raises:
        NotFoundError: no such site, or no image ``after``.
        InputError: image ``after`` is of another site.
    """
    with store.transaction() as session:
        site_row = site_rows.row_for(session, site)
        rows = review_rows.statuses_for_site(session, site_row.id)
        ids = [r[0] for r in rows]
        if after is not None and after not in ids:
            other = image_rows.get(session, after)  # NotFoundError when there is none
            raise InputError(f"after: image {after} is of site {other.site}, not {site}")
    start = ids.index(after) if after is not None else (len(rows) if backward else -1)
    step = -1 if backward else 1
    found = None
    wrapped = False
    for k in range(1, len(rows) + 1):
        i = start + step * k
        if after is None and not 0 <= i < len(rows):
            break
        i %= len(rows)
        if rows[i][0] == after:
            break
        if rows[i][2] != "reviewed":
            found = rows[i]
            wrapped = (i < start) if not backward else (i > start)
            break
    unreviewed = sum(r[2] != "reviewed" for r in rows)
    return {
        "site": site,
        "after": after,
        "direction": "previous" if backward else "next",
        "image_id": None if found is None else found[0],
        "acquired_at": None if found is None else found[1],
        "status": None if found is None else found[2],
        "wrapped": wrapped,
        "unreviewed": unreviewed,
        "images": len(rows),
    }


def list_reviews(store: Store, *, site: str) -> list[dict[str, Any]]:
    """Each image of a site: reviewed, in progress or pending, by whom, when, with counts.

    Raises:
        NotFoundError: no such site.
    """
    with store.transaction() as session:
        site_row = site_rows.row_for(session, site)
        rows = review_rows.for_site(session, site_row.id)
        analyst = {}
        detector: dict[int, dict[str, int]] = {}
        for o in observation_rows.list_observations(session, site=site):
            if o.image_id is None:
                continue
            if o.method == "analyst":
                analyst.setdefault(o.image_id, {})[o.railcar_class] = o.count
            elif o.method == "detector":
                detector.setdefault(o.image_id, {})[o.railcar_class] = o.count
        out = []
        for image in image_rows.list_images(session, site=site):
            assert image.id is not None
            row = rows.get(image.id)
            out.append(
                {
                    "image_id": image.id,
                    "acquired_at": image.acquired_at,
                    "status": "pending" if row is None else row.status,
                    "reviewer": None if row is None else row.reviewer,
                    "revision": 0 if row is None else row.revision,
                    "model_version": None if row is None else row.model_version,
                    "updated_at": None if row is None else row.updated_at,
                    "reviewed_at": None if row is None else row.reviewed_at,
                    "detector_counts": detector.get(image.id, {}),
                    "analyst_counts": analyst.get(image.id, {}),
                }
            )
        return out
