// The panels of jobs and feeds: coverage, plan, changes, conjunctions, alerts (the service computes; the page
// lists, sorts and draws what it answers).
import { MINUTE, iso, qs } from "./format.js";
import { actionable, announce, api, cells, panel, report } from "./ui.js";
import { now, sky, state, views } from "./state.js";
import { positionsAt } from "./sky.js";
import { layers, path, projection } from "./map.js";
import { setTime } from "./clock.js";
import { openObject, toggleSelected } from "./selection.js";
import { switchView } from "./views.js";

// a job that failed: its message, and a button that runs the same form again
function jobFailed(summary, error, form) {
  summary.textContent = `⚠ ${error.message} `;
  const retry = document.createElement("button");
  retry.type = "button"; retry.textContent = "retry";
  retry.addEventListener("click", () => form.requestSubmit());
  summary.appendChild(retry);
}

// ---------------------------------------------------------------------------------------------- jobs
// jobs need the service's token (or a client key): kept for this tab only, sent as a bearer token
const tokenInput = document.getElementById("token");
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
// three kinds of cell, told apart: never seen (no access), always covered (no gap at all), and the others coloured
// by the figure; a cell seen once has no revisit (it needs two accesses) and is drawn as "seen, no revisit"
const NEVER = "#c0392b", ALWAYS = "#ffffff", ONCE = "#5b6b86";
function cellKind(p) {
  if (!p.accesses) return "never";
  if (p.percent_covered !== null && p.percent_covered >= 99.999) return "always";
  return "seen";
}
export function drawCells() {
  const legend = document.getElementById("legend");
  const shown = document.getElementById("cells-shown").checked;
  if (!state.coverage || !shown) { layers.cells.selectAll("path").remove(); legend.hidden = true; return; }
  const { cells, metric } = state.coverage;
  for (const feature of cells.features) {  // d3 wants clockwise rings on the sphere; H3 gives them counter-clockwise
    const g = feature.geometry;  // (a cell cut at the antimeridian is a MultiPolygon: each part turned on its own)
    const polygons = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
    for (const rings of polygons) {
      if (d3.geoArea({ type: "Polygon", coordinates: rings }) > 2 * Math.PI) rings.forEach((ring) => ring.reverse());
    }
  }
  const inHours = metric.endsWith("_s");
  const unit = inHours ? "h" : metric === "percent_covered" ? "%" : "";
  const value = (f) => { const v = f.properties[metric]; return v === null || v === undefined ? null : (inHours ? v / 3600 : v); };
  const seen = cells.features.filter((f) => cellKind(f.properties) === "seen");
  const values = seen.map(value).filter((v) => v !== null);
  const [lo, hi] = values.length ? d3.extent(values) : [0, 1];
  // short gaps are good: the colour scale runs from bright (good) to dark (bad) whatever the figure
  const better = ["percent_covered", "accesses"].includes(metric) ? (v) => v : (v) => hi + lo - v;
  const color = d3.scaleSequential(d3.interpolateViridis).domain([lo, hi === lo ? lo + 1 : hi]);
  const fill = (f) => {
    const kind = cellKind(f.properties);
    if (kind === "never") return NEVER;
    if (kind === "always") return ALWAYS;
    const v = value(f);
    return v === null ? ONCE : color(better(v));
  };
  const label = { max_gap_s: "longest gap", mean_revisit_s: "mean revisit", max_revisit_s: "max revisit", percent_covered: "time covered", accesses: "accesses", mean_response_s: "mean response" }[metric] || metric;
  // each cell says its value: on hover (its title) and on a click (the status line)
  const said = (f) => {
    const kind = cellKind(f.properties), v = value(f);
    const what = kind === "never" ? "never seen" : kind === "always" ? "always covered" :
      v === null ? "seen once, no revisit" : `${label} ${v.toFixed(inHours ? 2 : 1)}${unit ? ` ${unit}` : ""}`;
    return `cell ${f.properties.id}: ${what} (${f.properties.accesses} accesses)`;
  };
  layers.cells.selectAll("path").data(cells.features).join("path").attr("class", (f) => `cell cell-${cellKind(f.properties)}`)
    .attr("d", path).attr("fill", fill).attr("fill-opacity", 0.72)
    .selectAll("title").data((f) => [f]).join("title").text(said);
  legend.hidden = false;
  const box = d3.select(legend);
  box.selectAll("*").remove();
  box.append("div").text(`${label}${unit ? ` (${unit})` : ""}`);
  const bar = box.append("svg").attr("width", 200).attr("height", 26).attr("role", "img").attr("aria-label", `colour scale from ${lo.toFixed(1)} to ${hi.toFixed(1)} ${unit}`);
  const gradient = bar.append("defs").append("linearGradient").attr("id", "cells-gradient");
  for (let k = 0; k <= 10; k++) gradient.append("stop").attr("offset", `${k * 10}%`).attr("stop-color", color(better(lo + (hi - lo) * k / 10)));
  bar.append("rect").attr("width", 200).attr("height", 10).attr("fill", "url(#cells-gradient)");
  const axis = d3.scaleLinear().domain([lo, hi]).range([0, 199]);
  bar.append("g").attr("class", "axis").attr("transform", "translate(0,10)").call(d3.axisBottom(axis).ticks(4).tickSize(3));
  const counts = d3.rollup(cells.features, (v) => v.length, (f) => (cellKind(f.properties) === "seen" && value(f) === null ? "once" : cellKind(f.properties)));
  const keyRow = box.append("div");
  for (const [kind, colour, text] of [["always", ALWAYS, "always covered"], ["never", NEVER, "never seen"], ["once", ONCE, "seen, no revisit"]]) {
    if (!counts.get(kind)) continue;
    keyRow.append("span").attr("class", "swatch").style("background", colour);
    keyRow.append("span").text(` ${text} (${counts.get(kind)}) `);
  }
}

export function drawPlan() {
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
  const x = d3.scaleTime().domain(d3.extent(items.flatMap((d) => [new Date(d.start), new Date(d.end)]))).range([104, 340]).nice();
  const y = d3.scaleBand().domain(sats.map(([id]) => id)).range([4, 4 + sats.length * 22]).padding(0.2);
  const [t0, t1] = x.domain();
  const format = d3.utcFormat(t1 - t0 < 3_600_000 ? "%H:%M:%S" : "%H:%M");
  gantt.append("g").attr("class", "axis").attr("transform", `translate(0,${8 + sats.length * 22})`).call(d3.axisBottom(x).ticks(4).tickFormat(format));
  // each row named as the catalogue names its satellite (cut to fit; the whole name and number on hover)
  const nameOf = (id) => sky.name[sky.index.get(Number(id))] || `NORAD ${id}`;
  gantt.append("g").selectAll("text").data(sats).join("text").attr("class", "sat-label").attr("x", 2).attr("y", ([id]) => y(id) + 12)
    .text(([id]) => (nameOf(id).length > 14 ? `${nameOf(id).slice(0, 13)}…` : nameOf(id)))
    .append("title").text(([id]) => `${nameOf(id)} (${id})`);
  gantt.append("g").selectAll("rect").data(items).join("rect").attr("x", (d) => x(new Date(d.start))).attr("y", (d) => y(d.id))
    .attr("width", (d) => Math.max(2, x(new Date(d.end)) - x(new Date(d.start)))).attr("height", y.bandwidth())
    .attr("fill", (d) => (d.kind === "image" ? "#5affb0" : "#4a90e2")).append("title").text((d) => `${d.kind} ${d.request || d.station} ${d.start}`);
}

// ---------------------------------------------------------------------------------------------- changes
const changesPanel = panel("changes", async (signal) => {
  const feed = await api(`/api/changes?${qs({ since: "1957-10-04T00:00:00Z", limit: 2000 })}`, { signal });
  const box = d3.select("#changes");
  box.selectAll("*").remove();
  const launches = feed.launches.length;
  box.append("p").attr("class", "muted").text(`the newest ${feed.changes.length.toLocaleString("en")} of ${feed.total.toLocaleString("en")} changes, newest first`);
  if (feed.baselines.length) {  // a group's first snapshot: every object is new then, one line, not news
    box.append("h3").text("First snapshots (their objects are the baseline, not listed as new)");
    for (const b of feed.baselines) {
      box.append("p").attr("class", "baseline")
        .text(`${b.group || "(no group)"}: ${b.objects.toLocaleString("en")} object(s) first catalogued ${b.ingested_at.slice(0, 16).replace("T", " ")} UTC (ingest ${b.ingest_id})`);
    }
  }
  box.append("h3").text(`New objects, by launch (${launches} launches; newest first)`);
  for (const launch of feed.launches.slice(0, 40)) {
    const div = box.append("div").attr("class", "launch");
    div.append("b").text(launch.launch);
    div.append("span").text(` · ${launch.objects.length} object(s) · first seen ${(launch.objects[0].time || "").slice(0, 10)}`);
    div.append("br");
    launch.objects.slice(0, 8).forEach((o, k) => {
      div.append("span").text(k ? ", " : "");
      const item = div.append("span").datum(o).attr("class", "object");
      item.append("span").text(`${o.name} `);
      item.append("span").attr("class", "muted").text(o.norad_id);
      actionable(item, (x) => openObject(x.norad_id), `${o.name}, NORAD ${o.norad_id}: show the object`);
    });
  }
  if (launches > 40) box.append("p").attr("class", "muted").text(`40 of ${launches} launches shown`);
  const other = feed.changes.filter((c) => c.change !== "new");
  box.append("h3").text(`Gone, decayed, manoeuvres (${Math.min(200, other.length)} of ${other.length}, newest first)`);
  const rows = box.append("table").attr("class", "data").selectAll("tr").data(other.slice(0, 200)).join("tr")
    .each(function (c) {
      cells(this, [c.change, c.name, (c.time || "").slice(0, 16), c.detail]);
      d3.select(this).select("td").attr("class", `change-${String(c.change).replace(/[^a-z]/g, "")}`);
    });
  rows.each(function (c) { actionable(d3.select(this), (x) => openObject(x.norad_id), `${c.change}: ${c.name}, show the object`); });
  return "";
});
export function loadChanges() { changesPanel.run(); }

// ---------------------------------------------------------------------------------------------- conjunctions
// the service screens and computes; the page lists, sorts and draws what it answers
const CONJUNCTIONS_PAGE = 200;
let conjunctionsShown = CONJUNCTIONS_PAGE;
// docked vehicles, formations, co-located satellites: one line each with the range band, never a Pc
function renderCoMoving() {
  const list = document.getElementById("co-moving");
  const pairs = state.coMoving || [];
  list.hidden = pairs.length === 0;
  document.getElementById("co-moving-count").textContent = `${pairs.length} co-moving pair${pairs.length === 1 ? "" : "s"} (docked, formation or co-located: not conjunctions, no probability)`;
  d3.select("#co-moving ul").selectAll("li").data(pairs).join("li").text((r) =>
    `${r.name_1} × ${r.name_2}: ${r.min_range_km.toFixed(2)}–${r.max_range_km.toFixed(2)} km (median ${r.median_range_km.toFixed(2)}), ${r.start.slice(5, 16).replace("T", " ")} to ${r.stop.slice(5, 16).replace("T", " ")} UTC`);
}
function renderConjunctions() {
  const rows = [...(state.conjunctions || [])];
  const key = document.getElementById("conjunctions-sort").value;
  const pc = (r) => (r.max_pc === null ? -1 : r.max_pc);
  rows.sort(key === "pc" ? (a, b) => pc(b) - pc(a) : key === "range" ? (a, b) => a.min_range_km - b.min_range_km
    : (a, b) => (a.tca < b.tca ? -1 : 1));
  // paged: every approach reachable, none dropped without a word
  const more = document.getElementById("conjunctions-more");
  more.hidden = rows.length <= conjunctionsShown;
  more.textContent = `show ${Math.min(CONJUNCTIONS_PAGE, rows.length - conjunctionsShown)} more (${Math.min(conjunctionsShown, rows.length)} of ${rows.length} shown)`;
  const table = d3.select("#conjunctions-table tbody").selectAll("tr").data(rows.slice(0, conjunctionsShown)).join("tr").attr("class", "clickable");
  table.each(function (r) {
    cells(this, [`${r.name_1} × ${r.name_2}`, r.tca.slice(5, 19).replace("T", " "), r.min_range_km.toFixed(3),
      r.max_pc === null ? "—" : r.max_pc.toExponential(1)]);
    d3.select(this).attr("title", `${r.norad_id_1} × ${r.norad_id_2} · ${r.tca} · ${r.relative_speed_km_s.toFixed(2)} km/s`);
  });
  table.on("click", function (_, r) {
    d3.selectAll("#conjunctions-table tr").classed("chosen", false); d3.select(this).classed("chosen", true);
    chosenApproach = r; window.overhead.approach = r;  // for people and tests reading the page
    document.getElementById("encounter-globe").hidden = false;
    drawEncounterPlane(r);
  });
}
// both objects on the globe at the time of closest approach, with their orbits one revolution either side
let chosenApproach = null;
async function showEncounter(r) {
  for (const id of [...state.selected]) toggleSelected(id, false);
  setTime(new Date(r.tca));
  const missing = [r.norad_id_1, r.norad_id_2].filter((id) => !sky.index.has(id));
  for (const id of [r.norad_id_1, r.norad_id_2]) if (sky.index.has(id)) toggleSelected(id, true);
  await switchView("globe");
  // the camera to where the encounter happens: the first object's place at TCA (the page's own SGP4)
  const at = await positionsAt(r.tca);
  const k = sky.index.get(r.norad_id_1);
  if (k !== undefined && at.valid[k]) views.globe.flyTo(at.lat_deg[k], at.lon_deg[k], at.alt_km[k]);
  announce(`${r.name_1} × ${r.name_2}: the clock at closest approach (${r.tca})` +
    (missing.length ? `; ${missing.join(", ")} not in the active catalogue` : ""));
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


// ---------------------------------------------------------------------------------------------- alerts
// the service's stream of alerts (server-sent events): the recent ones first, then each as it is raised
let alertSource = null;
export async function openAlerts() {
  if (alertSource) return;
  const list = d3.select("#alerts-list"), note = document.getElementById("alerts-state");
  const shown = new Set();  // keys on the list: the stream resumes after the highest id listed, so one could come twice
  const add = (a) => {
    if (shown.has(a.key)) return;
    shown.add(a.key);
    const item = list.insert("li", ":first-child").datum(a).attr("class", `alert alert-${String(a.kind || "").replace(/[^a-z]/g, "")}`)
      // when it was raised first (an alert from the stream: now), the event's own time (pass, TCA) last
      .text(`${(a.raised || new Date().toISOString()).slice(0, 16).replace("T", " ")} · ${a.kind} · ${a.name || ""} · ` +
        `${a.detail || ""} · event ${(a.time || "").slice(0, 16).replace("T", " ")}`);
    const ids = a.norad_id !== undefined ? [a.norad_id] : (a.norad_ids || []);
    if (ids.length) actionable(item, () => ids.forEach(openObject), `${a.kind}: ${a.name || ids.join(", ")}, show the object(s)`);
  };
  let last = null;
  try {
    const recent = await api(`/api/alerts?${qs({ limit: 50 })}`);
    recent.slice().reverse().forEach(add);
    last = recent.length ? Math.max(...recent.map((a) => a.id)) : 0;
    note.textContent = recent.length ? `${recent.length} recent alerts; listening for new ones…` : "no alerts yet; listening…";
  } catch (error) { note.textContent = `⚠ ${error.message}`; }
  // a cursor whenever the list came (0 when it was empty): without one the stream starts from the newest id it sees
  // first, and an alert stored between the list above and that first look would never be shown
  alertSource = new EventSource(`/api/alerts/stream${last !== null ? `?${qs({ after_id: last })}` : ""}`);
  alertSource.addEventListener("alert", (event) => {
    const a = JSON.parse(event.data);
    add(a);
    note.textContent = `new alert at ${new Date().toISOString().slice(11, 19)} UTC; listening…`;
  });
  alertSource.addEventListener("error", () => { note.textContent = "the alert stream was interrupted; reconnecting…"; });
  alertSource.addEventListener("open", () => { if (note.textContent.includes("interrupted")) note.textContent = "listening…"; });
}

// ---------------------------------------------------------------------------------------------- the forms
async function submitCoverage(event) {
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
  } catch (error) { jobFailed(summary, error, event.target); }
}
async function submitPlan(event) {
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
  } catch (error) { jobFailed(summary, error, event.target); }
}
async function submitConjunctions(event) {
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
    const rows = await api(`/api/jobs/${id}/result`, authorised());
    // pairs that stay together (docked, formation) are not conjunctions: listed apart, with no probability
    state.conjunctions = rows.filter((r) => r.kind !== "co-moving");
    state.coMoving = rows.filter((r) => r.kind === "co-moving");
    conjunctionsShown = CONJUNCTIONS_PAGE;
    summary.textContent = `${state.conjunctions.length} approaches under ${body.threshold_km} km in ${hours} h (as of ${iso(start).slice(0, 16)} UTC)` +
      (state.coMoving.length ? `; ${state.coMoving.length} co-moving pair${state.coMoving.length === 1 ? "" : "s"} listed apart` : "");
    renderConjunctions();
    renderCoMoving();
  } catch (error) { jobFailed(summary, error, event.target); }
}

/** The forms and buttons of the panels. */
export function initPanels() {
  tokenInput.value = sessionStorage.getItem("overhead-token") || "";
  tokenInput.addEventListener("change", () => sessionStorage.setItem("overhead-token", tokenInput.value.trim()));
  document.getElementById("coverage-form").addEventListener("submit", submitCoverage);
  document.getElementById("cells-shown").addEventListener("change", () => drawCells());
  // another figure recolours the cells held: the job's answer has them all
  document.querySelector("#coverage-form select[name=metric]").addEventListener("change", (e) => {
    if (state.coverage) { state.coverage.metric = e.target.value; drawCells(); }
  });
  document.getElementById("plan-form").addEventListener("submit", submitPlan);
  document.getElementById("conjunctions-form").addEventListener("submit", submitConjunctions);
  document.getElementById("conjunctions-sort").addEventListener("change", () => renderConjunctions());
  document.getElementById("conjunctions-more").addEventListener("click", () => {
    conjunctionsShown += CONJUNCTIONS_PAGE;
    renderConjunctions();
  });
  document.getElementById("encounter-globe").addEventListener("click", () => { if (chosenApproach) showEncounter(chosenApproach).catch(report); });
}
