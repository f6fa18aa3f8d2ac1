"""Labelled arrays built without importing dask: the same Datasets as xarray's own constructor, and a cold
coverage command that never imports dask (0.25 s of its first answer)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import xarray as xr

from overhead._resources import data_path
from overhead.labelled import dataset


def test_the_same_dataset_as_xarrays_constructor():
    times = np.array(["2026-03-19T00:00:00", "2026-03-19T00:01:00"], dtype="datetime64[s]")
    days = np.array(["2026-03-19", "2026-03-20", "2026-03-21"], dtype="datetime64[D]")
    data_vars = {
        "x_km": (("satellite", "time"), np.arange(6.0).reshape(3, 2), {"units": "km"}),
        "error": (("satellite", "time"), np.zeros((3, 2), dtype=np.uint8)),
        "total": ((), 4.5),
    }
    coords = {
        "satellite": np.arange(3),
        "name": ("satellite", np.array(["ISS", "CSS", "HST"])),
        "time": ("time", times),
        "objects": ("satellite", np.array(["a", None, 3], dtype=object)),
        "day": ("satellite", days),
        "band": ("band", np.array(["low", "high"])),
        "kind": ("kind", np.array(["a", 2], dtype=object)),
    }
    attrs = {"frame": "teme"}
    ours = dataset(data_vars, coords=coords, attrs=attrs)
    theirs = xr.Dataset(data_vars, coords=coords, attrs=attrs)
    xr.testing.assert_identical(ours, theirs)
    for name in ("time", "day", "name", "error", "band", "kind"):
        assert ours[name].dtype == theirs[name].dtype
    assert set(ours.xindexes) == set(theirs.xindexes) == {"satellite", "time", "band", "kind"}
    for name in ours.xindexes:
        assert ours.xindexes[name].index.equals(theirs.xindexes[name].index)
    assert ours.x_km.attrs == {"units": "km"}


def test_a_cold_coverage_command_does_not_import_dask():
    sample = data_path("stations.tle")
    code = (
        "import sys\nfrom overhead.cli.main import main\n"
        "try:\n    main(['coverage', sys.argv[1], '--band=-10,10', '--resolution', '1', '--start', "
        "'2026-03-19T00:00:00Z', '--stop', '2026-03-19T02:00:00Z', '--scheduler', 'none'])\n"
        "except SystemExit as e:\n    assert not e.code, e.code\n"
        "print('dask imported:', 'dask' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(sample)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "points observed" in done.stdout
    assert "dask imported: False" in done.stdout
