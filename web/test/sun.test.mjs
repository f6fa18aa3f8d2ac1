// The page's low-precision Sun against published almanac figures (not against another copy of the formulae).
import assert from "node:assert/strict";
import { test } from "node:test";
import { subsolarPoint, sunEquatorial, sunlitCylinder } from "../../src/overhead/web/static/js/sun.js";

test("the declination at the 2024 equinoxes and solstices (USNO: 03-20 03:06, 06-20 20:51, 09-22 12:44, 12-21 09:20 UTC)", () => {
  const cases = [["2024-03-20T03:06:00Z", 0], ["2024-06-20T20:51:00Z", 23.44], ["2024-09-22T12:44:00Z", 0],
    ["2024-12-21T09:20:00Z", -23.44]];
  for (const [time, declinationDeg] of cases) {
    const [, lat] = subsolarPoint(new Date(time));
    assert.ok(Math.abs(lat - declinationDeg) < 0.02, `${time}: ${lat}`);
  }
});

test("the subsolar longitude follows the equation of time (+16.4 min early in November, -14.2 min mid-February)", () => {
  // the Sun crosses Greenwich 16.4 min before 12:00 UTC on 2024-11-03, so at noon it is 4.1° west of it
  const [lonNov] = subsolarPoint(new Date("2024-11-03T12:00:00Z"));
  assert.ok(Math.abs(lonNov - -16.4 * 0.25) < 0.1, `${lonNov}`);
  const [lonFeb] = subsolarPoint(new Date("2024-02-11T12:00:00Z"));
  assert.ok(Math.abs(lonFeb - 14.2 * 0.25) < 0.1, `${lonFeb}`);
});

test("the Sun's direction is a unit vector, its right ascension and declination agree with it", () => {
  const { ra, dec, direction } = sunEquatorial(new Date("2026-05-30T00:00:00Z"));
  assert.ok(Math.abs(Math.hypot(...direction) - 1) < 1e-12);
  assert.ok(Math.abs(Math.atan2(direction[1], direction[0]) - ra) < 1e-12);
  assert.ok(Math.abs(Math.asin(direction[2]) - dec) < 1e-12);
});

test("the Earth's shadow is a cylinder behind the Earth", () => {
  const sun = [1, 0, 0];
  assert.equal(sunlitCylinder(7000, 0, 0, sun), true);      // between the Earth and the Sun
  assert.equal(sunlitCylinder(-7000, 0, 0, sun), false);    // straight behind
  assert.equal(sunlitCylinder(-7000, 6000, 0, sun), false); // behind, inside the radius
  assert.equal(sunlitCylinder(-7000, 6500, 0, sun), true);  // behind, outside it
  assert.equal(sunlitCylinder(0, 0, 7000, sun), true);      // over the pole at the terminator
});
