"""What a synthetic scene is made of: the spec people and the dataset draw, and the sites.

A :class:`SceneSpec` fully determines a scene: the same spec renders the same
pixels, so a dataset is reproducible from its manifest alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import numpy as np

from railwatch.errors import InputError
from railwatch.railcars import CLASSES

SEASONS: tuple[str, ...] = ("summer", "winter")


@dataclass(frozen=True)
class SiteFrame:
    """Where a site's scenes sit on the Earth and how its yard runs.

    ``yard_bearing_deg`` is the direction of the main tracks in the image,
    degrees counter-clockwise from east (0 = east-west).
    """

    slug: str
    lon: float
    lat: float
    crs: str
    yard_bearing_deg: float
    river_side: int  # +1: river beyond the yard's south side, -1: north, 0: none


SITES: dict[str, SiteFrame] = {
    # Tumangang: the yard runs roughly east-west toward the Friendship Bridge; the
    # Tumen River lies to the south and east.
    "tumangang": SiteFrame("tumangang", 130.6081, 42.4214, "EPSG:32652", -6.0, 1),
    "khasan": SiteFrame("khasan", 130.6405, 42.4305, "EPSG:32652", 62.0, -1),
}


@dataclass(frozen=True)
class SceneSpec:
    """Everything that decides one synthetic scene.

    Args:
        seed: seeds every random choice; same spec, same bytes.
        gsd: ground sample distance in metres (0.2-2.0).
        size: (width, height) in pixels.
        n_cars: railcars to place (mix drawn at random), or None for a random count.
        mix: exact railcars per class, e.g. {"box": 30, "flat": 10}; overrides n_cars.
        season: "summer" or "winter" (snow, cars dusted white).
        haze: 0 (clear) to 1 (thick haze).
        tarp_fraction: share of open and flat cars whose load is under a tarp.
        off_nadir: sensor off-nadir angle in degrees (tall things lean).
        site: a key of :data:`SITES`; fixes the place, CRS and yard direction.
        acquired: acquisition time (aware UTC); None derives one from season and seed.
        bits: 8 or 16 (16-bit images carry 12-bit counts, 0-4095).
        bands: 3 (RGB) or 4 (RGB + near infrared).
        clouds: True forces clouds over part of the scene, False none, None lets the seed decide.
        yard_bearing: track direction in degrees counter-clockwise from east; None: the site's.
        jpeg_quality: simulate JPEG compression at this quality (8-bit only); None: none.
        centre_offset_m: (east, north) shift of the scene centre from the site centre.
        realism: render what real European and Russian-gauge yards show and the plain
            simulator did not (docs/realism.md): unsaturated cars and their wide shadows
            under morning suns, busy yards of long consists on tracks 4.4-4.9 m apart,
            empty flats as open frames, catenary whose shadows cross the cars, sleepers, a
            softer sensor. Off by default, so scenes and archives made before it render
            byte for byte as they did.
    """

    seed: int = 0
    gsd: float = 0.5
    size: tuple[int, int] = (512, 512)
    n_cars: int | None = None
    mix: dict[str, int] | None = None
    season: str = "summer"
    haze: float = 0.0
    tarp_fraction: float = 0.3
    off_nadir: float = 0.0
    site: str = "tumangang"
    acquired: datetime | None = None
    bits: int = 8
    bands: int = 3
    clouds: bool | None = None
    yard_bearing: float | None = None
    jpeg_quality: int | None = None
    centre_offset_m: tuple[float, float] = field(default=(0.0, 0.0))
    realism: bool = False

    def __post_init__(self) -> None:
        if not 0.1 <= self.gsd <= 5.0:
            raise InputError(f"gsd {self.gsd} m is outside 0.1-5.0")
        w, h = self.size
        if not (16 <= w <= 20000 and 16 <= h <= 20000):
            raise InputError(f"size {w}x{h} px is outside 16-20000 per side")
        if self.season not in SEASONS:
            raise InputError(f"season {self.season!r} is not one of {', '.join(SEASONS)}")
        if not 0.0 <= self.haze <= 1.0:
            raise InputError(f"haze {self.haze} is outside 0-1")
        if not 0.0 <= self.tarp_fraction <= 1.0:
            raise InputError(f"tarp fraction {self.tarp_fraction} is outside 0-1")
        if not 0.0 <= self.off_nadir <= 45.0:
            raise InputError(f"off-nadir {self.off_nadir} deg is outside 0-45")
        if self.site not in SITES:
            raise InputError(f"site {self.site!r} is not one of {', '.join(SITES)}")
        if self.bits not in (8, 16):
            raise InputError(f"bits {self.bits} must be 8 or 16")
        if self.bands not in (3, 4):
            raise InputError(f"bands {self.bands} must be 3 or 4")
        if self.n_cars is not None and not 0 <= self.n_cars <= 2000:
            raise InputError(f"n_cars {self.n_cars} is outside 0-2000")
        if self.mix is not None:
            for k, v in self.mix.items():
                if k not in CLASSES:
                    raise InputError(f"mix: unknown railcar class {k!r} ({', '.join(CLASSES)})")
                if int(v) < 0:
                    raise InputError(f"mix: negative count for {k!r}")
        if self.jpeg_quality is not None and not 10 <= self.jpeg_quality <= 100:
            raise InputError(f"jpeg quality {self.jpeg_quality} is outside 10-100")
        if self.acquired is not None and self.acquired.tzinfo is None:
            raise InputError("acquired must be timezone-aware (UTC)")

    @property
    def frame(self) -> SiteFrame:
        return SITES[self.site]

    def acquisition_time(self) -> datetime:
        """The acquisition time, derived from season and seed when not given."""
        if self.acquired is not None:
            return self.acquired.astimezone(UTC)
        rng = np.random.default_rng([self.seed, 99])
        base = (
            datetime(2023, 7, 1, tzinfo=UTC)
            if self.season == "summer"
            else datetime(2023, 1, 10, tzinfo=UTC)
        )
        day = int(rng.integers(0, 50))
        minutes = int(rng.integers(0, 100))  # 01:50-03:30 UTC = about 10:30-12:10 solar
        return base + timedelta(days=day, hours=1, minutes=50 + minutes)

    def with_(self, **changes: object) -> SceneSpec:
        return replace(self, **changes)


def random_spec(
    rng: np.random.Generator,
    gsd_range: tuple[float, float] = (0.3, 1.0),
    size: tuple[int, int] = (512, 512),
    realism: float = 0.0,
) -> SceneSpec:
    """Draw a scene spec from the training distribution the dataset command uses.

    Args:
        rng: the source of randomness (the dataset seeds one per scene).
        gsd_range: (lowest, highest) ground sample distance in metres.
        size: (width, height) in pixels.
        realism: share of scenes drawn with ``realism`` on (0-1). The draw comes after
            all others, so with 0 the specs are those of earlier releases, and with more
            a scene differs from its plain twin only where realism changes it.

    Returns:
        A spec with its own seed; render it with :func:`render_scene`.
    """
    if not 0.0 <= realism <= 1.0:
        raise InputError(f"realism {realism} is outside 0-1")
    lo, hi = sorted(float(g) for g in gsd_range)
    seed = int(rng.integers(0, 2**31 - 1))
    gsd = round(float(rng.uniform(lo, hi)), 3)
    # Counts 0-120, with many busy scenes: the detector must count dense yards.
    r = rng.random()
    n_cars = 0 if r < 0.05 else int(rng.integers(1, 121)) if r < 0.7 else int(rng.integers(40, 121))
    winter = rng.random() < 0.3
    haze = round(float(min(1.0, rng.beta(1.2, 5.0))), 3)
    tarp = round(float(rng.uniform(0.0, 0.9)), 3)
    off_nadir = round(float(abs(rng.normal(0.0, 8.0))) % 25.0, 2)
    # Never more cars than the scene's ground can hold as a dense yard (~45 % of it).
    cap = int(size[0] * size[1] * gsd * gsd * 0.45 / 80.0)
    n_cars = min(n_cars, cap)
    clouds = bool(rng.random() < 0.15)
    jpeg = int(rng.integers(55, 96)) if rng.random() < 0.5 else None
    site = "tumangang" if rng.random() < 0.8 else "khasan"
    # Yards run every way in training, not only the site's own bearing.
    bearing = round(float(rng.uniform(-90.0, 90.0)), 2)
    offset = (round(float(rng.uniform(-300, 300)), 1), round(float(rng.uniform(-200, 200)), 1))
    # Snow needs a winter month, but a winter month need not bring snow: dry, snowless
    # winters are common on the Tumen, and their low sun throws car-length shadows.
    month = int(rng.choice([11, 12, 1, 2, 3])) if winter else int(rng.integers(1, 13))
    year = int(rng.integers(2018, 2024))
    acquired = datetime(year, month, int(rng.integers(1, 29)), tzinfo=UTC) + timedelta(
        hours=1, minutes=int(rng.integers(30, 150))
    )
    real = False
    if realism > 0:
        real = bool(rng.random() < realism)
        if real:
            # Real yards are busy: many tracks hold long consists, others stand empty.
            busy = int(cap * float(rng.uniform(0.2, 0.8)))
            n_cars = max(n_cars, min(busy, 400))
            # Orthophotos are resampled and recompressed at source.
            jpeg = int(rng.integers(60, 90)) if rng.random() < 0.7 else jpeg
            clouds = False if rng.random() < 0.8 else clouds
            haze = round(haze * 0.5, 3)
            winter = winter and rng.random() < 0.3
            if not winter:
                # Sun positions of mid-latitude summer mornings (7:30-11:00 local time,
                # elevations of about 30-60 degrees), as aerial survey flights have them.
                month = int(rng.integers(4, 10))
                acquired = datetime(year, month, int(rng.integers(1, 29)), tzinfo=UTC) + timedelta(
                    minutes=int(rng.integers(-90, 120))
                )
    return SceneSpec(
        seed=seed,
        gsd=gsd,
        size=size,
        n_cars=n_cars,
        season="winter" if winter else "summer",
        haze=haze,
        tarp_fraction=tarp,
        off_nadir=off_nadir,
        site=site,
        acquired=acquired,
        clouds=clouds,
        yard_bearing=bearing,
        jpeg_quality=jpeg,
        centre_offset_m=offset,
        realism=real,
    )


def sun_position(when: datetime, lon: float, lat: float) -> tuple[float, float]:
    """Solar (elevation, azimuth clockwise from north) in degrees; accurate to ~1 degree."""
    when = when.astimezone(UTC)
    doy = when.timetuple().tm_yday
    hours = when.hour + when.minute / 60 + when.second / 3600
    g = 2 * math.pi / 365 * (doy - 1 + (hours - 12) / 24)
    eot = 229.18 * (
        0.000075
        + 0.001868 * math.cos(g)
        - 0.032077 * math.sin(g)
        - 0.014615 * math.cos(2 * g)
        - 0.040849 * math.sin(2 * g)
    )
    decl = (
        0.006918
        - 0.399912 * math.cos(g)
        + 0.070257 * math.sin(g)
        - 0.006758 * math.cos(2 * g)
        + 0.000907 * math.sin(2 * g)
    )
    solar_minutes = hours * 60 + eot + 4 * lon
    ha = math.radians(solar_minutes / 4 - 180)
    phi = math.radians(lat)
    cos_zen = math.sin(phi) * math.sin(decl) + math.cos(phi) * math.cos(decl) * math.cos(ha)
    zen = math.acos(max(-1.0, min(1.0, cos_zen)))
    az = math.degrees(
        math.atan2(math.sin(ha), math.cos(ha) * math.sin(phi) - math.tan(decl) * math.cos(phi))
    )
    return 90 - math.degrees(zen), (az + 180) % 360
