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
    app = create_app(
        ServiceSettings(db_url=f"sqlite:///{db}", token=TOKEN, scheduler="none", max_work=2e5, max_job_work=2e5)
    )
    with TestClient(app):  # runs the start-up: store opened, bundled sample ingested
        yield schemathesis.openapi.from_asgi("/openapi.json", app)


def _operations(schema) -> dict:
    return {op.ok().label: op.ok() for op in schema.get_all_operations()}


def test_every_endpoint_is_fuzzed(schema):
    labels = _operations(schema)
    assert len(labels) >= 15 and "GET /api/passes" in labels and "POST /api/jobs/coverage" in labels


@pytest.mark.parametrize(
    "label",
    [
        "GET /api/status",
        "GET /api/objects",
        "GET /api/objects/{norad_id}",
        "GET /api/changes",
        "GET /api/reentries",
        "GET /api/sky",
        "POST /api/catalog/ingest",
        "GET /api/positions",
        "GET /api/tracks",
        "GET /api/passes",
        "GET /api/above",
        "GET /api/lookangles",
        "POST /api/access",
        "POST /api/jobs/coverage",
        "POST /api/jobs/plan",
        "GET /api/jobs",
        "GET /api/jobs/{job_id}",
        "GET /api/jobs/{job_id}/result",
        "DELETE /api/jobs/{job_id}",
        "GET /api/export/ephemeris",
        "GET /api/export/footprints",
        "GET /api/export/elements",
        "POST /api/catalog/undo/{ingest_id}",
    ],
)
def test_no_server_errors(schema, label):
    operation = _operations(schema)[label]

    @given(case=operation.as_strategy())
    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    def run(case):
        response = case.call(headers={"Authorization": f"Bearer {TOKEN}"})
        assert response.status_code < 500, (
            f"{case.method} {case.formatted_path} {case.query} {case.body!r}: "
            f"{response.status_code} {response.text[:500]}"
        )

    run()


def _conformance_checks() -> list:
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi import checks

    return [
        not_a_server_error,
        checks.status_code_conformance,
        checks.content_type_conformance,
        checks.response_schema_conformance,
        checks.response_headers_conformance,
    ]


@pytest.mark.slow
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


@pytest.mark.slow
def test_schemathesis_with_every_check_finds_nothing(tmp_path):
    """Issue #29: schemathesis with every check (`st run -c all`: positive and negative data, stateful links,
    Allow headers, authentication, media types) against the service as `overhead serve` runs it (uvicorn on a
    loopback port), a fixed seed and a bounded budget, finds no failure and no error. Before: 22 unique failures
    (Allow naming one method of a path's several, empty times and ids taken as absent, ids of any text accepted by
    the document, uvicorn's plain-text 400 undocumented, visible passes over 10 s). A request valid by the
    document but refused on its meaning (422, 413) counts as accepted: tests/schemathesis.toml says so."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from tests.conftest import serve_app

    app = create_app(
        ServiceSettings(
            db_url=f"sqlite:///{tmp_path / 'st.sqlite'}",
            token=TOKEN,
            scheduler="none",
            max_work=2e5,
            max_job_work=2e5,
            max_stream_s=1.0,
        )
    )
    config = Path(__file__).with_name("schemathesis.toml")
    with serve_app(app) as base:
        run = subprocess.run(
            [
                str(Path(sys.executable).with_name("st")),
                "--config-file",
                str(config),
                "run",
                # one worker: with two, hypothesis's lambda-source cache (not thread-safe) once raised its own
                # "AST constructor recursion depth mismatch" as a schemathesis Runtime Error, not an API failure
                f"{base}/openapi.json",
                "-c",
                "all",
                "--max-examples",
                "5",
                "--seed",
                "29",
                "--workers",
                "1",
                "--request-timeout",
                "60",
                "--max-failures",
                "20",
                "-H",
                f"Authorization: Bearer {TOKEN}",
                "--no-color",
            ],
            capture_output=True,
            text=True,
            timeout=1200,
            cwd=tmp_path,
            env={**os.environ, "NO_COLOR": "1"},
        )
    summary = run.stdout[run.stdout.rfind("SUMMARY") :]
    assert run.returncode == 0, (run.stdout[:3000] + "\n…\n" + summary)[-6000:]


def test_a_405_names_every_method_of_the_path_and_empty_values_are_refused(tmp_path):
    """Issue #29 (schemathesis -c all): a path with a route per method answered 405 naming one route's methods;
    an empty `since` was taken as absent and ids of any text passed the document (refused later)."""
    settings = ServiceSettings(db_url=f"sqlite:///{tmp_path / 'a.sqlite'}", token=TOKEN, scheduler="none")
    with TestClient(create_app(settings)) as client:
        answer = client.options("/api/tags/watch")
        assert answer.status_code == 405 and answer.headers["allow"] == "DELETE, PUT"
        assert client.options("/api/jobs/abc").headers["allow"] == "DELETE, GET"
        for path in (
            "/api/changes?since=",
            "/api/alerts?since=",
            "/api/conjunctions?since=",
            "/api/positions?ids=abc",
            "/api/positions?time=",
        ):
            assert client.get(path).status_code == 422, path
        assert client.get("/api/positions", params={"ids": "25544, 20580,"}).status_code in (200, 404)
        document = client.get("/openapi.json").json()
        ids = next(p for p in document["paths"]["/api/positions"]["get"]["parameters"] if p["name"] == "ids")
        assert any("pattern" in option for option in ids["schema"].get("anyOf", [ids["schema"]]))
