"""The dashboard in a real headless Chromium (Debian's /usr/bin/chromium driven by Playwright).

Screenshots go to test-artifacts/dashboard-*.png.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pytest

from overhead.api.app import web_assets_dir

pytestmark = pytest.mark.slow  # a browser / a JVM: outside the fast subset (pytest -m 'not slow')

CHROMIUM = os.environ.get("OVERHEAD_CHROMIUM", "/usr/bin/chromium")
TOKEN = "dashboard-test-token"
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-dev-shm-usage"]

playwright_api = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():
    pytest.skip(f"no Chromium at {CHROMIUM} (Debian package chromium; scripts/test.sh installs it)",
                allow_module_level=True)
if not (web_assets_dir() / "cesium").is_dir():
    pytest.skip("front-end packages not installed (npm install in web/; scripts/setup.sh does it)",
                allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = _free_port()
    db = tmp_path_factory.mktemp("web") / "catalog.sqlite"
    overhead_cli = [sys.executable, "-m", "overhead.cli.main"]
    process = subprocess.Popen([*overhead_cli, "serve", "--db", f"sqlite:///{db}", "--port", str(port),
                                "--scheduler", "none", "--token", TOKEN], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/status", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.3)
    else:
        process.kill()
        pytest.fail(f"the service did not start: {process.stdout.read()}")
    yield url
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1440, "height": 860})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith((server, "data:", "blob:")) else None)
    page.problems, page.outside = problems, outside
    yield page
    context.close()


def _screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"dashboard-{name}.png"
    page.screenshot(path=str(path))
    return path


def test_loads_with_the_bundled_satellites_and_no_errors(page, server):
    page.goto(server + "/")
    page.wait_for_selector("body[data-ready=true]", timeout=60_000)
    active = httpx.get(f"{server}/api/status").json()["active"]
    assert page.evaluate("overhead.state.positions.length") == active
    assert f"{active} satellites" in page.inner_text("#status")
    # the satellites are drawn: the canvas over the map has lit pixels
    lit = page.evaluate("""() => { const c = document.getElementById('map-canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
        for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }""")
    assert lit > active * 4
    _screenshot(page, "map")
    assert page.problems == [] and page.outside == []


def test_a_click_on_a_place_lists_the_passes_the_api_gives(page, server):
    page.goto(server + "/")
    page.wait_for_selector("body[data-ready=true]", timeout=60_000)
    box = page.locator("#map-svg").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.505, box["y"] + box["height"] * 0.27)  # Europe on this map
    page.wait_for_function("overhead.state.passes.length > 0", timeout=60_000)
    place = page.evaluate("overhead.state.place")
    when = page.evaluate("overhead.state.t0.toISOString()")
    start = np.datetime64(when.rstrip("Z"))
    stop = start + np.timedelta64(24, "h")
    expected = httpx.get(f"{server}/api/passes", params={
        "lat_deg": f"{place['lat']:.5f}", "lon_deg": f"{place['lon']:.5f}", "start": f"{start}Z", "stop": f"{stop}Z",
        "min_elevation_deg": 10}, timeout=60).json()
    rows = page.locator("#passes-table tbody tr")
    assert rows.count() == len(expected) > 0
    first = rows.nth(0).inner_text().split("\t")
    assert first[0] == expected[0]["name"] and first[1] == expected[0]["rise"][5:16].replace("T", " ")
    assert page.locator("#above-table tbody tr").count() >= 1
    rows.nth(0).click()
    page.wait_for_selector("#polar path", timeout=30_000)
    assert "place=" in page.url
    _screenshot(page, "place")
    assert page.problems == [] and page.outside == []


def test_selecting_a_satellite_draws_its_track_and_the_url_restores_the_view(page, server):
    page.goto(server + "/")
    page.wait_for_selector("body[data-ready=true]", timeout=60_000)
    page.fill("#search", "ISS (ZARYA)")
    page.locator("#search-results div").first.click()
    page.wait_for_selector(".layer-tracks path", timeout=30_000)
    assert page.locator(".layer-footprints path").count() == 1
    url = page.url
    assert "sel=25544" in url
    page.goto("about:blank")
    page.goto(url)
    page.wait_for_selector("body[data-ready=true]", timeout=60_000)
    assert page.evaluate("[...overhead.state.selected]") == [25544]
    page.wait_for_selector(".layer-tracks path", timeout=30_000)
    _screenshot(page, "selected")
    assert page.problems == [] and page.outside == []


def test_the_globe_renders_offline(page, server):
    from matplotlib.image import imread

    page.goto(server + "/#view=globe")
    page.wait_for_selector("body[data-ready=true]", timeout=90_000)
    page.wait_for_function("window.overhead && document.querySelector('#globe canvas') !== null", timeout=60_000)
    page.wait_for_timeout(5_000)  # let the imagery tiles load and draw (software WebGL)
    path = _screenshot(page, "globe")
    pixels = imread(path)[60:800, 0:1000, :3]
    blue = (pixels[..., 2] > pixels[..., 0] + 0.08).mean()  # oceans of the NaturalEarthII imagery
    assert blue > 0.05, f"the globe looks empty ({blue:.3f} of pixels blue)"
    box = page.locator("#globe").bounding_box()  # a click on the Earth picks a place, as on the map
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function("overhead.state.place !== null && overhead.state.passes.length > 0", timeout=60_000)
    assert page.locator("#passes-table tbody tr").count() == len(page.evaluate("overhead.state.passes"))
    assert page.problems == [] and page.outside == []


def test_coverage_heat_map(page, server):
    page.goto(server + "/#tab=coverage")
    page.wait_for_selector("body[data-ready=true]", timeout=60_000)
    page.fill("#token", TOKEN)
    page.dispatch_event("#token", "change")
    page.select_option("#coverage-form select[name=group]", "stations")
    page.fill("#coverage-form input[name=hours]", "3")
    page.click("#coverage-form button[type=submit]")
    page.wait_for_function("document.getElementById('coverage-summary').textContent.includes('points observed')",
                           timeout=120_000)
    assert page.locator(".layer-cells path").count() > 500
    _screenshot(page, "coverage")
    assert page.problems == [] and page.outside == []


def test_changes_feed_groups_launches(page, server):
    page.goto(server + "/#tab=changes")
    page.wait_for_selector("body[data-ready=true]", timeout=60_000)
    page.wait_for_selector("#changes .launch", timeout=30_000)
    assert page.locator("#changes .launch").count() >= 10
    _screenshot(page, "changes")
    assert page.problems == [] and page.outside == []



def test_a_plan_shows_on_the_timeline_and_the_map(page, server):
    page.goto(server + "/#tab=plan")
    page.wait_for_selector("body[data-ready=true]", timeout=60_000)
    page.fill("#token", TOKEN)
    page.fill("#plan-form textarea", "paris,48.857,2.352,3\nmadrid,40.417,-3.704,1")
    page.click("#plan-form button[type=submit]")
    page.wait_for_function("document.getElementById('plan-summary').textContent.includes('requests imaged')",
                           timeout=120_000)
    plan = page.evaluate("overhead.state.plan.plan")
    imaged = sum(len(s["acquisitions"]) for s in plan["satellites"].values())
    assert imaged >= 1 and page.locator("#plan-gantt rect").count() >= imaged
    assert page.locator(".layer-acq circle").count() == 2
    _screenshot(page, "plan")
    assert page.problems == [] and page.outside == []


def test_globe_shows_the_selected_satellites_footprint(page, server):
    page.goto(server + "/#view=globe&sel=25544")
    page.wait_for_selector("body[data-ready=true]", timeout=90_000)
    page.wait_for_function("window.overhead && document.querySelector('#globe canvas') !== null", timeout=60_000)
    page.wait_for_function("overhead.globe && overhead.globe.viewer.entities.getById('footprint/25544') !== undefined",
                           timeout=60_000)
    radius_m = page.evaluate("overhead.globe.viewer.entities.getById('footprint/25544').ellipse.semiMajorAxis"
                             ".getValue()")
    footprint_deg = page.evaluate("overhead.state.positions.find(p => p.norad_id === 25544).footprint_deg")
    assert radius_m == pytest.approx(np.radians(footprint_deg) * 6371008.8)
    page.wait_for_timeout(3_000)
    _screenshot(page, "globe-selected")
    assert page.problems == [] and page.outside == []


HOSTILE_NAME = "<img src=x onerror=\"document.title='XSS'\">"


def test_hostile_names_from_a_feed_reach_the_page_as_text(page, server):
    """An object name is outside data: ingested with markup in it, it shows as text and no script runs (the page
    drew names with d3 .html() before; the CSP forbids inline script as a second line)."""
    from overhead.orbits.omm import record_to_omm
    from overhead.orbits.tle import parse_tle_pair

    lines = overhead_sample_lines()
    omm = {**record_to_omm(parse_tle_pair(lines[1], lines[2])), "NORAD_CAT_ID": 99001, "OBJECT_ID": "2026-999A",
           "OBJECT_NAME": HOSTILE_NAME}
    import json
    report = httpx.post(f"{server}/api/catalog/ingest", params={"group": "hostile"}, content=json.dumps([omm]),
                        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
    assert report.status_code == 201, report.text
    headers = httpx.get(server + "/").headers
    assert "script-src 'self'" in headers["content-security-policy"] and "unsafe-inline" not in \
        headers["content-security-policy"].split("script-src")[1].split(";")[0]
    assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(server + "/#tab=changes")
    page.wait_for_selector("body[data-ready=true]", timeout=60_000)
    page.wait_for_selector("#changes .launch", timeout=30_000)
    assert HOSTILE_NAME in page.inner_text("#changes")  # the markup is shown, as text
    page.fill("#search", "99001")
    page.locator("#search-results div").first.click()
    page.wait_for_selector("#selected-list li", timeout=30_000)
    assert HOSTILE_NAME in page.inner_text("#selected-list")
    page.wait_for_timeout(1_000)
    assert page.title() != "XSS" and dialogs == []
    assert page.evaluate("document.querySelectorAll('img[src=x], img[onerror]').length") == 0
    _screenshot(page, "hostile-name")
    assert page.problems == [] and page.outside == []


def overhead_sample_lines() -> list[str]:
    import overhead

    return overhead.sample_path("stations").read_text().splitlines()


def test_api_docs_render_under_the_csp(page, server):
    page.goto(server + "/docs")
    page.wait_for_selector(".opblock", timeout=30_000)
    assert page.locator(".opblock").count() >= 20
    assert "content-security-policy" in httpx.get(server + "/docs").headers
    assert page.problems == [] and page.outside == []


def test_conjunctions_tab_screens_sorts_and_draws_the_encounter_plane(page, server):
    page.goto(server + "/")
    page.wait_for_selector("body[data-ready=true]", timeout=60_000)
    page.fill("#token", TOKEN)
    page.dispatch_event("#token", "change")
    page.click("button[data-tab=conjunctions]")
    page.fill("#conjunctions-form input[name=threshold_km]", "50")
    page.fill("#conjunctions-form input[name=hours]", "6")
    page.click("#conjunctions-form button[type=submit]")
    page.wait_for_selector("#conjunctions-table tbody tr", timeout=120_000)
    rows = page.locator("#conjunctions-table tbody tr")
    count = rows.count()
    assert count > 0
    assert "approaches under 50 km" in page.inner_text("#conjunctions-summary")
    # sorted by probability: the column decreases down the table (dashes last)
    shown = page.locator("#conjunctions-table tbody tr td:nth-child(4)").all_inner_texts()
    numbers = [float(t) for t in shown if t != "—"]
    assert numbers == sorted(numbers, reverse=True)
    rows.first.click()
    page.wait_for_selector("#encounter-plane ellipse")
    assert page.locator("#encounter-plane ellipse").count() == 3  # 1, 2 and 3 sigma
    assert page.locator("#encounter-plane circle").count() == 1  # the hard body
    _screenshot(page, "conjunctions")
    page.select_option("#conjunctions-sort", "tca")
    times = page.locator("#conjunctions-table tbody tr td:nth-child(2)").all_inner_texts()
    assert times == sorted(times)
    assert page.problems == [] and page.outside == []
