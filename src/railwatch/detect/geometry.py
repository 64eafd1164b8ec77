"""Oriented boxes: corners ⇄ (centre, length, width, angle), rotated IoU and NMS.

A railcar is a long thin rectangle, so boxes are parameterised by their long
axis: ``length`` ≥ ``width`` and ``angle`` is the long axis' direction in the
pixel grid (radians, x = column to the right, y = row downwards), defined
modulo π. Pixel coordinates are edge-based: (0, 0) is the top-left corner of
the top-left pixel.
"""

from __future__ import annotations

import numpy as np
from shapely import STRtree, area, intersection, polygons


def corners_to_params(corners: np.ndarray) -> np.ndarray:
    """(N, 4, 2) corners → (N, 5) rows of (cx, cy, length, width, angle)."""
    c = np.asarray(corners, dtype=np.float64).reshape(-1, 4, 2)
    centre = c.mean(axis=1)
    e0 = c[:, 1] - c[:, 0]
    e1 = c[:, 2] - c[:, 1]
    n0 = np.hypot(e0[:, 0], e0[:, 1])
    n1 = np.hypot(e1[:, 0], e1[:, 1])
    long_is_e0 = n0 >= n1
    long_vec = np.where(long_is_e0[:, None], e0, e1)
    length = np.maximum(n0, n1)
    width = np.minimum(n0, n1)
    angle = np.mod(np.arctan2(long_vec[:, 1], long_vec[:, 0]), np.pi)
    return np.column_stack([centre, length, width, angle])


def params_to_corners(params: np.ndarray) -> np.ndarray:
    """(N, ≥5) rows of (cx, cy, length, width, angle, …) → (N, 4, 2) corners."""
    p = np.asarray(params, dtype=np.float64).reshape(-1, np.shape(params)[-1])
    cx, cy, length, width, angle = (p[:, i] for i in range(5))
    ux, uy = np.cos(angle) * length / 2, np.sin(angle) * length / 2
    vx, vy = -np.sin(angle) * width / 2, np.cos(angle) * width / 2
    xs = np.stack([cx + ux + vx, cx - ux + vx, cx - ux - vx, cx + ux - vx], axis=1)
    ys = np.stack([cy + uy + vy, cy - uy + vy, cy - uy - vy, cy + uy - vy], axis=1)
    return np.stack([xs, ys], axis=2)


def to_polygons(corners: np.ndarray) -> np.ndarray:
    """Shapely polygons (an object array) from (N, 4, 2) corners."""
    c = np.asarray(corners, dtype=np.float64).reshape(-1, 4, 2)
    if len(c) == 0:
        return np.empty(0, dtype=object)
    return polygons(c)


def _pair_ious(pa: np.ndarray, pb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(i, j, IoU) for every pair of polygons of ``pa`` and ``pb`` that intersect."""
    if len(pa) == 0 or len(pb) == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0)
    ia, ib = STRtree(pb).query(pa, predicate="intersects")
    inter = area(intersection(pa[ia], pb[ib]))
    union = area(pa[ia]) + area(pb[ib]) - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        iou = np.where(union > 0, inter / union, 0.0)
    return ia, ib, iou


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Rotated IoU between every box of ``a`` and ``b`` ((N,4,2) and (M,4,2) corners)."""
    pa, pb = to_polygons(a), to_polygons(b)
    out = np.zeros((len(pa), len(pb)))
    ia, ib, iou = _pair_ious(pa, pb)
    out[ia, ib] = iou
    return out


def nms(corners: np.ndarray, scores: np.ndarray, iou_threshold: float = 0.3) -> np.ndarray:
    """Indices of the boxes kept by greedy rotated non-maximum suppression (best first).

    Class-agnostic on purpose: two railcars never overlap on the ground, so two
    overlapping boxes are one car seen twice whatever class each one says.
    """
    c = np.asarray(corners, dtype=np.float64).reshape(-1, 4, 2)
    if len(c) == 0:
        return np.empty(0, dtype=np.int64)
    polys = to_polygons(c)
    ia, ib, iou = _pair_ious(polys, polys)
    clash = (iou > iou_threshold) & (ia != ib)
    neighbours: dict[int, list[int]] = {}
    for i, j in zip(ia[clash].tolist(), ib[clash].tolist(), strict=True):
        neighbours.setdefault(i, []).append(j)
    order = np.argsort(-np.asarray(scores), kind="stable")
    suppressed = np.zeros(len(c), dtype=bool)
    keep = []
    for i in order.tolist():
        if suppressed[i]:
            continue
        keep.append(i)
        for j in neighbours.get(i, ()):
            suppressed[j] = True
    return np.asarray(keep, dtype=np.int64)


def ccw_rings(corners: np.ndarray) -> np.ndarray:
    """(N, 5, 2) closed rings, counter-clockwise in the given axes (x right, y up)."""
    c = np.asarray(corners, dtype=np.float64).reshape(-1, 4, 2)
    x, y = c[..., 0], c[..., 1]
    signed = (x * np.roll(y, -1, axis=1) - np.roll(x, -1, axis=1) * y).sum(axis=1)
    c = np.where((signed < 0)[:, None, None], c[:, ::-1], c)
    return np.concatenate([c, c[:, :1]], axis=1)
