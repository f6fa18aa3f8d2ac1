// overhead dashboard: a d3-geo map (and a CesiumJS globe, loaded when opened) over the REST API. No build step,
// nothing fetched from outside this service. The catalogue is propagated in the page (satellite.js in a Web
// Worker, from the element sets of /api/sky); the service answers the exact questions (passes, what is overhead,
// coverage, plans, conjunctions).
"use strict";

const MINUTE = 60_000;
const DEG = Math.PI / 180;
const EARTH_RADIUS_KM = 6371.0088;
const HIT_RADIUS_PX = 5;
const PALETTE = ["#ffc828", "#5affb0", "#ff7ab6", "#6fc3ff", "#ff9d4d", "#c89bff", "#f4f4f4", "#9be15d"];
const state = {
  t0: null, offsetMin: 0, playing: false, direction: 1, speed: 60, view: "map", tab: "place",
  selected: new Set(), tracks: new Map(), place: null, above: [], passes: [], pickMode: false, hover: -1,
  coverage: null, plan: null, status: null, conjunctions: null, coMoving: null, colourBy: "light",
  show: { group: "", type: "", regime: "" },
};
const sky = { count: 0, ids: [], name: [], groups: [], type: [], owner: [], regime: [], index: new Map(), failed: 0 };
const perf = { started: performance.now(), firstDrawMs: null, frames: 0, keyframes: 0, keyframeMs: 0, positionRequests: 0 };
window.overhead = { state, sky, perf, screen_x: (i) => screen.x[i], screen_y: (i) => screen.y[i] };

// ---------------------------------------------------------------------------------------------- helpers
async function request(path, options = {}) {
  const response = await fetch(path, options);
  if (!response.ok) {
    let detail = response.statusText;
    try { detail = (await response.json()).detail; } catch (_) { /* not JSON */ }
    throw new Error(typeof detail === "string" ? detail : JSON.stringify(detail));
  }
  const type = response.headers.get("content-type") || "";
  return { data: type.includes("json") ? await response.json() : await response.text(), headers: response.headers };
}
async function api(path, options) { return (await request(path, options)).data; }
const now = () => new Date(state.t0.getTime() + state.offsetMin * MINUTE);
const iso = (d) => d.toISOString().replace(/\.\d{3}Z$/, "Z");
const hms = (d) => iso(d).slice(11, 19);
const qs = (o) => new URLSearchParams(Object.entries(o).filter(([, v]) => v !== undefined && v !== null && v !== ""));
const el = (id) => document.getElementById(id);
function announce(text) { el("status").textContent = text; }
function report(error) { if (error && error.name === "AbortError") return; announce(`⚠ ${error.message || error}`); }
// table cells as text: names and details come from outside feeds, never parsed as HTML
function cells(row, values) {
  const tr = d3.select(row);
  tr.selectAll("td").remove();
  for (const value of values) tr.append("td").text(value === null || value === undefined ? "" : String(value));
}

// a panel's state: loading, failed (with retry), or a note; the panel's requests cancel the ones they supersede
function panel(name, refresh) {
  const box = el(`${name}-state`);
  let controller = null;
  return {
    async run(...args) {
      if (controller) controller.abort();
      controller = new AbortController();
      const mine = controller;
      box.className = "panel-state loading"; box.textContent = "loading…";
      try {
        const note = await refresh(mine.signal, ...args);
        if (mine !== controller) return;
        box.className = "panel-state"; box.textContent = note || "";
      } catch (error) {
        if (error.name === "AbortError" || mine !== controller) return;
        box.className = "panel-state failed"; box.textContent = `⚠ ${error.message} `;
        const retry = document.createElement("button");
        retry.textContent = "retry"; retry.addEventListener("click", () => this.run(...args));
        box.appendChild(retry);
      }
    },
    clear() { if (controller) controller.abort(); controller = null; box.className = "panel-state"; box.textContent = ""; },
  };
}
function leftOutNote(headers) { const note = headers.get("x-elements-left-out"); return note ? `note: ${note} left out` : ""; }

// ---------------------------------------------------------------------------------------------- URL state
function saveUrl() {
  const p = { view: state.view, tab: state.tab, t: iso(now()) };
  if (state.selected.size) p.sel = [...state.selected].join(",");
  if (state.place) p.place = `${state.place.lat.toFixed(4)},${state.place.lon.toFixed(4)}`;
  history.replaceState(null, "", `#${qs(p)}`);
}
function readUrl() {
  const p = new URLSearchParams(location.hash.slice(1));
  return { view: p.get("view"), tab: p.get("tab"), t: p.get("t"), sel: p.get("sel"), place: p.get("place") };
}

// ---------------------------------------------------------------------------------------------- the sky in the page
// A Web Worker propagates every object at "keyframes"; frames in between are interpolated (a chord of 0.5 s of
// play: under a kilometre in LEO at 60x), and a paused clock gets its exact frame.
const worker = new Worker("/static/sky-worker.js");
const pending = new Map();
let nextMessage = 1;
let loaded = null;
worker.onmessage = (event) => {
  const m = event.data;
  if (m.type === "loaded") { sky.failed = m.failed; loaded(m); return; }
  const resolve = pending.get(m.id);
  pending.delete(m.id);
  if (resolve) resolve(m);
};
function ask(message) {
  return new Promise((resolve) => { const id = nextMessage++; pending.set(id, resolve); worker.postMessage({ ...message, id }); });
}
async function loadSky() {
  const data = await api("/api/sky");
  Object.assign(sky, { count: data.count, ids: data.norad_id, name: data.name, type: data.object_type, owner: data.owner,
    regime: data.regime, groups: data.groups.map((g) => (g ? g.split(",") : [])), line1: data.line1, line2: data.line2,
    tags: (data.tags || []).map((t) => (t ? t.split(",") : [])) });
  sky.index = new Map(data.norad_id.map((id, i) => [id, i]));
  sky.meanMotion = data.line2.map((l) => Number(l.slice(52, 63)));
  const done = new Promise((resolve) => { loaded = resolve; });
  worker.postMessage({ type: "load", line1: data.line1, line2: data.line2 });
  await done;
  current.lon = new Float32Array(sky.count); current.lat = new Float32Array(sky.count);
  current.alt = new Float32Array(sky.count); current.ecf = new Float32Array(3 * sky.count);
  current.flags = new Uint8Array(sky.count);
  screen.x = new Float32Array(sky.count); screen.y = new Float32Array(sky.count);
  computeCategories();
}
const keys = new Map();  // time (ms) -> frame from the worker
const current = { time: null, lon: null, lat: null, alt: null, ecf: null, flags: null };
let computing = false;
const keyStep = () => Math.min(120_000, Math.max(1_000, state.speed * 500));  // sim ms per 0.5 s of play
function neededKeys(t) {
  if (!state.playing) return [t];
  const step = keyStep(), k0 = Math.floor(t / step) * step;
  return state.direction > 0 ? [k0, k0 + step, k0 + 2 * step] : [k0 + step, k0, k0 - step];
}
function pump() {
  if (computing || !sky.count) return;
  const t = now().getTime();
  const need = neededKeys(t).filter((k) => !keys.has(k));
  if (!need.length) return;
  computing = true;
  ask({ type: "frame", time_ms: need[0] }).then((frame) => {
    perf.keyframes += 1; perf.keyframeMs = frame.ms;
    keys.set(frame.time_ms, frame);
    const keep = new Set(neededKeys(now().getTime()));
    for (const k of [...keys.keys()]) if (!keep.has(k) && keys.size > 4) keys.delete(k);
    computing = false;
    dirty = true;
    if (!state.playing && state.selected.size) requestAnimationFrame(renderSelected);  // their positions now
    pump();
  });
}
function interpolate(t) {
  let below = null, above = null;
  for (const [k, frame] of keys) {
    if (k <= t && (!below || k > below.time_ms)) below = frame;
    if (k >= t && (!above || k < above.time_ms)) above = frame;
  }
  const a = below || above, b = above || below;
  if (!a) return false;
  const span = b.time_ms - a.time_ms, w = span > 0 ? (t - a.time_ms) / span : 0;
  const n = sky.count;
  for (let i = 0; i < n; i++) {
    let dlon = b.lon[i] - a.lon[i];
    if (dlon > 180) dlon -= 360; else if (dlon < -180) dlon += 360;
    let lon = a.lon[i] + w * dlon;
    if (lon > 180) lon -= 360; else if (lon < -180) lon += 360;
    current.lon[i] = lon;
    current.lat[i] = a.lat[i] + w * (b.lat[i] - a.lat[i]);
    current.alt[i] = a.alt[i] + w * (b.alt[i] - a.alt[i]);
    current.flags[i] = w < 0.5 ? a.flags[i] : b.flags[i];
  }
  for (let j = 0; j < 3 * n; j++) current.ecf[j] = a.ecf[j] + w * (b.ecf[j] - a.ecf[j]);
  current.time = t;
  current.exact = span === 0 && a.time_ms === t;
  return true;
}
// where one satellite is now (from the page's propagation), with its 10° footprint radius
function footprintDeg(altKm, maskDeg = 10) {
  return (Math.acos(EARTH_RADIUS_KM * Math.cos(maskDeg * DEG) / (EARTH_RADIUS_KM + altKm)) / DEG) - maskDeg;
}
function positionOf(i) {
  if (!(current.flags[i] & 1)) return null;
  return { norad_id: sky.ids[i], name: sky.name[i], lat_deg: current.lat[i], lon_deg: current.lon[i],
    alt_km: current.alt[i], sunlit: Boolean(current.flags[i] & 2), footprint_deg: footprintDeg(current.alt[i]) };
}
Object.defineProperty(state, "positions", {  // for people and tests reading the page: the objects drawn now
  get() { const out = []; for (let i = 0; i < sky.count; i++) { const p = positionOf(i); if (p) out.push(p); } return out; },
});
// exact positions of every object at one time (tests compare them with the service's SGP4)
window.overhead.positionsAt = async (isoTime) => {
  const frame = await ask({ type: "frame", time_ms: Date.parse(isoTime) });
  return { norad_id: sky.ids, lat_deg: Array.from(frame.lat), lon_deg: Array.from(frame.lon), alt_km: Array.from(frame.alt),
    valid: Array.from(frame.flags, (f) => f & 1) };
};

// ---------------------------------------------------------------------------------------------- categories
const TYPE_NAMES = { PAY: "payload", "R/B": "rocket body", DEB: "debris", UNK: "unknown", "": "no SATCAT" };
const LIGHT = [["sunlit", "#e8eef8"], ["in shadow", "#7c8aa3"]];
let categories = { keys: [], colour: [], of: null };
function typeOf(i) { const t = (sky.type[i] || "").toUpperCase(); return t.startsWith("PAY") ? "PAY" : t.startsWith("R") ? "R/B" : t.startsWith("DEB") ? "DEB" : t ? "UNK" : ""; }
function computeCategories() {
  const by = state.colourBy, n = sky.count, of = new Uint8Array(n);
  let names = [];
  if (by === "light") names = LIGHT.map(([k]) => k);
  else {
    const label = (i) => (by === "type" ? TYPE_NAMES[typeOf(i)] : by === "regime" ? sky.regime[i] || "unknown" : (sky.groups[i][0] || "no group"));
    const counts = new Map();
    for (let i = 0; i < n; i++) { const k = label(i); counts.set(k, (counts.get(k) || 0) + 1); }
    names = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([k]) => k).slice(0, PALETTE.length - 1);
    const index = new Map(names.map((k, j) => [k, j]));
    if (counts.size > names.length) names.push("other");
    for (let i = 0; i < n; i++) { const j = index.get(label(i)); of[i] = j === undefined ? names.length - 1 : j; }
  }
  const colours = by === "light" ? LIGHT.map(([, c]) => c) : names.map((_, j) => PALETTE[(j + 1) % PALETTE.length]);
  const shown = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const wanted = state.show.group, byTag = wanted.startsWith("tag:");
    shown[i] = (!wanted || (byTag ? sky.tags[i].includes(wanted.slice(4)) : sky.groups[i].includes(wanted))) &&
      (!state.show.type || typeOf(i) === state.show.type) && (!state.show.regime || sky.regime[i] === state.show.regime) ? 1 : 0;
  }
  categories = { keys: names, colour: colours, of, shown };
  if (window.globeView) window.globeView.recolour();
  drawSatLegend();
  dirty = true;
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

// ---------------------------------------------------------------------------------------------- the map
const mapEl = el("map");
const svg = d3.select("#map-svg");
const canvas = el("map-canvas");
const projection = d3.geoEquirectangular();
const path = d3.geoPath(projection);
const world = svg.append("g").attr("class", "world");
const layers = {};
for (const name of ["sphere", "graticule", "land", "cells", "night", "tracks", "footprints", "acq", "place"]) {
  layers[name] = world.append("g").attr("class", `layer-${name}`);
}
let land = null, zoom = d3.zoomIdentity, dirty = true, size = { width: 0, height: 0 };
const screen = { x: null, y: null };

const zoomer = d3.zoom().scaleExtent([1, 60]).on("zoom", (event) => {
  zoom = event.transform;
  world.attr("transform", zoom);
  layers.place.selectAll("circle").attr("r", 5 / zoom.k);
  layers.acq.selectAll("circle").attr("r", 5 / zoom.k);
  dirty = true;
});
svg.call(zoomer).on("dblclick.zoom", null);
el("zoom-reset").addEventListener("click", () => svg.transition().duration(300).call(zoomer.transform, d3.zoomIdentity));

function drawBase() {
  const { width, height } = mapEl.getBoundingClientRect();
  size = { width, height };
  projection.fitExtent([[4, 4], [width - 4, height - 4]], { type: "Sphere" });
  zoomer.translateExtent([[0, 0], [width, height]]).extent([[0, 0], [width, height]]);
  layers.sphere.selectAll("path").data([{ type: "Sphere" }]).join("path").attr("class", "sphere").attr("d", path);
  layers.graticule.selectAll("path").data([d3.geoGraticule10()]).join("path").attr("class", "graticule").attr("d", path);
  if (land) layers.land.selectAll("path").data([land]).join("path").attr("class", "land").attr("d", path);
  const ratio = window.devicePixelRatio || 1;
  canvas.width = width * ratio; canvas.height = height * ratio;
  canvas.getContext("2d").setTransform(ratio, 0, 0, ratio, 0, 0);
  drawCells(); drawTracks(); drawPlace(); drawPlan(); drawNight(true);
  dirty = true;
}
let nightDrawnAt = 0;
function drawNight(force = false) {
  const t = now().getTime();
  if (!force && Math.abs(t - nightDrawnAt) < 60_000) return;  // the terminator moves 0.25° a minute
  nightDrawnAt = t;
  const [lon, lat] = subsolarPoint(new Date(t));
  const night = d3.geoCircle().center([lon + 180, -lat]).radius(90)();
  layers.night.selectAll("path").data([night]).join("path").attr("class", "terminator").attr("d", path);
}
function subsolarPoint(date) {  // [lon, lat] in degrees (sun.js)
  const { ra, dec, gmstDeg } = sunEquatorial(date);
  return [((ra / DEG - gmstDeg + 540) % 360) - 180, dec / DEG];
}
// the satellites: one pass over typed arrays writing 2x2-pixel squares straight into an image of the canvas (no
// path to rasterise: 64,000 points in a few milliseconds even without a GPU), then the few marked ones on top
let pixels = null, words = null;
const packed = new Map();
function packColour(css) {  // RGBA bytes of a CSS colour as one little-endian 32-bit word
  if (!packed.has(css)) { const c = d3.rgb(css); packed.set(css, (255 << 24 | c.b << 16 | c.g << 8 | c.r) >>> 0); }
  return packed.get(css);
}
function drawPoints() {
  const ctx = canvas.getContext("2d");
  const width = canvas.width, height = canvas.height, ratio = width / Math.max(1, size.width);
  if (!width || !height) return;  // laid out at no size (a hidden or collapsing map): nothing to draw
  if (!pixels || pixels.width !== width || pixels.height !== height) {
    pixels = ctx.createImageData(width, height); words = new Uint32Array(pixels.data.buffer);
  }
  words.fill(0);
  if (!current.time) { ctx.putImageData(pixels, 0, 0); return; }
  const scale = projection.scale() * zoom.k, [tx, ty] = projection.translate();
  const ox = zoom.x + zoom.k * tx, oy = zoom.y + zoom.k * ty;
  const n = sky.count, { of, shown } = categories, light = state.colourBy === "light";
  const colours = categories.colour.map(packColour);
  const xs = screen.x, ys = screen.y, dot = Math.max(2, Math.round(2 * ratio));
  for (let i = 0; i < n; i++) {
    if (!(current.flags[i] & 1) || !shown[i]) { xs[i] = NaN; continue; }
    const x = ox + scale * current.lon[i] * DEG, y = oy - scale * current.lat[i] * DEG;
    xs[i] = x; ys[i] = y;
    const px = Math.round(x * ratio) - 1, py = Math.round(y * ratio) - 1;
    if (px < 0 || py < 0 || px + dot > width || py + dot > height) continue;
    const word = colours[light ? (current.flags[i] & 2 ? 0 : 1) : of[i]];
    for (let r = 0, row = py * width + px; r < dot; r++, row += width) for (let c = 0; c < dot; c++) words[row + c] = word;
  }
  ctx.putImageData(pixels, 0, 0);
  let k = 0;
  for (const id of state.selected) {
    const i = sky.index.get(id);
    if (i === undefined || xs[i] !== xs[i]) { k++; continue; }
    ctx.fillStyle = PALETTE[k++ % PALETTE.length];
    ctx.beginPath(); ctx.arc(xs[i], ys[i], 4.5, 0, 2 * Math.PI); ctx.fill();
    ctx.font = "12px system-ui"; ctx.fillText(sky.name[i], xs[i] + 7, ys[i] + 4);
  }
  if (state.hover >= 0 && xs[state.hover] === xs[state.hover]) {
    ctx.strokeStyle = "#ffffff"; ctx.lineWidth = 1.5;
    ctx.beginPath(); ctx.arc(xs[state.hover], ys[state.hover], 6, 0, 2 * Math.PI); ctx.stroke();
  }
}
function drawFootprints() {
  const circles = [...state.selected].map((id) => sky.index.get(id)).filter((i) => i !== undefined && current.flags[i] & 1)
    .map((i) => d3.geoCircle().center([current.lon[i], current.lat[i]]).radius(footprintDeg(current.alt[i]))());
  layers.footprints.selectAll("path").data(circles).join("path").attr("class", "footprint").attr("d", path);
}
// a track's samples before and after the clock (overlapping by a minute, so that the two lines meet), each as
// point(j) gives it; samples without a position are skipped
function trackParts(track, t, point) {
  const past = [], future = [];
  for (let j = 0; j < track.times.length; j++) {
    if (!Number.isFinite(track.lon[j])) continue;
    if (track.times[j] <= t) past.push(point(j));
    if (track.times[j] >= t - 60_000) future.push(point(j));
  }
  return { past, future };
}
function drawTracks() {
  const lines = [];
  let k = 0;
  for (const id of state.selected) {
    const track = state.tracks.get(id), colour = PALETTE[k++ % PALETTE.length];
    if (!track) continue;
    const t = now().getTime();
    const { past, future } = trackParts(track, t, (j) => [track.lon[j], track.lat[j]]);
    lines.push({ kind: "past", colour, geometry: { type: "LineString", coordinates: past } });
    lines.push({ kind: "future", colour, geometry: { type: "LineString", coordinates: future } });
  }
  layers.tracks.selectAll("path").data(lines).join("path").attr("class", (d) => `track ${d.kind}`)
    .attr("stroke", (d) => d.colour).attr("d", (d) => (d.geometry.coordinates.length > 1 ? path(d.geometry) : null));
}
function drawPlace() {
  const data = state.place ? [state.place] : [];
  layers.place.selectAll("circle").data(data).join("circle").attr("class", "place").attr("r", 5 / zoom.k)
    .attr("cx", (d) => projection([d.lon, d.lat])[0]).attr("cy", (d) => projection([d.lon, d.lat])[1]);
  if (window.globeView) window.globeView.drawPlace();
}

// hover: the nearest shown satellite within a few pixels, highlighted and named
function nearestSatellite(x, y) {
  let best = -1, bestDistance = HIT_RADIUS_PX;
  for (let i = 0; i < sky.count; i++) {
    const dx = screen.x[i] - x;
    if (!(Math.abs(dx) < bestDistance)) continue;  // also skips NaN (not shown)
    const distance = Math.hypot(dx, screen.y[i] - y);
    if (distance < bestDistance) { best = i; bestDistance = distance; }
  }
  return best;
}
const hoverLabel = el("hover-label");
svg.on("mousemove", (event) => {
  const [x, y] = d3.pointer(event);
  const i = state.pickMode ? -1 : nearestSatellite(x, y);
  if (i !== state.hover) { state.hover = i; dirty = true; }
  hoverLabel.hidden = i < 0;
  svg.style("cursor", state.pickMode ? "crosshair" : i >= 0 ? "pointer" : "grab");
  if (i >= 0) {
    hoverLabel.textContent = `${sky.name[i]} · ${sky.ids[i]}`;
    hoverLabel.style.left = `${x + 12}px`; hoverLabel.style.top = `${y + 10}px`;
  }
});
svg.on("mouseleave", () => { state.hover = -1; hoverLabel.hidden = true; dirty = true; });
svg.on("click", (event) => {
  const [x, y] = d3.pointer(event);
  if (state.pickMode) {
    const lonlat = projection.invert(zoom.invert([x, y]));
    setPickMode(false);
    if (lonlat && Math.abs(lonlat[1]) <= 90 && Math.abs(lonlat[0]) <= 180) pickPlace(lonlat[1], lonlat[0]);
    return;
  }
  const i = nearestSatellite(x, y);
  if (i >= 0) { switchTab("selected"); toggleSelected(sky.ids[i]); return; }
  announce("to choose a place, type it in the place box or press Pick place, then click the map");
});
function setPickMode(on) {
  state.pickMode = on;
  const b = el("pick-mode");
  b.classList.toggle("active", on); b.setAttribute("aria-pressed", String(on));
  svg.style("cursor", on ? "crosshair" : "grab");
  if (on) announce("click the map or the globe to pick a place (Esc to cancel)");
}
el("pick-mode").addEventListener("click", () => setPickMode(!state.pickMode));
document.addEventListener("keydown", (e) => { if (e.key === "Escape" && state.pickMode) setPickMode(false); });

// ---------------------------------------------------------------------------------------------- the clock
const slider = el("time-slider");
function showTime() {
  const t = now();
  el("time-label").textContent = iso(t).replace("T", " ").replace("Z", " UTC");
  slider.value = Math.round(state.offsetMin);
  if (document.activeElement !== el("time-entry")) el("time-entry").value = iso(t).slice(0, 19);
}
function setTime(date) {  // a new reference: the slider spans ±12 h around it
  state.t0 = new Date(Math.round(date.getTime() / 1000) * 1000); state.offsetMin = 0;
  timeChanged();
}
function timeChanged() {
  showTime(); dirty = true; pump(); followClock(); saveUrl();
}
function setOffset(minutes) {
  if (minutes > 720 || minutes < -720) { setTime(new Date(state.t0.getTime() + minutes * MINUTE)); return; }
  state.offsetMin = minutes;
  timeChanged();
}
slider.addEventListener("input", () => setOffset(Number(slider.value)));
el("time-entry").addEventListener("change", (e) => {
  const t = Date.parse(`${e.target.value}Z`);
  if (Number.isFinite(t)) setTime(new Date(t)); else announce("write the time as YYYY-MM-DD HH:MM:SS (UTC)");
});
el("time-now").addEventListener("click", () => setTime(new Date()));
el("time-epoch").addEventListener("click", () => setTime(new Date(state.status.default_time)));
el("step-back").addEventListener("click", () => setOffset(state.offsetMin - Number(el("step").value)));
el("step-forward").addEventListener("click", () => setOffset(state.offsetMin + Number(el("step").value)));
el("speed").addEventListener("change", (e) => { state.speed = Number(e.target.value); keys.clear(); pump(); });
function play(direction) {
  const again = state.playing && state.direction === direction;
  state.playing = !again; state.direction = direction;
  el("play").textContent = state.playing && direction > 0 ? "❚❚" : "▶";
  el("play-back").textContent = state.playing && direction < 0 ? "❚❚" : "◀";
  el("play").setAttribute("aria-label", state.playing && direction > 0 ? "pause" : "play");
  lastTick = performance.now();
  keys.clear(); pump(); followClock();
}
el("play").addEventListener("click", () => play(1));
el("play-back").addEventListener("click", () => play(-1));

// one loop: advance the clock while playing, draw when something changed
let lastTick = performance.now(), fpsCount = 0, fpsSince = performance.now();
function tick(time) {
  if (state.playing) {
    const minutes = (time - lastTick) / MINUTE * state.speed * state.direction;
    state.offsetMin += minutes;
    if (Math.abs(state.offsetMin) > 720) { state.t0 = now(); state.offsetMin = 0; }
    showTime(); pump(); followClock(); dirty = true;
  }
  lastTick = time;
  if (dirty && sky.count && interpolate(now().getTime())) {
    dirty = false;
    if (state.view === "map") { drawPoints(); drawNight(); if (state.selected.size) drawFootprints(); }
    if (state.selected.size) updateTracks();
    if (window.globeView) window.globeView.update();
    perf.frames += 1; fpsCount += 1;
    if (perf.firstDrawMs === null) {  // since the script started, and since navigation (firstDrawAt)
      perf.firstDrawAt = performance.now(); perf.firstDrawMs = perf.firstDrawAt - perf.started;
      document.body.dataset.drawn = "true";
    }
  }
  if (time - fpsSince > 1000) {
    el("fps").textContent = state.playing ? `${Math.round(fpsCount * 1000 / (time - fpsSince))} fps` : "";
    fpsCount = 0; fpsSince = time;
  }
  requestAnimationFrame(tick);
}

// panels follow the clock: after a pause in its moves, or every 2 s while playing
let followTimer = null, lastFollow = 0;
function followClock() {
  clearTimeout(followTimer);
  const run = () => { lastFollow = performance.now(); refreshPlace(); renderSelected(); };
  if (state.playing && performance.now() - lastFollow > 2000) run();
  else followTimer = setTimeout(run, 400);
}

// ---------------------------------------------------------------------------------------------- selection
function orbitMinutes(i) { return 1440 / (sky.meanMotion[i] || 15); }
async function loadTrack(id) {
  const i = sky.index.get(id);
  if (i === undefined) return;
  const period = orbitMinutes(i), t = now().getTime();
  const span = Math.min(period, 1440) * MINUTE;
  const track = await ask({ type: "track", index: i, start_ms: t - span, stop_ms: t + span,
    step_s: Math.max(10, span / 1000 / 150) });
  track.center = t; track.span = span;
  state.tracks.set(id, track);
  drawTracks();
  if (window.globeView) window.globeView.showSelected();
}
let trackCheck = 0;
function updateTracks() {  // reloaded while playing when the clock leaves the middle of the computed span
  const t = now().getTime();
  if (Math.abs(t - trackCheck) < 5_000 * Math.max(1, state.speed / 60)) return;
  trackCheck = t;
  for (const id of state.selected) {
    const track = state.tracks.get(id);
    if (!track || Math.abs(t - track.center) > track.span / 3) loadTrack(id).catch(report);
  }
  drawTracks();
}
function toggleSelected(id, on = !state.selected.has(id)) {
  if (on) state.selected.add(id); else { state.selected.delete(id); state.tracks.delete(id); }
  saveUrl();
  if (on) loadTrack(id).catch(report);
  drawTracks(); drawFootprints(); renderSelected(); dirty = true;
  if (window.globeView) window.globeView.showSelected();
  el("follow").hidden = !(state.view === "globe" && state.selected.size);
}
// what the store knows of a selected object (/api/objects/{id}): its elements, manoeuvres, predicted re-entry
const objectDetails = new Map();  // NORAD id -> the answer, or null while it comes
function objectDetail(id) {
  if (!objectDetails.has(id)) {
    objectDetails.set(id, null);
    api(`/api/objects/${id}`).then((d) => { objectDetails.set(id, d); renderSelected(); })
      .catch((e) => { objectDetails.set(id, { error: e.message || String(e) }); renderSelected(); });
  }
  return objectDetails.get(id);
}
const minuteZ = (text) => `${text.slice(0, 16).replace("T", " ")}Z`;
function detailLines(d) {
  if (d.error) return [`no detail: ${d.error}`];
  const lines = [];
  if (d.epoch) lines.push(`elements of ${minuteZ(d.epoch)} · ${d.regime} · perigee ${Math.round(d.perigee_km)} km, apogee ${Math.round(d.apogee_km)} km, ${d.inclination_deg.toFixed(1)}°`);
  if (d.reentry) lines.push(`re-entry predicted ${minuteZ(d.reentry.reentry)} (window ${minuteZ(d.reentry.window_start)} to ${minuteZ(d.reentry.window_end)}; drag model)`);
  const last = d.manoeuvres[d.manoeuvres.length - 1];
  if (last) lines.push(`${d.manoeuvres.length} manoeuvre(s) found; last ${minuteZ(last.time)}: ${last.kind}, Δv ≈ ${last.delta_v_m_s.toPrecision(2)} m/s, confidence ${last.confidence.toFixed(2)}`);
  return lines;
}
function renderSelected() {
  const list = d3.select("#selected-list");
  const items = [...state.selected].map((id, k) => ({ id, k, i: sky.index.get(id) }));
  list.selectAll("li").data(items, (d) => d.id).join("li").each(function (d) {
    const item = d3.select(this);
    item.selectAll("*").remove();
    item.append("span").attr("class", "swatch").style("background", PALETTE[d.k % PALETTE.length]);
    if (d.i === undefined) { item.append("span").text(` NORAD ${d.id} (not in the active catalogue)`); return; }
    item.append("span").text(` ${sky.name[d.i]} `);
    item.append("span").attr("class", "muted").text(`${d.id} · ${TYPE_NAMES[typeOf(d.i)]}${sky.owner[d.i] ? ` · ${sky.owner[d.i]}` : ""}`);
    const p = positionOf(d.i);
    if (p) item.append("div").attr("class", "muted").text(`${p.lat_deg.toFixed(2)}°, ${p.lon_deg.toFixed(2)}°, ${p.alt_km.toFixed(0)} km, ${p.sunlit ? "sunlit" : "in shadow"} · as of ${hms(now())} UTC`);
    const detail = objectDetail(d.id);
    for (const line of detail ? detailLines(detail) : ["…"]) item.append("div").attr("class", "detail").text(line);
    item.append("button").attr("aria-label", `deselect ${sky.name[d.i]}`).text("×").on("click", () => toggleSelected(d.id, false));
  });
  const ids = [...state.selected].join(",");
  const span = { ids, start: iso(now()), stop: iso(new Date(now().getTime() + 180 * MINUTE)) };
  el("czml-link").href = `/api/export/ephemeris?${qs({ ...span, format: "czml" })}`;
  el("kml-link").href = `/api/export/ephemeris?${qs({ ...span, format: "kml" })}`;
  el("oem-link").href = `/api/export/ephemeris?${qs({ ...span, format: "oem" })}`;
  el("tle-link").href = `/api/export/elements?${qs({ ids, format: "tle" })}`;
}

// ---------------------------------------------------------------------------------------------- comboboxes
// a text box with a list of choices: arrows move, Enter chooses, Escape closes (ARIA combobox pattern)
function combobox(input, list, find, choose) {
  let options = [], active = -1, timer = null, controller = null;
  const close = () => { list.hidden = true; input.setAttribute("aria-expanded", "false"); input.removeAttribute("aria-activedescendant"); };
  const mark = () => {
    [...list.children].forEach((c, k) => c.setAttribute("aria-selected", String(k === active)));
    if (active >= 0) { input.setAttribute("aria-activedescendant", list.children[active].id); list.children[active].scrollIntoView({ block: "nearest" }); }
  };
  const show = (found) => {
    options = found; active = found.length ? 0 : -1;
    list.replaceChildren(...found.map((o, k) => {
      const row = document.createElement("div");
      row.id = `${list.id}-${k}`; row.setAttribute("role", "option"); row.textContent = o.label;
      row.addEventListener("mousedown", (e) => { e.preventDefault(); close(); choose(o); });
      return row;
    }));
    list.hidden = !found.length; input.setAttribute("aria-expanded", String(Boolean(found.length)));
    mark();
  };
  input.addEventListener("input", () => {
    clearTimeout(timer);
    const q = input.value.trim();
    if (!q) { close(); return; }
    timer = setTimeout(async () => {
      if (controller) controller.abort();
      controller = new AbortController();
      try { show(await find(q, controller.signal)); } catch (error) { report(error); }
    }, 200);
  });
  input.addEventListener("keydown", async (e) => {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      if (!options.length) return;
      e.preventDefault();
      active = (active + (e.key === "ArrowDown" ? 1 : options.length - 1)) % options.length; mark();
      list.hidden = false; input.setAttribute("aria-expanded", "true");
    } else if (e.key === "Enter") {
      e.preventDefault();
      clearTimeout(timer);
      if (list.hidden || active < 0) {  // Enter before the list came: look it up now, take the first
        const q = input.value.trim();
        if (!q) return;
        try { const found = await find(q); if (found.length) { close(); choose(found[0]); } else announce(`nothing found for “${q}”`); } catch (error) { report(error); }
        return;
      }
      close(); choose(options[active]);
    } else if (e.key === "Escape") close();
  });
  input.addEventListener("blur", () => setTimeout(close, 150));
}
combobox(el("search"), el("search-results"), async (q, signal) => {
  const page = await api(`/api/objects?${qs({ q, limit: 20, status: "active" })}`, { signal });
  return page.objects.map((o) => ({ label: `${o.name} · ${o.norad_id} · ${o.object_id} · ${o.regime}`, id: o.norad_id }));
}, (o) => { el("search").value = ""; switchTab("selected"); toggleSelected(o.id, true); });
combobox(el("place-box"), el("place-results"), async (q, signal) => {
  const found = await api(`/api/places?${qs({ q, limit: 12 })}`, { signal });
  return found.map((p) => ({ ...p, label: p.country ? `${p.name}, ${p.country} · ${p.lat_deg.toFixed(2)}°, ${p.lon_deg.toFixed(2)}° · ${p.population.toLocaleString("en")}` : `${p.name} (coordinates)` }));
}, (p) => { el("place-box").value = p.country ? `${p.name}, ${p.country}` : p.name; pickPlace(p.lat_deg, p.lon_deg, p.country ? `${p.name}, ${p.country}` : ""); });

// ---------------------------------------------------------------------------------------------- a place
async function pickPlace(lat, lon, name = "") {
  state.place = { lat, lon, name };
  drawPlace(); saveUrl(); switchTab("place");
  passesWindow = null;
  refreshPlace();
}
const abovePanel = panel("above", async (signal) => {
  const { lat, lon } = state.place, t = now();
  const { data, headers } = await request(`/api/above?${qs({ lat_deg: lat.toFixed(5), lon_deg: lon.toFixed(5), time: iso(t), min_elevation_deg: 0 })}`, { signal });
  state.above = data; state.aboveTime = iso(t);
  el("above-asof").textContent = `as of ${hms(t)} UTC`;
  renderAbove();
  return leftOutNote(headers);
});
let passesWindow = null;  // the span and filters of the passes shown
const passesPanel = panel("passes", async (signal, query) => {
  const { data, headers } = await request(`/api/passes?${qs(query)}`, { signal });
  state.passes = data; state.passesQuery = query;
  el("passes-csv").href = `/api/passes?${qs({ ...query, format: "csv" })}`;
  renderPasses();
  const note = leftOutNote(headers);
  return `${data.length.toLocaleString("en")} passes${note ? ` · ${note}` : ""}`;
});
function passesQuery() {
  const f = new FormData(el("passes-form")), t = now();
  const { lat, lon } = state.place;
  return { lat_deg: lat.toFixed(5), lon_deg: lon.toFixed(5),
    // from a little before now, so that a pass in progress is listed (and marked) with its real rise
    start: iso(new Date(t.getTime() - 20 * MINUTE)), stop: iso(new Date(t.getTime() + Number(f.get("hours")) * 60 * MINUTE)),
    min_elevation_deg: f.get("min_elevation_deg"), group: f.get("group"), object_type: f.get("object_type"),
    owner: (f.get("owner") || "").trim(), regime: f.get("regime"), visible: f.get("visible") ? "true" : "" };
}
function refreshPlace() {
  if (!state.place) return;
  el("place-hint").hidden = true;
  const { lat, lon, name } = state.place;
  el("place-info").textContent = `${name ? `${name} · ` : ""}${lat.toFixed(4)}°, ${lon.toFixed(4)}°`;
  abovePanel.run();
  // passes again when the clock has moved 5 minutes from the last list, or the filters changed
  const t = now().getTime(), query = passesQuery();
  const same = passesWindow && JSON.stringify({ ...query, start: 0, stop: 0 }) === passesWindow.key && Math.abs(t - passesWindow.t) < 5 * MINUTE;
  if (!same) { passesWindow = { t, key: JSON.stringify({ ...query, start: 0, stop: 0 }) }; passesPanel.run(query); } else renderPasses();
}
el("passes-form").addEventListener("change", () => { passesWindow = null; refreshPlace(); });
el("passes-form").addEventListener("submit", (e) => e.preventDefault());
function renderAbove() {
  const highest = [...state.above].sort((a, b) => b.elevation_deg - a.elevation_deg).slice(0, 40);
  el("above-count").textContent = state.above.length > highest.length ? `the highest ${highest.length} of ${state.above.length} above the horizon` : `${state.above.length} above the horizon`;
  d3.select("#above-table tbody").selectAll("tr").data(highest).join("tr")
    .each(function (d) {
      cells(this, [d.name, `${d.azimuth_deg.toFixed(0)}°`, `${d.elevation_deg.toFixed(1)}°`, d.range_km.toFixed(0), d.sunlit ? "yes" : "no"]);
    });
}
// the pass list: only the rows in view are in the page (74,000 passes are 74,000 rows of data, ~30 of DOM)
const ROW_PX = 26;
const passBody = document.querySelector("#passes-table .vbody");
const passSpacer = document.querySelector("#passes-table .vspacer");
function shownPasses() { const t = now().toISOString(); return state.passes.filter((p) => p.set > t); }
function renderPasses() {
  const rows = shownPasses();
  state.shownPasses = rows;
  passSpacer.style.height = `${rows.length * ROW_PX}px`;
  passBody.style.height = `${Math.max(ROW_PX, Math.min(320, rows.length * ROW_PX))}px`;
  drawPassRows();
  drawTimeline(rows);
}
function drawPassRows() {
  const rows = state.shownPasses || [], t = now().toISOString();
  const first = Math.max(0, Math.floor(passBody.scrollTop / ROW_PX) - 5);
  const last = Math.min(rows.length, first + Math.ceil((passBody.clientHeight || 320) / ROW_PX) + 10);
  const slice = rows.slice(first, last).map((d, k) => ({ d, k: first + k }));
  d3.select(passSpacer).selectAll("div.vrow").data(slice, (r) => `${r.d.norad_id}/${r.d.rise}`).join("div")
    .attr("class", (r) => `vrow clickable${r.d.rise <= t ? " in-progress" : ""}`).attr("role", "row").attr("tabindex", "-1")
    .attr("title", (r) => `${r.d.name} (${r.d.norad_id}): rise ${r.d.rise}${r.d.rise <= t ? " (in progress)" : ""}, culmination ${r.d.culmination}, set ${r.d.set}` +
      (r.d.visible_start ? `; visible ${r.d.visible_start.slice(11, 19)}–${r.d.visible_end.slice(11, 19)}` +
        (r.d.brightest_magnitude !== null ? `, magnitude ${r.d.brightest_magnitude.toFixed(1)} (${r.d.magnitude_source})` : "") : ""))
    .style("top", (r) => `${r.k * ROW_PX}px`)
    .each(function ({ d }) {
      const magnitude = d.brightest_magnitude === null || d.brightest_magnitude === undefined ? "" : d.brightest_magnitude.toFixed(1);
      const rise = d.rise <= t ? `now (${d.rise.slice(11, 16)})` : d.rise.slice(5, 16).replace("T", " ");
      d3.select(this).selectAll("span").data([d.name, rise, `${d.rise_azimuth_deg.toFixed(0)}°`,
        `${d.max_elevation_deg.toFixed(1)}° · ${d.culmination.slice(11, 16)}`, `${d.set.slice(11, 16)} · ${d.set_azimuth_deg.toFixed(0)}°`, magnitude])
        .join("span").attr("role", "cell").text((v) => v);
    })
    .on("click", function (_, r) {
      d3.selectAll("#passes-table .vrow").classed("chosen", false); d3.select(this).classed("chosen", true);
      polarPlot(r.d).catch(report);
    })
    .on("keydown", (e, r) => { if (e.key === "Enter") polarPlot(r.d).catch(report); });
}
passBody.addEventListener("scroll", () => requestAnimationFrame(drawPassRows));
function drawTimeline(rows) {
  const timeline = d3.select("#pass-timeline");
  const width = timeline.node().getBoundingClientRect().width || 340;
  const query = state.passesQuery;
  const start = now(), stop = query ? new Date(query.stop) : new Date(start.getTime() + 720 * MINUTE);
  const x = d3.scaleTime().domain([start, stop]).range([4, width - 4]);
  timeline.selectAll("*").remove();
  timeline.append("g").attr("class", "axis").attr("transform", "translate(0,44)").call(d3.axisBottom(x).ticks(6).tickFormat(d3.utcFormat("%H:%M")));
  timeline.append("g").selectAll("rect").data(rows.slice(0, 3000)).join("rect")
    .attr("x", (d) => Math.max(4, x(new Date(d.rise)))).attr("width", (d) => Math.max(1.5, x(new Date(d.set)) - Math.max(4, x(new Date(d.rise)))))
    .attr("y", (d) => 40 - d.max_elevation_deg * 0.4).attr("height", (d) => d.max_elevation_deg * 0.4)
    .attr("fill", "#ffc828").attr("opacity", 0.7);
}
async function polarPlot(pass) {
  const { lat, lon } = state.place;
  const data = await api(`/api/lookangles?${qs({ norad_id: pass.norad_id, lat_deg: lat.toFixed(5), lon_deg: lon.toFixed(5), start: pass.rise, stop: pass.set, step_s: 10 })}`);
  const plot = d3.select("#polar").attr("hidden", null);
  plot.selectAll("*").remove();
  const r = d3.scaleLinear().domain([90, 0]).range([0, 95]);
  const g = plot.append("g").attr("transform", "translate(110,128)");
  for (const e of [0, 30, 60]) g.append("circle").attr("r", r(e)).attr("fill", "none").attr("stroke", "#3d4c68");
  for (const [label, az] of [["N", 0], ["E", 90], ["S", 180], ["W", 270]]) {
    g.append("text").attr("x", Math.sin(az * DEG) * 104).attr("y", -Math.cos(az * DEG) * 104 + 3).attr("text-anchor", "middle").text(label);
  }
  const points = data.azimuth_deg.map((az, i) => [az, data.elevation_deg[i]]).filter(([az, e]) => az !== null && e >= 0);
  const xy = ([az, e]) => [Math.sin(az * DEG) * r(e), -Math.cos(az * DEG) * r(e)];
  g.append("path").attr("d", d3.line()(points.map(xy))).attr("fill", "none").attr("stroke", "#ffc828").attr("stroke-width", 2);
  if (points.length) g.append("circle").attr("r", 3).attr("fill", "#5affb0").attr("cx", xy(points[0])[0]).attr("cy", xy(points[0])[1]);
  plot.append("text").attr("x", 4).attr("y", 12).text(`${pass.name}: az/el, rise ${pass.rise.slice(11, 16)} (green)`);
  plot.node().scrollIntoView({ block: "nearest" });
}

// ---------------------------------------------------------------------------------------------- map tools
el("colour-by").addEventListener("change", (e) => { state.colourBy = e.target.value; computeCategories(); });
for (const [key, id] of [["group", "show-group"], ["type", "show-type"], ["regime", "show-regime"]]) {
  el(id).addEventListener("change", (e) => { state.show[key] = e.target.value; computeCategories(); });
}
function fillChoices() {
  const groups = state.status.groups;
  const option = (value, text) => { const o = document.createElement("option"); o.value = value; o.textContent = text; return o; };
  el("show-group").append(...groups.map((g) => option(g, g)));
  const tags = [...new Set(sky.tags.flat())].sort();  // the user's own categories (overhead catalog tag)
  el("show-group").append(...tags.map((t) => option(`tag:${t}`, `tag: ${t}`)));
  const types = new Set(sky.ids.map((_, i) => typeOf(i)));
  for (const select of [el("show-type"), document.querySelector("#passes-form select[name=object_type]")]) {
    select.append(...["PAY", "R/B", "DEB", "UNK"].filter((t) => types.has(t)).map((t) => option(t, TYPE_NAMES[t])));
  }
  // the pass list starts on a small group, not everything (the whole catalogue is tens of thousands of passes)
  const small = ["stations", "visual", "resource"].find((g) => groups.includes(g)) || "";
  const passGroup = document.querySelector("#passes-form select[name=group]");
  passGroup.append(option("", "all active"), ...groups.map((g) => option(g, g)));
  passGroup.value = small;
  for (const form of ["coverage-form", "plan-form", "conjunctions-form"]) {
    const select = document.querySelector(`#${form} select[name=group]`);
    if (form !== "plan-form") select.append(option("", "all active"));
    select.prepend(...groups.map((g) => option(g, `${g} group`)));
    select.value = form === "conjunctions-form" ? (groups.includes("stations") ? "stations" : groups[0] || "") : (groups.includes("resource") ? "resource" : groups[0] || "");
  }
}

// ---------------------------------------------------------------------------------------------- views and tabs
async function switchView(view) {
  state.view = view;
  el("map").hidden = view !== "map";
  el("globe").hidden = view !== "globe";
  for (const v of ["map", "globe"]) {
    const b = el(`view-${v}`);
    b.classList.toggle("active", v === view); b.setAttribute("aria-pressed", String(v === view));
  }
  el("zoom-reset").hidden = view !== "map";
  el("follow").hidden = !(view === "globe" && state.selected.size);
  if (view === "globe" && !window.globeView) {
    announce("loading the globe…");
    await loadScript("/static/globe.js");
    window.globeView = await window.makeGlobe();
    window.overhead.globe = window.globeView;
    announce(statusLine());
  }
  if (view === "map") drawBase();
  dirty = true;
  saveUrl();
}
function loadScript(src) {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = src; script.onload = resolve; script.onerror = () => reject(new Error(`${src} did not load`));
    document.head.appendChild(script);
  });
}
el("view-map").addEventListener("click", () => switchView("map").catch(report));
el("view-globe").addEventListener("click", () => switchView("globe").catch(report));

const tabButtons = [...document.querySelectorAll(".tabs [role=tab]")];
function switchTab(tab, focus = false) {
  state.tab = tab;
  for (const b of tabButtons) {
    const on = b.dataset.tab === tab;
    b.classList.toggle("active", on); b.setAttribute("aria-selected", String(on)); b.tabIndex = on ? 0 : -1;
    if (on && focus) b.focus();
  }
  document.querySelectorAll(".tab").forEach((t) => { t.hidden = t.id !== `tab-${tab}`; });
  if (tab === "changes") loadChanges();
  if (tab === "alerts") openAlerts();
  saveUrl();
}
tabButtons.forEach((b, k) => {
  b.addEventListener("click", () => switchTab(b.dataset.tab));
  b.addEventListener("keydown", (e) => {  // arrows move between tabs (WAI-ARIA tabs pattern)
    const step = { ArrowRight: 1, ArrowLeft: -1, Home: -k, End: tabButtons.length - 1 - k }[e.key];
    if (step === undefined) return;
    e.preventDefault();
    switchTab(tabButtons[(k + step + tabButtons.length) % tabButtons.length].dataset.tab, true);
  });
});

// ---------------------------------------------------------------------------------------------- start
function statusLine() {
  const s = state.status;
  return `${sky.count.toLocaleString("en")} satellites (SGP4 in this page${sky.failed ? `; ${sky.failed} without a valid orbit` : ""})` +
    (s.elements_stale ? ` · elements of ${s.median_epoch.slice(0, 10)}: showing their epoch` : "");
}
async function start() {
  const [status, topo] = await Promise.all([api("/api/status"), api("/vendor/land-110m.json"), loadSky()]);
  state.status = status;
  land = topojson.feature(topo, topo.objects.land);
  const saved = readUrl();
  state.t0 = new Date(status.default_time);
  if (saved.t && !Number.isNaN(Date.parse(saved.t))) state.t0 = new Date(Date.parse(saved.t));
  announce(statusLine());
  fillChoices();
  computeCategories();
  drawBase();
  showTime();
  pump();
  requestAnimationFrame(tick);
  new ResizeObserver(() => { if (state.view === "map") drawBase(); }).observe(mapEl);
  if (saved.sel) saved.sel.split(",").map(Number).filter(Number.isFinite).forEach((id) => toggleSelected(id, true));
  if (saved.place) {
    const [lat, lon] = saved.place.split(",").map(Number);
    if (Number.isFinite(lat) && Number.isFinite(lon)) { state.place = { lat, lon, name: "" }; drawPlace(); refreshPlace(); }
  }
  if (saved.view === "globe") await switchView("globe");
  if (saved.tab) switchTab(saved.tab);
  document.body.dataset.ready = "true";
}
document.addEventListener("DOMContentLoaded", () => start().catch(report));
