"""Rendering the report: one context, three formats (HTML, PDF, Markdown).

The HTML is self-contained: CSS inline, chart and chips as ``data:`` URIs, no
request to anywhere, so it displays offline and survives being mailed. The PDF
is WeasyPrint's rendering of that same HTML. The Markdown sits beside
``chart.png`` and ``chips/`` and refers to them relatively.

Every piece of text that came from outside (site names, event titles, press
quotes, analyst notes) reaches the templates as plain strings: Jinja2's
autoescape escapes it in HTML, and :func:`md_escape` in Markdown.
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from railwatch import railcars
from railwatch.errors import InputError, ReportError
from railwatch.plaintext import printable
from railwatch.report import chart, chips
from railwatch.report.i18n import (
    LEVEL_NAMES,
    check_lang,
    class_name,
    class_short,
    estimative,
    format_date,
    format_datetime,
    format_day_short,
    format_figure,
    format_number,
    level_name,
    method_name,
    mix_verdict,
    slot_label,
    status_name,
    t,
    verdict_name,
)
from railwatch.report.judgment import Judgment, caveats, judgment
from railwatch.report.model import ReportData, Row, build
from railwatch.store import Store

FORMATS: tuple[str, ...] = ("html", "pdf", "md")
#: The HTML/PDF table lists this many recent dates, and every elevated or unprecedented
#: one before them; every date is in report.md and observations.csv.
RECENT_ROWS = 8
#: Paired dates of a site group listed in the body (the latest; report.md has them all).
MAX_GROUP_ROWS = 12
_NOTABLE = frozenset({"elevated", "unprecedented"})
_SEMVER = re.compile(r"(?<![\d.])(\d+\.\d+(?:\.\d+)?)(?![\d])")


@dataclass(frozen=True)
class ReportResult:
    """What :func:`write` made: the judgment and the files, with timings."""

    judgment: str
    level: str | None
    term: str | None
    files: dict[str, Path]
    seconds: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "judgment": self.judgment,
            "level": self.level,
            "term": self.term,
            "files": {k: str(v) for k, v in self.files.items()},
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
        }


# ---------------------------------------------------------------------------
# Escaping for Markdown

# Characters that are markup anywhere in a line, and those that are only at its start.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
_MD_LEADING = re.compile(r"^(\s*)([#+=-])")
_MD_ORDERED = re.compile(r"^(\s*\d+)([.)])(?=\s|$)")


def md_escape(value: Any) -> str:
    """Text safe to put in Markdown: no markup, no HTML, one line.

    Emphasis, code, link and table characters are backslash-escaped everywhere;
    a leading ``#``, ``-``, ``+`` or ``1.`` (headings, lists) too; and ``&``, ``<``,
    ``>`` become entities, so no HTML gets through and no line starts a quote.
    """
    text = re.sub(r"\s+", " ", printable(str(value))).strip()
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = _MD_LEADING.sub(lambda m: m.group(1) + "\\" + m.group(2), text)
    text = _MD_ORDERED.sub(lambda m: m.group(1) + "\\" + m.group(2), text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# ---------------------------------------------------------------------------
# The context the templates render


def key_judgment(data: ReportData, lang: str) -> Judgment:
    """The key judgment of ``data`` in ``lang``."""
    latest = data.latest
    base = data.baseline
    return judgment(
        data.level,
        data.linked_events[0] if data.linked_events else None,
        lang=lang,
        site=data.site_name,
        railcar_class=data.railcar_class,
        count=latest.total if latest else None,
        day=latest.day if latest else None,
        prior_max=base.max if base else None,
        median=base.median if base else None,
        baseline_n=base.n if base else 0,
        baseline_first=base.first if base else None,
        basis=(
            "press"
            if latest and latest.method == "press"
            else "clouded"
            if latest and latest.clouded
            else "imagery"
        ),
    )


def _finding_fr(data: ReportData) -> str:
    """The analysis finding in French, from the figures it was written from."""
    row = data.latest
    if row is None:
        return ""
    cls = class_name(data.railcar_class, "fr", row.total)
    text = f"{row.total} {cls} le {format_date(row.day, 'fr')}"
    if row.method == "press":
        text += " (chiffre de presse, pas une mesure)"
    elif row.clouded and row.cloud_cover is not None:
        text += f" (d'une image couverte de nuages à {row.cloud_cover:.0f} %)"
    b = row.baseline
    start = b.window_start if b is not None and b.window_start else data.window_start
    since = f"depuis le {format_date(start, 'fr')}"
    if b is None or row.level == "insufficient-history":
        n = b.n if b else 0
        text += (
            f" : seulement {n} observation{'s' if n > 1 else ''} antérieure{'s' if n > 1 else ''} "
            f"{since}, trop peu pour juger."
        )
    elif row.level == "normal":
        text += (
            f", dans la fourchette des observations antérieures (médiane "
            f"{format_number(b.median, 'fr')}, maximum {b.max} ; n = {b.n} {since}) : normal."
        )
    else:
        if row.ratio_to_prior_max is not None:
            ratio = f"{row.ratio_to_prior_max:.2f}".replace(".", ",")
            versus = f"{ratio} fois le maximum antérieur de {b.max}"
        else:
            versus = "au-dessus d'un maximum antérieur de 0"
        text += f", {versus} (n = {b.n} observations {since}) : {level_name(row.level, 'fr')}."
    if data.onset is not None:
        text += f" Début de la hausse vers le {format_date(data.onset, 'fr')}"
        if data.onset_earliest is not None and data.onset_earliest < data.onset:
            text += f" (pas avant le {format_date(data.onset_earliest, 'fr')})"
        if data.linked_events:
            ev = data.linked_events[0]
            days = "jour" if ev.lag_days == 1 else "jours"
            text += f", {ev.lag_days} {days} après « {ev.title} » ({format_date(ev.day, 'fr')})."
        else:
            text += " ; aucun événement daté ne la précède de près."
    return text


_CONFIDENCE_FR = {
    "almost certainly": "presque certainement",
    "very likely": "très probablement",
    "likely": "probablement",
}
_UNITS_FR = {"d": ("jour", "jours"), "w": ("semaine", "semaines"), "m": ("mois", "mois"),
             "y": ("an", "ans")}  # fmt: skip


def _span_fr(text: str) -> str:
    from railwatch.analyze import parse_window

    w = parse_window(text)
    one, many = _UNITS_FR[w.unit]
    return f"{w.amount} {one if w.amount == 1 else many}"


def _classes_fr(classes: tuple[str, ...] | list[str]) -> str:
    names = [class_name(c, "fr") for c in classes]
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " et " + names[-1]


def _pct(x: float, lang: str) -> str:
    return f"{100 * x:.0f} %"


def mix_finding(data: ReportData, lang: str) -> str:
    """The class-mix finding in ``lang``: the analysis's own words in English, rebuilt in
    French from the same figures."""
    m = data.mix
    if m is None:
        return ""
    if lang == "en":
        from railwatch.analyze.mix import finding_text

        return finding_text(m, data.site_name)
    site = data.site_name
    recent, window = _span_fr(m.rules.recent), _span_fr(m.window)
    span = f"dans les {recent} jusqu'au {format_date(m.as_of, 'fr')}"
    before = f"les {window} précédents"
    if m.status == "insufficient-data" or m.reference is None or m.recent is None:
        parts = []
        for label, p in (
            ("la période récente", m.recent),
            ("la période de référence", m.reference),
        ):
            n, cars = (p.dates, p.cars) if p else (0, 0)
            parts.append(f"{label} compte {n} date(s) et {cars} wagons de marchandises")
        return (
            f"Les données ne permettent pas de dire si la composition du trafic à {site} a "
            f"changé : {' ; '.join(parts)} (il faut {m.rules.min_dates} dates et "
            f"{m.rules.min_cars} wagons de chaque côté)."
        )
    by = {c.railcar_class: c for c in m.classes}
    if m.status == "shift":
        bits = []
        if m.risen:
            bits.append(f"plus de {_classes_fr(m.risen)}")
        if m.fallen:
            bits.append(f"moins de {_classes_fr(m.fallen)}")
        text = f"{' et '.join(bits).capitalize()} à {site} {span} que dans {before} : "
        details = []
        for cls in (*m.risen, *m.fallen):
            c = by[cls]
            ratio = "nouveau" if c.ratio is None else f"{format_number(c.ratio, 'fr', 2)} fois"
            details.append(
                f"{class_name(cls, 'fr')} {_pct(c.share_recent, 'fr')} des wagons de "
                f"marchandises contre {_pct(c.share_ref, 'fr')} ({ratio}, "
                f"{_CONFIDENCE_FR.get(c.confidence, c.confidence)})"
            )
        text += " ; ".join(details) + "."
    elif m.status == "no-shift":
        text = f"Pas de changement notable de la composition du trafic à {site} {span}."
    else:
        text = (
            f"Aucun type de wagon n'a nettement augmenté ni diminué à {site} {span} par "
            f"rapport à {before}, mais les données n'excluent pas un changement."
        )
    steady = [c.railcar_class for c in m.classes if c.verdict in ("unchanged", "minor")]
    unsure = [c.railcar_class for c in m.classes if c.verdict == "uncertain"]
    if m.status == "shift" and steady:
        text += f" {_classes_fr(steady).capitalize()} : à peu près inchangés."
    if unsure:
        text += f" Les données ne disent pas si les {_classes_fr(unsure)} ont changé."
    text += (
        f" Wagons de marchandises par image : {m.recent.freight_per_date:.0f} contre "
        f"{m.reference.freight_per_date:.0f} ({m.recent.dates} et {m.reference.dates} dates)."
    )
    return text


def _mix_context(data: ReportData, lang: str, mix_png: bytes | None) -> dict[str, Any] | None:
    m = data.mix
    if m is None and mix_png is None:
        return None
    rows = []
    for c in m.classes if m else ():
        ratio = "—" if c.ratio is None else f"{format_number(c.ratio, lang, 2)}×"
        if c.ratio_low is not None and c.ratio_high is not None:
            lo, hi = format_number(c.ratio_low, lang, 2), format_number(c.ratio_high, lang, 2)
            ratio += f" ({lo}–{hi})"
        rows.append(
            {
                "cls": class_name(c.railcar_class, lang),
                "before": _pct(c.share_ref, lang),
                "recent": _pct(c.share_recent, lang),
                "ratio": ratio,
                "verdict": mix_verdict(c.verdict, lang),
                "key": c.verdict,
            }
        )
    method = ""
    if m is not None and m.chi2 is not None:
        method = t(
            lang,
            "mix_method",
            alpha=f"{m.rules.alpha:g}".replace(".", "," if lang == "fr" else "."),
            material=f"{100 * m.rules.material:.0f} %",
            chi2=format_number(m.chi2, lang, 1),
            df=m.df,
            deff=format_number(m.design_effect or 1.0, lang, 2),
            p=f"{m.p:.2g}".replace(".", "," if lang == "fr" else "."),
        )
    return {
        "finding": mix_finding(data, lang),
        "rows": rows,
        "method": method,
        "uri": _data_uri(mix_png) if mix_png else "",
        "file": "mix.png" if mix_png else "",
        "caption": t(lang, "mix_caption"),
    }


def _group_context(data: ReportData, lang: str) -> dict[str, Any] | None:
    g = data.group
    if g is None:
        return None
    sites = list(g.group.sites)
    contributions = g.contributions()
    shares = ", ".join(f"{s} {_pct(contributions[s]['share'], lang)}" for s in sites)
    rows = []
    for pair in reversed(g.pairs[-MAX_GROUP_ROWS:]):
        parts = {p.site: p for p in pair.parts}
        rows.append(
            {
                "date": format_date(pair.date, lang),
                "parts": [
                    f"{parts[s].freight} ({format_date(parts[s].date, lang)})" for s in sites
                ],
                "sum": str(pair.freight),
                "span": str(pair.span_days),
            }
        )
    return {
        "intro": t(
            lang,
            "group_intro",
            name=g.group.name,
            sites=", ".join(sites),
            anchor=sites[0],
            days=g.tolerance_days,
            unpaired=sum(len(v) for v in g.unpaired.values()),
            shares=shares,
        ),
        "sites": sites,
        "rows": rows,
    }


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _jpeg_uri(png: bytes) -> str:
    """A chip as JPEG for embedding: a sixth of the PNG's size, so the page stays mailable.

    The PNG stays the file under chips/ (lossless, for measuring).
    """
    import io

    from PIL import Image as PILImage

    buf = io.BytesIO()
    PILImage.open(io.BytesIO(png)).convert("RGB").save(buf, format="JPEG", quality=88)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _model_bench(m: Any, lang: str) -> str:
    if not m.benchmark and m.count_error is None:
        return t(lang, "model_no_bench", version=m.version)
    parts = []
    for key, value in m.benchmark.items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            parts.append(f"{key} {format_figure(float(value), lang)}")
    if m.gsd_range:
        lo, hi = (format_number(v, lang, 2) for v in m.gsd_range)
        parts.append(f"GSD {lo}–{hi} m")
    line = t(lang, "model_line", version=m.version, bench=", ".join(parts))
    if m.real or m.real_counts:
        real = [f"{key} {format_figure(value, lang)}" for key, value in m.real.items()]
        if m.real_counts:
            found, truth = m.real_counts
            real.append(t(lang, "real_found", found=found, truth=truth))
        line += t(lang, "model_real", data=m.real_data, figures=", ".join(real))
    return line


def context(
    data: ReportData,
    lang: str,
    chart_png: bytes,
    chip_list: list[chips.Chip],
    mix_png: bytes | None = None,
) -> dict[str, Any]:
    """Everything the templates print, as plain strings and lists."""
    check_lang(lang)
    kj = key_judgment(data, lang)
    cls_label = class_name(data.railcar_class, lang)
    latest, peak, base = data.latest, data.peak, data.baseline
    none = t(lang, "none")

    glance: list[tuple[str, str]] = [
        (
            t(lang, "window"),
            t(
                lang,
                "window_value",
                start=format_date(data.window_start, lang),
                end=format_date(data.as_of, lang),
            ),
        ),
        (
            t(lang, "latest"),
            f"{latest.total} ({format_date(latest.day, lang)})" if latest else none,
        ),
        (t(lang, "peak"), f"{peak.total} ({format_date(peak.day, lang)})" if peak else none),
        (t(lang, "baseline_median"), format_number(base.median, lang) if base else none),
        (t(lang, "prior_max"), str(base.max) if base else none),
        (
            t(lang, "ratio"),
            f"{format_number(latest.ratio_to_prior_max, lang)}×"
            if latest and latest.ratio_to_prior_max is not None
            else none,
        ),
        (t(lang, "level"), level_name(data.level, lang)),
    ]
    if data.onset:
        earliest = data.onset_earliest or data.onset
        onset_text = format_date(data.onset, lang)
        if earliest < data.onset:
            onset_text = t(
                lang, "onset_value", date=onset_text, earliest=format_date(earliest, lang)
            )
        glance.append((t(lang, "onset"), onset_text))

    classes = [c for c in data.classes if c != data.railcar_class]
    rows = list(data.rows)
    shown = body_rows(data.rows)
    # An image is named by its hash, as in the chips and the provenance table: the file
    # path on the server that made the report means nothing to its readers.
    shas = {i.id: i.sha256 for i in data.images}
    labels = model_labels(r.model_version for r in rows if r.model_version)
    all_rows = [
        _table_row(r, lang, classes, shas, labels, notable=i in shown)
        for i, r in reversed(list(enumerate(rows)))
    ]
    table_rows = [r for r in all_rows if r["shown"]]
    hidden = len(all_rows) - len(table_rows)
    shown_images = {rows[i].image_id for i in shown} | {c.image.id for c in data.chips}

    press = [_press_row(p, lang) for p in data.press]

    chip_ctx = []
    for c in chip_list:
        s = c.spec
        chip_ctx.append(
            {
                "title": t(
                    lang,
                    "chip_peak" if s.role == "peak" else "chip_baseline",
                    date=format_date(s.day, lang),
                ),  # fmt: skip
                "uri": _jpeg_uri(c.png) if c.png else "",
                "file": f"chips/{c.name}",
                "problem": c.problem,
                "caption": t(
                    lang,
                    "chip_caption",
                    date=format_date(s.day, lang),
                    count=s.count,
                    cls=class_name(data.railcar_class, lang, s.count),
                    gsd=format_number(s.image.gsd_m, lang, 2),
                    sha=s.image.sha256[:12],
                    n=(
                        str(c.drawn)
                        if c.drawn == len(s.detections)
                        else t(lang, "n_of_m", n=c.drawn, m=len(s.detections))
                    ),
                ),
            }
        )

    gsd = data.gsd_range
    events = []
    linked_titles = {(e.title, e.day) for e in data.linked_events}
    for e in data.events:
        lag = ""
        if data.onset is not None:
            days = (data.onset - e.occurred_at.date()).days
            lag = t(lang, "lag", days=days) if days >= 0 else t(lang, "lag_after", days=-days)
        events.append(
            {
                "date": format_date(e.occurred_at, lang),
                "title": e.title,
                "kind": e.kind,
                "lag": lag,
                "linked": (e.title, e.occurred_at.date()) in linked_titles,
            }
        )

    return {
        "lang": lang,
        "title": t(lang, "title", site=data.site_name, cls=cls_label),
        "subtitle": t(lang, "subtitle", date=format_date(data.as_of, lang)),
        "site": data.site_name,
        "country": data.country,
        "judgment": kj.text,
        "level": data.level or "none",
        "level_name": level_name(data.level, lang),
        "term": estimative(kj.term, lang) if kj.term else "",
        # The analysis writes its finding in English; the French one is rebuilt from
        # the same figures.
        "finding": data.finding if lang == "en" else _finding_fr(data),
        "glance": glance,
        "chart_uri": _data_uri(chart_png),
        "chart_file": "chart.png",
        "chart_caption": t(lang, "chart_caption", site=data.site_name),
        "chips": chip_ctx,
        "class_headers": [class_short(c, lang) for c in classes],
        # The class columns share a third of the table, 6.5 % each at most; the total
        # (the widest header) gets 8.5 %, and date, level and source fixed shares (CSS).
        "class_width": round(min(6.5, 33.0 / max(1, len(classes))), 1),
        "total_width": 8.5,
        "total_header": t(lang, "col_total", cls=class_short(data.railcar_class, lang)),
        "rows": table_rows,
        "all_rows": all_rows,
        "hidden_rows": (
            t(lang, "rows_shown", shown=len(table_rows), n=len(all_rows), recent=RECENT_ROWS)
            if hidden
            else ""
        ),
        "model_notes": [
            t(lang, "model_label", label=label, version=version)
            for version, label in labels.items()
        ],
        "press": press,
        "events": events,
        "caveats": caveats(
            lang=lang,
            tarped_detections=data.tarped_detections,
            tarp_claimed=data.tarp_claimed,
            models=data.models,
            gsd_range=gsd,
            methods=frozenset(r.method for r in data.rows),
            baseline_n=base.n if base else 0,
            disagreements=sum(1 for r in data.rows if r.disagreement),
        ),
        "models": [_model_bench(m, lang) for m in data.models],
        "gsd_line": (
            t(
                lang,
                "gsd_range" if gsd[0] != gsd[1] else "gsd_single",
                lo=format_number(gsd[0], lang, 2),
                hi=format_number(gsd[1], lang, 2),
            )
            if gsd
            else ""
        ),
        "images": [
            {
                "id": i.id,
                "date": format_date(i.day, lang),
                "sha": i.sha256[:12],
                "gsd": format_number(i.gsd_m, lang, 2),
                "provider": i.provider,
                "shown": i.id in shown_images,
            }
            for i in data.images
        ],
        "images_hidden": (
            t(
                lang,
                "images_shown",
                shown=sum(1 for i in data.images if i.id in shown_images),
                n=len(data.images),
            )
            if any(i.id not in shown_images for i in data.images)
            else ""
        ),
        "documents": [
            {
                "id": d.id,
                "outlet": d.outlet,
                "title": d.title,
                "published": format_date(d.published, lang) if d.published else "",
                "sha": d.sha256[:12],
            }
            for d in data.documents
        ],
        "rules": list(data.rules.get(lang, data.rules.get("en", ()))),
        "generated": t(
            lang,
            "generated",
            when=format_datetime(data.generated_at, lang),
            version=data.version,
        ),
        "mix": _mix_context(data, lang, mix_png),
        "group": _group_context(data, lang),
        "t": lambda key, **kw: t(lang, key, **kw),
    }


def body_rows(rows: tuple[Row, ...] | list[Row]) -> set[int]:
    """Which rows the HTML/PDF table lists: the recent ones and every notable one.

    A five-year history is a few hundred dates; the chart shows them all, the table
    the ones an analyst reads: the latest :data:`RECENT_ROWS`, and every date judged
    elevated or unprecedented before them.
    """
    recent = set(range(max(0, len(rows) - RECENT_ROWS), len(rows)))
    return recent | {i for i, r in enumerate(rows) if r.level in _NOTABLE}


def model_labels(versions: Iterable[str]) -> dict[str, str]:
    """A short name for each model version, for table cells: ``0.4.1``.

    The full version (``railcar-centernet-0.4.1+9b6d5d54.int8.t36.hflip``) is printed
    once in a note under the table. Versions that shorten alike are numbered.
    """
    out: dict[str, str] = {}
    for version in dict.fromkeys(versions):
        m = _SEMVER.search(version)
        short = m[1] if m else (version if len(version) <= 12 else version[:11] + "…")
        out[version] = short
    taken: dict[str, list[str]] = {}
    for version, short in out.items():
        taken.setdefault(short, []).append(version)
    for short, versions_ in taken.items():
        if len(versions_) > 1:
            for n, version in enumerate(versions_, 1):
                out[version] = f"{short} ({n})"
    return out


def _table_row(
    r: Row,
    lang: str,
    classes: list[str],
    shas: dict[int, str],
    labels: dict[str, str],
    *,
    notable: bool,
) -> dict[str, Any]:
    """One date of the observations table: short provenance, full figures."""
    method = method_name(r.method, lang)
    if r.model_version:
        source = f"{method} {labels[r.model_version]}"
    else:
        who = r.analyst or r.source
        source = f"{method} · {who}" if who else method
    sha = shas.get(r.image_id) if r.image_id is not None else None
    if sha:
        source += " · " + t(lang, "source_image", sha=sha[:8] + "…")
    return {
        "date": format_date(r.day, lang),
        "date_short": format_day_short(r.day, lang),
        "counts": [str(r.counts.get(c, "")) for c in classes],
        "total": str(r.total),
        "source": source,
        "level": r.level,
        "level_name": level_name(r.level, lang),
        "note": r.note,
        "flag": "; ".join(
            f
            for f in (
                t(lang, "candidates", n=r.candidates) if r.disagreement else "",
                t(lang, "clouded", pct=f"{r.cloud_cover:.0f}") if r.clouded else "",
            )
            if f
        ),
        "shown": notable,
        # For observations.csv: the figures whole, nothing shortened.
        "csv": {
            "date": r.day.isoformat(),
            **{c: r.counts.get(c, "") for c in classes},
            "total": r.total,
            "level": r.level,
            "method": r.method,
            "model_version": r.model_version or "",
            "analyst": r.analyst or "",
            "source": "" if sha else r.source,  # an image is named by its hash, not a path
            "image_sha256": sha or "",
            "cloud_cover": "" if r.cloud_cover is None else r.cloud_cover,
            "note": r.note,
        },
    }


def render_csv(ctx: dict[str, Any]) -> str:
    """Every date of the observations table as CSV (one row per date, figures whole)."""
    import csv
    import io

    rows = [r["csv"] for r in reversed(ctx["all_rows"])]
    buf = io.StringIO()
    if rows:
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: printable(str(v)) for k, v in row.items()})
    return buf.getvalue()


def _sources(names: tuple[str, ...], shown: int = 3) -> str:
    """The first few sources by name, then how many more (all are in the provenance)."""
    if len(names) <= shown + 1:
        return ", ".join(names)
    return ", ".join(names[:shown]) + f" +{len(names) - shown}"


def _press_row(p: Any, lang: str) -> dict[str, Any]:
    """One row of the press cross-check, in words."""
    none = t(lang, "none")
    label = slot_label(p.kind, lang, fallback=p.label)
    if p.railcar_class:  # a count of one class, checked against that class's count
        label += f" — {class_name(p.railcar_class, lang)}"
    if p.day and p.kind in ("count", "characterization.unprecedented", "characterization"):
        label += f" ({format_date(p.day, lang)})"
    imagery = p.imagery
    if imagery is None:
        shown = none
    elif imagery.startswith("tarped:"):
        shown = t(lang, "tarped_seen", n=imagery.split(":", 1)[1])
    elif imagery in LEVEL_NAMES["en"]:
        shown = level_name(imagery, lang)
    elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", imagery):
        shown = format_date(date.fromisoformat(imagery), lang)
    else:
        shown = imagery
    return {
        "claim": label,
        "sources": _sources(p.sources) or none,
        "status": status_name(p.status, lang) if p.status else "",
        "status_key": p.status,
        "value": p.value,
        "imagery": shown,
        "verdict": p.verdict,
        "verdict_name": verdict_name(p.verdict, lang),
        "quotes": list(p.quotes),
        "documents": ", ".join(f"#{d}" for d in p.document_ids),
    }


# ---------------------------------------------------------------------------
# Templates


def _printable(value: Any) -> Any:
    # Every value printed, whatever its field: a NUL or an escape from an image tag,
    # a sidecar or a note must not reach the page raw.
    return printable(value, keep_lines=True) if isinstance(value, str) else value


def _environment(markdown: bool) -> Environment:
    env = Environment(
        loader=PackageLoader("railwatch.report", "templates"),
        finalize=_printable,
        autoescape=False if markdown else select_autoescape(["html", "j2"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = md_escape
    return env


def render_html(ctx: dict[str, Any]) -> str:
    """The self-contained HTML report."""
    return _environment(markdown=False).get_template("report.html.j2").render(**ctx)


def render_markdown(ctx: dict[str, Any]) -> str:
    """The Markdown report (refers to chart.png and chips/ beside it)."""
    return _environment(markdown=True).get_template("report.md.j2").render(**ctx)


def render_pdf(html: str) -> bytes:
    """The PDF of the HTML report (WeasyPrint; nothing is fetched from outside).

    Raises:
        ReportError: WeasyPrint cannot render it.
    """
    import logging

    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    # WeasyPrint logs every CSS property it does not know at WARNING; keep stderr quiet.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)

    # Only data: URIs are loaded; anything else a template might name is refused.
    fetcher = URLFetcher(allowed_protocols={"data"})

    try:
        return HTML(string=html, url_fetcher=fetcher).write_pdf()
    except Exception as exc:  # WeasyPrint raises many kinds; name the step that failed
        raise ReportError(f"cannot render the PDF: {exc.__class__.__name__}: {exc}") from exc


def parse_formats(text: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """``"html,pdf"`` → ``("html", "pdf")``, checked.

    Raises:
        InputError: an unknown format.
    """
    items = text.split(",") if isinstance(text, str) else list(text)
    out = tuple(dict.fromkeys(i.strip().lower() for i in items if i.strip()))
    bad = [f for f in out if f not in FORMATS]
    if bad or not out:
        raise InputError(
            f"unknown report format {', '.join(bad) or repr(text)} (choose from html, pdf, md)"
        )
    return out


def write(
    store: Store,
    site: str,
    out_dir: Path,
    *,
    formats: tuple[str, ...] | str = FORMATS,
    lang: str = "en",
    as_of: datetime | None = None,
    railcar_class: str = "freight",
    window: str = "5y",
    group: bool = False,
    mix_window: str = "2y",
) -> ReportResult:
    """Write the assessment of ``site`` into ``out_dir``.

    Writes ``report.html``, ``report.pdf``, ``report.md`` (those asked for),
    ``chart.png``, ``chart.svg`` and ``chips/*.png``.

    Args:
        store: the store to read (nothing is written to it).
        site: site slug.
        out_dir: the folder to write into (made if missing).
        formats: some of ``html``, ``pdf``, ``md`` (a list or ``"html,pdf"``).
        lang: ``en`` or ``fr``.
        as_of: judge as of this time; later observations are left out.
        railcar_class: the class or roll-up the judgment is about.
        window: how far back the baseline and chart reach (``5y``, ``18m``, ``all``).
        group: ``site`` names a site group (summed per paired date, each site's part shown).
        mix_window: reference window of the class-mix comparison (``2y``).

    Raises:
        NotFoundError: unknown site.
        InputError: bad format, language, class or window.
        ReportError: the output folder cannot be written or the PDF cannot be rendered.
    """
    formats = parse_formats(formats)
    check_lang(lang)
    railcars.members(railcar_class)
    clock = time.perf_counter()
    seconds: dict[str, float] = {}

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[name] = now - clock
        clock = now

    data = build(
        store,
        site,
        as_of=as_of,
        railcar_class=railcar_class,
        window=window,
        group=group,
        mix_window=mix_window,
    )
    lap("data")
    chart_png, chart_svg = chart.draw(data, lang)
    mix_png = chart.draw_mix(data, lang)
    lap("chart")
    chip_list = chips.cut_all(data.chips, lang)
    lap("chips")
    ctx = context(data, lang, chart_png, chip_list, mix_png)

    out_dir = Path(out_dir)
    files: dict[str, Path] = {}
    try:
        (out_dir / "chips").mkdir(parents=True, exist_ok=True)
        files["chart_png"] = _put(out_dir / "chart.png", chart_png)
        files["chart_svg"] = _put(out_dir / "chart.svg", chart_svg)
        if mix_png:
            files["mix_png"] = _put(out_dir / "mix.png", mix_png)
        for c in chip_list:
            if c.png:
                files[f"chip_{c.spec.role}"] = _put(out_dir / "chips" / c.name, c.png)
        files["csv"] = _put(out_dir / "observations.csv", render_csv(ctx).encode("utf-8"))
        html = render_html(ctx)
        if "html" in formats:
            files["html"] = _put(out_dir / "report.html", html.encode("utf-8"))
        if "md" in formats:
            files["md"] = _put(out_dir / "report.md", render_markdown(ctx).encode("utf-8"))
        lap("html_md")
        if "pdf" in formats:
            files["pdf"] = _put(out_dir / "report.pdf", render_pdf(html))
            lap("pdf")
    except OSError as exc:
        raise ReportError(f"{out_dir}: cannot write the report: {exc.strerror or exc}") from exc
    seconds["total"] = sum(seconds.values())
    kj = key_judgment(data, lang)
    return ReportResult(
        judgment=kj.text, level=data.level, term=kj.term, files=files, seconds=seconds
    )


def judge(
    store: Store,
    site: str,
    *,
    lang: str = "en",
    as_of: datetime | None = None,
    railcar_class: str = "freight",
    window: str = "5y",
) -> dict[str, Any]:
    """The key judgment a report would open with, without drawing or writing anything.

    Raises:
        NotFoundError: unknown site.
        InputError: bad language, class or window.
    """
    check_lang(lang)
    railcars.members(railcar_class)
    data = build(store, site, as_of=as_of, railcar_class=railcar_class, window=window)
    kj = key_judgment(data, lang)
    return {"judgment": kj.text, "level": data.level, "term": kj.term}


def _put(path: Path, content: bytes) -> Path:
    # Write beside, then rename, so a reader never sees half a report.
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_bytes(content)
    tmp.replace(path)
    return path
