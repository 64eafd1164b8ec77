"""Oriented boxes: parameters, IoU, NMS, rings."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from railwatch.detect import geometry


@settings(max_examples=50, deadline=None)
@given(
    cx=st.floats(0, 500),
    cy=st.floats(0, 500),
    length=st.floats(10, 60),
    ratio=st.floats(0.1, 0.9),
    angle=st.floats(0, np.pi - 1e-6),
)
def test_params_corners_round_trip(cx, cy, length, ratio, angle) -> None:
    p = np.array([[cx, cy, length, length * ratio, angle]])
    back = geometry.corners_to_params(geometry.params_to_corners(p))[0]
    assert np.allclose(back[:4], p[0, :4], atol=1e-6)
    d = abs(back[4] - angle) % np.pi
    assert min(d, np.pi - d) < 1e-6


def test_iou_of_shifted_boxes() -> None:
    a = geometry.params_to_corners(np.array([[50, 50, 30, 6, 0.3]]))
    b = geometry.params_to_corners(
        np.array(
            [
                [50, 50, 30, 6, 0.3],
                [50 + 15 * np.cos(0.3), 50 + 15 * np.sin(0.3), 30, 6, 0.3],
                [200, 200, 30, 6, 0],
            ]
        )
    )
    iou = geometry.iou_matrix(a, b)[0]
    assert abs(iou[0] - 1.0) < 1e-9
    assert abs(iou[1] - 1 / 3) < 1e-6  # half overlap: 15*6 / (2*180 - 90)
    assert iou[2] == 0.0


def test_nms_keeps_best_of_overlapping_and_all_of_a_consist() -> None:
    consist = [[20 + 32 * i, 40, 30, 6, 0.0] for i in range(5)]
    dupes = [[20.5 + 32 * i, 40.3, 29, 6, 0.02] for i in range(5)]
    params = np.array(consist + dupes)
    scores = np.array([0.9] * 5 + [0.5] * 5)
    keep = geometry.nms(geometry.params_to_corners(params), scores, 0.3)
    assert sorted(keep.tolist()) == [0, 1, 2, 3, 4]


def test_ring_is_closed_and_counter_clockwise() -> None:
    from shapely.geometry import Polygon

    c = geometry.params_to_corners(np.array([[0, 0, 4, 2, 0.5]]))[0]
    for corners in (c, c[::-1]):
        (r,) = geometry.ccw_rings(corners)
        assert (r[0] == r[-1]).all() and len(r) == 5
        assert Polygon(r).exterior.is_ccw
