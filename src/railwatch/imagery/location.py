"""Where an image lies: a local file, or a URL that GDAL reads in byte ranges.

A team's archive is often a bucket of COGs, not a shared disk: ``images add``
takes ``https://``, ``s3://``, ``gs://`` and ``az://`` URLs (and GDAL's own
``/vsicurl/``, ``/vsis3/`` … spellings of them), so every worker of a cluster
reads the same image without a copy. A URL is kept in its scheme form, the one
rasterio opens and a person recognises; GDAL's prefixes are turned into it, so one
image is not stored twice under two spellings.

Nothing is looked for beside a remote image (no sidecar JSON, world file or STAC
item): listing a bucket costs requests and fails where listing is not allowed, so
a remote image must carry its own georeferencing, as a GeoTIFF/COG does.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

# rasterio's URL schemes that GDAL reads remotely, and GDAL's prefixes for the same.
REMOTE_SCHEMES = ("http", "https", "s3", "gs", "az", "oss")
_VSI_SCHEMES = {"/vsis3/": "s3", "/vsigs/": "gs", "/vsiaz/": "az", "/vsioss/": "oss"}
_VSICURL = "/vsicurl/"

# GDAL's advice for cloud-optimised reads: do not list the folder of every file opened
# (one request per open saved, and no failure where a bucket forbids listing).
REMOTE_GDAL_OPTIONS = {"GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR"}
# The size asked of a web server (HEAD) is a check, not a need: give up quickly.
HEAD_TIMEOUT_S = 10.0


def remote_url(value: str | Path) -> str | None:
    """The URL of a remote image in its scheme form, or None for a local path.

    A :class:`~pathlib.Path` is always local: ``Path("https://x")`` has already lost
    a slash, so URLs must arrive as strings.
    """
    if isinstance(value, Path):
        return None
    text = value.strip()
    if text.startswith(_VSICURL):
        inner = text[len(_VSICURL) :]
        return inner if urlsplit(inner).scheme in ("http", "https") else None
    for prefix, scheme in _VSI_SCHEMES.items():
        if text.startswith(prefix) and len(text) > len(prefix):
            return f"{scheme}://{text[len(prefix) :]}"
    parts = urlsplit(text)
    if parts.scheme.lower() in REMOTE_SCHEMES and parts.netloc:
        return text
    return None


def vsi_path(url: str) -> str:
    """GDAL's own name for a remote image (``/vsicurl/https://…``, ``/vsis3/…``).

    GDAL's messages name the file so; knowing the spelling lets ours not name it twice.
    """
    scheme, _, rest = url.partition("://")
    scheme = scheme.lower()
    if scheme in ("http", "https"):
        return f"{_VSICURL}{url}"
    prefix = next((p for p, s in _VSI_SCHEMES.items() if s == scheme), None)
    return f"{prefix}{rest}" if prefix else url


def is_remote(value: str | Path) -> bool:
    """Whether ``value`` names an image by URL rather than by a local path."""
    return remote_url(value) is not None


def display_name(value: str | Path) -> str:
    """The file name a person knows the image by: the last segment of its path or URL."""
    url = remote_url(value)
    if url is None:
        return Path(value).name
    name = PurePosixPath(unquote(urlsplit(url).path)).name
    return name or url


def missing(value: str | Path) -> bool:
    """Whether a stored image's file is known to be gone.

    Only a local file can be known gone without a request; a URL is taken to be
    there (a run that cannot read it reports it by name).
    """
    return not is_remote(value) and not Path(value).exists()


def remote_size(url: str) -> int | None:
    """The size in bytes a web server gives for ``url`` (HEAD), or None when it does not say.

    GDAL gives no file size to Python, and only a web server can be asked without
    credentials; object-store URLs return None, as does any failure.
    """
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        return None
    import urllib.request  # only here: it is slow to import and most images are local

    request = urllib.request.Request(url, method="HEAD")
    try:
        with urllib.request.urlopen(request, timeout=HEAD_TIMEOUT_S) as response:  # noqa: S310
            length = response.headers.get("Content-Length")
    except (OSError, ValueError):
        return None
    try:
        size = int(length) if length is not None else None
    except ValueError:
        return None
    return size if size is not None and size >= 0 else None


def gdal_options() -> dict[str, str]:
    """GDAL options for opening remote images, leaving alone any the user has set."""
    return {k: v for k, v in REMOTE_GDAL_OPTIONS.items() if k not in os.environ}
