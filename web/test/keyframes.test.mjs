// Keyframe pacing and interpolation, and track splitting.
import assert from "node:assert/strict";
import { test } from "node:test";
import { interpolateFrames, keyStepMs, neededKeys, playLimit, pruneKeys } from "../../src/overhead/web/static/js/keyframes.js";
import { orbitMinutes, trackParts } from "../../src/overhead/web/static/js/tracks.js";

// frames of objects on a sphere of 6,371 km (geodetic = geocentric there): Earth-fixed positions that agree
// with their latitude, longitude and height, as the worker's do
function frameOf(timeMs, lon, lat, alt, flags) {
  const n = lon.length, ecf = new Float64Array(3 * n), rad = Math.PI / 180;
  for (let i = 0; i < n; i++) {
    const r = 6371 + alt[i];
    ecf[3 * i] = r * Math.cos(lat[i] * rad) * Math.cos(lon[i] * rad);
    ecf[3 * i + 1] = r * Math.cos(lat[i] * rad) * Math.sin(lon[i] * rad);
    ecf[3 * i + 2] = r * Math.sin(lat[i] * rad);
  }
  return { time_ms: timeMs, lon: Float64Array.from(lon), lat: Float64Array.from(lat), alt: Float64Array.from(alt), ecf,
    flags: Uint8Array.from(flags) };
}
const empty = (n) => ({ lon: new Float64Array(n), lat: new Float64Array(n), alt: new Float64Array(n),
  ecf: new Float64Array(3 * n), flags: new Uint8Array(n) });

test("keyframes are 0.5 s of play apart, between 1 s and 2 min of simulated time", () => {
  assert.equal(keyStepMs(1), 1_000);
  assert.equal(keyStepMs(60), 20_000);
  assert.equal(keyStepMs(1000), 120_000);
});

test("a paused clock asks for its exact time; a playing one for the frame before and two ahead", () => {
  assert.deepEqual(neededKeys(12_345, { playing: false, direction: 1, speed: 60 }), [12_345]);
  assert.deepEqual(neededKeys(45_000, { playing: true, direction: 1, speed: 60 }), [40_000, 60_000, 80_000]);
  assert.deepEqual(neededKeys(45_000, { playing: true, direction: -1, speed: 60 }), [60_000, 40_000, 20_000]);
});

test("between two frames an orbit's arc is followed, across the antimeridian the short way", () => {
  // a satellite 500 km up on the equator, crossing the antimeridian: 7.2° in two minutes (1000x keyframes)
  const keys = new Map([[0, frameOf(0, [176.4, 10], [0, -20], [500, 500], [3, 1])],
    [120_000, frameOf(120_000, [-176.4, 10], [0, -12.8], [500, 500], [1, 1])]]);
  const out = empty(2);
  assert.equal(interpolateFrames(keys, 30_000, out, 2), true);
  assert.ok(Math.abs(out.lon[0] - 178.2) < 0.01, out.lon[0]);  // within a kilometre of uniform motion
  assert.ok(Math.abs(out.alt[0] - 500) < 1e-6 && Math.abs(out.alt[1] - 500) < 1e-6);  // on the arc, not the chord
  assert.ok(Math.abs(out.lat[1] - -18.2) < 0.01, out.lat[1]);  // within 1 km of uniform motion
  assert.equal(out.flags[0], 3);  // the nearer frame's flags
  interpolateFrames(keys, 60_000, out, 2);
  assert.ok(Math.abs(Math.abs(out.lon[0]) - 180) < 1e-6);
  assert.ok(Math.abs(out.lat[1] - -16.4) < 1e-6);  // the middle of a great-circle arc exactly
  interpolateFrames(keys, 90_000, out, 2);
  assert.ok(Math.abs(out.lon[0] - -178.2) < 0.01);
  assert.equal(out.flags[0], 1);
  assert.equal(out.exact, false);
  interpolateFrames(keys, 120_000, out, 2);
  assert.equal(out.exact, true);
  assert.ok(Math.abs(out.lat[1] - -12.8) < 1e-9);
});

test("outside the frames the nearest one is drawn; with none there is nothing to draw", () => {
  const keys = new Map([[0, frameOf(0, [5], [6], [7], [1])]]);
  const out = empty(1);
  assert.equal(interpolateFrames(keys, 99_000, out, 1), true);
  assert.equal(out.lon[0], 5);
  assert.equal(interpolateFrames(new Map(), 0, out, 1), false);
});

test("old keyframes are dropped, keeping the wanted ones and at least four", () => {
  const keys = new Map([1, 2, 3, 4, 5, 6].map((k) => [k, {}]));
  pruneKeys(keys, new Set([5, 6]));
  assert.deepEqual([...keys.keys()].sort(), [3, 4, 5, 6]);
});

test("a track splits at the clock with a minute of overlap; samples without a position are skipped", () => {
  const track = { times: [0, 60_000, 120_000, 180_000, 240_000], lon: [0, 1, NaN, 3, 4] };
  const { past, future } = trackParts(track, 150_000, (j) => j);
  assert.deepEqual(past, [0, 1]);
  assert.deepEqual(future, [3, 4]);
  const { past: p2, future: f2 } = trackParts(track, 180_000, (j) => j);
  assert.deepEqual(p2, [0, 1, 3]);
  assert.deepEqual(f2, [3, 4]);
  assert.ok(Math.abs(orbitMinutes(15.5) - 92.903) < 1e-3);
  assert.equal(orbitMinutes(0), 96);
});

test("the objects hidden for the age of their elements are counted as the nearer frame counts them", () => {
  const keys = new Map([[0, { ...frameOf(0, [1, 2], [0, 0], [0, 0], [1, 0]), aged: 1 }],
    [10_000, { ...frameOf(10_000, [1, 2], [0, 0], [0, 0], [0, 0]), aged: 2 }]]);
  const out = empty(2);
  interpolateFrames(keys, 2_000, out, 2);
  assert.equal(out.aged, 1);
  interpolateFrames(keys, 8_000, out, 2);
  assert.equal(out.aged, 2);
  assert.equal(out.flags[0], 0);  // not drawn
  interpolateFrames(new Map([[0, frameOf(0, [1], [0], [0], [1])]]), 0, out, 1);  // a frame from before the count
  assert.equal(out.aged, 0);
});

test("a playing clock runs to the furthest keyframe held ahead, never past it", () => {
  const keys = new Map([[30_000, {}], [60_000, {}], [80_000, {}], [900_000, {}]]);
  const forward = { direction: 1, speed: 60 };  // 20 s steps: keys up to 40 s ahead count
  assert.equal(playLimit(keys, 45_000, forward), 80_000);
  assert.equal(playLimit(keys, 85_000, forward), 85_000);  // none ahead: the clock waits
  assert.equal(playLimit(new Map([[900_000, {}]]), 45_000, forward), 45_000);  // a stale far key is no licence
  assert.equal(playLimit(keys, 70_000, { direction: -1, speed: 60 }), 30_000);  // 40 s back: within two steps
});
