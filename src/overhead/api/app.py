"""The FastAPI application: REST API under ``/api``, OpenAPI at ``/openapi.json``, the dashboard at ``/``."""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import threading
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException

from overhead import __version__
from overhead.api import routes_catalog, routes_compute, routes_conjunctions, routes_export, routes_jobs
from overhead.api.limits import CLIENT_GONE, BoundedRequests
from overhead.api.memory import tune_allocator
from overhead.api.service import ServiceSettings, ServiceState
from overhead.api.warning_log import WarningLog
from overhead.errors import HTTP_STATUS, CancelledError, OverheadError
from overhead.geometry.specs import problem
from overhead.orbits.parallel import limit_workers
from overhead.orbits.sgp4_propagation import limit_chunk_states

__all__ = ["create_app", "web_assets_dir"]

STATIC = Path(__file__).resolve().parent.parent / "web" / "static"
# front-end packages come from npm at set-up (web/package.json) and are served from node_modules as they are
VENDOR_FILES = {
    "d3.min.js": "d3/dist/d3.min.js",
    "topojson-client.min.js": "topojson-client/dist/topojson-client.min.js",
    "satellite.es.js": "satellite.js/dist/satellite.es.js",
    "countries-110m.json": "world-atlas/countries-110m.json",
    "land-110m.json": "world-atlas/land-110m.json",
}


SERVICE_CHUNK_STATES = 50_000

# Outside strings (object names from feeds) reach the page as text only; this policy is the second line: no
# inline or foreign script can run, the page cannot be framed, nothing is fetched from elsewhere. Cesium needs
# workers (blob: scripts), WebAssembly, blob: images, inline styles set by its widgets, and eval: the knockout
# bundled in Cesium.js evaluates strings at load (only its own bindings; the page inserts no markup from data).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' blob: 'unsafe-eval' 'wasm-unsafe-eval'",
        "worker-src 'self' blob:",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}


# where the service is installed and whose home it runs in: not for clients to read in error messages
_PRIVATE_PATHS = sorted({str(Path(__file__).resolve().parents[2]), sys.prefix, str(Path.home())}, key=len, reverse=True)


def _warm_up_quietly() -> None:
    from overhead.warmup import warm_up

    with contextlib.suppress(Exception):  # a failed warm-up costs the first request its compile time, nothing else
        warm_up()


def _prepare_sky_quietly(state) -> None:
    """The catalogue view and the dashboard's /api/sky body made before the first page asks for them."""
    from overhead.api.routes_catalog import sky_body

    try:
        with contextlib.suppress(Exception):  # a failure here costs the first page its wait, nothing else
            sky_body(state.view())
    finally:
        state.first_page_made.set()  # the background ephemeris may start


def _excerpt(text: str, limit: int = 600) -> str:
    """An error message for a client: installation paths removed, cut to a readable length (messages may quote
    what was sent)."""
    for private in _PRIVATE_PATHS:
        if len(private) > 1:
            text = text.replace(private, "…")
    return text if len(text) <= limit else text[:limit] + f"… ({len(text) - limit:,} more characters)"


def web_assets_dir(settings: ServiceSettings | None = None) -> Path:
    """Where the dashboard's npm packages are: the setting, $OVERHEAD_WEB_ASSETS, or the checkout's web/."""
    if settings is not None and settings.web_assets is not None:
        return Path(settings.web_assets)
    if os.environ.get("OVERHEAD_WEB_ASSETS"):
        return Path(os.environ["OVERHEAD_WEB_ASSETS"])
    return Path(__file__).resolve().parents[3] / "web" / "node_modules"


def keep_startup_objects_out_of_the_collector() -> None:
    """Python's full garbage collection walks every tracked object with the GIL held: the 215,000 of the imported
    modules and the sample's view took 80-110 ms each time, so every request waited that long whenever an ingest
    or a view rebuild set one off (the p99 of /api/status during an ingest). They live as long as the process:
    collected once, then frozen (left out of later collections; still freed by reference counting). Once per
    process: later apps in the same process (tests) find objects frozen and leave it as it is."""
    if gc.get_freeze_count() == 0:
        gc.collect()
        gc.freeze()


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    """The service: catalogue store opened (and the bundled sample ingested) at start-up."""
    settings = settings or ServiceSettings.from_env()
    app = FastAPI(
        title="overhead",
        version=__version__,
        lifespan=_lifespan(settings),
        docs_url=None,
        redoc_url=None,
        description="An open space-based monitoring system: what is watching, what it can see, and when. "
        "Times are UTC ISO-8601 with Z; angles in degrees; distances in km.",
    )
    _add_middleware(app, settings)
    _add_error_handlers(app)
    for module in (routes_catalog, routes_compute, routes_conjunctions, routes_jobs, routes_export):
        app.include_router(module.router)
    app.include_router(routes_conjunctions.alerts_router)
    _mount_dashboard(app, web_assets_dir(settings))
    app.openapi = lambda: _described_openapi(app)  # type: ignore[method-assign]
    return app


def _lifespan(settings: ServiceSettings):
    """Start-up and shut-down: process settings the service needs (given back when it stops), the store."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        limit_workers(1)  # requests run on threads: never fork the server (coverage jobs go to Dask)
        tune_allocator()  # large answers' buffers go back to the system once sent
        # computations hold the GIL in long stretches: hand it over every 1 ms (Python's default is 5 ms) so that
        # the event loop answers the cheap requests while they run
        switch_interval_s = sys.getswitchinterval()  # process-global: given back when the service stops
        sys.setswitchinterval(0.001)
        limit_chunk_states(SERVICE_CHUNK_STATES)  # and SGP4 calls short enough not to hold it for long
        # kernels compiled (or read from their disk cache) before the first request needs them
        threading.Thread(target=_warm_up_quietly, name="overhead-warmup", daemon=True).start()
        state = ServiceState(settings)
        state.first_page_made.clear()  # the first page's catalogue body first, then the ephemeris (2 cores)
        if settings.load_sample:
            state.load_sample()
        threading.Thread(target=_prepare_sky_quietly, args=(state,), name="overhead-sky", daemon=True).start()
        keep_startup_objects_out_of_the_collector()
        app.state.service = state
        with WarningLog():
            yield
        state.close()
        sys.setswitchinterval(switch_interval_s)
        limit_workers(None)
        limit_chunk_states(None)

    return lifespan


class SecurityHeaders:
    """:data:`SECURITY_HEADERS` on every answer that does not set its own. A plain ASGI middleware: Starlette's
    ``BaseHTTPMiddleware`` (``@app.middleware``) ran each request through a task group and a streaming wrapper,
    a tenth of a light request's time."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def sending(message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, sending)


def _add_middleware(app: FastAPI, settings: ServiceSettings) -> None:
    """CORS where asked, security headers, gzip, and bounded requests (outermost)."""
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=list(settings.cors_origins), allow_methods=["*"], allow_headers=["*"]
        )

    app.add_middleware(SecurityHeaders)

    counters = {"requests_cancelled": 0, "requests_abandoned": 0}
    app.state.counters = counters

    def cancelled(reason: str) -> None:
        counters["requests_cancelled"] += 1
        if reason == CLIENT_GONE:
            counters["requests_abandoned"] += 1

    # every answer over 1 KiB compressed for clients that accept it (the element sets the page propagates, CSV,
    # GeoJSON: 4-8x smaller); server-sent events are left as they are (Starlette skips text/event-stream)
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=5)

    # outermost: bodies counted as they arrive, JSON sanity, cancellation on disconnect or timeout
    app.add_middleware(
        BoundedRequests,
        max_body_bytes=settings.max_upload_bytes,
        max_request_s=settings.max_request_s,
        on_cancel=cancelled,
    )


def _add_error_handlers(app: FastAPI) -> None:
    """Every error answered as JSON with one line of detail, never the input itself."""

    @app.exception_handler(OverheadError)
    async def overhead_error(_request: Request, exc: OverheadError):
        # the status by the error's machine code, never by its words; the code travels with the message
        status = HTTP_STATUS.get(exc.code, 422)
        return JSONResponse(
            {"detail": _excerpt(str(exc)), "code": exc.code},
            status_code=status,
            headers={"Retry-After": "60"} if status == 503 else None,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        detail = _excerpt(exc.detail) if isinstance(exc.detail, str) else exc.detail
        headers = exc.headers
        if exc.status_code == 405:  # Starlette names one route's methods; a path has a route per method
            headers = {**(headers or {}), "Allow": _allowed_methods(app, request)}
        return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=headers)

    @app.exception_handler(CancelledError)
    async def cancelled_error(_request: Request, exc: CancelledError):
        return JSONResponse({"detail": str(exc)}, status_code=503, headers={"Retry-After": "60"})

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError):
        # where and what, never the input itself: it may be huge, non-finite or not text at all
        problems = [problem(e) for e in exc.errors()[:10]]
        more = len(exc.errors()) - len(problems)
        return JSONResponse(
            {"detail": _excerpt("; ".join(problems) + (f"; and {more} more" if more > 0 else ""))}, status_code=422
        )

    @app.exception_handler(RecursionError)
    async def too_deep(_request: Request, _exc: RecursionError):
        return JSONResponse({"detail": "the request is nested too deeply"}, status_code=422)


def _allowed_methods(app: FastAPI, request: Request) -> str:
    """The methods the OpenAPI document gives the request's path (RFC 9110's Allow of a 405; Starlette's names
    one route's, and a path has a route per method). A literal path is taken before a templated one that also
    matches it (/api/jobs/plan before /api/jobs/{job_id}), as OpenAPI says."""
    import re

    path = request.url.path
    candidates = []
    for template, operations in app.openapi().get("paths", {}).items():
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path):
            candidates.append((template.count("{"), template, operations))
    if not candidates:
        return ""
    _, _, operations = min(candidates, key=lambda c: c[:2])
    return ", ".join(sorted(m.upper() for m in operations if m in ("get", "put", "post", "delete", "patch")))


ERROR_SCHEMA = {
    "type": "object",
    "required": ["detail"],
    "title": "Error",
    "properties": {
        "detail": {"type": "string", "description": "what was wrong, and what to do about it (one line)"},
        "code": {
            "type": "string",
            "description": "the error's machine code where it has one: not_found, "
            "conflict, too_large, invalid, refused, ...",
        },
    },
}
TIME_PARAMETERS = {"start", "stop", "time", "since", "ingested_since", "as_of", "until"}
TIME_FORMAT_NOTE = (
    "ISO-8601 UTC, e.g. 2026-05-30T12:00:00Z (a time without a zone or a bare date is UTC; an "
    "offset such as +02:00 is converted)"
)


def _described_openapi(app: FastAPI) -> dict:
    """The OpenAPI document as the service answers: one error model (``{"detail": str, "code"?: str}``) for every
    4xx and the 503 of a request past its time limit (FastAPI's list-of-errors form is never sent), and the time
    parameters as ``date-time`` strings."""
    if app.openapi_schema:
        return app.openapi_schema
    from fastapi.openapi.utils import get_openapi

    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    components["Error"] = ERROR_SCHEMA
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            responses["4XX"] = {
                "description": "refused, nothing done: 401 no or a wrong token, 404 not found, 409 "
                "conflict, 413 too large (estimated before any work), 422 invalid, "
                "429 too many jobs",
                "content": error,
            }
            # the HTTP server's own answer (uvicorn, before the application sees the request) to a request line or
            # headers over its limits: plain text
            responses["400"] = {
                "description": "not a request the HTTP server reads (its request line or headers "
                "over the server's limits)",
                "content": {"text/plain": {"schema": {"type": "string"}}},
            }
            responses["503"] = {
                "description": "past the service's time limit or shutting down: retry later",
                "content": error,
                "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}},
            }
            for parameter in operation.get("parameters", []):
                if parameter.get("name") in TIME_PARAMETERS and parameter.get("in") == "query":
                    _as_date_time(parameter["schema"])
                    parameter.setdefault("description", TIME_FORMAT_NOTE)
    app.openapi_schema = schema
    return schema


def _as_date_time(schema: dict) -> None:
    """A string (or nullable string) parameter's schema given ``format: date-time``."""
    if schema.get("type") == "string":
        schema["format"] = "date-time"
    for option in schema.get("anyOf", []):
        if option.get("type") == "string":
            option["format"] = "date-time"


def _mount_dashboard(app: FastAPI, assets: Path) -> None:
    for name, folder in (("cesium", assets / "cesium" / "Build" / "Cesium"), ("swagger", assets / "swagger-ui-dist")):
        if folder.is_dir():
            app.mount(f"/vendor/{name}", StaticFiles(directory=folder), name=name)

    @app.get("/docs", include_in_schema=False)
    def docs():  # Swagger UI from the npm package, not a CDN (works offline), started by a file, not inline
        return FileResponse(STATIC / "docs.html")

    @app.get("/vendor/{name}", include_in_schema=False)
    def vendor(name: str):
        if name not in VENDOR_FILES or not (assets / VENDOR_FILES[name]).is_file():
            return JSONResponse(
                {
                    "detail": f"front-end file {name!r} is not installed: run `bash scripts/setup.sh` "
                    f"(npm install in web/)"
                },
                status_code=404,
            )
        return FileResponse(assets / VENDOR_FILES[name], headers={"Cache-Control": "public, max-age=86400"})

    @app.get("/", include_in_schema=False)
    def index():
        return FileResponse(STATIC / "index.html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
