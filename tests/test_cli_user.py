"""The command line from a user's side (``main(argv)`` or a subprocess; exit code, output, files): negative
coordinates, --version, help with units, one-line errors without tracebacks, quiet ``-o``, the changes feed's
meaning, site tables in their usual spellings, a library snippet run as a plain script, and Vallado's
verification cases through ``overhead propagate`` to 1 mm."""

from __future__ import annotations

import re
import subprocess
import sys
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import overhead
from overhead._resources import data_path
from overhead.cli.main import main
from tests.conftest import shared_file

STATIONS = str(overhead.sample_path("stations"))
SPAN = ["--start", "2026-05-30T00:00:00Z", "--stop", "2026-05-30T06:00:00Z"]


def _run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "overhead.cli.main", *args], capture_output=True, text=True, timeout=timeout
    )


def _user_error(done: subprocess.CompletedProcess, *words: str) -> None:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) <= 3, done.stderr
    for word in words:
        assert word in done.stderr, done.stderr


def test_negative_coordinates_work_as_values_and_positionally(tmp_path, capsys):
    assert main(["passes", STATIONS, "--site", "-33.9,18.4", *SPAN]) == 0
    assert "-33.9000, 18.4000" in capsys.readouterr().out
    out = tmp_path / "w.csv"
    assert main(["access", STATIONS, "--site", "-33.9,-70.6", *SPAN, "-o", str(out)]) == 0
    assert len(pd.read_csv(out)) > 0
    assert main(["coverage", STATIONS, "--band", "-60,60", "--resolution", "0", *SPAN]) == 0
    db = f"sqlite:///{tmp_path / 'c.sqlite'}"
    assert main(["catalog", "ingest", STATIONS, "--db", db]) == 0
    assert main(["above", "-33.9,18.4", "--time", "2026-05-30T03:00:00Z", "--db", db, "--min-elevation-deg", "0"]) == 0
    assert "satellites above 0° at -33.9000, 18.4000" in capsys.readouterr().out


def test_version_and_help_with_units():
    assert _run("--version").stdout.strip() == f"overhead {overhead.__version__}"
    propagate = _run("propagate", "--help").stdout
    assert "--step-s S" in propagate and "seconds" in propagate and "(default: 60.0)" in propagate
    passes = _run("passes", "--help").stdout
    assert "--min-elevation-deg DEG" in passes and "degrees" in passes and "(default: 10)" in passes
    ingest = _run("catalog", "ingest", "--help").stdout
    assert "--allow-shrink" in ingest and "--plot" not in ingest  # its own help, not every catalog action's


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["above", "-33.9,18.4", "--db", "postgres://user@host/db"], ["postgres", "postgresql+psycopg"]),
        (["iers", "update", "http://127.0.0.1:9/finals2000A.all"], ["offline", "overhead iers update FILE"]),
        (["coverage", STATIONS, "--global", *SPAN, "--metric", "nope"], ["invalid choice"]),
        (["propagate", STATIONS, *SPAN, "--step-s", "0.001"], ["GB", "--force"]),
        (["passes", STATIONS, "--site", "95,0", *SPAN], ["latitude"]),
    ],
)
def test_user_errors_end_in_one_line_with_exit_code_2(args, words):
    _user_error(_run(*args), *words)


def test_design_export_of_a_missing_row_is_a_user_error(tmp_path):
    results = tmp_path / "r.csv"
    pd.DataFrame({"family": ["walker"], "cost": [1.0]}).to_csv(results, index=False)
    _user_error(
        _run("design", "export", str(results), "--row", "99", "-o", str(tmp_path / "c.json")), "--row 99", "rows 0 to 0"
    )


def test_passes_to_a_file_print_one_line(tmp_path):
    out = tmp_path / "p.csv"
    done = _run("passes", STATIONS, "--site", "43.6,1.44", *SPAN, "-o", str(out))
    assert done.returncode == 0 and done.stdout == ""
    table = pd.read_csv(out)
    assert done.stderr.strip() == f"wrote {len(table):,} passes of {table.norad_id.nunique():,} satellites to {out}"


@pytest.mark.slow
def test_catalog_changes_say_what_they_list(tmp_path):
    db = f"sqlite:///{tmp_path / 'c.sqlite'}"
    empty = _run("catalog", "changes", "--db", db)
    assert empty.returncode == 0 and "no ingest yet" in empty.stderr
    history = overhead.load_elements(
        shared_file("tle_history", "celestrak_groups_2026-05-23_to_2026-05-30", "stations_history.tle")
    )
    early = tmp_path / "early.tle"
    early.write_text(history[[i for i, e in enumerate(history.epochs) if e < np.datetime64("2026-05-25")]].to_tle())
    late = tmp_path / "late.tle"
    late.write_text(history[[i for i, e in enumerate(history.epochs) if e >= np.datetime64("2026-05-25")]].to_tle())
    for path in (early, late):
        assert _run("catalog", "ingest", str(path), "--group", "stations", "--db", db).returncode == 0
    out = tmp_path / "changes.csv"
    done = _run("catalog", "changes", "--since", "2026-05-26T00:00:00Z", "--db", db, "-o", str(out))
    table = pd.read_csv(out)
    assert done.returncode == 0 and "happened after 2026-05-26" in done.stderr
    assert len(table) and (pd.to_datetime(table.time) > pd.Timestamp("2026-05-26", tz="UTC")).all()
    last = _run("catalog", "changes", "--db", db)
    assert "found by the last ingest" in last.stderr


def test_site_tables_in_their_usual_spellings(tmp_path):
    cities = pd.read_csv(shared_file("geo", "geonames_cities15000_snapshot", "world_cities.csv")).head(5)
    assert {"latitude_deg", "longitude_deg"} <= set(cities.columns)
    path = tmp_path / "cities.csv"
    cities.to_csv(path, index=False)
    out = tmp_path / "w.csv"
    assert main(["access", STATIONS, "--targets", str(path), *SPAN, "-o", str(out)]) == 0
    assert set(pd.read_csv(out).target) <= set(cities.name)
    satnogs = shared_file("ground_stations", "satnogs_2024-01-06", "stations.json")
    done = _run(
        "access",
        STATIONS,
        "--targets",
        str(satnogs),
        "--start",
        "2026-05-30T00:00:00Z",
        "--stop",
        "2026-05-30T00:20:00Z",
        "-o",
        str(out),
    )
    assert done.returncode == 0 and "left out" in done.stderr  # its stations at latitude 501,120 are rejects
    assert len(pd.read_csv(out)) > 0


def _readme_script() -> str:
    """The README's Python blocks in order, as one plain script (they build on each other); a line whose comment
    is a number (``sun_synchronous_inclination_deg(705.0)  # 98.21``) is checked to the digits shown."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.S)
    assert len(blocks) >= 4
    lines = []
    for line in "\n".join(blocks).splitlines():
        claim = re.match(r"^(\S.*?)\s+#\s*(-?\d+\.?(\d*))\b", line)
        if claim and "=" not in claim.group(1).split("(")[0]:
            expression, number, decimals = claim.groups()
            tolerance = 0.5 * 10.0 ** -len(decimals)
            lines.append(f"assert abs(({expression}) - {number}) <= {tolerance}, ({expression!r}, {expression})")
            lines.append(f"print('checked', {expression!r})")
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"


def test_the_readme_library_snippets_run_as_a_plain_script(tmp_path):
    # no `if __name__ == "__main__"`: the library must start no worker processes; "active.tle" is the bundled file
    (tmp_path / "active.tle").write_bytes(data_path("resource.tle").read_bytes())
    script = tmp_path / "readme.py"
    script.write_text(_readme_script() + "print('snippets done')\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "snippets done" in done.stdout and "time covered" in done.stdout
    assert done.stdout.count("checked") >= 2  # the sun-synchronous inclination and the repeat-track altitude


def _vallado_cases():
    text = (resources.files("sgp4") / "SGP4-VER.TLE").read_text()
    reference: dict[int, list] = {}
    order = []
    for line in (resources.files("sgp4") / "tcppver.out").read_text().splitlines():
        if "xx" in line:
            order.append(int(line.split()[0]))
            reference.setdefault(order[-1], [])
        elif line.strip():
            reference[order[-1]].append([float(x) for x in line.split()[:7]])
    requests = {}
    for line in text.splitlines():
        if line.startswith("2 ") and len(line) > 69:
            requests.setdefault(int(line[2:7]), []).append([float(x) for x in line[69:].split()[:3]])
    return text, reference, requests, order


@pytest.mark.filterwarnings("ignore::overhead.ElementAgeWarning")
def test_vallado_cases_through_the_cli_to_one_millimetre(tmp_path):
    text, reference, requests, order = _vallado_cases()
    elements = tmp_path / "SGP4-VER.TLE"
    elements.write_text(text)
    loaded = overhead.load_elements(text)
    compared = 0
    for norad_id in sorted(set(loaded.norad_ids.tolist())):
        if order.count(norad_id) != 1 or len(requests[norad_id]) != 1:
            continue  # the same number twice in the file: the CLI's --ids cannot tell them apart
        start, stop, step = requests[norad_id][0]
        out = tmp_path / f"{norad_id}.csv"
        assert (
            main(
                [
                    "propagate",
                    str(elements),
                    "--ids",
                    str(norad_id),
                    "--minutes-since-epoch",
                    str(start),
                    str(stop),
                    str(step),
                    "--frame",
                    "teme",
                    "-o",
                    str(out),
                ]
            )
            == 0
        )
        table = pd.read_csv(out).set_index("minutes_since_epoch")
        ref = np.array(reference[norad_id])
        for row in ref:
            matches = table.index[np.abs(table.index - row[0]) < 1e-6]
            if len(matches) == 0 or table.loc[matches[0], "error"] != 0:
                continue
            got = table.loc[matches[0], ["x_km", "y_km", "z_km"]].to_numpy(float)
            assert np.abs(got - row[1:4]).max() < 1e-6, (norad_id, row[0], got, row[1:4])
            velocity = table.loc[matches[0], ["vx_km_s", "vy_km_s", "vz_km_s"]].to_numpy(float)
            assert np.abs(velocity - row[4:7]).max() < 1e-9
            compared += 1
    assert compared > 400


def test_one_grid_builder_and_one_default_resolution_per_kind():
    """The command line, the service and sweep specs build grids in one place, with one default per kind."""
    from overhead.analysis.design import load_spec
    from overhead.errors import WorkTooLargeError
    from overhead.geometry.grids import DEFAULT_RESOLUTION, AnalysisGrid

    spec = load_spec(
        {
            "name": "x",
            "where": {"country": "France"},
            "start": "2026-05-30T00:00:00Z",
            "days": 1,
            "sensor": {"half_angle_deg": 30},
            "designs": [
                {"walker": {"total": [2], "planes": [1], "phasing": [0], "inclination_deg": [98], "altitude_km": [700]}}
            ],
            "requirement": [{"metric": "max_revisit_s", "percentile_area": 90, "max": 86_400}],
        }
    )
    assert spec.grid().resolution == DEFAULT_RESOLUTION["country"] == 4
    assert AnalysisGrid.from_request("country", country="France").resolution == 4
    with pytest.raises(WorkTooLargeError):
        AnalysisGrid.from_request("global", resolution=8)
    assert len(AnalysisGrid.from_request("band", band=(-60.0, 60.0), resolution=0)) > 0


def test_element_age_warnings_point_at_the_callers_line():
    import warnings

    from overhead.analysis.passes import passes_over_site
    from overhead.geometry.topocentric import GroundSite

    catalog = overhead.sample_catalog(("stations",))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        catalog.propagate(["2027-01-01T00:00:00Z"])
        passes_over_site(
            catalog, GroundSite(0.0, 0.0), "2026-07-01T00:00Z", "2026-07-01T03:00Z", max_element_age_days=None
        )
    ages = [w for w in caught if issubclass(w.category, overhead.ElementAgeWarning)]
    assert len(ages) == 2 and all(w.filename == __file__ for w in ages)


def test_an_unreachable_store_is_a_user_error_without_its_password():
    done = _run("above", "-33.9,18.4", "--db", "postgresql://nobody:s3cret-pw@127.0.0.1:1/overhead")
    _user_error(done, "cannot open the catalogue store", "***")
    assert "s3cret-pw" not in done.stderr + done.stdout
