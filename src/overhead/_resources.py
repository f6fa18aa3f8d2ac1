"""Files shipped with the package and the user's data directory; nothing is read at import time."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path


def data_path(name: str) -> Path:
    """Path of a file shipped in ``overhead/data``."""
    return Path(str(resources.files("overhead") / "data" / name))


def user_data_dir() -> Path:
    """Where overhead keeps files a user updates (IERS tables, the catalog store).

    ``$OVERHEAD_DATA_DIR`` if set, else ``$XDG_DATA_HOME/overhead`` (``~/.local/share/overhead``).
    """
    if env := os.environ.get("OVERHEAD_DATA_DIR"):
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "overhead"
