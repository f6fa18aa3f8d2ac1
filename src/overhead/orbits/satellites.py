"""What the analyses accept as satellites: a catalogue of element sets (:class:`~overhead.orbits.catalog.Catalog`)
or a designed constellation (:class:`~overhead.orbits.j2.DesignedOrbits`) — anything that propagates."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np
import xarray as xr

__all__ = ["Satellites", "positions_itrf_km"]


@runtime_checkable
class Satellites(Protocol):
    """Satellites that can be counted, sliced, dated and propagated to shared UTC times."""

    def __len__(self) -> int: ...

    def __getitem__(self, index: Any) -> Satellites: ...

    @property
    def norad_ids(self) -> np.ndarray: ...

    @property
    def names(self) -> np.ndarray: ...

    def age_days(self, times: Any) -> np.ndarray: ...

    def propagate(self, times: Any = None, **options: Any) -> xr.Dataset: ...

    def state_arrays(self, times: Any, frame: str = "itrf") -> tuple[np.ndarray, np.ndarray]: ...


def positions_itrf_km(satellites: Satellites, when: Any) -> np.ndarray:
    """Earth-fixed positions (km), (satellite, 3), at one UTC time; NaN where a satellite cannot be placed. A
    catalogue reads its sampled ephemeris where it has one (see :mod:`overhead.orbits.sampled`)."""
    from overhead.orbits.timescales import to_datetime64

    t = np.atleast_1d(to_datetime64(when))[:1]
    reader = getattr(satellites, "positions_itrf_km", None)
    return reader(t) if reader is not None else satellites.state_arrays(t, "itrf")[0][:, 0]
