"""A contact sheet of synthetic scenes for people to judge the simulator by eye."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from railwatch.simulate.render import render_scene
from railwatch.simulate.spec import SceneSpec

GSDS = (0.3, 0.5, 0.8, 1.0)
CONDITIONS: tuple[tuple[str, dict], ...] = (
    ("summer", {}),
    ("winter", {"season": "winter"}),
    ("haze 0.6", {"haze": 0.6}),
    ("tarps 0.9", {"tarp_fraction": 0.9, "mix": {"flat": 0.5, "open": 0.3, "box": 0.2}}),
    ("clouds", {"clouds": True}),
    ("off-nadir 20", {"off_nadir": 20.0}),
)
TILE = 320


def _to8(img: np.ndarray) -> np.ndarray:
    rgb = img[..., :3]
    if rgb.dtype != np.uint8:
        rgb = np.clip(rgb / 16, 0, 255).astype(np.uint8)
    return rgb


def make_gallery(out: Path | str, seed: int = 3) -> Path:
    """Render GSD x condition tiles into ``out/gallery.png``; returns its path."""
    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    pad, head = 4, 18
    sheet = Image.new(
        "RGB",
        (len(CONDITIONS) * (TILE + pad) + pad + 60, len(GSDS) * (TILE + pad) + pad + head),
        (24, 24, 24),
    )
    draw = ImageDraw.Draw(sheet)
    for j, (label, _) in enumerate(CONDITIONS):
        draw.text((60 + pad + j * (TILE + pad) + 4, 3), label, fill=(230, 230, 230))
    for i, gsd in enumerate(GSDS):
        y = head + pad + i * (TILE + pad)
        draw.text((6, y + TILE // 2), f"{gsd} m", fill=(230, 230, 230))
        for j, (_, kw) in enumerate(CONDITIONS):
            cap = min(70, int(TILE * TILE * gsd * gsd * 0.35 / 80))
            args = {"n_cars": cap} | kw
            if "mix" in kw:  # shares of the tile's capacity
                args["mix"] = {c: int(cap * f) for c, f in kw["mix"].items()}
            spec = SceneSpec(seed=seed + 17 * j, gsd=gsd, size=(TILE, TILE), **args)
            scene = render_scene(spec)
            tile = Image.fromarray(_to8(scene.image))
            sheet.paste(tile, (60 + pad + j * (TILE + pad), y))
    path = root / "gallery.png"
    sheet.save(path, optimize=False)
    return path
