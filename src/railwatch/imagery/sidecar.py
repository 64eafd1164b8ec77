"""Files beside an image that say what the image itself does not.

Three kinds, all optional: a sidecar JSON (``scene.png.json`` or ``scene.json``)
with georeferencing and a date, a world file (``.pgw``, ``.jgw``, ``.wld``…) with
the affine transform only, and a STAC item (``scene.tif.stac.json``,
``scene.stac.json`` or ``scene.json``) with the acquisition metadata. Each
reader validates what it returns, so a bad file is refused by name before
anything reaches the store.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from affine import Affine
from rasterio.crs import CRS
from rasterio.errors import CRSError

from railwatch import plausible
from railwatch.errors import ImageryError, InputError
from railwatch.timeparse import parse_time

# Sidecar JSON and STAC files are small; a bigger one is not what we think it is.
MAX_JSON_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class Sidecar:
    """What a sidecar JSON says about its image; every field optional."""

    path: Path
    crs: CRS | None = None
    transform: Affine | None = None
    bounds: tuple[float, float, float, float] | None = None
    acquired: datetime | None = None
    gsd: float | None = None
    provider: str = ""
    cloud_cover: float | None = None  # percent of the image


@dataclass(frozen=True)
class StacItem:
    """The parts of a STAC item that ingestion uses."""

    path: Path
    acquired: datetime | None = None
    gsd: float | None = None
    provider: str = ""
    provider_field: str = ""
    cloud_cover: float | None = None  # percent, from eo:cloud_cover
    properties: dict[str, Any] = field(default_factory=dict)


def _load_json(path: Path, what: str, image: str | Path) -> Any:
    try:
        size = path.stat().st_size
        if size > MAX_JSON_BYTES:
            raise ImageryError(f"{image}: {what} {path} is {size} bytes, too big to be one")
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ImageryError(f"{image}: {what} {path} is not UTF-8 text") from None
    except OSError as exc:
        raise ImageryError(f"{image}: {what} {path} cannot be read: {exc.strerror}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImageryError(
            f"{image}: {what} {path} is not valid JSON (line {exc.lineno} column {exc.colno}: "
            f"{exc.msg})"
        ) from None


def is_stac_item(doc: Any) -> bool:
    return isinstance(doc, dict) and doc.get("type") == "Feature" and "stac_version" in doc


def _numbers(value: Any, n: int, name: str, where: str) -> tuple[float, ...]:
    ok = (
        isinstance(value, list)
        and len(value) == n
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
        and all(math.isfinite(v) for v in value)
    )
    if not ok:
        raise ImageryError(f"{where}: {name!r} must be a list of {n} finite numbers")
    return tuple(float(v) for v in value)


def parse_crs(value: Any, where: str) -> CRS:
    if not isinstance(value, str | int) or isinstance(value, bool) or value == "":
        raise ImageryError(f"{where}: 'crs' must be a string such as \"EPSG:32652\" or WKT")
    try:
        return CRS.from_user_input(value)
    except CRSError as exc:
        raise ImageryError(f"{where}: 'crs' {str(value)[:60]!r} is not a CRS ({exc})") from None


def _time(value: Any, name: str, where: str) -> datetime:
    if not isinstance(value, str):
        raise ImageryError(f"{where}: {name!r} must be an ISO 8601 string")
    try:
        return parse_time(value, what=name)
    except InputError as exc:
        raise ImageryError(f"{where}: {exc}") from None


def _gsd(value: Any, name: str, where: str) -> float:
    try:
        return plausible.check_gsd(value, repr(name))
    except InputError as exc:
        raise ImageryError(f"{where}: {exc}") from None


def cloud_percent(value: Any, name: str, where: str) -> float:
    """A cloud cover in percent (0-100), as STAC's ``eo:cloud_cover`` gives it."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
        raise ImageryError(f"{where}: {name!r} must be a cloud cover in percent, 0 to 100")
    return float(value)


def sidecar_candidates(image: Path) -> list[Path]:
    return [image.with_name(image.name + ".json"), image.with_suffix(".json")]


def stac_candidates(image: Path) -> list[Path]:
    return [
        image.with_name(image.name + ".stac.json"),
        image.with_suffix(".stac.json"),
        image.with_suffix(".json"),
    ]


def find_sidecar(image: Path) -> Sidecar | None:
    """The sidecar JSON beside ``image``, if there is one (a STAC item is not one)."""
    for candidate in sidecar_candidates(image):
        if candidate.is_file():
            doc = _load_json(candidate, "sidecar", image)
            if is_stac_item(doc):
                continue
            return read_sidecar(candidate, image, doc)
    return None


def read_sidecar(path: Path, image: Path, doc: Any = None) -> Sidecar:
    """Validate a sidecar JSON.

    Raises:
        ImageryError: the file is not JSON, not an object, or a field is malformed.
    """
    if doc is None:
        doc = _load_json(path, "sidecar", image)
    where = f"{image}: sidecar {path}"
    if not isinstance(doc, dict):
        raise ImageryError(f"{where} must hold a JSON object")
    known = {"crs", "transform", "bounds", "datetime", "gsd", "provider", "cloud_cover"}
    if not known & set(doc):
        raise ImageryError(f"{where} has none of the fields {', '.join(sorted(known))}")
    crs = parse_crs(doc["crs"], where) if "crs" in doc else None
    transform = bounds = None
    if "transform" in doc and "bounds" in doc:
        raise ImageryError(f"{where}: give 'transform' or 'bounds', not both")
    if "transform" in doc:
        a, b, c, d, e, f = _numbers(doc["transform"], 6, "transform", where)
        if a * e - b * d == 0:
            raise ImageryError(f"{where}: 'transform' is degenerate (zero pixel size)")
        transform = Affine(a, b, c, d, e, f)
    if "bounds" in doc:
        bounds = _numbers(doc["bounds"], 4, "bounds", where)
        if not (bounds[0] < bounds[2] and bounds[1] < bounds[3]):
            raise ImageryError(f"{where}: 'bounds' must be [minx, miny, maxx, maxy] with min < max")
    provider = doc.get("provider", "")
    if not isinstance(provider, str):
        raise ImageryError(f"{where}: 'provider' must be a string")
    return Sidecar(
        path=path,
        crs=crs,
        transform=transform,
        bounds=bounds,  # type: ignore[arg-type]
        acquired=_time(doc["datetime"], "datetime", where) if "datetime" in doc else None,
        gsd=_gsd(doc["gsd"], "gsd", where) if "gsd" in doc else None,
        provider=provider.strip(),
        cloud_cover=(
            cloud_percent(doc["cloud_cover"], "cloud_cover", where)
            if doc.get("cloud_cover") is not None
            else None
        ),
    )


def find_stac(image: Path) -> StacItem | None:
    """The STAC item beside ``image``, if there is one."""
    for candidate in stac_candidates(image):
        if candidate.is_file():
            doc = _load_json(candidate, "STAC item", image)
            if is_stac_item(doc):
                return read_stac(candidate, image, doc)
    return None


def read_stac(path: Path, image: str | Path, doc: Any = None) -> StacItem:
    """Read datetime, GSD, provider and cloud cover from a STAC item.

    Raises:
        ImageryError: the file is missing, not JSON, not a STAC item, or a field is malformed.
    """
    if doc is None:
        if not path.is_file():
            raise ImageryError(f"{image}: STAC item {path} does not exist")
        doc = _load_json(path, "STAC item", image)
    where = f"{image}: STAC item {path}"
    if not is_stac_item(doc):
        raise ImageryError(f'{where} is not a STAC item (needs "type": "Feature" and stac_version)')
    props = doc.get("properties")
    if not isinstance(props, dict):
        raise ImageryError(f"{where} has no properties object")
    acquired = None
    for key in ("datetime", "start_datetime"):
        if props.get(key) is not None:
            acquired = _time(props[key], f"properties.{key}", where)
            break
    gsd = _gsd(props["gsd"], "properties.gsd", where) if props.get("gsd") is not None else None
    provider, provider_field = "", ""
    for key in ("constellation", "platform"):
        if isinstance(props.get(key), str) and props[key].strip():
            provider, provider_field = props[key].strip(), f"properties.{key}"
            break
    else:
        providers = props.get("providers") or doc.get("providers")
        if isinstance(providers, list) and providers and isinstance(providers[0], dict):
            name = providers[0].get("name")
            if isinstance(name, str) and name.strip():
                provider, provider_field = name.strip(), "providers[0].name"
    cloud = props.get("eo:cloud_cover")
    return StacItem(
        path=path,
        acquired=acquired,
        gsd=gsd,
        provider=provider,
        provider_field=provider_field,
        cloud_cover=None if cloud is None else cloud_percent(cloud, "eo:cloud_cover", where),
        properties=props,
    )


def world_file_candidates(image: Path) -> list[Path]:
    ext = image.suffix.lstrip(".")
    names = [f"{ext[0]}{ext[-1]}w", f"{ext}w"] if ext else []
    names.append("wld")
    out: list[Path] = []
    for name in names:
        for variant in (name.lower(), name.upper()):
            candidate = image.with_suffix("." + variant)
            if candidate not in out:
                out.append(candidate)
    out.append(image.with_name(image.name + ".wld"))
    return out


def find_world_file(image: Path) -> Path | None:
    return next((p for p in world_file_candidates(image) if p.is_file()), None)


def read_world_file(path: Path, image: Path) -> Affine:
    """The affine transform of a world file (six numbers: A D B E C F, centre of pixel).

    Raises:
        ImageryError: the file does not hold six numbers or they are degenerate.
    """
    try:
        words = path.read_text(encoding="ascii", errors="replace").split()
    except OSError as exc:
        raise ImageryError(f"{image}: world file {path} cannot be read: {exc.strerror}") from None
    try:
        a, d, b, e, c, f = (float(w) for w in words)
    except ValueError:
        raise ImageryError(f"{image}: world file {path} must hold exactly six numbers") from None
    if not all(math.isfinite(v) for v in (a, b, c, d, e, f)) or a * e - b * d == 0:
        raise ImageryError(f"{image}: world file {path} has a degenerate or non-finite transform")
    # World files give the centre of the upper-left pixel; the affine wants its corner.
    return Affine(a, b, c - a / 2 - b / 2, d, e, f - d / 2 - e / 2)


def find_prj(image: Path) -> Path | None:
    for candidate in (image.with_suffix(".prj"), image.with_name(image.name + ".prj")):
        if candidate.is_file():
            return candidate
    return None


def read_prj(path: Path, image: Path) -> CRS:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError as exc:
        raise ImageryError(f"{image}: {path} cannot be read: {exc.strerror}") from None
    return parse_crs(text, f"{image}: {path}")
