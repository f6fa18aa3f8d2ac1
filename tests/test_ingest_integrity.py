"""A bad file never changes the catalogue: random bytes, a truncated download, one bad record among thousands, a
junk upload — each leaves the store and the changes feed exactly as they were; a mistaken ingest can be undone.

Each test reproduces a failure seen on the store before these guards (random bytes ingested into ``active``
reported 11,907 objects gone and 894 decayed; a partial download 4,791 gone; one rejected record "decayed")."""

from __future__ import annotations

import random
import subprocess
import sys

import pandas as pd
import pytest
from sqlalchemy import text

from overhead.catalog.store import CatalogStore
from overhead.errors import IngestRefusedError
from tests.conftest import shared_file
from tests.test_catalog import db_url  # noqa: F401  (the SQLite / PostgreSQL fixture)

OCTOBER = ("catalog", "celestrak_active_2025-10-03", "active.tle")


def _contents(store: CatalogStore) -> dict[str, pd.DataFrame]:
    """Everything a user can see of the store: objects, element sets, the changes feed."""
    queries = {
        "objects": "SELECT * FROM objects ORDER BY norad_id",
        "element_sets": "SELECT fingerprint, norad_id, epoch, ingest_id FROM element_sets ORDER BY fingerprint",
        "changes": "SELECT ingest_id, norad_id, change, time, detail FROM changes ORDER BY id",
    }
    with store.engine.connect() as connection:
        return {name: pd.DataFrame(connection.execute(text(q)).mappings().all()) for name, q in queries.items()}


def _assert_same(before: dict, after: dict) -> None:
    for name in before:
        pd.testing.assert_frame_equal(before[name], after[name], check_dtype=False, obj=name)


@pytest.fixture
def october_store(db_url):  # noqa: F811
    path = shared_file(*OCTOBER)
    store = CatalogStore(db_url)
    first = store.ingest(path, group="active")
    assert first.new_objects > 12_000
    return store, path


@pytest.mark.parametrize("first_byte", [b"", b"{", b"[", b"<"], ids=["random", "json-object", "json-list", "xml"])
def test_random_bytes_change_nothing(october_store, tmp_path, first_byte):
    # a fixed seed: the same bytes on every run; junk opening like JSON or XML is sniffed as OMM and must be
    # refused the same way (it once raised the parser's ElementSetError instead, when os.urandom began with "{")
    store, _ = october_store
    junk = tmp_path / "active.tle"
    junk.write_bytes(first_byte + random.Random(20261201).randbytes(300_000))
    before = _contents(store)
    with pytest.raises(IngestRefusedError, match="nothing changed"):
        store.ingest(junk, group="active")
    _assert_same(before, _contents(store))


def test_a_truncated_download_changes_nothing(october_store, tmp_path):
    store, path = october_store
    partial = tmp_path / "active.tle"
    partial.write_bytes(path.read_bytes()[:1_200_000])  # 62 % of the objects, cut inside a line
    before = _contents(store)
    with pytest.raises(IngestRefusedError, match="truncated"):
        store.ingest(partial, group="active")
    _assert_same(before, _contents(store))
    # accepted on purpose, it still concludes nothing gone from an incomplete snapshot
    report = store.ingest(partial, group="active", allow_shrink=True)
    assert not report.complete and report.changes.empty
    assert (_contents(store)["objects"].status == "active").all()


def test_a_shrunk_snapshot_is_refused_unless_allowed(october_store, tmp_path):
    store, path = october_store
    lines = path.read_text().splitlines()
    part = tmp_path / "active.tle"
    part.write_text("\n".join(lines[: 3 * 4000]) + "\n")  # 4,000 whole records of 12,801
    before = _contents(store)
    with pytest.raises(IngestRefusedError, match="allow-shrink"):
        store.ingest(part, group="active")
    _assert_same(before, _contents(store))
    report = store.ingest(part, group="active", allow_shrink=True)
    assert report.complete and (report.changes.change.isin(["gone", "decayed"])).sum() == 12_801 - 4000


def test_one_bad_record_is_one_reject_and_its_object_stays(october_store, tmp_path):
    store, path = october_store
    lines = path.read_text().splitlines()
    # a low object (mean motion above 15.6 rev/day): a missing one would be called "decayed"
    k = next(i for i in range(0, len(lines), 3) if float(lines[i + 2][52:63]) > 15.6)
    norad_id = int(lines[k + 1][2:7])
    lines[k + 2] = lines[k + 2][:68] + str((int(lines[k + 2][68]) + 1) % 10)  # its checksum broken
    damaged = tmp_path / "active.tle"
    damaged.write_text("\n".join(lines) + "\n")
    before = _contents(store)
    report = store.ingest(damaged, group="active")
    assert len(report.rejected) == 1 and report.rejected[0].norad_id == norad_id
    assert report.changes.empty
    after = _contents(store)
    pd.testing.assert_frame_equal(before["changes"], after["changes"], check_dtype=False)
    assert after["objects"].set_index("norad_id").status[norad_id] == "active"


@pytest.mark.slow
def test_undo_restores_the_store_and_the_feed(db_url):  # noqa: F811
    march = shared_file("catalog", "celestrak_active_2026-03-19", "active.tle")
    july = shared_file("catalog", "celestrak_active_omm_csv_2026-07-10", "active.csv")
    store = CatalogStore(db_url)
    first = store.ingest(march, group="active")
    before = _contents(store)
    second = store.ingest(july, group="active")
    assert len(second.changes) > 1000
    with pytest.raises(Exception, match=f"undo {second.ingest_id} first"):
        store.undo(first.ingest_id)
    store.undo(second.ingest_id)
    _assert_same(before, _contents(store))
    again = store.ingest(july, group="active")  # the same file, ingested again, finds the same changes
    assert sorted(again.changes.norad_id) == sorted(second.changes.norad_id)


def test_cli_refuses_in_one_line_with_exit_code_2(tmp_path):
    junk = tmp_path / "active.tle"
    junk.write_bytes(b"\x00\xff" * 5000 + b"1 25544U garbage\n")
    db = f"sqlite:///{tmp_path / 'c.sqlite'}"
    done = subprocess.run(
        [sys.executable, "-m", "overhead.cli.main", "catalog", "ingest", str(junk), "--db", db],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "ingest refused, nothing changed" in done.stderr and "Traceback" not in done.stderr
    listed = subprocess.run(
        [sys.executable, "-m", "overhead.cli.main", "catalog", "ingests", "--db", db],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert listed.returncode == 0 and len(listed.stdout.strip().splitlines()) == 1  # the header: nothing stored


def test_a_junk_upload_to_an_existing_group_changes_nothing(tmp_path):
    import warnings

    import overhead
    from overhead.api import ServiceSettings, create_app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    db = f"sqlite:///{tmp_path / 'c.sqlite'}"
    auth = {"Authorization": "Bearer t", "Content-Type": "application/json"}
    with TestClient(create_app(ServiceSettings(db_url=db, token="t", scheduler="none"))) as client:
        store = client.app.state.service.store
        before = _contents(store)
        for junk in ('[{"foo": 1}, {"bar": 2}]', "[]", '{"OBJECT_NAME": "X"}', "[1, 2, 3]"):
            answer = client.post("/api/catalog/ingest", params={"group": "stations"}, content=junk, headers=auth)
            assert answer.status_code == 422 and "nothing changed" in answer.json()["detail"], answer.text
        _assert_same(before, _contents(store))
        assert len(client.get("/api/objects", params={"group": "stations"}).json()["objects"]) == len(
            overhead.sample_catalog(("stations",))
        )
