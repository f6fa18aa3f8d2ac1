// What the page knows and shows, shared by its modules: the clock, the selection, the place, the catalogue as
// arrays (sky), the positions drawn now (current) and their places on the map (screen).
import { MINUTE } from "./format.js";

export const PALETTE = ["#ffc828", "#5affb0", "#ff7ab6", "#6fc3ff", "#ff9d4d", "#c89bff", "#f4f4f4", "#9be15d"];

export const state = {
  t0: null, offsetMin: 0, playing: false, catchingUp: false, direction: 1, speed: 60, view: "map", tab: "place",
  selected: new Set(), tracks: new Map(), place: null, above: [], passes: [], passPage: 2000, pickMode: false, hover: -1,
  coverage: null, plan: null, status: null, conjunctions: null, coMoving: null, colourBy: "light",
  show: { group: "", type: "", regime: "" },
};
/** The catalogue as the service's /api/sky gives it, one array per field, index i for each object. */
export const sky = { count: 0, ids: [], name: [], groups: [], type: [], owner: [], regime: [], index: new Map(), failed: 0 };
export const perf = { started: performance.now(), firstDrawMs: null, frames: 0, keyframes: 0, keyframeMs: 0, positionRequests: 0 };
/** Positions of every object at the time drawn (typed arrays, filled from the worker's keyframes). */
export const current = { time: null, lon: null, lat: null, alt: null, ecf: null, flags: null, aged: 0 };
/** Where each object is on the map's canvas (pixels; NaN where not drawn). */
export const screen = { x: null, y: null };
/** The views' shared flag: something changed, draw on the next animation frame; the globe once opened; and how
 * to start the frame loop where it sleeps (the clock sets it). */
export const views = { dirty: true, globe: null, wake: () => {} };

/** The clock's time. */
export const now = () => new Date(state.t0.getTime() + state.offsetMin * MINUTE);
/** Ask for a new frame of the map and the globe. */
export function redraw() { views.dirty = true; views.wake(); }
