"""How good the detector is: precision, recall, F1, class accuracy and count error.

Boxes match when their rotated IoU is at least 0.5, greedily by score. The
count error per scene is what the analysis cares about most, so it is
reported overall, per class (it becomes the model's ``count_sigma``), by
ground sample distance band and by condition (winter, haze, tarps).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from railwatch.detect import geometry, raster
from railwatch.detect.model import Detector
from railwatch.errors import DetectionError, InputError
from railwatch.railcars import CLASSES

GSD_BANDS = ((0.3, 0.5), (0.5, 0.7), (0.7, 1.0))
#: Below this solar elevation (degrees) a car's shadow reaches over twice its height (~9 m)
#: beside it, a dark band wider than the car itself that a detector can mistake for one.
LOW_SUN_DEG = 25.0


@dataclass
class Sample:
    """One labelled image of an evaluation folder."""

    image: Path
    meta: dict[str, Any] = field(default_factory=dict)
    coco: list[dict[str, Any]] | None = None  # labels already in pixels
    geojson: Path | None = None

    def labels(self, transform: Any, crs: Any) -> list[dict[str, Any]]:
        """Labels as dicts of ``corners`` (4, 2) pixels, ``class`` and ``tarped``."""
        if self.coco is not None:
            return self.coco
        if self.geojson is not None:
            return raster.labels_px(self.geojson, transform, crs)
        return []


def _coco_labels(doc: dict[str, Any]) -> dict[int, list[dict[str, Any]]]:
    names = {c["id"]: c["name"] for c in doc.get("categories", [])}
    out: dict[int, list[dict[str, Any]]] = {}
    for ann in doc.get("annotations", []):
        seg = ann.get("segmentation")
        if isinstance(seg, list) and seg and len(seg[0]) >= 8:
            pts = np.asarray(seg[0], dtype=float).reshape(-1, 2)
            if len(pts) != 4:
                from shapely.geometry import Polygon

                pts = np.asarray(Polygon(pts).minimum_rotated_rectangle.exterior.coords)[:4]
        else:
            x, y, w, h = ann["bbox"]
            pts = np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], dtype=float)
        attrs = ann.get("attributes") or {}
        out.setdefault(ann["image_id"], []).append(
            {
                "corners": pts,
                "class": str(names.get(ann.get("category_id"), "other")),
                "tarped": bool(attrs.get("tarped", False)),
                "occluded": bool(attrs.get("occluded", False)),
            }
        )
    return out


def find_samples(data_dir: str | Path) -> list[Sample]:
    """Labelled images in a folder: ``simulate dataset`` output, a COCO file, or GeoTIFFs + GeoJSON.

    Raises:
        InputError: the folder does not exist or holds no labelled image.
    """
    root = Path(data_dir)
    if not root.is_dir():
        raise InputError(f"{root}: not a folder")
    samples: list[Sample] = []
    manifest = root / "manifest.json"
    if manifest.is_file():
        doc = json.loads(manifest.read_text())
        for scene in doc.get("scenes", []):
            d = root / scene.get("dir", scene.get("id", ""))
            coco = None
            if (d / "coco.json").is_file():
                labels = _coco_labels(json.loads((d / "coco.json").read_text()))
                coco = [lab for labs in labels.values() for lab in labs]
            samples.append(
                Sample(
                    image=d / "image.tif",
                    meta=scene,
                    coco=coco,
                    geojson=d / "labels.geojson" if coco is None else None,
                )
            )
        return samples
    tifs = sorted(p for p in root.rglob("*") if p.suffix.lower() in (".tif", ".tiff"))
    for tif in tifs:
        coco_path = tif.parent / "coco.json"
        if coco_path.is_file():
            cdoc = json.loads(coco_path.read_text())
            by_id = _coco_labels(cdoc)
            for img in cdoc.get("images", []):
                if Path(img.get("file_name", "")).stem == tif.stem or len(cdoc["images"]) == 1:
                    samples.append(Sample(image=tif, coco=by_id.get(img["id"], [])))
                    break
            else:
                continue
            continue
        for cand in (tif.with_suffix(".geojson"), tif.parent / "labels.geojson"):
            if cand.is_file():
                samples.append(Sample(image=tif, geojson=cand))
                break
    if not samples:
        raise InputError(
            f"{root}: no labelled images (expected manifest.json, coco.json, "
            "or GeoTIFFs with a labels.geojson beside them)"
        )
    return samples


@dataclass
class SceneScore:
    image: str
    n_truth: int
    n_detected: int
    matched: int
    class_correct: int
    counts_truth: dict[str, int]
    counts_detected: dict[str, int]
    gsd: float
    tags: tuple[str, ...]
    class_agnostic: bool
    per_class: dict[str, tuple[int, int, int]]  # class -> (tp, n_det, n_truth)

    @property
    def count_error(self) -> int:
        return self.n_detected - self.n_truth


def _prf(tp: int, n_det: int, n_truth: int) -> dict[str, float]:
    p = tp / n_det if n_det else (1.0 if n_truth == 0 else 0.0)
    r = tp / n_truth if n_truth else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4)}


def summarize(scores: list[SceneScore]) -> dict[str, Any]:
    """Aggregate figures over scenes."""
    tp = sum(s.matched for s in scores)
    n_det = sum(s.n_detected for s in scores)
    n_truth = sum(s.n_truth for s in scores)
    errs = np.array([s.count_error for s in scores], dtype=float)
    rel = np.array([abs(s.count_error) / max(1, s.n_truth) for s in scores], dtype=float)
    typed = [s for s in scores if not s.class_agnostic]
    doc: dict[str, Any] = {
        "scenes": len(scores),
        "truth": n_truth,
        "detected": n_det,
        "matched": tp,
        **_prf(tp, n_det, n_truth),
        "count_mae": round(float(np.abs(errs).mean()), 3) if len(errs) else 0.0,
        "count_bias": round(float(errs.mean()), 3) if len(errs) else 0.0,
        "count_mean_relative_error": round(float(rel.mean()), 4) if len(rel) else 0.0,
        "count_relative_error_total": round(abs(n_det - n_truth) / max(1, n_truth), 4),
    }
    if typed:
        m = sum(s.matched for s in typed)
        doc["class_accuracy"] = round(sum(s.class_correct for s in typed) / m, 4) if m else 0.0
        per_class = {}
        for c in CLASSES:
            ctp = sum(s.per_class.get(c, (0, 0, 0))[0] for s in typed)
            cdet = sum(s.per_class.get(c, (0, 0, 0))[1] for s in typed)
            ctru = sum(s.per_class.get(c, (0, 0, 0))[2] for s in typed)
            cerr = np.array(
                [s.counts_detected.get(c, 0) - s.counts_truth.get(c, 0) for s in typed], float
            )
            per_class[c] = {
                **_prf(ctp, cdet, ctru),
                "truth": ctru,
                "detected": cdet,
                "count_rmse": round(float(np.sqrt((cerr**2).mean())), 3),
            }
        doc["per_class"] = per_class
    return doc


@dataclass
class EvalReport:
    """Figures over a folder of labelled images."""

    data: str
    model_version: str
    overall: dict[str, Any]
    by_gsd: dict[str, dict[str, Any]]
    by_condition: dict[str, dict[str, Any]]
    scenes: list[SceneScore]
    margin_px: float = 0.0
    #: The same figures with cars under cloud as don't-care (see ``score_scene``).
    visible: dict[str, Any] = field(default_factory=dict)

    def to_dict(self, with_scenes: bool = False) -> dict[str, Any]:
        doc = {
            "data": self.data,
            "model_version": self.model_version,
            "iou": 0.5,
            "margin_px": self.margin_px,
            "overall": self.overall,
            "visible": self.visible,
            "by_gsd": self.by_gsd,
            "by_condition": self.by_condition,
        }
        if with_scenes:
            doc["scenes"] = [
                {
                    "image": s.image,
                    "gsd": round(s.gsd, 3),
                    "truth": s.n_truth,
                    "detected": s.n_detected,
                    "matched": s.matched,
                    "count_error": s.count_error,
                    "tags": list(s.tags),
                }
                for s in self.scenes
            ]
        return doc

    def summary(self) -> dict[str, Any]:
        """The figures a model card and a report quote: no per-scene rows, per-class F1 only."""

        def brief(m: dict[str, Any]) -> dict[str, Any]:
            out = {k: v for k, v in m.items() if k != "per_class"}
            if "per_class" in m:
                out["per_class_f1"] = {c: v["f1"] for c, v in m["per_class"].items()}
            return out

        return {
            "data": Path(self.data).name,
            "scenes": len(self.scenes),
            "iou": 0.5,
            "margin_px": self.margin_px,
            "overall": brief(self.overall),
            "visible": brief(self.visible),
            "by_gsd": {k: brief(v) for k, v in self.by_gsd.items()},
            "by_condition": {k: brief(v) for k, v in self.by_condition.items()},
        }

    def count_sigma(self) -> dict[str, float]:
        """Per-class counting error (RMSE per scene), as stored with detector observations."""
        per = self.overall.get("per_class", {})
        return {c: float(per[c]["count_rmse"]) for c in per}


def _tags(meta: dict[str, Any]) -> tuple[str, ...]:
    tags = []
    season = str(meta.get("season", "")).lower()
    if season in ("winter", "snow") or meta.get("snow"):
        tags.append("winter")
    if float(meta.get("haze", 0) or 0) > 0.3:
        tags.append("haze")
    if float(meta.get("tarp_fraction", 0) or 0) >= 0.5:
        tags.append("tarps")
    if float(meta.get("cloud", 0) or 0) > 0:
        tags.append("cloud")
    if float(meta.get("off_nadir", 0) or 0) > 15:
        tags.append("off_nadir")
    if float(meta.get("sun_elevation", 90) or 90) < LOW_SUN_DEG:
        tags.append("low_sun")
    return tuple(tags)


@dataclass(frozen=True)
class Matching:
    """How one image's detections pair with its labels, before any accounting.

    Detections are matched greedily from the highest score down, so keeping only
    those at or above a threshold keeps exactly their matches: one matching serves
    every threshold, and both the strict and the visible-cars figures.
    """

    truth_classes: list[str]
    truth_ignored: np.ndarray  # (t,) bool: labelled occluded (don't-care when asked)
    det_classes: list[str]
    det_scores: np.ndarray  # (d,)
    det_match: np.ndarray  # (d,) int: index of the label each detection took, or -1


def match_scene(
    truth: list[dict[str, Any]],
    det_corners: np.ndarray,
    det_scores: np.ndarray,
    det_classes: list[str],
    *,
    size: tuple[int, int],
    margin_px: float = 0.0,
    iou: float = 0.5,
) -> Matching:
    """Pair detections with labels (pixel corners) at rotated IoU ``iou``, greedily by score."""
    t_corners = np.array([t["corners"] for t in truth], dtype=float).reshape(-1, 4, 2)
    t_classes = [t["class"] for t in truth]
    t_occluded = np.array([bool(t.get("occluded")) for t in truth], bool)
    d_corners = np.asarray(det_corners, dtype=float).reshape(-1, 4, 2)
    d_scores = np.asarray(det_scores, dtype=float)
    if margin_px > 0:
        h, w = size

        def inner(c: np.ndarray) -> np.ndarray:
            cx, cy = c[..., 0].mean(axis=1), c[..., 1].mean(axis=1)
            return (
                (cx >= margin_px) & (cx < w - margin_px) & (cy >= margin_px) & (cy < h - margin_px)
            )

        tk, dk = inner(t_corners), inner(d_corners)
        t_corners, t_classes = t_corners[tk], [c for c, k in zip(t_classes, tk, strict=True) if k]
        t_occluded = t_occluded[tk]
        d_corners, d_scores = d_corners[dk], d_scores[dk]
        det_classes = [c for c, k in zip(det_classes, dk, strict=True) if k]
    ious = geometry.iou_matrix(d_corners, t_corners)
    taken = np.zeros(len(t_corners), bool)
    det_match = np.full(len(d_corners), -1, np.int64)
    for i in np.argsort(-d_scores, kind="stable"):
        if ious.shape[1] == 0:
            break
        cand = np.where(taken, -1.0, ious[i])
        j = int(np.argmax(cand))
        if cand[j] >= iou:
            taken[j] = True
            det_match[i] = j
    return Matching(t_classes, t_occluded, list(det_classes), d_scores, det_match)


def account(
    m: Matching,
    *,
    min_score: float = 0.0,
    ignore_occluded: bool = False,
    image: str = "",
    gsd: float = 0.0,
    tags: tuple[str, ...] = (),
) -> SceneScore:
    """The figures of one matched image, keeping detections scored at least ``min_score``.

    With ``ignore_occluded``, cars labelled ``occluded`` (under cloud: nobody can
    count them from this image) are "don't care": they count neither as misses
    nor, when a detection lands on one, as hits or false alarms.
    """
    ignored = m.truth_ignored if ignore_occluded else np.zeros(len(m.truth_classes), bool)
    kept = m.det_scores >= min_score
    matched = correct = 0
    per_tp = dict.fromkeys(CLASSES, 0)
    det_classes = []
    for i in np.flatnonzero(kept):
        j = int(m.det_match[i])
        if j >= 0 and ignored[j]:
            continue  # a detection of a don't-care car
        det_classes.append(m.det_classes[i])
        if j >= 0:
            matched += 1
            if m.det_classes[i] == m.truth_classes[j]:
                correct += 1
                per_tp[m.truth_classes[j]] += 1
    t_classes = [c for c, ign in zip(m.truth_classes, ignored, strict=True) if not ign]
    counts_t = {c: t_classes.count(c) for c in CLASSES}
    counts_d = {c: det_classes.count(c) for c in CLASSES}
    return SceneScore(
        image=image,
        n_truth=len(t_classes),
        n_detected=len(det_classes),
        matched=matched,
        class_correct=correct,
        counts_truth=counts_t,
        counts_detected=counts_d,
        gsd=gsd,
        tags=tags,
        class_agnostic=any(c not in CLASSES for c in m.truth_classes),
        per_class={c: (per_tp[c], counts_d[c], counts_t[c]) for c in CLASSES},
    )


def score_scene(
    truth: list[dict[str, Any]],
    det_corners: np.ndarray,
    det_scores: np.ndarray,
    det_classes: list[str],
    *,
    size: tuple[int, int],
    margin_px: float = 0.0,
    iou: float = 0.5,
    image: str = "",
    gsd: float = 0.0,
    tags: tuple[str, ...] = (),
    ignore_occluded: bool = False,
) -> SceneScore:
    """Match and account one image in one go (see :func:`match_scene`, :func:`account`)."""
    m = match_scene(
        truth, det_corners, det_scores, det_classes, size=size, margin_px=margin_px, iou=iou
    )
    return account(m, ignore_occluded=ignore_occluded, image=image, gsd=gsd, tags=tags)


@dataclass
class Detected:
    """One labelled image and what the detector found in it, in pixel corners."""

    sample: Sample
    truth: list[dict[str, Any]]
    corners: np.ndarray  # (n, 4, 2)
    scores: np.ndarray  # (n,)
    classes: list[str]
    size: tuple[int, int]  # (height, width)
    gsd: float
    _matchings: dict[float, Matching] = field(default_factory=dict, repr=False)

    def score(
        self, *, margin_px: float = 0.0, ignore_occluded: bool = False, min_score: float = 0.0
    ) -> SceneScore:
        """Score this image, keeping only detections scored at least ``min_score``."""
        m = self._matchings.get(margin_px)
        if m is None:
            m = self._matchings[margin_px] = match_scene(
                self.truth,
                self.corners,
                self.scores,
                self.classes,
                size=self.size,
                margin_px=margin_px,
            )
        return account(
            m,
            min_score=min_score,
            ignore_occluded=ignore_occluded,
            image=str(self.sample.image),
            gsd=self.gsd,
            tags=_tags(self.sample.meta),
        )


def detect_sample(
    sample: Sample, model: Detector | str | None = None, threads: int | None = None
) -> Detected:
    """The unit of work of an evaluation: one labelled image → what the detector found.

    Runs the same in-process and as a Dask task; ``model`` is a detector, or a
    model file (None: the shipped one) loaded once per process.
    """
    from railwatch.detect.runs import cached_model, detect_file, open_raster

    detector = model if model is not None and not isinstance(model, str) else None
    if detector is None:
        detector = cached_model(model, threads=threads)  # type: ignore[arg-type]
    result = detect_file(sample.image, detector)
    with open_raster(sample.image) as src:
        transform, crs, size = src.transform, src.crs, (src.height, src.width)
    return Detected(
        sample=sample,
        truth=sample.labels(transform, crs),
        corners=np.array([d.polygon_px[:4] for d in result.detections], float).reshape(-1, 4, 2),
        scores=np.array([d.score for d in result.detections], float),
        classes=[d.railcar_class for d in result.detections],
        size=size,
        gsd=float(sample.meta.get("gsd", result.gsd)),
    )


def detect_samples(
    samples: list[Sample],
    detector: Detector,
    progress: Callable[[str, int, int], None] | None = None,
) -> Iterator[Detected]:
    """Run the detector over labelled images, one per core at a time (memory stays flat)."""
    from railwatch.detect.runs import side_by_side

    for k, (sample, outcome) in enumerate(side_by_side(detect_sample, samples, detector)):
        yield outcome()
        if progress is not None:
            progress(str(sample.image), k + 1, len(samples))


def detect_samples_on(
    client: Any,
    samples: list[Sample],
    detector: Detector,
    progress: Callable[[str, int, int], None] | None = None,
    threads: int | None = None,
) -> list[Detected]:
    """The same over a Dask cluster, in the samples' order.

    Raises:
        ImageryError: a worker cannot open the first image.
        DetectionError: an image failed on a worker (its name and why).
    """
    from railwatch import cluster
    from railwatch.detect.runs import prepare_workers

    if not samples:
        return []
    cluster.check_readable(client, str(samples[0].image))
    ref = prepare_workers(client, detector, threads)
    found: dict[int, Detected] = {}
    for n, outcome in enumerate(cluster.run_units(client, detect_sample, samples, ref, threads)):
        if outcome.error is not None:
            name = str(samples[outcome.index].image)
            raise DetectionError(
                outcome.error if name in outcome.error else f"{name}: {outcome.error}"
            )
        found[outcome.index] = outcome.value
        if progress is not None:
            progress(str(samples[outcome.index].image), n + 1, len(samples))
    return [found[i] for i in sorted(found)]


def evaluate(
    data_dir: str | Path,
    model: Detector | str | Path | None = None,
    *,
    margin_px: float = 0.0,
    limit: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    client: Any = None,
    threads: int | None = None,
) -> EvalReport:
    """Run the detector over a labelled folder and score it.

    Args:
        data_dir: ``simulate dataset`` output, a folder with a COCO file, or GeoTIFFs + GeoJSON.
        model: a detector or model file (default: the shipped model).
        margin_px: ignore truth and detections whose centre is this close to the image edge.
        limit: score only the first N images.
        client: a ``distributed.Client`` to detect on (one Dask task per image).
        threads: CPU threads for each task's model on the workers.

    Raises:
        InputError: no labelled images in the folder.
    """
    from railwatch.detect.runs import as_detector

    detector = as_detector(model)
    scores, visible = [], []
    samples = find_samples(data_dir)[:limit]
    if client is None:
        detected: Iterable[Detected] = detect_samples(samples, detector, progress)
    else:
        detected = detect_samples_on(client, samples, detector, progress, threads)
    for found in detected:
        scores.append(found.score(margin_px=margin_px))
        visible.append(found.score(margin_px=margin_px, ignore_occluded=True))
    by_gsd = {}
    for lo, hi in GSD_BANDS:
        band = [s for s in scores if lo <= s.gsd < hi or (hi == 1.0 and math.isclose(s.gsd, hi))]
        if band:
            by_gsd[f"{lo:.1f}-{hi:.1f}"] = summarize(band)
    by_condition = {}
    for tag in ("winter", "haze", "tarps", "cloud", "off_nadir", "low_sun"):
        sub = [s for s in scores if tag in s.tags]
        if sub:
            by_condition[tag] = summarize(sub)
    clear = [s for s in scores if not s.tags]
    if clear and len(clear) != len(scores):
        by_condition["clear"] = summarize(clear)
    return EvalReport(
        data=str(data_dir),
        model_version=detector.version,
        overall=summarize(scores),
        by_gsd=by_gsd,
        by_condition=by_condition,
        scenes=scores,
        margin_px=margin_px,
        visible=summarize(visible),
    )
