"""Reading sites from GeoJSON, including the catalogue shipped with railwatch."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

from railwatch.errors import SiteError
from railwatch.records import Site

SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def builtin() -> list[Site]:
    """The sites railwatch knows out of the box (Tumangang, Khasan)."""
    text = resources.files("railwatch.sites").joinpath("builtin.geojson").read_text("utf-8")
    return parse(json.loads(text), origin="built-in catalogue")


def read_geojson(path: str | Path) -> list[Site]:
    """Sites from a GeoJSON Feature or FeatureCollection file.

    Raises:
        SiteError: unreadable file, bad JSON, or a feature that is not a valid site;
            the message names the file and the feature.
    """
    p = Path(path)
    try:
        data = json.loads(p.read_text("utf-8"))
    except FileNotFoundError:
        raise SiteError(f"{p}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SiteError(f"{p}: cannot read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise SiteError(f"{p}: not valid JSON: {exc}") from None
    return parse(data, origin=str(p))


def _features(data: Any, origin: str) -> list[dict[str, Any]]:
    kind = data.get("type") if isinstance(data, dict) else None
    if kind == "FeatureCollection":
        feats = data.get("features")
        if not isinstance(feats, list) or not feats:
            raise SiteError(f"{origin}: FeatureCollection has no features")
        return feats
    if kind == "Feature":
        return [data]
    raise SiteError(f"{origin}: expected a GeoJSON Feature or FeatureCollection, got {kind!r}")


def _strings(value: Any, where: str, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SiteError(f"{where}: property {name!r} must be a list of strings")
    return tuple(value)


def parse(data: Any, origin: str) -> list[Site]:
    """Validate GeoJSON and turn each feature into a :class:`Site`."""
    # Shapely (and numpy under it) loads only when sites are read, not at CLI start-up.
    from shapely.geometry import mapping, shape
    from shapely.validation import explain_validity

    out: list[Site] = []
    seen: set[str] = set()
    for i, feat in enumerate(_features(data, origin)):
        where = f"{origin}: feature {i}"
        if not isinstance(feat, dict) or feat.get("type") != "Feature":
            raise SiteError(f"{where}: not a GeoJSON Feature")
        props = feat.get("properties") or {}
        slug = props.get("slug")
        if not isinstance(slug, str) or not SLUG.match(slug):
            raise SiteError(
                f"{where}: property 'slug' must be lower-case letters, digits, '-' or '_' "
                f"(got {slug!r})"
            )
        where = f"{origin}: site {slug!r}"
        if slug in seen:
            raise SiteError(f"{where}: slug appears twice in the file")
        seen.add(slug)
        geom_data = feat.get("geometry")
        if not isinstance(geom_data, dict) or geom_data.get("type") not in (
            "Polygon",
            "MultiPolygon",
        ):
            raise SiteError(f"{where}: geometry must be a Polygon or MultiPolygon")
        try:
            geom = shape(geom_data)
        except Exception as exc:  # shapely raises several types for bad coordinates
            raise SiteError(f"{where}: bad geometry: {exc}") from None
        if geom.is_empty:
            raise SiteError(
                f"{where}: the {geom_data['type']} has no coordinates; give its outline as "
                "[[[lon, lat], ...]] in EPSG:4326"
            )
        if not geom.is_valid:
            raise SiteError(f"{where}: invalid polygon ({explain_validity(geom)})")
        minx, miny, maxx, maxy = geom.bounds
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            raise SiteError(
                f"{where}: coordinates are not longitude/latitude in EPSG:4326 "
                f"(bounds {geom.bounds})"
            )
        out.append(
            Site(
                slug=slug,
                name=str(props.get("name") or slug),
                country=str(props.get("country") or ""),
                description=str(props.get("description") or ""),
                geometry=dict(mapping(geom)),
                aliases=_strings(props.get("aliases"), where, "aliases"),
                region=str(props.get("region") or ""),
                region_aliases=_strings(props.get("region_aliases"), where, "region_aliases"),
            )
        )
    return out
