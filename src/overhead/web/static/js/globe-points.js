// The catalogue on the globe as one Cesium primitive: one draw command over two typed arrays (Earth-fixed
// positions in metres, and a colour whose alpha is the point's size), written to the GPU in one copy when they
// change. A PointPrimitiveCollection keeps an object per satellite and rewrites its vertex attributes point by
// point (16,000 setter calls a frame); here a frame costs a loop over typed arrays and one buffer upload.
// Hidden points (filtered out, elements too old) have alpha 0, and points behind the Earth as the camera sees it
// are left out of the draw (an index buffer of the others): software WebGL pays per point drawn, about half of them
// hidden at any time (16.4 -> 20 frames/s with 16k objects).

const POLAR_RADIUS_M = 6356752.3;  // the Earth's smallest radius: nothing visible is taken for hidden

const VERTEX_SHADER = `
in vec3 position;
in vec4 colour;
out vec4 v_colour;
uniform float u_pixelRatio;
void main() {
  v_colour = vec4(colour.rgb, 1.0);
  if (colour.a == 0.0) { gl_Position = vec4(2.0, 2.0, 2.0, 1.0); gl_PointSize = 0.0; return; }
  gl_Position = czm_modelViewProjection * vec4(position, 1.0);
  // alpha = 20 x the size in CSS pixels; never under one pixel of the drawing buffer (a smaller point may vanish)
  gl_PointSize = max(colour.a * 255.0 / 20.0 * u_pixelRatio, 1.0);
}`;

const FRAGMENT_SHADER = `
in vec4 v_colour;
void main() {
  vec2 c = gl_PointCoord - vec2(0.5);
  if (dot(c, c) > 0.25) discard;  // round points
  out_FragColor = v_colour;
}`;

/** Points for `count` objects; fill `positions` (x, y, z metres, Earth-fixed) and `colours` (r, g, b, 20 x size in
 * pixels; 0 hides), then call `changed()`. `pick(scene, windowPosition)` is the index of the visible point nearest
 * to a click within `radiusPx` (-1 if none): a search on the CPU, not a picking pass on the GPU. */
export class CataloguePoints {
  constructor(count) {
    this.length = count;
    this.positions = new Float32Array(3 * count);
    this.colours = new Uint8Array(4 * count);
    this.drawn = 0;  // points in the last draw (neither hidden nor behind the Earth)
    this._indices = new Uint32Array(count);
    this.show = true;
    this._dirty = true;
    this._command = null;
  }

  changed() { this._dirty = true; }

  update(frameState) {
    if (!this.show || this.length === 0) return;
    const context = frameState.context;
    if (!this._command) this._command = this._create(context);
    if (this._dirty) {
      this._positionBuffer.copyFromArrayView(this.positions);
      this._colourBuffer.copyFromArrayView(this.colours);
      this._dirty = false;
    }
    this.drawn = this._cull(frameState.camera.positionWC);
    this._indexBuffer.copyFromArrayView(this._indices.subarray(0, this.drawn));
    this._command.count = this.drawn;
    this._pixelRatio = frameState.pixelRatio || 1;
    if (this.drawn) frameState.commandList.push(this._command);
  }

  /** The indices of the points shown and not behind the Earth (a sphere of the polar radius) from the camera at
   * `eye`, into _indices; their number. Cesium's horizon test (EllipsoidalOccluder) in units of that radius. */
  _cull(eye) {
    const cx = eye.x / POLAR_RADIUS_M, cy = eye.y / POLAR_RADIUS_M, cz = eye.z / POLAR_RADIUS_M;
    const horizon = cx * cx + cy * cy + cz * cz - 1;  // squared distance from the camera to its horizon
    const { positions, colours, _indices: out } = this;
    let n = 0;
    for (let i = 0; i < this.length; i++) {
      if (colours[4 * i + 3] === 0) continue;
      const tx = positions[3 * i] / POLAR_RADIUS_M - cx, ty = positions[3 * i + 1] / POLAR_RADIUS_M - cy;
      const tz = positions[3 * i + 2] / POLAR_RADIUS_M - cz;
      const along = -(tx * cx + ty * cy + tz * cz);
      const hidden = horizon < 0 ? along > 0 : along > horizon && (along * along) / (tx * tx + ty * ty + tz * tz) > horizon;
      if (!hidden) out[n++] = i;
    }
    return n;
  }

  _create(context) {
    const usage = Cesium.BufferUsage.DYNAMIC_DRAW;
    this._positionBuffer = Cesium.Buffer.createVertexBuffer({ context, typedArray: this.positions, usage });
    this._colourBuffer = Cesium.Buffer.createVertexBuffer({ context, typedArray: this.colours, usage });
    this._indexBuffer = Cesium.Buffer.createIndexBuffer({ context, typedArray: this._indices, usage,
      indexDatatype: Cesium.IndexDatatype.UNSIGNED_INT });
    const attributeLocations = { position: 0, colour: 1 };
    this._vertexArray = new Cesium.VertexArray({ context, indexBuffer: this._indexBuffer, attributes: [
      { index: 0, vertexBuffer: this._positionBuffer, componentsPerAttribute: 3, componentDatatype: Cesium.ComponentDatatype.FLOAT },
      { index: 1, vertexBuffer: this._colourBuffer, componentsPerAttribute: 4, componentDatatype: Cesium.ComponentDatatype.UNSIGNED_BYTE, normalize: true },
    ] });
    this._shaderProgram = Cesium.ShaderProgram.fromCache({
      context, vertexShaderSource: VERTEX_SHADER, fragmentShaderSource: FRAGMENT_SHADER, attributeLocations,
    });
    return new Cesium.DrawCommand({
      vertexArray: this._vertexArray,
      primitiveType: Cesium.PrimitiveType.POINTS,
      count: this.length,
      shaderProgram: this._shaderProgram,
      renderState: Cesium.RenderState.fromCache({ depthTest: { enabled: true }, depthMask: true }),
      uniformMap: { u_pixelRatio: () => this._pixelRatio },
      // everything from the ground to beyond the geostationary belt
      boundingVolume: new Cesium.BoundingSphere(Cesium.Cartesian3.ZERO, 5.0e8),
      pass: Cesium.Pass.OPAQUE,
      owner: this,
    });
  }

  pick(scene, windowPosition, radiusPx = 8) {
    const occluder = new Cesium.EllipsoidalOccluder(Cesium.Ellipsoid.WGS84, scene.camera.positionWC);
    const point = new Cesium.Cartesian3(), onScreen = new Cesium.Cartesian2();
    let best = -1, bestDistance = radiusPx;
    for (let i = 0; i < this.length; i++) {
      if (this.colours[4 * i + 3] === 0) continue;
      point.x = this.positions[3 * i]; point.y = this.positions[3 * i + 1]; point.z = this.positions[3 * i + 2];
      if (!Cesium.SceneTransforms.worldToWindowCoordinates(scene, point, onScreen)) continue;
      const distance = Math.hypot(onScreen.x - windowPosition.x, onScreen.y - windowPosition.y);
      if (distance < bestDistance && occluder.isPointVisible(point)) { best = i; bestDistance = distance; }
    }
    return best;
  }

  isDestroyed() { return false; }

  destroy() {
    if (this._vertexArray) this._vertexArray.destroy();
    if (this._shaderProgram) this._shaderProgram.destroy();
    return Cesium.destroyObject(this);
  }
}
