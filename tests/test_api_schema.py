"""Schema-driven fuzzing of every endpoint (schemathesis over the OpenAPI spec): no input gives a 5xx."""

from __future__ import annotations

import warnings

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402

from overhead.api import ServiceSettings, create_app  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

TOKEN = "fuzz-token"


@pytest.fixture(scope="module")
def schema(tmp_path_factory):
    db = tmp_path_factory.mktemp("fuzz") / "catalog.sqlite"
    # small budgets: generated requests stay cheap, and the refusals (413) are exercised too
    app = create_app(ServiceSettings(db_url=f"sqlite:///{db}", token=TOKEN, scheduler="none", max_work=2e5,
                                     max_job_work=2e5))
    with TestClient(app):  # runs the start-up: store opened, bundled sample ingested
        yield schemathesis.openapi.from_asgi("/openapi.json", app)


def _operations(schema) -> dict:
    return {op.ok().label: op.ok() for op in schema.get_all_operations()}


def test_every_endpoint_is_fuzzed(schema):
    labels = _operations(schema)
    assert len(labels) >= 15 and "GET /api/passes" in labels and "POST /api/jobs/coverage" in labels


@pytest.mark.parametrize("label", ["GET /api/status", "GET /api/objects", "GET /api/objects/{norad_id}",
                                   "GET /api/changes", "POST /api/catalog/ingest", "GET /api/positions",
                                   "GET /api/tracks", "GET /api/passes", "GET /api/above", "GET /api/lookangles",
                                   "POST /api/access", "POST /api/jobs/coverage", "POST /api/jobs/plan",
                                   "GET /api/jobs", "GET /api/jobs/{job_id}", "GET /api/jobs/{job_id}/result",
                                   "DELETE /api/jobs/{job_id}", "GET /api/export/ephemeris",
                                   "GET /api/export/footprints", "GET /api/export/elements",
                                   "POST /api/catalog/undo/{ingest_id}"])
def test_no_server_errors(schema, label):
    operation = _operations(schema)[label]

    @given(case=operation.as_strategy())
    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    def run(case):
        response = case.call(headers={"Authorization": f"Bearer {TOKEN}"})
        assert response.status_code < 500, (f"{case.method} {case.formatted_path} {case.query} {case.body!r}: "
                                            f"{response.status_code} {response.text[:500]}")

    run()
