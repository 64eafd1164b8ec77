"""The press cross-check: what the reports claim, set against what the imagery shows.

Rows come from :func:`railwatch.press.compare` (one per compared fact of each
event group, with whether the reports agree with each other); when the press
stage cannot compare, :func:`from_claims` lists the stored claims themselves.
Each row says what the imagery shows for the same thing and whether it agrees.
"""

from __future__ import annotations

import dataclasses
import math
import re
import statistics
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from railwatch.errors import RailwatchError
from railwatch.records import Observation
from railwatch.store import Store

if TYPE_CHECKING:  # model imports this module; the types are only for reading
    from railwatch.report.model import DocumentInfo, Row


@dataclass(frozen=True)
class PressCheck:
    """One press claim, its sources and what the imagery shows for it."""

    kind: str  # count | baseline | other kinds the press stage extracts
    value: str  # the value as the report prints it
    number: float | None  # the value as a number, when there is one
    day: date | None  # the date the claim is about (imagery date), when known
    sources: tuple[str, ...]
    quotes: tuple[str, ...]
    document_ids: tuple[int, ...]
    imagery: str | None  # what the imagery shows for the same thing, as printed
    verdict: str  # agree | consistent | partly | differ | no-imagery | not-checkable
    status: str = ""  # agree | conflict | single-source | undetermined, between the reports
    label: str = ""  # the press stage's own words for the slot, when it has one
    #: The railcar class a count claim is about ("open" for "175 ore cars"); "" for the
    #: roll-ups, which are set against the report's own total.
    railcar_class: str = ""


#: Classes a press count can be checked against one by one (not the roll-ups).
SINGLE_CLASSES: tuple[str, ...] = (
    "box",
    "open",
    "tank",
    "flat",
    "passenger",
    "locomotive",
    "other",
)


def seen_for(row: Row, cls: str) -> tuple[int, float] | None:
    """What the imagery counted of ``cls`` on a row, with its error; None without a split.

    A claim of "about 175 ore cars" is about open wagons, not about every car in the
    yard: it is set against the open-wagon count of that date.
    """
    if cls not in SINGLE_CLASSES:
        return row.total, row.sigma
    if not any(c in row.counts for c in SINGLE_CLASSES):
        return None  # the row has only a roll-up: the class cannot be read out of it
    seen = row.counts.get(cls, 0)
    sigma = row.class_sigmas.get(cls)
    if sigma is None:  # no error of its own: the row's, in proportion to the class's share
        sigma = row.sigma * math.sqrt(seen / row.total) if row.total else 0.0
    return seen, sigma


def mentions_tarp(claim: dict[str, Any]) -> bool:
    value = claim.get("value") or {}
    if claim.get("kind") == "caveat" and isinstance(value, dict) and value.get("concealment"):
        return True
    text = f"{claim.get('kind', '')} {value}".lower()
    return any(w in text for w in ("tarp", "bâche", "bache"))


def _claim_number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, dict):
        for key in ("count", "max", "value"):
            v = value.get(key)
            if isinstance(v, int | float) and not isinstance(v, bool):
                return float(v)
    return None


def _iso_day(text: Any) -> date | None:
    if not isinstance(text, str):
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


#: How many counting sigmas of the imagery still leave a press figure "within counting error".
COUNTING_SIGMAS = 2.0


def _press_tolerance(claimed: float) -> float:
    # A press figure is approximate ("about 73"): within 10 % or 2 cars counts as the same.
    return max(2.0, 0.1 * claimed)


def _agrees(claimed: float, seen: int, sigma: float = 0.0) -> bool:
    """Whether a press figure matches a count, allowing ``COUNTING_SIGMAS`` of its error.

    The press's rounding and the count's own error are independent, so the two
    tolerances add in quadrature. With ``sigma`` 0 this is the press tolerance alone.
    """
    slack = math.hypot(_press_tolerance(claimed), COUNTING_SIGMAS * sigma)
    return abs(claimed - seen) <= slack


def _verdict(exact: list[bool], loose: list[bool]) -> str:
    """agree, consistent (only within the count's own error), partly, or differ."""
    if all(exact):
        return "agree"
    if all(loose):
        return "consistent"
    return "partly" if any(loose) else "differ"


def _shown(seen: int, sigma: float, verdict: str) -> str:
    """The imagery's figure, with its error band when that band is what makes it fit."""
    if verdict == "consistent" and sigma > 0:
        return f"{seen} ± {COUNTING_SIGMAS * sigma:.0f}"
    return str(seen)


#: Claim kinds the cross-check shows; the others (dates, places, attributions)
#: describe these, and caveats go to the caveats.
CHECKED_KINDS: tuple[str, ...] = ("count", "baseline", "characterization", "assessment")


def from_claims(
    claims: list[dict[str, Any]],
    press_obs: list[Observation],
    rows: list[Row],
    before_rise: Row | None,
    documents: dict[int, DocumentInfo],
) -> list[PressCheck]:
    """Group the claims by what they say and set each group against the imagery."""
    obs_by_claim = {o.claim_id: o for o in press_obs if o.claim_id is not None}
    rows_by_day = {r.day: r for r in rows if r.method != "press"}
    # The date a document says its pictures were taken, when it says one.
    imagery_day: dict[int, date] = {}
    for c in claims:
        if c["kind"] == "imagery_date" and (d := _iso_day((c.get("value") or {}).get("date"))):
            imagery_day.setdefault(c["document_id"], d)
    groups: dict[tuple[str, str, date | None], list[dict[str, Any]]] = {}
    for c in claims:
        kind = c["kind"]
        if kind not in CHECKED_KINDS:
            continue
        value = c.get("value") or {}
        if kind == "count":
            if value.get("role", "current") not in {"current", "breakdown"}:
                continue  # a change, a capacity or a plan is no count of what was seen
            o = obs_by_claim.get(c["id"])
            day = o.observed_at.date() if o else imagery_day.get(c["document_id"])
            key = _format_value(_claim_number(value), value)
            if value.get("railcar_class") in SINGLE_CLASSES:
                key = f"{key}|{value['railcar_class']}"
        elif kind == "baseline":
            day = None
            number = _claim_number(value)
            key = _format_value(number, value) if number is not None else ""
        elif kind == "characterization":
            day = imagery_day.get(c["document_id"])
            key = "unprecedented" if value.get("unprecedented") else str(value)
        else:  # assessment
            day = None
            key = str(value.get("level") or c.get("hedge") or "")
        groups.setdefault((kind, key, day), []).append(c)
    # Press observations with no claim row behind them still say something.
    for o in press_obs:
        if o.claim_id is None or o.claim_id not in {c["id"] for c in claims}:
            row = {"id": None, "kind": "count", "value": {"count": o.count}, "quote": "",
                   "document_id": o.document_id, "outlet": o.source}  # fmt: skip
            key = str(o.count) + (
                f"|{o.railcar_class}" if o.railcar_class in SINGLE_CLASSES else ""
            )
            row["value"]["railcar_class"] = o.railcar_class
            groups.setdefault(("count", key, o.observed_at.date()), []).append(row)

    out: list[PressCheck] = []
    for (kind, key, day), members in groups.items():
        value = members[0].get("value") or {}
        number = _claim_number(value)
        imagery: str | None = None
        verdict = "not-checkable"
        key, _, cls = key.partition("|")
        shown = key
        if kind == "count" and number is not None:
            row = _near(rows_by_day, day)
            seen = seen_for(row, cls) if row is not None else None
            if row is None:
                verdict = "no-imagery"
            elif seen is not None:
                n, sigma = seen
                verdict = _verdict([_agrees(number, n)], [_agrees(number, n, sigma)])
                imagery = _shown(n, sigma, verdict)
        elif kind == "baseline":
            base = before_rise.baseline if before_rise is not None else None
            years = value.get("window_years")
            shown = f"≤ {key}" if key else "—"
            if years:
                shown += f" ({years} y)"
            if number is None:
                verdict = "not-checkable"
            elif base is None:
                verdict = "no-imagery"
            else:
                verdict = _verdict(
                    [_agrees(number, base.max)], [_agrees(number, base.max, base.max_sigma)]
                )
                imagery = _shown(base.max, base.max_sigma, verdict)
        elif kind == "characterization":
            row = (
                _near(rows_by_day, day)
                if day
                else (max(rows_by_day.values(), key=lambda r: r.total) if rows_by_day else None)
            )
            if row is None:
                verdict = "no-imagery"
            else:
                imagery = f"{row.total} ({row.level})"
                verdict = "agree" if row.level == "unprecedented" else "differ"
        doc_ids = tuple(dict.fromkeys(m["document_id"] for m in members if m.get("document_id")))
        sources = tuple(
            dict.fromkeys(
                (documents[d].outlet or documents[d].title or f"#{d}") if d in documents else ""
                for d in doc_ids
            )
        ) or tuple(dict.fromkeys(m.get("outlet", "") for m in members if m.get("outlet")))
        out.append(
            PressCheck(
                kind=kind,
                value=shown,
                number=number,
                day=day,
                sources=tuple(s for s in sources if s),
                quotes=tuple(dict.fromkeys(m.get("quote", "") for m in members if m.get("quote"))),
                document_ids=doc_ids,
                imagery=imagery,
                verdict=verdict,
                status="single-source" if len(doc_ids) <= 1 else "agree",
                railcar_class=cls,
            )
        )
    order = {k: i for i, k in enumerate(CHECKED_KINDS)}
    return sorted(out, key=lambda p: (order.get(p.kind, 9), p.day or date.min, p.value))


def _near(rows_by_day: dict[date, Row], day: date | None) -> Row | None:
    # Press dates an image to the day; allow one day either side for time zones.
    if day is None:
        return None
    for delta in (0, -1, 1):
        row = rows_by_day.get(day + timedelta(days=delta))
        if row is not None:
            return row
    return None


def _format_value(number: float | None, value: Any) -> str:
    if number is not None:
        return str(int(number)) if number.is_integer() else str(number)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


#: Comparison slots the cross-check shows, in this order; the others (site,
#: sources, publication dates) say who spoke and when, not what was seen.
SLOTS: tuple[str, ...] = (
    "count",
    "baseline.max",
    "imagery_date",
    "characterization.unprecedented",
    "caveat.concealment",
    "caveat.uncertain",
    "assessment.arms_transfer",
    "assessment.impact",
    "assessment.other",
    "event.summit.when",
    "event.summit.duration_days",
)


def from_comparison(
    store: Store,
    site: str,
    rows: list[Row],
    before_rise: Row | None,
    tarped: int,
    press_obs: list[Observation],
) -> list[PressCheck] | None:
    """One row per compared slot of each event group, set against the imagery.

    Returns ``None`` when the press stage cannot compare (the report then lists
    the claims themselves).
    """
    from railwatch import press  # the press stage is optional for a report

    try:
        comparison = press.compare(store, site=site)
    except (RailwatchError, KeyError, ValueError, TypeError):
        return None
    rows_by_day = {r.day: r for r in rows if r.method != "press"}
    out: list[PressCheck] = []
    for group in comparison.groups:
        slots = {s.name: s for s in group.slots}
        day = _group_day(group.key, slots.get("imagery_date"), press_obs)
        for name, cls, slot in _split_counts(slots):
            values = slot.values
            row = _near(rows_by_day, day)
            imagery: str | None = None
            verdict = "not-checkable"
            number: float | None = None
            if name == "count":
                # press.compare writes an open upper bound ("at least 70") as null
                intervals = [
                    (lo, float("inf") if hi is None else hi)
                    for lo, hi in (v.value for v in values if isinstance(v.value, list))
                ]
                number = _typical(intervals)
                seen = seen_for(row, cls) if row is not None else None
                if row is None:
                    verdict = "no-imagery"
                elif seen is not None:
                    n, sigma = seen
                    verdict = _verdict(
                        [_within(n, lo, hi) for lo, hi in intervals],
                        [_within(n, lo, hi, sigma) for lo, hi in intervals],
                    )
                    imagery = _shown(n, sigma, verdict)
            elif name == "baseline.max":
                maxima = [v.value for v in values if isinstance(v.value, int | float)]
                number = float(statistics.median(maxima)) if maxima else None
                base = before_rise.baseline if before_rise else None
                if base is None or number is None:
                    verdict = "no-imagery"
                else:
                    verdict = _verdict(
                        [_agrees(float(m), base.max) for m in maxima],
                        [_agrees(float(m), base.max, base.max_sigma) for m in maxima],
                    )
                    imagery = _shown(base.max, base.max_sigma, verdict)
            elif name == "imagery_date":
                if row is None:
                    verdict = "no-imagery"
                else:
                    imagery = row.day.isoformat()
                    verdict = "agree"
            elif name == "characterization.unprecedented":
                if row is None:
                    verdict = "no-imagery"
                else:
                    imagery = row.level
                    verdict = "agree" if row.level == "unprecedented" else "differ"
            elif name == "caveat.concealment" and tarped:
                imagery = f"tarped:{tarped}"
                verdict = "agree"
            out.append(
                PressCheck(
                    kind=name,
                    value=" / ".join(dict.fromkeys(v.display for v in values)),
                    number=number,
                    day=day,
                    sources=tuple(dict.fromkeys(v.source for v in values)),
                    quotes=tuple(dict.fromkeys(_short(v.quote) for v in values if v.quote))[
                        : 1 if verdict == "not-checkable" else 2
                    ],
                    document_ids=tuple(dict.fromkeys(v.document_id for v in values)),
                    imagery=imagery,
                    verdict=verdict,
                    status=slot.status,
                    label=slot.label,
                    railcar_class=cls,
                )
            )
    return out


#: The class a compared count is about, as ``press.compare`` writes it: "≈175 (open)".
_DISPLAY_CLASS = re.compile(r"\((\w+)\)\s*$")


def _split_counts(slots: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """The slots to show, in order, with the ``count`` slot cut into one per single class.

    Counts of the roll-ups (freight, total) stay together and are set against the
    report's total; a count of one class is set against the imagery's count of it.
    """
    out: list[tuple[str, str, Any]] = []
    for name in SLOTS:
        slot = slots.get(name)
        if slot is None:
            continue
        if name != "count":
            out.append((name, "", slot))
            continue
        by_class: dict[str, list[Any]] = {}
        for v in slot.values:
            m = _DISPLAY_CLASS.search(v.display)
            cls = m.group(1) if m and m.group(1) in SINGLE_CLASSES else ""
            by_class.setdefault(cls, []).append(v)
        for cls, values in by_class.items():
            part = slot
            if len(by_class) > 1:
                docs = {v.document_id for v in values}
                status = "single-source" if len(docs) == 1 else slot.status
                part = dataclasses.replace(slot, values=tuple(values), status=status)
            out.append((name, cls, part))
    return out


def _group_day(key: str, slot: Any, press_obs: list[Observation]) -> date | None:
    """The imagery date an event group speaks of."""
    if slot is not None:
        days = [d for v in slot.values if (d := _iso_day(v.value)) is not None]
        if days:
            return statistics.mode(days)
    day = _iso_day(key.rsplit(":", 1)[-1])
    if day is not None:
        return day
    return press_obs[0].observed_at.date() if press_obs else None


def _typical(intervals: list[tuple[float, float]]) -> float | None:
    """The count the reports give, for the chart: the median of their intervals' middles."""
    points = [lo if hi == float("inf") else (lo + hi) / 2 for lo, hi in intervals]
    return round(float(statistics.median(points)), 1) if points else None


def _within(seen: int, lo: float, hi: float, sigma: float = 0.0) -> bool:
    # Press counts are round numbers: the same tolerance as _agrees at each end.
    err = COUNTING_SIGMAS * sigma
    tol_lo = math.hypot(_press_tolerance(lo), err)
    tol_hi = math.hypot(_press_tolerance(hi), err) if hi != float("inf") else 0.0
    return lo - tol_lo <= seen <= hi + tol_hi


def _short(quote: str, limit: int = 110) -> str:
    quote = " ".join(quote.split())
    return quote if len(quote) <= limit else quote[: limit - 1] + "…"
