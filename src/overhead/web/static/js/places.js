// A place: the search boxes (ARIA comboboxes for satellites and places), what is above the place now, its pass
// list (only the rows in view are in the page), the pass timeline and the polar plot of one pass.
import { DEG, MINUTE, hms, iso, qs } from "./format.js";
import { announce, api, cells, el, leftOutNote, panel, report, request } from "./ui.js";
import { now, state } from "./state.js";
import { drawPlace } from "./map.js";
import { toggleSelected } from "./selection.js";
import { refreshZone } from "./clock.js";
import { saveUrl, statusLine, switchTab } from "./views.js";

/** A text box with a list of choices: arrows move, Enter chooses, Escape closes (ARIA combobox pattern). */
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
  const chooseNow = async () => {  // Enter before the list came: look it up now, take the first
    const q = input.value.trim();
    if (!q) return;
    try { const found = await find(q); if (found.length) { close(); choose(found[0]); } else announce(`nothing found for “${q}”`); } catch (error) { report(error); }
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
      if (list.hidden || active < 0) { await chooseNow(); return; }
      close(); choose(options[active]);
    } else if (e.key === "Escape") close();
  });
  input.addEventListener("blur", () => setTimeout(close, 150));
}
async function findSatellites(q, signal) {
  const page = await api(`/api/objects?${qs({ q, limit: 20, status: "active" })}`, { signal });
  return page.objects.map((o) => ({ label: `${o.name} · ${o.norad_id} · ${o.object_id} · ${o.regime}`, id: o.norad_id }));
}
async function findPlaces(q, signal) {
  const found = await api(`/api/places?${qs({ q, limit: 12 })}`, { signal });
  return found.map((p) => ({ ...p, label: p.country ? `${p.name}, ${p.country} · ${p.lat_deg.toFixed(2)}°, ${p.lon_deg.toFixed(2)}° · ${p.population.toLocaleString("en")}` : `${p.name} (coordinates)` }));
}

// ---------------------------------------------------------------------------------------------- a place
export async function pickPlace(lat, lon, name = "") {
  state.place = { lat, lon, name };
  if (!name) el("place-box").value = `${lat.toFixed(4)}, ${lon.toFixed(4)}`;  // a click on the map: the box says it
  announce(statusLine());  // no longer "click the map…"
  drawPlace(); saveUrl(); switchTab("place");
  passesWindow = null;
  refreshPlace();
}
function showPlaceInfo() {
  const { lat, lon, name, zone } = state.place;
  el("place-info").textContent = `${name ? `${name} · ` : ""}${lat.toFixed(4)}°, ${lon.toFixed(4)}°${zone ? ` · ${zone}` : ""}`;
}
/** The place's time zone (the service's, from its boundaries): the clock then says the local time there too. */
function placeZone(place) {
  place.zone = null;  // asked
  api(`/api/places?${qs({ q: `${place.lat.toFixed(5)}, ${place.lon.toFixed(5)}`, limit: 1 })}`).then((found) => {
    if (state.place !== place) return;
    place.zone = (found[0] && found[0].timezone) || "";
    showPlaceInfo(); refreshZone();
  }).catch(() => { place.zone = ""; });
}
const abovePanel = panel("above", async (signal) => {
  const { lat, lon } = state.place, t = now();
  const { data, headers } = await request(`/api/above?${qs({ lat_deg: lat.toFixed(5), lon_deg: lon.toFixed(5), time: iso(t), min_elevation_deg: 0 })}`, { signal });
  state.above = data; state.aboveTime = iso(t);
  el("above-asof").textContent = `as of ${hms(t)} UTC`;
  renderAbove();
  return leftOutNote(headers);
});
let passesWindow = null;  // the span and filters of the passes held: asked again only when the clock leaves it
const AHEAD = 60 * MINUTE;  // the span asked reaches an hour past the list's end: playing asks again hourly
// and starts a little before now, so that a pass in progress is listed (and marked) with its real rise
const BEFORE = 20 * MINUTE;
const passesPanel = panel("passes", async (signal, query) => {
  // state.passPage passes a request: the first rows show at once, the rest follow page by page
  const page = async (cursor) => request(`/api/passes?${qs({ ...query, limit: state.passPage, cursor })}`, { signal });
  let { data, headers } = await page("");
  const total = Number(headers.get("x-total-count") || data.length), note = leftOutNote(headers);
  state.passes = data; state.passesQuery = query;
  // magnitudes are of visible passes (a sunlit satellite in a dark sky): the column only where the list is of them
  document.getElementById("passes-table").classList.toggle("no-magnitude", !query.visible);
  passBody.scrollTop = 0;  // a new list starts at its top, not at the old one's scroll offset
  el("passes-csv").href = `/api/passes?${qs({ ...query, format: "csv" })}`;
  renderPasses();
  for (let cursor = headers.get("x-next-cursor"); cursor; cursor = headers.get("x-next-cursor")) {
    el("passes-state").textContent = `loading… ${state.passes.length.toLocaleString("en")} of ${total.toLocaleString("en")} passes`;
    ({ data, headers } = await page(cursor));
    state.passes = state.passes.concat(data);
    renderPasses();
  }
  return `${total.toLocaleString("en")} passes${note ? ` · ${note}` : ""}`;
});
function passesHours() { return Number(new FormData(el("passes-form")).get("hours")); }
function passesQuery() {
  const f = new FormData(el("passes-form")), t = now();
  const { lat, lon } = state.place;
  return { lat_deg: lat.toFixed(5), lon_deg: lon.toFixed(5),
    start: iso(new Date(t.getTime() - BEFORE)), stop: iso(new Date(t.getTime() + passesHours() * 60 * MINUTE + AHEAD)),
    min_elevation_deg: f.get("min_elevation_deg"), group: f.get("group"), object_type: f.get("object_type"),
    owner: (f.get("owner") || "").trim(), regime: f.get("regime"), visible: f.get("visible") ? "true" : "" };
}
/** Whether the passes held answer the list at time t (ms): the same filters, and [t, t + hours] inside their span. */
function passesHeld(t, key) {
  return passesWindow !== null && key === passesWindow.key && t - BEFORE >= passesWindow.start &&
    t + passesHours() * 60 * MINUTE <= passesWindow.stop;
}
/** What is above the place now, and its passes again when the clock left their span or the filters changed. */
export function refreshPlace() {
  if (!state.place) return;
  el("place-hint").hidden = true;
  showPlaceInfo();
  if (state.place.zone === undefined) placeZone(state.place);
  abovePanel.run();
  const t = now().getTime(), query = passesQuery();
  const key = JSON.stringify({ ...query, start: 0, stop: 0 });
  if (passesHeld(t, key)) { renderPasses(); return; }
  if (!passesWindow || key !== passesWindow.key) d3.select("#polar").attr("hidden", true).selectAll("*").remove();
  passesWindow = { key, start: Date.parse(query.start), stop: Date.parse(query.stop) };
  passesPanel.run(query);
}
function renderAbove() {
  const highest = [...state.above].sort((a, b) => b.elevation_deg - a.elevation_deg).slice(0, 40);
  el("above-count").textContent = state.above.length > highest.length ? `the highest ${highest.length} of ${state.above.length} above the horizon` : `${state.above.length} above the horizon`;
  d3.select("#above-table tbody").selectAll("tr").data(highest).join("tr")
    .attr("class", "clickable").attr("tabindex", "0").attr("title", (d) => `${d.name} (${d.norad_id}): select it`)
    .on("click", (_, d) => toggleSelected(d.norad_id, true))  // a row leads to its object: selected, on the map
    .on("keydown", (e, d) => { if (e.key === "Enter") toggleSelected(d.norad_id, true); })
    .each(function (d) {
      cells(this, [d.name, `${d.azimuth_deg.toFixed(0)}°`, `${d.elevation_deg.toFixed(1)}°`, d.range_km.toFixed(0), d.sunlit ? "yes" : "no"]);
    });
}

// ---------------------------------------------------------------------------------------------- the pass list
// only the rows in view are in the page (74,000 passes are 74,000 rows of data, ~30 of DOM); a row's height is the
// style sheet's --row-px: two lines on a narrow screen, so that nothing in it is cut
const passTable = document.getElementById("passes-table");
const rowHeight = () => parseFloat(getComputedStyle(passTable).getPropertyValue("--row-px"));
let ROW_PX = rowHeight();
window.matchMedia("(max-width: 600px)").addEventListener("change", () => {
  ROW_PX = rowHeight();
  if (state.shownPasses) renderPasses();
});
const passBody = document.querySelector("#passes-table .vbody");
const passSpacer = document.querySelector("#passes-table .vspacer");
/** The passes of the list: not yet set, rising within its hours. */
function shownPasses() {
  const t = now(), from = t.toISOString(), until = new Date(t.getTime() + passesHours() * 60 * MINUTE).toISOString();
  return state.passes.filter((p) => p.set > from && p.rise <= until);
}
// the keyboard's place in the list (arrow keys on the focused list; Enter opens that pass): the list is drawn
// row by row as it scrolls, so the place is an index, shown by aria-activedescendant
let passCursor = -1;
passBody.addEventListener("keydown", (e) => {
  const rows = state.shownPasses || [];
  if (!rows.length || e.target !== passBody) return;
  if (e.key === "ArrowDown" || e.key === "ArrowUp" || e.key === "Home" || e.key === "End") {
    e.preventDefault();
    const step = { ArrowDown: 1, ArrowUp: -1, Home: -rows.length, End: rows.length }[e.key];
    passCursor = Math.max(0, Math.min(rows.length - 1, passCursor + step));
    const top = passCursor * ROW_PX;
    if (top < passBody.scrollTop) passBody.scrollTop = top;
    else if (top + ROW_PX > passBody.scrollTop + passBody.clientHeight) passBody.scrollTop = top + ROW_PX - passBody.clientHeight;
    drawPassRows();
  } else if ((e.key === "Enter" || e.key === " ") && passCursor >= 0) {
    e.preventDefault();
    openPass(rows[passCursor]);
  }
});
function renderPasses() {
  const rows = shownPasses();
  if (rows !== state.shownPasses) passCursor = Math.min(passCursor, rows.length - 1);
  state.shownPasses = rows;
  passSpacer.style.height = `${rows.length * ROW_PX}px`;
  passBody.style.height = `${Math.max(ROW_PX, Math.min(320, rows.length * ROW_PX))}px`;
  drawPassRows();
  drawTimeline(rows);
}
function passTitle(d, t) {
  const visible = d.visible_start ? `; visible ${d.visible_start.slice(11, 19)}–${d.visible_end.slice(11, 19)}` +
    (d.brightest_magnitude !== null ? `, magnitude ${d.brightest_magnitude.toFixed(1)} (${d.magnitude_source})` : "") : "";
  return `${d.name} (${d.norad_id}): rise ${d.rise}${d.rise <= t ? " (in progress)" : ""}, culmination ${d.culmination}, set ${d.set}${visible}`;
}
function passCells(d, t) {
  const magnitude = d.brightest_magnitude === null || d.brightest_magnitude === undefined ? "" : d.brightest_magnitude.toFixed(1);
  const rise = d.rise <= t ? `now (${d.rise.slice(11, 16)})` : d.rise.slice(5, 16).replace("T", " ");
  return [d.name, rise, `${d.rise_azimuth_deg.toFixed(0)}°`, `${d.max_elevation_deg.toFixed(1)}° · ${d.culmination.slice(11, 16)}`,
    `${d.set.slice(11, 16)} · ${d.set_azimuth_deg.toFixed(0)}°`, magnitude];
}
function drawPassRows() {
  const rows = state.shownPasses || [], t = now().toISOString();
  const first = Math.max(0, Math.floor(passBody.scrollTop / ROW_PX) - 5);
  const last = Math.min(rows.length, first + Math.ceil((passBody.clientHeight || 320) / ROW_PX) + 10);
  const slice = rows.slice(first, last).map((d, k) => ({ d, k: first + k }));
  d3.select(passSpacer).selectAll("div.vrow").data(slice, (r) => `${r.d.norad_id}/${r.d.rise}`).join("div")
    .attr("class", (r) => `vrow clickable${r.d.rise <= t ? " in-progress" : ""}${r.k === passCursor ? " cursor" : ""}`)
    .attr("role", "row").attr("tabindex", "-1").attr("id", (r) => `pass-row-${r.k}`)
    .attr("aria-selected", (r) => String(r.k === passCursor))
    .attr("title", (r) => passTitle(r.d, t))
    .style("top", (r) => `${r.k * ROW_PX}px`)
    .each(function ({ d }) { d3.select(this).selectAll("span").data(passCells(d, t)).join("span").attr("role", "cell").text((v) => v); })
    .on("click", function (_, r) {
      d3.selectAll("#passes-table .vrow").classed("chosen", false); d3.select(this).classed("chosen", true);
      openPass(r.d);
    })
    .on("keydown", (e, r) => { if (e.key === "Enter") openPass(r.d); });
  if (passCursor >= 0) passBody.setAttribute("aria-activedescendant", `pass-row-${passCursor}`);
  else passBody.removeAttribute("aria-activedescendant");
}
function drawTimeline(rows) {
  const timeline = d3.select("#pass-timeline");
  const width = timeline.node().getBoundingClientRect().width || 340;
  const start = now(), stop = new Date(start.getTime() + passesHours() * 60 * MINUTE);
  const x = d3.scaleTime().domain([start, stop]).range([4, width - 4]);
  timeline.selectAll("*").remove();
  timeline.append("g").attr("class", "axis").attr("transform", "translate(0,44)").call(d3.axisBottom(x).ticks(6).tickFormat(d3.utcFormat("%H:%M")));
  timeline.append("g").selectAll("rect").data(rows.slice(0, 3000)).join("rect")
    .attr("x", (d) => Math.max(4, x(new Date(d.rise)))).attr("width", (d) => Math.max(1.5, x(new Date(d.set)) - Math.max(4, x(new Date(d.rise)))))
    .attr("y", (d) => 40 - d.max_elevation_deg * 0.4).attr("height", (d) => d.max_elevation_deg * 0.4)
    .attr("fill", "#ffc828").attr("opacity", 0.7);
}
/** A pass chosen in the list: its satellite selected (track and footprint on the map) and its polar plot. */
function openPass(pass) {
  toggleSelected(pass.norad_id, true);
  polarPlot(pass).catch(report);
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

/** The two search boxes and the pass filters. */
export function initPlaces() {
  combobox(el("search"), el("search-results"), findSatellites,
    (o) => { el("search").value = ""; switchTab("selected"); toggleSelected(o.id, true); });
  combobox(el("place-box"), el("place-results"), findPlaces, (p) => {
    const name = p.country ? `${p.name}, ${p.country}` : "";
    el("place-box").value = p.country ? name : p.name;
    pickPlace(p.lat_deg, p.lon_deg, name);
  });
  el("passes-form").addEventListener("change", () => { passesWindow = null; refreshPlace(); });
  el("passes-form").addEventListener("submit", (e) => e.preventDefault());
  passBody.addEventListener("scroll", () => requestAnimationFrame(drawPassRows));
}
