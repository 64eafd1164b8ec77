"""Commands over the store itself: init, sites, observe, events."""

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
from railwatch.errors import InputError
from railwatch.plausible import user_time
from railwatch.railcars import parse_counts
from railwatch.records import Event, SiteGroup
from railwatch.sites import builtin, read_geojson

sites_app = typer.Typer(help="Sites of interest (GeoJSON polygons).", no_args_is_help=True)
observe_app = typer.Typer(help="Railcar counts with their provenance.", no_args_is_help=True)
events_app = typer.Typer(help="Dated events activity may follow.", no_args_is_help=True)
groups_app = typer.Typer(
    help="Named groups of sites analysed as one (a border crossing).", no_args_is_help=True
)
sites_app.add_typer(groups_app, name="group")


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.add_typer(sites_app, name="sites")
    app.add_typer(observe_app, name="observe")
    app.add_typer(events_app, name="events")


def init(db: DbOption = DEFAULT_DB_VALUE) -> None:
    """Create the store (or bring an existing one to the current schema)."""
    with store_at(db, create=True) as store:
        say(f"store ready at {store.url}")


@sites_app.command("add")
def sites_add(
    files: Annotated[
        list[Path] | None, typer.Argument(help="GeoJSON Feature(Collection) files.")
    ] = None,
    builtin_: Annotated[
        bool, typer.Option("--builtin", help="Add the built-in catalogue (Tumangang, Khasan).")
    ] = False,
    replace: Annotated[bool, typer.Option("--replace", help="Overwrite sites that exist.")] = False,
    db: DbOption = DEFAULT_DB_VALUE,
    as_json: JsonOption = False,
) -> None:
    """Add sites from GeoJSON files or the built-in catalogue."""
    catalogue = builtin() if builtin_ else []
    from_files = [site for f in files or [] for site in read_geojson(f)]
    if not catalogue and not from_files:
        raise InputError("nothing to add: give GeoJSON files or --builtin")
    from railwatch import service

    with store_at(db) as store:
        if catalogue and not replace:
            # Re-adding the catalogue is routine (make demo does it): keep what is there.
            # Sites from files still conflict, so a user's own 'tumangang' is never dropped.
            known = {s.slug for s in service.list_sites(store)}
            for site in catalogue:
                if site.slug in known:
                    say(f"site {site.slug!r} is already in the store; kept as is")
            catalogue = [s for s in catalogue if s.slug not in known]
        sites = catalogue + from_files
        done = service.add_sites(store, sites, replace=replace)
    for site, action in done:
        say(f"{action} site {site.slug!r} ({site.name})")
    if as_json:
        emit_json({"sites": [dict(s.to_dict(), action=a) for s, a in done]})


@sites_app.command("list")
def sites_list(db: DbOption = DEFAULT_DB_VALUE, as_json: JsonOption = False) -> None:
    """List the sites in the store."""
    from railwatch import service

    with store_at(db) as store:
        sites = service.list_sites(store)
    if as_json:
        emit_json({"sites": [s.to_dict() for s in sites]})
        return
    table = Table("slug", "name", "country", "aliases")
    for s in sites:
        table.add_row(s.slug, s.name, s.country, ", ".join(s.aliases[:4]))
    out.print(table)


@sites_app.command("show")
def sites_show(slug: str, db: DbOption = DEFAULT_DB_VALUE, as_json: JsonOption = False) -> None:
    """Show one site, with its polygon."""
    from railwatch import service

    with store_at(db) as store:
        site = service.get_site(store, slug)
    if as_json:
        emit_json(site.to_dict())
        return
    out.print(f"[bold]{site.name}[/] ({site.slug}, {site.country})")
    if site.description:
        out.print(site.description)
    out.print(f"aliases: {', '.join(site.aliases)}")
    if site.region:
        out.print(f"region: {site.region} ({', '.join(site.region_aliases)})")
    out.print(f"geometry: {site.geometry['type']} {site.geometry['coordinates']}")


@groups_app.command("add")
def group_add(
    slug: Annotated[str, typer.Argument(help="Group slug (e.g. tumangang-khasan).")],
    sites: Annotated[
        list[str], typer.Argument(help="Member site slugs; the first dates the group's series.")
    ],
    name: Annotated[str, typer.Option("--name", help="Name shown in reports.")] = "",
    description: Annotated[str, typer.Option("--description", help="What the group is.")] = "",
    replace: Annotated[
        bool, typer.Option("--replace", help="Overwrite a group that exists.")
    ] = False,
    db: DbOption = DEFAULT_DB_VALUE,
    as_json: JsonOption = False,
) -> None:
    """Group sites (both sides of a crossing) so analyze and report can read them as one."""
    from railwatch import service

    group = SiteGroup(slug=slug, name=name or slug, sites=tuple(sites), description=description)
    with store_at(db) as store:
        stored, action = service.add_group(store, group, replace=replace)
    say(f"{action} group {stored.slug!r} ({stored.name}): {', '.join(stored.sites)}")
    if as_json:
        emit_json(dict(stored.to_dict(), action=action))


@groups_app.command("list")
def group_list(db: DbOption = DEFAULT_DB_VALUE, as_json: JsonOption = False) -> None:
    """List the site groups in the store."""
    from railwatch import service

    with store_at(db) as store:
        groups = service.list_groups(store)
    if as_json:
        emit_json({"groups": [g.to_dict() for g in groups]})
        return
    table = Table("slug", "name", "sites")
    for g in groups:
        table.add_row(g.slug, g.name, ", ".join(g.sites))
    out.print(table)


@observe_app.command("add")
def observe_add(
    site: Annotated[str | None, typer.Option("--site", help="Site slug.")] = None,
    at: Annotated[
        str | None, typer.Option("--at", help="When (ISO 8601; a date means 00:00 UTC).")
    ] = None,
    count: Annotated[
        list[str] | None,
        typer.Option("--count", help="CLASS=N, repeatable (box=60 --count flat=13)."),
    ] = None,
    sheet: Annotated[
        Path | None,
        typer.Option(
            "--from",
            help="A CSV sheet of counts (site,at,class,count[,analyst,note]; - reads stdin), "
            "all stored in one transaction: instead of --site/--at/--count.",
        ),
    ] = None,
    analyst: Annotated[str | None, typer.Option("--analyst", help="Who counted.")] = None,
    note: Annotated[str, typer.Option("--note", help="Free text kept with the counts.")] = "",
    db: DbOption = DEFAULT_DB_VALUE,
    as_json: JsonOption = False,
) -> None:
    """Record an analyst's railcar counts at a site (or a whole sheet of them)."""
    from railwatch import service

    if sheet is not None:
        if site or at or count:
            raise InputError("give either --from SHEET or --site/--at/--count, not both")
        from railwatch.count_sheet import read_sheet

        entries = read_sheet(sheet, analyst=analyst, note=note)
        with store_at(db) as store:
            added = service.add_count_sheet(store, entries)
        say(f"recorded {len(added)} count(s) from {len(entries)} site-time(s) in {sheet}")
    else:
        if not (site and at and count):
            missing = [n for n, v in (("--site", site), ("--at", at), ("--count", count)) if not v]
            raise InputError(f"give {', '.join(missing)} (or a sheet with --from)")
        counts = parse_counts(count)
        when = user_time(at, what="--at")
        with store_at(db) as store:
            added = service.add_counts(
                store, site=site, observed_at=when, counts=counts, analyst=analyst, note=note
            )
        say(f"recorded {len(added)} count(s) at {site} on {when:%Y-%m-%d %H:%M}Z")
    if as_json:
        emit_json({"observations": [o.to_dict() for o in added]})


@observe_app.command("list")
def observe_list(
    site: Annotated[str | None, typer.Option("--site", help="Only this site.")] = None,
    method: Annotated[
        str | None, typer.Option("--method", help="Only analyst, detector or press.")
    ] = None,
    db: DbOption = DEFAULT_DB_VALUE,
    as_json: JsonOption = False,
) -> None:
    """List observations in time order."""
    from railwatch import service

    with store_at(db) as store:
        rows = service.list_observations(store, site=site, method=method)
    if as_json:
        emit_json({"observations": [o.to_dict() for o in rows]})
        return
    table = Table("time (UTC)", "site", "class", "count", "method", "source")
    for o in rows:
        table.add_row(
            f"{o.observed_at:%Y-%m-%d %H:%M}",
            o.site,
            o.railcar_class,
            str(o.count),
            o.method,
            o.model_version or o.analyst or o.source,
        )
    out.print(table)


@events_app.command("add")
def events_add(
    at: Annotated[str, typer.Option("--at", help="When (ISO 8601).")],
    title: Annotated[str, typer.Option("--title", help="What happened.")],
    site: Annotated[str | None, typer.Option("--site", help="Tie the event to a site.")] = None,
    kind: Annotated[str, typer.Option("--kind", help="summit, statement, border, …")] = "",
    description: Annotated[str, typer.Option("--description")] = "",
    source: Annotated[str, typer.Option("--source", help="Where this is documented.")] = "",
    db: DbOption = DEFAULT_DB_VALUE,
    as_json: JsonOption = False,
) -> None:
    """Record a dated event."""
    if not title.strip():
        raise InputError("--title cannot be empty")
    event = Event(
        occurred_at=user_time(at, what="--at"),
        title=title.strip(),
        kind=kind,
        site=site,
        description=description,
        source=source,
    )
    from railwatch import service

    with store_at(db) as store:
        stored, new = service.add_event(store, event)
    say(
        ("added" if new else "already stored:")
        + f" event {stored.title!r} on {stored.occurred_at:%Y-%m-%d}"
    )
    if as_json:
        emit_json(dict(stored.to_dict(), new=new))


@events_app.command("list")
def events_list(
    site: Annotated[
        str | None, typer.Option("--site", help="This site's and general events.")
    ] = None,
    db: DbOption = DEFAULT_DB_VALUE,
    as_json: JsonOption = False,
) -> None:
    """List events in time order."""
    from railwatch import service

    with store_at(db) as store:
        rows = service.list_events(store, site=site)
    if as_json:
        emit_json({"events": [e.to_dict() for e in rows]})
        return
    table = Table("date", "title", "kind", "site")
    for e in rows:
        table.add_row(f"{e.occurred_at:%Y-%m-%d}", e.title, e.kind, e.site or "")
    out.print(table)
