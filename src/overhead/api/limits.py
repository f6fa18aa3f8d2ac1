"""Every request bounded before and while it runs (a pure ASGI middleware, outermost):

- the body is read here, counting the bytes received whether or not a Content-Length was sent (chunked uploads
  too), and refused with a 413 as soon as it passes the limit, without reading the rest;
- JSON bodies are refused with a 422 when they hold non-finite numbers (``NaN``, ``Infinity``, ``1e999``), lone
  surrogates or nesting deeper than a request model can have, before any route sees them;
- while the route runs, a :class:`~overhead.cancel.CancelToken` is cancelled when the client disconnects or the
  request passes its wall-time limit, and the library's loops stop at their next chunk
  (:func:`~overhead.cancel.check_cancelled`); the answer is then a 503 that says why.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from overhead.cancel import CancelToken, cancel_scope

__all__ = ["CLIENT_GONE", "BoundedRequests", "json_problem"]

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
CLIENT_GONE = "the client went away"
RAW_BODY_PATHS = ("/api/catalog/ingest",)  # element-set files: their own reader judges their JSON


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"{text[:20]} is out of the range of a number")
    return value


def json_problem(body: bytes) -> str | None:
    """What is wrong with a JSON request body for the API, or None: non-finite numbers, lone surrogates, too deep."""
    try:
        parsed = json.loads(body, parse_constant=_no_constant, parse_float=_finite)
    except RecursionError:
        return "the JSON body is nested too deeply"
    except UnicodeDecodeError:
        return "the JSON body is not UTF-8"
    except ValueError as exc:  # JSONDecodeError too: FastAPI words that one itself, keep its message
        return None if isinstance(exc, json.JSONDecodeError) else f"the JSON body is refused: {exc}"
    try:
        json.dumps(parsed, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return "the JSON body holds a lone surrogate (\\ud800-\\udfff): not text"
    except RecursionError:
        return "the JSON body is nested too deeply"
    return None


class BoundedRequests:
    """ASGI middleware: body limit on the bytes received, JSON sanity, cancellation on disconnect or timeout."""

    def __init__(self, app, *, max_body_bytes: int, max_request_s: float, on_cancel: Callable[[str], None]):
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_request_s = max_request_s
        self.on_cancel = on_cancel

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length", b"")
        if length.isdigit() and int(length) > self.max_body_bytes:
            await _answer(send, 413, f"the request body is larger than {self.max_body_bytes:,} bytes: split it")
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > self.max_body_bytes:  # counted on what arrived: chunked bodies have no Content-Length
                await _answer(send, 413, f"the request body is larger than {self.max_body_bytes:,} bytes: split it")
                return
            if not message.get("more_body"):
                break
        content_type = headers.get(b"content-type", b"").split(b";")[0].strip()
        if body and content_type == b"application/json" and not scope["path"].startswith(RAW_BODY_PATHS):
            problem = json_problem(bytes(body))
            if problem:
                await _answer(send, 422, problem)
                return
        await self._run(scope, bytes(body), receive, send)

    async def _run(self, scope: Scope, body: bytes, receive: Receive, send: Send) -> None:
        token = CancelToken()
        gone = asyncio.Event()
        delivered = False

        async def replay() -> Message:  # the route reads the body we hold, then waits for the end
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            await gone.wait()
            return {"type": "http.disconnect"}

        answered = False

        async def sending(message: Message) -> None:
            nonlocal answered
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                answered = True  # a disconnect from now on is the connection's end, not a client giving up

        async def watch() -> None:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    if not answered:
                        token.cancel(CLIENT_GONE)
                    gone.set()
                    return

        def too_long() -> None:
            token.cancel(
                f"the request ran longer than its limit of {self.max_request_s:g} s: ask for less (a "
                f"shorter span, fewer satellites or targets, a coarser step) or use a job"
            )

        loop = asyncio.get_running_loop()
        watcher = asyncio.create_task(watch())
        timer = loop.call_later(self.max_request_s, too_long)
        try:
            with cancel_scope(token):
                await self.app(scope, replay, sending)
        finally:
            timer.cancel()
            watcher.cancel()
            if token.cancelled:
                self.on_cancel(token.reason)


async def _answer(send: Send, status: int, detail: str) -> None:
    payload = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
