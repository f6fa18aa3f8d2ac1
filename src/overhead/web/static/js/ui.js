// The page's talk with the service and with the person: requests, the status line, table cells, panel states.

/** GET (or the given method) a path of the service: {data, headers}; an error answer throws its detail. */
export async function request(path, options = {}) {
  const response = await fetch(path, options);
  if (!response.ok) {
    let detail = response.statusText;
    try { detail = (await response.json()).detail; } catch { /* not JSON */ }
    throw new Error(typeof detail === "string" ? detail : JSON.stringify(detail));
  }
  const type = response.headers.get("content-type") || "";
  return { data: type.includes("json") ? await response.json() : await response.text(), headers: response.headers };
}
export async function api(path, options) { return (await request(path, options)).data; }

export const el = (id) => document.getElementById(id);
export function announce(text) { el("status").textContent = text; }
export function report(error) { if (error && error.name === "AbortError") return; announce(`⚠ ${error.message || error}`); }

/** Table cells as text: names and details come from outside feeds, never parsed as HTML. */
export function cells(row, values) {
  const tr = d3.select(row);
  tr.selectAll("td").remove();
  for (const value of values) tr.append("td").text(value === null || value === undefined ? "" : String(value));
}

/** Rows and items that lead somewhere: clicked, or focused with Tab and opened with Enter or Space. */
export function actionable(selection, open, label) {
  selection.attr("tabindex", 0).attr("role", "button").classed("clickable", true)
    .attr("aria-label", label)
    .on("click", (_, d) => open(d))
    .on("keydown", (event, d) => { if (event.key === "Enter" || event.key === " ") { event.preventDefault(); open(d); } });
}

/** A panel's state: loading, failed (with retry), or a note; the panel's requests cancel the ones they supersede. */
export function panel(name, refresh) {
  const box = el(`${name}-state`);
  let controller = null;
  return {
    async run(...args) {
      if (controller) controller.abort();
      controller = new AbortController();
      const mine = controller;
      box.className = "panel-state loading"; box.textContent = "loading…";
      try {
        const note = await refresh(mine.signal, ...args);
        if (mine !== controller) return;
        box.className = "panel-state"; box.textContent = note || "";
      } catch (error) {
        if (error.name === "AbortError" || mine !== controller) return;
        box.className = "panel-state failed"; box.textContent = `⚠ ${error.message} `;
        const retry = document.createElement("button");
        retry.textContent = "retry"; retry.addEventListener("click", () => this.run(...args));
        box.appendChild(retry);
      }
    },
    clear() { if (controller) controller.abort(); controller = null; box.className = "panel-state"; box.textContent = ""; },
  };
}
export function leftOutNote(headers) { const note = headers.get("x-elements-left-out"); return note ? `note: ${note} left out` : ""; }
