"""Rolling stock as seen from above: sizes, heights, colours and loads per railcar class.

Sizes are body lengths and widths of CIS 1520 mm and standard-gauge stock of the
kinds that cross at Tumangang/Khasan; colours are lit-roof sRGB values measured by
eye against a real 0.33 m freight-yard image (weathered, desaturated paint).
"""

from __future__ import annotations

from dataclasses import dataclass

from railwatch.railcars import CLASSES


@dataclass(frozen=True)
class StockType:
    """One railcar class: body size ranges (metres), roof height, roof colours."""

    length: tuple[float, float]
    width: tuple[float, float]
    height: float
    colours: tuple[tuple[int, int, int], ...]


STOCK: dict[str, StockType] = {
    # Covered wagons (RZD 11-280 etc.): rust-brown, grey, faded green, some light roofs.
    "box": StockType(
        (13.8, 17.0),
        (2.9, 3.25),
        4.7,
        (
            (122, 72, 55),
            (132, 84, 64),
            (150, 104, 84),
            (164, 164, 158),
            (128, 132, 128),
            (96, 108, 94),
            (190, 180, 164),
            (206, 202, 194),
            (176, 126, 108),
            (150, 168, 188),
            (184, 158, 130),
        ),
    ),
    # Gondolas (12-132 etc.): rims in rusty, green or grey paint.
    "open": StockType(
        (12.0, 14.0),
        (3.0, 3.25),
        3.5,
        ((110, 70, 52), (92, 100, 86), (120, 118, 112), (96, 64, 50), (70, 80, 72)),
    ),
    # Tank cars: mostly black or dark grey, some light grey and green.
    "tank": StockType(
        (11.5, 16.0),
        (2.9, 3.1),
        4.6,
        ((48, 48, 50), (58, 56, 54), (150, 150, 148), (180, 180, 176), (80, 96, 80)),
    ),
    # Flat cars: dark brown-grey decks.
    "flat": StockType(
        (13.4, 19.6),
        (2.8, 3.1),
        1.4,
        ((96, 84, 72), (84, 78, 72), (108, 96, 82), (74, 70, 66)),
    ),
    "passenger": StockType(
        (23.6, 26.4),
        (3.0, 3.25),
        4.3,
        ((112, 116, 116), (92, 104, 96), (140, 140, 136), (88, 94, 110), (120, 82, 70)),
    ),
    "locomotive": StockType(
        (17.0, 34.0),
        (3.0, 3.25),
        4.9,
        ((72, 92, 74), (150, 56, 48), (90, 96, 104), (130, 120, 60), (60, 70, 90)),
    ),
    "other": StockType(
        (10.0, 20.0),
        (2.9, 3.2),
        3.8,
        ((176, 156, 84), (176, 124, 76), (110, 110, 104), (150, 78, 66)),
    ),
}

#: How often each class turns up when a scene asks for n cars without a mix.
CLASS_WEIGHTS: dict[str, float] = {
    "box": 0.30,
    "open": 0.20,
    "tank": 0.14,
    "flat": 0.22,
    "passenger": 0.04,
    "locomotive": 0.06,
    "other": 0.04,
}

OPEN_LOADS: tuple[str, ...] = ("empty", "coal", "ore", "scrap")
FLAT_LOADS: tuple[str, ...] = ("empty", "containers", "vehicles", "timber")
TARP_COLOURS: tuple[tuple[int, int, int], ...] = (
    (74, 98, 72),
    (62, 84, 120),
    (124, 124, 116),
    (112, 98, 72),
    (150, 146, 132),
    (88, 86, 80),
)
CONTAINER_COLOURS: tuple[tuple[int, int, int], ...] = (
    (150, 60, 48),
    (60, 90, 140),
    (170, 170, 166),
    (70, 110, 80),
    (190, 140, 60),
    (120, 70, 60),
    (200, 200, 196),
    (90, 90, 94),
)

assert set(STOCK) == set(CLASSES) == set(CLASS_WEIGHTS)

#: Roof colours of ``realism`` scenes: European and Russian freight stock seen from above, in
#: weathered, unsaturated paint. Many roofs are light (aluminium and grey sliding-wall and
#: covered wagons, light tanks), others brown, rust or blue-grey; the dark bar beside each
#: car in a real image is its cast shadow on the ballast, not its roof. Values are general
#: paint colours dimmed by dirt, not measured from any one image.
REAL_COLOURS: dict[str, tuple[tuple[int, int, int], ...]] = {
    "box": ((188, 190, 188), (166, 170, 172), (146, 150, 154), (120, 124, 128), (112, 84, 66),
            (128, 96, 74), (92, 100, 116), (70, 76, 86), (150, 132, 112)),
    "open": ((112, 84, 64), (96, 78, 62), (84, 88, 82), (122, 116, 106), (72, 66, 60)),
    "tank": ((40, 40, 42), (52, 52, 54), (150, 152, 150), (184, 186, 184), (124, 126, 124),
             (96, 104, 96)),
    "flat": ((104, 92, 78), (86, 82, 76), (118, 106, 90)),
    "passenger": ((150, 152, 152), (96, 104, 116), (126, 126, 122), (112, 78, 66)),
    "locomotive": ((150, 56, 48), (84, 94, 110), (120, 128, 124), (72, 74, 78)),
    "other": ((140, 128, 84), (110, 110, 104), (124, 84, 70)),
}  # fmt: skip
assert set(REAL_COLOURS) == set(CLASSES)

#: Body lengths (metres) of ``realism`` scenes where real stock spans more than the plain
#: ranges: two-axle covered and open wagons of 9-12 m, long bogie wagons (sliding-wall
#: covered wagons of about 23 m, container flats of 19.6 m and articulated ones near 27 m).
#: General figures for European and Russian stock, not measured from any image.
REAL_LENGTHS: dict[str, tuple[float, float]] = {
    "box": (9.5, 23.5),
    "open": (9.0, 16.0),
    "tank": (9.0, 18.5),
    "flat": (11.0, 27.0),
}
assert set(REAL_LENGTHS) <= set(CLASSES)
