// Selected satellites: their tracks (from the worker), what the store knows of them, the export links.
import { MINUTE, TYPE_NAMES, hms, iso, objectDetailLines, qs } from "./format.js";
import { orbitMinutes } from "./tracks.js";
import { api, el, report } from "./ui.js";
import { PALETTE, now, redraw, sky, state, views } from "./state.js";
import { ask, positionOf, typeOf } from "./sky.js";
import { drawFootprints, drawTracks } from "./map.js";
import { saveUrl, switchTab } from "./views.js";

async function loadTrack(id) {
  const i = sky.index.get(id);
  if (i === undefined) return;
  const period = orbitMinutes(sky.meanMotion[i]), t = now().getTime();
  const span = Math.min(period, 1440) * MINUTE;
  const track = await ask({ type: "track", index: i, start_ms: t - span, stop_ms: t + span,
    step_s: Math.max(10, span / 1000 / 150) });
  track.center = t; track.span = span;
  state.tracks.set(id, track);
  drawTracks();
  if (views.globe) views.globe.showSelected();
}
let trackCheck = 0;
/** Tracks computed again while playing when the clock leaves the middle of their span. */
export function updateTracks() {
  const t = now().getTime();
  if (Math.abs(t - trackCheck) < 5_000 * Math.max(1, state.speed / 60)) return;
  trackCheck = t;
  for (const id of state.selected) {
    const track = state.tracks.get(id);
    if (!track || Math.abs(t - track.center) > track.span / 3) loadTrack(id).catch(report);
  }
  drawTracks();
}
export function toggleSelected(id, on = !state.selected.has(id)) {
  if (on) state.selected.add(id); else { state.selected.delete(id); state.tracks.delete(id); }
  saveUrl();
  if (on) loadTrack(id).catch(report);
  drawTracks(); drawFootprints(); renderSelected(); redraw();
  if (views.globe) views.globe.showSelected();
  el("follow").hidden = el("inertial").hidden = !(state.view === "globe" && state.selected.size);
}
/** Where a list's row leads: its object selected (drawn, its track and footprint) and its panel shown. */
export function openObject(id) {
  if (!state.selected.has(id)) toggleSelected(id, true);
  switchTab("selected");
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
function renderItem(item, d) {
  item.selectAll("*").remove();
  item.append("span").attr("class", "swatch").style("background", PALETTE[d.k % PALETTE.length]);
  if (d.i === undefined) { item.append("span").text(` NORAD ${d.id} (not in the active catalogue)`); return; }
  item.append("span").text(` ${sky.name[d.i]} `);
  item.append("span").attr("class", "muted").text(`${d.id} · ${TYPE_NAMES[typeOf(d.i)]}${sky.owner[d.i] ? ` · ${sky.owner[d.i]}` : ""}`);
  const p = positionOf(d.i);
  if (p) item.append("div").attr("class", "muted").text(`${p.lat_deg.toFixed(2)}°, ${p.lon_deg.toFixed(2)}°, ${p.alt_km.toFixed(0)} km, ${p.sunlit ? "sunlit" : "in shadow"} · as of ${hms(now())} UTC`);
  const detail = objectDetail(d.id);
  for (const line of detail ? objectDetailLines(detail) : ["…"]) item.append("div").attr("class", "detail").text(line);
  if (detail && !detail.error) renderMore(item, d.id, detail);
  item.append("button").attr("aria-label", `deselect ${sky.name[d.i]}`).text("×").on("click", () => toggleSelected(d.id, false));
}
/** The rest of an object's panel: its elements' age at the time shown, tags, next passes over the place, TLE. */
function renderMore(item, id, detail) {
  if (detail.epoch) {
    const days = Math.abs(now().getTime() - Date.parse(detail.epoch)) / 86_400_000;
    item.append("div").attr("class", "detail").text(`elements ${days.toFixed(1)} days from the time shown` +
      `${detail.object_type ? ` · ${detail.object_type}` : ""}${detail.owner ? ` · owner ${detail.owner}` : ""}` +
      ` · ${detail.history.length} element sets stored`);
  }
  if (detail.tags && detail.tags.length) item.append("div").attr("class", "detail").text(`tags: ${detail.tags.join(", ")}`);
  const passes = nextPasses(id);
  if (passes) item.append("div").attr("class", "detail next-passes").text(passes);
  if (detail.tle && detail.tle.length) item.append("pre").attr("class", "tle").text(detail.tle.join("\n"));
}
// the object's next passes over the place chosen (24 h from the time shown), asked once per object, place and hour
const passTexts = new Map();
function nextPasses(id) {
  if (!state.place) return "";
  const start = new Date(Math.floor(now().getTime() / 3_600_000) * 3_600_000);
  const key = `${id}|${state.place.lat.toFixed(4)},${state.place.lon.toFixed(4)}|${start.getTime()}`;
  if (!passTexts.has(key)) {
    passTexts.set(key, "next passes over the place: …");
    const query = { ids: id, lat_deg: state.place.lat.toFixed(5), lon_deg: state.place.lon.toFixed(5),
      start: iso(start), stop: iso(new Date(start.getTime() + 24 * 60 * MINUTE)), limit: 3 };
    api(`/api/passes?${qs(query)}`).then((rows) => {
      const upcoming = rows.filter((p) => Date.parse(p.set) >= now().getTime());
      passTexts.set(key, upcoming.length ? `next passes over the place: ${upcoming.map((p) =>
        `${p.rise.slice(11, 16)} UTC, ${Math.round(p.max_elevation_deg)}° up`).join("; ")}` : "no pass over the place in the next 24 h");
      renderSelected();
    }).catch((error) => { passTexts.set(key, `next passes: ${error.message}`); renderSelected(); });
  }
  return passTexts.get(key);
}
export function renderSelected() {
  const items = [...state.selected].map((id, k) => ({ id, k, i: sky.index.get(id) }));
  d3.select("#selected-list").selectAll("li").data(items, (d) => d.id).join("li").each(function (d) { renderItem(d3.select(this), d); });
  const ids = [...state.selected].join(",");
  const span = { ids, start: iso(now()), stop: iso(new Date(now().getTime() + 180 * MINUTE)) };
  el("czml-link").href = `/api/export/ephemeris?${qs({ ...span, format: "czml" })}`;
  el("kml-link").href = `/api/export/ephemeris?${qs({ ...span, format: "kml" })}`;
  el("oem-link").href = `/api/export/ephemeris?${qs({ ...span, format: "oem" })}`;
  el("tle-link").href = `/api/export/elements?${qs({ ids, format: "tle" })}`;
}
