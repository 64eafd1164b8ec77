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
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from railwatch import railcars
from railwatch.errors import InputError, ReportError
from railwatch.report import chart, chips
from railwatch.report.i18n import (
    LEVEL_NAMES,
    check_lang,
    class_name,
    class_short,
    estimative,
    format_date,
    format_datetime,
    format_figure,
    format_number,
    level_name,
    method_name,
    slot_label,
    status_name,
    t,
    verdict_name,
)
from railwatch.report.judgment import Judgment, caveats, judgment
from railwatch.report.model import ReportData, build
from railwatch.store import Store

FORMATS: tuple[str, ...] = ("html", "pdf", "md")
MAX_TABLE_ROWS = 30  # older dates are in the chart; the table keeps the recent ones


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
    text = re.sub(r"\s+", " ", str(value)).strip()
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
    data: ReportData, lang: str, chart_png: bytes, chip_list: list[chips.Chip]
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
    hidden = max(0, len(rows) - MAX_TABLE_ROWS)
    table_rows = []
    # An image is named by its hash, as in the chips and the provenance table: the file
    # path on the server that made the report means nothing to its readers.
    shas = {i.id: i.sha256[:12] for i in data.images}
    for r in reversed(rows[hidden:]):
        by = r.model_version or r.analyst or ""
        if r.image_id in shas:
            origin = t(lang, "source_image", sha=shas[r.image_id])
        else:
            origin = r.source if r.source != by else ""
        table_rows.append(
            {
                "date": format_date(r.day, lang),
                "counts": [str(r.counts.get(c, "")) for c in classes],
                "total": str(r.total),
                "source": method_name(r.method, lang) + (f" · {origin}" if origin else ""),
                "by": by,
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
            }
        )

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
        # The count columns share a third of the table, at most 8 % each.
        "class_width": round(min(7.0, 40.0 / (len(classes) + 1)), 1),
        "total_header": t(lang, "col_total", cls=class_short(data.railcar_class, lang)),
        "rows": table_rows,
        "hidden_rows": t(lang, "hidden_rows", n=hidden) if hidden else "",
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
            }
            for i in data.images
        ],
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
        "t": lambda key, **kw: t(lang, key, **kw),
    }


def _sources(names: tuple[str, ...], shown: int = 3) -> str:
    """The first few sources by name, then how many more (all are in the provenance)."""
    if len(names) <= shown + 1:
        return ", ".join(names)
    return ", ".join(names[:shown]) + f" +{len(names) - shown}"


def _press_row(p: Any, lang: str) -> dict[str, Any]:
    """One row of the press cross-check, in words."""
    none = t(lang, "none")
    label = slot_label(p.kind, lang, fallback=p.label)
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


def _environment(markdown: bool) -> Environment:
    env = Environment(
        loader=PackageLoader("railwatch.report", "templates"),
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

    data = build(store, site, as_of=as_of, railcar_class=railcar_class, window=window)
    lap("data")
    chart_png, chart_svg = chart.draw(data, lang)
    lap("chart")
    chip_list = chips.cut_all(data.chips, lang)
    lap("chips")
    ctx = context(data, lang, chart_png, chip_list)

    out_dir = Path(out_dir)
    files: dict[str, Path] = {}
    try:
        (out_dir / "chips").mkdir(parents=True, exist_ok=True)
        files["chart_png"] = _put(out_dir / "chart.png", chart_png)
        files["chart_svg"] = _put(out_dir / "chart.svg", chart_svg)
        for c in chip_list:
            if c.png:
                files[f"chip_{c.spec.role}"] = _put(out_dir / "chips" / c.name, c.png)
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
