"""Conjunction endpoints: the collision probability of a CDM posted as the body."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, Request

from overhead.analysis.conjunctions import assess, read_cdm_text
from overhead.errors import MessageError

router = APIRouter(prefix="/api/conjunctions", tags=["conjunctions"])

MAX_CDM_BYTES = 1_000_000  # a CDM is a few kB; the service's body limit applies before this
MAX_MC_SAMPLES = 2_000_000


@router.post("/pc", summary="Collision probability of one CCSDS CDM (KVN or XML body)")
async def pc(request: Request, method: Literal["2d", "3d", "mc", "all"] = "2d",
             hbr_m: float | None = Query(None, gt=0, le=1000, allow_inf_nan=False,
                                         description="hard-body radius in metres (default: the CDM's)"),
             mc_samples: int = Query(1_000_000, ge=1000, le=MAX_MC_SAMPLES)) -> dict:
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
