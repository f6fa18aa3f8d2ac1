// overhead dashboard: a d3-geo map and a CesiumJS globe over the REST API. No build step, nothing fetched from
// outside this service: d3, topojson, world-atlas and Cesium (with its NaturalEarthII imagery) come from npm.
"use strict";

const MINUTE = 60_000;
const state = {
  t0: null, offsetMin: 0, playing: false, speed: 60, view: "map", tab: "place",
  positions: [], selected: new Set(), tracks: new Map(), place: null, above: [], passes: [],
  coverage: null, plan: null, status: null, conjunctions: null,
};
window.overhead = { state };

// ---------------------------------------------------------------------------------------------- helpers
async function api(path, options) {
  const response = await fetch(path, options);
  if (!response.ok) {
    let detail = response.statusText;
    try { detail = (await response.json()).detail; } catch (_) { /* not JSON */ }
    throw new Error(typeof detail === "string" ? detail : JSON.stringify(detail));
  }
  const type = response.headers.get("content-type") || "";
  return type.includes("json") ? response.json() : response.text();
}
const now = () => new Date(state.t0.getTime() + state.offsetMin * MINUTE);
const iso = (d) => d.toISOString().replace(/\.\d{3}Z$/, "Z");
const hm = (s) => s.slice(11, 16);
const qs = (o) => new URLSearchParams(Object.entries(o).filter(([, v]) => v !== undefined && v !== null && v !== ""));
function report(error) { document.getElementById("status").textContent = `⚠ ${error.message || error}`; }

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

// ---------------------------------------------------------------------------------------------- the map
const mapEl = document.getElementById("map");
const svg = d3.select("#map-svg");
const canvas = document.getElementById("map-canvas");
const projection = d3.geoEquirectangular();
const path = d3.geoPath(projection);
const layers = {};
for (const name of ["sphere", "graticule", "land", "cells", "night", "tracks", "footprints", "acq", "place"]) {
  layers[name] = svg.append("g").attr("class", `layer-${name}`);
}
let land = null;

function subsolarPoint(date) {
  // low-precision solar coordinates (Astronomical Almanac): enough to shade the night side of a map
  const d = date.getTime() / 86_400_000 - 10_957.5;
  const g = (357.529 + 0.98560028 * d) * Math.PI / 180;
  const q = 280.459 + 0.98564736 * d;
  const L = (q + 1.915 * Math.sin(g) + 0.020 * Math.sin(2 * g)) * Math.PI / 180;
  const e = (23.439 - 0.00000036 * d) * Math.PI / 180;
  const dec = Math.asin(Math.sin(e) * Math.sin(L));
  const ra = Math.atan2(Math.cos(e) * Math.sin(L), Math.cos(L));
  const gmst = (280.46061837 + 360.98564736629 * d) % 360;
  const lon = ((ra * 180 / Math.PI - gmst + 540) % 360) - 180;
  return [lon, dec * 180 / Math.PI];
}

function drawBase() {
  const { width, height } = mapEl.getBoundingClientRect();
  projection.fitExtent([[4, 4], [width - 4, height - 4]], { type: "Sphere" });
  layers.sphere.selectAll("path").data([{ type: "Sphere" }]).join("path").attr("class", "sphere").attr("d", path);
  layers.graticule.selectAll("path").data([d3.geoGraticule10()]).join("path").attr("class", "graticule").attr("d", path);
  if (land) layers.land.selectAll("path").data([land]).join("path").attr("class", "land").attr("d", path);
  const ratio = window.devicePixelRatio || 1;
  canvas.width = width * ratio; canvas.height = height * ratio;
  canvas.getContext("2d").setTransform(ratio, 0, 0, ratio, 0, 0);
  drawCells(); drawTracks(); drawPlace(); drawPlan(); drawDynamic();
}

function drawDynamic() {
  const [lon, lat] = subsolarPoint(now());
  const night = d3.geoCircle().center([lon + 180, -lat]).radius(90)();
  layers.night.selectAll("path").data([night]).join("path").attr("class", "terminator").attr("d", path);
  const footprints = state.positions.filter((p) => state.selected.has(p.norad_id))
    .map((p) => d3.geoCircle().center([p.lon_deg, p.lat_deg]).radius(p.footprint_deg)());
  layers.footprints.selectAll("path").data(footprints).join("path").attr("class", "footprint").attr("d", path);
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  for (const p of state.positions) {
    const [x, y] = projection([p.lon_deg, p.lat_deg]);
    const chosen = state.selected.has(p.norad_id);
    ctx.fillStyle = chosen ? "#ffc828" : (p.sunlit ? "#e8eef8" : "#7c8aa3");
    ctx.beginPath(); ctx.arc(x, y, chosen ? 4.5 : 2.2, 0, 2 * Math.PI); ctx.fill();
    if (chosen) { ctx.font = "12px system-ui"; ctx.fillText(p.name, x + 7, y + 4); }
  }
}

function drawTracks() {
  const lines = [...state.tracks.values()].map((t) => ({
    type: "LineString", coordinates: t.lon_deg.map((lon, i) => [lon, t.lat_deg[i]]).filter(([a, b]) => a !== null && b !== null),
  }));
  layers.tracks.selectAll("path").data(lines).join("path").attr("class", "track").attr("d", path);
}

let placeEntity = null;
function drawPlace() {
  const data = state.place ? [state.place] : [];
  if (globe && state.place) {
    if (placeEntity) globe.viewer.entities.remove(placeEntity);
    placeEntity = globe.viewer.entities.add({ position: Cesium.Cartesian3.fromDegrees(state.place.lon, state.place.lat),
      point: { pixelSize: 9, color: Cesium.Color.fromCssColorString("#ff5a5a"), outlineColor: Cesium.Color.WHITE, outlineWidth: 1.5 } });
  }
  layers.place.selectAll("circle").data(data).join("circle").attr("class", "place").attr("r", 5)
    .attr("cx", (d) => projection([d.lon, d.lat])[0]).attr("cy", (d) => projection([d.lon, d.lat])[1]);
}

// ---------------------------------------------------------------------------------------------- time
const slider = document.getElementById("time-slider");
function showTime() {
  const t = now();
  document.getElementById("time-label").textContent = `${iso(t).replace("T", " ").replace("Z", " UTC")}`;
  slider.value = Math.round(state.offsetMin);
}
let inFlight = false;
async function refreshPositions() {
  if (inFlight) return;
  inFlight = true;
  try {
    const data = await api(`/api/positions?${qs({ time: iso(now()) })}`);
    state.positions = data.positions;
    drawDynamic();
    if (globe) globe.setTime(now());
  } catch (error) { report(error); } finally { inFlight = false; }
}
function setOffset(minutes) {
  state.offsetMin = Math.max(-720, Math.min(720, minutes));
  showTime(); refreshPositions(); saveUrl();
}
slider.addEventListener("input", () => setOffset(Number(slider.value)));
slider.addEventListener("change", () => { if (state.selected.size) loadTracks(); });
document.getElementById("speed").addEventListener("change", (e) => { state.speed = Number(e.target.value); });
document.getElementById("play").addEventListener("click", () => {
  state.playing = !state.playing;
  document.getElementById("play").textContent = state.playing ? "❚❚" : "▶";
  let last = performance.now();
  const step = (tick) => {
    if (!state.playing) return;
    const minutes = (tick - last) / MINUTE * state.speed;
    last = tick;
    if (state.offsetMin + minutes >= 720) { state.playing = false; document.getElementById("play").textContent = "▶"; }
    state.offsetMin = Math.min(720, state.offsetMin + minutes);
    showTime(); refreshPositions();
    requestAnimationFrame(step);
  };
  requestAnimationFrame(step);
});

// ---------------------------------------------------------------------------------------------- selection
async function loadTracks() {
  const ids = [...state.selected];
  state.tracks.clear();
  if (ids.length) {
    const t = now();
    const tracks = await api(`/api/tracks?${qs({ ids: ids.join(","), start: iso(new Date(t - 50 * MINUTE)),
      stop: iso(new Date(t.getTime() + 100 * MINUTE)), step_s: 30 })}`);
    for (const track of tracks) state.tracks.set(track.norad_id, track);
  }
  drawTracks(); drawDynamic(); renderSelected();
  if (globe) globe.showSelected();
}
function toggleSelected(id, on = !state.selected.has(id)) {
  if (on) state.selected.add(id); else state.selected.delete(id);
  saveUrl(); loadTracks().catch(report);
}
function renderSelected() {
  const list = d3.select("#selected-list");
  const items = [...state.selected].map((id) => state.positions.find((p) => p.norad_id === id) || { norad_id: id, name: `NORAD ${id}` });
  list.selectAll("li").data(items, (d) => d.norad_id).join("li")
    .each(function (d) {
      const item = d3.select(this);
      item.selectAll("*").remove();
      item.text(`${d.name} `);
      item.append("span").attr("class", "muted").text(d.norad_id);
      if (d.lat_deg !== undefined) {
        item.append("span").attr("class", "muted").text(` ${d.lat_deg.toFixed(1)}°, ${d.lon_deg.toFixed(1)}°, ${d.alt_km.toFixed(0)} km`);
      }
    })
    .append("button").text("×").on("click", (_, d) => toggleSelected(d.norad_id, false));
  const ids = [...state.selected].join(",");
  const span = { ids, start: iso(now()), stop: iso(new Date(now().getTime() + 180 * MINUTE)) };
  document.getElementById("czml-link").href = `/api/export/ephemeris?${qs({ ...span, format: "czml" })}`;
  document.getElementById("kml-link").href = `/api/export/ephemeris?${qs({ ...span, format: "kml" })}`;
  document.getElementById("oem-link").href = `/api/export/ephemeris?${qs({ ...span, format: "oem" })}`;
  document.getElementById("tle-link").href = `/api/export/elements?${qs({ ids, format: "tle" })}`;
}

const search = document.getElementById("search");
const results = document.getElementById("search-results");
search.addEventListener("input", async () => {
  const q = search.value.trim();
  if (!q) { results.hidden = true; return; }
  try {
    const page = await api(`/api/objects?${qs({ q, limit: 20 })}`);
    results.innerHTML = "";
    for (const o of page.objects) {
      const row = document.createElement("div");
      row.textContent = `${o.name} · ${o.norad_id} · ${o.object_id} · ${o.regime}`;
      row.addEventListener("click", () => { results.hidden = true; search.value = ""; switchTab("selected"); toggleSelected(o.norad_id, true); });
      results.appendChild(row);
    }
    results.hidden = page.objects.length === 0;
  } catch (error) { report(error); }
});

// ---------------------------------------------------------------------------------------------- a place
async function pickPlace(lat, lon) {
  state.place = { lat, lon };
  drawPlace(); saveUrl(); switchTab("place");
  document.getElementById("place-info").textContent = `${lat.toFixed(4)}°, ${lon.toFixed(4)}° — ${iso(now())}`;
  const where = { lat_deg: lat.toFixed(5), lon_deg: lon.toFixed(5) };
  const t = now();
  try {
    const [above, passes] = await Promise.all([
      api(`/api/above?${qs({ ...where, time: iso(t), min_elevation_deg: 0 })}`),
      api(`/api/passes?${qs({ ...where, start: iso(t), stop: iso(new Date(t.getTime() + 1440 * MINUTE)), min_elevation_deg: 10 })}`),
    ]);
    state.above = above; state.passes = passes;
    renderAbove(); renderPasses();
  } catch (error) { report(error); }
}
// table cells as text: names and details come from outside feeds, never parsed as HTML
function cells(row, values) {
  const tr = d3.select(row);
  tr.selectAll("td").remove();
  for (const value of values) tr.append("td").text(value === null || value === undefined ? "" : String(value));
}
function renderAbove() {
  d3.select("#above-table tbody").selectAll("tr").data(state.above).join("tr")
    .each(function (d) {
      cells(this, [d.name, `${d.azimuth_deg.toFixed(0)}°`, `${d.elevation_deg.toFixed(1)}°`, d.range_km.toFixed(0),
        d.sunlit ? "yes" : "no"]);
    });
}
function renderPasses() {
  const rows = d3.select("#passes-table tbody").selectAll("tr").data(state.passes).join("tr").attr("class", "clickable")
    .attr("data-norad", (d) => d.norad_id)
    .each(function (d) {
      cells(this, [d.name, d.rise.slice(5, 16).replace("T", " "), `${d.max_elevation_deg.toFixed(1)}°`,
        (d.duration_s / 60).toFixed(1)]);
    });
  rows.on("click", function (_, d) {
    d3.selectAll("#passes-table tr").classed("chosen", false); d3.select(this).classed("chosen", true);
    polarPlot(d).catch(report);
  });
  const timeline = d3.select("#pass-timeline");
  const width = timeline.node().getBoundingClientRect().width || 340;
  const start = now(), stop = new Date(start.getTime() + 1440 * MINUTE);
  const x = d3.scaleTime().domain([start, stop]).range([4, width - 4]);
  timeline.selectAll("*").remove();
  timeline.append("g").attr("class", "axis").attr("transform", "translate(0,44)").call(d3.axisBottom(x).ticks(6).tickFormat(d3.utcFormat("%H:%M")));
  timeline.append("g").selectAll("rect").data(state.passes).join("rect")
    .attr("x", (d) => x(new Date(d.rise))).attr("width", (d) => Math.max(1.5, x(new Date(d.set)) - x(new Date(d.rise))))
    .attr("y", (d) => 40 - d.max_elevation_deg * 0.4).attr("height", (d) => d.max_elevation_deg * 0.4)
    .attr("fill", "#ffc828").append("title").text((d) => `${d.name} ${d.rise} max ${d.max_elevation_deg.toFixed(1)}°`);
}
async function polarPlot(pass) {
  const { lat, lon } = state.place;
  const data = await api(`/api/lookangles?${qs({ norad_id: pass.norad_id, lat_deg: lat.toFixed(5), lon_deg: lon.toFixed(5), start: pass.rise, stop: pass.set, step_s: 10 })}`);
  const plot = d3.select("#polar").attr("hidden", null);
  plot.selectAll("*").remove();
  const r = d3.scaleLinear().domain([90, 0]).range([0, 95]);
  const g = plot.append("g").attr("transform", "translate(110,128)");
  for (const el of [0, 30, 60]) g.append("circle").attr("r", r(el)).attr("fill", "none").attr("stroke", "#26324a");
  for (const [label, az] of [["N", 0], ["E", 90], ["S", 180], ["W", 270]]) {
    const a = az * Math.PI / 180;
    g.append("text").attr("x", Math.sin(a) * 104).attr("y", -Math.cos(a) * 104 + 3).attr("text-anchor", "middle").text(label);
  }
  const points = data.azimuth_deg.map((az, i) => [az, data.elevation_deg[i]]).filter(([az, el]) => az !== null && el >= 0);
  const xy = ([az, el]) => [Math.sin(az * Math.PI / 180) * r(el), -Math.cos(az * Math.PI / 180) * r(el)];
  g.append("path").attr("d", d3.line()(points.map(xy))).attr("fill", "none").attr("stroke", "#ffc828").attr("stroke-width", 2);
  if (points.length) g.append("circle").attr("r", 3).attr("fill", "#5affb0").attr("cx", xy(points[0])[0]).attr("cy", xy(points[0])[1]);
  plot.append("text").attr("x", 4).attr("y", 12).text(`${pass.name}: az/el, rise ${hm(pass.rise)} (green)`);
  plot.node().scrollIntoView({ block: "nearest" });
}

svg.on("click", (event) => {
  const [x, y] = d3.pointer(event);
  let best = null, bestDistance = 7;
  for (const p of state.positions) {
    const [px, py] = projection([p.lon_deg, p.lat_deg]);
    const distance = Math.hypot(px - x, py - y);
    if (distance < bestDistance) { best = p; bestDistance = distance; }
  }
  if (best) { switchTab("selected"); toggleSelected(best.norad_id); return; }
  const lonlat = projection.invert([x, y]);
  if (lonlat && Math.abs(lonlat[1]) <= 90 && Math.abs(lonlat[0]) <= 180) pickPlace(lonlat[1], lonlat[0]);
});

// ---------------------------------------------------------------------------------------------- jobs
// jobs need the service's token (or a client key): kept for this tab only, sent as a bearer token
const tokenInput = document.getElementById("token");
tokenInput.value = sessionStorage.getItem("overhead-token") || "";
tokenInput.addEventListener("change", () => sessionStorage.setItem("overhead-token", tokenInput.value.trim()));
function authorised(options = {}) {
  const token = tokenInput.value.trim();
  if (!token) throw new Error("jobs need the service's token: enter it in the key field at the top (overhead serve --token)");
  return { ...options, headers: { ...(options.headers || {}), Authorization: `Bearer ${token}` } };
}
async function runJob(kind, body, progress) {
  const job = await api(`/api/jobs/${kind}`, authorised({ method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) }));
  progress.hidden = false;
  for (;;) {
    const s = await api(`/api/jobs/${job.id}`, authorised());
    progress.value = s.progress;
    if (s.state === "done") { progress.hidden = true; return job.id; }
    if (s.state === "failed" || s.state === "cancelled") { progress.hidden = true; throw new Error(`${kind} job ${s.state}: ${s.message}`); }
    await new Promise((resolve) => setTimeout(resolve, 400));
  }
}
document.getElementById("coverage-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const f = new FormData(event.target);
  const start = now(), hours = Number(f.get("hours"));
  const body = { grid: { kind: "global", resolution: Number(f.get("resolution")) }, start: iso(start),
    stop: iso(new Date(start.getTime() + hours * 60 * MINUTE)), constraints: { min_elevation_deg: Number(f.get("min_elevation_deg")) } };
  if (f.get("group")) body.group = f.get("group");
  const summary = document.getElementById("coverage-summary");
  summary.textContent = "running…";
  try {
    const id = await runJob("coverage", body, document.getElementById("coverage-progress"));
    const [cells, result] = await Promise.all([api(`/api/jobs/${id}/result?format=geojson`, authorised()), api(`/api/jobs/${id}/result`, authorised())]);
    state.coverage = { cells, metric: f.get("metric") };
    summary.textContent = result.text;
    drawCells();
  } catch (error) { summary.textContent = error.message; }
});
function drawCells() {
  const legend = document.getElementById("legend");
  if (!state.coverage) { layers.cells.selectAll("path").remove(); legend.hidden = true; return; }
  const { cells, metric } = state.coverage;
  for (const feature of cells.features) {  // d3 wants clockwise rings on the sphere; H3 gives them counter-clockwise
    if (feature.geometry.type === "Polygon" && d3.geoArea(feature) > 2 * Math.PI) feature.geometry.coordinates.forEach((ring) => ring.reverse());
  }
  const hours = metric.endsWith("_s");
  const value = (f) => { const v = f.properties[metric]; return v === null || v === undefined ? null : (hours ? v / 3600 : v); };
  const values = cells.features.map(value).filter((v) => v !== null);
  const color = d3.scaleSequential(d3.interpolateViridis).domain(d3.extent(values));
  layers.cells.selectAll("path").data(cells.features).join("path").attr("class", "cell").attr("d", path)
    .attr("fill", (f) => (value(f) === null ? "rgba(255,80,80,.35)" : color(value(f)))).attr("fill-opacity", 0.75);
  const [lo, hi] = d3.extent(values);
  legend.hidden = false;
  const box = d3.select(legend);
  box.selectAll("*").remove();
  box.text(`${metric.replace(/_/g, " ").replace(/ s$/, "")}${hours ? " (h)" : ""}: `);
  box.append("span").style("color", color(lo)).text("■");
  box.append("span").text(` ${lo?.toFixed(2)} … `);
  box.append("span").style("color", color(hi)).text("■");
  box.append("span").text(` ${hi?.toFixed(2)} · `);
  box.append("span").style("color", "#ff5050").text("■");
  box.append("span").text(" never seen");
}

document.getElementById("plan-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const f = new FormData(event.target);
  const requests = f.get("requests").split("\n").map((line) => line.split(",").map((x) => x.trim())).filter((p) => p.length >= 3)
    .map(([id, lat, lon, priority]) => ({ id, lat_deg: Number(lat), lon_deg: Number(lon), priority: Number(priority || 1) }));
  const start = now();
  const body = { group: f.get("group"), requests, start: iso(start), stop: iso(new Date(start.getTime() + 1440 * MINUTE)),
    agility: { max_off_nadir_deg: Number(f.get("max_off_nadir_deg")) }, time_limit_s: 10 };
  const summary = document.getElementById("plan-summary");
  summary.textContent = "planning…";
  try {
    const id = await runJob("plan", body, document.getElementById("plan-progress"));
    const plan = await api(`/api/jobs/${id}/result`, authorised());
    state.plan = { plan, requests };
    const images = Object.values(plan.satellites).flatMap((s) => s.acquisitions);
    summary.textContent = `${images.length} of ${requests.length} requests imaged, value ${plan.value} (${plan.solver}${plan.optimal ? ", optimal" : ""})` +
      plan.unscheduled.map((u) => `\n  ${u.request}: ${u.reason}`).join("");
    drawPlan(); drawGantt();
  } catch (error) { summary.textContent = error.message; }
});
function drawPlan() {
  if (!state.plan) return;
  const imaged = new Set(Object.values(state.plan.plan.satellites).flatMap((s) => s.acquisitions.map((a) => a.request)));
  layers.acq.selectAll("circle").data(state.plan.requests).join("circle").attr("class", "acq").attr("r", 5)
    .attr("fill", (d) => (imaged.has(d.id) ? "#5affb0" : "#ff5a5a"))
    .attr("cx", (d) => projection([d.lon_deg, d.lat_deg])[0]).attr("cy", (d) => projection([d.lon_deg, d.lat_deg])[1]);
}
function drawGantt() {
  const sats = Object.entries(state.plan.plan.satellites);
  const gantt = d3.select("#plan-gantt").attr("width", 350).attr("height", 30 + sats.length * 22);
  gantt.selectAll("*").remove();
  const items = sats.flatMap(([id, s]) => [...s.acquisitions.map((a) => ({ id, ...a, kind: "image" })), ...s.downlinks.map((d) => ({ id, ...d, kind: "downlink" }))]);
  if (!items.length) return;
  const x = d3.scaleTime().domain(d3.extent(items.flatMap((d) => [new Date(d.start), new Date(d.end)]))).range([60, 340]).nice();
  const y = d3.scaleBand().domain(sats.map(([id]) => id)).range([4, 4 + sats.length * 22]).padding(0.2);
  const [t0, t1] = x.domain();
  const format = d3.utcFormat(t1 - t0 < 3_600_000 ? "%H:%M:%S" : "%H:%M");
  gantt.append("g").attr("class", "axis").attr("transform", `translate(0,${8 + sats.length * 22})`).call(d3.axisBottom(x).ticks(4).tickFormat(format));
  gantt.append("g").selectAll("text").data(sats).join("text").attr("x", 2).attr("y", ([id]) => y(id) + 12).text(([id]) => id);
  gantt.append("g").selectAll("rect").data(items).join("rect").attr("x", (d) => x(new Date(d.start))).attr("y", (d) => y(d.id))
    .attr("width", (d) => Math.max(2, x(new Date(d.end)) - x(new Date(d.start)))).attr("height", y.bandwidth())
    .attr("fill", (d) => (d.kind === "image" ? "#5affb0" : "#4a90e2")).append("title").text((d) => `${d.kind} ${d.request || d.station} ${d.start}`);
}

// ---------------------------------------------------------------------------------------------- changes
async function loadChanges() {
  const feed = await api(`/api/changes?${qs({ since: "1957-10-04T00:00:00Z", limit: 2000 })}`);
  const box = d3.select("#changes");
  box.selectAll("*").remove();
  box.append("h3").text(`New objects, by launch (${feed.launches.length} launches)`);
  for (const launch of feed.launches.slice(0, 40)) {
    const div = box.append("div").attr("class", "launch");
    div.append("b").text(launch.launch);
    div.append("span").text(` · ${launch.objects.length} object(s)`);
    div.append("br");
    launch.objects.slice(0, 8).forEach((o, k) => {
      div.append("span").text(`${k ? ", " : ""}${o.name} `);
      div.append("span").attr("class", "muted").text(o.norad_id);
    });
  }
  const other = feed.changes.filter((c) => c.change !== "new");
  box.append("h3").text(`Gone, decayed, manoeuvres (${other.length})`);
  box.append("table").attr("class", "data").selectAll("tr").data(other.slice(0, 200)).join("tr")
    .each(function (c) {
      cells(this, [c.change, c.name, (c.time || "").slice(0, 16), c.detail]);
      d3.select(this).select("td").attr("class", `change-${String(c.change).replace(/[^a-z]/g, "")}`);
    });
}

// ---------------------------------------------------------------------------------------------- conjunctions
// the service screens and computes; the page lists, sorts and draws what it answers
document.getElementById("conjunctions-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const f = new FormData(event.target);
  const start = now(), hours = Number(f.get("hours"));
  const body = { start: iso(start), stop: iso(new Date(start.getTime() + hours * 60 * MINUTE)),
    threshold_km: Number(f.get("threshold_km")) };
  if (f.get("group")) body.group = f.get("group");
  const summary = document.getElementById("conjunctions-summary");
  summary.textContent = "screening…";
  try {
    const id = await runJob("conjunctions", body, document.getElementById("conjunctions-progress"));
    state.conjunctions = await api(`/api/jobs/${id}/result`, authorised());
    summary.textContent = `${state.conjunctions.length} approaches under ${body.threshold_km} km in ${hours} h (as of ${iso(start).slice(0, 16)} UTC)`;
    renderConjunctions();
  } catch (error) { summary.textContent = error.message; }
});
document.getElementById("conjunctions-sort").addEventListener("change", () => renderConjunctions());
function renderConjunctions() {
  const rows = [...(state.conjunctions || [])];
  const key = document.getElementById("conjunctions-sort").value;
  const pc = (r) => (r.max_pc === null ? -1 : r.max_pc);
  rows.sort(key === "pc" ? (a, b) => pc(b) - pc(a) : key === "range" ? (a, b) => a.min_range_km - b.min_range_km
    : (a, b) => (a.tca < b.tca ? -1 : 1));
  const table = d3.select("#conjunctions-table tbody").selectAll("tr").data(rows.slice(0, 500)).join("tr").attr("class", "clickable");
  table.each(function (r) {
    cells(this, [`${r.name_1} × ${r.name_2}`, r.tca.slice(5, 19).replace("T", " "), r.min_range_km.toFixed(3),
      r.max_pc === null ? "—" : r.max_pc.toExponential(1)]);
    d3.select(this).attr("title", `${r.norad_id_1} × ${r.norad_id_2} · ${r.tca} · ${r.relative_speed_km_s.toFixed(2)} km/s`);
  });
  table.on("click", function (_, r) {
    d3.selectAll("#conjunctions-table tr").classed("chosen", false); d3.select(this).classed("chosen", true);
    drawEncounterPlane(r);
  });
}
// the encounter plane of one approach: the combined covariance (1, 2, 3 sigma) around the miss, the hard body
function drawEncounterPlane(r) {
  const svg = d3.select("#encounter-plane");
  const note = document.getElementById("plane-note");
  svg.selectAll("*").remove();
  const ok = [r.plane_sigma_major_m, r.plane_sigma_minor_m, r.plane_miss_major_m, r.plane_miss_minor_m].every((x) => x !== null);
  svg.attr("hidden", ok ? null : true);
  document.getElementById("plane-title").hidden = !ok;
  if (!ok) { note.textContent = "no encounter plane: the relative speed is too low for a straight-line encounter"; return; }
  const size = 280, half = size / 2;
  const extent = Math.max(Math.abs(r.plane_miss_major_m) + 3 * r.plane_sigma_major_m,
    Math.abs(r.plane_miss_minor_m) + 3 * r.plane_sigma_minor_m, 30) * 1.05;
  const scale = (half - 16) / extent;
  svg.append("rect").attr("width", size).attr("height", size).attr("class", "plane-bg");
  svg.append("line").attr("x1", 0).attr("x2", size).attr("y1", half).attr("y2", half).attr("class", "plane-axis");
  svg.append("line").attr("y1", 0).attr("y2", size).attr("x1", half).attr("x2", half).attr("class", "plane-axis");
  const cx = half + r.plane_miss_major_m * scale, cy = half - r.plane_miss_minor_m * scale;
  [3, 2, 1].forEach((k) => svg.append("ellipse").attr("cx", cx).attr("cy", cy)
    .attr("rx", Math.max(k * r.plane_sigma_major_m * scale, 0.5)).attr("ry", Math.max(k * r.plane_sigma_minor_m * scale, 0.5))
    .attr("class", `plane-sigma sigma-${k}`));
  svg.append("line").attr("x1", half).attr("y1", half).attr("x2", cx).attr("y2", cy).attr("class", "plane-miss");
  svg.append("circle").attr("cx", half).attr("cy", half).attr("r", Math.max(10 * scale, 2)).attr("class", "plane-hbr");
  svg.append("text").attr("x", 6).attr("y", size - 8).attr("class", "plane-label")
    .text(`axes of the combined covariance · ${Math.round(extent)} m to the edge`);
  note.textContent = `${r.name_1} × ${r.name_2} at ${r.tca}: miss ${(r.min_range_km * 1000).toFixed(0)} m at ${r.relative_speed_km_s.toFixed(2)} km/s, 1σ ${r.plane_sigma_major_m.toFixed(0)} × ${r.plane_sigma_minor_m.toFixed(0)} m (assumed 100/300/100 m RTN per object), hard body 10 m`;
}

// ---------------------------------------------------------------------------------------------- globe
let globe = null;
function makeGlobe() {
  Cesium.Ion.defaultAccessToken = "";
  const viewer = new Cesium.Viewer("globe", {
    baseLayer: Cesium.ImageryLayer.fromProviderAsync(Cesium.TileMapServiceImageryProvider.fromUrl(
      Cesium.buildModuleUrl("Assets/Textures/NaturalEarthII"))),
    baseLayerPicker: false, geocoder: false, homeButton: false, sceneModePicker: false, navigationHelpButton: false,
    animation: false, timeline: false, fullscreenButton: false, infoBox: false, selectionIndicator: false,
    shouldAnimate: false, contextOptions: { webgl: { preserveDrawingBuffer: true } },
  });
  viewer.scene.globe.enableLighting = false;
  // a click on the Earth picks a place, as on the map
  new Cesium.ScreenSpaceEventHandler(viewer.scene.canvas).setInputAction((click) => {
    const picked = viewer.scene.pick(click.position);
    if (picked && picked.id && String(picked.id.id).startsWith("satellite/")) {
      switchTab("selected"); toggleSelected(Number(picked.id.id.split("/")[1])); return;
    }
    const cartesian = viewer.camera.pickEllipsoid(click.position, viewer.scene.globe.ellipsoid);
    if (!cartesian) return;
    const where = Cesium.Cartographic.fromCartesian(cartesian);
    pickPlace(Cesium.Math.toDegrees(where.latitude), Cesium.Math.toDegrees(where.longitude));
  }, Cesium.ScreenSpaceEventType.LEFT_CLICK);
  let source = null, loadedAt = null;
  const g = {
    viewer,
    async load() {
      const t = now();
      loadedAt = t.getTime();
      const url = `/api/export/ephemeris?${qs({ format: "czml", start: iso(new Date(t - 30 * MINUTE)), stop: iso(new Date(t.getTime() + 150 * MINUTE)), step_s: 60 })}`;
      const fresh = await Cesium.CzmlDataSource.load(url);
      if (source) viewer.dataSources.remove(source, true);
      source = fresh;
      await viewer.dataSources.add(source);
      g.showSelected(); g.setTime(now());
    },
    footprints() {  // the selected satellites' 10° footprints on the ground, as on the map
      const wanted = new Set();
      for (const p of state.positions.filter((q) => state.selected.has(q.norad_id))) {
        const id = `footprint/${p.norad_id}`;
        wanted.add(id);
        const radius = p.footprint_deg * Math.PI / 180 * 6371008.8;
        const entity = viewer.entities.getById(id) || viewer.entities.add({ id,
          ellipse: { material: Cesium.Color.fromCssColorString("#ffc828").withAlpha(0.18), outline: true,
                     outlineColor: Cesium.Color.fromCssColorString("#ffc828"), height: 0 } });
        entity.position = Cesium.Cartesian3.fromDegrees(p.lon_deg, p.lat_deg);
        entity.ellipse.semiMajorAxis = radius;
        entity.ellipse.semiMinorAxis = radius;
      }
      for (const entity of [...viewer.entities.values]) {
        if (String(entity.id).startsWith("footprint/") && !wanted.has(entity.id)) viewer.entities.remove(entity);
      }
    },
    showSelected() {
      g.footprints();
      if (!source) return;
      for (const entity of source.entities.values) {
        const id = Number(entity.id.split("/")[1]);
        const chosen = state.selected.has(id);
        if (entity.label) entity.label.show = chosen;
        if (entity.path) entity.path.show = chosen;
      }
    },
    setTime(t) {
      if (loadedAt === null) return;
      const ahead = t.getTime() - loadedAt;  // the CZML covers 30 min before to 150 min after its load time
      if (ahead < -25 * MINUTE || ahead > 140 * MINUTE) g.load().catch(report);
      viewer.clock.currentTime = Cesium.JulianDate.fromDate(t);
      g.footprints();
    },
  };
  return g;
}
async function switchView(view) {
  state.view = view;
  document.getElementById("map").hidden = view !== "map";
  document.getElementById("globe").hidden = view !== "globe";
  for (const v of ["map", "globe"]) {
    const b = document.getElementById(`view-${v}`);
    b.classList.toggle("active", v === view); b.setAttribute("aria-pressed", String(v === view));
  }
  if (view === "globe" && !globe) { globe = makeGlobe(); window.overhead.globe = globe; await globe.load(); drawPlace(); }
  if (view === "map") drawBase();
  saveUrl();
}
document.getElementById("view-map").addEventListener("click", () => switchView("map").catch(report));
document.getElementById("view-globe").addEventListener("click", () => switchView("globe").catch(report));

// ---------------------------------------------------------------------------------------------- tabs
function switchTab(tab) {
  state.tab = tab;
  document.querySelectorAll(".tabs button").forEach((b) => b.classList.toggle("active", b.dataset.tab === tab));
  document.querySelectorAll(".tab").forEach((el) => { el.hidden = el.id !== `tab-${tab}`; });
  if (tab === "changes") loadChanges().catch(report);
  saveUrl();
}
document.querySelectorAll(".tabs button").forEach((b) => b.addEventListener("click", () => switchTab(b.dataset.tab)));

// ---------------------------------------------------------------------------------------------- start
async function start() {
  const [status, world] = await Promise.all([api("/api/status"), api("/vendor/land-110m.json")]);
  state.status = status;
  land = topojson.feature(world, world.objects.land);
  const saved = readUrl();
  state.t0 = new Date(status.default_time);
  if (saved.t && !Number.isNaN(Date.parse(saved.t))) state.offsetMin = (Date.parse(saved.t) - state.t0) / MINUTE;
  state.offsetMin = Math.max(-720, Math.min(720, state.offsetMin));
  document.getElementById("status").textContent = `${status.active} satellites` +
    (status.elements_stale ? ` · elements of ${status.median_epoch.slice(0, 10)}: showing their epoch` : "");
  if (saved.sel) saved.sel.split(",").map(Number).filter(Number.isFinite).forEach((id) => state.selected.add(id));
  showTime();
  await refreshPositions();
  drawBase();
  new ResizeObserver(() => { if (state.view === "map") drawBase(); }).observe(mapEl);
  if (state.selected.size) await loadTracks();
  if (saved.tab) switchTab(saved.tab);
  if (saved.place) { const [lat, lon] = saved.place.split(",").map(Number); if (Number.isFinite(lat) && Number.isFinite(lon)) await pickPlace(lat, lon); }
  if (saved.view === "globe") await switchView("globe");
  if (saved.tab && saved.tab !== "place") switchTab(saved.tab);
  document.body.dataset.ready = "true";
}
start().catch(report);
