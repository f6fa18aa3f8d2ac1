"""Places a person types: coordinates in the usual notations, or a city of the bundled GeoNames list.

``parse_coordinates("-33.9, 18.4")``, ``"33.9S 18.4E"``, ``"33°54'S 18°24'E"``, ``"N48.857 E2.352"`` all give
(latitude, longitude) in degrees; ``find_places("cape town")`` gives the cities whose names match, the most
populous first.
"""

from __future__ import annotations

import functools
import gzip
import io
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from overhead._resources import data_path
from overhead.errors import OverheadError

__all__ = ["Place", "find_places", "namesakes", "parse_coordinates", "resolve_place"]

CITIES_FILE = "world_cities.csv.gz"

# one angle: signed decimal degrees, or degrees-minutes(-seconds) with any of the usual marks, and a hemisphere
# letter before or after it
_NUMBER = r"\d+(?:\.\d*)?|\.\d+"
_ANGLE = re.compile(
    rf"""^\s*(?P<pre>[NSEW])?\s*(?P<sign>[-+\u2212])?\s*
    (?P<deg>{_NUMBER})\s*(?:°|º|deg|d|\s)?\s*
    (?:(?P<min>{_NUMBER})\s*(?:'|′|’|m|\s)\s*)?
    (?:(?P<sec>{_NUMBER})\s*(?:"|″|”|''|s)?\s*)?
    (?P<post>[NSEW])?\s*$""",
    re.VERBOSE | re.IGNORECASE,
)
_SPLIT = re.compile(r"\s*[,;]\s*|\s*/\s*|(?<=[NSEWnsew])\s+|\s+(?=[NSEWnsew-])|\s+(?=[-+\u2212]?\d)")


@dataclass(frozen=True)
class Place:
    """A named place: latitude and longitude in degrees (geodetic; south and west negative)."""

    name: str
    lat_deg: float
    lon_deg: float
    country: str = ""
    population: int = 0

    @property
    def timezone(self) -> str:
        """The IANA time zone of the place (``Europe/Paris``; ``Etc/GMT+2`` at sea), from timezonefinder."""
        return timezone_at(self.lat_deg, self.lon_deg)


@lru_cache(maxsize=1)
def _zone_finder():
    from timezonefinder import TimezoneFinder  # the zones' boundaries (OpenStreetMap, as timezone-boundary-builder)

    return TimezoneFinder()


def timezone_at(lat_deg: float, lon_deg: float) -> str:
    """The IANA time zone at a point ("" where none is known)."""
    return _zone_finder().timezone_at(lat=float(lat_deg), lng=float(lon_deg)) or ""


def _angle(text: str) -> tuple[float, str] | None:
    """(degrees with sign, hemisphere letter or "") of one written angle, or None when it is not one."""
    match = _ANGLE.match(text)
    if not match or (match["pre"] and match["post"]):
        return None
    value = float(match["deg"])
    for part, scale in (("min", 60.0), ("sec", 3600.0)):
        if match[part] is not None:
            extra = float(match[part])
            if extra >= 60.0 or float(match["deg"]) != int(float(match["deg"])):
                return None  # 61 minutes, or minutes after decimal degrees: not a position
            value += extra / scale
    hemisphere = (match["pre"] or match["post"] or "").upper()
    negative = match["sign"] in ("-", "\u2212") or hemisphere in ("S", "W")
    if match["sign"] and hemisphere:
        return None  # "-33 S" says south twice or contradicts itself
    return (-value if negative else value), hemisphere


def _two_parts(text: str) -> list[str] | None:
    cleaned = text.strip().strip("()[]")
    for separator in (",", ";", "/"):
        if cleaned.count(separator) == 1:
            return [p.strip() for p in cleaned.split(separator)]
    parts = [p for p in _SPLIT.split(cleaned) if p.strip()]
    if len(parts) == 2:
        return parts
    words = cleaned.split()
    if len(words) % 2 == 0 and words:  # "33 54 S 18 24 E": halves
        half = len(words) // 2
        return [" ".join(words[:half]), " ".join(words[half:])]
    return None


def parse_coordinates(text: str) -> tuple[float, float] | None:
    """(latitude, longitude) in degrees from a written position, or None when ``text`` is not one.

    Latitude first unless the hemisphere letters say otherwise ("18.4E 33.9S"). Raises OverheadError for a
    position written correctly but off the Earth (latitude beyond ±90°, longitude beyond ±180°)."""
    if len(text) > 100 or not re.search(r"\d", text):
        return None
    parts = _two_parts(text)
    if parts is None:
        return None
    angles = [_angle(p) for p in parts]
    if any(a is None for a in angles):
        return None
    (first, h1), (second, h2) = angles  # type: ignore[misc]
    if h1 in ("E", "W") and h2 in ("N", "S", ""):
        first, second, h1, h2 = second, first, h2, h1
    if h1 in ("E", "W") or h2 in ("N", "S"):
        return None  # two latitudes or two longitudes
    if not -90.0 <= first <= 90.0:
        raise OverheadError(f"latitude {first:g}° of {text!r} is beyond ±90°: write latitude first, then longitude")
    if not -180.0 <= second <= 360.0:
        raise OverheadError(f"longitude {second:g}° of {text!r} is beyond ±180°")
    lon = second - 360.0 if second > 180.0 else second
    return first, lon


def _folded(text: str) -> str:
    """Lower case without accents: 'São Paulo' and 'sao paulo' match."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


@functools.cache
def _cities() -> pd.DataFrame:
    raw = gzip.decompress(data_path(CITIES_FILE).read_bytes())
    table = pd.read_csv(io.BytesIO(raw), keep_default_na=False, dtype={"country": str})
    table["key"] = table.name.map(_folded)
    return table.sort_values("population", ascending=False, ignore_index=True)


def find_places(query: str, limit: int = 10) -> list[Place]:
    """Cities whose name starts with (then contains) ``query``, most populous first; "Paris, FR" or "Paris FR"
    keeps those of one country (ISO-2 code)."""
    text = _folded(query)[:100]
    if not text:
        return []
    cities = _cities()
    country = None
    match = re.match(r"^(.*?)[,\s]+([a-z]{2})$", text)
    if match and match[1] and (cities.country.str.lower() == match[2]).any():
        text, country = match[1].strip(), match[2].upper()
    pool = cities if country is None else cities[cities.country == country]
    keys = pool.key
    starts = keys.str.startswith(text).to_numpy()
    contains = keys.str.contains(text, regex=False).to_numpy() & ~starts
    order = np.concatenate([np.flatnonzero(starts), np.flatnonzero(contains)])[:limit]
    return [
        Place(str(r.name), float(r.latitude_deg), float(r.longitude_deg), str(r.country), int(r.population))
        for r in pool.iloc[order].itertuples()
    ]


def namesakes(query: str, limit: int = 5) -> list[Place]:
    """The cities named exactly ``query`` (accents and case aside; "Paris, FR" keeps one country's), most populous
    first: more than one says the name is ambiguous."""
    wanted = _folded(re.sub(r"[,\s]+[A-Za-z]{2}$", "", query)) if re.search(r"[,\s][A-Za-z]{2}$", query) else None
    places = find_places(query, limit=50)
    name = wanted if wanted and any(_folded(p.name) == wanted for p in places) else _folded(query)
    return [p for p in places if _folded(p.name) == name][:limit]


def resolve_place(text: str, limit: int = 10) -> list[Place]:
    """What a place box means: the position written (one Place), else the cities matching the name."""
    position = parse_coordinates(text)
    if position is not None:
        lat, lon = position
        return [Place(f"{lat:.4f}, {lon:.4f}", lat, lon)]
    return find_places(text, limit)
