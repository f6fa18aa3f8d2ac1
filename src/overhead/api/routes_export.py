"""Exports in the field's formats: CZML, KML, GeoJSON ground tracks and footprints, CCSDS OEM, CSV, TLE/OMM."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse, Response

from overhead import exports
from overhead.api.deps import service
from overhead.api.routes_compute import GroupQuery, IdsQuery, csv_response, parse_ids
from overhead.api.service import ServiceState, parse_span, parse_time
from overhead.orbits.timescales import sample_count, sample_times
from overhead.tables import states_table

router = APIRouter(prefix="/api/export", tags=["exports"])

TEXT: dict[int | str, dict[str, Any]] = {200: {"content": {"text/plain": {"schema": {"type": "string"}}}}}
MEDIA = {
    "czml": "application/json",
    "kml": "application/vnd.google-earth.kml+xml",
    "geojson": "application/geo+json",
    "oem": "text/plain",
    "csv": "text/csv",
}


EXPORT_STATE_BYTES = 130.0  # one state in CZML, KML, OEM or CSV, about (OEM and KML are the largest)


def _span_and_satellites(state: ServiceState, ids, group, start, stop, step_s, *, points_per_sample: float = 1.0):
    t0, t1 = parse_span(start, stop, state.default_time()[0], default_hours=1.5, max_days=7)
    satellites = state.usable(state.satellites(parse_ids(ids), group), t0, t1)
    n_times = sample_count(t0, t1, step_s)
    reduce = "the span, the satellites (ids or group), or raise step_s"
    state.check_work(len(satellites), n_times * points_per_sample, reduce=reduce)
    state.check_memory(len(satellites) * n_times * points_per_sample, reduce=reduce)
    state.check_output(len(satellites) * n_times * points_per_sample, EXPORT_STATE_BYTES, what="states", reduce=reduce)
    return satellites, sample_times(t0, t1, step_s)


def _download(body: str, kind: str, filename: str) -> Response:
    return Response(body, media_type=MEDIA[kind], headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get(
    "/ephemeris",
    responses={200: {"content": {m: {} for m in MEDIA.values()}}},
    summary="Ephemerides over a span as CZML, KML, GeoJSON ground tracks, CCSDS OEM or CSV",
)
def ephemeris(
    format: Literal["czml", "kml", "geojson", "oem", "csv"] = "czml",
    ids: str | None = IdsQuery,
    group: str | None = GroupQuery,
    start: str | None = Query(None, max_length=40),
    stop: str | None = Query(None, max_length=40),
    step_s: float = Query(60.0, ge=1.0, le=3_600.0, allow_inf_nan=False),
    frame: Literal["teme", "itrf"] = Query("teme", description="OEM and CSV only"),
    state: ServiceState = Depends(service),
):
    satellites, times = _span_and_satellites(state, ids, group, start, stop, step_s)
    if format == "czml":
        ds = state.compute(satellites.propagate, times, frame="itrf")
        return JSONResponse(
            exports.czml_document(ds, name="overhead"),
            media_type=MEDIA["czml"],
            headers={"Content-Disposition": 'attachment; filename="overhead.czml"'},
        )
    if format in ("kml", "geojson"):
        ds = state.compute(satellites.propagate, times, frame="geodetic")
        if format == "kml":
            return _download(exports.kml_document(ds), "kml", "ground-tracks.kml")
        return JSONResponse(exports.ground_tracks_geojson(ds), media_type=MEDIA["geojson"])
    ds = state.compute(satellites.propagate, times, frame=frame)
    if format == "oem":
        return _download(exports.oem_document(ds), "oem", "overhead.oem")
    return csv_response(states_table(ds), "states.csv")


@router.get(
    "/footprints",
    summary="Sensor footprints (GeoJSON) at start, or sampled from start to stop",
    responses={200: {"content": {"application/geo+json": {}}}},
)
def footprints(
    ids: str | None = IdsQuery,
    group: str | None = GroupQuery,
    start: str | None = Query(None, max_length=40),
    stop: str | None = Query(None, max_length=40),
    step_s: float = Query(600.0, ge=10.0, le=86_400.0, allow_inf_nan=False),
    min_elevation_deg: float = Query(10.0, ge=-10.0, le=90.0, allow_inf_nan=False),
    max_off_nadir_deg: float | None = Query(None, gt=0.0, lt=90.0, allow_inf_nan=False),
    state: ServiceState = Depends(service),
):
    if stop is None:  # one time: the footprints at start
        satellites = state.satellites(parse_ids(ids), group)
        times = np.atleast_1d(parse_time(start, state.default_time()[0], name="start"))
        state.check_work(len(satellites), 500.0, reduce="the satellites (ids or group)")
    else:
        satellites, times = _span_and_satellites(
            state, ids, group, start, stop, step_s, points_per_sample=500.0
        )  # a polygon costs about 500 states
    ds = state.compute(satellites.propagate, times, frame="geodetic")
    return JSONResponse(
        exports.footprints_geojson(ds, min_elevation_deg=min_elevation_deg, max_off_nadir_deg=max_off_nadir_deg),
        media_type=MEDIA["geojson"],
    )


ELEMENT_MEDIA = {"json": "application/json", "csv": "text/csv", "xml": "application/xml", "kvn": "text/plain"}


@router.get(
    "/elements",
    responses={
        200: {
            "content": {
                **{m: {"schema": {"type": "string"}} for m in ("text/plain", "text/csv", "application/xml")},
                "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
            }
        }
    },
    summary="The newest element sets as TLE or OMM (JSON, CSV, XML, KVN)",
)
def elements(
    format: Literal["tle", "omm-json", "omm-csv", "omm-xml", "omm-kvn"] = "tle",
    ids: str | None = IdsQuery,
    group: str | None = GroupQuery,
    state: ServiceState = Depends(service),
):
    catalog = state.satellites(parse_ids(ids), group)
    if format == "tle":
        return Response(catalog.to_tle(), media_type="text/plain")
    kind = format.split("-")[1]
    return Response(catalog.to_omm(kind), media_type=ELEMENT_MEDIA[kind])
