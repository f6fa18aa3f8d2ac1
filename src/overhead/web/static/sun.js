// The Sun's position, low precision (the Astronomical Almanac's formulae, about 0.01°): enough to shade the night
// side and to tell sunlit from eclipsed for colouring (the service answers exactly). Shared by the page and the
// propagation worker.
"use strict";

// right ascension and declination (radians) and the Greenwich mean sidereal angle (degrees) at a date
function sunEquatorial(date) {
  const d = date.getTime() / 86_400_000 - 10_957.5;
  const g = (357.529 + 0.98560028 * d) * Math.PI / 180;
  const L = (280.459 + 0.98564736 * d + 1.915 * Math.sin(g) + 0.020 * Math.sin(2 * g)) * Math.PI / 180;
  const e = (23.439 - 0.00000036 * d) * Math.PI / 180;
  return { ra: Math.atan2(Math.cos(e) * Math.sin(L), Math.cos(L)), dec: Math.asin(Math.sin(e) * Math.sin(L)),
    gmstDeg: (280.46061837 + 360.98564736629 * d) % 360,
    direction: [Math.cos(L), Math.cos(e) * Math.sin(L), Math.sin(e) * Math.sin(L)] };
}
