"""What the analyses accept as satellites: a catalogue of element sets (:class:`~overhead.orbits.catalog.Catalog`)
or a designed constellation (:class:`~overhead.orbits.j2.DesignedOrbits`) — anything that propagates."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np
import xarray as xr

__all__ = ["Satellites"]


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
