"""Setting the reports of one event side by side, slot by slot.

A slot is one fact a report can state (the count, the prior maximum, the
imagery date, the summit's length…). For each slot the comparison lists what
every report says, with its words, and calls it ``agree``, ``conflict``,
``single-source`` (only one report says it) or ``undetermined`` (the reports
say it in words that cannot be resolved, e.g. "Friday" with no publication day).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from railwatch.press.grouping import count_interval
from railwatch.press.records import Claim, Document, EventGroup, Slot, SlotValue

_LABELS = {
    "site": "site",
    "count": "railcar count",
    "baseline.max": "prior maximum",
    "baseline.window_years": "look-back window (years)",
    "baseline.level": "earlier or typical level",
    "imagery_date": "imagery date",
    "report_date": "date the source spoke or published",
    "activity_period": "period of the activity",
    "source": "source",
    "characterization.unprecedented": "called unprecedented",
    "caveat.concealment": "cargo hidden (tarps, covers)",
    "caveat.uncertain": "source says it cannot be sure",
    "event.summit.duration_days": "summit length (days)",
    "event.summit.lag_days": "delay from the summit (days)",
    "event.summit.when": "summit date",
}
_QUAL = {"exact": "", "approx": "≈", "at_least": "≥", "at_most": "≤"}
_DATE_SLOTS = {"imagery_date", "report_date", "activity_period", "event.summit.when"}


def _slot_entries(claim: Claim) -> list[tuple[str, Any, str]]:
    """(slot, comparable value, display) pairs one claim contributes."""
    v = claim.value
    k = claim.kind
    if k == "place" and v.get("role") == "site":
        return [("site", v["site"], v["site"])]
    if k == "count":
        if v.get("role", "current") not in {"current", "breakdown"}:
            return []  # a change, a capacity or an unclear number is not a railcar count
        cls = v.get("railcar_class", "total")
        low, high = count_interval(v)
        # JSON has no infinity: an open upper bound ("at least 70") is written as null.
        interval = [low, None if high == float("inf") else high]
        return [
            ("count", interval, f"{_QUAL.get(v.get('qualifier', 'exact'), '')}{v['count']} ({cls})")
        ]
    if k == "baseline":
        out = []
        if v.get("window_years") is not None:
            out.append(("baseline.window_years", v["window_years"], f"{v['window_years']} years"))
        if v.get("level") is not None:
            out.append(("baseline.level", v["level"], f"{v['level']}"))
        if v.get("max") is not None:
            out.append(("baseline.max", v["max"], f"≤{v['max']}"))
        return out
    if k in {"imagery_date", "report_date", "activity_period"}:
        return [(k, _date_value(v), _date_display(v))]
    if k == "source":
        return [("source", v["name"], v["name"])]
    if k == "characterization" and v.get("unprecedented"):
        return [("characterization.unprecedented", True, "unprecedented")]
    if k == "caveat":
        out = []
        if v.get("concealment"):
            out.append(("caveat.concealment", True, "cargo hidden"))
        if v.get("uncertain"):
            out.append(("caveat.uncertain", True, "cannot be sure"))
        return out
    if k == "assessment":
        topic = v.get("topic", "other")
        who = f" ({v['attributed_to']})" if v.get("attributed_to") else ""
        return [(f"assessment.{topic}", v["level"], f"{v['level']}{who}")]
    if k == "event" and v.get("attribute") == "duration_days":
        return [("event.summit.duration_days", v["days"], f"{v['days']} days")]
    if k == "event" and v.get("attribute") == "lag_days":
        word = "after" if v.get("direction", "after") == "after" else "before"
        return [("event.summit.lag_days", v["days"], f"{v['days']} days {word}")]
    if k == "event" and v.get("attribute") == "when":
        return [("event.summit.when", _date_value(v), _date_display(v))]
    return []


def _date_value(v: dict[str, Any]) -> Any:
    if not v.get("resolved"):
        return None
    if v.get("precision") == "month":
        return v["date"][:7]
    return v["date"]


def _date_display(v: dict[str, Any]) -> str:
    if not v.get("resolved"):
        return f"{v['expression']} (unresolved)"
    value = _date_value(v)
    if v.get("until") and v.get("precision") == "week":
        return f"{v['date']}..{v['until']} ({v['expression']})"
    return f"{value}" + (f" ({v['expression']})" if v.get("relative") else "")


def _status(slot: str, per_doc: dict[int, list[SlotValue]]) -> tuple[str, str]:
    if len(per_doc) == 1:
        return "single-source", ""
    if slot in _DATE_SLOTS:
        resolved = {d: {x.value for x in vs if x.value is not None} for d, vs in per_doc.items()}
        known = {d: s for d, s in resolved.items() if s}
        if len(known) < len(per_doc):
            words = {d: {x.quote.strip().lower() for x in vs} for d, vs in per_doc.items()}
            if not known and set.intersection(*words.values()):
                return "agree", "same words, not resolvable to a date"
            return "undetermined", "some reports give no resolvable date"
        if set.intersection(*known.values()):
            return "agree", ""
        return "conflict", ""
    if slot == "count":
        inf = float("inf")
        bounds = [
            [(lo, inf if hi is None else hi) for lo, hi in (x.value for x in vs)]
            for vs in per_doc.values()
        ]
        points = {p for doc in bounds for iv in doc for p in iv if p != float("inf")}
        for p in sorted(points):
            if all(any(lo <= p <= hi for lo, hi in doc) for doc in bounds):
                exact = {tuple(x.value) for vs in per_doc.values() for x in vs}
                note = "" if len(exact) == 1 else f"consistent at {p:g}"
                return "agree", note
        return "conflict", ""
    sets = [{_hashable(x.value) for x in vs} for vs in per_doc.values()]
    if set.intersection(*sets):
        return "agree", ""
    return "conflict", ""


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _source_name(doc: Document) -> str:
    return doc.outlet or doc.path.rsplit("/", 1)[-1] or f"document {doc.id}"


def compare_group(key: str, documents: Sequence[Document]) -> EventGroup:
    """Compare the documents of one event group; each carries its claims."""
    slots: dict[str, dict[int, list[SlotValue]]] = {}
    for doc in documents:
        for claim in doc.claims:
            for slot, value, display in _slot_entries(claim):
                entry = SlotValue(
                    document_id=doc.id or 0,
                    source=_source_name(doc),
                    value=value,
                    display=display,
                    quote=claim.quote,
                    start=claim.start,
                    end=claim.end,
                    claim_id=claim.id,
                )
                per_doc = slots.setdefault(slot, {}).setdefault(doc.id or 0, [])
                if all(x.display != display for x in per_doc):
                    per_doc.append(entry)
    unplaced = [
        {
            "document_id": doc.id,
            "source": _source_name(doc),
            "reason": c.value["placement"],
            "display": f"{_QUAL.get(c.value.get('qualifier', 'exact'), '')}{c.value['count']}"
            f" ({c.value.get('railcar_class', 'total')}, {c.value.get('role', '?')})",
            "quote": c.quote,
            "claim_id": c.id,
        }
        for doc in documents
        for c in doc.claims
        if c.kind == "count"
        and c.value.get("placement") in {"not dated", "role unclear", "site unclear", "a range"}
    ]
    out = []
    for slot, per_doc in slots.items():
        status, note = _status(slot, per_doc)
        values = tuple(v for vs in per_doc.values() for v in vs)
        label = _LABELS.get(slot) or slot.replace(".", " ").replace("_", " ")
        out.append(Slot(name=slot, label=label, status=status, values=values, note=note))
    order = list(_LABELS)
    out.sort(key=lambda s: (order.index(s.name) if s.name in order else len(order), s.name))
    site = key.split(":", 1)[0]
    return EventGroup(
        key=key,
        site=None if site == "unsited" else site,
        documents=tuple(
            {
                "id": d.id,
                "outlet": d.outlet,
                "path": d.path,
                "language": d.language,
                "published_at": d.published_at,
                "published_precision": d.published_precision,
                "title": d.title,
                "status": d.status,
            }
            for d in documents
        ),
        slots=tuple(out),
        unplaced=tuple(unplaced),
    )
