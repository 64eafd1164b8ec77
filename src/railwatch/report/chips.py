"""Imagery chips: a small piece of an image around its detections, annotated.

Only a window around the detections is read, at most :data:`MAX_READ_PX` pixels
a side (larger windows are read decimated), so a chip of a 40 000-pixel scene
costs a few megabytes. Outlines take the chart's class colours; a scale bar in
metres, a north arrow and the date and GSD are drawn on the chip itself so it
still says what it is when copied out of the report.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont

from railwatch.errors import ImageryError
from railwatch.imagery.location import missing
from railwatch.report.chart import CLASS_COLOURS
from railwatch.report.i18n import class_name, format_date, format_number
from railwatch.report.model import ChipSpec

MAX_WINDOW_PX = 2400  # largest window side cut from the scene, in its pixels
#: Smallest ground extent of a chip's window side, in metres: a quiet date with a
#: few cars would otherwise fill the chip with them and show none of the yard
#: around, which is what a reader compares against the busy date.
MIN_WINDOW_M = 150.0
MAX_READ_PX = 1600  # largest side of the array read (larger windows are read decimated)
GDAL_CACHE_MB = 32
CHIP_WIDTH = 1100  # the drawn chip fits in CHIP_WIDTH × CHIP_HEIGHT pixels
CHIP_HEIGHT = 720
TARP_COLOUR = "#ffffff"


@dataclass(frozen=True)
class Chip:
    spec: ChipSpec
    png: bytes | None
    problem: str = ""  # why there is no picture, when there is none
    name: str = ""  # file name under chips/
    drawn: int = 0  # detections inside the chip (all of them unless they spread too far)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow without FreeType
        return ImageFont.load_default()


def _window(spec: ChipSpec) -> tuple[int, int, int, int]:
    """Column, row, width, height of the window to read, inside the image."""
    w, h = spec.image.width, spec.image.height
    pts = [p for d in spec.detections for p in (d.get("polygon_px") or [])]
    if pts:
        cols = [float(p[0]) for p in pts]
        rows = [float(p[1]) for p in pts]
        c0, c1, r0, r1 = min(cols), max(cols), min(rows), max(rows)
        margin = max(32.0, 0.12 * max(c1 - c0, r1 - r0))
        c0, c1, r0, r1 = c0 - margin, c1 + margin, r0 - margin, r1 + margin
        # Detections spread over a whole scene would make railcars specks: keep the
        # window around where most of them are.
        mid_c, mid_r = float(np.median(cols)), float(np.median(rows))
        if c1 - c0 > MAX_WINDOW_PX:
            c0, c1 = mid_c - MAX_WINDOW_PX / 2, mid_c + MAX_WINDOW_PX / 2
        if r1 - r0 > MAX_WINDOW_PX:
            r0, r1 = mid_r - MAX_WINDOW_PX / 2, mid_r + MAX_WINDOW_PX / 2
        least = MIN_WINDOW_M / spec.image.gsd_m if spec.image.gsd_m > 0 else 0.0
        c0, c1 = _widen(c0, c1, least, w)
        r0, r1 = _widen(r0, r1, least, h)
    else:  # nothing detected: the middle of the scene
        side = min(w, h, 512)
        c0, r0 = (w - side) / 2, (h - side) / 2
        c1, r1 = c0 + side, r0 + side
    c0, r0 = max(0, math.floor(c0)), max(0, math.floor(r0))
    c1, r1 = min(w, math.ceil(c1)), min(h, math.ceil(r1))
    if c1 <= c0 or r1 <= r0:
        raise ImageryError(f"{spec.image.path}: detections lie outside the image")
    return c0, r0, c1 - c0, r1 - r0


def _widen(lo: float, hi: float, least: float, size: int) -> tuple[float, float]:
    """Grow ``lo..hi`` about its middle to ``least`` pixels, shifted to stay in ``0..size``."""
    if hi - lo >= least:
        return lo, hi
    span = min(least, float(size))
    lo = (lo + hi - span) / 2
    lo = min(max(lo, 0.0), size - span)
    return lo, lo + span


def _read(path: str, window: tuple[int, int, int, int]) -> tuple[np.ndarray, Any]:
    """Read up to three bands of ``window``, decimated to at most MAX_READ_PX a side.

    Goes through :func:`railwatch.imagery.open_source`, so an image georeferenced
    by a sidecar or world file draws its north arrow from that.
    """
    import rasterio
    from rasterio.windows import Window

    from railwatch.imagery import open_source

    c0, r0, w, h = window
    scale = min(1.0, MAX_READ_PX / max(w, h))
    out_h, out_w = max(1, round(h * scale)), max(1, round(w * scale))
    # A small block cache: a chip reads each block once, and GDAL's default cache
    # (5 % of RAM) would otherwise keep every block of the window around.
    with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB), open_source(path) as src:
        data = src.read(Window(c0, r0, w, h), out_shape=(out_h, out_w))
        transform = src.transform
    return (data[:3] if data.shape[0] >= 3 else data[:1]), transform


def _to_rgb(data: np.ndarray) -> np.ndarray:
    """Stretch each band's 2–98 % range to 0–255 (imagery is often 11- or 16-bit)."""
    out = np.empty(data.shape, dtype=np.uint8)
    for i in range(data.shape[0]):
        band = data[i].astype(np.float32)
        # Every fourth pixel each way is plenty to place the 2 % and 98 % points.
        lo, hi = np.percentile(band[::4, ::4], (2, 98))
        if hi <= lo:
            hi = lo + 1
        band -= lo  # in place: one float band at a time, whatever the window
        band *= 255 / (hi - lo)
        np.clip(band, 0, 255, out=band)
        out[i] = band
    if out.shape[0] == 1:
        out = np.repeat(out, 3, axis=0)
    return np.transpose(out, (1, 2, 0))


def _nice_length(metres: float) -> float:
    """The largest 1, 2 or 5 × 10^k not above ``metres``."""
    if metres <= 0:
        return 1.0
    k = 10 ** math.floor(math.log10(metres))
    for m in (5, 2, 1):
        if m * k <= metres:
            return m * k
    return k


def _north_angle(transform: Any) -> float:
    """Angle of grid north on the chip, in radians from straight up (clockwise positive)."""
    inv = ~transform
    x0, y0 = transform * (0, 0)
    c_a, r_a = inv * (x0, y0)
    c_b, r_b = inv * (x0, y0 + abs(transform.e or transform.a or 1.0))
    return math.atan2(c_b - c_a, -(r_b - r_a))


def cut(spec: ChipSpec, lang: str) -> tuple[bytes, int]:
    """Draw the chip of ``spec``.

    Returns:
        PNG bytes, and how many detections lie inside the chip.

    Raises:
        ImageryError: the image file is missing or unreadable.
    """
    if missing(spec.image.path):
        raise ImageryError(f"{spec.image.path}: image file not found")
    window = _window(spec)
    data, transform = _read(spec.image.path, window)
    rgb = _to_rgb(data)
    c0, r0, w, h = window
    # Chip pixels per image pixel: wide yards fill the width, square ones the height,
    # so the labels drawn on the chip print at the same size either way.
    scale = min(CHIP_WIDTH / w, CHIP_HEIGHT / h)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    pic = PILImage.fromarray(rgb).resize(size, PILImage.Resampling.BILINEAR).convert("RGBA")
    overlay = PILImage.new("RGBA", pic.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)

    # Outlines thin enough not to hide small cars: a railcar is ~15 m long.
    car_px = 15.0 / spec.image.gsd_m * scale
    line = 1 if car_px < 30 else 2
    present: dict[str, bool] = {}
    drawn = 0
    for d in spec.detections:
        ring = d.get("polygon_px") or []
        if len(ring) < 3:
            continue
        if not any(c0 <= float(x) < c0 + w and r0 <= float(y) < r0 + h for x, y in ring):
            continue
        drawn += 1
        pts = [((float(x) - c0) * scale, (float(y) - r0) * scale) for x, y in ring]
        colour = CLASS_COLOURS.get(d["railcar_class"], "#ffff00")
        draw.polygon(pts, outline=colour, width=line)
        if d.get("tarped"):
            inner = _shrink(pts, line + 1)
            draw.polygon(inner, outline=TARP_COLOUR, width=1)
        present[d["railcar_class"]] = present.get(d["railcar_class"], False) or bool(
            d.get("tarped")
        )

    font = _font(18)
    small = _font(16)
    # Legend, top left.
    entries = [(class_name(c, lang), CLASS_COLOURS.get(c, "#ffff00")) for c in present]
    if any(present.values()):
        entries.append(("bâché" if lang == "fr" else "tarped", TARP_COLOUR))
    if entries:
        height = 10 + 22 * len(entries)
        width = 28 + max(draw.textlength(n, font=small) for n, _ in entries) + 10
        draw.rectangle((6, 6, 6 + width, 6 + height), fill=(0, 0, 0, 150))
        for i, (label, colour) in enumerate(entries):
            y = 12 + 22 * i
            draw.rectangle((12, y + 3, 26, y + 15), outline=colour, width=2)
            draw.text((34, y), label, fill="white", font=small)

    # Scale bar, bottom left: the image's metres per pixel over the chip's zoom.
    metres_per_px = spec.image.gsd_m / scale
    bar_m = _nice_length(metres_per_px * size[0] * 0.25)
    bar_px = bar_m / metres_per_px
    x0, y0 = 14, size[1] - 24
    draw.rectangle((x0 - 6, y0 - 26, x0 + bar_px + 12, y0 + 14), fill=(0, 0, 0, 150))
    draw.rectangle((x0, y0, x0 + bar_px, y0 + 7), fill="white")
    draw.rectangle((x0, y0, x0 + bar_px / 2, y0 + 7), fill="black", outline="white")
    draw.text((x0, y0 - 23), f"{format_number(bar_m, lang)} m", fill="white", font=small)

    # North arrow, top right.
    angle = _north_angle(transform)
    cx, cy, r = size[0] - 36, 50, 20
    tip = (cx + r * math.sin(angle), cy - r * math.cos(angle))
    tail = (cx - r * math.sin(angle), cy + r * math.cos(angle))
    left = (cx - 8 * math.cos(angle), cy - 8 * math.sin(angle))
    right = (cx + 8 * math.cos(angle), cy + 8 * math.sin(angle))
    draw.ellipse((cx - 30, cy - 42, cx + 30, cy + 30), fill=(0, 0, 0, 150))
    draw.polygon([tip, left, tail, right], fill="white")
    draw.polygon([tip, left, (cx, cy), right], fill="#d7263d")
    # "N" beyond the arrow's tip, wherever north points.
    nx, ny = cx + (r + 11) * math.sin(angle), cy - (r + 11) * math.cos(angle)
    draw.text((nx, ny), "N", fill="white", font=small, anchor="mm")

    # Date and GSD, bottom right.
    stamp = f"{format_date(spec.day, lang)} · GSD {format_number(spec.image.gsd_m, lang, 2)} m"
    tw = draw.textlength(stamp, font=font)
    draw.rectangle((size[0] - tw - 16, size[1] - 28, size[0] - 4, size[1] - 4), fill=(0, 0, 0, 150))
    draw.text((size[0] - tw - 10, size[1] - 26), stamp, fill="white", font=font)

    buf = io.BytesIO()
    PILImage.alpha_composite(pic, overlay).convert("RGB").save(buf, format="PNG", optimize=True)
    return buf.getvalue(), drawn


def _shrink(pts: list[tuple[float, float]], by: float) -> list[tuple[float, float]]:
    cx = sum(p[0] for p in pts) / len(pts)
    cy = sum(p[1] for p in pts) / len(pts)
    out = []
    for x, y in pts:
        dx, dy = x - cx, y - cy
        d = math.hypot(dx, dy) or 1.0
        f = max(0.0, (d - by) / d)
        out.append((cx + dx * f, cy + dy * f))
    return out


def cut_all(specs: tuple[ChipSpec, ...], lang: str) -> list[Chip]:
    """Chips for every spec; an unreadable image gives a chip with a problem, not an error."""
    chips = []
    for spec in specs:
        name = f"{spec.role}-{spec.day.isoformat()}.png"
        try:
            png, drawn = cut(spec, lang)
            chips.append(Chip(spec, png, name=name, drawn=drawn))
        except ImageryError as exc:
            chips.append(Chip(spec, None, problem=str(exc), name=name))
    return chips
