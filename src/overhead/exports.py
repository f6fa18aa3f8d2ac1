"""Exchange formats for propagated states: CZML (Cesium), KML, GeoJSON ground tracks and footprints, CCSDS OEM,
STK ephemeris (``.e``) and SP3-d.

Each writer takes the :class:`xarray.Dataset` of :meth:`Catalog.propagate` (or ``DesignedOrbits.propagate``) in
the frame the format needs and returns text or a GeoJSON mapping. Times are UTC; CZML and OEM carry them as
ISO-8601 with ``Z``.
"""

from __future__ import annotations

import math
from xml.sax.saxutils import escape

import numpy as np
import xarray as xr
from shapely import affinity
from shapely.geometry import MultiPolygon, Polygon, box, mapping
from shapely.geometry.polygon import orient
from shapely.ops import unary_union

from overhead.errors import OverheadError
from overhead.geometry.sensors import footprint_central_angle_rad
from overhead.orbits.timescales import format_iso

__all__ = [
    "czml_document",
    "footprints_geojson",
    "ground_tracks_geojson",
    "kml_document",
    "oem_document",
    "ring_geometry",
    "sp3_document",
    "split_at_antimeridian",
    "stk_ephemeris",
]


def _require(ds: xr.Dataset, frame: str, writer: str) -> None:
    if ds.attrs.get("frame") != frame:
        raise OverheadError(
            f"{writer} needs states in the {frame!r} frame, got {ds.attrs.get('frame')!r}: "
            f"propagate with frame={frame!r}"
        )


def _seconds_since(times: np.ndarray, t0: np.datetime64) -> np.ndarray:
    return (times - t0) / np.timedelta64(1, "ns") / 1e9


def _valid(ds: xr.Dataset, index: int) -> np.ndarray:
    return np.asarray(ds.error.values[index] == 0)


def split_at_antimeridian(lon_deg: np.ndarray, lat_deg: np.ndarray) -> list[list[list[float]]]:
    """A track as line parts that never jump across ±180° longitude (each part: [[lon, lat], ...]).

    Where the track crosses the antimeridian, the crossing point (where the great circle through the two samples
    either side meets the 180° meridian) ends one part at ±180° and starts the next at ∓180°: no gap there.
    """
    keep = np.isfinite(lon_deg) & np.isfinite(lat_deg)
    lon, lat = lon_deg[keep], lat_deg[keep]
    if len(lon) == 0:
        return []
    jumps = np.flatnonzero(np.abs(np.diff(lon)) > 180.0)  # the crossing lies between jumps[k] and jumps[k] + 1
    side = np.sign(lon[jumps])  # the side of ±180° the track leaves from
    lat_cross = _antimeridian_latitude(lon[jumps], lat[jumps], lon[jumps + 1], lat[jumps + 1])
    parts = []
    starts, stops = np.r_[0, jumps + 1], np.r_[jumps + 1, len(lon)]
    for k, (a, b) in enumerate(zip(starts, stops, strict=True)):
        part = np.column_stack([lon[a:b], lat[a:b]])
        if k > 0:  # enters from the other side of the antimeridian
            part = np.vstack([[-180.0 * side[k - 1], lat_cross[k - 1]], part])
        if k < len(jumps):
            part = np.vstack([part, [180.0 * side[k], lat_cross[k]]])
        if len(part) >= 2:
            parts.append(np.round(part, 5).tolist())
    return parts


def _antimeridian_latitude(lon_a, lat_a, lon_b, lat_b) -> np.ndarray:
    """Latitude (deg) where the great circle from A to B (either side of 180°) crosses the 180° meridian."""

    def unit(lon, lat):
        lon, lat = np.radians(lon), np.radians(lat)
        return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], -1)

    normal = np.cross(unit(lon_a, lat_a), unit(lon_b, lat_b))
    crossing = np.cross(normal, [0.0, 1.0, 0.0])  # in the plane y = 0 of the 0° and 180° meridians
    crossing = np.where(crossing[..., :1] > 0, -crossing, crossing)  # on the 180° side (x < 0)
    norm = np.linalg.norm(crossing, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        lat = np.degrees(np.arcsin(np.clip(crossing[..., 2] / norm, -1.0, 1.0)))
    return np.where(norm > 0, lat, (np.asarray(lat_a) + np.asarray(lat_b)) / 2)


def ring_geometry(ring_lon_lat: np.ndarray) -> dict:
    """A GeoJSON (Multi)Polygon of a ring given as (lon, lat) degrees, correct on the sphere's seams (RFC 7946).

    A ring crossing the antimeridian is cut there into pieces within [-180°, 180°]; a ring going once round a
    pole (a polar cap or a pole's H3 cell) is closed along the pole (its polygon reaches ±90°). Exterior rings are
    counter-clockwise.
    """
    ring = np.asarray(ring_lon_lat, dtype=float)
    if not np.array_equal(ring[0], ring[-1]):
        ring = np.vstack([ring, ring[:1]])
    lon = np.degrees(np.unwrap(np.radians(ring[:, 0])))
    ring = np.column_stack([lon, ring[:, 1]])
    winding = lon[-1] - lon[0]
    if abs(winding) < 180.0 and lon.min() >= -180.0 and lon.max() <= 180.0:  # the common case: no seam
        shape = orient(Polygon(ring), 1.0)
        return mapping(shape)
    if abs(winding) >= 180.0:  # once round the pole: close the ring along the pole's parallel
        pole = math.copysign(90.0, float(np.mean(ring[:, 1])))
        ring = np.vstack([ring, [[lon[-1], pole], [lon[0], pole]]])
    shape = Polygon(ring).buffer(0)
    # the unwrapped ring may reach past ±180°: cut it into the three 360° windows and bring each piece home
    pieces = [affinity.translate(shape.intersection(box(-180 + k, -90, 180 + k, 90)), xoff=-k) for k in (-360, 0, 360)]
    geometry = unary_union([p for p in pieces if not p.is_empty])
    polygons = list(geometry.geoms) if geometry.geom_type == "MultiPolygon" else [geometry]
    # a cap stays one polygon from -180° to 180° closed along its pole (RFC 7946 5.3; halves sharing the 0°
    # meridian would be an invalid MultiPolygon)
    polygons = [orient(p, 1.0) for p in polygons if p.geom_type == "Polygon" and not p.is_empty]
    return mapping(polygons[0] if len(polygons) == 1 else MultiPolygon(polygons))


def ground_tracks_geojson(ds: xr.Dataset) -> dict:
    """One MultiLineString feature per satellite, split at the antimeridian (RFC 7946)."""
    _require(ds, "geodetic", "ground tracks")
    times = ds.time.values
    features = []
    for i, (norad_id, name) in enumerate(zip(ds.norad_id.values, ds.name.values, strict=True)):
        ok = _valid(ds, i)
        lon, lat = ds.lon_deg.values[i][ok], ds.lat_deg.values[i][ok]
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "MultiLineString", "coordinates": split_at_antimeridian(lon, lat)},
                "properties": {
                    "norad_id": int(norad_id),
                    "name": str(name),
                    "start": str(format_iso(times[0], digits=0)),
                    "stop": str(format_iso(times[-1], digits=0)),
                    "points": int(ok.sum()),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def footprint_ring(lat_deg: float, lon_deg: float, radius_rad: float, n: int = 72) -> np.ndarray:
    """The small circle of angular radius ``radius_rad`` around a point, counter-clockwise, as (lon, lat) deg."""
    phi, lam = math.radians(lat_deg), math.radians(lon_deg)
    bearing = np.linspace(2 * np.pi, 0, n + 1)  # decreasing bearing = counter-clockwise seen from above
    lat2 = np.arcsin(np.sin(phi) * np.cos(radius_rad) + np.cos(phi) * np.sin(radius_rad) * np.cos(bearing))
    lon2 = lam + np.arctan2(
        np.sin(bearing) * np.sin(radius_rad) * np.cos(phi), np.cos(radius_rad) - np.sin(phi) * np.sin(lat2)
    )
    return np.column_stack([np.degrees(lon2), np.degrees(lat2)])


def _footprint_geometry(lat_deg: float, lon_deg: float, radius_rad: float) -> dict:
    """A footprint as a (Multi)Polygon cut at the antimeridian; a polar cap reaches its pole."""
    return ring_geometry(footprint_ring(lat_deg, lon_deg, radius_rad))


def footprints_geojson(
    ds: xr.Dataset, *, min_elevation_deg: float = 0.0, max_off_nadir_deg: float | None = None
) -> dict:
    """Sensor footprints (the ground a sensor can reach under the constraints) of each satellite at each time.

    The footprint is the small circle of the Earth-central angle the constraints allow (Wertz, SMAD eqs.
    5-25..5-28, on a sphere of the local Earth radius), cut at the antimeridian.
    """
    _require(ds, "geodetic", "footprints")
    features = []
    for i, (norad_id, name) in enumerate(zip(ds.norad_id.values, ds.name.values, strict=True)):
        for j, t in enumerate(ds.time.values):
            if ds.error.values[i, j] != 0:
                continue
            angle = float(
                footprint_central_angle_rad(
                    ds.alt_km.values[i, j],
                    ds.lat_deg.values[i, j],
                    min_elevation_deg=min_elevation_deg,
                    max_off_nadir_deg=max_off_nadir_deg,
                )
            )
            features.append(
                {
                    "type": "Feature",
                    "geometry": _footprint_geometry(
                        float(ds.lat_deg.values[i, j]), float(ds.lon_deg.values[i, j]), max(angle, 1e-6)
                    ),
                    "properties": {
                        "norad_id": int(norad_id),
                        "name": str(name),
                        "time": str(format_iso(t, digits=0)),
                        "central_angle_deg": round(math.degrees(angle), 4),
                    },
                }
            )
    return {"type": "FeatureCollection", "features": features}


def czml_document(ds: xr.Dataset, *, name: str = "overhead") -> list[dict]:
    """A CZML document: each satellite's ITRF positions (metres, Cesium's FIXED frame) with its path and label."""
    _require(ds, "itrf", "CZML")
    times = ds.time.values
    t0, t1 = times[0], times[-1]
    interval = f"{format_iso(t0, digits=3)}/{format_iso(t1, digits=3)}"
    packets: list[dict] = [
        {
            "id": "document",
            "name": name,
            "version": "1.0",
            "clock": {
                "interval": interval,
                "currentTime": str(format_iso(t0, digits=3)),
                "multiplier": 60,
                "range": "LOOP_STOP",
                "step": "SYSTEM_CLOCK_MULTIPLIER",
            },
        }
    ]
    offsets = _seconds_since(times, t0)
    for i, (norad_id, label) in enumerate(zip(ds.norad_id.values, ds.name.values, strict=True)):
        ok = _valid(ds, i)
        if ok.sum() < 2:
            continue
        xyz_m = np.column_stack([ds.x_km.values[i], ds.y_km.values[i], ds.z_km.values[i]])[ok] * 1000.0
        samples = np.column_stack([offsets[ok], np.round(xyz_m, 1)]).ravel().tolist()
        packets.append(
            {
                "id": f"satellite/{int(norad_id)}",
                "name": str(label),
                "availability": f"{format_iso(times[ok][0], digits=3)}/{format_iso(times[ok][-1], digits=3)}",
                "description": f"NORAD {int(norad_id)}",
                "label": {
                    "text": str(label),
                    "font": "11pt sans-serif",
                    "pixelOffset": {"cartesian2": [12, 0]},
                    "horizontalOrigin": "LEFT",
                    "fillColor": {"rgba": [255, 255, 255, 230]},
                },
                "point": {"pixelSize": 6, "color": {"rgba": [255, 200, 40, 255]}},
                "path": {
                    "width": 1,
                    "leadTime": 0,
                    "trailTime": 3000,
                    "resolution": 60,
                    "material": {"solidColor": {"color": {"rgba": [255, 200, 40, 160]}}},
                },
                "position": {
                    "epoch": str(format_iso(t0, digits=3)),
                    "referenceFrame": "FIXED",
                    "interpolationAlgorithm": "LAGRANGE",
                    "interpolationDegree": 5,
                    "cartesian": samples,
                },
            }
        )
    return packets


def kml_document(ds: xr.Dataset, *, name: str = "overhead ground tracks") -> str:
    """KML 2.2: one folder per satellite holding its ground track (cut at the antimeridian) and a ``gx:Track`` of
    its positions with their times (Google Earth's time slider animates it; altitudes absolute, metres)."""
    _require(ds, "geodetic", "KML")
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<kml xmlns="http://www.opengis.net/kml/2.2" xmlns:gx="http://www.google.com/kml/ext/2.2">',
        f"<Document><name>{escape(name)}</name>",
        '<Style id="track"><LineStyle><color>ff28c8ff</color><width>1.5</width></LineStyle></Style>',
    ]
    times = ds.time.values
    stamps = np.asarray(format_iso(times, digits=3), dtype=object)
    for i, (norad_id, label) in enumerate(zip(ds.norad_id.values, ds.name.values, strict=True)):
        ok = _valid(ds, i)
        lon, lat, alt = ds.lon_deg.values[i][ok], ds.lat_deg.values[i][ok], ds.alt_km.values[i][ok]
        out.append(f"<Folder><name>{escape(str(label))} ({int(norad_id)})</name>")
        lines = "".join(
            "<LineString><tessellate>1</tessellate><coordinates>"
            + " ".join(f"{x:.5f},{y:.5f},0" for x, y in part)
            + "</coordinates></LineString>"
            for part in split_at_antimeridian(lon, lat)
        )
        out.append(
            f"<Placemark><name>ground track</name><styleUrl>#track</styleUrl>"
            f"<MultiGeometry>{lines}</MultiGeometry></Placemark>"
        )
        if len(lon):
            whens = "".join(f"<when>{t}</when>" for t in stamps[ok])
            coords = "".join(
                f"<gx:coord>{x:.5f} {y:.5f} {z * 1000:.0f}</gx:coord>" for x, y, z in zip(lon, lat, alt, strict=True)
            )
            out.append(
                f"<Placemark><name>{escape(str(label))}</name><gx:Track><altitudeMode>absolute"
                f"</altitudeMode>{whens}{coords}</gx:Track></Placemark>"
            )
        out.append("</Folder>")
    out.append("</Document></kml>")
    return "\n".join(out)


def oem_document(ds: xr.Dataset, *, originator: str = "overhead") -> str:
    """CCSDS Orbit Ephemeris Message 2.0 (KVN), one segment per satellite, km and km/s, UTC.

    TEME states are written with ``REF_FRAME = TEME`` (SGP4's own frame), ITRF ones with ``ITRF``. ``OBJECT_ID``
    is the international designator (``1998-067A``) as the standard asks, the NORAD number where there is none
    (designed orbits).
    """
    frame = ds.attrs.get("frame")
    if frame not in ("teme", "itrf"):
        raise OverheadError(f"OEM needs Cartesian states (frame 'teme' or 'itrf'), got {frame!r}")
    created = format_iso(np.datetime64("now", "ms"), digits=3)
    out = ["CCSDS_OEM_VERS = 2.0", f"CREATION_DATE = {str(created).rstrip('Z')}", f"ORIGINATOR = {originator}", ""]
    times = ds.time.values
    stamps = [str(s).rstrip("Z") for s in format_iso(times, digits=6)]
    object_ids = ds.object_id.values if "object_id" in ds.coords else [""] * ds.sizes["satellite"]
    for i, (norad_id, label) in enumerate(zip(ds.norad_id.values, ds.name.values, strict=True)):
        ok = _valid(ds, i)
        if not ok.any():
            continue
        index = np.flatnonzero(ok)
        out += [
            "META_START",
            f"COMMENT NORAD_CAT_ID = {int(norad_id)}",
            f"OBJECT_NAME = {label}",
            f"OBJECT_ID = {object_ids[i] or int(norad_id)}",
            "CENTER_NAME = EARTH",
            f"REF_FRAME = {frame.upper()}",
            "TIME_SYSTEM = UTC",
            f"START_TIME = {stamps[index[0]]}",
            f"STOP_TIME = {stamps[index[-1]]}",
            "META_STOP",
            "",
        ]
        values = np.column_stack([ds[v].values[i] for v in STATE_VARIABLES])
        out += [
            f"{stamps[j]} " + " ".join(f"{v:.6f}" if k < 3 else f"{v:.9f}" for k, v in enumerate(values[j]))
            for j in index
        ]
        out.append("")
    return "\n".join(out)


STK_FRAMES = {"teme": "TEMEOfDate", "itrf": "Fixed"}


def stk_ephemeris(ds: xr.Dataset, index: int = 0) -> str:
    """An STK ephemeris file (``.e``, version 11) of one satellite: ``EphemerisTimePosVel`` in metres and m/s
    (to the millimetre and the micrometre per second) from the first time, UTC, TEME (``TEMEOfDate``) or ITRF
    (``Fixed``); Lagrange interpolation of order 7 over the samples. Failed SGP4 states are left out."""
    frame = ds.attrs.get("frame")
    if frame not in STK_FRAMES:
        raise OverheadError(f"an STK ephemeris needs Cartesian states (frame 'teme' or 'itrf'), got {frame!r}")
    ok = _valid(ds, index)
    if ok.sum() < 2:
        raise OverheadError(f"satellite {int(ds.norad_id.values[index])} has fewer than two valid states in the span")
    times = ds.time.values[ok]
    epoch = times[0].astype("datetime64[us]").item()
    offsets = _seconds_since(times, times[0])
    states = np.column_stack([ds[v].values[index][ok] for v in STATE_VARIABLES]) * 1000.0
    rows = [
        f"{t:.6f} " + " ".join(f"{v:.3f}" if k < 3 else f"{v:.6f}" for k, v in enumerate(row))
        for t, row in zip(offsets, states, strict=True)
    ]
    header = [
        "stk.v.11.0",
        "",
        f"# {ds.name.values[index]} (NORAD {int(ds.norad_id.values[index])}), SGP4 states written by overhead",
        "BEGIN Ephemeris",
        "",
        f"NumberOfEphemerisPoints {len(rows)}",
        f"ScenarioEpoch {epoch.strftime('%d %b %Y %H:%M:%S.%f')}",
        "InterpolationMethod Lagrange",
        "InterpolationSamplesM1 7",
        "CentralBody Earth",
        f"CoordinateSystem {STK_FRAMES[frame]}",
        "DistanceUnit Meters",
        "",
        "EphemerisTimePosVel",
        "",
    ]
    return "\n".join([*header, *rows, "", "END Ephemeris", ""])


STATE_VARIABLES = ("x_km", "y_km", "z_km", "vx_km_s", "vy_km_s", "vz_km_s")
SP3_MAX_SATELLITES = 99  # SP3-d numbers a system's satellites with two digits: L01..L99
SP3_BAD_CLOCK = 999999.999999  # SP3's "no clock value"


def sp3_document(ds: xr.Dataset, *, agency: str = "OVHD") -> str:
    """An SP3-d orbit file (positions km, velocities dm/s, ITRF, UTC) of up to 99 satellites, numbered L01.. as
    LEO satellites with their NORAD numbers and names in the comments; no clocks (999999.999999). A failed SGP4
    state is written as SP3's missing position (0.000000)."""
    _require(ds, "itrf", "SP3")
    n_sat = ds.sizes["satellite"]
    if n_sat > SP3_MAX_SATELLITES:
        raise OverheadError(
            f"SP3 numbers at most {SP3_MAX_SATELLITES} satellites of one system; {n_sat} were "
            f"given: write several files"
        )
    times = ds.time.values
    if len(times) < 2:
        raise OverheadError("SP3 needs at least two epochs")
    step_s = float(_seconds_since(times[1:2], times[0])[0])
    ids = [f"L{k + 1:02d}" for k in range(n_sat)]
    start = times[0].astype("datetime64[us]").item()
    gps_days = (times[0] - np.datetime64("1980-01-06", "ns")) / np.timedelta64(1, "D")
    mjd = (times[0] - np.datetime64("1858-11-17", "ns")) / np.timedelta64(1, "D")
    lines = [
        f"#dV{_sp3_time(start)} {len(times):7d} ORBIT  ITRF FIT {agency:>4.4s}",
        f"## {int(gps_days // 7):4d} {(gps_days % 7) * 86_400:15.8f} {step_s:14.8f} {int(mjd):5d} "
        f"{mjd - int(mjd):15.13f}",
    ]
    slots = max(5, -(-n_sat // 17)) * 17
    padded = ids + ["  0"] * (slots - n_sat)
    for k in range(0, slots, 17):
        lines.append((f"+  {n_sat:3d}   " if k == 0 else "+        ") + "".join(padded[k : k + 17]))
    for _ in range(0, slots, 17):
        lines.append("++       " + "  0" * 17)
    lines += [
        "%c L  cc UTC ccc cccc cccc cccc cccc ccccc ccccc ccccc ccccc",
        "%c cc cc ccc ccc cccc cccc cccc cccc ccccc ccccc ccccc ccccc",
        "%f  1.2500000  1.025000000  0.00000000000  0.000000000000000",
        "%f  0.0000000  0.000000000  0.00000000000  0.000000000000000",
        "%i    0    0    0    0      0      0      0      0         0",
        "%i    0    0    0    0      0      0      0      0         0",
        "/* overhead: SGP4 states in ITRF (IERS 2010), times UTC",
    ]
    lines += [
        f"/* {sat} NORAD {int(n)} {str(name)[:50]}"
        for sat, n, name in zip(ids, ds.norad_id.values, ds.name.values, strict=True)
    ]
    position = np.stack([ds[v].values for v in STATE_VARIABLES[:3]], -1)
    velocity_dm_s = np.stack([ds[v].values for v in STATE_VARIABLES[3:]], -1) * 1e4
    good = ds.error.values == 0
    for j, t in enumerate(times):
        lines.append(f"*  {_sp3_time(t.astype('datetime64[us]').item())}")
        for i, sat in enumerate(ids):
            p = position[i, j] if good[i, j] else np.zeros(3)
            v = velocity_dm_s[i, j] if good[i, j] else np.zeros(3)
            lines.append(f"P{sat}{p[0]:14.6f}{p[1]:14.6f}{p[2]:14.6f}{SP3_BAD_CLOCK:14.6f}")
            lines.append(f"V{sat}{v[0]:14.6f}{v[1]:14.6f}{v[2]:14.6f}{SP3_BAD_CLOCK:14.6f}")
    lines.append("EOF")
    return "\n".join(lines) + "\n"


def _sp3_time(t) -> str:
    """SP3's epoch fields: year, month, day, hour, minute (I2 each after the year), seconds F11.8."""
    seconds = t.second + t.microsecond / 1e6
    return f"{t.year:4d} {t.month:2d} {t.day:2d} {t.hour:2d} {t.minute:2d} {seconds:11.8f}"
