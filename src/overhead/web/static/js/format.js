// Formatting and parsing with no page behind them (pure functions: Node's test runner checks them, web/test/).
export const MINUTE = 60_000;
export const DEG = Math.PI / 180;
export const EARTH_MEAN_RADIUS_KM = 6371.0088;

/** A date as ISO-8601 UTC to the second: 2026-05-30T12:00:00Z. */
export const iso = (date) => date.toISOString().replace(/\.\d{3}Z$/, "Z");
/** The time of day of a date, UTC: 12:00:00. */
export const hms = (date) => iso(date).slice(11, 19);
/** An ISO-8601 time to the minute, for lists: 2026-05-30 12:00Z. */
export const minuteZ = (text) => `${text.slice(0, 16).replace("T", " ")}Z`;
/** A query string of the fields that have a value (undefined, null and "" are left out). */
export const qs = (fields) => new URLSearchParams(
  Object.entries(fields).filter(([, v]) => v !== undefined && v !== null && v !== ""));

/** The clock's entry box, YYYY-MM-DDTHH:MM:SS read as UTC: milliseconds since 1970, or NaN. */
export function parseUtcEntry(text) {
  const trimmed = String(text).trim().replace(" ", "T");
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(trimmed) ? Date.parse(`${trimmed}Z`) : NaN;
}

/** A place as the page's address keeps it ("lat,lon" in degrees): {lat, lon}, or null where either is not a
 * number or out of range (the address can be edited by hand). */
export function parsePlaceParam(text) {
  if (typeof text !== "string") return null;
  const parts = text.split(",");
  if (parts.length !== 2 || parts.some((p) => !p.trim())) return null;
  const [lat, lon] = parts.map(Number);
  if (!Number.isFinite(lat) || !Number.isFinite(lon) || Math.abs(lat) > 90 || Math.abs(lon) > 180) return null;
  return { lat, lon };
}

/** Angular radius (degrees of arc on the ground) of the area that sees a satellite at altKm above maskDeg. */
export function footprintDeg(altKm, maskDeg = 10) {
  return (Math.acos(EARTH_MEAN_RADIUS_KM * Math.cos(maskDeg * DEG) / (EARTH_MEAN_RADIUS_KM + altKm)) / DEG) - maskDeg;
}

export const TYPE_NAMES = { PAY: "payload", "R/B": "rocket body", DEB: "debris", UNK: "unknown", "": "no SATCAT" };
/** SATCAT's object type (PAYLOAD, ROCKET BODY, DEBRIS, R/B, ...) as one of TYPE_NAMES' keys. */
export function typeCode(objectType) {
  const t = (objectType || "").toUpperCase();
  return t.startsWith("PAY") ? "PAY" : t.startsWith("R") ? "R/B" : t.startsWith("DEB") ? "DEB" : t ? "UNK" : "";
}

/** What the store knows of an object (/api/objects/{id}) as lines of text: elements, re-entry, manoeuvres. */
export function objectDetailLines(detail) {
  if (detail.error) return [`no detail: ${detail.error}`];
  const lines = [];
  if (detail.epoch) {
    lines.push(`elements of ${minuteZ(detail.epoch)} · ${detail.regime} · perigee ${Math.round(detail.perigee_km)} km, ` +
      `apogee ${Math.round(detail.apogee_km)} km, ${detail.inclination_deg.toFixed(1)}°`);
  }
  if (detail.reentry) {
    const r = detail.reentry;
    lines.push(`re-entry predicted ${minuteZ(r.reentry)} (window ${minuteZ(r.window_start)} to ${minuteZ(r.window_end)}; drag model)`);
  }
  const manoeuvres = detail.manoeuvres || [];
  const last = manoeuvres[manoeuvres.length - 1];
  if (last) {
    lines.push(`${manoeuvres.length} manoeuvre(s) found; last ${minuteZ(last.time)}: ${last.kind}, ` +
      `Δv ≈ ${last.delta_v_m_s.toPrecision(2)} m/s, confidence ${last.confidence.toFixed(2)}`);
  }
  return lines;
}
