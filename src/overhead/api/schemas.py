"""Request and response models of the REST API (pydantic): validated inputs, documented outputs."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from overhead.constants import NORAD_ID_MAX
from overhead.requests import (
    AccessRequest,
    AgilitySpec,
    ConstraintsSpec,
    GridSpec,
    ImagingRequest,
    Place,
    SatelliteSelection,
    ScreeningRequest,
    WalkerDesign,
    spec_default,
    spec_help,
)
from overhead.requests import CoverageRequest as _CoverageRequest
from overhead.requests import PlanRequest as _PlanRequest

# The request bodies are the request model itself (overhead.requests); the service adds only its own work bounds.
Constraints = ConstraintsSpec
Satellites = SatelliteSelection
Request = ImagingRequest
AgilityModel = AgilitySpec


class Grid(GridSpec):
    resolution: int | None = Field(
        None, ge=0, le=6, description=f"{spec_help(GridSpec, 'resolution')}; at most 6 in the service"
    )


class CoverageRequest(_CoverageRequest):
    grid: Grid = Grid()


class PlanRequest(_PlanRequest):
    time_limit_s: float = Field(
        spec_default(_PlanRequest, "time_limit_s"),
        gt=0.0,
        le=120.0,
        allow_inf_nan=False,
        description="CP-SAT's time limit, seconds; at most 120 in the service",
    )


__all__ = [
    "AccessRequest",
    "AgilityModel",
    "Constraints",
    "CoverageRequest",
    "Grid",
    "Place",
    "PlanRequest",
    "Request",
    "Satellites",
    "ScreeningRequest",
    "WalkerDesign",
]


# ----------------------------------------------------------------------------------------------- outputs
class Status(BaseModel):
    version: str
    objects: int
    active: int
    groups: list[str]
    median_epoch: str | None
    default_time: str = Field(description="now, or the catalogue's median epoch when its elements are stale")
    elements_stale: bool
    limits: dict[str, float]
    requests_cancelled: int = Field(0, description="requests stopped since start: client gone or over max_request_s")
    requests_abandoned: int = Field(0, description="of those, the requests whose client went away")
    ephemeris: dict[str, Any] = Field(
        default_factory=dict,
        description="the sampled catalogue ephemeris the computations read: hours held (UTC ISO-8601 Z block "
        "starts), bytes held and the budget (ephemeris_budget_bytes)",
    )


class ObjectSummary(BaseModel):
    norad_id: int
    name: str
    object_id: str
    group: str
    status: str
    regime: str
    epoch: str | None
    period_min: float | None
    inclination_deg: float | None
    perigee_km: float | None
    apogee_km: float | None


class PlaceOut(BaseModel):
    name: str
    lat_deg: float
    lon_deg: float
    country: str = Field("", description="ISO 3166-1 alpha-2; empty for a position written as coordinates")
    population: int = 0
    timezone: str = Field("", description="IANA time zone of the place (Europe/Paris; Etc/GMT+2 at sea)")


class Sky(BaseModel):
    """The newest element set of every active object, with what it is, as columns (one entry per object): what
    a client needs to propagate the catalogue itself (satellite.js in the dashboard)."""

    count: int
    norad_id: list[int]
    name: list[str]
    line1: list[str]
    line2: list[str]
    groups: list[str] = Field(description="comma-separated groups that report the object")
    tags: list[str] = Field(description="comma-separated user tags of the object")
    object_type: list[str] = Field(description="SATCAT type (PAYLOAD, ROCKET BODY, DEBRIS, UNKNOWN), or empty")
    owner: list[str] = Field(description="SATCAT owner code, or empty")
    regime: list[str] = Field(description="LEO, MEO, GEO, HEO")


class TagChange(BaseModel):
    norad_ids: list[Annotated[int, Field(ge=1, le=NORAD_ID_MAX)]] = Field(
        min_length=1, max_length=100_000, description=f"the objects to tag or untag (NORAD ids, 1 to {NORAD_ID_MAX})"
    )


class TagsOut(BaseModel):
    tags: dict[str, list[int]] = Field(description="each tag and the NORAD ids it is on")


class ObjectPage(BaseModel):
    total: int
    objects: list[ObjectSummary]


class ElementSetOut(BaseModel):
    epoch: str
    mean_motion_rev_per_day: float
    eccentricity: float
    inclination_deg: float
    raan_deg: float
    bstar: float
    line1: str
    line2: str


class ManoeuvreOut(BaseModel):
    time: str = Field(description="UTC, ISO 8601")
    time_uncertainty_h: float = Field(description="half-width of the time's claim, hours")
    delta_a_km: float = Field(description="change of the mean semi-major axis")
    delta_i_deg: float = Field(description="change of inclination")
    delta_v_m_s: float = Field(description="the velocity change that makes it, m/s")
    kind: str = Field(description="in-plane raise, in-plane lower, plane change, east-west, north-south, unknown")
    confidence: float = Field(ge=0, le=1, description="the probability that it is a manoeuvre (±1 day)")
    tier: Literal["high", "normal"] = Field(description="high: a confidence of 0.9 or more")


class ReentryOut(BaseModel):
    """A re-entry predicted by the drag model (NRLMSIS 2.1, CelesTrak's space weather, the object's fitted
    ballistic coefficient) from the object's latest element sets."""

    reentry: str = Field(description="when the perigee falls to 120 km, UTC, ISO 8601")
    window_start: str = Field(description="the window's start: the time to go less 20 %, UTC")
    window_end: str = Field(description="the window's end: the time to go plus 20 %, UTC")
    epoch: str = Field(description="the latest element set's epoch, from which it is predicted, UTC")
    perigee_km: float = Field(description="perigee height at that epoch, km")
    decay_km_day: float = Field(
        description="the semi-major axis's decay rate, km/day (negative): over the last "
        "30 days of sets, or the latest set's own"
    )
    ballistic_m2_kg: float = Field(description="the fitted ballistic coefficient C_D·A/m, m²/kg")
    rate_from: Literal["history", "element set"] = Field(
        description="the rate from a line through the last 30 days of sets, or from one set's own ṅ"
    )


class ReentryRow(ReentryOut):
    norad_id: int
    name: str


class ReentriesOut(BaseModel):
    at: str = Field(description="the time from which within_days counts, UTC")
    total: int
    reentries: list[ReentryRow] = Field(description="soonest first")


class ObjectDetail(ObjectSummary):
    first_seen: str
    last_seen: str
    tle: list[str]
    history: list[ElementSetOut]
    manoeuvres: list[ManoeuvreOut] = Field(
        default_factory=list, description="manoeuvres found in the stored element-set history"
    )
    tags: list[str] = Field(default_factory=list, description="the user's tags on the object")
    object_type: str = Field("", description="SATCAT type (PAYLOAD, ROCKET BODY, DEBRIS, UNKNOWN), or empty")
    owner: str = Field("", description="SATCAT owner code, or empty")
    reentry: ReentryOut | None = Field(
        None,
        description="the predicted re-entry, for objects with a perigee "
        "under 700 km that decay and come down within a year of "
        "their latest elements (none for the others)",
    )


class ChangeOut(BaseModel):
    norad_id: int
    name: str
    object_id: str
    change: str
    time: str | None
    detail: str
    confidence: float | None


class Launch(BaseModel):
    launch: str
    objects: list[ChangeOut]


class Baseline(BaseModel):
    ingest_id: int
    group: str = Field(description="the group whose first snapshot it was ('' for a file ingested without one)")
    objects: int = Field(description="objects first catalogued by it (not listed one by one)")
    ingested_at: str = Field(description="when, UTC ISO-8601 Z")


class ChangesOut(BaseModel):
    total: int = Field(0, description="how many changes matched, before the limit (the newest `limit` are listed)")
    changes: list[ChangeOut] = Field(description="newest first (time of the change)")
    launches: list[Launch] = Field(description="the new objects grouped by launch (international designator)")
    baselines: list[Baseline] = Field(
        default_factory=list,
        description="first snapshots of a group, one line each: every object is 'new' then, so none is listed "
        "in changes (ask change=new&baseline=true for them)",
    )


class Position(BaseModel):
    norad_id: int
    name: str
    lat_deg: float
    lon_deg: float
    alt_km: float
    sunlit: bool
    footprint_deg: float = Field(description="Earth-central angle of the ground visible above the elevation asked")


class Positions(BaseModel):
    time: str
    positions: list[Position]
    errors: list[int] = Field(description="NORAD ids SGP4 could not propagate to this time (decayed)")


class Track(BaseModel):
    norad_id: int
    name: str
    times: list[str]
    lat_deg: list[float | None]
    lon_deg: list[float | None]
    alt_km: list[float | None]


class PassOut(BaseModel):
    norad_id: int
    name: str
    rise: str
    culmination: str
    set: str
    duration_s: float
    rise_azimuth_deg: float
    max_elevation_deg: float
    set_azimuth_deg: float
    truncated: bool
    visible_start: str | None = Field(None, description="with visible=true: when the pass becomes visible")
    visible_end: str | None = None
    visible_s: float | None = None
    brightest_magnitude: float | None = Field(
        None, description="visual magnitude at the brightest (objects with a known standard magnitude)"
    )
    brightest_time: str | None = None
    magnitude_source: str | None = None


class AboveOut(BaseModel):
    norad_id: int
    name: str
    azimuth_deg: float
    elevation_deg: float
    range_km: float
    sunlit: bool
    element_age_days: float


class LookAngles(BaseModel):
    norad_id: int
    times: list[str]
    azimuth_deg: list[float | None]
    elevation_deg: list[float | None]
    range_km: list[float | None]


class WindowOut(BaseModel):
    norad_id: int
    name: str
    target: str
    start: str
    end: str
    duration_s: float
    culmination: str
    max_elevation_deg: float
    min_off_nadir_deg: float
    truncated: bool
    start_constraint: str
    end_constraint: str


class JobOut(BaseModel):
    id: str
    kind: str
    state: Literal["queued", "running", "done", "failed", "cancelled"]
    progress: float
    message: str
    created: str
    finished: str | None


class IngestOut(BaseModel):
    ingest_id: int
    records: int
    new_sets: int
    unchanged_sets: int
    new_objects: int
    updated_objects: int
    rejected: list[str]
    changes: int
    complete: bool = Field(
        True,
        description="false: the snapshot looked truncated or had unattributable rejects, "
        "so no object was concluded gone or decayed",
    )
    note: str = ""
    sha256: str = Field("", description="SHA-256 of the bytes ingested")
    bytes: int = 0
