"""``overhead catalog``: the persistent catalogue's commands (ingest, fetch, satcat, tag, ingests, undo, changes,
history, quality, manoeuvres, reentries), each calling the catalogue layer."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from overhead.cli.common import (
    TIME_HELP,
    console,
    db_option,
    emit_table,
    err_console,
    load_satellites,
    one_id,
    output_option,
    spec_of,
    spec_option,
)
from overhead.cli.options import finite_float
from overhead.errors import OverheadError

__all__ = ["add_parsers", "cmd_catalog"]


def _catalog_reentries(args) -> None:
    """Predicted re-entries from element-set files, or from the store's history when no file is given."""
    import pandas as pd

    from overhead.catalog.reentry import reentries_from, store_reentries
    from overhead.catalog.specs import ReentryQuery
    from overhead.catalog.store import CatalogStore
    from overhead.orbits.timescales import to_datetime64
    from overhead.tables import with_iso_times

    query = spec_of(ReentryQuery, args)
    at = to_datetime64(args.time) if args.time else np.datetime64("now", "s")
    if args.paths:
        elements = pd.concat([load_satellites(path).elements for path in args.paths], ignore_index=True)
        table = reentries_from(elements, at=at, within_days=query.within_days)
    else:
        table = store_reentries(CatalogStore(args.db), within_days=query.within_days, at=at)
    err_console.print(
        f"{len(table):,} objects predicted to re-enter within {query.within_days:g} days of "
        f"{pd.Timestamp(at):%Y-%m-%dT%H:%M:%S}Z (drag model: NRLMSIS 2.1, CelesTrak's "
        f"space weather; window ±20 % of the time to go)"
    )
    columns = [
        "norad_id",
        "name",
        "reentry",
        "window_start",
        "window_end",
        "epoch",
        "perigee_km",
        "decay_km_day",
        "ballistic_m2_kg",
        "rate_from",
    ]
    emit_table(
        with_iso_times(table[columns], ("reentry", "window_start", "window_end", "epoch")),
        args.output,
        "predicted re-entries",
        float_format="%.6g",
    )


def cmd_catalog(args) -> None:
    if args.action == "manoeuvres":
        _catalog_manoeuvres(args)
    elif args.action == "reentries":
        _catalog_reentries(args)
    else:
        from overhead.catalog.store import CatalogStore

        STORE_ACTIONS[args.action](CatalogStore(args.db), args)


def _catalog_manoeuvres(args) -> None:
    from overhead.catalog.manoeuvres import detect_manoeuvres
    from overhead.catalog.specs import ManoeuvreQuery
    from overhead.tables import with_iso_times

    catalog = load_satellites(args.paths[0])
    query = spec_of(ManoeuvreQuery, args)
    table = detect_manoeuvres(catalog.elements, min_confidence=query.min_confidence)
    emit_table(with_iso_times(table, ("time",)), args.output, "manoeuvres", float_format="%.6f")
    if args.plot:
        from overhead.plots import manoeuvre_chart

        console.print(f"wrote {manoeuvre_chart(catalog.elements, table, args.plot)}")


def _catalog_ingest(store, args) -> None:
    if not args.paths:
        raise OverheadError("give the files or folders to ingest: overhead catalog ingest active.tle")
    report = store.ingest(args.paths, group=args.group, allow_shrink=args.allow_shrink, min_share=args.min_share)
    for reject in report.rejected[:20]:
        err_console.print(f"[yellow]rejected[/]: {reject}")
    console.print(report.text())


def _catalog_tagging(store, args) -> None:
    if not args.paths:
        raise OverheadError(f"give the tag and the NORAD ids: overhead catalog {args.action} watch-list 25544")
    tag, ids = args.paths[0], [one_id(n) for n in args.paths[1:]]
    if args.action == "tag":
        if not ids:
            raise OverheadError("give the NORAD ids to tag: overhead catalog tag watch-list 25544 48274")
        added = store.tag(tag, ids)
        known = set(store.objects().norad_id.astype(int))
        unknown = sorted(set(ids) - known)
        console.print(
            f"{added:,} objects newly tagged {tag} ({len(ids):,} given, {len(set(ids)) - added:,} had the tag)"
        )
        if unknown:
            err_console.print(
                f"[yellow]not in the store yet: {', '.join(map(str, unknown[:20]))}"
                f"{' …' if len(unknown) > 20 else ''}[/] (tagged all the same: the tag applies "
                "once an ingest brings them; check the numbers if that is not what you meant)"
            )
    else:
        console.print(f"{store.untag(tag, ids or None):,} objects untagged {tag}")


def _catalog_tags(store, args) -> None:
    table = store.tags()
    if table.empty:
        console.print("no tags (overhead catalog tag NAME ID...)")
    for tag, rows in table.groupby("tag"):
        console.print(
            f"{tag}: {len(rows):,} objects ({', '.join(map(str, rows.norad_id.head(12)))}"
            f"{', …' if len(rows) > 12 else ''})",
            markup=False,
        )


def _catalog_satcat(store, args) -> None:
    path = Path(args.paths[0])
    if not path.is_file():
        raise OverheadError(f"{path}: no such file (give a SATCAT CSV, e.g. CelesTrak's satcat.csv)")
    counts = store.ingest_satcat(path.read_bytes(), source=str(path))
    console.print(f"SATCAT: {counts['records']:,} records stored, {counts['rejected']:,} rejected")


def _catalog_changes(store, args) -> None:
    from overhead.tables import with_iso_times

    table = store.changes(since=args.since, ingested_since=args.ingested_since, as_of=args.as_of)
    err_console.print(_changes_heading(store, table, args))
    table = with_iso_times(table, ("time",))[["norad_id", "name", "object_id", "change", "time", "detail"]]
    if len(table) or args.output:
        emit_table(table, args.output, "changes", float_format="%.6f")


def _catalog_quality(store, args) -> None:
    table = store.quality(args.since, accuracy_km=args.accuracy_km)
    console.print(
        f"{int(table.too_old.sum()):,} of {len(table):,} active objects have elements too old for "
        f"{args.accuracy_km:g} km (error model: 1 km + 2 km/day in LEO, 0.5 km/day above)"
    )
    emit_table(table, args.output, "objects", float_format="%.3f")


def _catalog_undo(store, args) -> None:
    if len(args.paths) != 1 or not args.paths[0].isdigit():
        raise OverheadError("give one ingest id: overhead catalog undo 12 (overhead catalog ingests lists them)")
    from overhead.errors import NotFoundError

    try:
        done = store.undo(int(args.paths[0]))
    except NotFoundError as exc:
        raise NotFoundError(f"{exc}: `overhead catalog ingests` lists them") from None
    console.print(
        f"undid ingest {args.paths[0]}: {done['element_sets']:,} element sets and {done['changes']:,} "
        f"changes removed, {done['objects_removed']:,} objects removed, {done['objects_restored']:,} "
        f"restored"
    )


def _catalog_ingests(store, args) -> None:
    from overhead.tables import with_iso_times

    table = with_iso_times(store.ingests(), ("started_at", "finished_at", "undone_at"))
    emit_table(table, args.output, "ingests", float_format="%.6f")


def _catalog_history(store, args) -> None:
    if len(args.paths) != 1 or not args.paths[0].isdigit():
        raise OverheadError("give one NORAD id: overhead catalog history 25544")
    table = store.history(int(args.paths[0]), as_of=args.as_of)
    console.print(table.drop(columns=["line1", "line2"]).to_string(index=False))


def _catalog_fetch(store, args) -> None:
    from overhead.catalog.sources import CelesTrak, ingest_fetched

    source = args.paths[0]
    kind, _, value = source.partition(":")
    if kind.startswith("spacetrack-"):
        _spacetrack_fetch(store, args, kind, value)
        return
    with CelesTrak(args.celestrak_url) as celestrak:
        if kind == "celestrak" and value:
            answer = celestrak.gp(group=value, format=args.format, force=args.force)
            group = value
        elif kind == "celestrak-catnr" and value.isdigit():
            answer = celestrak.gp(catnr=int(value), format=args.format, force=args.force)
            group = f"catnr-{value}"
        elif kind == "celestrak-satcat" and not value:
            answer = celestrak.satcat_csv(force=args.force)
            group = ""
        else:
            raise OverheadError(
                f"unknown source {source!r}: use celestrak:GROUP, celestrak-catnr:ID or celestrak-satcat"
            )
        how = (
            "from the cache (inside CelesTrak's update interval; --force to ask)"
            if answer.from_cache
            else "not modified since the last fetch"
            if answer.not_modified
            else f"{len(answer.body):,} bytes"
        )
        err_console.print(f"{answer.url}: {how}")
        if kind == "celestrak-satcat":
            try:
                counts = store.ingest_satcat(answer.body, source=answer.url)
            except OverheadError:
                celestrak.forget(answer.url)  # refused: not kept, the next fetch asks afresh
                raise
            console.print(f"SATCAT: {counts['records']:,} records stored, {counts['rejected']:,} rejected")
            return
        report = ingest_fetched(store, celestrak, answer, group=group, allow_shrink=args.allow_shrink)
    for reject in report.rejected[:20]:
        err_console.print(f"[yellow]rejected[/]: {reject}")
    console.print(report.text())


def _spacetrack_fetch(store, args, kind: str, value: str) -> None:
    """spacetrack-gp:IDS, spacetrack-history:IDS:START:STOP, spacetrack-satcat:IDS, spacetrack-decay:IDS."""
    import json

    from overhead.catalog.spacetrack import SpaceTrack, satcat_to_celestrak_csv

    parts = value.split(":")
    usage = (
        "use spacetrack-gp:ID,ID, spacetrack-history:ID,ID:YYYY-MM-DD:YYYY-MM-DD, spacetrack-satcat:ID,ID or "
        "spacetrack-decay:ID,ID"
    )
    try:
        ids = [int(n) for n in parts[0].split(",") if n.strip()]
    except ValueError:
        raise OverheadError(f"NORAD ids are integers: {parts[0]!r}; {usage}") from None
    with SpaceTrack(args.spacetrack_url) as spacetrack:
        if kind == "spacetrack-gp" and len(parts) == 1:
            answer, group = spacetrack.gp(ids), "spacetrack-gp-" + parts[0][:40]
        elif kind == "spacetrack-history" and len(parts) == 3:
            answer, group = spacetrack.gp_history(ids, parts[1], parts[2]), "spacetrack-history-" + parts[0][:30]
        elif kind == "spacetrack-satcat" and len(parts) == 1:
            csv = satcat_to_celestrak_csv(spacetrack.satcat(ids).body)
            counts = store.ingest_satcat(csv, source="space-track satcat")
            console.print(f"SATCAT: {counts['records']:,} records stored, {counts['rejected']:,} rejected")
            return
        elif kind == "spacetrack-decay" and len(parts) == 1:
            answer = spacetrack.decay(ids)
            try:
                messages = json.loads(answer.text or "[]")
            except ValueError:
                raise OverheadError(
                    f"Space-Track's decay answer is not JSON ({len(answer.body):,} bytes); nothing changed"
                ) from None
            if not messages:
                console.print("no decay messages for these objects")
            for m in messages:
                console.print(
                    f"{m.get('NORAD_CAT_ID')} {m.get('OBJECT_NAME', '')}: decay {m.get('DECAY_EPOCH')} "
                    f"({m.get('MSG_TYPE', '')}, message of {m.get('MSG_EPOCH', '')})",
                    markup=False,
                )
            return
        else:
            raise OverheadError(f"unknown Space-Track source {kind}:{value}; {usage}")
        err_console.print(f"{answer.url}: {len(answer.body):,} bytes")
        report = store.ingest_text(answer.body, source=answer.url, group=group, allow_shrink=True)
    for reject in report.rejected[:20]:
        err_console.print(f"[yellow]rejected[/]: {reject}")
    console.print(report.text())


def _changes_heading(store, table, args) -> str:
    """What the listed changes are, and why there are none when there are none."""
    ingests = store.ingests()
    live = ingests[ingests.undone_at.isna()] if len(ingests) else ingests
    if not len(live):
        return "the store holds no ingest yet: `overhead catalog ingest FILE` first"
    if args.since or args.ingested_since:
        what = (
            f"that happened after {args.since}"
            if args.since
            else f"found by the ingests made after {args.ingested_since}"
        )
        return f"{len(table):,} changes {what}" + (
            "" if len(table) else f" ({len(live)} ingests in the store; an earlier time lists more)"
        )
    last = int(live.id.max())
    return (
        f"{len(table):,} changes found by the last ingest ({last}) — `--since ISO` lists every change after a "
        f"time" + ("" if len(table) else "; it found none: the file held no new, missing or manoeuvring object")
    )


def add_parsers(sub) -> None:
    p = sub.add_parser(
        "catalog",
        help="the persistent catalogue: ingest, fetch, satcat, tag, ingests, undo, "
        "changes, history, quality, manoeuvres, reentries",
    )
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    _add_store_actions(actions)
    _add_feed_actions(actions)
    for c in actions.choices.values():
        db_option(c)
        c.set_defaults(func=cmd_catalog)


def _add_store_actions(actions) -> None:
    """What changes the store: ingest, fetch, tag, untag, tags, satcat, ingests, undo."""
    c = actions.add_parser(
        "ingest",
        help="ingest element-set files into the store (one transaction; a file that "
        "would empty or shrink its group is refused)",
    )
    c.add_argument("paths", nargs="+", metavar="PATH", help="TLE/OMM files or folders of them")
    c.add_argument(
        "--group",
        default=None,
        help="the snapshot series this file belongs to, e.g. active (default: the first file's name without extension)",
    )
    c.add_argument(
        "--allow-shrink",
        action="store_true",
        help="accept a file with fewer objects than --min-share of its group, or cut short",
    )
    c.add_argument(
        "--min-share",
        type=finite_float,
        default=0.5,
        metavar="FRACTION",
        help="the share of the group's active objects a file must report",
    )
    _add_fetch_action(actions)
    c = actions.add_parser(
        "tag",
        help="put a tag (your category: watch-list, SAR, optical-imaging) on objects; commands select by it with --tag",
    )
    c.add_argument("paths", nargs="*", metavar="TAG_AND_IDS", help="the tag, then NORAD ids")
    c = actions.add_parser("untag", help="take a tag off objects (off all of them when no id is given)")
    c.add_argument("paths", nargs="*", metavar="TAG_AND_IDS", help="the tag, then NORAD ids")
    actions.add_parser("tags", help="every tag and how many objects carry it")
    c = actions.add_parser(
        "satcat",
        help="store a SATCAT CSV file (CelesTrak's columns: what each object is, whose, launched when and where)",
    )
    c.add_argument("paths", nargs=1, metavar="FILE", help="satcat.csv (CelesTrak /pub/satcat.csv or a part of it)")
    c = actions.add_parser("ingests", help="every ingest: source, group, time, counts, SHA-256, bytes, undone")
    output_option(c, "ingests.csv or .parquet")
    c = actions.add_parser("undo", help="take back one ingest: its element sets, new objects and changes")
    c.add_argument("paths", nargs=1, metavar="INGEST_ID", help="the ingest's number (see `catalog ingests`)")


def _add_fetch_action(actions) -> None:
    """fetch: a live source, read within its published rate limits, then ingested."""
    c = actions.add_parser(
        "fetch",
        help="fetch a live source and ingest it: celestrak:GROUP, celestrak-catnr:ID, "
        "celestrak-satcat (CelesTrak's rules kept: no refetch within 2 h, "
        "conditional requests, back-off after 403/429); spacetrack-gp:IDS, "
        "spacetrack-history:IDS:START:STOP, spacetrack-satcat:IDS, "
        "spacetrack-decay:IDS (under 30 requests a minute and 300 an hour)",
    )
    c.add_argument(
        "paths",
        nargs=1,
        metavar="SOURCE",
        help="celestrak:GROUP (e.g. celestrak:stations), celestrak-catnr:25544, celestrak-satcat, "
        "spacetrack-gp:25544,43013, spacetrack-history:25544:2026-07-01:2026-07-07, "
        "spacetrack-satcat:25544, spacetrack-decay:25544",
    )
    c.add_argument(
        "--format",
        default="tle",
        choices=("tle", "3le", "csv", "json", "xml", "kvn"),
        help="GP format asked for (default: tle)",
    )
    c.add_argument(
        "--force",
        action="store_true",
        help="ask now even inside the source's update interval (still one conditional request)",
    )
    c.add_argument(
        "--celestrak-url",
        default=None,
        metavar="URL",
        help="CelesTrak's base URL (default: https://celestrak.org, or $OVERHEAD_CELESTRAK_URL): mirrors "
        "and test stand-ins",
    )
    c.add_argument("--allow-shrink", action="store_true", help="as for ingest")
    c.add_argument(
        "--spacetrack-url",
        default=None,
        metavar="URL",
        help="Space-Track's base URL (default: https://www.space-track.org, or $OVERHEAD_SPACETRACK_URL); "
        "credentials from $OVERHEAD_SPACETRACK_USER and $OVERHEAD_SPACETRACK_PASSWORD or "
        "~/.config/overhead/spacetrack.ini ([spacetrack] identity, password), never logged",
    )


def _add_feed_actions(actions) -> None:
    """What the store tells: changes, history, quality, manoeuvres, reentries."""
    c = actions.add_parser("changes", help="the changes feed: new, gone, decayed, manoeuvre")
    c.add_argument(
        "--since",
        default=None,
        metavar="ISO",
        help=f"changes that happened after this time, {TIME_HELP} (default: those the last ingest found)",
    )
    c.add_argument(
        "--ingested-since", default=None, metavar="ISO", help="changes found by ingests made after this time instead"
    )
    c.add_argument(
        "--as-of",
        default=None,
        metavar="ISO",
        help="the feed as it stood at this time (what ingests made by then had found)",
    )
    output_option(c, "changes.csv or .parquet")
    c = actions.add_parser("history", help="every stored element set of one object")
    c.add_argument("paths", nargs=1, metavar="NORAD_ID", help="the object's NORAD catalogue number")
    c.add_argument("--as-of", default=None, metavar="ISO", help="only the element sets ingested by this time")
    c = actions.add_parser(
        "quality", help="the age of each active object's newest elements, and the error to expect from them"
    )
    c.add_argument("--since", default=None, metavar="ISO", help=f"when to judge the age, {TIME_HELP} (default: now)")
    c.add_argument("--accuracy-km", type=finite_float, default=1.0, metavar="KM", help="the position accuracy needed")
    output_option(c, "quality.csv or .parquet")
    c = actions.add_parser("manoeuvres", help="manoeuvres found in one object's element-set history (a file)")
    c.add_argument("paths", nargs=1, metavar="HISTORY_FILE", help="TLE/OMM history of one or more objects")
    c.add_argument("--plot", metavar="PNG", help="a chart of the semi-major axis with the manoeuvres found")
    from overhead.catalog.specs import ManoeuvreQuery

    spec_option(c, ManoeuvreQuery, "min_confidence", "--min-confidence", metavar="P")
    output_option(c, "manoeuvres.csv or .parquet")
    c = actions.add_parser(
        "reentries",
        help="objects predicted to re-enter soon, by a drag model (NRLMSIS 2.1 "
        "and CelesTrak's space weather) fitted to each object's decay",
    )
    c.add_argument(
        "paths",
        nargs="*",
        metavar="FILE",
        help="TLE/OMM files (one set per object, or histories); default: the store's element sets",
    )
    from overhead.catalog.specs import ReentryQuery

    spec_option(c, ReentryQuery, "within_days", "--within-days", metavar="DAYS")
    c.add_argument(
        "--time", default=None, metavar="ISO", help=f"count the days from this time, {TIME_HELP} (default: now)"
    )
    output_option(c, "reentries.csv or .parquet")


# the actions on the store, by name (manoeuvres and reentries read files or the store themselves)
STORE_ACTIONS = {
    "fetch": _catalog_fetch,
    "ingest": _catalog_ingest,
    "tag": _catalog_tagging,
    "untag": _catalog_tagging,
    "tags": _catalog_tags,
    "satcat": _catalog_satcat,
    "changes": _catalog_changes,
    "quality": _catalog_quality,
    "undo": _catalog_undo,
    "ingests": _catalog_ingests,
    "history": _catalog_history,
}
