"""Files read with located errors: every parser's own exception (JSON, YAML, CSV, Parquet, text encoding) becomes
one :class:`~overhead.errors.OverheadError` naming the file, the line or key, and what was expected — so every
command that reads a file ends a bad one in one line (exit 2) and the API in a 422, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from overhead.errors import OverheadError

__all__ = ["csv_rows", "read_json_file", "read_table_file", "read_text_file", "read_yaml_file"]


def read_text_file(path: str | Path, what: str) -> str:
    """The UTF-8 text of ``path`` (``what``: what the file should hold, for the message)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no {what} at {path}")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise OverheadError(f"{path}: byte {exc.start} is not UTF-8 text: is it {what}?") from None


def read_json_file(path: str | Path, what: str) -> Any:
    """The JSON value of ``path``; a file that is not JSON says where it stops being JSON."""
    text = read_text_file(path, what)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise OverheadError(
            f"{path}, line {exc.lineno}, column {exc.colno}: not JSON ({exc.msg}); {what} is expected"
        ) from None
    except RecursionError:
        raise OverheadError(f"{path}: JSON nested too deeply to be {what}") from None


def read_yaml_file(path: str | Path, what: str) -> Any:
    """The YAML value of ``path`` (safe loading); a file that is not YAML says the line and the problem."""
    import yaml

    text = read_text_file(path, what)
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise OverheadError(f"{path}{where}: not YAML ({exc.problem or exc.context}); {what} is expected") from None
    except yaml.YAMLError as exc:
        raise OverheadError(f"{path}: not YAML ({type(exc).__name__}); {what} is expected") from None


def read_table_file(path: str | Path, what: str, *, columns: tuple[str, ...] = (), **options) -> pd.DataFrame:
    """A CSV or Parquet table (by the extension), with the ``columns`` it must have; ``options`` go to
    :func:`pandas.read_csv`."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no {what} at {path}")
    try:
        table = pd.read_parquet(path) if path.suffix.lower() == ".parquet" else pd.read_csv(path, **options)
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        # pyarrow's ArrowInvalid is a ValueError; pandas' ParserError names the line in its message
        reason = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
        kind = "Parquet" if path.suffix.lower() == ".parquet" else "CSV"
        raise OverheadError(f"{path}: not a readable {kind} table ({reason}); {what} is expected") from None
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise OverheadError(
            f"{path}: no column {', '.join(missing)}: is it {what}? (its columns: "
            f"{', '.join(map(str, table.columns[:12]))})"
        )
    return table


def csv_rows(text: str, source: str, what: str) -> list[list[str]]:
    """The rows of CSV text (the csv module's reading), or one located error where it stops being CSV."""
    import csv
    import io

    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[list[str]] = []
    try:
        rows.extend(reader)
    except csv.Error as exc:
        raise OverheadError(f"{source}, line {reader.line_num}: not CSV ({exc}); {what} is expected") from None
    return rows
