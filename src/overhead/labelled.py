"""Labelled arrays (xarray Datasets) of numpy arrays, built without importing dask.

xarray checks every new variable's data against dask's array type, and that check imports ``dask.array``
(0.2 s of a cold command) wherever dask is installed, as it is here. Variables made on xarray's fast path skip the
conversion and the check; numpy arrays need neither. Objects and times coarser than seconds go through
xarray's own conversion. Dimension coordinates get their index from a pandas Index, and readers should take
``.values`` rather than ``.to_numpy()``: both of xarray's own ways check for dask collections, importing dask.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

__all__ = ["dataset"]

_UNITS = ("s", "ms", "us", "ns")  # the time resolutions xarray keeps as they are


def _variable(spec: tuple) -> xr.Variable:
    dims, values, *rest = spec
    array = np.asarray(values)
    attrs = rest[0] if rest else None
    if array.dtype.kind == "O" or (array.dtype.kind in "mM" and np.datetime_data(array.dtype)[0] not in _UNITS):
        return xr.Variable(dims, array, attrs)  # objects and coarse time units need xarray's own conversion
    return xr.Variable(dims, array, attrs, fastpath=True)


def dataset(
    data_vars: Mapping[str, tuple], coords: Mapping[str, Any] | None = None, attrs: Mapping | None = None
) -> xr.Dataset:
    """``xr.Dataset(data_vars, coords, attrs)`` for variables given as ``(dims, values[, attrs])`` tuples (or, for
    a coordinate, bare values along the dimension of its name)."""

    def spec_of(name: str, spec) -> tuple:
        return spec if isinstance(spec, tuple) else (name, spec)

    coord_vars = {name: _variable(spec_of(name, spec)) for name, spec in (coords or {}).items()}
    # dimension coordinates get their index from a pandas Index: xarray's default one converts the values with a
    # check for dask collections, which imports dask (50 ms)
    indexes = {
        name: xr.indexes.PandasIndex(pd.Index(var.values), name, coord_dtype=var.dtype)
        for name, var in coord_vars.items()
        if var.dims == (name,)
    }
    return xr.Dataset(
        {name: _variable(spec_of(name, spec)) for name, spec in data_vars.items()},
        coords=xr.Coordinates(coord_vars, indexes=indexes),
        attrs=dict(attrs or {}),
    )
