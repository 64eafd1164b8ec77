"""Sites of interest: named polygons in EPSG:4326, and the built-in catalogue.

A site is what every other stage is about: images must intersect it, counts are
made inside it, press places resolve to it through its aliases.
"""

from railwatch.sites.catalogue import builtin, read_geojson

__all__ = ["builtin", "read_geojson"]
