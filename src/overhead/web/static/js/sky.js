// The catalogue in the page: the worker protocol (load the element sets, ask for keyframes and tracks), the
// positions drawn now, and how objects are coloured and filtered (categories).
import { footprintDeg, typeCode, TYPE_NAMES } from "./format.js";
import { interpolateFrames, neededKeys, pruneKeys } from "./keyframes.js";
import { api } from "./ui.js";
import { PALETTE, current, now, perf, redraw, screen, sky, state, views } from "./state.js";
import { renderSelected } from "./selection.js";

// Two workers where the machine has the cores (four or more: one for the page and the graphics, the rest
// propagate), else one: each holds the whole catalogue and makes whole keyframes, so two make the keyframes of
// two times at once while the clock plays.
export const WORKERS = Math.max(1, Math.min(2, Math.floor((navigator.hardwareConcurrency || 2) / 2)));
const workers = Array.from({ length: WORKERS }, () => new Worker("/static/js/sky-worker.js", { type: "module" }));
const pending = new Map();
const busy = new Array(WORKERS).fill(0);  // questions each worker has not answered yet
let nextMessage = 1;
const loaded = [];
workers.forEach((worker, w) => {
  worker.onmessage = (event) => {
    const m = event.data;
    if (m.type === "loaded") { sky.failed = m.failed; loaded[w](m); return; }
    busy[w] -= 1;
    const resolve = pending.get(m.id);
    pending.delete(m.id);
    if (resolve) resolve({ ...m, worker: w });
  };
});
/** One question to the least busy worker (a frame or a track); its answer. */
export function ask(message) {
  const w = busy.indexOf(Math.min(...busy));
  busy[w] += 1;
  return new Promise((resolve) => { const id = nextMessage++; pending.set(id, resolve); workers[w].postMessage({ ...message, id }); });
}

/** The catalogue's element sets from /api/sky, handed to the worker; the arrays of `current` and `screen` sized. */
export async function loadSky() {
  const data = await api("/api/sky");
  Object.assign(sky, { count: data.count, ids: data.norad_id, name: data.name, type: data.object_type, owner: data.owner,
    regime: data.regime, groups: data.groups.map((g) => (g ? g.split(",") : [])), line1: data.line1, line2: data.line2,
    tags: (data.tags || []).map((t) => (t ? t.split(",") : [])) });
  sky.index = new Map(data.norad_id.map((id, i) => [id, i]));
  sky.meanMotion = data.line2.map((l) => Number(l.slice(52, 63)));
  const done = workers.map((_, w) => new Promise((resolve) => { loaded[w] = resolve; }));
  for (const worker of workers) worker.postMessage({ type: "load", line1: data.line1, line2: data.line2 });
  await Promise.all(done);
  current.lon = new Float32Array(sky.count); current.lat = new Float32Array(sky.count);
  current.alt = new Float32Array(sky.count); current.ecf = new Float32Array(3 * sky.count);
  current.flags = new Uint8Array(sky.count);
  screen.x = new Float32Array(sky.count); screen.y = new Float32Array(sky.count);
  computeCategories();
}

// ---------------------------------------------------------------------------------------------- keyframes
export const keys = new Map();  // time (ms) -> frame from the workers
const computing = new Set();  // keyframe times asked for and not yet answered
perf.workers = WORKERS; perf.keyframesByWorker = new Array(WORKERS).fill(0);
/** Ask the workers for the next keyframes the clock needs (as many at once as there are workers). */
export function pump() {
  if (!sky.count) return;
  const need = neededKeys(now().getTime(), state).filter((k) => !keys.has(k) && !computing.has(k));
  const maxAgeDays = state.status ? state.status.limits.max_element_age_days : Infinity;
  for (const time of need.slice(0, WORKERS - computing.size)) {
    computing.add(time);
    ask({ type: "frame", time_ms: time, max_age_days: maxAgeDays }).then((frame) => {
      perf.keyframes += 1; perf.keyframeMs = frame.ms; perf.keyframesByWorker[frame.worker] += 1;
      keys.set(frame.time_ms, frame);
      computing.delete(time);
      pruneKeys(keys, new Set(neededKeys(now().getTime(), state)));
      redraw();
      if (!state.playing && state.selected.size) requestAnimationFrame(renderSelected);  // their positions now
      pump();
    });
  }
}
/** `current` at time t (ms) from the keyframes; false where there is none yet. */
export const interpolate = (t) => interpolateFrames(keys, t, current, sky.count);

/** Where object i is drawn now (from the page's propagation) with its 10° footprint radius; null if not valid. */
export function positionOf(i) {
  if (!(current.flags[i] & 1)) return null;
  return { norad_id: sky.ids[i], name: sky.name[i], lat_deg: current.lat[i], lon_deg: current.lon[i],
    alt_km: current.alt[i], sunlit: Boolean(current.flags[i] & 2), footprint_deg: footprintDeg(current.alt[i]) };
}
Object.defineProperty(state, "positions", {  // for people and tests reading the page: the objects drawn now
  get() { const out = []; for (let i = 0; i < sky.count; i++) { const p = positionOf(i); if (p) out.push(p); } return out; },
});
/** Exact positions of every object at one time (tests compare them with the service's SGP4). */
export async function positionsAt(isoTime) {
  const frame = await ask({ type: "frame", time_ms: Date.parse(isoTime) });
  return { norad_id: sky.ids, lat_deg: Array.from(frame.lat), lon_deg: Array.from(frame.lon), alt_km: Array.from(frame.alt),
    valid: Array.from(frame.flags, (f) => f & 1) };
}

/** The largest distance (km) between where the page draws the objects now and where they are at the time drawn
 * (the worker's exact frame at that time): the playback error, for benchmarks and people checking the page. */
export async function drawnErrorKm() {
  const t = current.time, drawn = current.ecf.slice(), flags = current.flags.slice();
  const exact = await ask({ type: "frame", time_ms: t });
  let worst = 0;
  for (let i = 0; i < sky.count; i++) {
    if (!(flags[i] & 1) || !(exact.flags[i] & 1)) continue;
    const j = 3 * i;
    worst = Math.max(worst, Math.hypot(drawn[j] - exact.ecf[j], drawn[j + 1] - exact.ecf[j + 1], drawn[j + 2] - exact.ecf[j + 2]));
  }
  return worst;
}

// ---------------------------------------------------------------------------------------------- categories
const LIGHT = [["sunlit", "#e8eef8"], ["in shadow", "#7c8aa3"]];
/** The colour of each object (of: index into colour) and whether the filters show it. */
export let categories = { keys: [], colour: [], of: null, shown: null };
export const typeOf = (i) => typeCode(sky.type[i]);
function categoryLabel(by, i) {
  if (by === "type") return TYPE_NAMES[typeOf(i)];
  if (by === "regime") return sky.regime[i] || "unknown";
  return sky.groups[i][0] || "no group";
}
function shownByFilters(i) {
  const wanted = state.show.group, byTag = wanted.startsWith("tag:");
  return (!wanted || (byTag ? sky.tags[i].includes(wanted.slice(4)) : sky.groups[i].includes(wanted))) &&
    (!state.show.type || typeOf(i) === state.show.type) && (!state.show.regime || sky.regime[i] === state.show.regime);
}
export function computeCategories() {
  const by = state.colourBy, n = sky.count, of = new Uint8Array(n);
  let names;
  if (by === "light") names = LIGHT.map(([k]) => k);
  else {
    const counts = new Map();
    for (let i = 0; i < n; i++) { const k = categoryLabel(by, i); counts.set(k, (counts.get(k) || 0) + 1); }
    names = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([k]) => k).slice(0, PALETTE.length - 1);
    const index = new Map(names.map((k, j) => [k, j]));
    if (counts.size > names.length) names.push("other");
    for (let i = 0; i < n; i++) { const j = index.get(categoryLabel(by, i)); of[i] = j === undefined ? names.length - 1 : j; }
  }
  const colours = by === "light" ? LIGHT.map(([, c]) => c) : names.map((_, j) => PALETTE[(j + 1) % PALETTE.length]);
  const shown = new Uint8Array(n);
  for (let i = 0; i < n; i++) shown[i] = shownByFilters(i) ? 1 : 0;
  categories = { keys: names, colour: colours, of, shown };
  if (views.globe) views.globe.recolour();
  drawSatLegend();
  redraw();
}
function drawSatLegend() {
  const box = d3.select("#sat-legend");
  box.selectAll("*").remove();
  const shown = categories.shown ? categories.shown.reduce((a, b) => a + b, 0) : 0;
  box.append("span").attr("class", "muted").text(`${shown.toLocaleString("en")} of ${sky.count.toLocaleString("en")} shown · `);
  categories.keys.forEach((k, j) => {
    box.append("span").attr("class", "swatch").style("background", categories.colour[j]);
    box.append("span").text(` ${k} `);
  });
  box.append("span").attr("class", "swatch selected-swatch");
  box.append("span").text(" selected");
}
