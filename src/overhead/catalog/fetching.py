"""What the live-source clients (CelesTrak, Space-Track) share: the Retry-After header, UTC stamps and the small
JSON state files (caches, rate-limit ledgers) they keep between runs."""

from __future__ import annotations

import email.utils
import json
import time
from pathlib import Path

from overhead.files import write_text_atomic

__all__ = ["read_state", "retry_after_s", "utc_stamp", "write_state"]


def retry_after_s(value: str | None, now: float) -> float | None:
    """Seconds to wait from an HTTP Retry-After value (seconds or an HTTP date; ``now`` in Unix seconds)."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - now)
    except (TypeError, ValueError):
        return None


def utc_stamp(unix_s: float) -> str:
    """ISO 8601 UTC to the second, with a Z."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(unix_s))


def read_state(path: Path) -> dict:
    """A JSON state file, or {} where it is missing or unreadable (it is only ever a cache)."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def write_state(path: Path, data: dict) -> None:
    """Write a JSON state file atomically, making its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, json.dumps(data))
