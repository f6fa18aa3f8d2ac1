"""What the command groups share (public to the package; no command imports another's private names): the
consoles, the satellites a command names (a file, an operator's OEM, the bundled sample or the store), the request
model from the options given, and time formatting."""

from __future__ import annotations

import sys

import numpy as np
from rich.console import Console

from overhead.cli.options import finite_float
from overhead.errors import OverheadError

__all__ = ["TIME_HELP", "console", "db_option", "elevation_mask", "emit_table", "err_console", "hms", "load_satellites",
           "one_id", "output_option", "spec_of", "spec_option", "store_satellites"]

console = Console()
if not console.is_terminal:
    console = Console(width=140)  # tables in files and CI logs stay one row per line
err_console = Console(stderr=True, soft_wrap=True)


def load_satellites(elements: str | None, ids: list[int] | None = None):
    """The catalog named on the command line (the bundled sample when none), reporting rejects."""
    import overhead

    if elements is None:
        catalog = overhead.sample_catalog(("resource",))
        return catalog.select(ids) if ids else catalog
    if _is_oem_file(elements):  # an operator's ephemeris: its states, interpolated, instead of element sets
        from overhead.orbits.ephemeris import load_ephemeris

        orbits = load_ephemeris(elements)
        return orbits.select(ids) if ids else orbits
    catalog = overhead.load_elements(elements)
    for reject in catalog.rejects[:20]:
        err_console.print(f"[yellow]skipped[/]: {reject}")
    if len(catalog.rejects) > 20:
        err_console.print(f"[yellow]... and {len(catalog.rejects) - 20} more rejected records[/]")
    return catalog.select(ids) if ids else catalog


def _is_oem_file(path: str) -> bool:
    from overhead.orbits.ephemeris import is_oem

    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return is_oem(handle.read(4096))
    except OSError:
        return False  # the element reader says what is wrong with the path


def store_satellites(db: str | None, *, group: str | None = None, tag: str | None = None):
    """The store's newest element set of every active object (of ``group`` and ``tag`` when given), or one line
    saying the store has none."""
    from overhead.catalog.store import CatalogStore

    store = CatalogStore(db)
    catalog = store.latest_catalog()
    if group or tag:
        wanted = store.select_ids(group=group, tag=tag)
        catalog = catalog[[k for k, n in enumerate(catalog.norad_ids) if int(n) in wanted]]
    if len(catalog) == 0:
        chosen = " and ".join(x for x in (f"group {group!r}" if group else "", f"tag {tag!r}" if tag else "") if x)
        raise OverheadError(f"the catalogue store ({store.display_url}) has no active object"
                            + (f" in {chosen}" if chosen else "") + ": name an ELEMENTS file, or fill the store "
                            "(overhead catalog ingest FILE --group NAME, overhead catalog tag)")
    return catalog


def hms(t, *, full: bool = False) -> str:
    from overhead.orbits.timescales import format_iso

    text = str(format_iso(np.datetime64(t, "ns"), digits=0))
    return text.replace("T", " ") if full else text[11:]


def spec_of(model, args, names: tuple[str, ...] | None = None, **fixed):
    """The request model from the options given (``None``: not given, the model's default)."""
    from overhead.requests import validated

    names = tuple(model.model_fields) if names is None else names
    given = {name: getattr(args, name) for name in names if getattr(args, name, None) is not None}
    return validated(model, {**given, **fixed})


def elevation_mask(args) -> float:
    """The elevation mask given (or the model's default), validated by the request model as the API's is."""
    from overhead.requests import SiteQuery

    return spec_of(SiteQuery, args, ("min_elevation_deg",)).min_elevation_deg


def one_id(text: str) -> int:
    if not str(text).isdigit():
        raise OverheadError(f"NORAD ids are positive integers: {text!r}")
    return int(text)


def emit_table(table, output: str | None, what: str, *, float_format: str) -> None:
    """Write a result table to ``output`` (CSV or Parquet), or as CSV to standard output."""
    from overhead.tables import write_table

    if output:
        path = write_table(table, output)
        err_console.print(f"wrote {len(table):,} {what} to {path}")
    else:
        from overhead.tables import csv_cells

        csv_cells(table).to_csv(sys.stdout, index=False, float_format=float_format)


TIME_HELP = "ISO-8601, e.g. 2026-05-30T12:00:00Z (no zone: UTC; +02:00 converted to UTC)"


def spec_option(p, model, name: str, *flags: str, metavar: str | None = None, meaning: str | None = None) -> None:
    """An option of the request model: its help (with the unit) and its default are the model's, so the command
    line, the API and the sweeps cannot differ; unset, it is left to the model (``dest`` is the field's name)."""
    import typing

    from overhead.requests import spec_default, spec_help

    default = spec_default(model, name)
    text = meaning or spec_help(model, name)
    if "default" not in text and default is not None:
        text += f" (default: {default:g})" if isinstance(default, float) else f" (default: {default})"
    kinds = set(typing.get_args(model.model_fields[name].annotation)) | {model.model_fields[name].annotation}
    if bool in kinds:
        p.add_argument(*flags, dest=name, action="store_true", default=None, help=text)
    else:
        p.add_argument(*flags, dest=name, type=int if int in kinds else finite_float, default=None, metavar=metavar,
                       help=text)


def output_option(p, what: str, *, default: str = "CSV on standard output") -> None:
    p.add_argument("-o", "--output", metavar="FILE",
                   help=f"{what} (default: {default}); written atomically into an existing folder")


def db_option(p) -> None:
    p.add_argument("--db", default=None, metavar="URL",
                   help="catalogue store: sqlite:///PATH or postgresql+psycopg://USER@HOST/DB (default: SQLite "
                        "in the user's data folder, or $OVERHEAD_DB)")
