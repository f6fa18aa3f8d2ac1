// The map: a d3-geo equirectangular projection (SVG for the land, the night, tracks, footprints, cells and the
// place; a canvas for the catalogue's points), zoom and pan, hover and click.
import { DEG, footprintDeg } from "./format.js";
import { subsolarPoint } from "./sun.js";
import { trackParts } from "./tracks.js";
import { announce, el } from "./ui.js";
import { PALETTE, current, now, redraw, screen, sky, state, views } from "./state.js";
import { categories } from "./sky.js";
import { drawCells, drawPlan } from "./panels.js";
import { pickPlace } from "./places.js";
import { toggleSelected } from "./selection.js";
import { switchTab } from "./views.js";

const HIT_RADIUS_PX = 5;
const mapEl = el("map");
const svg = d3.select("#map-svg");
const canvas = el("map-canvas");
export const projection = d3.geoEquirectangular();
export const path = d3.geoPath(projection);
// two SVGs: the map that changes only when asked (land, cells) and, over it, what moves with the clock
const world = svg.append("g").attr("class", "world");
const moving = d3.select("#map-overlay").append("g").attr("class", "world");
/** The SVG layers, bottom to top. */
export const layers = {};
for (const name of ["sphere", "graticule", "land", "cells"]) layers[name] = world.append("g").attr("class", `layer-${name}`);
for (const name of ["night", "tracks", "footprints", "acq", "place"]) {
  layers[name] = moving.append("g").attr("class", `layer-${name}`);
}
let land = null, zoom = d3.zoomIdentity, size = { width: 0, height: 0 };
/** The land (TopoJSON of world-atlas) drawn under everything. */
export function setLand(topo) { land = topojson.feature(topo, topo.objects.land); }

const zoomer = d3.zoom().scaleExtent([1, 60]).on("zoom", (event) => {
  zoom = event.transform;
  world.attr("transform", zoom); moving.attr("transform", zoom);
  layers.place.selectAll("circle").attr("r", 5 / zoom.k);
  layers.acq.selectAll("circle").attr("r", 5 / zoom.k);
  redraw();
});

/** Lay the map out at its box's size and draw every layer. */
export function drawBase() {
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
  redraw();
}
let nightDrawnAt = 0;
export function drawNight(force = false) {
  const t = now().getTime();
  if (!force && Math.abs(t - nightDrawnAt) < 60_000) return;  // the terminator moves 0.25° a minute
  nightDrawnAt = t;
  const [lon, lat] = subsolarPoint(new Date(t));
  const night = d3.geoCircle().center([lon + 180, -lat]).radius(90)();
  layers.night.selectAll("path").data([night]).join("path").attr("class", "terminator").attr("d", path);
}

// the satellites: one pass over typed arrays writing 2x2-pixel squares straight into an image of the canvas (no
// path to rasterise: 64,000 points in a few milliseconds even without a GPU), then the few marked ones on top
let pixels = null, words = null;
const packed = new Map();
function packColour(css) {  // RGBA bytes of a CSS colour as one little-endian 32-bit word
  if (!packed.has(css)) { const c = d3.rgb(css); packed.set(css, (255 << 24 | c.b << 16 | c.g << 8 | c.r) >>> 0); }
  return packed.get(css);
}
function writePoints(width, height, ratio) {
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
}
function drawMarked(ctx) {
  const xs = screen.x, ys = screen.y;
  let k = 0;
  for (const id of state.selected) {
    const i = sky.index.get(id);
    if (i === undefined || Number.isNaN(xs[i])) { k++; continue; }
    ctx.fillStyle = PALETTE[k++ % PALETTE.length];
    ctx.beginPath(); ctx.arc(xs[i], ys[i], 4.5, 0, 2 * Math.PI); ctx.fill();
    ctx.font = "12px system-ui"; ctx.fillText(sky.name[i], xs[i] + 7, ys[i] + 4);
  }
  if (state.hover >= 0 && !Number.isNaN(xs[state.hover])) {
    ctx.strokeStyle = "#ffffff"; ctx.lineWidth = 1.5;
    ctx.beginPath(); ctx.arc(xs[state.hover], ys[state.hover], 6, 0, 2 * Math.PI); ctx.stroke();
  }
}
export function drawPoints() {
  const ctx = canvas.getContext("2d");
  const width = canvas.width, height = canvas.height, ratio = width / Math.max(1, size.width);
  if (!width || !height) return;  // laid out at no size (a hidden or collapsing map): nothing to draw
  if (!pixels || pixels.width !== width || pixels.height !== height) {
    pixels = ctx.createImageData(width, height); words = new Uint32Array(pixels.data.buffer);
  }
  words.fill(0);
  if (current.time) writePoints(width, height, ratio);
  ctx.putImageData(pixels, 0, 0);
  if (current.time) drawMarked(ctx);
}
export function drawFootprints() {
  const circles = [...state.selected].map((id) => sky.index.get(id)).filter((i) => i !== undefined && current.flags[i] & 1)
    .map((i) => d3.geoCircle().center([current.lon[i], current.lat[i]]).radius(footprintDeg(current.alt[i]))());
  layers.footprints.selectAll("path").data(circles).join("path").attr("class", "footprint").attr("d", path);
}
export function drawTracks() {
  const lines = [];
  let k = 0;
  for (const id of state.selected) {
    const track = state.tracks.get(id), colour = PALETTE[k++ % PALETTE.length];
    if (!track) continue;
    const { past, future } = trackParts(track, now().getTime(), (j) => [track.lon[j], track.lat[j]]);
    lines.push({ kind: "past", colour, geometry: { type: "LineString", coordinates: past } });
    lines.push({ kind: "future", colour, geometry: { type: "LineString", coordinates: future } });
  }
  layers.tracks.selectAll("path").data(lines).join("path").attr("class", (d) => `track ${d.kind}`)
    .attr("stroke", (d) => d.colour).attr("d", (d) => (d.geometry.coordinates.length > 1 ? path(d.geometry) : null));
}
export function drawPlace() {
  const data = state.place ? [state.place] : [];
  layers.place.selectAll("circle").data(data).join("circle").attr("class", "place").attr("r", 5 / zoom.k)
    .attr("cx", (d) => projection([d.lon, d.lat])[0]).attr("cy", (d) => projection([d.lon, d.lat])[1]);
  if (views.globe) views.globe.drawPlace();
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
export function setPickMode(on) {
  state.pickMode = on;
  const b = el("pick-mode");
  b.classList.toggle("active", on); b.setAttribute("aria-pressed", String(on));
  svg.style("cursor", on ? "crosshair" : "grab");
  if (on) announce("click the map or the globe to pick a place (Esc to cancel)");
}
function onMouseMove(event) {
  const hoverLabel = el("hover-label");
  const [x, y] = d3.pointer(event);
  const i = state.pickMode ? -1 : nearestSatellite(x, y);
  if (i !== state.hover) { state.hover = i; redraw(); }
  hoverLabel.hidden = i < 0;
  svg.style("cursor", state.pickMode ? "crosshair" : i >= 0 ? "pointer" : "grab");
  if (i >= 0) {
    hoverLabel.textContent = `${sky.name[i]} · ${sky.ids[i]}`;
    hoverLabel.style.left = `${x + 12}px`; hoverLabel.style.top = `${y + 10}px`;
  }
}
function onClick(event) {
  const [x, y] = d3.pointer(event);
  if (state.pickMode) {
    const lonlat = projection.invert(zoom.invert([x, y]));
    setPickMode(false);
    if (lonlat && Math.abs(lonlat[1]) <= 90 && Math.abs(lonlat[0]) <= 180) pickPlace(lonlat[1], lonlat[0]);
    return;
  }
  const i = nearestSatellite(x, y);
  if (i >= 0) { switchTab("selected"); toggleSelected(sky.ids[i]); return; }
  const cell = event.target.closest ? event.target.closest("path.cell") : null;
  if (cell) { announce(cell.textContent); return; }  // a coverage cell: its value (its title)
  announce("to choose a place, type it in the place box or press Pick place, then click the map");
}
/** Zoom, hover, click and the pick-place button. */
export function initMap() {
  svg.call(zoomer).on("dblclick.zoom", null);
  el("zoom-reset").addEventListener("click", () => svg.transition().duration(300).call(zoomer.transform, d3.zoomIdentity));
  // the keyboard moves the map too: focus it (Tab), arrows pan a tenth of the view, + and - zoom, 0 resets
  svg.attr("tabindex", 0).attr("role", "application").attr("aria-roledescription", "map")
    .attr("aria-label", "world map with the satellites: arrow keys pan, + and - zoom, 0 resets");
  svg.on("keydown", (event) => {
    const step = 0.1 * Math.min(size.width || 600, size.height || 300);
    const moves = { ArrowLeft: [step, 0], ArrowRight: [-step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
    if (moves[event.key]) svg.call(zoomer.translateBy, moves[event.key][0] / zoom.k, moves[event.key][1] / zoom.k);
    else if (event.key === "+" || event.key === "=") svg.call(zoomer.scaleBy, 1.5);
    else if (event.key === "-") svg.call(zoomer.scaleBy, 1 / 1.5);
    else if (event.key === "0") svg.call(zoomer.transform, d3.zoomIdentity);
    else return;
    event.preventDefault();
  });
  svg.on("mousemove", onMouseMove);
  svg.on("mouseleave", () => { state.hover = -1; el("hover-label").hidden = true; redraw(); });
  svg.on("click", onClick);
  el("pick-mode").addEventListener("click", () => setPickMode(!state.pickMode));
  document.addEventListener("keydown", (e) => { if (e.key === "Escape" && state.pickMode) setPickMode(false); });
}
/** The map laid out again whenever its box changes size (once the clock has a time). */
export function watchMapSize() {
  new ResizeObserver(() => { if (state.view === "map") drawBase(); }).observe(mapEl);
}
