"""The catalogue layer's request parameters, one definition each (light: the command line builds its options from
them before anything heavy is imported)."""

from __future__ import annotations

from pydantic import Field

from overhead.geometry.specs import Spec

__all__ = ["ManoeuvreQuery", "ReentryQuery"]


class ManoeuvreQuery(Spec):
    """Which detections a user is shown: the one parameter under ``catalog manoeuvres``, ``GET /api/changes``
    and the ``manoeuvre`` watch rule."""

    min_confidence: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        allow_inf_nan=False,
        description=(
            "only manoeuvres at least this likely, a probability 0-1 (default 0.5: more likely than not; 0.9: the "
            "high tier; 0: every detection)"
        ),
    )


class ReentryQuery(Spec):
    """Which predicted re-entries a user is shown: the one parameter under ``catalog reentries``,
    ``GET /api/reentries`` and the ``decay_predicted`` watch rule."""

    within_days: float = Field(
        30.0,
        gt=0.0,
        le=3650.0,
        allow_inf_nan=False,
        description=("objects predicted to re-enter within this many days, days (default 30)"),
    )
