// overhead dashboard: a d3-geo map (and a CesiumJS globe, loaded when opened) over the REST API. Native ES modules,
// no build step, nothing fetched from outside this service. The catalogue is propagated in the page (satellite.js
// in a Web Worker, from the element sets of /api/sky); the service answers the exact questions (passes, what is
// overhead, coverage, plans, conjunctions).
//
// Modules: format, sun, keyframes, tracks (pure: Node's test runner checks them); state (what the page holds); ui
// (requests, status line, panel states); sky (the worker protocol, positions, categories); map; globe; clock;
// selection; places (search, place, passes); panels (jobs and feeds); views (map/globe, tabs, address).
import { parsePlaceParam, TYPE_NAMES } from "./format.js";
import { announce, api, el, report } from "./ui.js";
import { current, perf, screen, sky, state } from "./state.js";
import { computeCategories, drawnErrorKm, loadSky, positionsAt, pump, typeOf } from "./sky.js";
import { drawBase, drawPlace, initMap, setLand, watchMapSize } from "./map.js";
import { initClock, showTime, wake } from "./clock.js";
import { toggleSelected } from "./selection.js";
import { initPlaces, refreshPlace } from "./places.js";
import { drawCells, initPanels } from "./panels.js";
import { initViews, readUrl, statusLine, switchTab, switchView } from "./views.js";

// for people and tests reading the page
window.overhead = { state, sky, current, perf, screen_x: (i) => screen.x[i], screen_y: (i) => screen.y[i], positionsAt, drawnErrorKm, drawCells };

function option(value, text) { const o = document.createElement("option"); o.value = value; o.textContent = text; return o; }
/** The choices that depend on the catalogue: groups, tags and object types in the filters and the job forms. */
function fillChoices() {
  const groups = state.status.groups;
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
function initFilters() {
  el("colour-by").addEventListener("change", (e) => { state.colourBy = e.target.value; computeCategories(); });
  for (const [key, id] of [["group", "show-group"], ["type", "show-type"], ["regime", "show-regime"]]) {
    el(id).addEventListener("change", (e) => { state.show[key] = e.target.value; computeCategories(); });
  }
}
/** What the address asked for: the selection, the place, the view and the tab. */
async function restore(saved) {
  if (saved.sel) saved.sel.split(",").map(Number).filter(Number.isFinite).forEach((id) => toggleSelected(id, true));
  const place = parsePlaceParam(saved.place);
  if (place) { state.place = { ...place, name: "" }; drawPlace(); refreshPlace(); }
  if (saved.view === "globe") await switchView("globe");
  if (saved.tab) switchTab(saved.tab);
}
async function start() {
  initMap(); initClock(); initPlaces(); initPanels(); initViews(); initFilters();
  const [status, topo] = await Promise.all([api("/api/status"), api("/vendor/land-110m.json"), loadSky()]);
  state.status = status;
  setLand(topo);
  const saved = readUrl();
  state.t0 = new Date(status.default_time);
  if (saved.t && !Number.isNaN(Date.parse(saved.t))) state.t0 = new Date(Date.parse(saved.t));
  announce(statusLine());
  fillChoices();
  computeCategories();
  drawBase();
  watchMapSize();
  showTime();
  pump();
  wake();
  await restore(saved);
  document.body.dataset.ready = "true";
}
start().catch(report);
