// Selected satellites: their tracks (from the worker), what the store knows of them, the export links.
import { MINUTE, TYPE_NAMES, hms, iso, objectDetailLines, qs } from "./format.js";
import { orbitMinutes } from "./tracks.js";
import { api, el, report } from "./ui.js";
import { PALETTE, now, redraw, sky, state, views } from "./state.js";
import { ask, positionOf, typeOf } from "./sky.js";
import { drawFootprints, drawTracks } from "./map.js";
import { saveUrl } from "./views.js";

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
  item.append("button").attr("aria-label", `deselect ${sky.name[d.i]}`).text("×").on("click", () => toggleSelected(d.id, false));
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
