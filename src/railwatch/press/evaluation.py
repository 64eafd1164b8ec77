"""How well the extractor reads reports it was not written for, slot by slot.

A gold directory holds report files and ``gold.jsonl``: one JSON object per report
with its file name, split, language, publication date and the slots a careful reader
takes from it (sites, counts by class and role with their day, imagery dates, prior
maximum and look-back window, sources, hedges, caveats, summit length and the delay
from the summit). Splits: ``tune`` (rules are fitted to it), ``heldout`` (the first
held-out set, looked at while fixing its misses, so now seen) and ``heldout2`` (written
later, measured but never tuned on: the honest figure). Every slot is scored as a
set: precision is the share of what the extractor said that the gold holds, recall the
share of the gold it said. The observations the reports would have written are
checked apart, since a wrong one moves the analysis; every wrong one is listed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from railwatch.errors import InputError
from railwatch.press.records import Claim
from railwatch.records import Site

#: Slots scored, in the order the tables show them.
SLOTS: tuple[str, ...] = (
    "language",
    "sites",
    "counts",
    "observations",
    "imagery_date",
    "prior_max",
    "window_years",
    "sources",
    "hedges",
    "caveats",
    "summit_days",
    "lag_days",
)
_FIELDS = {"file", "split", "lang"}


@dataclass
class Score:
    """True positives, false positives and misses of one slot over some reports."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    def add(self, predicted: set, gold: set) -> None:
        self.tp += len(predicted & gold)
        self.fp += len(predicted - gold)
        self.fn += len(gold - predicted)

    def to_dict(self) -> dict[str, Any]:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": self.precision,
            "recall": self.recall,
        }


@dataclass
class ReportResult:
    """What one report gave against its gold, slot by slot (only the slots that differ)."""

    file: str
    split: str
    lang: str
    wrong: dict[str, list[Any]] = field(default_factory=dict)  # said, not in the gold
    missed: dict[str, list[Any]] = field(default_factory=dict)  # in the gold, not said

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "split": self.split,
            "lang": self.lang,
            "wrong": self.wrong,
            "missed": self.missed,
        }


@dataclass
class Evaluation:
    """Scores per split, per language and per slot, and every wrong observation."""

    scores: dict[str, dict[str, dict[str, Score]]]  # split -> language ("all") -> slot
    reports: list[ReportResult]
    wrong_observations: list[dict[str, Any]]
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "scores": {
                split: {
                    lang: {slot: s.to_dict() for slot, s in slots.items()}
                    for lang, slots in langs.items()
                }
                for split, langs in self.scores.items()
            },
            "wrong_observations": self.wrong_observations,
            "reports": [r.to_dict() for r in self.reports if r.wrong or r.missed],
            "seconds": round(self.seconds, 3),
        }


def load_gold(data: Path) -> list[dict[str, Any]]:
    """The gold entries of a directory, checked enough to score them.

    Raises:
        InputError: no ``gold.jsonl``, a line that is not JSON, a missing field or file.
    """
    path = Path(data) / "gold.jsonl"
    if not path.is_file():
        raise InputError(f"{path}: no gold file (gold.jsonl, one JSON object per report)")
    entries = []
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}:{i}: not JSON ({exc.msg})") from None
        missing = _FIELDS - set(entry)
        if missing:
            raise InputError(f"{path}:{i}: missing {', '.join(sorted(missing))}")
        if not (Path(data) / entry["file"]).is_file():
            raise InputError(f"{path}:{i}: report {entry['file']!r} is not in {data}")
        entries.append(entry)
    if not entries:
        raise InputError(f"{path}: no reports")
    return entries


def gold_slots(entry: dict[str, Any]) -> dict[str, set]:
    """The gold entry as one set per slot."""
    counts = entry.get("counts", [])
    return {
        "language": {entry["lang"]},
        "sites": set(entry.get("sites", [])),
        "counts": {(c["site"], c["class"], c["role"], _value(c["count"])) for c in counts},
        "observations": {
            (c["site"], c["class"], c["count"], c["date"])
            for c in counts
            # a range ("between 60 and 70") stays a claim: no single number to store
            if c.get("date")
            and c["role"] in {"current", "breakdown"}
            and not isinstance(c["count"], list)
        },
        "imagery_date": set(entry.get("imagery_date", [])),
        "prior_max": set(entry.get("prior_max", [])),
        "window_years": set(entry.get("window_years", [])),
        "sources": set(entry.get("sources", [])),
        "hedges": set(entry.get("hedges", [])),
        "caveats": set(entry.get("caveats", [])),
        "summit_days": {entry["summit_days"]} if entry.get("summit_days") else set(),
        "lag_days": {entry["lag_days"]} if entry.get("lag_days") else set(),
    }


def predicted_slots(language: str, sites: Iterable[str], claims: list[Claim]) -> dict[str, set]:
    """What the extractor said about one report, as one set per slot."""
    from railwatch.press.service import placed_counts

    out: dict[str, set] = {slot: set() for slot in SLOTS}
    out["language"] = {language}
    out["sites"] = set(sites)
    for c in claims:
        v = c.value
        if c.kind == "count" and v.get("role") in {"current", "breakdown"}:
            value = v["count"] if not v.get("range") else _value(v["range"])
            out["counts"].add((c.site, v["railcar_class"], v["role"], value))
        elif c.kind == "imagery_date" and v.get("resolved"):
            out["imagery_date"].add(v["date"])
        elif c.kind == "baseline":
            if v.get("max") is not None:
                out["prior_max"].add(v["max"])
            if v.get("window_years") is not None:
                out["window_years"].add(v["window_years"])
        elif c.kind == "source":
            out["sources"].add(v["name"])
        elif c.kind == "assessment":
            out["hedges"].add(v["level"])
        elif c.kind == "caveat":
            out["caveats"] |= {k for k in ("concealment", "uncertain") if v.get(k)}
        elif c.kind == "event" and v.get("attribute") == "duration_days":
            out["summit_days"].add(v["days"])
        elif c.kind == "event" and v.get("attribute") == "lag_days":
            out["lag_days"].add(v["days"])
    out["observations"] = {
        (c.site, c.value["railcar_class"], c.value["count"], c.value["date"])
        for c in placed_counts(claims)
    }
    return out


def _value(count: int | list[int]) -> int | str:
    return f"{count[0]}-{count[1]}" if isinstance(count, list) else count


def evaluate(data: Path, sites: list[Site], *, split: str | None = None) -> Evaluation:
    """Score the extractor on the gold reports of ``data`` (one split, or all).

    Raises:
        InputError: the gold file or a report is missing or malformed.
    """
    import time

    from railwatch.press.service import prepare

    entries = [e for e in load_gold(Path(data)) if split is None or e["split"] == split]
    if not entries:
        raise InputError(f"{data}: no reports in split {split!r}")
    scores: dict[str, dict[str, dict[str, Score]]] = {}
    reports: list[ReportResult] = []
    wrong_obs: list[dict[str, Any]] = []
    t0 = time.perf_counter()
    for entry in entries:
        prepared = prepare(
            Path(data) / entry["file"],
            sites,
            published=entry.get("published"),
            lang=entry.get("lang_given"),
        )
        doc = prepared.document
        said = predicted_slots(doc.language, doc.sites, prepared.claims)
        gold = gold_slots(entry)
        result = ReportResult(entry["file"], entry["split"], entry["lang"])
        for slot in SLOTS:
            for lang in ("all", entry["lang"]):
                by_slot = scores.setdefault(entry["split"], {}).setdefault(lang, {})
                by_slot.setdefault(slot, Score()).add(said[slot], gold[slot])
            if said[slot] - gold[slot]:
                result.wrong[slot] = sorted(said[slot] - gold[slot], key=repr)
            if gold[slot] - said[slot]:
                result.missed[slot] = sorted(gold[slot] - said[slot], key=repr)
        for site, cls, count, day in sorted(said["observations"] - gold["observations"], key=repr):
            quote = next(
                (
                    c.quote
                    for c in prepared.claims
                    if c.kind == "count" and c.site == site and c.value["count"] == count
                ),
                "",
            )
            wrong_obs.append(
                {
                    "file": entry["file"],
                    "split": entry["split"],
                    "site": site,
                    "railcar_class": cls,
                    "count": count,
                    "date": day,
                    "quote": quote,
                }
            )
        reports.append(result)
    return Evaluation(scores, reports, wrong_obs, time.perf_counter() - t0)
