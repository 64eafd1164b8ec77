"""The report's chart: counts per railcar type over the window, against the baseline.

Drawn with matplotlib's Agg backend (no display needed) into PNG and SVG bytes.
Date ticks are labelled by hand so the chart reads the same in every locale.
"""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

from railwatch.report.i18n import (  # noqa: E402
    MONTHS_SHORT,
    class_name,
    format_date,
    format_month,
    t,
)
from railwatch.report.model import ReportData  # noqa: E402

#: One colour per railcar class, shared by the chart and the imagery chips.
CLASS_COLOURS: dict[str, str] = {
    "box": "#1f77b4",
    "open": "#ff7f0e",
    "tank": "#2ca02c",
    "flat": "#9467bd",
    "passenger": "#8c564b",
    "locomotive": "#e377c2",
    "other": "#7f7f7f",
    "freight": "#17becf",
    "total": "#17becf",
}
PRESS = "#6a0dad"
ELEVATED = "#f0a202"
CLOUDED = "#7a8a99"
UNPRECEDENTED = "#d7263d"


def _num(d: date) -> float:
    return float(mdates.date2num(datetime(d.year, d.month, d.day)))


#: The zoom panel shows this many days before the onset (or the peak) up to the as-of date.
ZOOM_LEAD_DAYS = 60
#: Windows shorter than this get no zoom panel: the whole window is readable already.
ZOOM_MIN_WINDOW_DAYS = 365
#: The zoom panel needs this many dates in its span to show a rise (one before it at least).
ZOOM_MIN_POINTS = 2
#: Only a judged rise is zoomed on: a peak with too little history behind it is not one.
ZOOM_LEVELS = frozenset({"elevated", "unprecedented"})
#: Heights event labels may take at the top of a panel, highest first.
LABEL_ROWS = 4


def _legend_marker(marker: str, colour: str, label: str, *, hollow: bool = False) -> Line2D:
    return Line2D(
        [], [], marker=marker, color=colour, markeredgecolor=colour if hollow else "black",
        markerfacecolor="none" if hollow else colour, linestyle="", markersize=8, label=label,
    )  # fmt: skip


def _panel(
    ax: Any, data: ReportData, lang: str, start: float, end: float, top: float, *, dense: bool
) -> list[Any]:
    """Draw the series between ``start`` and ``end`` on ``ax``; return the legend handles."""
    rows = data.rows
    xs = [_num(r.day) for r in rows]
    handles: list[Any] = []
    band = [(x, r.baseline) for x, r in zip(xs, rows, strict=True) if r.baseline is not None]
    if band:
        ax.fill_between(
            [x for x, _ in band], [b.median for _, b in band], [b.max for _, b in band],
            step="post", color="#bbbbbb", alpha=0.45, linewidth=0,
        )  # fmt: skip
        handles.append(Patch(color="#bbbbbb", alpha=0.45, label=t(lang, "legend_band")))
    for cls in data.classes:
        if cls == data.railcar_class:
            continue
        (line,) = ax.plot(
            xs, [r.counts.get(cls, 0) for r in rows], color=CLASS_COLOURS.get(cls, "#333333"),
            linewidth=1.0, marker=".", markersize=4, label=class_name(cls, lang),
        )  # fmt: skip
        handles.append(line)
    if rows:
        (total,) = ax.plot(
            xs, [r.total for r in rows], color="#111111", linewidth=2.0, marker="o",
            markersize=3.5, label=t(lang, "legend_total", cls=class_name(data.railcar_class, lang)),
        )  # fmt: skip
        handles.append(total)
    for level, colour, marker, key in (
        ("elevated", ELEVATED, "^", "legend_elevated"),
        ("unprecedented", UNPRECEDENTED, "*", "legend_unprecedented"),
    ):
        hits = [(x, r.total) for x, r in zip(xs, rows, strict=True) if r.level == level]
        if hits:
            ax.scatter(
                [x for x, _ in hits], [y for _, y in hits], s=140 if marker == "*" else 70,
                marker=marker, color=colour, edgecolor="black", linewidth=0.6, zorder=5,
            )  # fmt: skip
            handles.append(_legend_marker(marker, colour, t(lang, key)))
    clouded = [(x, r.total) for x, r in zip(xs, rows, strict=True) if r.clouded]
    if clouded:
        ax.scatter(
            [x for x, _ in clouded], [y for _, y in clouded], s=55, marker="o",
            facecolor="white", edgecolor=CLOUDED, linewidth=1.4, zorder=5,
        )  # fmt: skip
        label = t(lang, "legend_clouded", pct=f"{data.max_cloud:g}")
        handles.append(_legend_marker("o", CLOUDED, label, hollow=True))
    presses = [p for p in data.press if p.kind == "count" and p.day and p.number is not None]
    if presses:
        ax.scatter(
            [_num(p.day) for p in presses], [p.number for p in presses],  # type: ignore[arg-type]
            marker="D", s=60, facecolor="none", edgecolor=PRESS, linewidth=1.6, zorder=6,
        )  # fmt: skip
        handles.append(_legend_marker("D", PRESS, t(lang, "legend_press"), hollow=True))

    ax.set_xlim(start, end)
    ax.set_ylim(0, top * 1.18 + 1)
    shown = [e for e in data.events if start <= _num(e.occurred_at.date()) <= end]
    placed: list[Any] = []  # extents (display pixels) of the labels drawn so far
    renderer = ax.figure.canvas.get_renderer()
    for e in sorted(shown, key=lambda e: e.occurred_at):
        x = _num(e.occurred_at.date())
        ax.axvline(x, color="#555555", linestyle="--", linewidth=0.9, zorder=1)
        limit = 26 if dense else 42
        label = e.title if len(e.title) <= limit else e.title[: limit - 1] + "…"
        # Labels of events late in the panel go left of their line, so they stay inside.
        left = (x - start) / (end - start) > 0.6
        text = ax.text(
            x, 0, f"{label}\n{format_date(e.occurred_at, lang)}", fontsize=6.5, va="top",
            ha="right" if left else "left", color="#333333",
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.75, "pad": 1.0},
            parse_math=False,  # titles are untrusted text: a "$" must not start TeX
        )  # fmt: skip
        # The highest of LABEL_ROWS rows, each one label high, where the label overlaps
        # none already drawn. With no such row the line stays unlabelled: the report's
        # table of dated events lists every event anyway.
        text.set_y(top * 1.15)
        box = text.get_window_extent(renderer)
        to_data = ax.transData.inverted()
        step = to_data.transform((0, box.height))[1] - to_data.transform((0, 0))[1]
        for row in range(LABEL_ROWS):
            text.set_y(top * 1.15 - row * step * 1.05)
            box = text.get_window_extent(renderer)
            if not any(box.overlaps(other) for other in placed):
                break
        else:
            text.remove()
            continue
        placed.append(box)
    span = end - start
    ax.xaxis.set_major_locator(
        mdates.AutoDateLocator(minticks=2 if dense else 3, maxticks=3 if dense else 9)
    )
    ax.xaxis.set_major_formatter(
        FuncFormatter(
            lambda v, _pos: (
                _day_month(mdates.num2date(v), lang)
                if span < 120
                else format_month(mdates.num2date(v), lang)
            )
        )  # fmt: skip
    )
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    ax.spines[["top", "right"]].set_visible(False)
    for tick in ax.get_xticklabels():
        tick.set_fontsize(7.5)
    return handles


def _day_month(value: date, lang: str) -> str:
    """``5 Oct`` / ``5 oct.``: short enough for a narrow panel."""
    return f"{value.day} {MONTHS_SHORT[lang][value.month - 1]}"


def draw(data: ReportData, lang: str) -> tuple[bytes, bytes]:
    """Draw the chart: the whole window and, when a rise is under way, a zoom on it.

    Returns:
        PNG bytes (150 dpi) and SVG bytes of the same figure.
    """
    fig = figure(data, lang)
    png, svg = io.BytesIO(), io.BytesIO()
    fig.savefig(png, format="png")
    fig.savefig(svg, format="svg", metadata={"Date": None})
    return png.getvalue(), svg.getvalue()


def zoom_focus(data: ReportData) -> date | None:
    """Where "the rise, close up" starts from, or None when there is no rise to show.

    A rise is shown when the latest date is judged elevated or unprecedented and the
    zoomed span holds at least :data:`ZOOM_MIN_POINTS` dates: one point alone, or a peak
    with too little history to judge, shows nothing a reader can see rising.
    """
    if data.level not in ZOOM_LEVELS:
        return None
    focus = data.onset or (data.peak.day if data.peak else None)
    if focus is None:
        return None
    first = focus - timedelta(days=ZOOM_LEAD_DAYS)
    if sum(1 for r in data.rows if first <= r.day <= data.as_of) < ZOOM_MIN_POINTS:
        return None
    return focus


def figure(data: ReportData, lang: str) -> Figure:
    """The chart as a matplotlib figure (see :func:`draw`)."""
    rows = data.rows
    presses = [p.number or 0 for p in data.press if p.kind == "count" and p.day]
    top = max([r.total for r in rows] + presses + [1])
    start = _num(data.window_start)
    end = _num(data.as_of + timedelta(days=1))
    if end - start < 30:
        start = end - 30
    focus = zoom_focus(data)
    zoom = focus is not None and end - start >= ZOOM_MIN_WINDOW_DAYS

    fig = Figure(figsize=(9.0, 3.7), dpi=150)
    FigureCanvasAgg(fig)  # a renderer to measure event labels with, before saving
    # The layout is fixed first, so labels are placed where they will be drawn.
    fig.subplots_adjust(left=0.07, right=0.99, top=0.93, bottom=0.28)
    if zoom:
        grid = fig.add_gridspec(1, 2, width_ratios=(3, 1.25), wspace=0.08)
        ax = fig.add_subplot(grid[0, 0])
        ax_zoom = fig.add_subplot(grid[0, 1], sharey=ax)
    else:
        ax = fig.add_subplot(1, 1, 1)
    handles = _panel(ax, data, lang, start, end + (end - start) * 0.02, top, dense=False)
    ax.set_xlabel(t(lang, "axis_date"))
    ax.set_ylabel(t(lang, "axis_count"))
    if zoom:
        assert focus is not None
        z0 = _num(focus - timedelta(days=ZOOM_LEAD_DAYS))
        _panel(ax_zoom, data, lang, z0, end + 3, top, dense=True)
        ax_zoom.tick_params(labelleft=False)
        ax_zoom.set_title(t(lang, "zoom_title"), fontsize=8, loc="left")
        ax.axvspan(z0, end, color="#1d3557", alpha=0.06, linewidth=0)
    _legend(fig, ax, handles)
    return fig


def _legend(fig: Figure, ax: Any, handles: list[Any]) -> None:
    """The legend under the main panel, its type shrunk until it fits the figure's width.

    Labels differ in length between languages (the French cloud label is half as
    long again as the English one), so the fit is measured, not assumed.
    """
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    for size in (7.0, 6.5, 6.0, 5.5):
        legend = ax.legend(
            handles=handles, loc="upper left", bbox_to_anchor=(0.0, -0.17), ncol=4,
            fontsize=size, frameon=False,
        )  # fmt: skip
        if legend.get_window_extent(renderer).x1 <= fig.bbox.width - 2:
            return


def _mix_ticks(days: list[date], lang: str) -> tuple[list[float], list[str]]:
    """Month starts (at most eight) over a long span; a few of the dates over a short one."""
    first, last = days[0], days[-1]
    months = []
    m = date(first.year, first.month, 1)
    while m <= last:
        if m >= first:
            months.append(m)
        m = date(m.year + m.month // 12, m.month % 12 + 1, 1)
    if len(months) >= 2:
        step = -(-len(months) // 8)
        chosen = months[::step]
        return [_num(d) for d in chosen], [format_month(d, lang) for d in chosen]
    step = -(-len(days) // 6)
    chosen = days[::step]
    return [_num(d) for d in chosen], [_day_month(d, lang) for d in chosen]


def draw_mix(data: ReportData, lang: str) -> bytes | None:
    """The class mix per date: stacked shares of freight cars by class, PNG bytes.

    Shares rather than counts, so a change of mix shows even when the volume stays
    flat; the reference and recent windows of the mix comparison are shaded and
    their shares written beside them. None when no date has a class split.
    """
    from railwatch.analyze import MIX_CLASSES

    days = [(d, c) for d, c in data.mix_days if sum(c.values())]
    if not days:
        return None
    fig = Figure(figsize=(9.0, 2.9), dpi=150)
    FigureCanvasAgg(fig)
    fig.subplots_adjust(left=0.07, right=0.82, top=0.92, bottom=0.2)
    ax = fig.add_subplot(1, 1, 1)
    xs = [_num(d) for d, _ in days]
    bottom = [0.0] * len(days)
    # Bars as wide as most gaps between passes allow, so that neighbours do not overlap.
    gaps = sorted(b - a for a, b in zip(xs, xs[1:], strict=False))
    width = max(1.5, min(8.0, 0.8 * gaps[len(gaps) // 2])) if gaps else 4.0
    handles = []
    for cls in MIX_CLASSES:
        shares = [c.get(cls, 0) / sum(c.values()) for _, c in days]
        # One collection of rectangles per class: a patch per bar is a second per chart.
        rects = [
            [(x - width / 2, b), (x + width / 2, b), (x + width / 2, b + h), (x - width / 2, b + h)]
            for x, b, h in zip(xs, bottom, shares, strict=True)
            if h > 0
        ]
        ax.add_collection(PolyCollection(rects, facecolors=CLASS_COLOURS[cls], linewidths=0))
        bottom = [b + s for b, s in zip(bottom, shares, strict=True)]
        handles.append(Patch(color=CLASS_COLOURS[cls], label=class_name(cls, lang)))
    mix = data.mix
    if mix is not None and mix.reference is not None and mix.recent is not None:
        for period, key in ((mix.reference, "mix_reference"), (mix.recent, "mix_recent")):
            x0, x1 = _num(period.start), _num(period.end)
            ax.axvspan(x0, x1, color="#1d3557", alpha=0.05, linewidth=0)
            ax.text((x0 + x1) / 2, 1.02, t(lang, key), ha="center", va="bottom", fontsize=7)
    ax.set_ylim(0, 1)
    ax.set_xlim(xs[0] - width, xs[-1] + width)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{100 * v:.0f} %"))
    ticks, labels = _mix_ticks([d for d, _ in days], lang)
    ax.set_xticks(ticks, labels)
    ax.tick_params(labelsize=7)
    ax.set_ylabel(t(lang, "mix_axis"), fontsize=8)
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7,
              frameon=False)  # fmt: skip
    png = io.BytesIO()
    fig.savefig(png, format="png")
    return png.getvalue()
