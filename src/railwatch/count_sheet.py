"""A sheet of analyst counts (CSV): many counts in one command and one transaction.

A script that records counts in a loop pays the command's start-up once per count, and
most of that start-up is importing the store's SQL toolkit (about half a second on a
2-core machine, see ``python -m bench startup``). A sheet pays it once for any number
of counts, and either all of its rows are stored or none is.

The sheet is long-form, one count per line, with a header::

    site,at,class,count,analyst,note
    tumangang,2023-10-05,box,41,kim,peak image
    tumangang,2023-10-05,flat,28,kim,peak image

``analyst`` and ``note`` may be left out. Lines with the same site, time, analyst and
note are one observation set, as one ``observe add`` with several ``--count`` would be.
"""

from __future__ import annotations

import csv
import io
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from railwatch.errors import InputError
from railwatch.plausible import user_time
from railwatch.railcars import parse_counts

REQUIRED = ("site", "at", "class", "count")
OPTIONAL = ("analyst", "note")


@dataclass
class SheetEntry:
    """The counts of one site at one time, as read from the sheet's lines."""

    site: str
    observed_at: datetime
    analyst: str | None
    note: str
    #: The sheet's name (its path, or ``<stdin>``).
    source: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    #: Sheet line of each class's count.
    lines: dict[str, int] = field(default_factory=dict)

    @property
    def where(self) -> str:
        """The sheet lines this entry came from, for error messages."""
        first, last = min(self.lines.values()), max(self.lines.values())
        lines = f"line {first}" if first == last else f"lines {first}-{last}"
        return f"{self.source} {lines}".strip()


def _text(source: str | Path) -> tuple[str, str]:
    if str(source) == "-":
        return "<stdin>", sys.stdin.read()
    path = Path(source)
    try:
        return str(path), path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text (save the sheet as UTF-8 CSV)") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a CSV file") from None


def read_sheet(
    source: str | Path, *, analyst: str | None = None, note: str = ""
) -> list[SheetEntry]:
    """Read and check every line of a count sheet (``-`` reads standard input).

    ``analyst`` and ``note`` stand for the lines that leave those columns empty.

    Raises:
        InputError: naming the file and the line: a missing column, an unknown class,
            an implausible count or time, or a class counted twice for one site and time.
    """
    name, text = _text(source)
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise InputError(
            f"{name}: the header needs the columns {', '.join(REQUIRED)} "
            f"(missing {', '.join(missing)}; optional: {', '.join(OPTIONAL)})"
        )
    reader.fieldnames = header
    entries: dict[tuple[str, datetime, str | None, str], SheetEntry] = {}
    for row in reader:
        line = reader.line_num
        cell = {k: (v or "").strip() for k, v in row.items() if k is not None}
        if not any(cell.values()):
            continue
        try:
            if not cell["site"]:
                raise InputError("no site")
            when = user_time(cell["at"], what="at")
            counts = parse_counts([f"{cell['class']}={cell['count']}"])
        except InputError as exc:
            raise InputError(f"{name} line {line}: {exc}") from None
        who = cell.get("analyst") or analyst
        key = (cell["site"], when, who, cell.get("note") or note)
        entry = entries.setdefault(key, SheetEntry(key[0], when, who, key[3], name))
        (cls, n), *_ = counts.items()
        if cls in entry.counts:
            raise InputError(
                f"{name} line {line}: class {cls!r} at {cell['site']} on {cell['at']} "
                f"already counted on line {entry.lines[cls]}"
            )
        entry.counts[cls] = n
        entry.lines[cls] = line
    if not entries:
        raise InputError(f"{name}: no counts in the sheet (only a header?)")
    return list(entries.values())
