// Keyframes: the worker propagates every object at a few times ("keyframes"); the frames drawn in between are
// interpolated. The chord of a step h in an orbit of radius r at rate w is off the arc by r(wh)^2/8: a third of a
// second of play at 60x (20 s) is half a kilometre at 200 km up; the longest step, 2 min (from 360x), 17 km. A
// paused clock gets its exact frame.

/** Simulated milliseconds between keyframes at a clock speed (x real time): a third of a second of play, 1 s to
 * 2 min. */
export const keyStepMs = (speed) => Math.min(120_000, Math.max(1_000, Math.round(speed * 1000 / 3)));

/** The keyframe times (ms) wanted at clock time t: t itself when paused, else the keyframe at or before t and
 * the two after it in the direction of play. */
export function neededKeys(t, { playing, direction, speed }) {
  if (!playing) return [t];
  const step = keyStepMs(speed), k0 = Math.floor(t / step) * step;
  return direction > 0 ? [k0, k0 + step, k0 + 2 * step] : [k0 + step, k0, k0 - step];
}

/** Drop the frames of a Map (time ms -> frame) that are not in keep, keeping at least `least` frames. */
export function pruneKeys(keys, keep, least = 4) {
  for (const k of [...keys.keys()]) if (!keep.has(k) && keys.size > least) keys.delete(k);
}

/** Positions of n objects at time t (ms) into `out` from the keyframes around t (a Map of time -> frame with
 * lon, lat, alt, ecf (Earth-fixed km) and flags arrays), between the frame at or before t and the one at or after
 * it: the direction along the chord of the two Earth-fixed positions and the radius between theirs (an orbit's arc,
 * not its chord: the chord of a 2-minute step is 17 km inside a low orbit, its direction a kilometre off), the
 * latitude and height from that with the two frames' geodetic corrections interpolated (smooth along a track);
 * flags from the nearer frame; the nearest frame alone where t is outside them. False where there is no frame. */
export function interpolateFrames(keys, t, out, n) {
  let below = null, above = null;
  for (const [k, frame] of keys) {
    if (k <= t && (!below || k > below.time_ms)) below = frame;
    if (k >= t && (!above || k < above.time_ms)) above = frame;
  }
  const a = below || above, b = above || below;
  if (!a) return false;
  const span = b.time_ms - a.time_ms, w = span > 0 ? (t - a.time_ms) / span : 0;
  for (let i = 0; i < n; i++) {
    if (w === 0 || a === b) { copyObject(a, out, i); continue; }
    const j = 3 * i;
    const ax = a.ecf[j], ay = a.ecf[j + 1], az = a.ecf[j + 2], bx = b.ecf[j], by = b.ecf[j + 1], bz = b.ecf[j + 2];
    const ra = Math.hypot(ax, ay, az), rb = Math.hypot(bx, by, bz);
    const x = ax + w * (bx - ax), y = ay + w * (by - ay), z = az + w * (bz - az), chord = Math.hypot(x, y, z);
    const r = ra + w * (rb - ra), scale = r / chord;
    out.ecf[j] = x * scale; out.ecf[j + 1] = y * scale; out.ecf[j + 2] = z * scale;
    // geodetic minus geocentric latitude, and radius minus height, vary slowly along a track: interpolated
    const offsetA = a.lat[i] - Math.asin(az / ra) * DEG_PER_RAD, offsetB = b.lat[i] - Math.asin(bz / rb) * DEG_PER_RAD;
    out.lat[i] = Math.asin(z / chord) * DEG_PER_RAD + offsetA + w * (offsetB - offsetA);
    out.lon[i] = Math.atan2(y, x) * DEG_PER_RAD;
    out.alt[i] = r - ((ra - a.alt[i]) + w * ((rb - b.alt[i]) - (ra - a.alt[i])));
    out.flags[i] = w < 0.5 ? a.flags[i] : b.flags[i];
  }
  out.aged = (w < 0.5 ? a : b).aged || 0;  // objects not drawn: elements too far from the time
  out.time = t;
  out.exact = span === 0 && a.time_ms === t;
  return true;
}
const DEG_PER_RAD = 180 / Math.PI;
function copyObject(frame, out, i) {
  out.lon[i] = frame.lon[i]; out.lat[i] = frame.lat[i]; out.alt[i] = frame.alt[i]; out.flags[i] = frame.flags[i];
  out.ecf[3 * i] = frame.ecf[3 * i]; out.ecf[3 * i + 1] = frame.ecf[3 * i + 1]; out.ecf[3 * i + 2] = frame.ecf[3 * i + 2];
}

/** How far a playing clock may run from t: to the furthest keyframe held within two steps ahead in the direction
 * of play (t itself when none is: the clock waits for the worker rather than run ahead of the positions drawn). */
export function playLimit(keys, t, { direction, speed }) {
  const reach = 2 * keyStepMs(speed);
  let limit = t;
  for (const k of keys.keys()) {
    const ahead = direction > 0 ? k - t : t - k;
    if (ahead > 0 && ahead <= reach && (direction > 0 ? k > limit : k < limit)) limit = k;
  }
  return limit;
}
