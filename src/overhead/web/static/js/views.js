// Map or globe, the side panel's tabs, and the page's address (view, tab, time, selection, place).
import { iso, qs } from "./format.js";
import { announce, el, report } from "./ui.js";
import { current, now, redraw, sky, state, views } from "./state.js";
import { drawBase } from "./map.js";
import { loadChanges, openAlerts } from "./panels.js";

export function saveUrl() {
  const p = { view: state.view, tab: state.tab, t: iso(now()) };
  if (state.selected.size) p.sel = [...state.selected].join(",");
  if (state.place) p.place = `${state.place.lat.toFixed(4)},${state.place.lon.toFixed(4)}`;
  history.replaceState(null, "", `#${qs(p)}`);
}
export function readUrl() {
  const p = new URLSearchParams(location.hash.slice(1));
  return { view: p.get("view"), tab: p.get("tab"), t: p.get("t"), sel: p.get("sel"), place: p.get("place") };
}

/** A classic script (Cesium.js) added to the page; resolves once it ran. */
export function loadScript(src) {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = src; script.onload = resolve; script.onerror = () => reject(new Error(`${src} did not load`));
    document.head.appendChild(script);
  });
}

/** What the page shows: how many satellites, and how many it hides because their elements are too far from the
 * time shown (the service refuses those times too). */
export function statusLine() {
  const s = state.status, aged = current.aged || 0;
  const hidden = aged ? ` · ${aged.toLocaleString("en")} hidden: their elements are more than ` +
    `${s.limits.max_element_age_days} days from the time shown (epoch shows them)` : "";
  return `${sky.count.toLocaleString("en")} satellites (SGP4 in this page${sky.failed ? `; ${sky.failed} without a valid orbit` : ""})` +
    hidden + (s.elements_stale && !aged ? ` · elements of ${s.median_epoch.slice(0, 10)}: showing their epoch` : "");
}

export async function switchView(view) {
  state.view = view;
  document.body.dataset.view = view;  // the layout follows (a phone sizes the map to the world, the globe to the screen)
  el("map").hidden = view !== "map";
  el("globe").hidden = view !== "globe";
  for (const v of ["map", "globe"]) {
    const b = el(`view-${v}`);
    b.classList.toggle("active", v === view); b.setAttribute("aria-pressed", String(v === view));
  }
  el("zoom-reset").hidden = view !== "map";
  if (view !== "map") el("legend").hidden = true;  // the cells' legend: the globe draws no cells (the map redraws it)
  el("follow").hidden = el("inertial").hidden = !(view === "globe" && state.selected.size);
  if (view === "globe" && !views.globe) {
    announce("loading the globe…");
    const { makeGlobe } = await import("./globe.js");  // CesiumJS only when the globe is first opened
    views.globe = await makeGlobe();
    window.overhead.globe = views.globe;
    announce(statusLine());
  }
  if (view === "map") drawBase();
  redraw();
  saveUrl();
}

const tabButtons = () => [...document.querySelectorAll(".tabs [role=tab]")];
export function switchTab(tab, focus = false) {
  state.tab = tab;
  for (const b of tabButtons()) {
    const on = b.dataset.tab === tab;
    b.classList.toggle("active", on); b.setAttribute("aria-selected", String(on)); b.tabIndex = on ? 0 : -1;
    if (on && focus) b.focus();
  }
  document.querySelectorAll(".tab").forEach((t) => { t.hidden = t.id !== `tab-${tab}`; });
  if (tab === "changes") loadChanges();
  if (tab === "alerts") openAlerts();
  saveUrl();
}

/** The view buttons and the tabs (arrows, Home and End move between tabs: the WAI-ARIA tabs pattern). */
export function initViews() {
  el("view-map").addEventListener("click", () => switchView("map").catch(report));
  el("view-globe").addEventListener("click", () => switchView("globe").catch(report));
  const buttons = tabButtons();
  buttons.forEach((b, k) => {
    b.addEventListener("click", () => switchTab(b.dataset.tab));
    b.addEventListener("keydown", (e) => {
      const step = { ArrowRight: 1, ArrowLeft: -1, Home: -k, End: buttons.length - 1 - k }[e.key];
      if (step === undefined) return;
      e.preventDefault();
      switchTab(buttons[(k + step + buttons.length) % buttons.length].dataset.tab, true);
    });
  });
}
