"""One request model under the command line, the REST API and the sweep specs: each parameter has one name, one
default, one validation and one message, wherever it is given."""

from __future__ import annotations

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from overhead._resources import data_path
from overhead.analysis.design import load_spec
from overhead.api import ServiceSettings, create_app
from overhead.catalog.store import CatalogStore
from overhead.cli.common import constraints_of
from overhead.cli.main import build_parser, main
from overhead.errors import OverheadError
from overhead.geometry.grids import AnalysisGrid
from overhead.geometry.sensors import AccessConstraints
from overhead.orbits.catalog import load_elements
from overhead.planning.agile import Agility
from overhead.requests import (
    AccessRequest,
    AgilitySpec,
    ConstraintsSpec,
    GridFileSpec,
    PassesRequest,
    SiteQuery,
    spec_default,
)
from tests.conftest import shared_file

TOULOUSE = {"lat_deg": 43.6047, "lon_deg": 1.4442}
BAD_MASK = "min_elevation_deg: must be less than 90"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    db = tmp_path_factory.mktemp("store") / "store.db"
    with TestClient(create_app(ServiceSettings(db_url=f"sqlite:///{db}", token="t0ken"))) as c:
        yield c


def test_an_impossible_mask_is_refused_with_the_same_words_by_the_cli_the_api_and_a_sweep(client, capsys, tmp_path):
    code = main(
        [
            "access",
            str(data_path("resource.tle")),
            "--site",
            "43.6,1.44",
            "--start",
            "2026-05-30T00:00:00Z",
            "--stop",
            "2026-05-30T01:00:00Z",
            "--min-elevation-deg",
            "95",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and BAD_MASK in err and "Traceback" not in err
    answer = client.post(
        "/api/access",
        json={
            "targets": [TOULOUSE],
            "start": "2026-05-30T00:00:00Z",
            "stop": "2026-05-30T01:00:00Z",
            "constraints": {"min_elevation_deg": 95},
        },
    )
    assert answer.status_code == 422 and BAD_MASK in answer.json()["detail"]
    with pytest.raises(OverheadError, match=BAD_MASK):
        load_spec(
            {
                "where": {"country": "France"},
                "start": "2026-03-21T00:00:00Z",
                "days": 1,
                "designs": [{"walker": {"total": [6], "planes": [3]}}],
                "requirement": [{"every_h": 24}],
                "constraints": {"min_elevation_deg": 95},
            }
        )


def test_a_misspelt_parameter_is_an_error_not_a_silent_default(client):
    answer = client.post(
        "/api/access",
        json={
            "targets": [TOULOUSE],
            "start": "2026-05-30T00:00:00Z",
            "stop": "2026-05-30T01:00:00Z",
            "constraints": {"min_elevation": 20},
        },
    )
    assert answer.status_code == 422 and "min_elevation: unknown parameter" in answer.json()["detail"]
    with pytest.raises(OverheadError, match="min_elevation: unknown parameter"):
        load_spec(
            {
                "where": {"country": "France"},
                "start": "2026-03-21T00:00:00Z",
                "days": 1,
                "designs": [],
                "requirement": [{"every_h": 24}],
                "constraints": {"min_elevation": 20},
            }
        )
    with pytest.raises(OverheadError, match="where: unknown key countries"):
        load_spec(
            {
                "where": {"countries": "France"},
                "start": "2026-03-21T00:00:00Z",
                "days": 1,
                "designs": [],
                "requirement": [{"every_h": 24}],
            }
        )


def test_one_default_per_parameter_whichever_interface_asks():
    # the command line with no constraint flag, the API body with no constraints, and the library's own type
    args = build_parser().parse_args(["coverage", "x.tle", "--global", "--start", "2026-01-01", "--stop", "2026-01-02"])
    from_cli = constraints_of(args)
    from_api = AccessRequest.model_validate(
        {"targets": [TOULOUSE], "start": "2026-01-01", "stop": "2026-01-02"}
    ).constraints
    from_api = AccessConstraints.from_spec(from_api)
    assert from_cli == from_api == AccessConstraints() == AccessConstraints.from_spec(ConstraintsSpec())
    assert Agility.from_spec(AgilitySpec()) == Agility()
    plan = build_parser().parse_args(["plan", "r.csv"])
    from overhead.cli.common import spec_of

    assert Agility.from_spec(spec_of(AgilitySpec, plan)) == Agility()
    # a site's elevation mask: one default (a station's 10°) for passes and above, CLI and API alike
    from overhead.cli.common import elevation_mask

    for command in (["passes", "x.tle", "--site", "0,0"], ["above", "0,0"], ["report", "--site", "0,0"]):
        assert elevation_mask(build_parser().parse_args(command)) == spec_default(SiteQuery, "min_elevation_deg")
    assert spec_default(PassesRequest, "min_elevation_deg") == spec_default(SiteQuery, "min_elevation_deg") == 10.0


def test_the_api_takes_its_query_defaults_from_the_model(client):
    schema = client.get("/openapi.json").json()
    parameters = {p["name"]: p for p in schema["paths"]["/api/above"]["get"]["parameters"]}
    assert "default: 10" in parameters["min_elevation_deg"]["description"]
    answer = client.get("/api/above", params={**TOULOUSE, "min_elevation_deg": 91})
    assert answer.status_code == 422 and BAD_MASK in answer.json()["detail"]


def test_help_of_a_model_option_is_the_models_description(capsys):
    with pytest.raises(SystemExit):
        main(["coverage", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "nadir cone half-angle of the sensor, degrees (default: none)" in text
    assert "H3 resolution of the grid" in text


def test_grid_choice_names_the_interface_spelling():
    with pytest.raises(OverheadError, match="--global"):
        GridFileSpec.from_choice(country="France", globe=True, names={"globe": "--global", "country": "--country NAME"})
    with pytest.raises(OverheadError, match="two latitudes"):
        GridFileSpec.from_choice(band="-60")
    assert AnalysisGrid.from_spec(GridFileSpec.from_choice(band="-60,60")).kind.startswith("latitude band")


def test_screening_primaries_from_a_store_group_equal_the_same_ids_given(tmp_path):
    elements = shared_file("catalog", "celestrak_active_2026-03-19", "active.tle")
    # a group of 80 objects of a crowded shell (so that some approach others within the hour), as a 3-line file
    catalog = load_elements(elements)
    orbits = catalog.orbits()
    crowded = set(catalog.norad_ids[(orbits.perigee_km.values > 520) & (orbits.apogee_km.values < 580)][:80])
    lines = elements.read_text().splitlines()
    group = [
        line for k in range(0, len(lines) - 2, 3) if int(lines[k + 2][2:7]) in crowded for line in lines[k : k + 3]
    ]
    (tmp_path / "shell.tle").write_text("\n".join(group) + "\n")
    db = f"sqlite:///{tmp_path / 'store.db'}"
    CatalogStore(db).ingest(tmp_path / "shell.tle", group="shell")
    ids = sorted(CatalogStore(db).select_ids(group="shell"))
    assert len(ids) == 80
    span = ["--start", "2026-03-19T06:00:00Z", "--stop", "2026-03-19T07:00:00Z"]
    by_group, by_ids = tmp_path / "group.csv", tmp_path / "ids.csv"
    assert (
        main(
            [
                "conjunctions",
                "screen",
                str(elements),
                *span,
                "--primaries-group",
                "shell",
                "--db",
                db,
                "-o",
                str(by_group),
            ]
        )
        == 0
    )
    assert (
        main(
            ["conjunctions", "screen", str(elements), *span, "--primaries", ",".join(map(str, ids)), "-o", str(by_ids)]
        )
        == 0
    )
    group_table, ids_table = pd.read_csv(by_group), pd.read_csv(by_ids)
    assert len(group_table) > 0
    assert (group_table.norad_id_1.isin(ids) | group_table.norad_id_2.isin(ids)).all()
    pd.testing.assert_frame_equal(group_table, ids_table)
    assert main(["conjunctions", "screen", str(elements), *span, "--primaries-group", "weather", "--db", db]) == 2
