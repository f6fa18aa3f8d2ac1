"""Space-Track.org client over ``httpx``: login from the environment or a config file, GP, GP history, SATCAT,
decay and TIP classes, under Space-Track's published limits.

Space-Track's rules (space-track.org/documentation#/api and its user agreement) are kept by the client:

* fewer than 30 requests a minute and 300 an hour, counted across processes (the times of the last hour's
  requests are kept beside the cache): a request that would pass either waits for its turn, or, when the
  wait would exceed ``max_wait_s``, is refused with the time it may be made;
* ``gp_history`` only for named objects over a bounded span (at most 100 objects and 60 days a query): never
  the bulk history;
* one login per client, reused for its requests (the session cookie), and a logout on close.

Credentials come from ``OVERHEAD_SPACETRACK_USER`` and ``OVERHEAD_SPACETRACK_PASSWORD``, or from an INI file
(``[spacetrack]`` with ``identity`` and ``password``; ``OVERHEAD_SPACETRACK_CONFIG`` or
``~/.config/overhead/spacetrack.ini``). They are sent only in the login form: never in a URL, a log line, an
error message or the store (ingests record the query URL, which holds none).

The base URL is configurable (``--spacetrack-url`` or ``OVERHEAD_SPACETRACK_URL``) for tests and mirrors.
"""

from __future__ import annotations

import configparser
import os
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import httpx

from overhead._resources import user_data_dir
from overhead.catalog.fetching import read_state, retry_after_s, utc_stamp, write_state
from overhead.catalog.sources import FetchResult, SourceError
from overhead.errors import OverheadError

__all__ = ["Credentials", "RateLimit", "SpaceTrack", "satcat_to_celestrak_csv"]

SPACETRACK_URL = "https://www.space-track.org"
PER_MINUTE, PER_HOUR = 30, 300  # Space-Track's published limits; the client stays under both
MAX_HISTORY_OBJECTS, MAX_HISTORY_DAYS = 100, 60
MAX_BODY_BYTES = 200 * 1024 * 1024
FORMATS = ("tle", "3le", "json", "csv", "xml", "kvn")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Credentials:
    """A Space-Track identity and password; printed as ``Credentials(identity=***, password=***)``."""

    identity: str = field(repr=False)
    password: str = field(repr=False)

    def __repr__(self) -> str:
        return "Credentials(identity=***, password=***)"

    @classmethod
    def from_environment(cls, config: str | Path | None = None) -> Credentials:
        """From the environment, else the config file; a clear error (naming no secret) when neither has them."""
        user, password = os.environ.get("OVERHEAD_SPACETRACK_USER"), os.environ.get("OVERHEAD_SPACETRACK_PASSWORD")
        if user and password:
            return cls(user, password)
        path = Path(
            config
            or os.environ.get("OVERHEAD_SPACETRACK_CONFIG")
            or Path.home() / ".config" / "overhead" / "spacetrack.ini"
        )
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read_string(path.read_text())
            section = parser["spacetrack"]
            return cls(section["identity"], section["password"])
        except (OSError, KeyError, configparser.Error):
            raise OverheadError(
                f"no Space-Track credentials: set OVERHEAD_SPACETRACK_USER and "
                f"OVERHEAD_SPACETRACK_PASSWORD, or write {path} with a [spacetrack] section "
                f"holding identity and password"
            ) from None


class RateLimit:
    """At most ``per_minute`` and ``per_hour`` requests in any sliding minute and hour, shared through ``path``
    by every client that uses it (several CLI runs, a watcher)."""

    def __init__(
        self,
        path: Path,
        *,
        per_minute: int = PER_MINUTE,
        per_hour: int = PER_HOUR,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        max_wait_s: float = 120.0,
    ) -> None:
        self.path, self.per_minute, self.per_hour = path, per_minute, per_hour
        self.clock, self.sleep, self.max_wait_s = clock, sleep, max_wait_s

    def _recent(self, now: float) -> list[float]:
        return [t for t in read_state(self.path).get("times", []) if now - t < 3600.0]

    def wait_s(self, now: float | None = None) -> float:
        """How long until one more request keeps both limits."""
        now = self.clock() if now is None else now
        times = sorted(self._recent(now))
        waits = [0.0]
        minute = [t for t in times if now - t < 60.0]
        if len(minute) >= self.per_minute:
            waits.append(minute[len(minute) - self.per_minute] + 60.0 - now)
        if len(times) >= self.per_hour:
            waits.append(times[len(times) - self.per_hour] + 3600.0 - now)
        return max(waits)

    def acquire(self) -> None:
        """Wait for a free place (or refuse past ``max_wait_s``), then count this request."""
        wait = self.wait_s()
        if wait > self.max_wait_s:
            raise SourceError(
                f"Space-Track's limits (under {self.per_minute} requests a minute, {self.per_hour} an "
                f"hour) reached; the next request may be made at {utc_stamp(self.clock() + wait)}"
            )
        if wait > 0:
            self.sleep(wait)
        now = self.clock()
        write_state(self.path, {"times": [*self._recent(now), now]})


class SpaceTrack:
    """Space-Track client (see the module docstring for the rules it keeps)."""

    def __init__(
        self,
        base_url: str | None = None,
        *,
        credentials: Credentials | None = None,
        cache_dir: str | Path | None = None,
        timeout_s: float = 60.0,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        max_wait_s: float = 120.0,
    ) -> None:
        self.base_url = (base_url or os.environ.get("OVERHEAD_SPACETRACK_URL") or SPACETRACK_URL).rstrip("/")
        if not self.base_url.startswith(("http://", "https://")):
            raise OverheadError(f"Space-Track URL {self.base_url!r} must start with http:// or https://")
        self._credentials = credentials
        self.cache_dir = Path(cache_dir) if cache_dir else user_data_dir() / "sources" / "spacetrack"
        self.limit = RateLimit(self.cache_dir / "requests.json", clock=clock, sleep=sleep, max_wait_s=max_wait_s)
        self.clock = clock
        self._logged_in = False
        self._client = httpx.Client(
            timeout=timeout_s,
            transport=transport,
            follow_redirects=True,
            headers={"User-Agent": "overhead (catalogue client)"},
        )

    def close(self) -> None:
        if self._logged_in:
            try:
                self.limit.acquire()
                self._client.get(self.base_url + "/ajaxauth/logout")
            except (httpx.HTTPError, SourceError):
                pass  # the session expires by itself
        self._client.close()

    def __enter__(self) -> SpaceTrack:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    # ------------------------------------------------------------------------------------------------ classes
    def gp(self, norad_ids: Iterable[int], *, format: str = "tle") -> FetchResult:
        """The newest element set of each object."""
        return self._query("gp", {"NORAD_CAT_ID": _ids(norad_ids, "gp")}, format, order="NORAD_CAT_ID")

    def gp_history(self, norad_ids: Iterable[int], start: str, stop: str, *, format: str = "tle") -> FetchResult:
        """Every element set of the named objects with epochs in [start, stop] (dates YYYY-MM-DD)."""
        ids = _ids(norad_ids, "gp_history")
        if len(ids.split(",")) > MAX_HISTORY_OBJECTS:
            raise OverheadError(
                f"gp_history is for named objects: at most {MAX_HISTORY_OBJECTS} a query "
                f"(Space-Track asks not to pull the bulk history)"
            )
        if not (_DATE.match(start) and _DATE.match(stop)):
            raise OverheadError("gp_history dates are YYYY-MM-DD (start and stop)")
        days = (date.fromisoformat(stop) - date.fromisoformat(start)).days
        if not 0 <= days <= MAX_HISTORY_DAYS:
            raise OverheadError(
                f"gp_history spans at most {MAX_HISTORY_DAYS} days a query, stop not before start "
                f"(got {start} to {stop})"
            )
        return self._query("gp_history", {"NORAD_CAT_ID": ids, "EPOCH": f"{start}--{stop}"}, format, order="EPOCH")

    def satcat(self, norad_ids: Iterable[int]) -> FetchResult:
        """The SATCAT records of the objects, as Space-Track's CSV (see :func:`satcat_to_celestrak_csv`)."""
        return self._query("satcat", {"NORAD_CAT_ID": _ids(norad_ids, "satcat")}, "csv", order="NORAD_CAT_ID")

    def decay(self, norad_ids: Iterable[int]) -> FetchResult:
        """Decay messages (predicted and actual) of the objects, JSON."""
        return self._query("decay", {"NORAD_CAT_ID": _ids(norad_ids, "decay")}, "json", order="DECAY_EPOCH")

    def tip(self, norad_ids: Iterable[int]) -> FetchResult:
        """Tracking and impact prediction messages of the objects, JSON."""
        return self._query("tip", {"NORAD_CAT_ID": _ids(norad_ids, "tip")}, "json", order="MSG_EPOCH")

    # -------------------------------------------------------------------------------------------------- HTTP
    def _login(self) -> None:
        credentials = self._credentials or Credentials.from_environment()
        self.limit.acquire()
        try:
            response = self._client.post(
                self.base_url + "/ajaxauth/login",
                data={"identity": credentials.identity, "password": credentials.password},
            )
        except httpx.HTTPError as exc:
            raise SourceError(
                f"cannot reach {httpx.URL(self.base_url).host} ({type(exc).__name__}: offline?)"
            ) from None
        failed = response.status_code != 200 or '"Login":"Failed"' in response.text.replace(" ", "")
        if failed:  # never the identity or the password in the message
            raise SourceError(f"Space-Track login failed (HTTP {response.status_code}): check the credentials")
        self._logged_in = True

    def _query(self, cls: str, predicates: dict[str, str], format: str, *, order: str) -> FetchResult:
        if format not in FORMATS:
            raise OverheadError(f"unknown Space-Track format {format!r}; use one of {', '.join(FORMATS)}")
        path = f"/basicspacedata/query/class/{cls}/" + "".join(f"{k}/{v}/" for k, v in predicates.items())
        url = self.base_url + path + f"orderby/{order} asc/format/{format}/emptyresult/show"
        if not self._logged_in:
            self._login()
        self.limit.acquire()
        try:
            response = self._client.get(url)
        except httpx.HTTPError as exc:
            raise SourceError(
                f"cannot reach {httpx.URL(url).host} ({type(exc).__name__}: offline?); the store is unchanged"
            ) from None
        now = self.clock()
        if response.status_code == 401:
            raise SourceError("Space-Track answered 401: the session was refused (log in again)")
        if response.status_code in (403, 429):
            wait = retry_after_s(response.headers.get("Retry-After"), now) or 3600.0
            raise SourceError(
                f"Space-Track answered {response.status_code} (over its limits or refused); wait until "
                f"{utc_stamp(now + wait)} before asking again"
            )
        if response.status_code != 200:
            raise SourceError(f"Space-Track answered {response.status_code} for class {cls}")
        if len(response.content) > MAX_BODY_BYTES:
            raise SourceError(f"Space-Track's answer is {len(response.content):,} bytes, over {MAX_BODY_BYTES:,}")
        return FetchResult(url, response.content, False, False, now)


def _ids(norad_ids: Iterable[int], cls: str) -> str:
    ids = sorted({int(n) for n in norad_ids})
    if not ids:
        raise OverheadError(f"{cls}: name the objects (NORAD ids)")
    if any(n <= 0 or n > 999_999_999 for n in ids):
        raise OverheadError(f"{cls}: NORAD ids are positive integers")
    return ",".join(map(str, ids))


# Space-Track's SATCAT columns -> CelesTrak's (what the store reads)
_SATCAT_COLUMNS = {
    "OBJECT_NAME": "OBJECT_NAME",
    "SATNAME": "OBJECT_NAME",
    "INTLDES": "OBJECT_ID",
    "OBJECT_ID": "OBJECT_ID",
    "NORAD_CAT_ID": "NORAD_CAT_ID",
    "OBJECT_TYPE": "OBJECT_TYPE",
    "COUNTRY": "OWNER",
    "LAUNCH": "LAUNCH_DATE",
    "SITE": "LAUNCH_SITE",
    "DECAY": "DECAY_DATE",
    "PERIOD": "PERIOD",
    "INCLINATION": "INCLINATION",
    "APOGEE": "APOGEE",
    "PERIGEE": "PERIGEE",
}
_TYPES = {"PAYLOAD": "PAY", "ROCKET BODY": "R/B", "DEBRIS": "DEB", "UNKNOWN": "UNK", "TBA": "UNK"}


def satcat_to_celestrak_csv(text: str | bytes) -> str:
    """Space-Track's SATCAT CSV rewritten with CelesTrak's column names and type codes (PAY, R/B, DEB, UNK)."""
    import io

    import pandas as pd

    raw = text.decode("utf-8", errors="replace") if isinstance(text, bytes) else text
    try:
        table = pd.read_csv(io.StringIO(raw), dtype=str, keep_default_na=False)
    except (ValueError, pd.errors.ParserError) as exc:
        raise SourceError(f"Space-Track's SATCAT answer is not CSV ({exc})") from None
    keep = {}
    for column, target in _SATCAT_COLUMNS.items():
        if column in table and target not in keep:
            keep[target] = table[column]
    if "NORAD_CAT_ID" not in keep:
        raise SourceError("Space-Track's SATCAT answer has no NORAD_CAT_ID column")
    out = pd.DataFrame(keep)
    if "OBJECT_TYPE" in out:
        out["OBJECT_TYPE"] = out.OBJECT_TYPE.str.upper().map(lambda t: _TYPES.get(t, t))
    return out.to_csv(index=False)
