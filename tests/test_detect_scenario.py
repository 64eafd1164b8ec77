"""The Tumangang scenario: images added to the store, detected by site, counts follow the truth."""

from __future__ import annotations

from pathlib import Path

import pytest

from railwatch.railcars import CLASSES


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> list[tuple[Path, str, int]]:
    """Six clear dates of the scenario (quiet years, the rise, the peak), rendered as it does."""
    from railwatch.simulate.render import render_scene
    from railwatch.simulate.scenario import PEAK, scenario_specs
    from railwatch.simulate.write import write_scene

    root = tmp_path_factory.mktemp("scenario")
    specs = [(d, s) for d, s in scenario_specs("tumangang") if not s.clouds]
    before = [x for x in specs if x[0].year < 2023]
    quiet = [before[0], before[len(before) // 2], before[-1]]  # winter, closed border, reopened
    rise = [x for x in specs if x[0].isoformat() in ("2023-09-21", "2023-09-30")]
    peak = [x for x in specs if x[0] == PEAK]
    out = []
    for day, spec in quiet + rise + peak:
        scene = render_scene(spec)
        folder = Path(write_scene(scene, root / day.isoformat()))
        total = sum(scene.counts().values())
        out.append((folder / "image.tif", scene.acquired.strftime("%Y-%m-%dT%H:%M:%SZ"), total))
    assert len(out) == 6
    return out


def test_site_counts_follow_truth(cli, archive) -> None:
    cli("sites", "add", "--builtin")
    for path, when, _ in archive:
        cli("images", "add", str(path), "--site", "tumangang", "--acquired", when)
    doc = cli.json("detect", "--site", "tumangang")
    assert len(doc["images"]) == 6
    by_path = {img["path"]: img for img in doc["images"]}
    errors = []
    for path, _, truth in archive:
        img = by_path[str(path)]
        assert set(img["counts"]) == set(CLASSES)
        errors.append(sum(img["counts"].values()) - truth)
    truths = [t for _, _, t in archive]
    detected = [t + e for t, e in zip(truths, errors, strict=True)]
    # The story survives (the peak date has the most cars, the rise dates beat the quiet
    # years) and every count is within the brief's ±10 % (at least ±2 cars for small counts).
    assert detected.index(max(detected)) == truths.index(max(truths)), (truths, detected)
    assert min(detected[3:]) > max(detected[:3]), (truths, detected)
    for t, e in zip(truths, errors, strict=True):
        assert abs(e) <= max(2, 0.1 * t), (truths, detected)
