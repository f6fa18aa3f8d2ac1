// SGP4 for the whole catalogue, off the page's thread (a module worker): satellite.js (a port of Vallado's
// reference code, the same the service's python-sgp4 wraps) on the element sets the service serves at /api/sky.
//
// Messages in:  {type: "load", line1: [...], line2: [...]}
//               {type: "frame", id, time_ms, max_age_days}  positions of every object at one time: none for
//                 an object whose elements are more than max_age_days from it (the service's rule: SGP4's
//                 error grows by kilometres a day of age), counted in `aged`
//               {type: "track", id, index, start_ms, stop_ms, step_s}   one object's positions over a span
// Messages out: {type: "loaded", count, failed}
//               {type: "frame", id, time_ms, lon, lat, alt, ecf, flags, aged, ms}  (Float32Arrays, transferred;
//               flags: bit 0 valid, bit 1 sunlit)
//               {type: "track", id, index, times, lon, lat, alt, ecf}
import * as satellite from "/vendor/satellite.es.js";
import { sunEquatorial, sunlitCylinder } from "./sun.js";

let satrecs = [];
const DEG = 180 / Math.PI;

function load(line1, line2) {
  satrecs = new Array(line1.length);
  let failed = 0;
  for (let i = 0; i < line1.length; i++) {
    try { satrecs[i] = satellite.twoline2satrec(line1[i], line2[i]); } catch { satrecs[i] = null; }
    if (!satrecs[i] || satrecs[i].error) failed++;
  }
  return failed;
}

function stateAt(satrec, date, gmst) {
  const pv = satellite.propagate(satrec, date);
  const r = pv && pv.position;
  if (!r || !Number.isFinite(r.x)) return null;
  return { eci: r, geo: satellite.eciToGeodetic(r, gmst), ecf: satellite.eciToEcf(r, gmst) };
}

function frame(timeMs, maxAgeDays = Infinity) {
  const n = satrecs.length;
  const jd = timeMs / 86_400_000 + 2440587.5;  // the Julian date of the frame (satellite.js's epochs are JD)
  let aged = 0;
  const lon = new Float32Array(n), lat = new Float32Array(n), alt = new Float32Array(n);
  const ecf = new Float32Array(3 * n), flags = new Uint8Array(n);
  const date = new Date(timeMs);
  const gmst = satellite.gstime(date);
  const sun = sunEquatorial(date).direction;
  for (let i = 0; i < n; i++) {
    const satrec = satrecs[i];
    if (!satrec) continue;
    if (Math.abs(jd - satrec.jdsatepoch) > maxAgeDays) { aged++; continue; }
    const s = stateAt(satrec, date, gmst);
    if (!s) continue;
    lon[i] = s.geo.longitude * DEG; lat[i] = s.geo.latitude * DEG; alt[i] = s.geo.height;
    ecf[3 * i] = s.ecf.x; ecf[3 * i + 1] = s.ecf.y; ecf[3 * i + 2] = s.ecf.z;
    flags[i] = 1 | (sunlitCylinder(s.eci.x, s.eci.y, s.eci.z, sun) ? 2 : 0);
  }
  return { lon, lat, alt, ecf, flags, aged };
}

function track(index, startMs, stopMs, stepS) {
  const satrec = satrecs[index];
  const count = Math.max(2, Math.min(5000, Math.floor((stopMs - startMs) / (stepS * 1000)) + 1));
  const times = new Float64Array(count), lon = new Float32Array(count), lat = new Float32Array(count);
  const alt = new Float32Array(count), ecf = new Float32Array(3 * count);
  for (let k = 0; k < count; k++) {
    const t = startMs + k * stepS * 1000;
    const date = new Date(t);
    times[k] = t;
    const s = satrec ? stateAt(satrec, date, satellite.gstime(date)) : null;
    if (!s) { lon[k] = lat[k] = alt[k] = NaN; continue; }
    lon[k] = s.geo.longitude * DEG; lat[k] = s.geo.latitude * DEG; alt[k] = s.geo.height;
    ecf[3 * k] = s.ecf.x; ecf[3 * k + 1] = s.ecf.y; ecf[3 * k + 2] = s.ecf.z;
  }
  return { times, lon, lat, alt, ecf };
}

self.onmessage = (event) => {
  const m = event.data;
  if (m.type === "load") {
    const failed = load(m.line1, m.line2);
    self.postMessage({ type: "loaded", count: satrecs.length, failed });
  } else if (m.type === "frame") {
    const started = performance.now();
    const f = frame(m.time_ms, m.max_age_days ?? Infinity);
    self.postMessage({ type: "frame", id: m.id, time_ms: m.time_ms, ...f, ms: performance.now() - started },
      [f.lon.buffer, f.lat.buffer, f.alt.buffer, f.ecf.buffer, f.flags.buffer]);
  } else if (m.type === "track") {
    const t = track(m.index, m.start_ms, m.stop_ms, m.step_s);
    self.postMessage({ type: "track", id: m.id, index: m.index, ...t },
      [t.times.buffer, t.lon.buffer, t.lat.buffer, t.alt.buffer, t.ecf.buffer]);
  }
};
