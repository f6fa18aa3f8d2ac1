// Keyframe pacing and interpolation, and track splitting.
import assert from "node:assert/strict";
import { test } from "node:test";
import { interpolateFrames, keyStepMs, neededKeys, playLimit, pruneKeys } from "../../src/overhead/web/static/js/keyframes.js";
import { orbitMinutes, trackParts } from "../../src/overhead/web/static/js/tracks.js";

function frameOf(timeMs, lon, lat, alt, flags) {
  const n = lon.length, ecf = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) { ecf[3 * i] = lon[i]; ecf[3 * i + 1] = lat[i]; ecf[3 * i + 2] = alt[i]; }
  return { time_ms: timeMs, lon: Float32Array.from(lon), lat: Float32Array.from(lat), alt: Float32Array.from(alt), ecf,
    flags: Uint8Array.from(flags) };
}
const empty = (n) => ({ lon: new Float32Array(n), lat: new Float32Array(n), alt: new Float32Array(n),
  ecf: new Float32Array(3 * n), flags: new Uint8Array(n) });

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

test("between two frames a linear motion is reproduced, across the antimeridian the short way", () => {
  const keys = new Map([[0, frameOf(0, [179, 10], [10, -20], [400, 500], [3, 1])],
    [10_000, frameOf(10_000, [-179, 20], [20, -10], [420, 520], [1, 1])]]);
  const out = empty(2);
  assert.equal(interpolateFrames(keys, 2_500, out, 2), true);
  assert.ok(Math.abs(out.lon[0] - 179.5) < 1e-4 && Math.abs(out.lon[1] - 12.5) < 1e-4);
  assert.ok(Math.abs(out.lat[0] - 12.5) < 1e-4 && Math.abs(out.alt[1] - 505) < 1e-3);
  assert.equal(out.flags[0], 3);  // the nearer frame's flags
  interpolateFrames(keys, 5_000, out, 2);
  assert.ok(Math.abs(Math.abs(out.lon[0]) - 180) < 1e-4);
  interpolateFrames(keys, 7_500, out, 2);
  assert.ok(Math.abs(out.lon[0] - -179.5) < 1e-4);
  assert.equal(out.flags[0], 1);
  assert.equal(out.exact, false);
  interpolateFrames(keys, 10_000, out, 2);
  assert.equal(out.exact, true);
  assert.ok(Math.abs(out.ecf[3] - 20) < 1e-4);
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
