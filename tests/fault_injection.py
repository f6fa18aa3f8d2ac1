"""Faults injected into a child process for the crash tests, from outside the production code.

    python tests/fault_injection.py SECONDS -m MODULE ARGS...   # run MODULE as __main__
    python tests/fault_injection.py SECONDS -c CODE ARGS...     # run CODE with sys.argv = ["-c", ARGS...]

pauses SECONDS inside every catalogue ingest's transaction, just before the ingest marks itself finished (rows
written, nothing committed), so that a test can kill the process there: a SQLAlchemy cursor event on every
engine, which the store does not know of.
"""

from __future__ import annotations

import runpy
import sys
import time

from sqlalchemy import event
from sqlalchemy.engine import Engine


def pause_inside_ingests(seconds: float) -> None:
    """Sleep before the statement that closes an ingest (``UPDATE ingests SET ... finished_at``)."""

    @event.listens_for(Engine, "before_cursor_execute")
    def _pause(connection, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE INGESTS SET") and "finished_at" in statement:
            time.sleep(seconds)


def main(argv: list[str]) -> None:
    seconds, how, target, *args = argv
    pause_inside_ingests(float(seconds))
    if how == "-m":
        sys.argv = [target, *args]
        runpy.run_module(target, run_name="__main__", alter_sys=True)
    elif how == "-c":
        sys.argv = ["-c", *args]
        exec(compile(target, "<fault-injection>", "exec"), {"__name__": "__main__"})
    else:
        raise SystemExit("usage: fault_injection.py SECONDS (-m MODULE | -c CODE) ARGS...")


if __name__ == "__main__":
    main(sys.argv[1:])
