window.CESIUM_BASE_URL = "/vendor/cesium/"; // before Cesium.js loads: where its workers and assets are
