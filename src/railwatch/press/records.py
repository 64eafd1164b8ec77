"""Plain records of the press stage: claims, documents, and the comparison of sources.

They carry no store rows; ``railwatch.store.press`` builds them from rows and the
CLI and the report render them through ``to_dict``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from railwatch.errors import PressError
from railwatch.records import Observation, _plain

#: What a claim can be about. ``report_date`` is when the source spoke or published,
#: ``imagery_date`` when the pictures were taken: the two are easy to confuse.
CLAIM_KINDS: tuple[str, ...] = (
    "count",
    "baseline",
    "imagery_date",
    "report_date",
    "activity_period",
    "place",
    "source",
    "attribution",
    "assessment",
    "caveat",
    "event",
    "characterization",
)

#: Estimative levels a hedge maps to (ICD 203 vocabulary, plus ``caveat`` for limits).
HEDGES: tuple[str, ...] = ("", "almost_certain", "likely", "possible", "unlikely", "caveat")

#: How a comparison slot came out across the documents of one event.
STATUSES: tuple[str, ...] = ("agree", "conflict", "single-source", "undetermined")


def _deep(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return value.to_dict() if hasattr(value, "to_dict") else dataclasses.asdict(value)
    if isinstance(value, tuple | list):
        return [_deep(v) for v in value]
    if isinstance(value, dict):
        return {k: _deep(v) for k, v in value.items()}
    return _plain(value)


class _Record:
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, nested records included (datetimes as ISO 8601 ``Z``)."""
        return {f.name: _deep(getattr(self, f.name)) for f in dataclasses.fields(self)}  # type: ignore[arg-type]


@dataclass(frozen=True)
class Claim(_Record):
    """One thing a report asserts, with the exact words and where they stand.

    ``start``/``end`` index the text the claim was extracted from; once stored
    they index the document's original text, so ``raw_text[start:end] == quote``.
    """

    kind: str
    value: dict[str, Any]
    quote: str
    start: int
    end: int
    hedge: str = ""
    site: str | None = None
    document_id: int | None = None
    id: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in CLAIM_KINDS:
            raise PressError(f"unknown claim kind {self.kind!r} (choose from {CLAIM_KINDS})")
        if not 0 <= self.start <= self.end:
            raise PressError(f"claim offsets {self.start}..{self.end} are not a span")
        if self.hedge not in HEDGES:
            raise PressError(f"unknown hedge {self.hedge!r} (choose from {HEDGES})")


@dataclass(frozen=True)
class Document(_Record):
    """A press report as stored: where it came from, its language, and what it says."""

    sha256: str
    path: str
    outlet: str = ""
    url: str = ""
    title: str = ""
    published_at: datetime | None = None
    published_precision: str = ""  # day | month | "" (unknown)
    language: str = ""
    status: str = "ok"  # ok | partial
    warnings: tuple[str, ...] = ()
    group_key: str = ""
    sites: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)
    added_at: datetime | None = None
    id: int | None = None
    raw_text: str | None = None  # only when asked for (``press show``)
    clean_text: str | None = None
    claims: tuple[Claim, ...] = ()


@dataclass(frozen=True)
class Ingested(_Record):
    """What ``press.ingest`` did with one file."""

    document: Document
    new: bool
    observations: tuple[Observation, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class SlotValue(_Record):
    """What one document says for one slot, with its words."""

    document_id: int
    source: str  # outlet, or the file name when the outlet is unknown
    value: Any  # JSON-ready scalar or list, comparable across documents
    display: str  # for people: "≈73 (freight)", "2023-10-05", "7 days"
    quote: str
    start: int
    end: int
    claim_id: int | None = None


@dataclass(frozen=True)
class Slot(_Record):
    """One comparable fact (``count``, ``event.summit.duration_days``…) across sources."""

    name: str
    label: str
    status: str  # agree | conflict | single-source | undetermined
    values: tuple[SlotValue, ...]
    note: str = ""

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise PressError(f"unknown slot status {self.status!r}")


@dataclass(frozen=True)
class EventGroup(_Record):
    """Reports judged to tell of the same event, and how their facts line up."""

    key: str
    site: str | None
    documents: tuple[dict[str, Any], ...]  # id, outlet, language, published, title
    slots: tuple[Slot, ...]
    #: Counts that made no observation because their role, site or date is not
    #: established: document_id, source, reason ("not dated", "role unclear",
    #: "site unclear"), display and quote.
    unplaced: tuple[dict[str, Any], ...] = ()

    @property
    def agreements(self) -> tuple[Slot, ...]:
        return tuple(s for s in self.slots if s.status == "agree")

    @property
    def conflicts(self) -> tuple[Slot, ...]:
        return tuple(s for s in self.slots if s.status == "conflict")

    @property
    def single_source(self) -> tuple[Slot, ...]:
        return tuple(s for s in self.slots if s.status == "single-source")


@dataclass(frozen=True)
class Comparison(_Record):
    """Every event group in the store (or at one site), compared slot by slot."""

    groups: tuple[EventGroup, ...]
    site: str | None = None
