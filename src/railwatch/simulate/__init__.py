"""Synthetic overhead rail-yard scenes with exact railcar ground truth.

There is almost no shareable labelled satellite imagery of railcars, so railwatch
renders its own: datasets to train the detector, fixtures for the tests, the demo's
Tumangang archive. See docs/simulate.md.
"""

from railwatch.simulate.render import CarLabel, Scene, render_scene
from railwatch.simulate.spec import SITES, SceneSpec, random_spec, sun_position
from railwatch.simulate.write import coco_json, labels_geojson, pixel_to_lonlat, write_scene

__all__ = [
    "SITES",
    "CarLabel",
    "Scene",
    "SceneSpec",
    "coco_json",
    "labels_geojson",
    "pixel_to_lonlat",
    "random_spec",
    "render_scene",
    "sun_position",
    "write_scene",
]
