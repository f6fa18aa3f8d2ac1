// The clock: the time shown (a reference t0 and an offset the slider moves within ±12 h), play at a speed,
// and the one animation loop that advances it and draws when something changed.
import { MINUTE, iso, parseUtcEntry } from "./format.js";
import { announce, el } from "./ui.js";
import { current, now, perf, redraw, sky, state, views } from "./state.js";
import { playLimit } from "./keyframes.js";
import { interpolate, keys, pump } from "./sky.js";
import { drawFootprints, drawNight, drawPoints } from "./map.js";
import { refreshPlace } from "./places.js";
import { renderSelected, updateTracks } from "./selection.js";
import { saveUrl, statusLine } from "./views.js";

export function showTime() {
  const t = now();
  el("time-label").textContent = iso(t).replace("T", " ").replace("Z", " UTC") + placeTime(t) +
    (state.catchingUp ? " · catching up" : "");
  el("time-slider").value = Math.round(state.offsetMin);
  if (document.activeElement !== el("time-entry")) el("time-entry").value = iso(t).slice(0, 19);
}
// the local time at the place chosen, where its time zone is known (the formatter kept: this runs every frame)
let zoneFormat = null;
function placeTime(t) {
  const zone = state.place && state.place.zone;
  if (!zone) return "";
  if (!zoneFormat || zoneFormat.zone !== zone) {
    try {
      zoneFormat = { zone, format: new Intl.DateTimeFormat("en-GB", { timeZone: zone, hour: "2-digit", minute: "2-digit",
        second: "2-digit", hourCycle: "h23", timeZoneName: "short" }) };
    } catch { return ""; }
  }
  return ` · ${zoneFormat.format.format(t)} at the place`;
}
/** The place's time zone came: the clock says the local time there. */
export function refreshZone() { showTime(); }
/** A new reference time: the slider spans ±12 h around it. */
export function setTime(date) {
  state.t0 = new Date(Math.round(date.getTime() / 1000) * 1000); state.offsetMin = 0;
  timeChanged();
}
function timeChanged() {
  showTime(); redraw(); pump(); followClock(); saveUrl();
}
function setOffset(minutes) {
  if (minutes > 720 || minutes < -720) { setTime(new Date(state.t0.getTime() + minutes * MINUTE)); return; }
  state.offsetMin = minutes;
  timeChanged();
}
let lastTick = performance.now(), fpsCount = 0, fpsSince = performance.now();
let lateSince = null;  // since when the playing clock has waited for a keyframe (null: it has not)
function play(direction) {
  const again = state.playing && state.direction === direction;
  state.playing = !again; state.direction = direction;
  el("play").textContent = state.playing && direction > 0 ? "❚❚" : "▶";
  el("play-back").textContent = state.playing && direction < 0 ? "❚❚" : "◀";
  el("play").setAttribute("aria-label", state.playing && direction > 0 ? "pause" : "play");
  lastTick = performance.now();
  keys.clear(); pump(); followClock(); redraw();
}

function draw() {
  if (state.view === "map") { drawPoints(); drawNight(); if (state.selected.size) drawFootprints(); }
  if (state.selected.size) updateTracks();
  if (views.globe) views.globe.update();
  perf.frames += 1; fpsCount += 1;
  if (perf.firstDrawMs === null) {  // since the script started, and since navigation (firstDrawAt)
    perf.firstDrawAt = performance.now(); perf.firstDrawMs = perf.firstDrawAt - perf.started;
    document.body.dataset.drawn = "true";
  }
}
let agedShown = 0;  // objects hidden (elements too far from the time) when the status line was last written
/** One loop: advance the clock while playing, draw when something changed. */
export function tick(time) {
  try { step(time); } catch (error) { looping = false; throw error; }  // the next redraw() starts it again
}
function step(time) {
  if (state.playing) {
    // the clock runs no further than the keyframes the worker has made: when they are late it waits ("catching
    // up"), so that what is drawn is where the objects are at the time shown
    const wanted = state.offsetMin + (time - lastTick) / MINUTE * state.speed * state.direction;
    const limit = playLimit(keys, now().getTime(), state);
    const late = state.direction > 0 ? state.t0.getTime() + wanted * MINUTE > limit : state.t0.getTime() + wanted * MINUTE < limit;
    state.offsetMin = late ? (limit - state.t0.getTime()) / MINUTE : wanted;
    lateSince = late ? (lateSince ?? time) : null;
    state.catchingUp = lateSince !== null && time - lateSince > 250;  // said when it lasts, not at every keyframe
    if (Math.abs(state.offsetMin) > 720) { state.t0 = now(); state.offsetMin = 0; }
    showTime(); pump(); followClock(); redraw();
  } else {
    lateSince = null; state.catchingUp = false;
  }
  lastTick = time;
  if (views.dirty && sky.count && interpolate(now().getTime())) {
    views.dirty = false;
    draw();
    if (current.aged !== agedShown) { agedShown = current.aged; announce(statusLine()); }  // the truth about the time
  }
  if (time - fpsSince > 1000) {
    el("fps").textContent = state.playing ? `${Math.round(fpsCount * 1000 / (time - fpsSince))} fps` : "";
    fpsCount = 0; fpsSince = time;
  }
  // paused with nothing to draw, the loop sleeps: no frame asked of the browser (a frame loop that draws nothing
  // still wakes the browser 60 times a second: 7 % of a core on the map, 10 % on the globe); redraw() wakes it
  const globeBusy = views.globe && state.view === "globe" && views.globe.render();
  if (state.playing || views.dirty || globeBusy) requestAnimationFrame(tick);
  else { looping = false; el("fps").textContent = ""; }
}
let looping = false;
/** Start the frame loop where it sleeps (not before the clock has a time: the catalogue can arrive first). */
export function wake() {
  if (looping || !state.t0) return;
  looping = true; lastTick = performance.now();
  requestAnimationFrame(tick);
}

// panels follow the clock: after a pause in its moves, or every 2 s while playing
let followTimer = null, lastFollow = 0;
export function followClock() {
  clearTimeout(followTimer);
  const run = () => { lastFollow = performance.now(); refreshPlace(); renderSelected(); };
  if (state.playing && performance.now() - lastFollow > 2000) run();
  else followTimer = setTimeout(run, 400);
}

/** The clock's controls: slider, entry box, now, epoch, steps, speed, play either way. */
export function initClock() {
  views.wake = wake;
  const slider = el("time-slider");
  slider.addEventListener("input", () => setOffset(Number(slider.value)));
  el("time-entry").addEventListener("change", (e) => {
    const t = parseUtcEntry(e.target.value);
    if (Number.isFinite(t)) setTime(new Date(t)); else announce("write the time as YYYY-MM-DD HH:MM:SS (UTC)");
  });
  el("time-now").addEventListener("click", () => setTime(new Date()));
  el("time-epoch").addEventListener("click", () => setTime(new Date(state.status.default_time)));
  el("step-back").addEventListener("click", () => setOffset(state.offsetMin - Number(el("step").value)));
  el("step-forward").addEventListener("click", () => setOffset(state.offsetMin + Number(el("step").value)));
  el("speed").addEventListener("change", (e) => { state.speed = Number(e.target.value); keys.clear(); pump(); });
  el("play").addEventListener("click", () => play(1));
  el("play-back").addEventListener("click", () => play(-1));
}
