// Unit tests of the dashboard's pure formatting and parsing (Node's test runner: `npm test` in web/).
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  DEG, EARTH_MEAN_RADIUS_KM, footprintDeg, hms, iso, minuteZ, objectDetailLines, parsePlaceParam, parseUtcEntry, qs,
  typeCode,
} from "../../src/overhead/web/static/js/format.js";

test("times are ISO-8601 UTC with a Z, to the second", () => {
  const date = new Date(Date.UTC(2026, 4, 30, 6, 7, 8, 999));
  assert.equal(iso(date), "2026-05-30T06:07:08Z");
  assert.equal(hms(date), "06:07:08");
  assert.equal(minuteZ("2026-05-30T06:07:08.123Z"), "2026-05-30 06:07Z");
});

test("the clock's entry box is read as UTC whatever the machine's zone, and junk is NaN", () => {
  assert.equal(parseUtcEntry("2026-05-30T06:00:00"), Date.UTC(2026, 4, 30, 6, 0, 0));
  assert.equal(parseUtcEntry("2026-05-30 06:00"), Date.UTC(2026, 4, 30, 6, 0, 0));
  for (const junk of ["", "tomorrow", "2026-05-30", "2026-05-30T06:00:00+02:00", "2026-13-40T99:00:00"]) {
    assert.ok(Number.isNaN(parseUtcEntry(junk)), junk);
  }
});

test("a query string leaves out empty fields and escapes the rest", () => {
  assert.equal(qs({ a: 1, b: "", c: null, d: undefined, e: "x y&z", f: 0 }).toString(), "a=1&e=x+y%26z&f=0");
});

test("a place in the address: negative coordinates work, out of range and junk are refused", () => {
  assert.deepEqual(parsePlaceParam("-33.9000,18.4000"), { lat: -33.9, lon: 18.4 });
  assert.deepEqual(parsePlaceParam("78.23,-15.41"), { lat: 78.23, lon: -15.41 });
  assert.deepEqual(parsePlaceParam("-90,180"), { lat: -90, lon: 180 });
  for (const junk of [null, undefined, "", "1", "1,2,3", "91,0", "0,181", "a,b", ",5", "5,", "NaN,1", "Infinity,0"]) {
    assert.equal(parsePlaceParam(junk), null, String(junk));
  }
});

test("SATCAT object types fold to four codes", () => {
  assert.equal(typeCode("PAYLOAD"), "PAY");
  assert.equal(typeCode("ROCKET BODY"), "R/B");
  assert.equal(typeCode("R/B"), "R/B");
  assert.equal(typeCode("debris"), "DEB");
  assert.equal(typeCode("TBA"), "UNK");
  assert.equal(typeCode(""), "");
  assert.equal(typeCode(undefined), "");
});

// the elevation (degrees) of a satellite at altitude h above a ground point at Earth-central angle lambda: the
// satellite on the z axis, the point in the x-z plane, elevation from the local vertical and the line of sight
function elevationDeg(altKm, centralAngleDeg) {
  const r = EARTH_MEAN_RADIUS_KM, lambda = centralAngleDeg * DEG;
  const ground = [r * Math.sin(lambda), 0, r * Math.cos(lambda)];
  const look = [-ground[0], 0, r + altKm - ground[2]];
  const up = ground.map((x) => x / r);
  const along = (look[0] * up[0] + look[2] * up[2]) / Math.hypot(look[0], look[2]);
  return Math.asin(along) / DEG;
}

test("a footprint's edge sees the satellite at the mask elevation", () => {
  for (const [altKm, maskDeg] of [[400, 10], [550, 0], [705, 25], [20_200, 5], [35_786, 10]]) {
    const radius = footprintDeg(altKm, maskDeg);
    assert.ok(radius > 0 && radius < 90);
    assert.ok(Math.abs(elevationDeg(altKm, radius) - maskDeg) < 1e-9, `${altKm} km, ${maskDeg}°`);
  }
  // a higher orbit sees further; a higher mask sees less
  assert.ok(footprintDeg(800) > footprintDeg(400));
  assert.ok(footprintDeg(550, 30) < footprintDeg(550, 10));
});

test("an object's detail reads as lines of text; missing parts are left out", () => {
  const lines = objectDetailLines({ epoch: "2026-05-30T01:02:03Z", regime: "LEO", perigee_km: 412.4, apogee_km: 419.6,
    inclination_deg: 51.64, reentry: null, manoeuvres: [
      { time: "2026-05-01T00:00:00Z", kind: "in-plane raise", delta_v_m_s: 0.5, confidence: 0.7 },
      { time: "2026-05-20T10:30:00Z", kind: "plane change", delta_v_m_s: 1.234, confidence: 0.912 }] });
  assert.deepEqual(lines, ["elements of 2026-05-30 01:02Z · LEO · perigee 412 km, apogee 420 km, 51.6°",
    "2 manoeuvre(s) found; last 2026-05-20 10:30Z: plane change, Δv ≈ 1.2 m/s, confidence 0.91"]);
  assert.deepEqual(objectDetailLines({ error: "not found" }), ["no detail: not found"]);
  assert.deepEqual(objectDetailLines({ manoeuvres: [] }), []);
  const reentry = objectDetailLines({ reentry: { reentry: "2026-06-01T00:00:00Z", window_start: "2026-05-30T00:00:00Z",
    window_end: "2026-06-03T00:00:00Z" } });
  assert.deepEqual(reentry, ["re-entry predicted 2026-06-01 00:00Z (window 2026-05-30 00:00Z to 2026-06-03 00:00Z; drag model)"]);
});
