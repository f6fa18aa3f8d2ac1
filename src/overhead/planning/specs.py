"""The planning parameters of a request, as typed specifications (see :mod:`overhead.geometry.specs`)."""

from __future__ import annotations

from pydantic import Field

from overhead.geometry.specs import Place, Spec

__all__ = ["AgilitySpec", "ImagingRequest"]


class AgilitySpec(Spec):
    """What the satellites can do, by the names of :class:`~overhead.planning.agile.Agility` (which takes its
    defaults from here)."""

    max_off_nadir_deg: float = Field(
        30.0, gt=0.0, lt=70.0, allow_inf_nan=False, description="field of regard: largest angle from nadir, degrees"
    )
    slew_rate_deg_s: float = Field(
        1.0, gt=0.0, le=20.0, allow_inf_nan=False, description="slew rate, degrees per second"
    )
    settle_s: float = Field(
        10.0, ge=0.0, le=600.0, allow_inf_nan=False, description="settling time after a slew, seconds"
    )
    imaging_s: float = Field(10.0, gt=0.0, le=600.0, allow_inf_nan=False, description="time one image takes, seconds")
    memory_images: int = Field(40, ge=1, le=10_000, description="images the memory holds before a downlink")
    max_imaging_s_per_orbit: float | None = Field(
        None,
        gt=0.0,
        le=86_400.0,
        allow_inf_nan=False,
        description="power/duty limit: imaging seconds per revolution (default: none)",
    )
    stereo_separation_s: float = Field(
        60.0,
        ge=0.0,
        le=600.0,
        allow_inf_nan=False,
        description="between the fore and aft images of a stereo pair, seconds",
    )
    min_sun_elevation_deg: float | None = Field(
        10.0, ge=-90.0, le=90.0, allow_inf_nan=False, description="the Sun at least this high at the target, degrees"
    )


class ImagingRequest(Place):
    """An imaging request: a place and its value."""

    priority: float = Field(1.0, gt=0.0, le=1e6, allow_inf_nan=False, description="the value of its image")
    repeat_every_h: float | None = Field(
        None,
        ge=1.0,
        le=168.0,
        allow_inf_nan=False,
        description="a revisit request: one image wanted in every period of "
        "this many hours (answered as ID#1, ID#2, ...)",
    )
    stereo: bool = Field(False, description="a stereo pair: two images of one pass")
