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
  const pair = w === 0 || a === b ? null : pairTerms(a, b, out, n);
  for (let i = 0; i < n; i++) {
    if (!pair) { copyObject(a, out, i); continue; }
    const j = 3 * i;
    const x = a.ecf[j] + w * (b.ecf[j] - a.ecf[j]), y = a.ecf[j + 1] + w * (b.ecf[j + 1] - a.ecf[j + 1]);
    const z = a.ecf[j + 2] + w * (b.ecf[j + 2] - a.ecf[j + 2]), chord = Math.sqrt(x * x + y * y + z * z);  // not hypot: 3x slower in V8
    const r = pair.radius[i] + w * pair.dRadius[i], scale = r / chord;
    out.ecf[j] = x * scale; out.ecf[j + 1] = y * scale; out.ecf[j + 2] = z * scale;
    out.lat[i] = Math.asin(z / chord) * DEG_PER_RAD + pair.offset[i] + w * pair.dOffset[i];
    out.lon[i] = Math.atan2(y, x) * DEG_PER_RAD;
    out.alt[i] = r - (pair.below[i] + w * pair.dBelow[i]);
    out.flags[i] = w < 0.5 ? a.flags[i] : b.flags[i];
  }
  out.aged = (w < 0.5 ? a : b).aged || 0;  // objects not drawn: elements too far from the time
  out.time = t;
  out.exact = span === 0 && a.time_ms === t;
  return true;
}
const DEG_PER_RAD = 180 / Math.PI;
/** What a pair of keyframes gives every frame between them, computed once a pair (kept on `out`): each object's
 * radius and its change, geodetic minus geocentric latitude and its change, radius minus height and its change. */
function pairTerms(a, b, out, n) {
  const key = `${a.time_ms}|${b.time_ms}|${n}`;
  if (out.pair && out.pair.key === key && out.pair.a === a && out.pair.b === b) return out.pair;
  // the arrays of the previous pair filled again (three pairs a second while playing: new ones were megabytes a
  // second for the garbage collector, which then ran for a second of CPU once the clock paused)
  const old = out.pair && out.pair.radius.length === n ? out.pair : null;
  const make = (name) => (old ? old[name] : new Float64Array(n));
  const pair = { key, a, b, radius: make("radius"), dRadius: make("dRadius"), offset: make("offset"), dOffset: make("dOffset"),
    below: make("below"), dBelow: make("dBelow") };
  for (let i = 0; i < n; i++) {
    const j = 3 * i;
    const ra = Math.hypot(a.ecf[j], a.ecf[j + 1], a.ecf[j + 2]), rb = Math.hypot(b.ecf[j], b.ecf[j + 1], b.ecf[j + 2]);
    const offsetA = a.lat[i] - Math.asin(a.ecf[j + 2] / ra) * DEG_PER_RAD;
    const offsetB = b.lat[i] - Math.asin(b.ecf[j + 2] / rb) * DEG_PER_RAD;
    pair.radius[i] = ra; pair.dRadius[i] = rb - ra;
    pair.offset[i] = offsetA; pair.dOffset[i] = offsetB - offsetA;
    pair.below[i] = ra - a.alt[i]; pair.dBelow[i] = (rb - b.alt[i]) - (ra - a.alt[i]);
  }
  out.pair = pair;
  return pair;
}
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
