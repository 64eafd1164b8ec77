"""Commands over press reports: add, list, show, compare."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from railwatch.cli.common import (
    DEFAULT_DB_VALUE,
    DbOption,
    JsonOption,
    emit_json,
    out,
    say,
    store_at,
)

press_app = typer.Typer(
    help="Press reports: claims, events, where sources agree and differ.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the railwatch app."""
    app.add_typer(press_app, name="press")


@press_app.command("add")
def press_add(
    files: Annotated[list[Path], typer.Argument(help="Report files: plain text or HTML.")],
    published: Annotated[
        str | None,
        typer.Option("--published", help="Publication date 2023-10-06 or month 2023-10."),
    ] = None,
    outlet: Annotated[str | None, typer.Option("--outlet", help="Who published it.")] = None,
    url: Annotated[str | None, typer.Option("--url", help="Where it was published.")] = None,
    lang: Annotated[
        str | None, typer.Option("--lang", help="Language code; overrides identification.")
    ] = None,
    site: Annotated[
        str | None, typer.Option("--site", help="Site slug the reports are about.")
    ] = None,
    db: DbOption = DEFAULT_DB_VALUE,
    as_json: JsonOption = False,
) -> None:
    """Read reports, store their claims, turn dated counts into press observations."""
    from railwatch import press

    with store_at(db) as store:
        results = press.ingest(
            store, files, published=published, outlet=outlet, url=url, lang=lang, site=site
        )
    for r in results:
        d = r.document
        if r.new:
            say(
                f"added document {d.id} ({d.language or '?'}, {len(d.claims)} claims, "
                f"event {d.group_key}) from {d.path}"
                + (" [partial]" if d.status == "partial" else "")
            )
        for note in r.notes:
            say(f"{d.path}: {note}")
        for w in d.warnings if r.new else ():
            say(f"{d.path}: warning: {w}")
        for o in r.observations:
            say(
                f"  observation: {o.count} {o.railcar_class} at {o.site} "
                f"on {o.observed_at:%Y-%m-%d}"
            )
    if as_json:
        emit_json({"documents": [r.to_dict() for r in results]})


@press_app.command("list")
def press_list(
    site: Annotated[
        str | None, typer.Option("--site", help="Only reports naming this site.")
    ] = None,
    db: DbOption = DEFAULT_DB_VALUE,
    as_json: JsonOption = False,
) -> None:
    """List stored reports."""
    from railwatch import press

    with store_at(db) as store:
        docs = press.list_documents(store, site=site)
    if as_json:
        emit_json({"documents": [dict(d.to_dict(), claims=len(d.claims)) for d in docs]})
        return
    table = Table("id", "outlet", "lang", "published", "event", "claims", "status", "file")
    for d in docs:
        pub = "unknown"
        if d.published_at is not None:
            pub = (
                f"{d.published_at:%Y-%m}"
                if d.published_precision == "month"
                else (f"{d.published_at:%Y-%m-%d}")
            )
        table.add_row(
            str(d.id),
            d.outlet,
            d.language,
            pub,
            d.group_key,
            str(len(d.claims)),
            d.status,
            Path(d.path).name,
        )
    out.print(table)


@press_app.command("show")
def press_show(
    document_id: Annotated[int, typer.Argument(metavar="ID", help="Document id (press list).")],
    db: DbOption = DEFAULT_DB_VALUE,
    as_json: JsonOption = False,
) -> None:
    """Show one report: its clean text, language, and claims with quotes and offsets."""
    from railwatch import press

    with store_at(db) as store:
        d = press.get_document(store, document_id)
    if as_json:
        emit_json(d.to_dict())
        return
    pub = "unknown" if d.published_at is None else d.published_at.date().isoformat()
    out.print(
        f"[bold]document {d.id}[/] {d.outlet or Path(d.path).name} — {d.language}, published "
        f"{pub} ({d.published_precision or 'no precision'}), event {d.group_key}, {d.status}"
    )
    for w in d.warnings:
        out.print(f"[yellow]warning:[/] {w}")
    out.print()
    out.print(d.clean_text or "", markup=False, highlight=False)
    table = Table("kind", "value", "hedge", "site", "quote", "offsets")
    for c in d.claims:
        value = ", ".join(f"{k}={v}" for k, v in c.value.items() if v not in (None, "", []))
        table.add_row(c.kind, value, c.hedge, c.site or "", c.quote[:80], f"{c.start}..{c.end}")
    out.print(table)


@press_app.command("compare")
def press_compare(
    site: Annotated[
        str | None, typer.Option("--site", help="Only reports naming this site.")
    ] = None,
    db: DbOption = DEFAULT_DB_VALUE,
    as_json: JsonOption = False,
) -> None:
    """Per event: what each source says, where they agree, conflict, or stand alone."""
    from railwatch import press

    with store_at(db) as store:
        comparison = press.compare(store, site=site)
    if as_json:
        emit_json(comparison.to_dict())
        return
    if not comparison.groups:
        say("no press reports stored")
        return
    colour = {"agree": "green", "conflict": "red", "single-source": "yellow", "undetermined": "dim"}
    for g in comparison.groups:
        names = ", ".join(f"{d['id']}:{d['outlet'] or Path(d['path']).name}" for d in g.documents)
        out.print(f"\n[bold]event {g.key}[/] — {len(g.documents)} report(s): {names}")
        table = Table("slot", "status", "what each source says")
        for s in g.slots:
            says = "\n".join(f"{v.source}: {v.display} — “{v.quote[:70]}”" for v in s.values)
            status = f"[{colour[s.status]}]{s.status}[/]" + (f"\n{s.note}" if s.note else "")
            table.add_row(s.label, status, says)
        out.print(table)
        if g.unplaced:
            out.print("[bold]counts that made no observation[/]")
            for u in g.unplaced:
                out.print(f"  {u['source']}: {u['reason']}: {u['display']} — “{u['quote'][:90]}”")


@press_app.command("evaluate")
def press_evaluate(
    data: Annotated[
        Path, typer.Option("--data", help="Directory of reports with their gold.jsonl.")
    ],
    split: Annotated[
        str | None, typer.Option("--split", help="Only this split (tune, heldout, heldout2).")
    ] = None,
    db: DbOption = DEFAULT_DB_VALUE,
    as_json: JsonOption = False,
) -> None:
    """Slot precision and recall over gold reports, and every wrong observation.

    Places resolve through the store's site catalogue, or the built-in one when the
    store is missing or holds no sites; nothing is written.
    """
    from railwatch import service
    from railwatch.errors import RailwatchError
    from railwatch.press import evaluation
    from railwatch.sites import builtin

    try:
        with store_at(db) as store:
            sites = service.list_sites(store)
    except RailwatchError:
        sites = []
    result = evaluation.evaluate(data, sites or builtin(), split=split)
    if as_json:
        emit_json(result.to_dict())
        return
    for name, langs in result.scores.items():
        columns = ["all", *sorted(k for k in langs if k != "all")]
        n = sum(1 for r in result.reports if r.split == name)
        table = Table("slot", *columns, title=f"split {name}: {n} reports (precision/recall)")
        for slot in evaluation.SLOTS:
            table.add_row(slot, *(_pr(langs[c].get(slot)) for c in columns))
        out.print(table, width=max(out.width, 16 + 12 * len(columns)))
    wrong = result.wrong_observations
    out.print(f"wrong observations: {len(wrong)}")
    for w in wrong:
        out.print(
            f"  {w['split']} {w['file']}: {w['count']} {w['railcar_class']} at {w['site']} "
            f"on {w['date']} — “{w['quote']}”"
        )
    say(f"{len(result.reports)} reports in {result.seconds:.2f} s")


def _pr(score) -> str:
    if score is None:
        return "—"
    p, r = score.precision, score.recall
    return f"{'—' if p is None else f'{p:.2f}'}/{'—' if r is None else f'{r:.2f}'}"
