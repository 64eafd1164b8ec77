"""``railwatch analyze``: how unusual is a site's railcar count, since when, after what."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich import box
from rich.table import Column, Table

from railwatch.cli.common import (
    DEFAULT_DB_VALUE,
    DbOption,
    JsonOption,
    emit_json,
    out,
    say,
    store_at,
)
from railwatch.plausible import user_time

_METHOD_SHORT = {"analyst": "ana", "detector": "det", "press": "prs"}
#: Marks a date whose count came from a clouded image (``--max-cloud``).
_CLOUDED = "☁"
_LEVEL_STYLE = {
    "insufficient-history": "dim",
    "normal": "",
    "elevated": "yellow",
    "unprecedented": "bold red",
}


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the railwatch app."""
    app.command("analyze")(analyze_site)


def _num(value: float | None, fmt: str = "{:.1f}") -> str:
    return "–" if value is None else fmt.format(value)


def analyze_site(
    site: Annotated[str | None, typer.Option("--site", help="Site slug (e.g. tumangang).")] = None,
    group: Annotated[
        str | None,
        typer.Option("--group", help="Site group slug: its sites' counts summed per paired date."),
    ] = None,
    tolerance: Annotated[
        int,
        typer.Option(
            "--tolerance", help="Days apart two sites' passes may be and still pair (--group)."
        ),
    ] = 3,
    mix: Annotated[
        bool,
        typer.Option("--mix", help="Also compare the class mix of the recent window with before."),
    ] = False,
    mix_window: Annotated[
        str, typer.Option("--mix-window", help="Reference window of the mix comparison.")
    ] = "2y",
    mix_recent: Annotated[
        str,
        typer.Option("--mix-recent", help="Recent window of the mix comparison, to --as-of."),
    ] = "90d",
    railcar_class: Annotated[
        str,
        typer.Option(
            "--class",
            help="box, open, tank, flat, passenger, locomotive, other, or the roll-ups "
            "freight (box+open+tank+flat+other) and total (all).",
        ),
    ] = "freight",
    window: Annotated[
        str, typer.Option("--window", help="Trailing baseline window: 5y, 18m, 90d, 2w.")
    ] = "5y",
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Ignore observations after this date (ISO 8601, UTC)."),
    ] = None,
    lookback: Annotated[
        str, typer.Option("--lookback", help="How far before the onset events are linked.")
    ] = "30d",
    min_history: Annotated[
        int | None,
        typer.Option("--min-history", help="Earlier observation dates needed to judge (10)."),
    ] = None,
    max_cloud: Annotated[
        float,
        typer.Option(
            "--max-cloud",
            help="Percent of an image under cloud above which its count does not set baselines.",
        ),
    ] = 25.0,
    rows: Annotated[
        int, typer.Option("--rows", help="Dates shown in the table (latest ones; 0 = all).")
    ] = 20,
    db: DbOption = DEFAULT_DB_VALUE,
    as_json: JsonOption = False,
) -> None:
    """Judge each observation date against the years before it; find the rise and its trigger.

    With --mix, also compare the class mix of the recent window with the window before it;
    with --group, read a group of sites (both sides of a crossing) as one series.
    """
    from railwatch.errors import AnalysisError, InputError

    if (site is None) == (group is None):
        raise InputError("give either --site SLUG or --group SLUG")
    when = user_time(as_of, what="--as-of").date() if as_of else None
    with store_at(db) as store:
        from railwatch import analyze  # SciPy loads here, not at CLI start-up

        options: dict[str, Any] = dict(
            railcar_class=railcar_class,
            window=window,
            as_of=when,
            lookback=lookback,
            min_history=min_history,
            rules=analyze.Rules(max_cloud=max_cloud),
        )
        mix_rules = analyze.MixRules(recent=mix_recent)
        analyze.parse_window(mix_window, what="--mix-window")
        series = shift = None
        if group is not None:
            grouped = analyze.assess_group(
                store,
                group,
                tolerance_days=tolerance,
                mix=mix,
                mix_window=mix_window,
                mix_rules=mix_rules,
                **options,
            )
            result, series, shift = grouped.assessment, grouped.series, grouped.mix
        else:
            assert site is not None
            result = analyze.assess_site(store, site, **options)
            if mix:
                try:
                    shift = analyze.assess_site_mix(
                        store,
                        site,
                        as_of=when or result.latest.date,
                        window=mix_window,
                        rules=mix_rules,
                        max_cloud=max_cloud,
                    )
                except AnalysisError as exc:  # no class split at all: the volume still stands
                    say(f"class mix: {exc}")
    if as_json:
        document = result.to_dict()
        if series is not None:
            document["group"] = series.to_dict()
        if mix:
            document["mix"] = shift.to_dict() if shift is not None else None
        emit_json(document)
        return
    shown = result.rows if rows <= 0 else result.rows[-rows:]
    table = Table(
        Column("date", no_wrap=True),
        Column("cars", justify="right", no_wrap=True),
        Column("by", no_wrap=True),
        Column("n", justify="right", no_wrap=True),
        Column("max", justify="right", no_wrap=True),
        Column("med", justify="right", no_wrap=True),
        Column("ratio", justify="right", no_wrap=True),
        Column("z", justify="right", no_wrap=True),
        Column("P(≥)", justify="right", no_wrap=True),
        Column("level", no_wrap=True),
        title=f"{result.site}: {result.railcar_class} railcars, {result.window} baseline",
        box=box.SIMPLE_HEAD,
        padding=(0, 0),
        pad_edge=False,
    )
    for r in shown:
        b = r.baseline
        style = _LEVEL_STYLE.get(r.level, "")
        cars = str(r.value) + (f"~{r.spread}" if r.spread else "")
        table.add_row(
            str(r.date),
            cars,
            _METHOD_SHORT.get(r.method, r.method) + (_CLOUDED if r.basis == "clouded" else ""),
            str(b.n),
            _num(b.max, "{}"),
            _num(b.median, "{:g}"),
            _num(r.ratio_to_max, "{:.2f}×"),
            _num(r.robust_z),
            _num(r.tail.p if r.tail else None, "{:.2g}"),
            f"[{style}]{r.level}[/]" if style else r.level,
        )
    out.print(
        "[dim]by: ana analyst, det detector, prs press; cars N~S: sources disagree by S; "
        f"{_CLOUDED}: image over {max_cloud:g} % cloud, compared but not in later baselines[/]"
    )
    if len(shown) < len(result.rows):
        out.print(f"[dim](latest {len(shown)} of {len(result.rows)} dates; --rows 0 for all)[/]")
    out.print(table)
    out.print(f"[bold]{result.finding}[/]")
    if result.onset is not None:
        o = result.onset
        before = f"last before: {o.last_before} ({o.value_before})" if o.last_before else ""
        out.print(f"onset: {o.date} (between {o.earliest} and {o.date}; {before})")
    for ev in result.linked_events:
        out.print(f"  {ev.lag_days:>3} d after {ev.title!r} ({ev.date}, {ev.kind or 'event'})")
    if series is not None:
        _print_group(series)
    if shift is not None:
        _print_mix(shift)


def _print_group(series: Any) -> None:
    """Each member's part of the latest paired dates, and how they were paired."""
    sites = series.group.sites
    table = Table(
        Column("date", no_wrap=True),
        *(Column(s, justify="right", no_wrap=True) for s in sites),
        Column("sum", justify="right", no_wrap=True),
        Column("span", justify="right", no_wrap=True),
        title=f"{series.group.name}: freight per site (latest paired dates)",
        box=box.SIMPLE_HEAD,
        padding=(0, 1),
        pad_edge=False,
    )
    for pair in series.pairs[-8:]:
        parts = {p.site: p for p in pair.parts}
        table.add_row(
            str(pair.date),
            *(f"{parts[s].freight} ({parts[s].date:%m-%d})" for s in sites),
            str(pair.freight),
            f"{pair.span_days} d",
        )
    out.print(table)
    shares = ", ".join(f"{s} {100 * c['share']:.0f} %" for s, c in series.contributions().items())
    out.print(f"[dim]pairing: {series.pairing}. Share of the summed freight: {shares}.[/]")


def _print_mix(shift: Any) -> None:
    if shift.classes:
        table = Table(
            Column("class", no_wrap=True),
            Column("before", justify="right", no_wrap=True),
            Column("recent", justify="right", no_wrap=True),
            Column("ratio (95 %)", justify="right", no_wrap=True),
            Column("p (Holm)", justify="right", no_wrap=True),
            Column("verdict", no_wrap=True),
            title=f"class mix: {shift.recent.start} – {shift.as_of} against "
            f"{shift.reference.start} – {shift.reference.end}",
            box=box.SIMPLE_HEAD,
            padding=(0, 1),
            pad_edge=False,
        )
        for c in shift.classes:
            ratio = "new" if c.ratio is None else f"{c.ratio:.2f}×"
            if c.ratio_low is not None and c.ratio_high is not None:
                ratio += f" ({c.ratio_low:.2f}–{c.ratio_high:.2f})"
            table.add_row(
                c.railcar_class,
                f"{100 * c.share_ref:.0f} %",
                f"{100 * c.share_recent:.0f} %",
                ratio,
                f"{c.p_holm:.2g}",
                c.verdict,
            )
        out.print(table)
    out.print(f"[bold]{shift.finding}[/]")
