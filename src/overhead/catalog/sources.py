"""Live sources of element sets and object data: CelesTrak's GP queries and SATCAT, over ``httpx``.

CelesTrak's rules (celestrak.org/NORAD/documentation/gp-data-formats.php and its usage policy) are kept by the
client, not left to its callers:

* its GP data change at most every 2 hours: a query answered less than ``min_interval_s`` (2 h) ago is served
  from the local cache without a request, unless forced;
* every request is conditional (``If-None-Match`` / ``If-Modified-Since`` from the cached answer): a 304 costs
  CelesTrak nothing and leaves the cached body in use;
* a 403 or 429 means "too many requests": the client stops asking that host until the back-off has passed
  (``Retry-After`` when given, else 2 h), even when forced, and says so; it never retries them;
* a 5xx or a network failure is retried a few times with exponential back-off, then reported in one line
  ("cannot reach … (offline?)"); nothing is written to the store in any of these cases.

The base URL is configurable (``--celestrak-url`` or ``OVERHEAD_CELESTRAK_URL``) for mirrors and tests.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from overhead._resources import user_data_dir
from overhead.catalog.fetching import read_state, retry_after_s, utc_stamp, write_state
from overhead.errors import OverheadError

__all__ = ["CELESTRAK_FORMATS", "CelesTrak", "FetchResult", "SourceError", "ingest_fetched"]

CELESTRAK_URL = "https://celestrak.org"
CELESTRAK_FORMATS = ("tle", "3le", "2le", "csv", "json", "xml", "kvn")
GP_QUERIES = ("group", "catnr", "intdes", "name", "special")
MIN_INTERVAL_S = 2 * 3600.0  # CelesTrak's GP data change at most every two hours
REFUSED_BACKOFF_S = 2 * 3600.0  # after a 403/429 without Retry-After
MAX_BODY_BYTES = 200 * 1024 * 1024  # the whole SATCAT is ~10 MB, the active catalogue's OMM CSV ~5 MB


class SourceError(OverheadError):
    """A live source could not give an answer (offline, refused, rate limited, bad answer); nothing was stored."""


@dataclass(frozen=True)
class FetchResult:
    """One answer of a source: its body and where it came from."""

    url: str
    body: bytes
    from_cache: bool  # served without a request (inside the update interval)
    not_modified: bool  # a conditional request answered 304: the cached body
    fetched_at: float  # when the body was last confirmed by the source (Unix time)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class CelesTrak:
    """CelesTrak GP and SATCAT client (see the module docstring for the rules it keeps)."""

    def __init__(
        self,
        base_url: str | None = None,
        *,
        cache_dir: str | Path | None = None,
        timeout_s: float = 30.0,
        retries: int = 3,
        backoff_s: float = 1.0,
        min_interval_s: float = MIN_INTERVAL_S,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = (base_url or os.environ.get("OVERHEAD_CELESTRAK_URL") or CELESTRAK_URL).rstrip("/")
        if not self.base_url.startswith(("http://", "https://")):
            raise OverheadError(f"CelesTrak URL {self.base_url!r} must start with http:// or https://")
        self.cache_dir = Path(cache_dir) if cache_dir else user_data_dir() / "sources" / "celestrak"
        self.retries, self.backoff_s, self.min_interval_s = retries, backoff_s, min_interval_s
        self.clock, self.sleep = clock, sleep
        self._client = httpx.Client(
            timeout=timeout_s,
            transport=transport,
            follow_redirects=True,
            headers={"User-Agent": "overhead (https://github.com/overhead; catalogue client)"},
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> CelesTrak:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    # ------------------------------------------------------------------------------------------------ queries
    def gp(self, *, format: str = "tle", force: bool = False, **query: str | int) -> FetchResult:
        """A GP query: exactly one of ``group``, ``catnr``, ``intdes``, ``name``, ``special``."""
        given = {k: v for k, v in query.items() if v is not None}
        unknown = set(given) - set(GP_QUERIES)
        if unknown or len(given) != 1:
            got = ", ".join(sorted(given)) or "none"
            raise OverheadError(f"give exactly one of {', '.join(GP_QUERIES)} (got {got})")
        ((key, value),) = given.items()
        return self._get("/NORAD/elements/gp.php", {key.upper(): str(value), "FORMAT": _format(format)}, force=force)

    def supplemental(self, file: str, *, format: str = "tle", force: bool = False) -> FetchResult:
        """A supplemental GP file (operator ephemerides fitted to elements), e.g. ``starlink``."""
        return self._get(
            "/NORAD/elements/supplemental/sup-gp.php", {"FILE": file, "FORMAT": _format(format)}, force=force
        )

    def satcat_csv(self, *, force: bool = False) -> FetchResult:
        """The whole SATCAT as CSV (``/pub/satcat.csv``; CelesTrak refreshes it daily)."""
        return self._get("/pub/satcat.csv", {}, force=force, min_interval_s=max(self.min_interval_s, 86_400.0))

    def satcat_records(self, catnr: int, *, force: bool = False) -> FetchResult:
        """One object's SATCAT record as CSV."""
        return self._get("/satcat/records.php", {"CATNR": str(int(catnr)), "FORMAT": "csv"}, force=force)

    def forget(self, url: str) -> None:
        """Drop the cached answer of ``url`` (one that could not be used: the next request is unconditional)."""
        for path in self._paths(url):
            path.unlink(missing_ok=True)

    # -------------------------------------------------------------------------------------------------- HTTP
    def _paths(self, url: str) -> tuple[Path, Path]:
        key = hashlib.sha256(url.encode()).hexdigest()[:24]
        return self.cache_dir / f"{key}.body", self.cache_dir / f"{key}.json"

    def _host_state(self) -> Path:
        return self.cache_dir / "host.json"

    def _get(
        self, path: str, params: dict[str, str], *, force: bool, min_interval_s: float | None = None
    ) -> FetchResult:
        url = str(httpx.URL(self.base_url + path, params=params))
        body_path, meta_path = self._paths(url)
        meta = read_state(meta_path)
        now = self.clock()
        interval = self.min_interval_s if min_interval_s is None else min_interval_s
        cached = body_path.exists() and meta.get("url") == url
        if cached and not force and now - float(meta.get("fetched_at", 0)) < interval:
            return FetchResult(url, body_path.read_bytes(), True, False, float(meta["fetched_at"]))
        blocked_until = float(read_state(self._host_state()).get("blocked_until", 0))
        if now < blocked_until:
            raise SourceError(
                f"CelesTrak refused this client's requests (403/429); not asking again before "
                f"{utc_stamp(blocked_until)} as its usage policy requires"
            )
        headers = {}
        if cached and meta.get("etag"):
            headers["If-None-Match"] = meta["etag"]
        if cached and meta.get("last_modified"):
            headers["If-Modified-Since"] = meta["last_modified"]
        response = self._request(url, headers)
        now = self.clock()
        if response.status_code == 304 and cached:
            meta["fetched_at"] = now
            write_state(meta_path, meta)
            return FetchResult(url, body_path.read_bytes(), False, True, now)
        if response.status_code in (403, 429):
            wait = retry_after_s(response.headers.get("Retry-After"), now) or REFUSED_BACKOFF_S
            write_state(self._host_state(), {"blocked_until": now + wait, "status": response.status_code})
            meaning = "rate limited" if response.status_code == 429 else "refused"
            raise SourceError(
                f"CelesTrak answered {response.status_code} ({meaning}) for {url}; backing off until "
                f"{utc_stamp(now + wait)}, not retrying"
            )
        if response.status_code != 200:
            raise SourceError(f"CelesTrak answered {response.status_code} for {url}")
        body = response.content
        if len(body) > MAX_BODY_BYTES:
            raise SourceError(f"CelesTrak's answer for {url} is {len(body):,} bytes, over {MAX_BODY_BYTES:,}")
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = body_path.with_suffix(".part")
        tmp.write_bytes(body)
        tmp.replace(body_path)  # atomic: the cached body is whole or the previous one
        write_state(
            meta_path,
            {
                "url": url,
                "etag": response.headers.get("ETag"),
                "last_modified": response.headers.get("Last-Modified"),
                "fetched_at": now,
            },
        )
        return FetchResult(url, body, False, False, now)

    def _request(self, url: str, headers: dict[str, str]) -> httpx.Response:
        last: str = ""
        for attempt in range(self.retries + 1):
            try:
                response = self._client.get(url, headers=headers)
            except httpx.HTTPError as exc:
                last = f"cannot reach {httpx.URL(url).host} ({type(exc).__name__}: offline?)"
            else:
                if response.status_code < 500:
                    return response
                last = f"CelesTrak answered {response.status_code} for {url}"
            if attempt < self.retries:
                self.sleep(self.backoff_s * 2**attempt)
        raise SourceError(f"{last}; gave up after {self.retries + 1} tries — the store is unchanged")


def _format(format: str) -> str:
    if format.lower() not in CELESTRAK_FORMATS:
        raise OverheadError(f"unknown CelesTrak format {format!r}; use one of {', '.join(CELESTRAK_FORMATS)}")
    return format.lower()


def ingest_fetched(store, client: CelesTrak, answer: FetchResult, *, group: str, allow_shrink: bool = False):
    """Ingest a fetched GP answer into ``store`` (its :class:`IngestReport`); an answer the store refuses is
    dropped from the client's cache, so the next fetch asks afresh instead of offering it again. The command line
    and the watcher both ingest through here."""
    try:
        return store.ingest_text(answer.body, source=answer.url, group=group, allow_shrink=allow_shrink)
    except OverheadError:
        client.forget(answer.url)
        raise
