// The Sun's position, low precision (the Astronomical Almanac's formulae, about 0.01°): enough to shade the night
// side and to tell sunlit from eclipsed for colouring (the service answers exactly). Shared by the page and the
// propagation worker.
const DEG = Math.PI / 180;

/** Right ascension and declination (radians), the Greenwich mean sidereal angle (degrees) and the unit vector
 * towards the Sun (equatorial, of date) at a date. */
export function sunEquatorial(date) {
  const d = date.getTime() / 86_400_000 - 10_957.5;
  const g = (357.529 + 0.98560028 * d) * DEG;
  const L = (280.459 + 0.98564736 * d + 1.915 * Math.sin(g) + 0.020 * Math.sin(2 * g)) * DEG;
  const e = (23.439 - 0.00000036 * d) * DEG;
  return { ra: Math.atan2(Math.cos(e) * Math.sin(L), Math.cos(L)), dec: Math.asin(Math.sin(e) * Math.sin(L)),
    gmstDeg: (280.46061837 + 360.98564736629 * d) % 360,
    direction: [Math.cos(L), Math.cos(e) * Math.sin(L), Math.sin(e) * Math.sin(L)] };
}

/** The point under the Sun, [lon, lat] in degrees. */
export function subsolarPoint(date) {
  const { ra, dec, gmstDeg } = sunEquatorial(date);
  return [((ra / DEG - gmstDeg + 540) % 360) - 180, dec / DEG];
}

/** Whether a position (km, equatorial) is in sunlight: outside the cylinder of the Earth's shadow (radius
 * earthRadiusKm) behind the Earth along the unit vector sun. */
export function sunlitCylinder(x, y, z, sun, earthRadiusKm = 6378.137) {
  const [sx, sy, sz] = sun;
  const along = x * sx + y * sy + z * sz;
  return along > 0 || Math.hypot(x - along * sx, y - along * sy, z - along * sz) > earthRadiusKm;
}
