// ESLint (flat config) for the dashboard's ES modules and their unit tests. Run from the repository root, which
// is then the base path: `npm run lint` (in web/) does that.
import js from "@eslint/js";
import globals from "globals";

export default [
  js.configs.recommended,
  {
    files: ["src/overhead/web/static/js/**/*.js"],
    languageOptions: {
      ecmaVersion: 2024,
      sourceType: "module",
      // the page's classic scripts (loaded before the modules) and Cesium (loaded when the globe opens)
      globals: { ...globals.browser, d3: "readonly", topojson: "readonly", Cesium: "readonly" },
    },
  },
  {
    files: ["src/overhead/web/static/js/sky-worker.js"],
    languageOptions: { globals: { ...globals.worker } },
  },
  {
    files: ["web/test/**/*.mjs"],
    languageOptions: { ecmaVersion: 2024, sourceType: "module", globals: { ...globals.node } },
  },
  {
    rules: {
      "no-undef": "error",                // no implicit global: every name is imported or declared
      "no-implicit-globals": "error",
      "no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      "prefer-const": "error",
      eqeqeq: ["error", "always"],
    },
  },
];
