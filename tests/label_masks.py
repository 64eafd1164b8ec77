"""Simulator labels as pixel masks, for tests that hold labels against the rendered cars."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw


def rasterise(cars, w: int, h: int, f: int = 8) -> np.ndarray:
    """Label polygons to a mask: pixels at least half inside some car (exact-ish at f x f)."""
    im = Image.new("L", (w * f, h * f), 0)
    draw = ImageDraw.Draw(im)
    for car in cars:
        draw.polygon([(x * f - 0.5, y * f - 0.5) for x, y in car.corners_px], fill=255)
    return np.asarray(im).reshape(h, f, w, f).mean(axis=(1, 3)) >= 127.5
