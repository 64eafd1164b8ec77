"""Choosing the score threshold on labelled images: the rule, its bookkeeping, the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from railwatch.detect import SHIPPED_MODEL, evaluate, read_info
from railwatch.detect.calibration import (
    COUNT_WEIGHT,
    THRESHOLD_GRID,
    apply_calibration,
    calibrate,
)
from railwatch.errors import InputError
from railwatch.railcars import CLASSES, ROLLUPS


@pytest.fixture(scope="module")
def cal_dir(tmp_path_factory) -> Path:
    from railwatch.simulate.dataset import make_dataset

    out = tmp_path_factory.mktemp("cal")
    make_dataset(out, 3, seed=91, gsd_range=(0.4, 0.6), size=(384, 384), workers=1)
    return out


@pytest.fixture
def model_copy(tmp_path: Path) -> Path:
    """The shipped model with a threshold so high that it finds almost nothing."""
    dst = tmp_path / "mine.onnx"
    shutil.copy(SHIPPED_MODEL, dst)
    doc = json.loads(SHIPPED_MODEL.with_suffix(".json").read_text())
    doc["score_threshold"] = 0.97
    dst.with_suffix(".json").write_text(json.dumps(doc))
    return dst


def test_calibration_picks_the_rule_s_best_threshold(cal_dir: Path, model_copy: Path) -> None:
    before = evaluate(cal_dir, model_copy).overall
    cal = calibrate(cal_dir, model_copy)
    assert cal.scenes == 3 and [r["threshold"] for r in cal.rows] == list(THRESHOLD_GRID)
    # Recall cannot rise with the threshold; the chosen one is the rule's maximum.
    recalls = [r["recall"] for r in cal.rows]
    assert recalls == sorted(recalls, reverse=True)
    keys = {r["threshold"]: r["f1"] - COUNT_WEIGHT * r["count_mae"] for r in cal.rows}
    assert keys[cal.threshold] == max(keys.values())
    assert set(cal.count_sigma) == set(CLASSES) | set(ROLLUPS)
    assert min(cal.count_sigma.values()) >= 0.5

    old_version = read_info(model_copy).version
    info = apply_calibration(model_copy, cal)
    assert read_info(model_copy).score_threshold == cal.threshold == info.score_threshold
    assert read_info(model_copy).extra["calibration"]["scenes"] == 3
    # Counts now differ from the uncalibrated model's, so the version says so.
    from railwatch.detect.calibration import CAL_TAG

    tag = f".t{round(cal.threshold * 100):02d}" + ("" if cal.flips == "none" else f".{cal.flips}")
    assert info.version == CAL_TAG.sub("", old_version) + tag
    assert read_info(model_copy).extra["calibration"]["from"] == old_version
    # Running at the chosen threshold gives the figures calibration predicted for it,
    # and they beat the absurd threshold the copy started with.
    after = evaluate(cal_dir, model_copy).overall
    row = next(r for r in cal.rows if r["threshold"] == cal.threshold)
    assert after["f1"] == pytest.approx(row["f1"], abs=1e-4)
    assert after["count_mae"] == pytest.approx(row["count_mae"], abs=1e-3)
    assert after["f1"] > before["f1"] + 0.3


def test_the_packaged_model_is_not_rewritten(cal_dir: Path) -> None:
    cal = calibrate(cal_dir, SHIPPED_MODEL, limit=1)
    before = SHIPPED_MODEL.with_suffix(".json").read_bytes()
    with pytest.raises(InputError, match="copy it"):
        apply_calibration(SHIPPED_MODEL, cal)
    assert SHIPPED_MODEL.with_suffix(".json").read_bytes() == before


def test_cli_calibrate(cal_dir: Path, model_copy: Path, cli) -> None:
    side = model_copy.with_suffix(".json")
    before = side.read_text()
    doc = cli.json("models", "calibrate", str(model_copy), "--data", str(cal_dir), "--dry-run")
    assert doc["written"] is False and doc["threshold"] in THRESHOLD_GRID
    assert side.read_text() == before
    r = cli("models", "calibrate", str(model_copy), "--data", str(cal_dir))
    flips = read_info(SHIPPED_MODEL).flips  # the copy keeps the shipped model's flips
    assert f"set score threshold {doc['threshold']:.2f} with flips {flips} on 3" in r.stderr
    assert read_info(model_copy).score_threshold == doc["threshold"]
    empty = cal_dir.parent / "empty"
    empty.mkdir(exist_ok=True)
    r = cli("models", "calibrate", str(model_copy), "--data", str(empty), ok=False)
    assert r.exit_code != 0 and f"{empty}: no labelled images" in r.stderr


def test_calibrating_with_flips_stores_them_with_the_threshold(
    cal_dir: Path, model_copy: Path, cli
) -> None:
    doc = cli.json("models", "calibrate", str(model_copy), "--data", str(cal_dir), "--limit", "1",
                   "--flips", "hflip")  # fmt: skip
    assert doc["flips"] == "hflip" and doc["written"] is True
    info = read_info(model_copy)
    assert info.flips == "hflip" and info.score_threshold == doc["threshold"]
    assert info.version.endswith(f".t{round(doc['threshold'] * 100):02d}.hflip")
    # Calibrating again replaces the tag instead of stacking another.
    cli("models", "calibrate", str(model_copy), "--data", str(cal_dir), "--limit", "1")
    again = read_info(model_copy).version
    assert again.count(".t") == 1 and again.endswith(".hflip")
    r = cli("models", "calibrate", str(model_copy), "--data", str(cal_dir), "--flips", "spin",
            ok=False)  # fmt: skip
    assert r.exit_code != 0 and "--flips 'spin'" in r.stderr


def test_count_error_model_separates_fixed_and_proportional_errors() -> None:
    from railwatch.detect.calibration import count_error_model
    from railwatch.detect.evaluation import SceneScore

    def scene(n_truth: int, n_det: int) -> SceneScore:
        counts_t = dict.fromkeys(CLASSES, 0) | {"box": n_truth}
        counts_d = dict.fromkeys(CLASSES, 0) | {"box": n_det}
        return SceneScore("", n_truth, n_det, 0, 0, counts_t, counts_d, 0.5, (), False, {})

    # Box counts off by 10 % of the count detected, either way; other classes exact.
    scores = [scene(round(n * f), n) for n in (10, 20, 40, 80) for f in (0.9, 1.1)]
    fixed, rel = count_error_model(scores)
    assert rel["box"] == pytest.approx(0.1, abs=0.02)
    assert fixed["box"] == pytest.approx(0.5)  # the floor: no fixed part in these errors
    assert rel["tank"] == 0.0 and fixed["tank"] == 0.5


def test_roll_ups_get_their_own_error_where_class_confusions_cancel() -> None:
    from railwatch.detect.calibration import count_error_model
    from railwatch.detect.evaluation import SceneScore

    def scene(n: int, swapped: int) -> SceneScore:
        # n box cars, of which ``swapped`` are read as flat cars: no freight car is lost.
        counts_t = dict.fromkeys(CLASSES, 0) | {"box": n}
        counts_d = dict.fromkeys(CLASSES, 0) | {"box": n - swapped, "flat": swapped}
        return SceneScore("", n, n, n, n - swapped, counts_t, counts_d, 0.5, (), False, {})

    fixed, rel = count_error_model([scene(n, k) for n in (10, 30, 60) for k in (0, 3, 6)])
    for name in ("freight", "total"):
        assert (fixed[name], rel[name]) == (0.5, 0.0)
    assert fixed["box"] > 2 and rel["flat"] > 0.5  # each class alone is off by 0-6 cars


def test_evaluate_records_its_figures_in_the_model_and_reports_quote_them(
    cal_dir: Path, model_copy: Path, cli
) -> None:
    from railwatch.report.model import _model_info

    doc = cli.json("evaluate", "--data", str(cal_dir), "--model", str(model_copy),
                   "--record", "simulated")  # fmt: skip
    info = read_info(model_copy)
    kept = info.extra["evaluation"]["simulated"]
    assert kept["data"] == cal_dir.name and kept["scenes"] == 3
    assert kept["overall"]["f1"] == doc["overall"]["f1"]
    assert kept["overall"]["per_class_f1"]["box"] == doc["overall"]["per_class"]["box"]["f1"]
    assert "per_class" not in kept["overall"] and "scenes" not in doc  # no per-scene rows
    # A second record sits beside the first; the version is untouched.
    cli("evaluate", "--data", str(cal_dir), "--model", str(model_copy), "--limit", "1",
        "--record", "real_yard")  # fmt: skip
    again = read_info(model_copy)
    assert again.version == info.version
    assert set(again.extra["evaluation"]) == {"simulated", "real_yard"}
    assert again.extra["evaluation"]["real_yard"]["scenes"] == 1
    row = {"version": again.version, "meta": again.to_dict()}
    assert _model_info(row).benchmark["f1"] == pytest.approx(doc["overall"]["f1"])
    # Refused before any work: the packaged model, a bad name, no --model.
    before = SHIPPED_MODEL.with_suffix(".json").read_bytes()
    for args, words in (
        (["--model", str(SHIPPED_MODEL), "--record", "simulated"], "copy it"),
        (["--model", str(model_copy), "--record", "Sim Data"], "lower-case name"),
        (["--record", "simulated"], "give it with --model"),
    ):
        r = cli("evaluate", "--data", str(cal_dir), *args, ok=False)
        assert r.exit_code == 2 and words in r.stderr, r.stderr
    assert SHIPPED_MODEL.with_suffix(".json").read_bytes() == before
