"""Request and response models of the REST API (pydantic): validated inputs, documented outputs."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


def iso_time(**kw):
    return Field(min_length=4, max_length=40, examples=["2026-05-30T12:00:00Z"], **kw)


def latitude(default=...):
    return Field(default, ge=-90.0, le=90.0, allow_inf_nan=False)


def longitude(default=...):
    return Field(default, ge=-180.0, le=180.0, allow_inf_nan=False)



class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ------------------------------------------------------------------------------------------------ inputs
class Place(Strict):
    """A point on the Earth: a target, a request or a ground station."""

    id: str = Field("", max_length=64)
    lat_deg: float = latitude()
    lon_deg: float = longitude()
    alt_m: float = Field(0.0, ge=-500.0, le=9_000.0, allow_inf_nan=False)


class Constraints(Strict):
    """When a sensor sees a target: the constraints of ``access_windows``."""

    min_elevation_deg: float = Field(0.0, ge=-10.0, le=90.0, allow_inf_nan=False,
                                     description="elevation of the satellite seen from the target, deg (default 0: "
                                                 "the geometric horizon, as on the command line)")
    max_off_nadir_deg: float | None = Field(None, gt=0.0, lt=90.0, allow_inf_nan=False)
    half_angle_deg: float | None = Field(None, gt=0.0, lt=90.0, allow_inf_nan=False,
                                         description="nadir cone half-angle of the sensor")
    min_sun_elevation_deg: float | None = Field(None, ge=-90.0, le=90.0, allow_inf_nan=False)
    sunlit: bool | None = Field(None, description="true: only while the satellite is in sunlight")
    min_duration_s: float = Field(0.0, ge=0.0, le=86_400.0, allow_inf_nan=False)


class WalkerDesign(Strict):
    """A designed Walker delta constellation (propagated with analytic J2) instead of catalogue objects."""

    total: int = Field(ge=1, le=5_000)
    planes: int = Field(ge=1, le=500)
    phasing: int = Field(0, ge=0, le=499)
    inclination_deg: float = Field(ge=0.0, le=180.0, allow_inf_nan=False)
    altitude_km: float = Field(ge=160.0, le=40_000.0, allow_inf_nan=False)


class Satellites(Strict):
    """Which satellites: NORAD ids or a catalogue group (default: every active object), or a design."""

    ids: list[Annotated[int, Field(ge=0, le=999_999_999)]] | None = Field(None, max_length=20_000)
    group: str | None = Field(None, max_length=64)
    design: WalkerDesign | None = None


class AccessRequest(Satellites):
    targets: list[Place] = Field(min_length=1, max_length=10_000)
    start: str = iso_time()
    stop: str = iso_time()
    constraints: Constraints = Constraints()


class Grid(Strict):
    """Where coverage is measured: H3 cells over the globe, a latitude band or a country, or listed points."""

    kind: Literal["global", "band", "country", "points"] = "global"
    resolution: int | None = Field(None, ge=0, le=6, description="H3 resolution (2: ~86,000 km² cells; default "
                                                                  "2 for the globe or a band, 4 for a country)")
    country: str | None = Field(None, max_length=64)
    min_lat_deg: float = latitude(-90.0)
    max_lat_deg: float = latitude(90.0)
    points: list[Place] | None = Field(None, max_length=200_000)


class CoverageRequest(Satellites):
    grid: Grid = Grid()
    start: str = iso_time()
    stop: str = iso_time()
    constraints: Constraints = Constraints()


class ScreeningRequest(Satellites):
    """Screen the satellites (default: every active object) for close approaches; primaries against all when
    given. The conjunctions found are kept in the catalogue store."""

    start: str = iso_time()
    stop: str = iso_time()
    threshold_km: float = Field(5.0, gt=0.0, le=50.0, allow_inf_nan=False, description="report approaches closer "
                                                                                       "than this, km")
    primaries: list[Annotated[int, Field(ge=0, le=999_999_999)]] | None = Field(None, max_length=1_000)
    hbr_m: float = Field(10.0, gt=0.0, le=1000.0, allow_inf_nan=False,
                         description="combined hard-body radius of the probabilities, m")


class Request(Place):
    """An imaging request: a place and its value."""

    priority: float = Field(1.0, gt=0.0, le=1e6, allow_inf_nan=False)
    repeat_every_h: float | None = Field(None, ge=1.0, le=168.0, allow_inf_nan=False,
                                         description="a revisit request: one image wanted in every period of "
                                                     "this many hours (answered as ID#1, ID#2, ...)")
    stereo: bool = Field(False, description="a stereo pair: two images of one pass")


class AgilityModel(Strict):
    max_off_nadir_deg: float = Field(30.0, gt=0.0, lt=70.0, allow_inf_nan=False)
    slew_rate_deg_s: float = Field(1.0, gt=0.0, le=20.0, allow_inf_nan=False)
    settle_s: float = Field(10.0, ge=0.0, le=600.0, allow_inf_nan=False)
    imaging_s: float = Field(10.0, gt=0.0, le=600.0, allow_inf_nan=False)
    memory_images: int = Field(40, ge=1, le=10_000)
    max_imaging_s_per_orbit: float | None = Field(None, gt=0.0, le=86_400.0, allow_inf_nan=False,
                                                  description="power/duty limit: imaging seconds per revolution")
    stereo_separation_s: float = Field(60.0, ge=0.0, le=600.0, allow_inf_nan=False)
    min_sun_elevation_deg: float | None = Field(10.0, ge=-90.0, le=90.0, allow_inf_nan=False)


class PlanRequest(Satellites):
    requests: list[Request] = Field(min_length=1, max_length=5_000)
    stations: list[Place] = Field(default_factory=list, max_length=100)
    start: str = iso_time()
    stop: str = iso_time()
    agility: AgilityModel = AgilityModel()
    solver: Literal["cp-sat", "greedy"] = "cp-sat"
    time_limit_s: float = Field(10.0, gt=0.0, le=120.0, allow_inf_nan=False)


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
    delta_a_km: float = Field(description="change of the mean semi-major axis")
    delta_i_deg: float = Field(description="change of inclination")
    confidence: float = Field(ge=0, le=1)


class ObjectDetail(ObjectSummary):
    first_seen: str
    last_seen: str
    tle: list[str]
    history: list[ElementSetOut]
    manoeuvres: list[ManoeuvreOut] = Field(default_factory=list,
                                           description="manoeuvres found in the stored element-set history")


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


class ChangesOut(BaseModel):
    changes: list[ChangeOut]
    launches: list[Launch] = Field(description="the new objects grouped by launch (international designator)")


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
    brightest_magnitude: float | None = Field(None, description="visual magnitude at the brightest (objects with a "
                                                                "known standard magnitude)")
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
    complete: bool = Field(True, description="false: the snapshot looked truncated or had unattributable rejects, "
                                             "so no object was concluded gone or decayed")
    note: str = ""
    sha256: str = Field("", description="SHA-256 of the bytes ingested")
    bytes: int = 0
