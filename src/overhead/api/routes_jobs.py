"""Long computations as jobs: coverage runs and observation plans."""

from __future__ import annotations

from typing import Literal

import numpy as np
from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import JSONResponse

from overhead.api.deps import job_owner, service
from overhead.api.jobs import Job, QueueFullError
from overhead.api.routes_compute import CSV, SEARCH_STEP_S, csv_response
from overhead.api.schemas import CoverageRequest, Grid, JobOut, PlanRequest, ScreeningRequest
from overhead.api.service import ServiceState, parse_span
from overhead.errors import OverheadError, WorkTooLargeError
from overhead.geometry.grids import AnalysisGrid
from overhead.geometry.sensors import AccessConstraints
from overhead.geometry.specs import target_set
from overhead.tables import json_records

router = APIRouter(prefix="/api/jobs", tags=["jobs"])


def _grid(spec: Grid):
    try:
        return AnalysisGrid.from_spec(spec)
    except WorkTooLargeError as exc:
        raise HTTPException(413, str(exc)) from None
    except OverheadError as exc:
        raise HTTPException(422, str(exc)) from None


def _progress_of(job: Job):
    def report(done: int, total: int) -> None:
        job.progress = done / max(total, 1)
        job.message = f"{done} of {total} tasks"
        if job.cancel.is_set():
            raise OverheadError("cancelled")

    return report


def _submit(state: ServiceState, kind: str, body, work, owner: str) -> dict:
    try:
        return state.jobs.submit(kind, body.model_dump(), work, owner=owner).summary()
    except QueueFullError as exc:
        raise HTTPException(429, str(exc), headers={"Retry-After": str(exc.retry_after_s)}) from None


@router.post("/coverage", response_model=JobOut, status_code=202, summary="Start a coverage and revisit run")
def start_coverage(
    body: CoverageRequest, state: ServiceState = Depends(service), owner: str = Depends(job_owner)
) -> dict:
    from overhead.analysis.coverage import coverage

    satellites = state.satellites(body.ids, body.group, body.design)
    t0, t1 = parse_span(body.start, body.stop, state.default_time()[0], max_days=31)
    if len(satellites) > 20_000:
        raise HTTPException(413, "more than 20,000 satellites: name ids or a group")
    grid = _grid(body.grid)
    span_s = (t1 - t0) / np.timedelta64(1, "s")
    state.check_work(
        len(satellites),
        span_s / SEARCH_STEP_S,
        len(grid),
        job=True,
        reduce="the span, the satellites, or the grid (a coarser resolution or a smaller region)",
    )
    constraints = AccessConstraints.from_spec(body.constraints)

    def work(job: Job):
        from overhead.analysis.coverage import suggested_scheduler

        small = suggested_scheduler(len(satellites), span_s, len(grid)) == "none"
        # a small job answers before a cluster could start: it runs here
        scheduler = "none" if small and state.settings.scheduler == "local" else state.cluster_scheduler()
        job.message = f"{len(satellites)} satellites over {len(grid):,} points"
        result = coverage(satellites, grid, t0, t1, constraints, scheduler=scheduler, progress=_progress_of(job))
        return {"result": result, "grid": grid}

    return _submit(state, "coverage", body, work, owner)


@router.post("/plan", response_model=JobOut, status_code=202, summary="Start an observation plan")
def start_plan(body: PlanRequest, state: ServiceState = Depends(service), owner: str = Depends(job_owner)) -> dict:
    satellites = state.satellites(body.ids, body.group, body.design)
    t0, t1 = parse_span(body.start, body.stop, state.default_time()[0], max_days=7)
    span_s = (t1 - t0) / np.timedelta64(1, "s")
    state.check_work(len(satellites), span_s / SEARCH_STEP_S, len(body.requests) + len(body.stations), job=True)

    def work(job: Job):
        return _plan(satellites, body, t0, t1, job)

    return _submit(state, "plan", body, work, owner)


def _plan(satellites, body: PlanRequest, t0, t1, job: Job):
    from overhead.planning.agile import Agility, make_plan

    agility = Agility.from_spec(body.agility)

    def stage(name: str, fraction: float) -> None:
        job.message, job.progress = name, fraction

    return make_plan(
        satellites,
        target_set(body.requests),
        np.array([r.priority for r in body.requests]),
        t0,
        t1,
        agility,
        stations=target_set(body.stations) if body.stations else None,
        solver=body.solver,
        time_limit_s=body.time_limit_s,
        repeat_every_h=np.array([r.repeat_every_h or np.nan for r in body.requests]),
        stereo=np.array([r.stereo for r in body.requests]),
        on_stage=stage,
        cancel=job.cancel,
    )


@router.post(
    "/conjunctions",
    response_model=JobOut,
    status_code=202,
    summary="Start a screening for close approaches (kept in the store)",
)
def start_screening(
    body: ScreeningRequest, state: ServiceState = Depends(service), owner: str = Depends(job_owner)
) -> dict:
    from overhead.analysis.conjunctions.screening import screen

    satellites = state.satellites(body.ids, body.group, body.design)
    primaries = body.primaries
    if body.primaries_group:
        if primaries:
            raise HTTPException(422, "give primaries or primaries_group, not both")
        primaries = sorted(state.store.select_ids(group=body.primaries_group))
        if not primaries:
            raise HTTPException(422, f"no object in group {body.primaries_group!r}: see /api/status for the groups")
    t0, t1 = parse_span(body.start, body.stop, state.default_time()[0], max_days=14)
    span_s = (t1 - t0) / np.timedelta64(1, "s")
    # the work: SGP4 at 60 s for every object, and a spatial hash every 20 s
    state.check_work(len(satellites), span_s / 20.0, 1, job=True, reduce="the span or the satellites")

    def work(job: Job):
        job.message = f"screening {len(satellites):,} objects"

        def progress(fraction: float) -> None:
            job.progress = fraction
            if job.cancel.is_set():
                raise OverheadError("cancelled")

        result = screen(
            satellites, t0, t1, threshold_km=body.threshold_km, primaries=primaries, hbr_m=body.hbr_m, progress=progress
        )
        if body.design is None:
            epochs = dict(zip((int(n) for n in satellites.norad_ids), satellites.epochs, strict=True))
            state.store.save_conjunctions(result.conjunctions, t0, t1, norad_ids=primaries, epochs=epochs)
        job.message = f"{len(result.conjunctions):,} conjunctions under {body.threshold_km:g} km"
        return result

    return _submit(state, "conjunctions", body, work, owner)


@router.get("", response_model=list[JobOut], summary="Your jobs (those created with your token or key)")
def list_jobs(state: ServiceState = Depends(service), owner: str = Depends(job_owner)) -> list[dict]:
    return [job.summary() for job in state.jobs.list(owner)]


def _job(state: ServiceState, job_id: str, owner: str) -> Job:
    job = state.jobs.get(job_id, owner)
    if job is None:
        raise HTTPException(
            404,
            f"no job {job_id[:40]!r} of yours (finished jobs are kept "
            f"{state.settings.job_keep_s:.0f} s, and not across restarts)",
        )
    return job


@router.get("/{job_id}", response_model=JobOut, summary="A job's state and progress")
def get_job(job_id: str, state: ServiceState = Depends(service), owner: str = Depends(job_owner)) -> dict:
    return _job(state, job_id, owner).summary()


@router.get(
    "/{job_id}/result",
    responses={**CSV, 200: {"content": {"application/json": {}, "text/csv": {}, "application/geo+json": {}}}},
    summary="A finished job's result: JSON, GeoJSON (coverage cells) or CSV",
)
def job_result(
    job_id: str,
    format: Literal["json", "geojson", "csv"] = "json",
    state: ServiceState = Depends(service),
    owner: str = Depends(job_owner),
):
    job = _job(state, job_id, owner)
    if job.state != "done":
        raise HTTPException(
            409,
            f"job {job_id} is {job.state}{': ' + job.message if job.message else ''}; "
            f"poll GET /api/jobs/{job_id} until its state is done",
        )
    if job.kind == "coverage":
        return _coverage_result(job.result["result"], job.result["grid"], format)
    if job.kind == "conjunctions":
        from overhead.analysis.conjunctions.screening import SCREEN_COLUMNS

        table = job.result.conjunctions
        if format == "csv":
            return csv_response(table[SCREEN_COLUMNS], "conjunctions.csv")  # the conjunctions (co-moving pairs: json)
        if format == "geojson":
            raise HTTPException(422, "conjunctions have no GeoJSON form: ask for json or csv")
        rows = [{**r, "kind": "conjunction"} for r in json_records(table)]
        together = job.result.co_moving
        if together is not None and len(together):  # pairs that stay together: their range band, no Pc
            rows += json_records(together)
        return rows
    return _plan_result(job.result, format)


def _coverage_result(result, grid, format: str):
    from overhead.tables import coverage_geojson, coverage_table

    if format == "csv":
        return csv_response(coverage_table(result.stats), "coverage.csv")
    if format == "geojson":
        boundaries = grid.cell_boundaries() if grid.resolution is not None else None
        return JSONResponse(coverage_geojson(result.stats, boundaries), media_type="application/geo+json")
    summary = {
        k: (None if not np.isfinite(float(v)) else float(v))
        for k, v in result.summary.items()
        if result.summary[k].ndim == 0
    }
    table = coverage_table(result.stats)
    rows = json_records(table)
    return {
        "summary": summary,
        "text": result.text(),
        "attrs": {k: str(v) for k, v in result.stats.attrs.items()},
        "points": rows,
    }


def _plan_result(plan, format: str):
    from overhead.tables import with_iso_times

    if format == "csv":
        return csv_response(with_iso_times(plan.acquisitions, ("start", "end")), "plan.csv")
    if format == "geojson":
        raise HTTPException(422, "a plan has no GeoJSON form: ask for json or csv")
    return plan.to_json()


@router.delete("/{job_id}", status_code=204, summary="Cancel and forget one of your jobs")
def delete_job(job_id: str, state: ServiceState = Depends(service), owner: str = Depends(job_owner)) -> None:
    if not state.jobs.delete(job_id, owner):
        raise HTTPException(404, f"no job {job_id[:40]!r} of yours")
