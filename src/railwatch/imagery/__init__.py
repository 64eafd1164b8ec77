"""Imagery: satellite images of sites, checked, dated and georeferenced, read by windows.

``ingest`` records image files for a site (all or none); ``open_source`` gives
the detector a :class:`RasterSource` that reads only the windows it asks for,
whatever the format (GeoTIFF/COG in any CRS, PNG/JPEG with a sidecar or world
file). See docs/imagery.md for the rules.
"""

from railwatch.imagery.ingest import (
    describe,
    get_image,
    ingest,
    list_images,
    remove_image,
    set_cloud_cover,
    sha256_of,
)
from railwatch.imagery.source import (
    FORMATS,
    MAX_PIXELS,
    MAX_READ_BYTES,
    MAX_SIDE,
    RasterSource,
    open_source,
)

__all__ = [
    "FORMATS",
    "MAX_PIXELS",
    "MAX_READ_BYTES",
    "MAX_SIDE",
    "RasterSource",
    "describe",
    "get_image",
    "ingest",
    "list_images",
    "open_source",
    "remove_image",
    "set_cloud_cover",
    "sha256_of",
]
