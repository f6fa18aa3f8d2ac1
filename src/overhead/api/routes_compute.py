"""Computation endpoints answered at once: positions, ground tracks, passes, what is above, look angles, access."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from functools import partial
from typing import Any, Literal

import numpy as np
import orjson
import pandas as pd
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response, StreamingResponse

from overhead.analysis.coverage import SEARCH_STEP_S  # the unit of work (satellites × samples × targets), the CLI's too
from overhead.api.deps import service
from overhead.api.schemas import AboveOut, AccessRequest, LookAngles, PassOut, Position, Positions, Track, WindowOut
from overhead.api.service import IDS_PATTERN, ServiceState, finite, iso, parse_span, parse_time
from overhead.constants import NORAD_ID_MAX
from overhead.geometry.sensors import AccessConstraints
from overhead.geometry.specs import target_set
from overhead.geometry.topocentric import GroundSite
from overhead.orbits.timescales import format_iso, sample_count, sample_times
from overhead.requests import PassesRequest, SiteQuery, spec_default, spec_help, validated
from overhead.tables import json_columns, json_records, with_iso_times

router = APIRouter(prefix="/api", tags=["computation"])

IdsQuery = Query(
    None,
    max_length=20_000,
    pattern=IDS_PATTERN,
    description="NORAD ids separated by commas (default: every active object, or the group)",
)
GroupQuery = Query(None, max_length=64, description="a catalogue group, e.g. resource or stations")
CSV: dict[int | str, dict[str, Any]] = {200: {"content": {"text/csv": {"schema": {"type": "string"}}}}}
INJECTED: Any = None  # FastAPI passes the Response of a parameter annotated so; the default is never used
# answer sizes, estimated before the work from the JSON rows these endpoints write (measured on their output)
TRACK_POINT_BYTES = 45.0  # lat, lon, alt of one track point (the times are listed once)
LOOK_ANGLE_BYTES = 70.0  # one time with azimuth, elevation and range
PASSES_PER_DAY = 6.0  # a LEO satellite over a place above 10°: 4-6 a day (the catalogue at Toulouse: 4.6)
PASS_ROW_BYTES = 330.0
WINDOW_ROW_BYTES = 450.0
CURSOR_PATTERN = r"^[0-9T:.+Z-]{4,40}(~[0-9]{1,9})?$"  # a page's cursor: RISE~NORAD_ID, or a bare time


def parse_ids(text: str | None) -> list[int] | None:
    if not text:
        return None
    try:
        ids = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise HTTPException(422, f"ids {text[:60]!r} must be NORAD ids separated by commas") from None
    if any(not 0 <= i <= NORAD_ID_MAX for i in ids):
        raise HTTPException(422, f"NORAD ids are whole numbers from 0 to {NORAD_ID_MAX}")
    return ids or None


def site(
    lat_deg: float = Query(ge=-90.0, le=90.0, allow_inf_nan=False),
    lon_deg: float = Query(ge=-180.0, le=180.0, allow_inf_nan=False),
    alt_m: float = Query(0.0, ge=-500.0, le=9_000.0, allow_inf_nan=False),
) -> GroundSite:
    return GroundSite(lat_deg, lon_deg, alt_m)


def csv_response(table: pd.DataFrame, filename: str) -> Response:
    from overhead.tables import csv_cells

    buffer = io.StringIO()
    csv_cells(table).to_csv(buffer, index=False, float_format="%.6f")
    return Response(
        buffer.getvalue(), media_type="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


JSON_PIECE = 2_000  # list items encoded per json.dumps call: it holds the GIL for the whole call


JSON_ROWS = 250  # table rows (flat dicts) encoded per json.dumps call


def _flat_rows(value: list) -> bool:
    """Whether a list holds table rows: dicts of plain values (judged by its first item)."""
    first = value[0]
    return isinstance(first, dict) and not any(isinstance(x, dict | list) for x in first.values())


def _json_pieces(value):
    """JSON text of ``value`` in short pieces (each json.dumps call brief, so other threads get the GIL between)."""
    if isinstance(value, dict):
        yield "{"
        for k, (key, item) in enumerate(value.items()):
            yield ("," if k else "") + json.dumps(str(key)) + ":"
            yield from _json_pieces(item)
        yield "}"
    elif isinstance(value, list) and len(value) > JSON_PIECE and not isinstance(value[0], dict | list):
        yield "["
        for a in range(0, len(value), JSON_PIECE):
            yield ("," if a else "") + json.dumps(value[a : a + JSON_PIECE], separators=(",", ":"), allow_nan=False)[
                1:-1
            ]
        yield "]"
    elif isinstance(value, list) and len(value) > 1 and _flat_rows(value):  # table rows: a few hundred a call
        yield "["
        for a in range(0, len(value), JSON_ROWS):  # orjson: ten times json's speed on rows of plain values
            yield ("," if a else "") + orjson.dumps(value[a : a + JSON_ROWS]).decode()[1:-1]
        yield "]"
    elif isinstance(value, list) and len(value) > 1:
        yield "["
        for k, item in enumerate(value):
            if k:
                yield ","
            yield from _json_pieces(item)
        yield "]"
    else:
        yield json.dumps(value, separators=(",", ":"), allow_nan=False)


STREAM_ABOVE_BYTES = 1 << 20  # answers larger than this (estimated) are streamed in blocks, not built whole
STREAM_BLOCK = 256 * 1024


def _blocks(pieces) -> Iterator[bytes]:
    buffer: list[str] = []
    size = 0
    for piece in pieces:
        buffer.append(piece)
        size += len(piece)
        if size >= STREAM_BLOCK:
            yield "".join(buffer).encode()
            buffer, size = [], 0
    if buffer:
        yield "".join(buffer).encode()


def json_rows(columns: dict[str, np.ndarray], *, decimals: int | None = None) -> bytes:
    """A JSON array of rows (objects) from equal-length arrays by column, as ``rendered(column_records(...))``
    writes them (floats rounded to ``decimals``, NaN and None as null) without a dict per row: each column written
    once by orjson and the rows put together from the pieces (a third of the time of "what is above" went to the
    dicts)."""
    names = list(columns)
    if not names or not len(columns[names[0]]):
        return b"[]"
    pieces = [_json_pieces_of(np.asarray(columns[name]), decimals) for name in names]
    template = b"{" + b",".join(orjson.dumps(name) + b":%b" for name in names) + b"}"
    return b"[" + b",".join(template % row for row in zip(*pieces, strict=True)) + b"]"


def _json_pieces_of(values: np.ndarray, decimals: int | None) -> list[bytes]:
    """Each value of an array as JSON text: numbers and booleans from one orjson call (their texts hold no comma);
    texts likewise when none holds a comma (times, most names: as many pieces as values says so), else value by
    value."""
    option = orjson.OPT_SERIALIZE_NUMPY
    if values.dtype.kind in "fiub":
        if values.dtype.kind == "f" and decimals is not None:
            values = values.round(decimals)
        return orjson.dumps(values, option=option)[1:-1].split(b",")  # NaN: null
    with contextlib.suppress(TypeError):  # pd.NA and other values orjson does not write: one by one
        pieces = orjson.dumps(values.tolist(), option=option)[1:-1].split(b",")  # None, NaN: null
        if len(pieces) == len(values):
            return pieces
    return [
        b"null" if value is None or value is pd.NA or value != value else orjson.dumps(value, option=option)
        for value in values
    ]


def route_headers(response: Response) -> dict[str, str]:
    """What a route said on its injected response (``X-…`` and ``Link``), not that response's own length or type."""
    return {k: v for k, v in response.headers.items() if k.lower().startswith("x-") or k.lower() == "link"}


def rendered(payload, response: Response | None = None, *, estimated_bytes: float = 0.0) -> Response:
    """The JSON answer, serialised off the event loop and in short pieces: a large answer rendered in one call
    (on the event loop, or in one json.dumps) would hold up every other request meanwhile, the cheap ones first.
    Answers estimated over a megabyte are streamed in 256 KiB blocks (never held whole in memory). Headers set on
    ``response`` are kept."""
    if hasattr(payload, "model_dump"):
        payload = payload.model_dump(mode="json")
    headers = route_headers(response) if response is not None else None
    if estimated_bytes > STREAM_ABOVE_BYTES:  # Starlette iterates a plain iterator on its worker threads
        return StreamingResponse(_blocks(_json_pieces(payload)), media_type="application/json", headers=headers)
    return Response("".join(_json_pieces(payload)).encode(), media_type="application/json", headers=headers)


def table_json(table: pd.DataFrame, response: Response, *, estimated_bytes: float) -> Response:
    """A table as the JSON array of its rows (:func:`json_records`' conventions): written whole by
    :func:`json_rows` where small, streamed by :func:`rendered` where over ``STREAM_ABOVE_BYTES``."""
    if estimated_bytes > STREAM_ABOVE_BYTES:
        return rendered(json_records(table), response, estimated_bytes=estimated_bytes)
    return rows_response(json_columns(table), response)


def rows_response(columns: dict[str, np.ndarray], response: Response, *, decimals: int | None = None) -> Response:
    """The JSON answer of rows given by column (:func:`json_rows`), with the headers the route set."""
    return Response(
        json_rows(columns, decimals=decimals), media_type="application/json", headers=route_headers(response)
    )


def _stamps(times: np.ndarray) -> list[str]:
    return format_iso(times, digits=3).tolist()


def _spec_query(model, name: str) -> Any:
    """A query parameter of the request model: its description and default stated there, validated there."""
    return Query(None, description=f"{spec_help(model, name)} (default: {spec_default(model, name)})")


def _given(model, **values):
    """The request model from the query parameters given (the others take the model's defaults)."""
    return validated(model, {k: v for k, v in values.items() if v is not None})


@router.get("/positions", response_model=Positions, summary="Where the satellites are at one time")
def positions(
    time: str | None = Query(None, max_length=40),
    ids: str | None = IdsQuery,
    group: str | None = GroupQuery,
    min_elevation_deg: float = Query(
        10.0, ge=-10.0, le=90.0, allow_inf_nan=False, description="elevation mask of the footprint radius"
    ),
    response: Response = INJECTED,
    state: ServiceState = Depends(service),
) -> Response:
    from overhead.geometry.positions import sub_satellite_points

    when = parse_time(time, state.default_time()[0])
    satellites = state.usable(state.satellites(parse_ids(ids), group), when, response=response)
    state.check_work(len(satellites), 1)
    table, failed = state.compute(sub_satellite_points, satellites, when, min_elevation_deg=min_elevation_deg)
    out = [
        Position(
            norad_id=int(p.norad_id),
            name=str(p.name),
            lat_deg=round(float(p.lat_deg), 5),
            lon_deg=round(float(p.lon_deg), 5),
            alt_km=round(float(p.alt_km), 3),
            sunlit=bool(p.sunlit),
            footprint_deg=round(float(p.footprint_deg), 3),
        )
        for p in table.itertuples()
    ]
    return rendered(Positions(time=iso(when), positions=out, errors=[int(i) for i in failed]), response)


@router.get("/tracks", response_model=list[Track], summary="Ground tracks (geodetic) over a span")
def tracks(
    ids: str | None = IdsQuery,
    group: str | None = GroupQuery,
    start: str | None = Query(None, max_length=40),
    stop: str | None = Query(None, max_length=40),
    step_s: float = Query(60.0, ge=1.0, le=3_600.0, allow_inf_nan=False),
    response: Response = INJECTED,
    state: ServiceState = Depends(service),
) -> Response:
    t0, t1 = parse_span(start, stop, state.default_time()[0], default_hours=1.5, max_days=7)
    satellites = state.usable(state.satellites(parse_ids(ids), group), t0, t1, response=response)
    n_times = sample_count(t0, t1, step_s)
    reduce = "the span, the satellites, or raise step_s"
    state.check_work(len(satellites), n_times, reduce=reduce)
    state.check_memory(len(satellites) * n_times, reduce=reduce)
    state.check_output(len(satellites) * n_times, TRACK_POINT_BYTES, what="track points", reduce=reduce)
    from overhead.geometry.positions import ground_tracks

    times = sample_times(t0, t1, step_s)
    lat, lon, alt = state.compute(ground_tracks, satellites, times)
    stamps = _stamps(times)
    norad_ids, names = np.asarray(satellites.norad_ids), np.asarray(satellites.names)
    return rendered(
        [
            {
                "norad_id": int(norad_ids[i]),
                "name": str(names[i]),
                "times": stamps,
                "lat_deg": finite(lat[i]),
                "lon_deg": finite(lon[i]),
                "alt_km": finite(alt[i]),
            }
            for i in range(len(norad_ids))
        ],
        response,
        estimated_bytes=len(satellites) * n_times * TRACK_POINT_BYTES,
    )


@router.get("/passes", response_model=list[PassOut], responses=CSV, summary="Passes of satellites over a place")
def passes(
    place: GroundSite = Depends(site),
    start: str | None = Query(None, max_length=40),
    stop: str | None = Query(None, max_length=40),
    min_elevation_deg: float | None = _spec_query(PassesRequest, "min_elevation_deg"),
    ids: str | None = IdsQuery,
    group: str | None = GroupQuery,
    object_type: Literal["PAY", "R/B", "DEB", "UNK"] | None = Query(None, description="SATCAT object type"),
    owner: str | None = Query(None, max_length=8, pattern=r"^[A-Za-z0-9/-]+$", description="SATCAT owner"),
    regime: Literal["LEO", "MEO", "GEO", "HEO"] | None = None,
    tag: str | None = Query(None, max_length=64, description="a user's tag (PUT /api/tags/{tag})"),
    visible: bool | None = _spec_query(PassesRequest, "visible"),
    max_sun_altitude_deg: float | None = _spec_query(PassesRequest, "max_sun_altitude_deg"),
    format: Literal["json", "csv"] = "json",
    limit: int | None = Query(
        None,
        ge=1,
        le=100_000,
        description="at most this many passes, by rise then NORAD id (default: all); the answer's X-Total-Count "
        "header says how many there are, its Link header (rel=next) and X-Next-Cursor where the next page starts",
    ),
    cursor: str | None = Query(
        None,
        max_length=80,
        pattern=CURSOR_PATTERN,
        description="the passes after this one (RISE~NORAD_ID, the X-Next-Cursor of the previous page); "
        "a bare ISO-8601 time: the passes rising at or after it",
    ),
    request: Request = INJECTED,
    response: Response = INJECTED,
    state: ServiceState = Depends(service),
):
    """Rise, culmination and set of every pass over the place, sorted by rise. Paged with ``limit`` and
    ``cursor``: the pages of one question are cut from one computation, kept for the next pages and for the same
    question again."""
    spec = _given(
        PassesRequest, min_elevation_deg=min_elevation_deg, visible=visible, max_sun_altitude_deg=max_sun_altitude_deg
    )
    t0, t1 = parse_span(start, stop, state.default_time()[0], max_days=14)
    chosen = state.satellites(parse_ids(ids), group, object_type=object_type, owner=owner, regime=regime, tag=tag)
    satellites = state.usable(chosen, t0, t1, response=response)
    span_s = (t1 - t0) / np.timedelta64(1, "s")
    reduce = "the span (stop), or name satellites (ids/group)"
    state.check_work(len(satellites), span_s / SEARCH_STEP_S, reduce=reduce)
    expected = len(satellites) * span_s / 86_400 * PASSES_PER_DAY
    state.check_output(  # a page is as large as its limit at most
        min(expected, limit or expected),
        PASS_ROW_BYTES,
        what="passes (estimated)",
        reduce=f"{reduce}, or page it (limit)",
    )
    question = (spec.model_dump_json(), place.lat_deg, place.lon_deg, place.alt_m, t0, t1, _fingerprint(satellites))
    key = ("passes", *question)
    table = state.view().results.get_or_compute(key, lambda: _pass_table(state, satellites, place, t0, t1, spec))
    page, next_cursor = _page(table, limit, cursor)
    headers = {"X-Total-Count": str(len(table))}
    if next_cursor is not None:
        headers["X-Next-Cursor"] = next_cursor
        headers["Link"] = f'<{request.url.include_query_params(cursor=next_cursor)}>; rel="next"'
    response.headers.update(headers)
    if format == "csv":
        times = tuple(c for c in page.columns if pd.api.types.is_datetime64_any_dtype(page[c].dtype))
        answer = csv_response(with_iso_times(page, times), "passes.csv")
        answer.headers.update(route_headers(response))
        return answer
    return table_json(page, response, estimated_bytes=len(page) * PASS_ROW_BYTES)


def _pass_table(state: ServiceState, satellites, place: GroundSite, t0, t1, spec: PassesRequest) -> pd.DataFrame:
    """Every pass of the question, sorted by rise then NORAD id (the order the pages are cut in)."""
    from overhead.analysis.passes import passes_over_site

    if spec.visible:
        from overhead.analysis.visibility import visible_passes

        table = state.compute(
            visible_passes,
            satellites,
            place,
            t0,
            t1,
            min_elevation_deg=spec.min_elevation_deg,
            max_sun_altitude_deg=spec.max_sun_altitude_deg,
            rcs_m2=state.rcs_m2(),
        )
    else:
        table = state.compute(passes_over_site, satellites, place, t0, t1, min_elevation_deg=spec.min_elevation_deg)
    if _in_page_order(table):  # the pass search's own order: no sort (a copy of the table) needed
        return table if table.index.equals(pd.RangeIndex(len(table))) else table.reset_index(drop=True)
    return table.sort_values(["rise", "norad_id"], kind="stable", ignore_index=True)


def _in_page_order(table: pd.DataFrame) -> bool:
    """Whether the rows are sorted by rise, then NORAD id."""
    rise, ids = table["rise"].to_numpy(dtype="datetime64[ns]"), table["norad_id"].to_numpy()
    later = rise[1:] > rise[:-1]
    return bool(np.all(later | ((rise[1:] == rise[:-1]) & (ids[1:] >= ids[:-1]))))


def _fingerprint(satellites) -> str:
    """Which element sets a question is about: their NORAD ids and epochs (a new set is a new question)."""
    import hashlib

    digest = hashlib.sha256(np.asarray(satellites.norad_ids, dtype=np.int64).tobytes())
    epochs = getattr(satellites, "epochs", None)
    if epochs is not None:
        digest.update(np.asarray(epochs, dtype="datetime64[ns]").tobytes())
    return digest.hexdigest()


def _page(table: pd.DataFrame, limit: int | None, cursor: str | None) -> tuple[pd.DataFrame, str | None]:
    """The passes after ``cursor`` (RISE~NORAD_ID, or a time: rising at or after it), at most ``limit`` of them,
    and the cursor of the next page (None on the last)."""
    rest = table
    if cursor is not None:
        rise = table.rise.to_numpy(dtype="datetime64[ns]")
        when_text, _, id_text = cursor.partition("~")
        when = parse_time(when_text, name="cursor")
        ids = table.norad_id.to_numpy()
        rest = table[(rise > when) | ((rise == when) & (ids > int(id_text))) if id_text else rise >= when]
    if limit is None or len(rest) <= limit:
        return rest, None
    page = rest.iloc[:limit]
    last = page.iloc[-1]
    return page, f"{format_iso(last.rise, digits=9)}~{int(last.norad_id)}"  # exact: no pass twice or never


@router.get("/above", response_model=list[AboveOut], summary="What is overhead: satellites above a place now")
async def above(
    place: GroundSite = Depends(site),
    time: str | None = Query(None, max_length=40),
    min_elevation_deg: float | None = _spec_query(SiteQuery, "min_elevation_deg"),
    response: Response = INJECTED,
    state: ServiceState = Depends(service),
) -> Response:
    from overhead.catalog.above import above_columns

    spec = _given(SiteQuery, min_elevation_deg=min_elevation_deg)
    when = parse_time(time, state.default_time()[0])
    satellites = state.usable(state.satellites(), when, response=response)
    call = partial(state.compute, above_columns, satellites, place, when, min_elevation_deg=spec.min_elevation_deg)
    if state.sampled_at(satellites, when):  # a read of the held ephemeris, about a millisecond: answered at once
        columns = call(light=True)
    else:  # SGP4 for the whole catalogue: on a worker thread, in a computing slot
        columns = await run_in_threadpool(call)
    return rows_response(columns, response, decimals=6)


@router.get("/lookangles", response_model=LookAngles, summary="Azimuth, elevation and range of one satellite")
def lookangles(
    norad_id: int = Query(ge=0, le=999_999_999),
    place: GroundSite = Depends(site),
    start: str | None = Query(None, max_length=40),
    stop: str | None = Query(None, max_length=40),
    step_s: float = Query(10.0, ge=0.1, le=3_600.0, allow_inf_nan=False),
    response: Response = INJECTED,
    state: ServiceState = Depends(service),
) -> Response:
    from overhead.analysis.passes import look_angle_series

    t0, t1 = parse_span(start, stop, state.default_time()[0], default_hours=0.25, max_days=7)
    satellites = state.usable(state.satellites([norad_id]), t0, t1, response=response)
    n_times = sample_count(t0, t1, step_s)
    state.check_work(1, n_times, reduce="the span or raise step_s")
    state.check_memory(n_times, reduce="the span or raise step_s")
    state.check_output(n_times, LOOK_ANGLE_BYTES, what="samples", reduce="the span or raise step_s")
    times = sample_times(t0, t1, step_s)
    ds = state.compute(look_angle_series, satellites, place, times)
    return rendered(
        {
            "norad_id": norad_id,
            "times": _stamps(times),
            "azimuth_deg": finite(ds.azimuth_deg.values[0]),
            "elevation_deg": finite(ds.elevation_deg.values[0]),
            "range_km": finite(ds.range_km.values[0]),
        },
        response,
        estimated_bytes=n_times * LOOK_ANGLE_BYTES,
    )


@router.post(
    "/access",
    response_model=list[WindowOut],
    responses=CSV,
    summary="Access windows of satellites over targets under constraints",
)
def access(
    body: AccessRequest,
    format: Literal["json", "csv"] = "json",
    response: Response = INJECTED,
    state: ServiceState = Depends(service),
):
    from overhead.analysis.access import access_windows

    t0, t1 = parse_span(body.start, body.stop, state.default_time()[0], max_days=31)
    satellites = state.usable(state.satellites(body.ids, body.group, body.design), t0, t1, response=response)
    span_s = (t1 - t0) / np.timedelta64(1, "s")
    state.check_work(len(satellites), span_s / SEARCH_STEP_S, len(body.targets))
    state.check_output(
        len(satellites) * len(body.targets) * span_s / 86_400 * PASSES_PER_DAY,
        WINDOW_ROW_BYTES,
        what="windows (estimated)",
        reduce="the span, the satellites or the targets",
    )
    table = state.compute(
        access_windows, satellites, target_set(body.targets), t0, t1, AccessConstraints.from_spec(body.constraints)
    )
    table = table[list(WindowOut.model_fields)]
    if format == "csv":
        return csv_response(with_iso_times(table, ("start", "end", "culmination")), "access.csv")
    return table_json(table, response, estimated_bytes=len(table) * WINDOW_ROW_BYTES)
