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
 * lon, lat, alt, ecf and flags arrays): linear between the frame at or before t and the one at or after it,
 * longitudes across the antimeridian the short way, flags from the nearer frame; the nearest frame alone where t
 * is outside them. False where there is no frame at all. */
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
    let dlon = b.lon[i] - a.lon[i];
    if (dlon > 180) dlon -= 360; else if (dlon < -180) dlon += 360;
    let lon = a.lon[i] + w * dlon;
    if (lon > 180) lon -= 360; else if (lon < -180) lon += 360;
    out.lon[i] = lon;
    out.lat[i] = a.lat[i] + w * (b.lat[i] - a.lat[i]);
    out.alt[i] = a.alt[i] + w * (b.alt[i] - a.alt[i]);
    out.flags[i] = w < 0.5 ? a.flags[i] : b.flags[i];
  }
  for (let j = 0; j < 3 * n; j++) out.ecf[j] = a.ecf[j] + w * (b.ecf[j] - a.ecf[j]);
  out.aged = (w < 0.5 ? a : b).aged || 0;  // objects not drawn: elements too far from the time
  out.time = t;
  out.exact = span === 0 && a.time_ms === t;
  return true;
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
