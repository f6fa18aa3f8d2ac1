// The globe: CesiumJS, loaded only when the globe is opened (this module is imported then). The catalogue is one
// primitive over typed arrays (globe-points.js) fed by the page's propagation (Earth-fixed positions from the
// worker), not one CZML entity per object; the selected objects get their orbit (past dashed, future solid) and
// their footprint (a line moved in place).
import { DEG, footprintDeg } from "./format.js";
import { CataloguePoints } from "./globe-points.js";
import { trackParts } from "./tracks.js";
import { announce } from "./ui.js";
import { PALETTE, current, now, redraw, sky, state, views } from "./state.js";
import { categories } from "./sky.js";
import { setPickMode } from "./map.js";
import { pickPlace } from "./places.js";
import { toggleSelected } from "./selection.js";
import { loadScript, switchTab } from "./views.js";

const EARTH_ROTATION_RAD_S = 7.2921158553e-5;
const FOOTPRINT_POINTS = 120, FOOTPRINT_HEIGHT_M = 2_000;  // chords of 3° of a 20° circle sag 0.4 km: drawn 2 km up

/** The circle of the ground `radiusDeg` (Earth-central angle) around a point, on a sphere, as Cesium positions. */
function groundCircle(latDeg, lonDeg, radiusDeg) {
  const lat = latDeg * DEG, lon = lonDeg * DEG, d = radiusDeg * DEG, out = [];
  for (let k = 0; k < FOOTPRINT_POINTS; k++) {
    const bearing = 2 * Math.PI * k / FOOTPRINT_POINTS;
    const lat2 = Math.asin(Math.sin(lat) * Math.cos(d) + Math.cos(lat) * Math.sin(d) * Math.cos(bearing));
    const lon2 = lon + Math.atan2(Math.sin(bearing) * Math.sin(d) * Math.cos(lat), Math.cos(d) - Math.sin(lat) * Math.sin(lat2));
    out.push(Cesium.Cartesian3.fromRadians(lon2, lat2, FOOTPRINT_HEIGHT_M));
  }
  return out;
}

/** Sample j of a track in metres: Earth-fixed at its own time or, given a time (ms), where that point of the orbit
 * is in the Earth-fixed frame of that time (the Earth turned by its rotation rate between the two: precession and
 * nutation over one orbit are far below a pixel). */
function orbitPoint(track, j, atMs) {
  const x = track.ecf[3 * j] * 1000, y = track.ecf[3 * j + 1] * 1000, z = track.ecf[3 * j + 2] * 1000;
  if (atMs === null) return new Cesium.Cartesian3(x, y, z);
  const angle = EARTH_ROTATION_RAD_S * (atMs - track.times[j]) / 1000, c = Math.cos(angle), s = Math.sin(angle);
  return new Cesium.Cartesian3(c * x + s * y, -s * x + c * y, z);
}

/** In software WebGL, the scene drawn straight into the canvas: Cesium draws it into a framebuffer of its own, to
 * copy the globe's depth for picking from the depth buffer, then copies that to the canvas, two more full-screen
 * passes a frame (15.1 -> 17.9 frames/s with 16k objects). Cesium takes this path itself where the context has no
 * depth textures; the page picks on the ellipsoid (places) and its own points (satellites), never from depth. */
function drawStraightToCanvas(scene) {
  scene.useDepthPicking = false;  // the camera's controls then pick the ellipsoid too
  for (const view of new Set([scene._defaultView, scene._view])) {
    if (view && view.globeDepth) { view.globeDepth.destroy(); view.globeDepth = undefined; }
  }
}

/** The globe in #globe, drawing what the page holds; its handle (update, showSelected, drawPlace, flyTo, ...). */
export async function makeGlobe() {
  window.CESIUM_BASE_URL = "/vendor/cesium/";  // before Cesium.js loads: where its workers and assets are
  const css = document.createElement("link");
  css.rel = "stylesheet"; css.href = "/vendor/cesium/Widgets/widgets.css";
  document.head.appendChild(css);
  await loadScript("/vendor/cesium/Cesium.js");
  Cesium.Ion.defaultAccessToken = "";
  const viewer = new Cesium.Viewer("globe", {
    baseLayer: Cesium.ImageryLayer.fromProviderAsync(Cesium.TileMapServiceImageryProvider.fromUrl(
      Cesium.buildModuleUrl("Assets/Textures/NaturalEarthII"))),
    baseLayerPicker: false, geocoder: false, homeButton: false, sceneModePicker: false, navigationHelpButton: false,
    animation: false, timeline: false, fullscreenButton: false, infoBox: false, selectionIndicator: false,
    shouldAnimate: false, contextOptions: { webgl: { preserveDrawingBuffer: false } },
    // translucent lines (the past orbit, footprints) blended in draw order: order-independent translucency adds
    // full-screen passes every frame (software WebGL: 13.4 -> 15.1 frames/s with 16k objects)
    orderIndependentTranslucency: false,
    // drawn when something changed (the page's positions, the camera, a tile), not every frame: paused with
    // nothing moving, the globe costs nothing (it drew 60 frames a second and held a core before)
    requestRenderMode: true, maximumRenderTimeChange: Infinity,
    // the page's frame loop drives Cesium's (g.render): one loop, which sleeps when nothing moves
    useDefaultRenderLoop: false,
  });
  const scene = viewer.scene;
  // in software WebGL (SwiftShader, llvmpipe: no GPU) the sky, the atmosphere and the full resolution cost 2-10x
  // the frame rate: drawn without them and at half resolution there (measured: 2 -> 20 frames/s at 1600x1000 with the sample)
  const gl = scene.context._gl, info = gl && gl.getExtension("WEBGL_debug_renderer_info");
  const renderer = info ? String(gl.getParameter(info.UNMASKED_RENDERER_WEBGL)) : "";
  const software = /swiftshader|llvmpipe|software/i.test(renderer);
  if (software) {
    scene.skyBox.show = false; scene.moon.show = false; scene.skyAtmosphere.show = false; scene.fog.enabled = false;
    scene.globe.showGroundAtmosphere = false; scene.globe.maximumScreenSpaceError = 4; viewer.resolutionScale = 0.5;
    scene.postProcessStages.fxaa.enabled = false;
    drawStraightToCanvas(scene);
  }
  // one frustum from the camera to beyond the geostationary belt (Cesium's default ratio split the view in two and
  // drew everything twice: 11.6 -> 17.1 frames/s with 16k objects in software WebGL); the logarithmic depth buffer
  // keeps the precision over that range
  scene.logarithmicDepthFarToNearRatio = 1e12;
  scene.globe.enableLighting = true;  // the night side, from the clock's time
  scene.globe.dynamicAtmosphereLighting = true;
  scene.globe.dynamicAtmosphereLightingFromSun = true;
  const points = scene.primitives.add(new CataloguePoints(sky.count));
  const lines = scene.primitives.add(new Cesium.PolylineCollection());
  // footprints as lines whose points move (an ellipse entity changed every frame was made again in a worker each
  // time: the globe drew at 6 frames/s with two satellites selected, 11 with none)
  const footprints = scene.primitives.add(new Cesium.PolylineCollection());
  const footprintLines = new Map();  // NORAD id -> its footprint's line
  const colourCache = new Map();
  const colour = (css) => { if (!colourCache.has(css)) colourCache.set(css, Cesium.Color.fromCssColorString(css)); return colourCache.get(css); };
  const rgbCache = new Map();
  const rgb = (css) => {  // the colour as bytes, for the points' typed array
    if (!rgbCache.has(css)) { const c = colour(css); rgbCache.set(css, [c.red, c.green, c.blue].map((v) => Math.round(v * 255))); }
    return rgbCache.get(css);
  };
  // CSS pixels (the drawing buffer is half the size in software), as the points' alpha: 20 x the size
  const dot = Math.round((software ? 2 : 2.5) * 20), big = Math.round(8 * 20);
  const looks = new Int16Array(sky.count).fill(-1);
  let placeEntity = null;
  const selectedIndex = () => new Map([...state.selected].map((id, k) => [sky.index.get(id), k]));
  let chosen = selectedIndex();

  new Cesium.ScreenSpaceEventHandler(scene.canvas).setInputAction((click) => {
    if (!state.pickMode) {
      const i = points.pick(scene, click.position);
      if (i >= 0) { switchTab("selected"); toggleSelected(sky.ids[i]); return; }
      announce("to choose a place, type it in the place box or press Pick place, then click the globe");
      return;
    }
    const cartesian = viewer.camera.pickEllipsoid(click.position, scene.globe.ellipsoid);
    setPickMode(false);
    if (!cartesian) return;
    const where = Cesium.Cartographic.fromCartesian(cartesian);
    pickPlace(Cesium.Math.toDegrees(where.latitude), Cesium.Math.toDegrees(where.longitude));
  }, Cesium.ScreenSpaceEventType.LEFT_CLICK);

  // the keyboard moves the globe too: focus it (Tab), arrows turn the Earth under the camera, + and - zoom
  const canvas = scene.canvas;
  let lastInput = 0;  // the camera moves on for a while after the mouse (inertia): frames for 1.5 s after input
  for (const type of ["pointerdown", "pointermove", "pointerup", "wheel", "keydown"]) {
    canvas.addEventListener(type, () => { lastInput = performance.now(); views.wake(); }, { passive: true });
  }
  window.addEventListener("resize", () => views.wake());
  canvas.setAttribute("tabindex", "0");
  canvas.setAttribute("aria-label", "globe with the satellites: arrow keys turn it, + and - zoom");
  canvas.addEventListener("keydown", (event) => {
    const camera = viewer.camera, angle = Cesium.Math.toRadians(5);
    const height = Cesium.Cartographic.fromCartesian(camera.positionWC).height;
    const turns = { ArrowLeft: () => camera.rotateRight(angle), ArrowRight: () => camera.rotateLeft(angle),
      ArrowUp: () => camera.rotateDown(angle), ArrowDown: () => camera.rotateUp(angle),
      "+": () => camera.zoomIn(height * 0.3), "=": () => camera.zoomIn(height * 0.3), "-": () => camera.zoomOut(height * 0.4) };
    if (!turns[event.key]) return;
    event.preventDefault();
    turns[event.key]();
    scene.requestRender();
  });
  let following = false, inertial = false;
  document.getElementById("inertial").addEventListener("click", (e) => {
    inertial = !inertial;
    e.target.classList.toggle("active", inertial); e.target.setAttribute("aria-pressed", String(inertial));
    g.showSelected();
  });
  document.getElementById("follow").addEventListener("click", (e) => {
    following = !following;
    e.target.classList.toggle("active", following); e.target.setAttribute("aria-pressed", String(following));
    if (!following) viewer.camera.lookAtTransform(Cesium.Matrix4.IDENTITY);
    redraw();  // follow at once, paused or playing
  });

  const g = {
    viewer, points, lines, footprintLines, software, renderer,
    frames: 0,
    orbitsAt: 0,  // the time (ms) the orbits were drawn for (inertial ones are turned with the Earth from there)
    update() {  // positions of this frame (the page's interpolated propagation), colours, the clock
      const started = performance.now();
      const { of, shown, colour: colours } = categories, light = state.colourBy === "light";
      const { positions, colours: bytes } = points, ecf = current.ecf;
      for (let i = 0; i < sky.count; i++) {
        const visible = Boolean((current.flags[i] & 1) && shown[i]);
        if (!visible) { bytes[4 * i + 3] = 0; looks[i] = -1; continue; }
        positions[3 * i] = ecf[3 * i] * 1000; positions[3 * i + 1] = ecf[3 * i + 1] * 1000; positions[3 * i + 2] = ecf[3 * i + 2] * 1000;
        const k = chosen.get(i);
        const look = k !== undefined ? 100 + (k % PALETTE.length) : light ? (current.flags[i] & 2 ? 0 : 1) : of[i];
        if (looks[i] !== look) {
          looks[i] = look;
          const [r, gr, b] = rgb(k !== undefined ? PALETTE[k % PALETTE.length] : colours[look]);
          bytes[4 * i] = r; bytes[4 * i + 1] = gr; bytes[4 * i + 2] = b; bytes[4 * i + 3] = k !== undefined ? big : dot;
        }
      }
      points.changed();
      g.updateMs = performance.now() - started;
      viewer.clock.currentTime = Cesium.JulianDate.fromDate(now());
      // inertial orbits turn with the sky: their Earth-fixed drawing at g.orbitsAt, turned by the Earth's rotation since
      lines.modelMatrix = inertial ? Cesium.Matrix4.fromRotation(Cesium.Matrix3.fromRotationZ(
        -EARTH_ROTATION_RAD_S * (now().getTime() - g.orbitsAt) / 1000)) : Cesium.Matrix4.IDENTITY;
      g.footprints();
      if (following && state.selected.size) {
        const i = sky.index.get([...state.selected][0]);
        if (i !== undefined) {
          const target = new Cesium.Cartesian3(current.ecf[3 * i] * 1000, current.ecf[3 * i + 1] * 1000, current.ecf[3 * i + 2] * 1000);
          viewer.camera.lookAt(target, new Cesium.HeadingPitchRange(0, -Math.PI / 2, 2.5e6));
        }
      }
      scene.requestRender();
    },
    footprints() {  // the selected satellites' 10° footprints on the ground, as on the map: lines moved in place
      const wanted = new Set();
      for (const id of state.selected) {
        const i = sky.index.get(id);
        if (i === undefined || !(current.flags[i] & 1)) continue;
        wanted.add(id);
        let line = footprintLines.get(id);
        if (!line) {
          line = footprints.add({ width: 1.5, loop: true, material: Cesium.Material.fromType("Color", { color: colour("#ffc828") }) });
          footprintLines.set(id, line);
        }
        line.positions = groundCircle(current.lat[i], current.lon[i], footprintDeg(current.alt[i]));
      }
      for (const [id, line] of footprintLines) {
        if (!wanted.has(id)) { footprints.remove(line); footprintLines.delete(id); }
      }
    },
    recolour() { looks.fill(-1); },
    render() {  // one turn of Cesium's loop (it draws only when asked or the camera moved); whether to go on
      viewer.resize();
      viewer.render();
      return performance.now() - lastInput < 1500 || !scene.globe.tilesLoaded || scene.tweens.length > 0;
    },
    flyTo(latDeg, lonDeg, altKm) {  // the camera over a point, 3,000 km above it, in a second and a half
      g.flownTo = { lat: latDeg, lon: lonDeg };
      viewer.camera.flyTo({ destination: Cesium.Cartesian3.fromDegrees(lonDeg, latDeg, (altKm + 3000) * 1000), duration: 1.5 });
      scene.requestRender(); views.wake();
    },
    showSelected() {  // orbits of the selected satellites from their tracks: one orbit back (dashed), one ahead
      chosen = selectedIndex();
      looks.fill(-1);
      lines.removeAll();
      g.orbitsAt = now().getTime();
      let k = 0;
      for (const id of state.selected) {
        const track = state.tracks.get(id), css = PALETTE[k++ % PALETTE.length];
        if (!track) continue;
        const { past, future } = trackParts(track, g.orbitsAt, (j) => orbitPoint(track, j, inertial ? g.orbitsAt : null));
        if (past.length > 1) lines.add({ positions: past, width: 1.5, material: Cesium.Material.fromType("PolylineDash", { color: colour(css), dashLength: 12 }) });
        if (future.length > 1) lines.add({ positions: future, width: 2, material: Cesium.Material.fromType("Color", { color: colour(css) }) });
      }
      redraw();
    },
    drawPlace() {
      if (placeEntity) viewer.entities.remove(placeEntity);
      placeEntity = null;
      if (!state.place) return;
      placeEntity = viewer.entities.add({ position: Cesium.Cartesian3.fromDegrees(state.place.lon, state.place.lat),
        point: { pixelSize: 9, color: colour("#ff5a5a"), outlineColor: Cesium.Color.WHITE, outlineWidth: 1.5 } });
      scene.requestRender(); views.wake();
    },
  };
  scene.postRender.addEventListener(() => { g.frames += 1; });
  g.update(); g.showSelected(); g.drawPlace();
  return g;
}
