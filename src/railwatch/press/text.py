"""Reading report files and cleaning their text without losing where words stood.

Claims must quote the original, so cleaning never rewrites characters: it only
drops whole lines (promotions, bylines, cookie banners) and a metadata prefix.
The clean text is the concatenation of kept slices of the original, and
:class:`Cleaned` maps any clean offset back to the original one.
"""

from __future__ import annotations

import bisect
import re
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from railwatch.errors import PressError

#: Largest report file accepted; a news article is a few kB, so 5 MB means a wrong file.
MAX_BYTES = 5 * 1024 * 1024

_HEADER = re.compile(r"\A\s*date\s+(\d{4})-(\d{2})(?:-(\d{2}))?\b[ \t]*", re.IGNORECASE)

# Lines that are not the story: promotions, bylines, contributor lines, banners.
_BOILERPLATE: list[tuple[str, re.Pattern[str]]] = [
    (
        "app-promo",
        re.compile(
            r"\b(CLIQUEZ ICI|CLICK HERE|KLIK HIER|HIER KLICKEN|TÉLÉCHARGEZ L.APPLICATION"
            r"|GET THE .{0,30}APP|DOWNLOAD THE .{0,30}APP|DOWNLOAD DE .{0,30}APP)",
            re.IGNORECASE,
        ),
    ),
    (
        "contributor",
        re.compile(
            r"(a|ont|have|has|heeft|hebben|hat|haben) "
            r"(contribué|contributed|bijgedragen|beigetragen)"
            r"|contributed to this (report|story)|a contribué à ce (rapport|reportage|article)"
            r"|droeg(en)? bij aan dit",
            re.IGNORECASE,
        ),
    ),
    (
        "byline",
        re.compile(
            r"^\s*\(?\s*(([Rr]eporting by|[Ww]riting by|[Ee]diting by|[Aa]dditional reporting"
            r"|Reportage de|Rédigé par|Édité par|Edité par|Texte de)\b.{0,150}"
            r"|(By|BY|Par|PAR|Door|Von)\s+[A-ZÀ-Ý][\w'’.-]+(\s+[A-ZÀ-Ý][\w'’.-]+){0,3}"
            r"\s*([,|–—-].{0,80})?)$",
        ),
    ),
    (
        "banner",
        re.compile(
            r"\b(cookies?|abonnez-vous|subscribe|sign up|newsletter|inscrivez-vous|abonneer"
            r"|abonnieren|all rights reserved|tous droits réservés|alle rechten voorbehouden"
            r"|lire aussi|read more|lees ook|lesen sie auch|advertisement|publicité|advertentie"
            r"|share this article|partager cet article|deel dit artikel)\b",
            re.IGNORECASE,
        ),
    ),
]
# Bylines and banners are short; a long line that mentions cookies is still the story.
_SHORT_ONLY = {"byline": 160, "banner": 220}


@dataclass(frozen=True)
class Cleaned:
    """The clean text and how it maps back onto the original."""

    original: str
    text: str
    segments: tuple[tuple[int, int, int], ...]  # (clean_start, original_start, length)
    dropped: tuple[tuple[int, int, str], ...]  # (original_start, original_end, rule)
    published_at: datetime | None = None
    published_precision: str = ""

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Original offsets of a clean span; the span must lie within one kept slice.

        Raises:
            PressError: the span straddles dropped text, so no original quote exists.
        """
        starts = [s[0] for s in self.segments]
        i = bisect.bisect_right(starts, start) - 1
        if i < 0:
            raise PressError(f"offset {start} is outside the clean text")
        c0, o0, n = self.segments[i]
        if end > c0 + n:
            raise PressError(f"span {start}..{end} straddles removed text")
        return o0 + start - c0, o0 + end - c0


# Byte-order marks, longest first (a UTF-32 LE mark begins like a UTF-16 LE one).
_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
# When several encodings read the bytes equally well, those of the languages we read win:
# Western European (fr, en, nl, de, es), Cyrillic (ru), Korean, then Japanese and Chinese.
_PREFERRED = ("cp1252", "iso8859_15", "cp1251", "koi8_r", "cp949", "euc_kr", "cp932", "gb18030")


def _guess_encoding(data: bytes) -> str | None:
    """The encoding of bytes that are not UTF-8, or None when no encoding reads them as text."""
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data))
    if not matches:
        return None
    best = matches[0]
    tied = [
        m
        for m in matches
        if abs(m.chaos - best.chaos) < 1e-9 and abs(m.coherence - best.coherence) < 1e-9
    ]

    def rank(match: object) -> tuple[int, str]:
        names = getattr(match, "could_be_from_charset", [])
        for i, enc in enumerate(_PREFERRED):
            if enc in names:
                return i, enc
        return len(_PREFERRED), str(getattr(match, "encoding", ""))

    return min((rank(m) for m in tied), key=lambda r: r[0])[1] or None


def decode(data: bytes, name: str) -> tuple[str, list[str]]:
    """Text of a file's bytes, and warnings about how it was decoded.

    A byte-order mark says the encoding (UTF-8, UTF-16, UTF-32). Without one,
    UTF-8 is tried, then the encoding is detected (charset-normalizer); bytes that
    read as text in no encoding are refused rather than stored as garbage.

    Raises:
        PressError: empty, binary (NUL bytes), undecodable or too large.
    """
    if len(data) > MAX_BYTES:
        raise PressError(
            f"{name}: {len(data) / 1e6:.1f} MB is larger than the {MAX_BYTES // (1024 * 1024)} MB "
            "limit for a report"
        )
    if not data.strip():
        raise PressError(f"{name}: file is empty")
    notes: list[str] = []
    bom = next((enc for mark, enc in _BOMS if data.startswith(mark)), None)
    if bom is not None:
        try:
            text = data.decode(bom)
        except UnicodeDecodeError as exc:
            raise PressError(
                f"{name}: starts with a {bom.removesuffix('-sig').upper()} byte-order mark but "
                f"byte {exc.start} is not {bom.removesuffix('-sig').upper()}"
            ) from None
        if bom != "utf-8-sig":
            notes.append(f"decoded as {bom.upper()} (byte-order mark)")
    else:
        if b"\x00" in data[:65536]:
            raise PressError(f"{name}: binary file (NUL bytes), not a text or HTML report")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            encoding = _guess_encoding(data)
            if encoding is None:
                raise PressError(
                    f"{name}: not UTF-8 (byte {exc.start} is {data[exc.start]:#04x}) and not text "
                    "in any other encoding; save the report as UTF-8"
                ) from None
            text = data.decode(encoding, errors="replace")
            notes.append(f"not UTF-8; decoded as {encoding}")
    if not text.strip():
        raise PressError(f"{name}: file is empty")
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f")
    if controls > max(10, len(text) // 100):
        raise PressError(f"{name}: {controls} control characters; not readable text")
    return text, notes


def looks_like_html(text: str, path: Path | None = None) -> bool:
    if path is not None and path.suffix.lower() in {".html", ".htm", ".xhtml"}:
        return True
    head = text[:2000].lstrip().lower()
    return head.startswith(("<!doctype html", "<html")) or (
        len(re.findall(r"</?(p|div|body|article|span|a)\b", head)) >= 3
    )


_SCRIPTS = re.compile(r"<(script|style|noscript|template)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]{0,2000}>", re.DOTALL)
# Two printable tokens no article contains (the extractor drops unprintable characters).
_LT, _GT = "\u27e6lt\u27e7", "\u27e6gt\u27e7"
_ESCAPED_LT = re.compile(r"&(lt|#0*60|#x0*3c);", re.IGNORECASE)
_ESCAPED_GT = re.compile(r"&(gt|#0*62|#x0*3e);", re.IGNORECASE)


def html_to_text(html: str) -> tuple[str, dict[str, str]]:
    """The article body of an HTML page as plain text, and its title and date if found.

    trafilatura finds the body (offline); when it finds none, scripts and tags
    are stripped by hand. Either way no markup or script reaches the store.
    """
    import html as htmllib

    import trafilatura

    # Escaped brackets (&lt;script&gt; in a quote) are words of the article, not markup:
    # they travel through extraction as two tokens, so that stripping whatever
    # markup survives cannot take them, and come back as < and > at the end.
    html = _ESCAPED_LT.sub(_LT, html)
    html = _ESCAPED_GT.sub(_GT, html)
    meta: dict[str, str] = {}
    text = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            doc = trafilatura.bare_extraction(
                html, with_metadata=True, include_comments=False, include_tables=False
            )
        except Exception:  # trafilatura raises assorted errors on odd markup
            doc = None
    if doc is not None:
        data = doc if isinstance(doc, dict) else doc.as_dict()
        text = data.get("text")
        for key in ("title", "date", "sitename", "url"):
            if data.get(key):
                meta[key] = str(data[key])
    if not text or not text.strip():
        body = _SCRIPTS.sub(" ", html)
        body = re.sub(
            r"</(p|div|h\d|li|br|article|section)\s*>|<br\s*/?>", "\n\n", body, flags=re.I
        )
        text = htmllib.unescape(_TAG.sub(" ", body))
        text = "\n".join(re.sub(r"[ \t]+", " ", line).strip() for line in text.splitlines())
        text = re.sub(r"\n{3,}", "\n\n", text).strip()
    # Belt and braces: whatever the extractor kept, no tag or script survives.
    text = _TAG.sub("", _SCRIPTS.sub("", text))
    text = text.replace(_LT, "<").replace(_GT, ">")
    for key, value in meta.items():
        meta[key] = value.replace(_LT, "<").replace(_GT, ">")
    return text, meta


def _line_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every line, end including its newline."""
    spans = []
    pos = 0
    for line in text.splitlines(keepends=True):
        spans.append((pos, pos + len(line)))
        pos += len(line)
    return spans


def _boilerplate_rule(line: str) -> str | None:
    body = line.strip()
    if not body:
        return None
    letters = [ch for ch in body if ch.isalpha()]
    if len(letters) >= 15:
        upper = sum(1 for ch in letters if ch.isupper())
        if upper / len(letters) >= 0.8:
            return "all-caps-headline"
    for rule, pattern in _BOILERPLATE:
        limit = _SHORT_ONLY.get(rule)
        if limit is not None and len(body) > limit:
            continue
        if pattern.search(body):
            return rule
    return None


def clean(original: str) -> Cleaned:
    """Drop the metadata prefix and boilerplate lines, keeping a map to the original."""
    published_at = None
    precision = ""
    skip = 0
    dropped: list[tuple[int, int, str]] = []
    m = _HEADER.match(original)
    if m:
        year, month, day = int(m[1]), int(m[2]), m[3]
        try:
            published_at = datetime(year, month, int(day) if day else 1, tzinfo=UTC)
            precision = "day" if day else "month"
            skip = m.end()
            dropped.append((0, skip, "metadata-header"))
        except ValueError:
            published_at = None
    segments: list[tuple[int, int, int]] = []
    clean_len = 0
    for start, end in _line_spans(original):
        start = max(start, skip)
        if start >= end:
            continue
        rule = _boilerplate_rule(original[start:end])
        if rule is not None:
            dropped.append((start, end, rule))
            continue
        if segments and segments[-1][1] + segments[-1][2] == start:
            c0, o0, n = segments[-1]
            segments[-1] = (c0, o0, n + end - start)
        else:
            segments.append((clean_len, start, end - start))
        clean_len += end - start
    text = "".join(original[o0 : o0 + n] for _, o0, n in segments)
    return Cleaned(
        original=original,
        text=text,
        segments=tuple(segments),
        dropped=tuple(dropped),
        published_at=published_at,
        published_precision=precision,
    )
