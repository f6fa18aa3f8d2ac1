"""overhead: what is watching, what it can see, and when.

The public surface; implementation lives in the layered sub-packages ``orbits`` → ``geometry`` →
``analysis`` → ``planning`` → ``catalog`` → interfaces (``cli``, ``api``, ``web``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from overhead._resources import data_path
from overhead.errors import ElementSetError, OverheadError, PropagationError, TimeError
from overhead.orbits.catalog import Catalog, ElementAgeWarning, load_elements
from overhead.orbits.sgp4_propagation import SGP4_ERRORS

__version__ = "0.1.0"

__all__ = [
    "SGP4_ERRORS",
    "AccessConstraints",
    "AnalysisGrid",
    "Catalog",
    "CatalogStore",
    "DesignedOrbits",
    "ElementAgeWarning",
    "ElementSetError",
    "FieldOfRegard",
    "GroundSite",
    "NadirCone",
    "OverheadError",
    "PropagationError",
    "RectangularSensor",
    "TargetSet",
    "TimeError",
    "access_windows",
    "coverage",
    "load_elements",
    "passes_over_site",
    "sample_catalog",
    "sample_path",
    "walker",
]

if TYPE_CHECKING:  # the names imported on first use (below), typed for type checkers and editors
    from overhead.analysis.access import access_windows
    from overhead.analysis.coverage import coverage
    from overhead.analysis.passes import passes_over_site
    from overhead.catalog.store import CatalogStore
    from overhead.geometry.grids import AnalysisGrid
    from overhead.geometry.sensors import AccessConstraints, FieldOfRegard, NadirCone, RectangularSensor
    from overhead.geometry.targets import TargetSet
    from overhead.geometry.topocentric import GroundSite
    from overhead.orbits.constellations import walker
    from overhead.orbits.j2 import DesignedOrbits

# The rest of the public surface is imported on first use, so that `import overhead` stays light.
_LAZY = {
    "AccessConstraints": "overhead.geometry.sensors",
    "NadirCone": "overhead.geometry.sensors",
    "FieldOfRegard": "overhead.geometry.sensors",
    "RectangularSensor": "overhead.geometry.sensors",
    "GroundSite": "overhead.geometry.topocentric",
    "TargetSet": "overhead.geometry.targets",
    "AnalysisGrid": "overhead.geometry.grids",
    "access_windows": "overhead.analysis.access",
    "passes_over_site": "overhead.analysis.passes",
    "coverage": "overhead.analysis.coverage",
    "DesignedOrbits": "overhead.orbits.j2",
    "walker": "overhead.orbits.constellations",
    "CatalogStore": "overhead.catalog.store",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'overhead' has no attribute {name!r}")


SAMPLE_GROUPS = ("resource", "stations")


def sample_path(group: str = "resource"):
    """Path of a bundled CelesTrak group (``resource`` or ``stations``), epochs ≈ 2026-05-30."""
    if group not in SAMPLE_GROUPS:
        raise OverheadError(f"no bundled group {group!r}; choose from {', '.join(SAMPLE_GROUPS)}")
    return data_path(f"{group}.tle")


def sample_catalog(groups: tuple[str, ...] = SAMPLE_GROUPS) -> Catalog:
    """The bundled sample catalog: CelesTrak's ``resource`` and ``stations`` groups (2026-05-30)."""
    text = "".join(sample_path(g).read_text() for g in groups)
    catalog = load_elements(text)
    catalog.source = "bundled CelesTrak " + "+".join(groups) + " (2026-05-30)"
    return catalog
