"""The requests a user makes of overhead, one typed model each, under every interface.

Each parameter has one name with its unit, one default, one validation and one error message, defined once in
the layer it belongs to (:mod:`overhead.geometry.specs`, :mod:`overhead.planning.specs`) and composed here into
the requests: access windows, coverage, an observation plan, a conjunction screening. The REST API's request
bodies are these models; the command line builds the same models from its flags (its defaults and help come from
them, see :func:`spec_default` / :func:`spec_help`); sweep specs are validated by them.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from overhead.geometry.specs import (
    ConstraintsSpec,
    GridFileSpec,
    GridSpec,
    Place,
    Spec,
    describe,
    spec_default,
    spec_help,
    validated,
)
from overhead.planning.specs import AgilitySpec, ImagingRequest

__all__ = [
    "AccessRequest",
    "AgilitySpec",
    "ConstraintsSpec",
    "CoverageRequest",
    "GridFileSpec",
    "GridSpec",
    "ImagingRequest",
    "PassesRequest",
    "Place",
    "PlanRequest",
    "SatelliteSelection",
    "ScreeningOptions",
    "ScreeningRequest",
    "SiteQuery",
    "Spec",
    "WalkerDesign",
    "describe",
    "spec_default",
    "spec_help",
    "validated",
]

NoradId = Annotated[int, Field(ge=0, le=999_999_999)]


def iso_time(**kw):
    return Field(min_length=4, max_length=40, examples=["2026-05-30T12:00:00Z"], **kw)


class WalkerDesign(Spec):
    """A designed Walker delta constellation (propagated with analytic J2) instead of catalogue objects."""

    total: int = Field(ge=1, le=5_000, description="satellites")
    planes: int = Field(ge=1, le=500, description="orbit planes")
    phasing: int = Field(0, ge=0, le=499, description="Walker's phasing factor F")
    inclination_deg: float = Field(ge=0.0, le=180.0, allow_inf_nan=False, description="inclination, degrees")
    altitude_km: float = Field(ge=160.0, le=40_000.0, allow_inf_nan=False, description="circular altitude, km")


class SatelliteSelection(Spec):
    """Which satellites: NORAD ids or a catalogue group (default: every active object), or a design."""

    ids: list[NoradId] | None = Field(None, max_length=20_000, description="NORAD catalogue numbers")
    group: str | None = Field(None, max_length=64, description="a catalogue group, e.g. resource")
    design: WalkerDesign | None = None


class AccessRequest(SatelliteSelection):
    """Access windows of the satellites over targets."""

    targets: list[Place] = Field(min_length=1, max_length=10_000)
    start: str = iso_time(description="UTC, ISO 8601")
    stop: str = iso_time(description="UTC, ISO 8601")
    constraints: ConstraintsSpec = ConstraintsSpec()


class SiteQuery(Spec):
    """What is above a place (``overhead above``, ``GET /api/above``)."""

    min_elevation_deg: float = Field(
        10.0,
        ge=-90.0,
        lt=90.0,
        allow_inf_nan=False,
        description="the station's elevation mask, degrees above the horizon (negative: below it; -90: every object)",
    )


class PassesRequest(SiteQuery):
    """Passes over a place (``overhead passes``, ``GET /api/passes``)."""

    visible: bool = Field(
        False,
        description="only passes an observer can see: the satellite sunlit while the Sun "
        "is below max_sun_altitude_deg at the place",
    )
    max_sun_altitude_deg: float = Field(
        -6.0,
        ge=-90.0,
        le=0.0,
        allow_inf_nan=False,
        description="with visible: the Sun's highest altitude at the place, degrees (-6: civil twilight)",
    )


class CoverageRequest(SatelliteSelection):
    """Coverage and revisit of the satellites over a grid."""

    grid: GridSpec = GridSpec()
    start: str = iso_time(description="UTC, ISO 8601")
    stop: str = iso_time(description="UTC, ISO 8601")
    constraints: ConstraintsSpec = ConstraintsSpec()


class ScreeningOptions(Spec):
    """What a screening reports (the span aside): the threshold, the primaries and the probabilities' hard body."""

    threshold_km: float = Field(
        5.0, gt=0.0, le=50.0, allow_inf_nan=False, description="report approaches closer than this, km"
    )
    primaries: list[NoradId] | None = Field(
        None, max_length=1_000, description="NORAD ids screened against all (default: all against all)"
    )
    primaries_group: str | None = Field(
        None, max_length=64, description="instead of primaries: the objects of a catalogue-store group, e.g. stations"
    )
    hbr_m: float = Field(
        10.0, gt=0.0, le=1000.0, allow_inf_nan=False, description="combined hard-body radius of the probabilities, m"
    )


class ScreeningRequest(SatelliteSelection, ScreeningOptions):
    """Screen the satellites (default: every active object) for close approaches; primaries against all when
    given."""

    start: str = iso_time(description="UTC, ISO 8601")
    stop: str = iso_time(description="UTC, ISO 8601")


class PlanRequest(SatelliteSelection):
    """An observation plan: imaging requests over the satellites, with downlinks to stations."""

    requests: list[ImagingRequest] = Field(min_length=1, max_length=5_000)
    stations: list[Place] = Field(default_factory=list, max_length=100)
    start: str = iso_time(description="UTC, ISO 8601")
    stop: str = iso_time(description="UTC, ISO 8601")
    agility: AgilitySpec = AgilitySpec()
    solver: Literal["cp-sat", "greedy"] = Field("cp-sat", description="CP-SAT, or the fast greedy plan")
    time_limit_s: float = Field(
        60.0,
        gt=0.0,
        le=3_600.0,
        allow_inf_nan=False,
        description="CP-SAT's time limit, seconds (the best plan so far is kept)",
    )
