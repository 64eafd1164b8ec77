"""Choosing a model's score threshold, and its counting uncertainty, on labelled images.

A network's scores only become counts through a threshold, and the best one
moves with every training run and with every site a model is fine-tuned for.
So the threshold is picked on a labelled calibration folder that is neither
training nor evaluation data, by one written rule: the threshold that
maximises ``F1 - 0.01 x count MAE``. F1 keeps boxes honest, and the small count
term breaks near-ties towards the threshold whose counts are right, which is
what the analysis consumes. At the chosen threshold the per-class count error
per scene, split into a fixed part and a part in proportion to the count, becomes
the model's ``count_sigma`` and ``count_sigma_rel``: the uncertainty every
detector observation carries into the analysis.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from railwatch.detect.evaluation import (
    EvalReport,
    SceneScore,
    detect_samples,
    find_samples,
    summarize,
)
from railwatch.detect.model import MODELS_DIR, ModelInfo, OnnxDetector, read_info, write_metadata
from railwatch.errors import InputError
from railwatch.railcars import CLASSES, ROLLUPS, members

#: Thresholds tried, low to high; ties go to the lowest. The count bias moves by about
#: five cars a scene per 0.05 of threshold, so the grid is fine: one matching per image
#: serves every threshold (see ``evaluation.match_scene``), so trying many costs little.
THRESHOLD_GRID: tuple[float, ...] = tuple(round(0.20 + 0.01 * i, 2) for i in range(51))
#: Weight of the count error (cars per scene) against F1 in the rule above.
COUNT_WEIGHT = 0.01
#: The tag calibration adds to a version: ``.t38`` (threshold 0.38), ``.t38.hflip``.
CAL_TAG = re.compile(r"\.t\d{2,3}(\.(hflip|flip4))?$")
#: The fixed counting error never goes below half a car: a calibration set is finite.
MIN_SIGMA = 0.5


@dataclass(frozen=True)
class Calibration:
    """The chosen threshold, the figures behind the choice, and the counting uncertainty."""

    data: str
    scenes: int
    threshold: float
    rows: tuple[dict[str, float], ...]  # one per threshold tried
    count_sigma: dict[str, float]
    count_sigma_rel: dict[str, float]
    flips: str = "none"  # the test-time flips the threshold was chosen with

    def to_dict(self) -> dict[str, Any]:
        return {
            "data": self.data,
            "scenes": self.scenes,
            "rule": (
                f"maximise F1 - {COUNT_WEIGHT} x count MAE over thresholds "
                f"{THRESHOLD_GRID[0]:.2f}-{THRESHOLD_GRID[-1]:.2f} in steps of 0.01"
            ),
            "threshold": self.threshold,
            "flips": self.flips,
            "rows": list(self.rows),
            "count_sigma": self.count_sigma,
            "count_sigma_rel": self.count_sigma_rel,
        }


def calibrate(
    data_dir: str | Path,
    model_path: str | Path,
    *,
    flips: str | None = None,
    limit: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> Calibration:
    """Detect once at the lowest threshold of the grid, then score every threshold.

    Args:
        flips: test-time flips to calibrate with (see ``model.FLIPS``); default the model's.

    Raises:
        InputError: no labelled images in ``data_dir``.
        DetectionError: the model cannot be loaded.
    """
    info = read_info(model_path)
    flips = info.flips if flips is None else flips
    low = replace(info, score_threshold=min(THRESHOLD_GRID), flips=flips)
    detector = OnnxDetector(model_path, low)
    found = list(detect_samples(find_samples(data_dir)[:limit], detector, progress))
    rows: list[dict[str, float]] = []
    for thr in THRESHOLD_GRID:
        m = summarize([f.score(min_score=thr) for f in found])
        rows.append(
            {
                "threshold": thr,
                **{k: m[k] for k in ("precision", "recall", "f1", "count_mae", "count_bias")},
                "class_accuracy": m.get("class_accuracy", 0.0),
            }
        )
    # max() keeps the first of equals, and the grid runs low to high: ties go to the lowest.
    chosen = max(rows, key=lambda r: r["f1"] - COUNT_WEIGHT * r["count_mae"])["threshold"]
    fixed, rel = count_error_model([f.score(min_score=chosen, ignore_occluded=True) for f in found])
    return Calibration(
        data=str(data_dir),
        scenes=len(found),
        threshold=chosen,
        rows=tuple(rows),
        count_sigma=fixed,
        count_sigma_rel=rel,
        flips=flips,
    )


def count_error_model(scores: list[SceneScore]) -> tuple[dict[str, float], dict[str, float]]:
    """Per class and roll-up, the fixed and the proportional part of the counting error.

    Fits ``error² = fixed² + (rel × count)²`` by non-negative least squares over
    the scenes, with ``count`` the number of cars detected (what is known when a
    count is stored). Cars hidden under cloud are left out: they are a gap in the
    image, not a counting error. A single RMSE over scenes of 0-120 cars made a
    5-car date as uncertain as a 100-car one. The roll-ups (``freight``,
    ``total``) get their own fit: a box car read as a flat car is two class
    errors but no freight error, so their classes' errors added in quadrature
    would overstate a roll-up's.
    """
    from scipy.optimize import nnls

    fixed: dict[str, float] = {}
    rel: dict[str, float] = {}
    typed = [s for s in scores if not s.class_agnostic]
    for c in (*CLASSES, *ROLLUPS):
        parts = members(c)
        n = np.array([sum(s.counts_detected.get(m, 0) for m in parts) for s in typed], float)
        err = n - np.array([sum(s.counts_truth.get(m, 0) for m in parts) for s in typed], float)
        if not len(n):
            continue
        (a2, b2), _ = nnls(np.column_stack([np.ones_like(n), n**2]), err**2)
        fixed[c] = round(max(MIN_SIGMA, float(np.sqrt(a2))), 3)
        rel[c] = round(float(np.sqrt(b2)), 4)
    return fixed, rel


def calibrated_version(version: str, threshold: float, flips: str) -> str:
    """The version a model takes when calibrated: its own, tagged with threshold and flips.

    Counts depend on the threshold and flips as much as on the weights, and every
    observation carries the version, so a recalibrated model must not pass for
    the old one (``detect --site`` would also skip the images it already did).
    A previous calibration's tag is replaced, not stacked.
    """
    base = CAL_TAG.sub("", version)
    return f"{base}.t{round(threshold * 100):02d}" + ("" if flips == "none" else f".{flips}")


def _not_packaged(model_path: str | Path, verb: str) -> Path:
    path = Path(model_path)
    if path.resolve().parent == MODELS_DIR.resolve():
        raise InputError(
            f"{path}: the packaged model is not rewritten in place; copy it with its .json "
            f"sidecar and {verb} the copy"
        )
    return path


def record_target(model_path: str | Path, name: str) -> Path:
    """Check, before a long evaluation, that its figures can be recorded in this model.

    Raises:
        InputError: the model is the packaged one, or the name is not a plain word.
    """
    path = _not_packaged(model_path, "evaluate")
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", name):
        raise InputError(f"--record {name!r}: use a short lower-case name such as simulated")
    read_info(path)
    return path


def record_evaluation(model_path: str | Path, name: str, report: EvalReport) -> ModelInfo:
    """Keep an evaluation's figures in the model's metadata, under ``evaluation.<name>``.

    The model card and every report then quote figures that travel with the
    model, not ones copied by hand. The version is unchanged: the figures
    describe the model, they do not change its counts.

    Raises:
        InputError: the model is the packaged one, the evaluation is of another
            model version, or the name is not a plain word.
    """
    path = record_target(model_path, name)
    info = read_info(path)
    if report.model_version != info.version:
        raise InputError(
            f"{path}: the evaluation is of model {report.model_version}, not of {info.version}"
        )
    extra = dict(info.extra)
    kept = extra.get("evaluation")
    # An evaluation block in the older flat form (overall at its top) is replaced whole.
    kept = dict(kept) if isinstance(kept, dict) and "overall" not in kept else {}
    kept[name] = {**report.summary(), "at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
    extra["evaluation"] = kept
    info = replace(info, extra=extra)
    write_metadata(path, info)
    return info


def apply_calibration(model_path: str | Path, cal: Calibration) -> ModelInfo:
    """Write the threshold, flips and counting error into the model's metadata.

    The version gains a calibration tag (see :func:`calibrated_version`). The
    shipped model inside the package is never rewritten in place: copy it (with
    its ``.json``) and calibrate the copy.

    Raises:
        InputError: the model is the packaged one.
    """
    path = _not_packaged(model_path, "calibrate")
    info = read_info(path)
    extra = dict(info.extra)
    extra["calibration"] = {
        **{k: v for k, v in cal.to_dict().items() if k != "rows"},
        "from": info.version,
        "at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    info = replace(
        info,
        version=calibrated_version(info.version, cal.threshold, cal.flips),
        score_threshold=cal.threshold,
        count_sigma=cal.count_sigma,
        count_sigma_rel=cal.count_sigma_rel,
        flips=cal.flips,
        extra=extra,
    )
    write_metadata(path, info)
    return info
