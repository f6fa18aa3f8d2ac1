"""Conjunction endpoints: the collision probability of a CDM posted as the body."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from overhead.analysis.conjunctions import assess, read_cdm_text
from overhead.api.deps import service
from overhead.api.service import ServiceState, optional_time
from overhead.errors import MessageError
from overhead.tables import json_records

router = APIRouter(prefix="/api/conjunctions", tags=["conjunctions"])


@router.get("", summary="Conjunctions kept in the store (from screening jobs), by TCA")
def stored(
    norad_id: int | None = Query(None, ge=0, le=999_999_999),
    since: str | None = Query(None, max_length=40),
    min_pc: float | None = Query(None, ge=0.0, le=1.0, allow_inf_nan=False),
    limit: int = Query(1000, ge=1, le=10_000),
    state: ServiceState = Depends(service),
) -> list[dict]:
    """Rows with ``tca`` ISO-8601 Z; ``min_pc`` filters on the assumed-covariance Pc."""
    table = state.store.conjunctions(  # its times datetime64 already (the one convention): json_records writes them
        norad_id=norad_id, since=optional_time(since, name="since"), min_pc=min_pc, limit=limit
    )
    return json_records(table)


MAX_CDM_BYTES = 1_000_000  # a CDM is a few kB; the service's body limit applies before this
MAX_MC_SAMPLES = 2_000_000


@router.post("/pc", summary="Collision probability of one CCSDS CDM (KVN or XML body)")
async def pc(
    request: Request,
    method: Literal["2d", "3d", "mc", "all"] = "2d",
    hbr_m: float | None = Query(
        None,
        gt=0,
        le=1000,
        allow_inf_nan=False,
        description="hard-body radius in metres of a CDM that gives none (the CDM's own is used where it has one)",
    ),
    mc_samples: int = Query(1_000_000, ge=1000, le=MAX_MC_SAMPLES),
) -> dict:
    """The CDM's Pc by the chosen methods, the validity of each method and the one to use."""
    body = await request.body()
    if len(body) > MAX_CDM_BYTES:
        raise MessageError(f"a CDM of {len(body):,} bytes is too large (at most {MAX_CDM_BYTES:,})", source="body")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MessageError(f"not UTF-8 text (byte {exc.start})", source="body") from exc
    message = read_cdm_text(text, source="body")
    from starlette.concurrency import run_in_threadpool

    result = await run_in_threadpool(assess, message, methods=method, hbr_m=hbr_m, mc_samples=mc_samples)
    return result.to_dict()


alerts_router = APIRouter(prefix="/api", tags=["alerts"])


ATOM_MEDIA = "application/atom+xml"


@alerts_router.get(
    "/alerts.atom",
    summary="The alerts as an Atom feed (RFC 4287), newest first",
    response_class=Response,
    responses={200: {"content": {ATOM_MEDIA: {"schema": {"type": "string"}}}, "description": "an Atom 1.0 feed"}},
)
def alerts_atom(
    request: Request, limit: int = Query(200, ge=1, le=2_000), state: ServiceState = Depends(service)
) -> Response:
    from overhead.catalog.watch import alerts_table

    table = alerts_table(state.store).head(limit)
    base = str(request.base_url).rstrip("/")
    updated = _atom_time(table.raised_at.max()) if len(table) else "1970-01-01T00:00:00Z"
    entries = "".join(_atom_entry(row, base) for row in table.itertuples())
    body = (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<id>urn:overhead:alerts</id><title>overhead alerts</title><updated>{updated}</updated>"
        f"<author><name>overhead</name></author>"
        f'<link rel="self" type="{ATOM_MEDIA}" href="{_xml_text(base + "/api/alerts.atom")}"/>'
        f'<link rel="alternate" type="application/json" href="{_xml_text(base + "/api/alerts")}"/>'
        + entries
        + "</feed>\n"
    )
    return Response(body, media_type=ATOM_MEDIA)


def _atom_time(value) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _atom_entry(row, base: str) -> str:
    """One alert as an Atom entry: an id that is an IRI (a URN of the alert's idempotency key, not its key, whose
    ``|`` is no IRI character), a text title and content, and a link to the object (or the alerts' list)."""
    import json

    from overhead.catalog.watch import idempotency_key

    ids = json.loads(row.norad_ids or "[]")
    link = f"{base}/api/objects/{int(ids[0])}" if len(ids) == 1 else f"{base}/api/alerts"
    title = f"{row.rule}: {row.kind} — {row.name}"
    return (
        f"<entry><id>urn:overhead:alert:{idempotency_key(row.key)}</id>"
        f'<title type="text">{_xml_text(title)}</title><updated>{_atom_time(row.raised_at)}</updated>'
        f'<link rel="alternate" type="application/json" href="{_xml_text(link)}"/>'
        f'<content type="text">{_xml_text(row.detail)}</content>'
        f'<category term="{_xml_text(row.kind)}"/></entry>'
    )


def _xml_text(value) -> str:
    """Outside text as XML character data: escaped (never markup), characters XML 1.0 cannot carry (control
    characters from an older store) replaced, so one bad name never makes the feed unreadable."""
    import re
    from xml.sax.saxutils import escape

    cleaned = re.sub("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]", "\ufffd", str(value))
    return escape(cleaned, {'"': "&quot;"})


STREAM_POLL_S = 2.0
STREAM_HEARTBEAT_S = 15.0


@alerts_router.get(
    "/alerts/stream",
    summary="New alerts as they are raised (server-sent events)",
    response_class=Response,
    responses={
        200: {
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
            "description": "event: alert lines, data the alert's JSON",
        }
    },
)
async def alerts_stream(
    request: Request,
    after_id: int | None = Query(
        None,
        ge=0,
        le=2**62,
        description=(
            "send the alerts stored after this id (default: only those raised from now on; "
            "a reconnecting client's Last-Event-ID header does the same)"
        ),
    ),
    max_s: float = Query(
        3600.0,
        gt=0.0,
        le=86_400.0,
        allow_inf_nan=False,
        description="end the stream after this many seconds, or the "
        "service's own limit if shorter (clients reconnect "
        "with Last-Event-ID)",
    ),
    state: ServiceState = Depends(service),
):
    """``event: alert`` with the webhook's JSON as data and the alert's id as the event id; a comment every 15 s
    keeps proxies from closing an idle stream."""
    import asyncio
    import json
    import time

    from fastapi.responses import StreamingResponse
    from starlette.concurrency import run_in_threadpool

    from overhead.catalog.watch import alerts_after

    resume = request.headers.get("last-event-id", "")
    # a header is outside text: an id beyond any store's integers (20 digits once cut the stream) counts as absent
    last = int(resume) if resume.isdigit() and len(resume) <= 18 else after_id

    async def events():
        nonlocal last
        deadline = time.monotonic() + min(max_s, state.settings.max_stream_s)
        beat = time.monotonic()
        yield "retry: 5000\n\n"
        while time.monotonic() < deadline and not await request.is_disconnected():
            found = await run_in_threadpool(alerts_after, state.store, last)
            if last is None:
                last = found[0][0]
            else:
                for alert_id, payload in found:
                    last = alert_id
                    yield f"id: {alert_id}\nevent: alert\ndata: {json.dumps(payload)}\n\n"
            if time.monotonic() - beat > STREAM_HEARTBEAT_S:
                beat = time.monotonic()
                yield ": still here\n\n"
            await asyncio.sleep(min(STREAM_POLL_S, max(deadline - time.monotonic(), 0.0)))

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )


@alerts_router.get("/alerts", summary="Alerts raised by the watch rules, newest first (read-only)")
def alerts(
    since: str | None = Query(None, max_length=40),
    limit: int = Query(500, ge=1, le=10_000),
    state: ServiceState = Depends(service),
) -> list[dict]:
    import json

    from overhead.catalog.watch import alerts_table

    table = alerts_table(state.store, since=optional_time(since, name="since")).head(limit)
    out = []
    for row in table.itertuples():
        ids = json.loads(row.norad_ids)
        item = {
            "id": int(row.id),
            "rule": row.rule,
            "kind": row.kind,
            "name": row.name,
            "detail": row.detail,
            "key": row.key,
            "time": row.time.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "raised": row.raised_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        item |= {"norad_id": ids[0]} if len(ids) == 1 else {"norad_ids": ids}
        out.append(item)
    return out
