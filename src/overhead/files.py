"""Files written atomically: to a temporary file in the target's own folder, renamed over the target only once
complete. A process killed while writing leaves the previous file as it was; a folder that does not exist is an
error, not created, unless asked.

The temporary file is ``.NAME.PID.RANDOM.partSUFFIX``: a process stopped by a signal it can handle removes its
own (the CLI turns SIGTERM into an exception), and one killed outright (``kill -9``, the machine's OOM killer)
leaves it behind; the next write to the same target removes the parts whose process no longer runs."""

from __future__ import annotations

import contextlib
import glob
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from overhead.errors import OverheadError

__all__ = ["atomic_path", "write_text_atomic"]


@contextlib.contextmanager
def atomic_path(path: str | Path, *, make_parents: bool = False) -> Iterator[Path]:
    """A temporary path to write, renamed to ``path`` when the block ends without an exception.

    The temporary file keeps the target's extension (writers that choose a format by it still do).
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        if not make_parents:
            raise OverheadError(f"the folder {folder} does not exist: create it first, or write elsewhere")
        folder.mkdir(parents=True, exist_ok=True)
    if path.is_dir():
        raise OverheadError(f"{path} is a folder: give a file name")
    _remove_orphaned_parts(folder, path.name)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".part" + path.suffix, dir=folder)
    os.close(fd)
    temporary = Path(name)
    # mkstemp makes the file private (0600): give it the mode a plain open() would (the previous file's, or umask)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(temporary, path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~umask)
    try:
        yield temporary
        with open(temporary, "rb+") as handle:  # on disk before the rename makes it the file
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _process_runs(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _remove_orphaned_parts(folder: Path, name: str) -> None:
    """Remove the temporary files of earlier writes to ``folder/name`` whose process has died."""
    for part in folder.glob(f".{glob.escape(name)}.*.*.part*"):
        pid_text = part.name[len(name) + 2 :].split(".", 1)[0]
        if pid_text.isdigit() and int(pid_text) != os.getpid() and not _process_runs(int(pid_text)):
            with contextlib.suppress(OSError):
                part.unlink()


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; returns the path."""
    with atomic_path(path) as temporary:
        temporary.write_text(text, encoding="utf-8")
    return Path(path)
