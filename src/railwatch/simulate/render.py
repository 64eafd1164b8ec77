"""Render an overhead rail-yard scene with exact railcar ground truth.

The scene is laid out in metres, drawn at twice the output resolution (PIL
polygons for the ground, a numpy "shader" per railcar so car outlines are exact),
lit by a sun placed from the acquisition time, then passed through a sensor model:
box-averaged downsampling, a Gaussian MTF, pan-sharpening colour fringes, haze,
clouds, shot and read noise, quantisation and optional JPEG.

Coordinates: metres in the image frame (x to the right, y down) from the image's
top-left corner; output pixel (col, row) covers [col, col+1) x [row, row+1).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field, replace
from datetime import datetime

import numpy as np
from affine import Affine
from PIL import Image, ImageDraw
from pyproj import Transformer
from shapely.geometry import Polygon

from railwatch.errors import InputError
from railwatch.railcars import CLASSES
from railwatch.simulate.spec import SceneSpec, sun_position
from railwatch.simulate.stock import (
    CLASS_WEIGHTS,
    CONTAINER_COLOURS,
    FLAT_LOADS,
    OPEN_LOADS,
    REAL_COLOURS,
    REAL_LENGTHS,
    STOCK,
    TARP_COLOURS,
)

SS = 2  # supersampling factor of the drawing canvas

# Materials of the canvas; tables below say how each one takes texture, snow, shadow, NIR.
SOIL, GRASS, BALLAST, BED, RAIL, ROAD, CONCRETE, WATER, ROOF, TREE, CONTAINER, VEHICLE, CAR = range(
    13
)
N_MAT = 16
_GRAIN = np.zeros(N_MAT, np.float32)
_GRAIN[[SOIL, GRASS, BALLAST, BED, RAIL, ROAD, CONCRETE, WATER, ROOF, TREE, CONTAINER, VEHICLE]] = [
    0.06, 0.16, 0.06, 0.08, 0.04, 0.03, 0.03, 0.02, 0.03, 0.18, 0.03, 0.03
]  # fmt: skip
_LOWFREQ = np.zeros(N_MAT, np.float32)
_LOWFREQ[[SOIL, GRASS, BALLAST, BED, ROAD, CONCRETE, WATER, TREE]] = [
    0.18, 0.22, 0.10, 0.08, 0.06, 0.05, 0.06, 0.10
]  # fmt: skip
_SNOW = np.zeros(N_MAT, np.float32)
_SNOW[[SOIL, GRASS, BALLAST, BED, RAIL, ROAD, CONCRETE, WATER, ROOF, TREE, CONTAINER, VEHICLE]] = [
    1.0, 1.0, 0.85, 0.55, 0.15, 0.45, 0.9, 0.8, 0.95, 0.45, 0.7, 0.3
]  # fmt: skip
_NIR = np.ones(N_MAT, np.float32)
_NIR[[SOIL, GRASS, WATER, TREE, ROAD]] = [1.25, 2.6, 0.25, 2.9, 0.95]
_SHADOWED = np.ones(N_MAT, np.float32)
_SHADOWED[[ROOF, CONTAINER, VEHICLE, CAR]] = 0.0

SNOW_RGB = np.array([226, 230, 236], np.float32)
HAZE_RGB = np.array([190, 193, 198], np.float32)
CLOUD_RGB = np.array([238, 240, 243], np.float32)


@dataclass(frozen=True, eq=False)
class CarLabel:
    """One railcar's ground truth.

    ``corners_px`` are the four corners of the car's visible oriented box in output
    pixel coordinates (x = column, y = row, pixel-corner convention), in drawing order.
    Corners of a truncated car may lie outside the image.
    """

    railcar_class: str
    corners_px: np.ndarray
    tarped: bool
    occluded: bool
    truncated: bool
    length_m: float
    width_m: float
    load: str = ""

    def __post_init__(self) -> None:
        if self.railcar_class not in CLASSES:
            raise InputError(f"unknown railcar class {self.railcar_class!r}")
        if np.shape(self.corners_px) != (4, 2):
            raise InputError("corners_px must be 4 (x, y) pairs")


@dataclass(frozen=True, eq=False)
class Scene:
    """A rendered scene: pixels, georeferencing, labels and what it was made from."""

    image: np.ndarray
    transform: Affine
    crs: str
    cars: list[CarLabel]
    spec: SceneSpec
    acquired: datetime
    car_mask: np.ndarray  # (H, W) bool: pixels at least half covered by a railcar body
    sun_elevation: float
    sun_azimuth: float
    cloud_fraction: float = 0.0
    meta: dict = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(CLASSES, 0)
        for c in self.cars:
            out[c.railcar_class] += 1
        return out


# ---------------------------------------------------------------------------- helpers


def _hull(points: np.ndarray) -> np.ndarray:
    """Convex hull (monotone chain) of a few 2-D points."""
    pts = sorted(map(tuple, np.round(points, 6)))
    if len(pts) <= 2:
        return np.array(pts)

    def cross(o, a, b):
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list = []
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return np.array(lower[:-1] + upper[:-1])


def _rect(centre: np.ndarray, d: np.ndarray, length: float, width: float) -> np.ndarray:
    """Corners of an oriented rectangle: centre, unit direction of its length."""
    n = np.array([-d[1], d[0]])
    hl, hw = d * (length / 2), n * (width / 2)
    return np.array([centre - hl - hw, centre + hl - hw, centre + hl + hw, centre - hl + hw])


def _smooth_noise(rng: np.random.Generator, shape: tuple[int, int], cell: int) -> np.ndarray:
    """Smooth noise in [-1, 1]-ish at ``shape``, varying over about ``cell`` pixels."""
    h, w = shape
    gh, gw = max(2, h // cell + 2), max(2, w // cell + 2)
    small = rng.standard_normal((gh, gw)).astype(np.float32)
    img = Image.fromarray(small, mode="F").resize((w, h), Image.BICUBIC)
    return np.asarray(img, dtype=np.float32) * 0.8


class _Canvas:
    """The supersampled drawing surface: colour, material, shadow and occluder layers."""

    def __init__(self, spec: SceneSpec, rgb: Image.Image, mat: Image.Image) -> None:
        self.k = SS / spec.gsd  # fine pixels per metre
        self.rgb = rgb
        self.mat = mat
        self.shadow = Image.new("L", self.rgb.size, 0)
        # Shadows of things above the cars (catenary), applied after the cars are painted.
        self.late: Image.Image | None = None
        self.over: Image.Image | None = None  # roofs over the cars, made when first needed
        self.over_mask: Image.Image | None = None
        self.d_rgb = ImageDraw.Draw(self.rgb)
        self.d_mat = ImageDraw.Draw(self.mat)
        self.d_sh = ImageDraw.Draw(self.shadow)

    def px(self, pts: np.ndarray) -> list[tuple[float, float]]:
        return [(float(x), float(y)) for x, y in np.asarray(pts) * self.k - 0.5]

    def poly(self, pts: np.ndarray, colour, mat: int | None) -> None:
        p = self.px(pts)
        self.d_rgb.polygon(p, fill=tuple(int(c) for c in colour))
        if mat is not None:
            self.d_mat.polygon(p, fill=mat)

    def line(self, pts: np.ndarray, colour, mat: int | None, width_m: float) -> None:
        p = self.px(pts)
        w = max(1, round(width_m * self.k))
        self.d_rgb.line(p, fill=tuple(int(c) for c in colour), width=w, joint="curve")
        if mat is not None:
            self.d_mat.line(p, fill=mat, width=w, joint="curve")

    def ellipse(self, centre, radius_m: float, colour, mat: int | None) -> None:
        (x, y) = self.px(np.array([centre]))[0]
        r = radius_m * self.k
        self.d_rgb.ellipse((x - r, y - r, x + r, y + r), fill=tuple(int(c) for c in colour))
        if mat is not None:
            self.d_mat.ellipse((x - r, y - r, x + r, y + r), fill=mat)

    def cast(self, pts: np.ndarray) -> None:
        self.d_sh.polygon(self.px(pts), fill=255)

    def cast_line(self, pts: np.ndarray, width_m: float) -> None:
        self.d_sh.line(self.px(pts), fill=255, width=max(1, round(width_m * self.k)))

    def cast_late(self, pts: np.ndarray, width_m: float, strength: int = 255) -> None:
        if self.late is None:
            self.late = Image.new("L", self.rgb.size, 0)
            self.d_late = ImageDraw.Draw(self.late)
        w = max(1, round(width_m * self.k))
        # Thinner than a fine pixel: drawn one pixel wide at partial strength.
        strength = round(strength * min(1.0, width_m * self.k / w))
        self.d_late.line(self.px(pts), fill=strength, width=w)

    def cover(self, pts: np.ndarray, colour) -> None:
        if self.over is None:
            self.over = Image.new("RGB", self.rgb.size, 0)
            self.over_mask = Image.new("L", self.rgb.size, 0)
            self.d_over = ImageDraw.Draw(self.over)
            self.d_over_m = ImageDraw.Draw(self.over_mask)
        p = self.px(pts)
        self.d_over.polygon(p, fill=tuple(int(c) for c in colour))
        self.d_over_m.polygon(p, fill=255)


def _jitter(rng: np.random.Generator, colour, amount: float = 0.08) -> np.ndarray:
    c = np.asarray(colour, np.float32) * (1 + rng.normal(0, amount))
    return np.clip(c + rng.normal(0, 2, 3), 0, 255)


def _weather(colour: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Faded, dusty paint: pull toward grey and a little toward rust."""
    lum = float(colour.mean())
    fade = float(rng.uniform(0.55, 0.85))
    c = lum + (colour - lum) * fade
    return np.clip(c * 0.9 + np.array([128, 112, 96], np.float32) * 0.1, 0, 255)


# ---------------------------------------------------------------------------- the yard


@dataclass
class _Track:
    p0: np.ndarray  # centre line start (metres)
    d: np.ndarray  # unit direction
    length: float
    s: float  # offset across the yard
    t_in: float  # visible range of the centre line along t
    t_out: float
    gauge: float
    dual: bool
    blocked: list = field(default_factory=list)  # (t0, t1) where no car may stand


@dataclass
class _Car:
    cls: str
    length: float
    width: float
    colour: np.ndarray
    load: str
    tarped: bool
    centre: np.ndarray = field(default_factory=lambda: np.zeros(2))
    d: np.ndarray = field(default_factory=lambda: np.array([1.0, 0.0]))
    seed: int = 0


class _Yard:
    """Lays the yard out in metres and draws everything but the railcars."""

    def __init__(self, spec: SceneSpec, rng: np.random.Generator) -> None:
        self.spec = spec
        self.rng = rng
        w, h = spec.size
        self.wm, self.hm = w * spec.gsd, h * spec.gsd
        bearing = (
            spec.yard_bearing if spec.yard_bearing is not None else spec.frame.yard_bearing_deg
        )
        bearing += float(rng.normal(0, 1.0))
        a = math.radians(bearing)
        # Counter-clockwise from east on the ground = clockwise in image (y down).
        self.d = np.array([math.cos(a), -math.sin(a)])
        self.n = np.array([-self.d[1], self.d[0]])
        self.centre = np.array([self.wm / 2, self.hm / 2])
        self.half_diag = math.hypot(self.wm, self.hm) / 2 + 60
        self.tracks: list[_Track] = []
        self.occluders: list[Polygon] = []

    def at(self, t: float, s: float) -> np.ndarray:
        return self.centre + self.d * t + self.n * s

    def rect_ts(self, t0: float, t1: float, s0: float, s1: float) -> np.ndarray:
        return np.array([self.at(t0, s0), self.at(t1, s0), self.at(t1, s1), self.at(t0, s1)])

    def _visible(self, s: float) -> tuple[float, float]:
        """Range of t where the centre line at offset s lies inside the image."""
        lo, hi = -math.inf, math.inf
        p = self.centre + self.n * s
        for axis, size in ((0, self.wm), (1, self.hm)):
            dv = self.d[axis]
            if abs(dv) < 1e-9:
                if not 0 <= p[axis] <= size:
                    return 0.0, -1.0
                continue
            a, b = (0 - p[axis]) / dv, (size - p[axis]) / dv
            lo, hi = max(lo, min(a, b)), min(hi, max(a, b))
        return lo, hi

    def plan(self, needed_m: float) -> None:
        rng = self.rng
        span = max(self.wm, self.hm)
        base = int(rng.integers(6, 22)) if rng.random() < 0.7 else int(rng.integers(20, 45))
        need_tracks = int(math.ceil(needed_m * 1.25 / max(30.0, min(self.wm, self.hm) * 0.9)))
        n_tracks = max(base, need_tracks + 2)
        real = self.spec.realism
        if real:
            # Track after track across the whole scene, as in a marshalling yard.
            n_tracks = max(n_tracks, int(span * 1.5 / 4.6) + 2)
        self.yard_style = rng.random()
        self.offset0 = float(rng.uniform(-0.15, 0.15)) * min(self.wm, self.hm)
        if need_tracks * 4.9 > 0.5 * min(self.wm, self.hm) or real:
            self.offset0 = 0.0  # a busy yard needs every track the scene can show
        s = self.offset0 - 0.5 * 4.9 * n_tracks
        self.platform_between: list[tuple[float, float]] = []
        self.strips: list[tuple[float, float]] = []
        for i in range(n_tracks):
            if i:
                gap = float(rng.uniform(4.4, 4.9) if real else rng.uniform(4.5, 5.3))
                r = rng.random() * (3.0 if real else 1.0)
                if r < 0.06 and i < n_tracks - 1:
                    gap = float(rng.uniform(9.0, 11.0))  # a platform goes here
                    self.platform_between.append((s + 2.2, s + gap - 2.2))
                elif r < 0.11 and 3 < i < n_tracks - 3:
                    # Big yards come in groups of tracks with a strip of grass between.
                    gap = float(rng.uniform(10.0, 30.0))
                    self.strips.append((s + 3.5, s + gap - 3.5))
                s += gap
            lo, hi = self._visible(s)
            if hi - lo < 20:
                continue
            # Dual gauge: a third rail for 1435 mm inside the 1520 mm pair on some tracks.
            dual = bool(rng.random() < 0.3)
            gauge = 1.520 if rng.random() < 0.65 else 1.435
            tr = _Track(self.at(-self.half_diag, s), self.d, 2 * self.half_diag, s, lo, hi,
                        gauge, dual)  # fmt: skip
            # Stub tracks end at a buffer stop inside the scene.
            if rng.random() < 0.15:
                cut = float(rng.uniform(lo + 0.3 * (hi - lo), hi))
                if rng.random() < 0.5:
                    tr.blocked.append((cut, math.inf))
                    tr.length = cut + self.half_diag
                else:
                    tr.blocked.append((-math.inf, cut - (hi - lo) * 0.3))
            self.tracks.append(tr)
        self.s_lo = min(t.s for t in self.tracks) - 4.0 if self.tracks else -10.0
        self.s_hi = max(t.s for t in self.tracks) + 4.0 if self.tracks else 10.0
        # Sheds straddling one or two tracks hide the cars inside them.
        self.sheds: list[tuple[float, float, float, float, float]] = []
        if self.tracks and rng.random() < 0.35:
            k = int(rng.integers(0, len(self.tracks)))
            width_tracks = int(rng.integers(1, 3))
            ts = self.tracks[k : k + width_tracks]
            lo, hi = ts[0].t_in, ts[0].t_out
            t0 = float(rng.uniform(lo, hi - 20))
            t1 = t0 + float(rng.uniform(40, 90))
            s0, s1 = ts[0].s - 3.4, ts[-1].s + 3.4
            self.sheds.append((t0, t1, s0, s1, float(rng.uniform(7, 11))))
            for tr in ts:
                tr.blocked.append((t0 + 6.0, t1 - 6.0))
        self.span = span

    # ---- drawing of the ground and the yard furniture
    def draw(self, cv: _Canvas, sun_off: np.ndarray, lean: np.ndarray) -> None:
        rng, spec = self.rng, self.spec
        winter = spec.season == "winter"
        H = self.half_diag
        # The yard bed: ballast over the whole band of tracks.
        fresh = self.yard_style > 0.4
        ballast = np.array([164, 164, 160] if fresh else [132, 124, 112], np.float32)
        cv.poly(self.rect_ts(-H, H, self.s_lo - 2, self.s_hi + 2), _jitter(rng, ballast, 0.05),
                BALLAST)  # fmt: skip
        # Worn strips of older, browner ballast between groups of tracks.
        for _ in range(int(rng.integers(0, 4))):
            s0 = float(rng.uniform(self.s_lo, self.s_hi))
            cv.poly(self.rect_ts(-H, H, s0, s0 + float(rng.uniform(4, 15))),
                    _jitter(rng, [118, 106, 90], 0.06), BALLAST)  # fmt: skip
        # Roads along the yard, service road inside the fence.
        road_s = self.s_hi + float(rng.uniform(6, 20))
        road_w = float(rng.uniform(5.5, 9.0))
        asphalt = rng.random() < 0.6
        road_col = _jitter(rng, [108, 104, 97] if asphalt else [150, 136, 112], 0.06)
        cv.poly(self.rect_ts(-H, H, road_s, road_s + road_w), road_col, ROAD)
        self.roads = [(road_s, road_s + road_w, self.d)]
        # A road crossing the yard at an angle (level crossing).
        if rng.random() < 0.4:
            t = float(rng.uniform(-0.3, 0.3)) * self.span
            ang = float(rng.uniform(60, 120))
            dd = np.array([math.cos(math.radians(ang)), math.sin(math.radians(ang))])
            dd = self.d * dd[0] + self.n * dd[1]
            c = self.at(t, (self.s_lo + self.s_hi) / 2)
            w = float(rng.uniform(6, 8))
            cv.poly(_rect(c, dd, 2 * H, w), road_col, ROAD)
            self.cross_road = (c, dd, w)
        else:
            self.cross_road = None
        for s0, s1 in self.strips:
            green = [96, 112, 66] if spec.season == "summer" else [140, 128, 108]
            cv.poly(self.rect_ts(-H, H, s0, s1), _jitter(rng, green, 0.08), GRASS)
        # Platforms with canopies.
        for s0, s1 in self.platform_between:
            cv.poly(self.rect_ts(-H, H, s0, s1), _jitter(rng, [168, 166, 158], 0.05), CONCRETE)
        # Track beds and rails.
        # Track beds: the same ballast, a shade darker from sleepers and oil; old yards rusty.
        if self.yard_style < 0.3:
            bed_col = np.array([110, 96, 78], np.float32)
        else:
            bed_col = ballast * float(rng.uniform(0.86, 0.95))
        # A rail and its shadow read as a dark line ~0.28 m wide; thinner than a canvas
        # pixel it is drawn one pixel wide at partial strength.
        self.rail_px = max(1, round(0.28 * cv.k))
        rail_alpha = min(1.0, 0.28 * cv.k / self.rail_px)
        for tr in self.tracks:
            self._track(cv, tr.p0, tr.p0 + tr.d * tr.length, tr, bed_col, rail_alpha, ballast)
        # Crossovers between neighbouring tracks (1:9 turnouts) and a curve leaving the yard.
        for i in range(len(self.tracks) - 1):
            if rng.random() < 0.35:
                a, b = self.tracks[i], self.tracks[i + 1]
                ds = b.s - a.s
                if ds > 6:
                    continue
                t0 = float(rng.uniform(a.t_in, a.t_out))
                sign = 1 if rng.random() < 0.5 else -1
                p0, p1 = self.at(t0, a.s), self.at(t0 + sign * ds * 9, b.s)
                self._track(cv, p0, p1, a, bed_col, rail_alpha, ballast)
        if self.tracks and rng.random() < 0.6:
            edge = self.tracks[-1] if rng.random() < 0.5 else self.tracks[0]
            sign = 1 if edge is self.tracks[-1] else -1
            t0 = float(rng.uniform(-0.4, 0.2)) * self.span
            radius = float(rng.uniform(180, 400))
            ts = np.linspace(0, 0.9 * radius, 40)
            pts = np.array([self.at(t0 + radius * math.sin(x / radius),
                                    edge.s + sign * radius * (1 - math.cos(x / radius)))
                            for x in ts])  # fmt: skip
            for j in range(len(pts) - 1):
                self._track(cv, pts[j], pts[j + 1], edge, bed_col, rail_alpha, ballast, cap=False)
        # Fence along the yard's far side.
        fence_s = self.s_lo - float(rng.uniform(3, 8))
        cv.line(np.array([self.at(-H, fence_s), self.at(H, fence_s)]), (70, 72, 70), None, 0.15)
        cv.cast_line(np.array([self.at(-H, fence_s), self.at(H, fence_s)]) + sun_off * 2.0, 0.1)
        # Buildings, container stacks, trees on both sides of the yard.
        self._buildings(cv, sun_off, lean, road_s + road_w + 4, winter)
        # Catenary masts with long shadows (electrified yards only).
        if rng.random() < (0.85 if spec.realism else 0.45) and len(self.tracks) >= 2:
            self._catenary(cv, sun_off, lean)
        for t0, t1, s0, s1, h in self.sheds:
            roof = self.rect_ts(t0, t1, s0, s1)
            col = _jitter(rng, [128, 132, 134] if rng.random() < 0.5 else [120, 78, 62], 0.06)
            if winter:
                col = col * 0.3 + SNOW_RGB * 0.7
            cv.cover(roof + lean * h, col)
            cv.cast(_hull(np.vstack([roof, roof + sun_off * h])))
            self.occluders.append(Polygon((roof + lean * h) / self.spec.gsd))
        for s0, s1 in self.platform_between:
            if rng.random() < 0.7:
                t0 = float(rng.uniform(-0.4, 0.2)) * self.span
                t1 = t0 + float(rng.uniform(40, 120))
                roof = self.rect_ts(t0, t1, s0 - 1.4, s1 + 1.4)
                col = _jitter(rng, [150, 150, 146], 0.08)
                if winter:
                    col = col * 0.3 + SNOW_RGB * 0.7
                cv.cover(roof + lean * 5.5, col)
                cv.cast(_hull(np.vstack([roof, roof + sun_off * 5.5])))
                self.occluders.append(Polygon((roof + lean * 5.5) / self.spec.gsd))

    def _track(self, cv, p0, p1, tr, bed_col, rail_alpha, ballast, cap=True) -> None:
        d = (p1 - p0) / max(1e-9, np.linalg.norm(p1 - p0))
        n = np.array([-d[1], d[0]])
        length = float(np.linalg.norm(p1 - p0))
        mid = (p0 + p1) / 2
        cv.poly(_rect(mid, d, length + (0 if cap else 0.5), 2.7), _jitter(self.rng, bed_col, 0.04),
                BED)  # fmt: skip
        rail = np.array([34, 31, 28], np.float32) * rail_alpha + ballast * (1 - rail_alpha)
        offsets = [-tr.gauge / 2, tr.gauge / 2]
        if tr.dual:
            offsets.append(-tr.gauge / 2 + (1.520 if tr.gauge < 1.5 else 1.435))
        for o in offsets:
            cv.line(np.array([p0 + n * o, p1 + n * o]), rail, RAIL, (self.rail_px - 0.4) / cv.k)

    def _buildings(self, cv, sun_off, lean, s_far, winter) -> None:
        rng = self.rng
        placed: list[tuple[float, float, float, float]] = []
        # Space beyond the road on one side and beyond the fence on the other.
        sides = [(s_far, s_far + 120), (self.s_lo - 130, self.s_lo - 10)]
        for _ in range(int(rng.integers(2, 9))):
            s_a, s_b = sides[int(rng.integers(0, 2))]
            lw, ww = float(rng.uniform(20, 90)), float(rng.uniform(10, 30))
            t0 = float(rng.uniform(-0.6, 0.6)) * self.span
            s0 = float(rng.uniform(s_a, max(s_a + 1, s_b - ww)))
            box = (t0, t0 + lw, s0, s0 + ww)
            if any(not (box[1] < b[0] - 4 or box[0] > b[1] + 4 or box[3] < b[2] - 4
                        or box[2] > b[3] + 4) for b in placed):  # fmt: skip
                continue
            placed.append(box)
            h = float(rng.uniform(5, 12))
            roof = self.rect_ts(*box)
            cv.cast(_hull(np.vstack([roof, roof + sun_off * h])))
            base = [
                [150, 150, 148],
                [128, 84, 66],
                [88, 104, 132],
                [186, 184, 178],
                [110, 112, 108],
            ]
            col = _jitter(rng, base[int(rng.integers(0, len(base)))], 0.06)
            if winter:
                col = col * 0.25 + SNOW_RGB * 0.75
            top = roof + lean * h
            cv.poly(_hull(np.vstack([roof, top])), col * 0.7, ROOF)  # walls seen off-nadir
            cv.poly(top, col, ROOF)
            # Ridge line and roof panels.
            mid = (s0 + box[3]) / 2
            ridge = np.array([self.at(box[0], mid), self.at(box[1], mid)]) + lean * h
            cv.line(ridge, col * 0.8, ROOF, 0.3)
        # Containers stacked on the ground: similar in size to railcars (distractors).
        if rng.random() < 0.6:
            s_a, s_b = sides[int(rng.integers(0, 2))]
            t0 = float(rng.uniform(-0.5, 0.3)) * self.span
            s0 = float(rng.uniform(s_a, s_b - 20))
            rows, cols = int(rng.integers(2, 6)), int(rng.integers(2, 8))
            for r in range(rows):
                for c in range(cols):
                    if rng.random() < 0.25:
                        continue
                    clen = 12.19 if rng.random() < 0.5 else 6.06
                    tt = t0 + c * 13.0
                    ss_ = s0 + r * 2.9
                    levels = int(rng.integers(1, 4))
                    h = 2.6 * levels
                    rect = _rect(self.at(tt + clen / 2, ss_ + 1.22), self.d, clen, 2.44)
                    cv.cast(_hull(np.vstack([rect, rect + sun_off * h])))
                    col = _jitter(rng, CONTAINER_COLOURS[int(rng.integers(0, 8))], 0.06)
                    if winter:
                        col = col * 0.5 + SNOW_RGB * 0.5
                    cv.poly(rect + lean * h, col, CONTAINER)
        # Vehicles on the road: trucks are railcar-sized distractors.
        for road_s0, road_s1, dd in self.roads:
            for _ in range(int(rng.integers(0, 7))):
                t = float(rng.uniform(-0.5, 0.5)) * self.span
                lane = road_s0 + (road_s1 - road_s0) * (0.3 if rng.random() < 0.5 else 0.7)
                truck = rng.random() < 0.6
                ln, wd = (float(rng.uniform(10, 16.5)), 2.5) if truck else (4.5, 1.8)
                c = self.at(t, lane)
                rect = _rect(c, dd, ln, wd)
                h = 3.8 if truck else 1.5
                cv.cast(_hull(np.vstack([rect, rect + sun_off * h])))
                col = _jitter(rng, CONTAINER_COLOURS[int(rng.integers(0, 8))], 0.1)
                cv.poly(rect + lean * h, col, VEHICLE)
                if truck:
                    cab = _rect(c + dd * (ln / 2 - 1.2), dd, 2.3, 2.5)
                    cv.poly(cab + lean * h, _jitter(rng, [170, 170, 170], 0.2), VEHICLE)
        # Trees: clumps away from the yard.
        for _ in range(int(rng.integers(5, 40))):
            s_a, s_b = sides[int(rng.integers(0, 2))]
            t = float(rng.uniform(-0.6, 0.6)) * self.span
            s = float(rng.uniform(s_a - 20, s_b + 60))
            if self.s_lo - 8 < s < self.s_hi + 8:
                continue  # no trees on the tracks
            if any(b[0] - 3 < t < b[1] + 3 and b[2] - 3 < s < b[3] + 3 for b in placed):
                continue
            r = float(rng.uniform(1.5, 4.5))
            h = r * 2.2
            c = self.at(t, s)
            lobes = [(c, r)] + [
                (c + rng.normal(0, r * 0.5, 2), r * float(rng.uniform(0.5, 0.8)))
                for _ in range(int(rng.integers(1, 4)))
            ]
            for cc, rr in lobes:  # the crown's shadow, joined to the trunk's foot
                for f in (0.25, 0.5, 0.75):
                    cv.d_sh.ellipse(self._circle(cv, cc + sun_off * h * f, rr * 0.9), fill=255)
            base = [74, 96, 52] if not winter else [84, 76, 66]
            for cc, rr in lobes:
                cv.ellipse(cc + lean * h, rr, _jitter(rng, base, 0.1), TREE)
            # Sunlit side of the crown.
            cv.ellipse(c + lean * h - sun_off / max(1.0, np.linalg.norm(sun_off)) * r * 0.35,
                       r * 0.55, _jitter(rng, np.array(base) * 1.25, 0.05), TREE)  # fmt: skip

    @staticmethod
    def _circle(cv, c, r):
        (x, y) = cv.px(np.array([c]))[0]
        rr = r * cv.k
        return (x - rr, y - rr, x + rr, y + rr)

    def _catenary(self, cv, sun_off, lean) -> None:
        rng = self.rng
        spacing = float(rng.uniform(45, 65))
        t = float(rng.uniform(0, spacing)) - self.half_diag
        mast_h, wire_h = 9.0, 7.5
        if self.spec.realism:
            # Contact wires over every track: faint lines, and their fainter shadows, that
            # run along the cars beneath.
            H = self.half_diag
            for tr in self.tracks:
                wire = np.array([self.at(-H, tr.s), self.at(H, tr.s)])
                cv.cast_late(wire + lean * wire_h, 0.04, 90)
                cv.cast_late(wire + sun_off * wire_h, 0.06, 110)
        while t < self.half_diag:
            # A portal: masts at both sides of the yard and a cross-span over the tracks.
            a, b = self.at(t, self.s_lo - 1.0), self.at(t, self.s_hi + 1.0)
            for base in (a, b):
                cv.line(np.array([base, base + lean * mast_h]), (80, 80, 80), None, 0.4)
                cv.cast_line(np.array([base, base + sun_off * mast_h]), 0.45)
            if self.spec.realism:
                # The cross-span is a truss above the cars; it and its shadow cross them.
                span = np.array([a + lean * wire_h, b + lean * wire_h])
                cv.cast_late(span, float(self.rng.uniform(0.25, 0.5)), 200)
                cv.cast_late(np.array([a + sun_off * wire_h, b + sun_off * wire_h]), 0.4)
            else:
                cv.line(np.array([a + lean * wire_h, b + lean * wire_h]), (70, 70, 70), None, 0.12)
                cv.cast_line(np.array([a + sun_off * wire_h, b + sun_off * wire_h]), 0.2)
            t += spacing

    # ---- placing railcars
    def place(self, cars: list[_Car]) -> list[_Car]:
        """Couple cars into consists along free tracks; returns the placed cars."""
        rng = self.rng
        if not cars:
            return []
        if not self.tracks:
            raise InputError("no track fits in this scene; make it larger")
        capacity = sum(max(0.0, t.t_out - t.t_in) for t in self.tracks)
        needed = sum(c.length + 1.0 for c in cars)
        slack = max(0.0, capacity - needed)
        real = self.spec.realism
        # Realism: long consists; bodies end at the headstocks, so the buffers and
        # couplers leave a dark gap of about a metre to two between neighbours.
        consist = (10, 40) if real else (3, 30)
        coupling = (0.6, 1.8) if real else (0.8, 1.3)
        for attempt in range(3):
            queue = list(cars)
            placed: list[_Car] = []
            order = list(rng.permutation(len(self.tracks)))
            # Spread consists over the yard: busy yards fill tracks, quiet ones leave gaps.
            gap_scale = slack / max(1, len(self.tracks)) * (0.5 if attempt == 0 else 0.0)
            for ti in order:
                if not queue:
                    break
                tr = self.tracks[ti]
                cursor = tr.t_in - float(rng.uniform(0.0, 12.0))
                if attempt == 0 and rng.random() < 0.3:
                    cursor += float(rng.uniform(0, gap_scale))
                in_consist = int(rng.integers(*consist))
                while queue:
                    car = queue[0]
                    centre_t = cursor + car.length / 2
                    if centre_t > tr.t_out - 0.5:
                        break
                    hit = next((b for b in tr.blocked
                                if b[0] - car.length / 2 < centre_t < b[1] + car.length / 2),
                               None)  # fmt: skip
                    if hit is not None:
                        if hit[1] == math.inf:
                            break
                        cursor = max(cursor + 0.1, hit[1] + 0.5)
                        continue
                    if centre_t < tr.t_in + 0.5:
                        cursor = tr.t_in + 0.6 - car.length / 2  # margin beats rounding
                        continue
                    car.centre = self.at(centre_t, tr.s)
                    car.d = self.d if rng.random() < 0.5 else -self.d
                    placed.append(queue.pop(0))
                    cursor += car.length + float(rng.uniform(*coupling))
                    in_consist -= 1
                    if in_consist == 0:
                        in_consist = int(rng.integers(*consist))
                        if attempt == 0:
                            far = 10 if real else 20 + gap_scale * 0.3
                            cursor += float(rng.uniform(3 if real else 8, far))
            if not queue:
                return placed
        raise InputError(
            f"{len(cars)} railcars do not fit on the tracks of a "
            f"{self.spec.size[0]}x{self.spec.size[1]} px scene at {self.spec.gsd} m; "
            "make the scene larger or ask for fewer cars"
        )


# ---------------------------------------------------------------------------- railcars


def _choose_cars(spec: SceneSpec, rng: np.random.Generator) -> list[_Car]:
    if spec.mix is not None:
        classes = [c for c in CLASSES for _ in range(int(spec.mix.get(c, 0)))]
    else:
        n = spec.n_cars if spec.n_cars is not None else int(rng.integers(0, 121))
        w = np.array([CLASS_WEIGHTS[c] for c in CLASSES])
        classes = list(rng.choice(CLASSES, size=n, p=w / w.sum()))
    # Trains are blocks of like wagons: group by class, then shuffle the blocks.
    blocks: list[list[str]] = []
    for c in CLASSES:
        members = [x for x in classes if x == c]
        while members:
            k = int(rng.integers(1, 12))
            blocks.append(members[:k])
            members = members[k:]
    order = rng.permutation(len(blocks))
    cars: list[_Car] = []
    for bi in order:
        block = blocks[bi]
        st = STOCK[block[0]]
        palette = REAL_COLOURS[block[0]] if spec.realism else st.colours
        span = REAL_LENGTHS.get(block[0], st.length) if spec.realism else st.length
        length = float(rng.uniform(*span))
        width = float(rng.uniform(*st.width))
        colour = _jitter(rng, palette[int(rng.integers(0, len(palette)))], 0.06)
        for c in block:
            if rng.random() < 0.35:  # mixed liveries inside a block
                colour = _jitter(rng, palette[int(rng.integers(0, len(palette)))], 0.06)
            load, tarped = "", False
            if c == "open":
                load = OPEN_LOADS[int(rng.integers(0, len(OPEN_LOADS)))]
                tarped = bool(rng.random() < spec.tarp_fraction)
            elif c == "flat":
                load = FLAT_LOADS[int(rng.integers(0, len(FLAT_LOADS)))]
                tarped = bool(rng.random() < spec.tarp_fraction)
                if tarped:
                    load = "tarp"
                elif spec.realism and load in ("empty", "containers") and rng.random() < 0.6:
                    # An empty container or log wagon is an open frame: sills and
                    # cross-bearers with the track bed showing through.
                    load = "frame"
            cars.append(_Car(c, round(length, 2), round(width, 2),
                             _weather(_jitter(rng, colour, 0.03), rng),
                             load, tarped, seed=int(rng.integers(0, 2**31 - 1))))  # fmt: skip
    return cars


def _shade_car(
    canvas: np.ndarray,
    cover: np.ndarray,
    car: _Car,
    corners_m: np.ndarray,
    gsd: float,
    sun_local: tuple[float, float, float],
    snow: float,
    nir: np.ndarray | None,
    band: float = 0.0,
) -> None:
    """Paint one railcar into the output canvas with a per-pixel shader in car coordinates.

    The shader runs at SS x SS samples per output pixel inside the car's window only,
    so car edges are anti-aliased exactly where the label says they are.
    """
    pts = corners_m / gsd  # output-pixel corner coordinates
    x0, y0 = np.floor(pts.min(0)).astype(int)
    x1, y1 = np.ceil(pts.max(0)).astype(int)
    H, W = canvas.shape[:2]
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, W), min(y1, H)
    if x1 <= x0 or y1 <= y0:
        return
    k = SS / gsd
    xs = (np.arange(x0 * SS, x1 * SS, dtype=np.float32) + 0.5) / k
    ys = (np.arange(y0 * SS, y1 * SS, dtype=np.float32) + 0.5) / k
    c = corners_m.mean(0)
    d = car.d
    u = (xs[None, :] - c[0]) * d[0] + (ys[:, None] - c[1]) * d[1]
    v = -(xs[None, :] - c[0]) * d[1] + (ys[:, None] - c[1]) * d[0]
    L2, W2 = car.length / 2, car.width / 2
    inside = (np.abs(u) < L2) & (np.abs(v) < W2)
    if not inside.any():
        return
    rng = np.random.default_rng(car.seed)
    col = np.broadcast_to(car.colour, (*u.shape, 3)).astype(np.float32).copy()
    shade = np.ones(u.shape, np.float32)
    vn = v / W2  # -1..1 across
    su, sv, sz = sun_local  # sun direction in car frame (along, across, up)
    # Roofs are slightly curved: the half facing the sun is brighter.
    shade *= 1 + 0.10 * np.clip(vn * sv, -1, 1)
    cls = car.cls
    end = np.abs(u) > L2 - 0.35
    # The eave on the side away from the sun is in the body's own shadow.
    if cls != "tank":
        shade *= np.where(v * np.sign(sv) < -(W2 - 0.18), 0.7, 1.0)
        if band > 0:
            # Realism: the rounded roof's far eave in shade, with a light edge where the
            # roof catches the sky. (The dark bar beside a real car is its cast shadow.)
            side = v * np.sign(sv)
            shade *= np.where(side < -(W2 - band), 0.78, 1.0)
            shade *= np.where(side > W2 - 0.3, 1.15, 1.0)
    if cls == "box":
        ribs = np.cos(u * (2 * np.pi / 1.2)) > 0.55
        shade *= np.where(ribs, 0.96, 1.0)
        shade *= np.where(np.abs(v) < 0.28, 0.9, 1.0)  # roof walkway
        shade *= np.where(end, 0.8, 1.0)
    elif cls == "open":
        rim = (np.abs(v) > W2 - 0.22) | end
        ld = car.load
        if car.tarped:
            tarp = TARP_COLOURS[car.seed % len(TARP_COLOURS)]
            wr = np.sin(u * 2.3 + np.sin(v * 3.1) * 1.5) * 0.08
            col = np.where(rim[..., None], col, np.asarray(tarp, np.float32))
            shade *= np.where(rim, 1.0, 1.0 + wr)
        else:
            fill = {"empty": (70, 58, 50), "coal": (34, 34, 36), "ore": (118, 74, 54),
                    "scrap": (96, 88, 80)}[ld or "empty"]  # fmt: skip
            col = np.where(rim[..., None], col, np.asarray(fill, np.float32))
            if ld in ("coal", "ore"):
                heap = 1 + 0.10 * np.cos(u * (2 * np.pi / 3.0)) * np.cos(vn * 1.5) + 0.1 * vn * sv
                shade *= np.where(rim, 1.0, heap)
            if ld == "scrap":
                shade *= np.where(rim, 1.0, 1 + rng.normal(0, 0.25, u.shape).astype(np.float32))
            # The sunlit wall throws a shadow inside the empty or part-loaded car.
            depth = 2.0 if ld in ("empty", "scrap") else 0.6
            sh_len = depth * math.hypot(su, sv) / max(sz, 0.15)
            wall = W2 - 0.22
            inner = ((v > wall - sh_len) if sv > 0 else (v < -wall + sh_len)) & ~rim
            shade *= np.where(inner, 0.55, 1.0)
    elif cls == "tank":
        # A cylinder lit by the sun, with a dome and a walkway on top.
        nz = np.sqrt(np.clip(1 - vn**2, 0, 1))
        lam = np.clip(vn * sv + nz * sz, 0, 1)
        shade = 0.3 + 0.9 * lam + 0.35 * lam**12  # sky + diffuse + specular glint
        shade = shade.astype(np.float32)
        dome = (u**2 + v**2) < 0.55**2
        shade *= np.where(dome, 1.15, 1.0)
        shade *= np.where((np.abs(v) < 0.25) & (np.abs(u) < L2 - 1.0), 0.85, 1.0)
        shade *= np.where(np.abs(u) > L2 - 0.6, 0.7, 1.0)  # frame ends below the barrel
    elif cls == "flat":
        deck = np.asarray(car.colour, np.float32)
        shade *= np.where(np.abs(v) > W2 - 0.15, 0.8, 1.0)
        ld = car.load
        if ld == "frame":
            # Side sills, a centre sill, cross-bearers and headstocks; the rest is see-through.
            pitch = float(rng.uniform(1.8, 2.8))
            bearer = np.abs(np.mod(u + L2, pitch) - pitch / 2) < 0.14
            frame = (np.abs(v) > W2 - 0.3) | (np.abs(v) < 0.3) | bearer | (np.abs(u) > L2 - 0.5)
            # The bogies show through as dark blocks two metres in from each end.
            bogie = (np.abs(np.abs(u) - (L2 - 2.3)) < 1.3) & (np.abs(v) < 1.05)
            inside &= frame | bogie
            shade *= np.where(np.abs(v) < 0.3, 0.85, 1.0)
            col = np.where((bogie & ~frame)[..., None], np.float32(46), col)
        lrng = np.random.default_rng(car.seed + 1)
        if ld == "containers":
            lens = [12.19] if car.length > 14 and lrng.random() < 0.5 else [6.06, 6.06]
            if car.length < 13:
                lens = [6.06]
            pos = -sum(lens) / 2 - 0.15 * (len(lens) - 1)
            for ln in lens:
                cc = np.asarray(CONTAINER_COLOURS[int(lrng.integers(0, 8))], np.float32)
                cc = cc * (1 + lrng.normal(0, 0.06))
                m = (u > pos) & (u < pos + ln) & (np.abs(v) < 1.22)
                col = np.where(m[..., None], cc, col)
                ribs = np.cos(u * (2 * np.pi / 0.6)) > 0.3
                shade *= np.where(m & ribs, 0.95, 1.0)
                pos += ln + 0.3
        elif ld == "vehicles":
            nveh = int(lrng.integers(2, 5))
            step = car.length / nveh
            for j in range(nveh):
                cu = -L2 + step * (j + 0.5)
                cc = np.asarray(CONTAINER_COLOURS[int(lrng.integers(0, 8))], np.float32)
                m = (np.abs(u - cu) < min(step / 2 - 0.4, 3.5)) & (np.abs(v) < 1.15)
                col = np.where(m[..., None], cc, col)
        elif ld == "timber":
            m = (np.abs(u) < L2 - 0.8) & (np.abs(v) < 1.3)
            col = np.where(m[..., None], np.asarray([132, 110, 80], np.float32), col)
            shade *= np.where(m, 1 + 0.12 * np.sin(v * 18.0), 1.0)
        elif ld == "tarp":
            # Lumpy loads under a tarp: an irregular outline with wrinkles.
            a = L2 - float(lrng.uniform(0.4, 2.5))
            b = W2 - float(lrng.uniform(0.05, 0.4))
            ph = lrng.uniform(0, 6.28, 3)
            edge_u = a * (1 + 0.05 * np.sin(v * 2.1 + ph[0]))
            edge_v = b * (
                0.82 + 0.18 * np.cos(u * (np.pi / a) * float(lrng.integers(1, 4)) + ph[1])
            )
            m = (np.abs(u) < edge_u) & (np.abs(v) < edge_v)
            tarp = np.asarray(TARP_COLOURS[int(lrng.integers(0, len(TARP_COLOURS)))], np.float32)
            col = np.where(m[..., None], tarp, col)
            wr = 1 + 0.12 * np.sin(u * 1.7 + 2.0 * np.sin(v * 2.5 + ph[2])) + 0.12 * vn * sv
            shade *= np.where(m, wr, 1.0)
        if ld not in ("empty", ""):
            # Loads throw a shadow onto the bare deck on the side away from the sun.
            away = (-v * np.sign(sv) > 0) & (np.abs(v) < W2 - 0.15) & (np.abs(v) > 1.25)
            shade *= np.where((col == deck).all(-1) & away, 0.75, 1.0)
    elif cls == "passenger":
        shade *= np.where(np.abs(vn) > 0.75, 0.82, 1.0)
        vents = (np.abs(v) < 0.35) & (np.cos(u * (2 * np.pi / 2.8)) > 0.6)
        shade *= np.where(vents, 0.75, 1.0)
        shade *= np.where(end, 0.75, 1.0)
    elif cls == "locomotive":
        lrng = np.random.default_rng(car.seed + 2)
        cab = np.abs(u) > L2 - 2.4
        shade *= np.where(cab, 1.08, 1.0)
        # Roof equipment: radiator fans and hatches.
        nfans = int(lrng.integers(2, 5))
        for j in range(nfans):
            fu = (j - (nfans - 1) / 2) * 2.1 + float(lrng.uniform(-2, 2))
            fan = ((u - fu) ** 2 + v**2) < 0.75**2
            shade *= np.where(fan, 0.55, 1.0)
        boxes = (np.abs(v) < 0.9) & (np.abs(u) < L2 - 3.0) & (np.cos(u * 0.9) > 0.7)
        shade *= np.where(boxes, 0.82, 1.0)
        if car.length > 26:  # two sections
            shade *= np.where(np.abs(u) < 0.4, 0.6, 1.0)
    else:  # maintenance and other
        lrng = np.random.default_rng(car.seed + 3)
        for _ in range(int(lrng.integers(1, 4))):
            bu = float(lrng.uniform(-L2 + 2, L2 - 2))
            m = (np.abs(u - bu) < float(lrng.uniform(0.8, 2.5))) & (np.abs(v) < 1.1)
            shade *= np.where(m, 0.7, 1.0)
    # Grime and weathering.
    grain = rng.normal(0, 0.035, u.shape).astype(np.float32)
    streak = 0.04 * np.sin(u * float(rng.uniform(0.3, 1.2)) + float(rng.uniform(0, 6)))
    shade = shade * (1 + grain + streak)
    out = col * shade[..., None]
    if snow > 0:
        dust = snow * np.clip(0.6 + 0.6 * rng.normal(0, 0.4, u.shape), 0, 1).astype(np.float32)
        out = out * (1 - dust[..., None]) + SNOW_RGB * dust[..., None]
    hh, ww = y1 - y0, x1 - x0
    alpha = inside.reshape(hh, SS, ww, SS).mean(axis=(1, 3), dtype=np.float32)
    premult = (out * inside[..., None]).reshape(hh, SS, ww, SS, 3).mean(axis=(1, 3))
    win = canvas[y0:y1, x0:x1, :3]
    win *= 1 - alpha[..., None]
    win += premult
    cover[y0:y1, x0:x1] += alpha
    if nir is not None:
        lum = (out.mean(-1) * inside).reshape(hh, SS, ww, SS).mean(axis=(1, 3))
        nwin = nir[y0:y1, x0:x1]
        nwin *= 1 - alpha
        nwin += lum


# ---------------------------------------------------------------------------- the renderer


def _blur3(img: np.ndarray, sigma: float) -> np.ndarray:
    """Separable 3-tap Gaussian blur over rows and columns (edges repeat)."""
    a = math.exp(-1 / (2 * sigma * sigma))
    w1 = a / (1 + 2 * a)
    w0 = 1 - 2 * w1
    out = img * w0
    out[1:] += img[:-1] * w1
    out[:-1] += img[1:] * w1
    out[0] += img[0] * w1
    out[-1] += img[-1] * w1
    res = out * w0
    res[:, 1:] += out[:, :-1] * w1
    res[:, :-1] += out[:, 1:] * w1
    res[:, 0] += out[:, 0] * w1
    res[:, -1] += out[:, -1] * w1
    return res


def _geo(spec: SceneSpec) -> tuple[Affine, str]:
    fr = spec.frame
    to_utm = Transformer.from_crs("EPSG:4326", fr.crs, always_xy=True)
    cx, cy = to_utm.transform(fr.lon, fr.lat)
    cx += spec.centre_offset_m[0]
    cy += spec.centre_offset_m[1]
    w, h = spec.size
    # Snap the origin to whole centimetres so transforms print cleanly.
    x0 = round(cx - w * spec.gsd / 2, 2)
    y0 = round(cy + h * spec.gsd / 2, 2)
    return Affine(spec.gsd, 0.0, x0, 0.0, -spec.gsd, y0), fr.crs


def render_scene(spec: SceneSpec) -> Scene:
    """Render one scene from its spec.

    Args:
        spec: what to draw; the same spec always gives the same pixels.

    Returns:
        The scene: image (H, W, bands) uint8 or uint16, georeferencing, railcar labels.

    Raises:
        InputError: the cars asked for do not fit on the scene's tracks.
    """
    rng = np.random.default_rng(spec.seed)
    w, h = spec.size
    Wf, Hf = w * SS, h * SS
    k = SS / spec.gsd
    acquired = spec.acquisition_time()
    elev, az = sun_position(acquired, spec.frame.lon, spec.frame.lat)
    elev = max(elev, 8.0)
    # Shadow direction on the ground (image frame), metres of shadow per metre of height.
    azr = math.radians(az)
    to_sun = np.array([math.sin(azr), -math.cos(azr)])
    sun_off = -to_sun / math.tan(math.radians(elev))
    lean_az = float(rng.uniform(0, 2 * math.pi))
    lean = math.tan(math.radians(spec.off_nadir)) * np.array([math.cos(lean_az), math.sin(lean_az)])
    winter = spec.season == "winter"

    # Ground: soil and grass in smooth patches, made coarse and enlarged (cheap).
    gw, gh = max(4, Wf // 8), max(4, Hf // 8)
    t = _smooth_noise(rng, (gh, gw), max(2, int(60 * k / 8)))
    t2 = _smooth_noise(rng, (gh, gw), max(2, int(12 * k / 8)))
    green = np.clip(0.5 + 0.9 * t + 0.3 * t2, 0, 1)
    soil = np.array([140, 130, 112], np.float32)
    grass = (
        np.array([86, 104, 60], np.float32) if not winter else np.array([120, 108, 88], np.float32)
    )
    ground = (soil + (grass - soil) * green[..., None]).clip(0, 255).astype(np.uint8)
    # Smooth at output resolution, then doubled by pixel repetition (cheap, same result).
    rgb0 = Image.fromarray(ground).resize((w, h), Image.BILINEAR).resize((Wf, Hf), Image.NEAREST)
    mat0 = Image.fromarray(np.where(green > 0.5, GRASS, SOIL).astype(np.uint8)).resize(
        (Wf, Hf), Image.NEAREST
    )

    cars = _choose_cars(spec, rng)
    yard = _Yard(spec, rng)
    yard.plan(sum(c.length + 1 for c in cars))
    # River water beyond one side of the yard.
    side = spec.frame.river_side if rng.random() < 0.5 else (1 if rng.random() < 0.5 else -1)
    river = None
    if rng.random() < 0.35:
        river = (side, float(rng.uniform(140, 260)), float(rng.uniform(60, 160)))
    cv = _Canvas(spec, rgb0, mat0)
    if river is not None:
        sgn, dist, width = river
        H_ = yard.half_diag
        ts = np.linspace(-H_, H_, 30)
        base_s = yard.s_hi + dist if sgn > 0 else yard.s_lo - dist
        ph = float(rng.uniform(0, 6.28))
        edge1 = [yard.at(tt, base_s + 25 * math.sin(tt / 90 + ph)) for tt in ts]
        edge2 = [yard.at(tt, base_s + sgn * (width + 20 * math.sin(tt / 70 + ph))) for tt in ts]
        water = _jitter(rng, [56, 74, 78] if not winter else [200, 206, 212], 0.08)
        cv.poly(np.array(edge1 + edge2[::-1]), water, WATER)
    yard.draw(cv, sun_off, lean)
    placed = yard.place(cars)
    # Railcars cast shadows too: hulls of their footprints and their shadows.
    for car in placed:
        foot = _rect(car.centre, car.d, car.length, car.width)
        hh = STOCK[car.cls].height + (1.2 if car.load in ("containers", "tarp", "vehicles") else 0)
        if car.load == "frame":
            # An open frame throws the thin shadows of its sills and headstocks only.
            sill = _rect(car.centre, car.d, car.length, car.width - 0.3) + sun_off * 1.1
            cv.cast_line(np.vstack([sill, sill[:1]]), 0.3)
        else:
            cv.cast(_hull(np.vstack([foot, foot + sun_off * hh])))
        if float(np.hypot(*lean)) * STOCK[car.cls].height > 0.25 * spec.gsd:
            # Seen off-nadir, the side of the body shows between the wheels and the roof.
            hgt = STOCK[car.cls].height
            wall = _hull(np.vstack([foot + lean * 1.0, foot + lean * hgt]))
            cv.poly(wall, car.colour * 0.55, VEHICLE)

    # ---- from here on at output resolution: the canvas integrates the fine drawing
    canvas = np.asarray(cv.rgb.reduce(SS), dtype=np.float32)
    matarr = np.asarray(cv.mat)[SS // 2 :: SS, SS // 2 :: SS]
    noise = rng.standard_normal((h, w), dtype=np.float32)
    # Two scales of patchiness: ~25 m (fields, wear) and ~5 m (tufts, stains).
    low = _smooth_noise(rng, (h, w), max(6, int(25 / spec.gsd)))
    low += 0.6 * _smooth_noise(rng, (h, w), max(3, int(5 / spec.gsd)))
    tex = 1 + _GRAIN[matarr] * noise + _LOWFREQ[matarr] * low
    if spec.realism:
        # The sleeper ladder: light sleepers every 0.6 m across each track bed, averaged
        # over the pixel (box filter), so it fades out at coarser GSDs as it should.
        amp = 0.45 * max(0.0, float(np.sinc(spec.gsd * 1.3 / 0.6)))
        if amp > 0.01:
            yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
            along = (xx * yard.d[0] + yy * yard.d[1]) * np.float32(spec.gsd)
            ladder = np.cos(along * np.float32(2 * np.pi / 0.6)) * np.float32(amp)
            tex += np.where(matarr == BED, ladder, 0)
    canvas *= tex[..., None]
    nir = None
    if spec.bands == 4:
        nir = canvas.mean(-1) * _NIR[matarr]
    if winter:
        # Snow lies almost everywhere; thinner where wind and traffic wear it away.
        cover = np.clip(0.95 + 0.2 * low + 0.04 * noise, 0.78, 1) * _SNOW[matarr]
        canvas += (SNOW_RGB - canvas) * cover[..., None]
        if nir is not None:
            nir += (SNOW_RGB.mean() * 0.9 - nir) * cover
    shadow = np.asarray(cv.shadow.reduce(SS), dtype=np.float32) * (1 / 255.0)
    shadow *= _SHADOWED[matarr]
    # Shadows are lit by the blue sky only: darker in red than in blue.
    depth = 0.69 if not winter else 0.6  # real shadows beside cars: ~0.32 of lit ballast
    dark = np.array([depth + 0.06, depth + 0.03, depth - 0.04], np.float32)
    canvas *= 1 - shadow[..., None] * dark
    if nir is not None:
        nir *= 1 - shadow * (depth + 0.08)

    # ---- railcars, painted exactly
    cover_cars = np.zeros((h, w), np.float32)
    sz = math.sin(math.radians(elev))
    horiz = math.cos(math.radians(elev))
    labels: list[CarLabel] = []
    occ_union = yard.occluders
    for car in placed:
        hgt = STOCK[car.cls].height
        corners = _rect(car.centre, car.d, car.length, car.width) + lean * hgt
        n = np.array([-car.d[1], car.d[0]])
        sun_local = (
            float(to_sun @ car.d) * horiz,
            float(to_sun @ n) * horiz,
            sz,
        )
        snow = float(rng.uniform(0.15, 0.6)) if winter else 0.0
        band = float(rng.uniform(0.3, 0.8)) if spec.realism else 0.0
        _shade_car(canvas, cover_cars, car, corners, spec.gsd, sun_local, snow, nir, band)
        px = corners / spec.gsd
        inside = (px[:, 0] >= 0) & (px[:, 0] <= w) & (px[:, 1] >= 0) & (px[:, 1] <= h)
        poly = Polygon(px)
        occ = any(poly.intersection(o).area > 0.08 * poly.area for o in occ_union)
        labels.append(CarLabel(car.cls, px, bool(car.tarped), bool(occ), not bool(inside.all()),
                               car.length, car.width, car.load))  # fmt: skip
    car_mask = cover_cars >= 0.5
    if cv.late is not None:
        late = np.asarray(cv.late.reduce(SS), dtype=np.float32) * (1 / 255.0)
        canvas *= 1 - late[..., None] * dark
        if nir is not None:
            nir *= 1 - late * (depth + 0.08)

    # Canopies and shed roofs over everything.
    box = cv.over_mask.getbbox() if cv.over is not None else None
    if box is not None:
        # Only the roofs' bounding box is touched (whole output pixels).
        x0, y0 = box[0] // SS, box[1] // SS
        x1, y1 = -(-box[2] // SS), -(-box[3] // SS)
        fine = (x0 * SS, y0 * SS, x1 * SS, y1 * SS)
        a = np.asarray(cv.over_mask.crop(fine).reduce(SS), dtype=np.float32) * (1 / 255.0)
        over = np.asarray(cv.over.crop(fine).reduce(SS), dtype=np.float32)
        win = canvas[y0:y1, x0:x1]
        win *= 1 - a[..., None]
        win += over * (1 + 0.03 * noise[y0:y1, x0:x1])[..., None] * a[..., None]
        if nir is not None:
            nwin = nir[y0:y1, x0:x1]
            nwin *= 1 - a
            nwin += over.mean(-1) * a
    if nir is not None:
        canvas = np.concatenate([canvas, nir[..., None]], axis=-1)

    # ---- sensor: integrate over the detector pixel, then MTF, fringes, haze, clouds, noise
    nb = canvas.shape[-1]
    img = canvas
    srng = np.random.default_rng([spec.seed, 7])
    sigma = float(srng.uniform(0.7, 1.1) if spec.realism else srng.uniform(0.45, 0.75))
    # Pan-sharpening: colour comes from coarser multispectral bands registered a pixel
    # off, so colour bleeds past sharp edges while brightness stays put.
    # Red and blue are blended with copies one pixel off, in opposite directions.
    sx, sy = int(srng.integers(-1, 2)), int(srng.integers(-1, 2))
    if sx or sy:
        for band, sign in ((0, 1), (2, -1)):
            ch = img[..., band]
            ch *= 0.7
            ch += 0.3 / 0.7 * np.roll(ch, (sign * sy, sign * sx), axis=(0, 1))
    # The optics and detector blur (MTF): a separable 3-tap Gaussian.
    img = _blur3(img, sigma)
    # Winter light is weaker; haze lifts the dark end and flattens contrast.
    gain = 0.9 + 0.1 * min(1.0, sz / 0.8)
    img *= gain
    hz = spec.haze * 0.6
    haze_rgb = HAZE_RGB if nb == 3 else np.append(HAZE_RGB, 150)
    img = img * (1 - hz) + haze_rgb * hz
    cloudy = spec.clouds if spec.clouds is not None else bool(srng.random() < 0.1)
    cloud_alpha = np.zeros((h, w), np.float32)
    if cloudy:
        # Fractal cumulus: three octaves, a soft ramp at the edges, thin veils around.
        # The field covers a margin so the clouds' shadows, offset away from the sun,
        # come from clouds just outside the scene too.
        mh, mw = h // 6, w // 6
        big = (h + 2 * mh, w + 2 * mw)
        # Clouds are smooth at the pixel scale: shape them at a quarter resolution.
        small = (max(8, big[0] // 4), max(8, big[1] // 4))
        c1 = _smooth_noise(srng, small, max(6, w // 16))
        c2 = _smooth_noise(srng, small, max(4, w // 56))
        c3 = _smooth_noise(srng, small, max(3, w // 160))
        field_ = c1 + 0.45 * c2 + 0.25 * c3
        thr = float(np.quantile(field_, float(srng.uniform(0.5, 0.85))))
        ramp = np.clip((field_ - thr + 0.25) / 0.9, 0, 1)
        alpha_small = (ramp * ramp * (3 - 2 * ramp)).astype(np.float32)
        alpha_big = np.asarray(
            Image.fromarray(alpha_small, mode="F").resize((big[1], big[0]), Image.BICUBIC)
        )
        cloud_alpha = alpha_big[mh : mh + h, mw : mw + w]
        dy = int(np.clip(-sun_off[1] * 0.6 * mh, -mh, mh))
        dx = int(np.clip(-sun_off[0] * 0.6 * mw, -mw, mw))
        cshadow = alpha_big[mh + dy : mh + dy + h, mw + dx : mw + dx + w]
        img *= (1 - 0.45 * cshadow)[..., None]
        cloud_rgb = CLOUD_RGB if nb == 3 else np.append(CLOUD_RGB, 230)
        img = img * (1 - cloud_alpha[..., None]) + cloud_rgb * cloud_alpha[..., None]
        for j, lab in enumerate(labels):
            cx, cy = lab.corners_px.mean(0)
            ci, cj = int(np.clip(cy, 0, h - 1)), int(np.clip(cx, 0, w - 1))
            if cloud_alpha[ci, cj] > 0.4 and not lab.occluded:
                labels[j] = replace(lab, occluded=True)
    # Shot noise grows with the signal; read noise does not.
    nrng = np.random.default_rng([spec.seed, 11])
    # Most noise comes through the panchromatic band, so it is shared by the colours;
    # uniform noise of the same spread is cheaper than Gaussian and looks the same.
    # Spread ~ sqrt(1.2 + 0.02 x) (shot + read), linearised: 1.1 DN dark to 2.5 DN bright.
    lum = img[..., 1]  # green carries most of the panchromatic signal
    shared = nrng.random(lum.shape, dtype=np.float32)
    shared -= 0.5
    shared *= 3.8 + 0.0165 * lum
    img += shared[..., None]
    if spec.bits == 8:
        img += 0.5
        np.clip(img, 0, 255, out=img)
        out = img.astype(np.uint8)
        if spec.jpeg_quality is not None and nb == 3:
            buf = io.BytesIO()
            Image.fromarray(out).save(buf, format="JPEG", quality=int(spec.jpeg_quality))
            out = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB")).copy()
    else:
        out = np.clip(img * (4095 / 255) + 0.5, 0, 4095).astype(np.uint16)
    transform, crs = _geo(spec)
    return Scene(
        image=out,
        transform=transform,
        crs=crs,
        cars=labels,
        spec=spec,
        acquired=acquired,
        car_mask=car_mask,
        sun_elevation=round(elev, 2),
        sun_azimuth=round(az, 2),
        cloud_fraction=round(float(cloud_alpha.mean()), 4),
        meta={"yard_bearing": spec.yard_bearing, "mtf_sigma_px": round(sigma, 3)},
    )
