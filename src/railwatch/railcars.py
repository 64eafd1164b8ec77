"""The railcar vocabulary shared by every stage.

One list of classes, one place that says how they roll up, so the detector,
the store, the analysis and the reports cannot disagree about what "freight" is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from railwatch.errors import InputError
from railwatch.plausible import check_count

#: Railcar types, in the order the detector's class head emits them.
CLASSES: tuple[str, ...] = ("box", "open", "tank", "flat", "passenger", "locomotive", "other")

#: Roll-ups the analysis and reports accept besides single classes.
ROLLUPS: dict[str, tuple[str, ...]] = {
    "freight": ("box", "open", "tank", "flat", "other"),
    "total": CLASSES,
}

#: Ways an observation can come to exist.
METHODS: tuple[str, ...] = ("analyst", "detector", "press")


def members(name: str) -> tuple[str, ...]:
    """Classes that a class or roll-up name stands for.

    Raises:
        InputError: the name is neither a class nor a roll-up.
    """
    if name in ROLLUPS:
        return ROLLUPS[name]
    if name in CLASSES:
        return (name,)
    choices = ", ".join((*CLASSES, *ROLLUPS))
    raise InputError(f"unknown railcar class {name!r} (choose from {choices})")


def rollup(counts: Mapping[str, int], name: str) -> int:
    """Sum the counts of the classes ``name`` stands for; missing classes count 0."""
    return sum(int(counts.get(c, 0)) for c in members(name))


def parse_counts(items: Iterable[str]) -> dict[str, int]:
    """Parse ``["box=60", "flat=13"]`` as typed on the command line.

    Raises:
        InputError: malformed item, unknown class, negative or repeated count.
    """
    counts: dict[str, int] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip().lower()
        if not sep or not key:
            raise InputError(f"count {item!r} is not CLASS=N (e.g. box=60)")
        if key not in CLASSES and key not in ROLLUPS:
            raise InputError(
                f"count {item!r}: unknown railcar class {key!r} (choose from {', '.join(CLASSES)}; "
                "or 'freight'/'total' for an unsplit count)"
            )
        try:
            n = int(value)
        except ValueError:
            raise InputError(f"count {item!r}: {value!r} is not a whole number") from None
        n = check_count(n, f"count {item!r}")
        if key in counts:
            raise InputError(f"count {item!r}: class {key!r} given twice")
        counts[key] = n
    if not counts:
        raise InputError("give at least one --count CLASS=N")
    return counts
