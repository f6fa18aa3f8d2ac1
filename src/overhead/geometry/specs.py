"""The geometry parameters of a request, as typed specifications: places, access constraints and analysis grids.

These are the one definition of each parameter a user gives by name: its name with its unit, its default, its
bounds and its error message. The command line builds them from flags (its options take their defaults and help
from here), the REST API's request bodies are these models, and sweep specs are validated by them. The domain
objects are built from them by their own modules (``AccessConstraints.from_spec``, ``AnalysisGrid.from_spec``):
the specs import no runtime class, so the two never import each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from overhead.errors import OverheadError

if TYPE_CHECKING:  # the domain objects are imported when built: the models stay light for the command line
    from overhead.geometry.targets import TargetSet

# one default H3 resolution per kind of grid (the command line, the service and the sweeps share it)
DEFAULT_RESOLUTION = {"global": 2, "band": 2, "country": 4, "region": 4}

__all__ = [
    "DEFAULT_RESOLUTION",
    "ConstraintsSpec",
    "GridFileSpec",
    "GridSpec",
    "Place",
    "Spec",
    "describe",
    "problem",
    "spec_default",
    "spec_help",
    "target_set",
    "validated",
]

SpecT = TypeVar("SpecT", bound=BaseModel)


class Spec(BaseModel):
    """A request specification: unknown keys are refused (a misspelt key is an error, not a silent default)."""

    model_config = ConfigDict(extra="forbid")


def validated(model: type[SpecT], data: dict[str, Any], *, where: str = "") -> SpecT:
    """``model`` built from ``data``, or an :class:`OverheadError` of one line per problem naming the parameter,
    what was wrong and the value given (``where`` says where it came from: a file, a section of it)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise OverheadError(f"{where + ': ' if where else ''}{describe(exc)}") from None


def describe(exc: ValidationError) -> str:
    """A pydantic error as the user's words: ``min_elevation_deg: must be less than 90 (got 95)``."""
    return "; ".join(problem(error, show_input=True) for error in exc.errors())


def problem(error: Any, *, show_input: bool = False) -> str:
    """One validation problem in the user's words (the service shows no input: it may be huge or not text)."""
    name = ".".join(str(part) for part in error.get("loc", ())) or "value"
    message = (
        error.get("msg", "invalid")
        .replace("Input should be ", "must be ")
        .replace("Extra inputs are not permitted", "unknown parameter")
    )
    shown = repr(error.get("input"))
    given = (
        f" (got {shown if len(shown) <= 40 else shown[:37] + '...'})"
        if show_input and error.get("type") != "missing" and not isinstance(error.get("input"), dict)
        else ""
    )
    return f"{name}: {message}{given}"


def spec_default(model: type[BaseModel], name: str) -> Any:
    """The default of a parameter, for an interface that shows or needs it (one default, stated here)."""
    return model.model_fields[name].get_default(call_default_factory=True)


def spec_help(model: type[BaseModel], name: str) -> str:
    """The description of a parameter (with its unit), for an option's help."""
    return model.model_fields[name].description or name


def _elevation(default: float | None, description: str) -> Any:
    return Field(default, ge=-90.0, le=90.0, allow_inf_nan=False, description=description)


class Place(Spec):
    """A point on the Earth: a target, an imaging request or a ground station."""

    id: str = Field("", max_length=64, description="its name (default: numbered)")
    lat_deg: float = Field(ge=-90.0, le=90.0, allow_inf_nan=False, description="geodetic latitude, degrees north")
    lon_deg: float = Field(ge=-180.0, le=180.0, allow_inf_nan=False, description="longitude, degrees east")
    alt_m: float = Field(0.0, ge=-500.0, le=9_000.0, allow_inf_nan=False, description="height above WGS84, m")


def target_set(places: Sequence[Place], *, prefix: str = "target") -> TargetSet:
    """The targets of listed places (unnamed ones numbered ``target-1``, ...)."""
    from overhead.geometry.targets import TargetSet

    ids = [p.id or f"{prefix}-{k + 1}" for k, p in enumerate(places)]
    return TargetSet.from_points(
        [p.lat_deg for p in places], [p.lon_deg for p in places], [p.alt_m for p in places], ids=ids
    )


class ConstraintsSpec(Spec):
    """When a sensor sees a target: the constraints of access windows and coverage, one default each."""

    min_elevation_deg: float = Field(
        0.0,
        ge=-10.0,
        lt=90.0,
        allow_inf_nan=False,
        description="elevation of the satellite seen from the target, degrees (0: the geometric horizon)",
    )
    max_off_nadir_deg: float | None = Field(
        None,
        gt=0.0,
        le=90.0,
        allow_inf_nan=False,
        description="largest angle from nadir at the satellite, degrees (default: no limit)",
    )
    half_angle_deg: float | None = Field(
        None,
        gt=0.0,
        lt=90.0,
        allow_inf_nan=False,
        description="nadir cone half-angle of the sensor, degrees (default: none)",
    )
    min_sun_elevation_deg: float | None = _elevation(
        None, "the Sun at least this high at the target, degrees (default: any)"
    )
    max_sun_elevation_deg: float | None = _elevation(
        None, "the Sun at most this high at the target, degrees (default: any)"
    )
    min_incidence_deg: float | None = Field(
        None,
        ge=0.0,
        lt=90.0,
        allow_inf_nan=False,
        description="smallest incidence angle at the target, degrees (default: none)",
    )
    max_incidence_deg: float | None = Field(
        None,
        gt=0.0,
        le=90.0,
        allow_inf_nan=False,
        description="largest incidence angle at the target, degrees (default: none)",
    )
    sunlit: bool | None = Field(None, description="true: only while the satellite is in sunlight (default: either)")
    min_duration_s: float = Field(
        0.0, ge=0.0, le=86_400.0, allow_inf_nan=False, description="shortest window kept, seconds"
    )


class GridSpec(Spec):
    """Where coverage is measured: H3 cells over the globe, a latitude band or a country, or listed points."""

    kind: Literal["global", "band", "country", "points"] = "global"
    resolution: int | None = Field(
        None,
        ge=0,
        le=15,
        description=(
            f"H3 resolution of the grid (2: ~86,000 km² cells; default {DEFAULT_RESOLUTION['global']} for the globe or "
            f"a band, {DEFAULT_RESOLUTION['country']} for a region or country)"
        ),
    )
    country: str | None = Field(None, max_length=64, description="a country of the bundled Natural Earth map")
    min_lat_deg: float = Field(-90.0, ge=-90.0, le=90.0, allow_inf_nan=False, description="a band's southern edge")
    max_lat_deg: float = Field(90.0, ge=-90.0, le=90.0, allow_inf_nan=False, description="a band's northern edge")
    points: list[Place] | None = Field(None, max_length=200_000, description="the points of a points grid")


class GridFileSpec(GridSpec):
    """A grid that may also come from files on this machine (the command line and sweep specs, not the API)."""

    kind: Literal["global", "band", "country", "points", "region"] = "global"  # type: ignore[assignment]
    region: Path | None = Field(None, description="a GeoJSON polygon file")
    points_file: Path | None = Field(None, description="a site table (CSV, GeoJSON points, JSON station list)")

    @classmethod
    def from_choice(
        cls,
        *,
        points: str | Path | None = None,
        region: str | Path | None = None,
        country: str | None = None,
        globe: bool = False,
        band: str | tuple | list | None = None,
        resolution: int | None = None,
        names: dict[str, str] | None = None,
    ) -> GridFileSpec:
        """The grid of a "one of" choice (command-line flags, a sweep's ``where``): exactly one of ``points``,
        ``region``, ``country``, ``globe`` or ``band`` (``MIN,MAX`` degrees or a pair). ``names``: how the
        interface spells each choice, for the error message."""
        spelled = {
            "points": "points FILE",
            "region": "region GEOJSON",
            "country": "country NAME",
            "globe": "global",
            "band": "band MIN_LAT,MAX_LAT",
            **(names or {}),
        }
        chosen = {"points": points, "region": region, "country": country, "globe": globe, "band": band}
        given = [kind for kind, value in chosen.items() if value]
        if len(given) != 1:
            raise OverheadError(f"give exactly one of {', '.join(spelled.values())}")
        data: dict[str, Any] = {"kind": {"globe": "global"}.get(given[0], given[0]), "resolution": resolution}
        if band:
            data["min_lat_deg"], data["max_lat_deg"] = _band(band, spelled["band"])
        data.update(country=country, region=region, points_file=points)
        return validated(cls, data)


def _band(band: str | tuple | list, spelled: str) -> tuple[float, float]:
    try:
        parts = [float(x) for x in (band.split(",") if isinstance(band, str) else band)]
    except (TypeError, ValueError):
        parts = []
    if len(parts) != 2:
        raise OverheadError(f"{spelled}: {band!r} must be two latitudes in degrees, e.g. -60,60")
    return parts[0], parts[1]
