"""``overhead serve / watch / alerts``."""

from __future__ import annotations

import argparse
from pathlib import Path

from overhead.cli.common import TIME_HELP, console, db_option, emit_table, err_console, option, output_option
from overhead.cli.options import bounded_int, finite_float
from overhead.errors import OverheadError


def cmd_serve(args) -> None:
    import uvicorn

    from overhead.api import ServiceSettings, create_app
    from overhead.api.app import web_assets_dir

    token = args.token
    if args.token_file:
        token = Path(args.token_file).read_text().strip()
        if not token:
            raise OverheadError(f"{args.token_file} is empty: write the token on its first line")
    settings = ServiceSettings.from_env(
        db_url=args.db,
        token=token,
        scheduler=args.scheduler,
        load_sample=not args.no_sample,
        max_work=args.max_work,
        ephemeris_budget_bytes=None if args.ephemeris_budget_mb is None else args.ephemeris_budget_mb * 1e6,
        cors_origins=tuple(args.cors_origin or ()),
        client_keys=tuple(args.client_key) if args.client_key else None,
    )
    if not (web_assets_dir(settings) / "cesium").is_dir():
        err_console.print(
            "[yellow]warning[/]: the dashboard's front-end packages are not installed (run `bash "
            "scripts/setup.sh`): the API works, the map and globe will not"
        )
    listener = _listening_socket(args.host, args.port)  # taken or forbidden: one line, exit 2, no URL printed
    host = f"[{args.host}]" if ":" in args.host else args.host
    ready = (
        f"overhead {'with the bundled sample catalogue ' if not args.no_sample else ''}"
        f"on http://{host}:{args.port}/  (API docs: http://{host}:{args.port}/docs; Ctrl+C stops)"
    )

    class Server(uvicorn.Server):
        async def startup(self, sockets=None) -> None:
            await super().startup(sockets)
            if self.started:  # listening, and the service's start-up (the sample's ingest) done: now it is ready
                console.print(ready)

    config = uvicorn.Config(create_app(settings), log_level=args.log_level)
    Server(config).run(sockets=[listener])


def _listening_socket(host: str, port: int):
    """A socket bound to ``host:port`` and listening, or an OverheadError saying why not (before anything else
    starts: a script waiting for the ready line is never told a port it does not have)."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named: asyncio turns Nagle off (TCP_NODELAY) only on sockets whose protocol says TCP; with proto 0
    # every keep-alive answer written in two parts waited ~40 ms for the client's delayed ACK
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
        listener.listen(2048)
    except OSError as exc:
        listener.close()
        reason = "is in use by another program" if exc.errno == 98 else f"cannot be opened ({exc.strerror})"
        raise OverheadError(f"port {port} on {host} {reason}: choose another with --port") from None
    listener.set_inheritable(True)
    return listener


def port_number(text: str) -> int:
    """A TCP port: a whole number from 1 to 65535."""
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text[:20]!r} is not a TCP port (1 to 65535)")
    return int(text)


def cmd_watch(args) -> None:
    from overhead.catalog.store import CatalogStore
    from overhead.catalog.watch import load_rules, watch_round

    spec = load_rules(args.rules)
    store = CatalogStore(args.db)

    def one_round(force: bool = False) -> None:
        report = watch_round(store, spec, force=force, celestrak_url=args.celestrak_url)
        console.print(report.text(), markup=False, highlight=False)

    one_round(args.force)
    if args.once:
        return
    from apscheduler.schedulers.blocking import BlockingScheduler

    scheduler = BlockingScheduler(timezone="UTC")
    # each round fetches only the sources that are due, so asking every minute costs nothing
    scheduler.add_job(one_round, "interval", seconds=args.check_s, max_instances=1, coalesce=True)
    console.print(f"watching {len(spec.sources)} sources, {len(spec.rules)} rules (Ctrl-C to stop)")
    scheduler.start()


def cmd_alerts(args) -> None:
    from overhead.catalog.store import CatalogStore
    from overhead.catalog.watch import alerts_table
    from overhead.tables import with_iso_times

    table = alerts_table(CatalogStore(args.db), since=args.since)
    if not len(table) and not args.output:
        err_console.print(
            "no alerts" + (f" since {args.since}" if args.since else "") + " (run `overhead watch RULES.yaml --once`)"
        )
        return
    emit_table(with_iso_times(table, ("time", "raised_at")), args.output, "alerts", float_format="%.6f")


def add_parsers(sub) -> None:
    _serve_parser(sub)
    _watch_parsers(sub)


def _serve_parser(sub) -> None:
    """The `serve` command's parser."""
    p = sub.add_parser("serve", help="the REST service and web dashboard (the bundled catalogue loaded)")
    db_option(p)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on")
    p.add_argument("--port", type=port_number, default=8000, help="TCP port, 1 to 65535")
    p.add_argument(
        "--scheduler",
        default="local",
        metavar="ADDRESS",
        help="Dask scheduler of coverage jobs: local (a LocalCluster started on first use), none, or tcp://host:8786",
    )
    p.add_argument(
        "--token",
        help="bearer token of the write endpoints and jobs (or $OVERHEAD_API_TOKEN, or "
        "--token-file: a token given here is visible to other users in `ps`; "
        "default: none, they are disabled)",
    )
    p.add_argument("--token-file", metavar="PATH", help="read the bearer token from this file's first line")
    p.add_argument(
        "--client-key",
        action="append",
        metavar="KEY",
        help="a key that may run jobs, each its own owner (repeatable; or $OVERHEAD_API_KEYS, comma-separated)",
    )
    p.add_argument(
        "--max-work",
        type=finite_float,
        default=None,
        metavar="N",
        help="largest satellites × time samples × targets of a request (default: 6e7)",
    )
    p.add_argument(
        "--ephemeris-budget-mb",
        type=bounded_int(0, 1_000_000),
        default=None,
        metavar="MB",
        help="memory for the sampled catalogue ephemeris the computations read (about 48 MB an hour for 16,000 "
        "objects; 0: none, every answer from SGP4; default: 1500)",
    )
    p.add_argument(
        "--cors-origin", action="append", metavar="ORIGIN", help="allow this origin (repeatable; default: CORS off)"
    )
    p.add_argument("--no-sample", action="store_true", help="do not ingest the bundled sample catalogue")
    p.add_argument(
        "--log-level",
        default="warning",
        choices=("critical", "error", "warning", "info", "debug"),
        help="uvicorn's log level",
    )
    p.set_defaults(func=cmd_serve)


def _watch_parsers(sub) -> None:
    """The `watch` command's parser, and those after it."""
    p = sub.add_parser("watch", help="fetch sources on their schedule, ingest, and alert by rules (YAML)")
    p.add_argument("rules", metavar="RULES.yaml", help="sources to fetch and alert rules (see the README)")
    p.add_argument("--once", action="store_true", help="one round, then exit (for cron and tests)")
    p.add_argument(
        "--force",
        action="store_true",
        help="fetch every source now, whatever its schedule (still one request per source)",
    )
    p.add_argument(
        "--celestrak-url",
        default=None,
        metavar="URL",
        help="CelesTrak's base URL (default: https://celestrak.org, or $OVERHEAD_CELESTRAK_URL)",
    )
    option(
        p,
        "--check-s",
        dest="check_s",
        type=finite_float,
        default=60.0,
        metavar="S",
        help="without --once: seconds between rounds, each fetching only what is due (default: 60)",
    )
    db_option(p)
    p.set_defaults(func=cmd_watch)

    p = sub.add_parser("alerts", help="the alerts the watch rules raised, newest first")
    p.add_argument("--since", default=None, metavar="ISO", help=f"alerts of events after this time, {TIME_HELP}")
    output_option(p, "alerts.csv or .parquet")
    db_option(p)
    p.set_defaults(func=cmd_alerts)
