"""Realism scenes (docs/realism.md): what they change, and that plain scenes stay as they were."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from shapely.geometry import Polygon

from label_masks import rasterise
from railwatch.errors import InputError
from railwatch.simulate import SceneSpec, random_spec, render_scene
from railwatch.simulate.dataset import make_dataset

SPEC = SceneSpec(seed=21, gsd=0.3, size=(384, 256), n_cars=40, clouds=False, yard_bearing=20.0)


def _gaps_m(scene) -> list[float]:
    """Gaps between neighbouring cars of one track, end to end, in metres."""
    gsd = scene.spec.gsd
    cars = []
    for c in scene.cars:
        p = np.asarray(c.corners_px) * gsd
        centre = p.mean(0)
        sides = [p[1] - p[0], p[2] - p[1]]
        axis = max(sides, key=np.linalg.norm)
        cars.append((centre, axis / np.linalg.norm(axis), c.length_m))
    if not cars:
        return []
    d = cars[0][1]
    n = np.array([-d[1], d[0]])
    gaps = []
    rows: dict[int, list[tuple[float, float]]] = {}
    for centre, _, length in cars:
        rows.setdefault(round(float(centre @ n) / 2.3), []).append((float(centre @ d), length))
    for row in rows.values():
        row.sort()
        for (t0, l0), (t1, l1) in zip(row, row[1:], strict=False):
            gaps.append(t1 - t0 - (l0 + l1) / 2)
    return gaps


def test_plain_specs_do_not_change_when_realism_is_offered_but_not_drawn():
    # The realism draw comes after every other draw: a scene that is not drawn realistic
    # is field for field the scene earlier releases made from the same seed.
    plain = [random_spec(np.random.default_rng([7, i])) for i in range(60)]
    mixed = [random_spec(np.random.default_rng([7, i]), realism=0.5) for i in range(60)]
    real = [m for m in mixed if m.realism]
    assert 15 <= len(real) <= 45
    for p, m in zip(plain, mixed, strict=True):
        assert not p.realism
        if not m.realism:
            assert m == p
        else:
            # The place, scale and yard are the plain twin's; the yard is busier.
            same = ("seed", "gsd", "site", "yard_bearing", "centre_offset_m")
            assert [getattr(m, f) for f in same] == [getattr(p, f) for f in same]
            assert m.n_cars >= p.n_cars
    # Realism yards are busy: more cars than their plain twins on average.
    twins = [(m.n_cars, p.n_cars) for p, m in zip(plain, mixed, strict=True) if m.realism]
    assert np.mean([a for a, _ in twins]) > 1.3 * np.mean([b for _, b in twins])


def test_realism_out_of_range_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="realism"):
        random_spec(np.random.default_rng(1), realism=1.5)
    with pytest.raises(InputError, match="realism"):
        make_dataset(tmp_path / "d", 1, realism=-0.1)
    assert not (tmp_path / "d").exists()


def test_realism_consists_leave_buffer_gaps_and_labels_stay_exact():
    plain = render_scene(SPEC)
    real = render_scene(dataclasses.replace(SPEC, realism=True))
    assert len(real.cars) == len(plain.cars) == 40
    # Labels still cover the painted cars exactly.
    w, h = SPEC.size
    mask = rasterise(real.cars, w, h)
    iou = (mask & real.car_mask).sum() / (mask | real.car_mask).sum()
    assert iou > 0.85
    polys = [Polygon(c.corners_px) for c in real.cars]
    for i, a in enumerate(polys):
        for b in polys[i + 1 :]:
            assert a.intersection(b).area < 0.01 * a.area
    # Bodies end at the headstocks: neighbours in a consist stand 0.6-1.8 m apart, wider
    # spread than the plain simulator's 0.8-1.3 m.
    gaps_real = [g for g in _gaps_m(real) if g < 3.0]
    gaps_plain = [g for g in _gaps_m(plain) if g < 3.0]
    assert len(gaps_real) >= 10 and gaps_plain
    assert min(gaps_real) > 0.55 and max(gaps_real) < 1.85
    assert np.ptp(gaps_real) > 1.5 * np.ptp(gaps_plain)
    # Every labelled car's rectangle is still inside the scene or flagged truncated.
    for c in real.cars:
        inside = ((c.corners_px >= 0) & (c.corners_px <= [w, h])).all()
        assert inside or c.truncated


def _cars_painted(scene) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each labelled car inside the scene: its rectangle's mask and the part painted as body."""
    w, h = scene.spec.size
    masks = [rasterise([car], w, h) for car in scene.cars if not car.truncated]
    return [(m, m & scene.car_mask) for m in masks]


def _painted_share(scene) -> list[float]:
    """For each labelled car, the share of its rectangle painted as car body."""
    return [float(p.sum() / max(1, m.sum())) for m, p in _cars_painted(scene)]


def test_realism_empty_flats_are_open_frames_the_track_shows_through():
    spec = dataclasses.replace(SPEC, mix={"flat": 24}, tarp_fraction=0.0, n_cars=None)
    plain, real = render_scene(spec), render_scene(dataclasses.replace(spec, realism=True))
    # Plain flats are solid decks; some realism flats are frames, labelled as whole cars
    # but painted as sills, cross-bearers and bogies only.
    assert min(_painted_share(plain)) > 0.95
    frames = [s for s in _painted_share(real) if s < 0.85]
    assert 2 <= len(frames) < 24
    assert len(real.cars) == len(plain.cars) == 24


def test_realism_roofs_are_not_all_dark():
    # The dark bar beside a real car is its shadow; its roof may be light. Realism cars
    # carry both light and dark roofs, not the uniformly dark paint an earlier version drew.
    spec = dataclasses.replace(SPEC, mix={"box": 40}, n_cars=None, realism=True)
    scene = render_scene(spec)
    lum = [float(scene.image[painted].mean()) for _, painted in _cars_painted(scene)]
    assert max(lum) > 140 and min(lum) < 100


def test_realism_catenary_shadows_fall_across_the_cars():
    # Find a realism scene with catenary (drawn for most realism yards) and compare the car
    # pixels with and without the overhead layer: the spans' shadows darken some of them.
    for seed in range(30, 60):
        spec = dataclasses.replace(SPEC, seed=seed, realism=True)
        scene = render_scene(spec)
        plain_over = _render_without_overhead(spec)
        if plain_over is None:
            continue
        diff = plain_over.astype(np.float32) - scene.image.astype(np.float32)
        on_cars = diff[scene.car_mask].mean(-1)
        # Darker by several levels on a thin share of the car pixels, never brighter.
        assert (on_cars > 8).mean() > 0.01
        assert (on_cars < -8).mean() < 0.002
        return
    pytest.fail("no realism scene among 30 seeds drew catenary")


def _render_without_overhead(spec: SceneSpec) -> np.ndarray | None:
    from railwatch.simulate import render as render_mod

    drawn = []
    orig = render_mod._Canvas.cast_late

    def skip(self, pts, width_m, strength=255):
        drawn.append(1)

    render_mod._Canvas.cast_late = skip
    try:
        img = render_scene(spec).image
    finally:
        render_mod._Canvas.cast_late = orig
    return img if drawn else None


def _ladder_power(gsd: float, realism: bool, seed: int) -> float:
    """Strength of the 0.6 m sleeper period (or its alias) along the tracks, over the median."""
    spec = SceneSpec(seed=seed, gsd=gsd, size=(256, 256), n_cars=0, clouds=False,
                     yard_bearing=0.0, realism=realism)  # fmt: skip
    img = render_scene(spec).image.mean(-1)
    # Tracks run along the rows (bearing 0): the sleepers repeat along x.
    f = gsd / 0.6
    f = abs(f - round(f))
    k = round(img.shape[1] * f)
    power = np.abs(np.fft.rfft(img - img.mean(1, keepdims=True), axis=1)).mean(0)
    return float(power[k - 1 : k + 2].max() / np.median(power[1:]))


def test_sleepers_show_at_fine_gsd_and_do_not_alias_at_coarse():
    seeds = range(5, 10)
    fine = [(_ladder_power(0.25, True, s), _ladder_power(0.25, False, s)) for s in seeds]
    assert np.mean([r for r, _ in fine]) > 1.8 * np.mean([p for _, p in fine])
    # At 0.5 m the 0.6 m period is under two pixels: averaged over the pixel it fades out
    # instead of aliasing into a false pattern.
    coarse = [(_ladder_power(0.5, True, s), _ladder_power(0.5, False, s)) for s in seeds]
    assert np.mean([r for r, _ in coarse]) < 1.4 * np.mean([p for _, p in coarse])


def test_a_realism_dataset_records_which_scenes_are_realistic(tmp_path):
    manifest = make_dataset(tmp_path / "d", 4, seed=3, size=(192, 192), realism=1.0, workers=1)
    assert manifest["realism"] == 1.0
    assert all(s["realism"] is True for s in manifest["scenes"])
    assert all(s["n_cars"] > 0 for s in manifest["scenes"])
    plain = make_dataset(tmp_path / "p", 4, seed=3, size=(192, 192), workers=1)
    assert plain["realism"] == 0.0
    assert not any(s["realism"] for s in plain["scenes"])
    # Same seeds, same places: only the realism changes.
    assert [s["gsd"] for s in plain["scenes"]] == [s["gsd"] for s in manifest["scenes"]]


def test_realism_stock_spans_short_two_axle_and_long_bogie_wagons():
    spec = dataclasses.replace(SPEC, size=(512, 384), mix={"box": 30, "flat": 20}, n_cars=None)
    plain, real = render_scene(spec), render_scene(dataclasses.replace(spec, realism=True))
    lengths = [c.length_m for c in real.cars]
    # Plain covered wagons are 13.8-17.0 m and flats 13.4-19.6 m; real stock is wider spread.
    assert all(13.3 <= c.length_m <= 19.7 for c in plain.cars)
    assert min(lengths) < 12.0 and max(lengths) > 20.5
