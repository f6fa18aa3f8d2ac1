"""Schema-driven fuzzing of every endpoint (schemathesis over the OpenAPI spec): no input gives a 5xx, and every
answer is what the document says (status codes, media types, bodies and headers)."""

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


def _conformance_checks() -> list:
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi import checks

    return [not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
            checks.response_schema_conformance, checks.response_headers_conformance]


def test_every_answer_is_what_the_openapi_document_says(schema):
    """Issue #29: every 422 body was {"detail": "string"} while the document declared FastAPI's list form, 401,
    404 and 409 were undocumented, SSE and CSV undeclared media types (61 unique failures). Every operation,
    20 generated requests each: status code, media type, body and headers as documented. (Schemathesis'
    positive-data check is left out: a schema-valid request can be refused on its meaning, a span longer than
    the service's limit or ids it does not hold, with the documented 422; and the negative-data one, because
    the times accept the documented forms beyond RFC 3339, a bare date for one.)"""
    failures: list[str] = []
    for label, operation in sorted(_operations(schema).items()):
        if label != "GET /api/alerts/stream":  # a generated max_s keeps it open for minutes: checked below
            _conforms(operation, label, failures)
    assert not failures, "\n".join(sorted(set(failures))[:10])


def test_the_document_declares_one_error_model_and_date_time_parameters(schema):
    document = schema.raw_schema
    assert "HTTPValidationError" not in document["components"]["schemas"]
    passes = document["paths"]["/api/passes"]["get"]
    assert passes["responses"]["4XX"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
    start = next(p for p in passes["parameters"] if p["name"] == "start")
    assert any(o.get("format") == "date-time" for o in start["schema"].get("anyOf", [start["schema"]]))
    atom = document["paths"]["/api/alerts.atom"]["get"]["responses"]["200"]["content"]
    assert list(atom) == ["application/atom+xml"]
    assert "text/event-stream" in document["paths"]["/api/alerts/stream"]["get"]["responses"]["200"]["content"]
    stream = _operations(schema)["GET /api/alerts/stream"]
    case = stream.Case(query={"max_s": 0.5})
    case.call_and_validate(checks=_conformance_checks())


def _conforms(operation, label: str, failures: list[str]) -> None:
    """Run 20 generated requests of one operation through the conformance checks, recording what fails."""

    @given(case=operation.as_strategy())
    @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def run(case):
        try:
            case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}"}, checks=_conformance_checks())
        except Exception as exc:  # a failure group of the checks: recorded, then reported together
            failures.append(f"{label}: {str(exc)[:300]}")

    run()
