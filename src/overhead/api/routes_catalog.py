"""Catalogue endpoints: status, object search, one object with its history, the changes feed, ingestion."""

from __future__ import annotations

import threading
from typing import Literal

import numpy as np
import pandas as pd
from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi import Path as FastAPIPath

from overhead import __version__
from overhead.api.deps import require_token, service
from overhead.api.schemas import (
    Baseline,
    ChangeOut,
    ChangesOut,
    IngestOut,
    Launch,
    ManoeuvreOut,
    ObjectDetail,
    ObjectPage,
    ObjectSummary,
    PlaceOut,
    ReentriesOut,
    ReentryOut,
    ReentryRow,
    Sky,
    Status,
    TagChange,
    TagsOut,
)
from overhead.api.service import IDS_PATTERN, CatalogView, ServiceState, iso, optional_time, text_column
from overhead.catalog.manoeuvres import detect_manoeuvres
from overhead.catalog.reentry import predict_reentries, store_reentries
from overhead.catalog.specs import ManoeuvreQuery, ReentryQuery
from overhead.catalog.store import TAG_PATTERN
from overhead.errors import CancelledError, OverheadError
from overhead.orbits.sampled import SampledCatalog
from overhead.requests import spec_default, spec_help

router = APIRouter(prefix="/api", tags=["catalogue"])


def _time_or_none(value) -> str | None:
    return None if value is None or pd.isna(value) else iso(value)


def _number_or_none(value) -> float | None:
    return None if value is None or pd.isna(value) else round(float(value), 4)


def _summary(row) -> ObjectSummary:
    return ObjectSummary(
        norad_id=int(row.norad_id),
        name=str(row.name),
        object_id=str(row.object_id),
        group=str(row.group_name),
        status=str(row.status),
        regime=str(row.regime),
        epoch=_time_or_none(row.epoch),
        period_min=_number_or_none(row.period_min),
        inclination_deg=_number_or_none(row.inclination_deg),
        perigee_km=_number_or_none(row.perigee_km),
        apogee_km=_number_or_none(row.apogee_km),
    )


@router.get("/status", response_model=Status, summary="What the service holds")
async def status(request: Request, state: ServiceState = Depends(service)) -> Status:
    # on the event loop, not the thread pool: it answers at once however many computations wait for a slot (the
    # catalogue view is cached; it is rebuilt only after an ingest)
    view = state.view()
    when, stale = state.default_time()
    median = iso(view.median_epoch) if view.median_epoch is not None else None
    settings = state.settings
    return Status(
        version=__version__,
        objects=len(view.objects),
        active=len(view.catalog),
        groups=view.groups,
        median_epoch=median,
        default_time=iso(when),
        elements_stale=stale,
        limits={
            "max_work": settings.max_work,
            "max_job_work": settings.max_job_work,
            "max_upload_bytes": settings.max_upload_bytes,
            "max_request_s": settings.max_request_s,
            "max_response_bytes": settings.max_response_bytes,
            "max_memory_bytes": settings.max_memory_bytes,
            "max_element_age_days": settings.max_element_age_days,
        },
        requests_cancelled=request.app.state.counters["requests_cancelled"],
        requests_abandoned=request.app.state.counters["requests_abandoned"],
        ephemeris=view.catalog.ephemeris.summary()
        if isinstance(view.catalog, SampledCatalog) and view.catalog.ephemeris is not None
        else {},
    )


@router.get("/objects", response_model=ObjectPage, summary="Search and filter catalogued objects")
def objects(
    q: str | None = Query(
        None, max_length=64, description="name (substring), NORAD id or international designator (prefix)"
    ),
    group: str | None = Query(None, max_length=64),
    regime: Literal["LEO", "MEO", "GEO", "HEO", "unknown"] | None = None,
    status: Literal["active", "gone", "decayed"] | None = None,
    limit: int = Query(100, ge=1, le=20_000),
    offset: int = Query(0, ge=0, le=10_000_000),
    state: ServiceState = Depends(service),
) -> ObjectPage:
    table = state.view().objects
    keep = np.ones(len(table), bool)
    if q:
        text = q.strip().upper()
        by_name = table.name.str.upper().str.contains(text, regex=False)
        by_designator = table.object_id.str.upper().str.startswith(text)
        by_id = table.norad_id.astype(str) == text
        keep &= (by_name | by_designator | by_id).to_numpy()
    if group:
        keep &= state.view().in_group(group)
    if regime:
        keep &= (table.regime == regime).to_numpy()
    if status:
        keep &= (table.status == status).to_numpy()
    found = table[keep]
    page = found.iloc[offset : offset + limit]
    return ObjectPage(total=len(found), objects=[_summary(row) for row in page.itertuples()])


@router.get("/places", response_model=list[PlaceOut], summary="A place from its coordinates or a city name")
def places(
    q: str = Query(
        min_length=1,
        max_length=100,
        description="coordinates in any usual notation "
        "(-33.9, 18.4; 33.9S 18.4E; 33°54'S 18°24'E) "
        "or a city name (GeoNames, population ≥ 15,000)",
    ),
    limit: int = Query(10, ge=1, le=50),
) -> list[PlaceOut]:
    from overhead.geometry.places import resolve_place

    return [
        PlaceOut(
            name=p.name,
            lat_deg=p.lat_deg,
            lon_deg=p.lon_deg,
            country=p.country,
            population=p.population,
            timezone=p.timezone,
        )
        for p in resolve_place(q, limit)
    ]


@router.get(
    "/sky",
    response_model=Sky,
    summary="Every active object's newest elements (TLE) and categories",
    responses={304: {"description": "not modified: If-None-Match holds the catalogue's current ETag"}},
)
def sky(request: Request, state: ServiceState = Depends(service)) -> Response:
    """Built once per catalogue version (:func:`sky_body`); the dashboard propagates these in the browser
    (satellite.js). Its ETag (weak: the body may be sent compressed) is the body's digest, so a reload revalidates
    it (``no-cache``) and gets 304 and no body while the catalogue is unchanged."""
    body, etag = sky_body(state.view())
    headers = {"Cache-Control": "no-cache", "ETag": etag}
    asked = {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}
    if etag in asked or "*" in asked:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


_SKY_MADE = threading.Lock()  # one thread makes a view's body; a page asking meanwhile waits for it


def sky_body(view: CatalogView) -> tuple[bytes, str]:
    """The /api/sky body of a catalogue view and its ETag, made once per view (the service makes the first in the
    background at start: 0.4 s for 16k objects, mostly writing their TLEs, which a first page load waited for)."""
    if "sky" not in view.cache:
        with _SKY_MADE:
            if "sky" not in view.cache:
                _make_sky_body(view)
    return view.cache["sky"], view.cache["sky_etag"]


def _make_sky_body(view: CatalogView) -> None:
    import hashlib

    from overhead.api.routes_compute import rendered
    from overhead.orbits.tle import format_tle

    catalog = view.catalog
    ids = [r.norad_id for r in catalog.records]
    lines = [format_tle(r) for r in catalog.records]
    about = view.objects.set_index("norad_id").reindex(ids)
    payload = Sky(
        count=len(ids),
        norad_id=ids,
        name=[r.name for r in catalog.records],
        line1=[a for a, _ in lines],
        line2=[b for _, b in lines],
        groups=_texts(about, "groups"),
        tags=_texts(about, "tags"),
        object_type=_texts(about, "object_type"),
        owner=_texts(about, "owner"),
        regime=_texts(about, "regime"),
    )
    body = rendered(payload).body
    view.cache["sky_etag"] = f'W/"{hashlib.sha256(body).hexdigest()[:32]}"'
    view.cache["sky"] = body  # last: a reader seeing "sky" finds its ETag


def _texts(table: pd.DataFrame, column: str) -> list[str]:
    return text_column(table, column).tolist()


@router.get("/tags", response_model=TagsOut, summary="User tags and the objects they are on")
def tags(state: ServiceState = Depends(service)) -> TagsOut:
    table = state.store.tags()
    return TagsOut(tags={str(t): [int(n) for n in rows.norad_id] for t, rows in table.groupby("tag")})


TagPath = FastAPIPath(pattern=TAG_PATTERN, description="letters, digits, '.', '_', '-' (at most 64)")


@router.put("/tags/{tag}", dependencies=[Depends(require_token)], summary="Put a tag on objects (token)")
def tag_objects(body: TagChange, tag: str = TagPath, state: ServiceState = Depends(service)) -> dict:
    added = state.store.tag(tag, body.norad_ids)
    state.refresh()
    return {"tag": tag, "added": added}


@router.delete("/tags/{tag}", dependencies=[Depends(require_token)], summary="Take a tag off objects (token)")
def untag_objects(
    tag: str = TagPath,
    ids: str | None = Query(None, max_length=100_000, pattern=IDS_PATTERN, description="NORAD ids (default: all)"),
    state: ServiceState = Depends(service),
) -> dict:
    from overhead.api.routes_compute import parse_ids

    removed = state.store.untag(tag, parse_ids(ids) if ids else None)
    state.refresh()
    return {"tag": tag, "removed": removed}


def _min_confidence(also: str = ""):
    """The ``min_confidence`` query parameter: the request model's name, default, bounds and help."""
    return Query(
        spec_default(ManoeuvreQuery, "min_confidence"),
        ge=0.0,
        le=1.0,
        allow_inf_nan=False,
        description=spec_help(ManoeuvreQuery, "min_confidence") + also,
    )


DETAIL_REENTRY_HORIZON_DAYS = 365.0  # an object's detail predicts a re-entry within a year of its elements


@router.get("/objects/{norad_id}", response_model=ObjectDetail, summary="One object, its latest elements and history")
def object_detail(
    norad_id: int,
    min_confidence: float = _min_confidence(" (the manoeuvres listed)"),
    state: ServiceState = Depends(service),
) -> ObjectDetail:
    table = state.view().objects
    rows = table[table.norad_id == norad_id]
    if rows.empty:
        raise HTTPException(404, f"no object with NORAD id {norad_id} in the catalogue")
    row = next(rows.itertuples())
    history = state.store.history(norad_id)
    latest = history.iloc[-1]
    sets = [
        {
            "epoch": iso(h.epoch),
            "mean_motion_rev_per_day": float(h.mean_motion_rev_per_day),
            "eccentricity": float(h.eccentricity),
            "inclination_deg": float(h.inclination_deg),
            "raan_deg": float(h.raan_deg),
            "bstar": float(h.bstar),
            "line1": h.line1,
            "line2": h.line2,
        }
        for h in history.itertuples()
    ]
    found = detect_manoeuvres(history.assign(norad_id=norad_id), min_confidence=min_confidence)
    manoeuvres = [
        ManoeuvreOut(
            time=iso(m.time),
            time_uncertainty_h=float(m.time_uncertainty_h),
            delta_a_km=float(m.delta_a_km),
            delta_i_deg=float(m.delta_i_deg),
            delta_v_m_s=float(m.delta_v_m_s),
            kind=str(m.kind),
            confidence=float(m.confidence),
            tier=str(m.tier),
        )
        for m in found.itertuples()
    ]
    predicted = predict_reentries(history.assign(norad_id=norad_id), horizon_days=DETAIL_REENTRY_HORIZON_DAYS)
    reentry = _reentry(next(predicted.itertuples())) if len(predicted) else None
    return ObjectDetail(
        **_summary(row).model_dump(),
        first_seen=iso(row.first_seen),
        last_seen=iso(row.last_seen),
        tle=[str(row.name), latest.line1, latest.line2],
        history=sets,
        manoeuvres=manoeuvres,
        tags=[t for t in str(getattr(row, "tags", "") or "").split(",") if t],
        object_type=str(text_column(rows, "object_type").iloc[0]),
        owner=str(text_column(rows, "owner").iloc[0]),
        reentry=reentry,
    )


def _reentry(row) -> ReentryOut:
    return ReentryOut(
        reentry=iso(row.reentry),
        window_start=iso(row.window_start),
        window_end=iso(row.window_end),
        epoch=iso(row.epoch),
        perigee_km=float(row.perigee_km),
        decay_km_day=float(row.decay_km_day),
        ballistic_m2_kg=float(row.ballistic_m2_kg),
        rate_from=row.rate_from,
    )


@router.get("/reentries", response_model=ReentriesOut, summary="Objects predicted to re-enter soon")
def reentries(
    within_days: float = Query(
        spec_default(ReentryQuery, "within_days"),
        gt=0.0,
        le=3650.0,
        allow_inf_nan=False,
        description=spec_help(ReentryQuery, "within_days"),
    ),
    time: str | None = Query(None, max_length=40, description="counted from this time, UTC ISO 8601 (default: now)"),
    state: ServiceState = Depends(service),
) -> ReentriesOut:
    at = optional_time(time, name="time")
    at = np.datetime64("now", "s") if at is None else at
    table = store_reentries(state.store, within_days=within_days, at=at)
    rows = [
        ReentryRow(**_reentry(r).model_dump(), norad_id=int(r.norad_id), name=str(r.name)) for r in table.itertuples()
    ]
    return ReentriesOut(at=iso(at), total=len(rows), reentries=rows)


def _change(row) -> ChangeOut:
    confidence = None if pd.isna(row.confidence) else float(row.confidence)
    return ChangeOut(
        norad_id=int(row.norad_id),
        name=str(row.name),
        object_id=str(row.object_id),
        change=str(row.change),
        time=_time_or_none(row.time),
        detail=str(row.detail or ""),
        confidence=confidence,
    )


@router.get("/changes", response_model=ChangesOut, summary="The changes feed: new, gone, decayed, manoeuvre")
def changes(
    since: str | None = Query(
        None, max_length=40, description="changes that happened after this time (default: those the last ingest found)"
    ),
    ingested_since: str | None = Query(
        None, max_length=40, description="instead, changes found by ingests after this time"
    ),
    change: Literal["new", "gone", "decayed", "manoeuvre"] | None = None,
    min_confidence: float = _min_confidence("; applies to manoeuvres, the other changes are certain"),
    baseline: bool = Query(
        False, description="list the objects of a group's first snapshot too (default: one line per snapshot)"
    ),
    limit: int = Query(5_000, ge=1, le=100_000),
    state: ServiceState = Depends(service),
) -> ChangesOut:
    when = optional_time(since, name="since")
    ingested = optional_time(ingested_since, name="ingested_since")
    table = state.store.changes(since=when, ingested_since=ingested)
    baselines = _baselines(state, table[table.baseline])
    if not baseline:
        table = table[~table.baseline]
    if change:
        table = table[table.change == change]
    table = table[(table.change != "manoeuvre") | (table.confidence.fillna(0.0) >= min_confidence)]
    total = len(table)
    table = table.head(limit)  # the store answers newest first
    rows = [_change(r) for r in table.itertuples()]
    new = [r for r in rows if r.change == "new"]
    launches: dict[str, list[ChangeOut]] = {}
    for r in new:
        launches.setdefault(r.object_id[:8] if r.object_id else "unknown", []).append(r)
    newest_first = sorted(launches.items(), reverse=True)
    return ChangesOut(
        total=total, changes=rows, launches=[Launch(launch=k, objects=v) for k, v in newest_first], baselines=baselines
    )


def _baselines(state: ServiceState, rows: pd.DataFrame) -> list[Baseline]:
    """One line per first snapshot among ``rows`` (the baseline changes), newest first."""
    if rows.empty:
        return []
    ingests = state.store.ingests().set_index("id")
    out = []
    for ingest_id, count in rows.groupby("ingest_id").size().sort_index(ascending=False).items():
        ingest = ingests.loc[int(ingest_id)]
        out.append(
            Baseline(
                ingest_id=int(ingest_id),
                group=str(ingest.group_name or ""),
                objects=int(count),
                ingested_at=iso(ingest.started_at),
            )
        )
    return out


@router.post(
    "/catalog/ingest",
    response_model=IngestOut,
    status_code=201,
    dependencies=[Depends(require_token)],
    summary="Ingest TLE/OMM text (the request body) into the store",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/plain": {"schema": {"type": "string"}},
                "application/json": {"schema": {"type": "string"}},
            },
        }
    },
)
async def ingest(
    request: Request,
    group: str = Query("upload", min_length=1, max_length=64),
    allow_shrink: bool = Query(
        False, description="accept an upload reporting fewer objects than half of the group's (refused by default)"
    ),
    state: ServiceState = Depends(service),
) -> IngestOut:
    limit = state.settings.max_upload_bytes
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise HTTPException(413, f"the upload is larger than {limit:,} bytes: split it into smaller files")
    if not bytes(body).strip():
        raise HTTPException(422, "the request body is empty: send the TLE or OMM file's text")
    from starlette.concurrency import run_in_threadpool

    def ingest_and_refresh():  # in a worker thread: the event loop answers other requests meanwhile
        report = state.store.ingest_text(
            bytes(body), source=f"upload ({group})", group=group, allow_shrink=allow_shrink
        )
        state.refresh()
        return report

    try:
        report = await run_in_threadpool(ingest_and_refresh)
    except CancelledError:
        raise
    except OverheadError as exc:
        raise HTTPException(422, str(exc)) from None
    return IngestOut(
        ingest_id=report.ingest_id,
        records=report.records,
        new_sets=report.new_sets,
        unchanged_sets=report.unchanged_sets,
        new_objects=report.new_objects,
        updated_objects=report.updated_objects,
        rejected=[str(r)[:300] for r in report.rejected[:1000]],
        changes=len(report.changes),
        complete=report.complete,
        note=report.note,
        sha256=report.sha256,
        bytes=report.bytes,
    )


@router.post(
    "/catalog/undo/{ingest_id}",
    dependencies=[Depends(require_token)],
    summary="Undo one ingest: its element sets, new objects and changes removed, replaced rows restored",
)
def undo_ingest(
    ingest_id: int = FastAPIPath(ge=1, le=2**31 - 1), state: ServiceState = Depends(service)
) -> dict[str, int]:
    done = state.store.undo(ingest_id)  # NotFoundError: 404, ConflictError: 409 (by their codes, in app.py)
    state.refresh()
    return done
