"""``overhead`` command line: the parser, the dispatcher and the error contract (a user error is one line and
exit code 2). Each command group registers its parsers and commands in its own module (``cli/access.py``,
``cli/ephemeris.py``, ``cli/catalog.py``, ``cli/conjunctions.py``, ``cli/plan.py``, ``cli/design.py``,
``cli/service.py``); what they share is in ``cli/common.py``. ``report`` and ``iers`` are here."""

from __future__ import annotations

import argparse
import re
import sys
import warnings

import numpy as np

from overhead.cli.common import TIME_HELP, console, elements_argument, err_console, mask_option, option, site_option
from overhead.cli.options import finite_float
from overhead.errors import OverheadError


def cmd_report(args) -> None:
    from overhead.cli.report import run_report

    run_report(args, console)


def cmd_iers(args) -> None:
    from overhead.orbits.iers import earth_orientation, update_iers

    path = update_iers(args.source)
    table = earth_orientation()
    last = np.datetime64(int((table.last_mjd - 40587) * 86400), "s")
    console.print(f"installed {path}: {len(table.mjd):,} rows, predictions to {last}Z")


# a value such as '-33.9,18.4' or '-60,60' (a negative coordinate pair) is a value, not an option
_NEGATIVE_VALUE = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?(,[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?)*$")


class _Formatter(argparse.HelpFormatter):
    """Help that states each option's default, unless its text already does."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if (
            action.option_strings
            and "default" not in text
            and default not in (None, False, argparse.SUPPRESS)
            and not isinstance(default, bool)
        ):
            text += " (default: %(default)s)"
        return text


class _Parser(argparse.ArgumentParser):
    """argparse that takes negative coordinates as values (positionally and after an option), shows defaults,
    and ends a usage error with one line and the way to the help."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = _NEGATIVE_VALUE

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    from overhead import __version__

    parser = _Parser(
        prog="overhead",
        description="What is watching, what it can see, and when. Times are UTC "
        "ISO-8601; angles in degrees, distances in km, heights of "
        "sites in m.",
    )
    parser.add_argument("--version", action="version", version=f"overhead {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "report",
        help="where the bundled Earth-observation satellites are, their next passes "
        "over a place, and a map of their ground tracks",
    )
    elements_argument(p, optional=True)
    site_option(p, default_text=" (default: Toulouse, France)")
    p.add_argument(
        "--site-name", default=None, help="the place's name in the report (default: Toulouse when no --site is given)"
    )
    p.add_argument("--time", metavar="ISO", help=f"{TIME_HELP} (default: the elements' median epoch)")
    option(p, "--hours", type=finite_float, default=12.0, metavar="H", help="pass search span, hours")
    mask_option(p, "the passes' elevation mask at the site")
    p.add_argument("--map", default="overhead-report.png", metavar="PNG", help="ground-track map")
    p.set_defaults(func=cmd_report)

    from overhead.cli import access, catalog, conjunctions, design, ephemeris, plan, service

    for group in (ephemeris, access, catalog, conjunctions, plan, design, service):
        group.add_parsers(sub)

    p = sub.add_parser("iers", help="Earth-orientation data (UT1-UTC, polar motion)")
    p.add_argument("action", choices=("update",), help="update: install a newer finals2000A table")
    p.add_argument("source", nargs="?", help="a finals2000A file or URL (default: the IERS data centre)")
    p.set_defaults(func=cmd_iers)
    return parser


USER_ERRORS = (OverheadError, FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError)


class Terminated(BaseException):
    """SIGTERM received: raised in the main thread so that its ``finally`` blocks run (a half-written ``-o``
    file's temporary is removed, stores closed) before the exit."""


def _stop_cleanly_on_sigterm() -> None:
    import signal
    import threading

    def terminate(_signum, _frame) -> None:
        raise Terminated()

    if threading.current_thread() is threading.main_thread():  # signals go to the main thread only
        signal.signal(signal.SIGTERM, terminate)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; a user error ends in one line and exit code 2 (``--debug``: with its traceback).
    Anything else is a bug and shows its traceback."""
    args = build_parser().parse_args(argv)
    _stop_cleanly_on_sigterm()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            warnings.showwarning = lambda message, *a, **k: err_console.print(f"[yellow]warning[/]: {message}")
            args.func(args)
    except USER_ERRORS as exc:
        if args.debug:
            raise
        err_console.print(f"[red]error[/]: {exc}")
        return 2
    except KeyboardInterrupt:
        err_console.print("[red]interrupted[/]")
        return 130
    except Terminated:
        err_console.print("[red]terminated[/]")
        return 143
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly, as Unix tools do
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
