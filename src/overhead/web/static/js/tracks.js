// Ground tracks and orbits of selected satellites, split at the clock.

/** A track's samples before and after time t (ms), overlapping by a minute so that the two lines meet, each as
 * point(j) gives it; samples without a position (NaN longitude) are skipped. */
export function trackParts(track, t, point) {
  const past = [], future = [];
  for (let j = 0; j < track.times.length; j++) {
    if (!Number.isFinite(track.lon[j])) continue;
    if (track.times[j] <= t) past.push(point(j));
    if (track.times[j] >= t - 60_000) future.push(point(j));
  }
  return { past, future };
}

/** Minutes of one revolution from the mean motion (revolutions a day); 15 where it is unknown. */
export const orbitMinutes = (meanMotionRevPerDay) => 1440 / (meanMotionRevPerDay || 15);
