// The split of a ground track at the clock (tracks.js): what is drawn as past and as future.
import assert from "node:assert/strict";
import { test } from "node:test";
import { orbitMinutes, trackParts } from "../../src/overhead/web/static/js/tracks.js";

const minute = 60_000;
// a track sampled every minute for ten minutes, one sample without a position (SGP4 failed there)
const track = {
  times: Array.from({ length: 11 }, (_, j) => j * minute),
  lon: [0, 1, 2, NaN, 4, 5, 6, 7, 8, 9, 10],
};
const index = (j) => j;

test("a track is split at the clock, the two parts sharing the last minute so that the lines meet", () => {
  const { past, future } = trackParts(track, 5.5 * minute, index);
  assert.deepEqual(past, [0, 1, 2, 4, 5]);
  assert.deepEqual(future, [5, 6, 7, 8, 9, 10]);
});

test("samples without a position are in neither part", () => {
  const { past, future } = trackParts(track, 3 * minute, index);
  assert.ok(!past.includes(3) && !future.includes(3));
  assert.deepEqual(past, [0, 1, 2]);
  assert.deepEqual(future, [2, 4, 5, 6, 7, 8, 9, 10]);
});

test("a clock before or after the whole track leaves one part empty", () => {
  assert.deepEqual(trackParts(track, -2 * minute, index).past, []);
  assert.deepEqual(trackParts(track, 20 * minute, index).future, []);
  assert.equal(trackParts(track, 20 * minute, index).past.length, 10);
});

test("one revolution lasts 1440 / mean motion minutes, 96 min for the ISS-like 15 rev/day", () => {
  assert.equal(orbitMinutes(15), 96);
  assert.equal(orbitMinutes(1.0027), 1440 / 1.0027); // geostationary: a sidereal day
  assert.equal(orbitMinutes(undefined), 96);
});
