"""The catalog store on SQLite and on a real PostgreSQL server (when .ci/run provides one): real catalogs,
idempotent and atomic ingestion, concurrent ingests, change detection, what is overhead."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

import overhead
from overhead.catalog.above import above
from overhead.catalog.manoeuvres import detect_manoeuvres, semi_major_axis_km
from overhead.catalog.store import CatalogStore
from overhead.geometry.topocentric import GroundSite
from tests.conftest import shared_file

POSTGRES_ENV = "OVERHEAD_TEST_POSTGRES_URL"
BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(
            not os.environ.get(POSTGRES_ENV), reason=f"no PostgreSQL server ({POSTGRES_ENV} unset; .ci/run starts one)"
        ),
    ),
]


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'catalog.sqlite'}"
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    # one database per pytest-xdist worker: tests running side by side must not drop each other's tables
    server = make_url(os.environ[POSTGRES_ENV])
    name = f"{server.database}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if not connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}).scalar():
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = server.set(database=name).render_as_string(hide_password=False)
    engine = create_engine(url)
    from overhead.catalog.models import Base

    with engine.begin() as connection:  # a clean database for every test: every table the models have
        names = ", ".join([*Base.metadata.tables, "alembic_version"])
        connection.execute(text(f"DROP TABLE IF EXISTS {names} CASCADE"))
    engine.dispose()
    return url


def _ids(path) -> set[int]:
    return set(overhead.load_elements(path).norad_ids.tolist())


@pytest.mark.slow
def test_march_to_july_reports_the_objects_that_appeared_and_disappeared(db_url):
    march = shared_file("catalog", "celestrak_active_2026-03-19", "active.tle")
    july = shared_file("catalog", "celestrak_active_omm_csv_2026-07-10", "active.csv")
    store = CatalogStore(db_url)
    first = store.ingest(march, group="active")
    assert first.new_objects == len(_ids(march)) and not first.rejected
    second = store.ingest(july, group="active")
    changes = second.changes
    appeared, disappeared = _ids(july) - _ids(march), _ids(march) - _ids(july)
    assert set(changes[changes.change == "new"].norad_id) == appeared
    assert set(changes[changes.change.isin(["gone", "decayed"])].norad_id) == disappeared
    decayed = changes[changes.change == "decayed"]
    assert len(decayed) > 100 and decayed.detail.str.contains("rev/day").all()
    # the drag model dates them (all at once, within the ingest): most before the July snapshot that lacks them
    dates = pd.to_datetime(decayed.detail.str.extract(r"re-entry predicted about (\d{4}-\d{2}-\d{2})")[0])
    assert dates.notna().mean() > 0.9 and (dates < pd.Timestamp("2026-07-11")).mean() > 0.8
    # launches are grouped: every new object's detail names its launch and how many came with it
    assert changes[changes.change == "new"].detail.str.match(r"launch \d{4}-\d{3}: \d+ new object").all()
    again = store.ingest(july, group="active")  # idempotent: the same element sets are stored once
    assert again.new_sets == 0 and again.unchanged_sets == second.new_sets and again.changes.empty
    assert len(store.latest_catalog()) == len(_ids(july))


def test_a_week_of_history_shows_a_launch_arriving_and_visitors_leaving(db_url, tmp_path):
    history = overhead.load_elements(
        shared_file("tle_history", "celestrak_groups_2026-05-23_to_2026-05-30", "stations_history.tle")
    )
    epochs = history.epochs
    cuts = [
        np.datetime64("2026-05-01"),
        np.datetime64("2026-05-25T00:00"),
        np.datetime64("2026-05-27T00:00"),
        np.datetime64("2026-05-29T12:00"),
        np.datetime64("2026-06-01"),
    ]
    store = CatalogStore(db_url)
    found = []
    for k, (a, b) in enumerate(itertools.pairwise(cuts)):
        part = tmp_path / f"slice{k}.tle"
        part.write_text(history[[i for i, e in enumerate(epochs) if a <= e < b]].to_tle())
        found.append(store.ingest(part, group="stations").changes)
    later = pd.concat(found[1:])
    assert 69180 in set(later[later.change == "new"].norad_id)  # SHENZHOU-23, launched 2026-05-25
    gone = set(later[later.change.isin(["gone", "decayed"])].norad_id)
    assert {66174, 66645} <= gone  # HTV-X1 and SHENZHOU-22 leave the stations group
    history_table = store.history(25544)
    assert len(history_table) > 10 and history_table.epoch.is_monotonic_increasing


def test_bad_records_are_reported_and_the_rest_stored(db_url, tmp_path):
    lines = overhead.sample_path("stations").read_text().splitlines()
    lines[2] = lines[2][:68] + str((int(lines[2][68]) + 1) % 10)  # first record: bad checksum
    path = tmp_path / "mixed.tle"
    path.write_text("\n".join(lines) + "\n")
    report = CatalogStore(db_url).ingest(path)
    assert len(report.rejected) == 1 and "checksum" in str(report.rejected[0])
    assert report.new_sets == len(lines) // 3 - 1
    with pytest.raises(FileNotFoundError):
        CatalogStore(db_url).ingest(tmp_path / "missing.tle")


FAULT_INJECTION = Path(__file__).with_name("fault_injection.py")


def _ingest_process(db_url: str, path, pause: float = 0.0) -> subprocess.Popen:
    """An ingest in a child process that pauses inside its transaction (tests/fault_injection.py)."""
    code = "import sys; from overhead.catalog.store import CatalogStore; CatalogStore(sys.argv[1]).ingest(sys.argv[2])"
    return subprocess.Popen([sys.executable, str(FAULT_INJECTION), str(pause), "-c", code, db_url, str(path)])


def _count(store: CatalogStore, table: str) -> int:
    with store.engine.connect() as connection:
        return connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar()


@pytest.mark.slow
def test_an_ingest_killed_midway_leaves_the_store_as_it_was(db_url):
    store = CatalogStore(db_url)
    store.ingest(overhead.sample_path("stations"))
    before = (_count(store, "element_sets"), _count(store, "objects"), _count(store, "ingests"))
    process = _ingest_process(db_url, overhead.sample_path("resource"), pause=60)
    time.sleep(6)  # parsing done, rows written inside the open transaction, now sleeping
    assert process.poll() is None
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert (_count(store, "element_sets"), _count(store, "objects"), _count(store, "ingests")) == before
    report = store.ingest(overhead.sample_path("resource"))  # the lock died with the process
    assert report.new_sets == len(overhead.sample_catalog(("resource",)))


def test_two_ingests_at_once_store_everything_once(db_url):
    CatalogStore(db_url)  # schema first, so both processes find it
    processes = [_ingest_process(db_url, overhead.sample_path("resource")) for _ in range(2)]
    assert [p.wait(timeout=180) for p in processes] == [0, 0]
    store = CatalogStore(db_url)
    assert _count(store, "element_sets") == len(overhead.sample_catalog(("resource",)))
    assert _count(store, "ingests") == 2


def test_above_puts_the_iss_overhead_at_its_sub_point(db_url):
    store = CatalogStore(db_url)
    store.ingest(overhead.sample_path("stations"))
    catalog = store.latest_catalog()
    when = "2026-05-30T12:00:00Z"
    point = catalog.select([25544]).propagate([when], frame="geodetic")
    site = GroundSite(float(point.lat_deg[0, 0]), float(point.lon_deg[0, 0]), 0.0)
    table = above(catalog, site, when, min_elevation_deg=10.0)
    iss = table[table.norad_id == 25544].iloc[0]
    assert iss.elevation_deg > 89.9 and abs(iss.range_km - float(point.alt_km[0, 0])) < 0.5
    assert (table.elevation_deg >= 10.0).all() and table.elevation_deg.is_monotonic_decreasing


def test_manoeuvre_detector_finds_a_synthetic_burn():
    # 60 daily element sets of a 700 km orbit decaying by 20 m/day, with 5 m of noise; a 300 m raise on day 40
    rng = np.random.default_rng(1)
    days = np.arange(60.0)
    a = 7078.0 - 0.020 * days + rng.normal(0, 0.005, days.size)
    a[40:] += 0.300
    n = np.sqrt(398600.4418 / a**3) * 86_400 / (2 * np.pi)
    history = pd.DataFrame(
        {
            "norad_id": 1,
            "epoch": np.datetime64("2026-01-01") + days.astype("timedelta64[D]"),
            "mean_motion_rev_per_day": n,
            "inclination_deg": 98.2,
        }
    )
    assert np.allclose(semi_major_axis_km(n), a)
    found = detect_manoeuvres(history)
    assert len(found) == 1
    assert abs(found.time.iloc[0] - np.datetime64("2026-02-09T12:00")) <= np.timedelta64(1, "D")
    assert found.delta_a_km.iloc[0] == pytest.approx(0.300, abs=0.03)


def test_quality_flags_elements_too_old_for_the_accuracy(db_url):
    store = CatalogStore(db_url)
    store.ingest(overhead.sample_path("stations"))
    fresh = store.quality("2026-05-30T12:00:00Z", accuracy_km=5.0)
    stale = store.quality("2026-06-09T12:00:00Z", accuracy_km=5.0)
    iss_fresh, iss_stale = (t[t.norad_id == 25544].iloc[0] for t in (fresh, stale))
    assert abs(iss_fresh.age_days) < 2 and not iss_fresh.too_old
    assert iss_stale.age_days == pytest.approx(iss_fresh.age_days + 10.0, abs=1e-6) and iss_stale.too_old
    assert stale.too_old.all()


def test_an_object_stays_in_every_group_that_reports_it(db_url, tmp_path):
    """Ingesting a wider group (here a `visual` group holding the ISS and the resource satellites) used to take
    the ISS out of `stations`: a group was the group of an object's last ingest. Membership is per group now,
    and undoing the wider ingest gives the groups back as they were."""
    store = CatalogStore(db_url)
    stations = overhead.sample_path("stations").read_text().splitlines()
    resource = overhead.sample_path("resource").read_text().splitlines()
    store.ingest([overhead.sample_path("stations")], group="stations")
    store.ingest([overhead.sample_path("resource")], group="resource")
    iss = stations[:3]
    assert iss[0].strip() == "ISS (ZARYA)"
    wider = tmp_path / "visual.tle"
    wider.write_text("\n".join(iss + resource[:30]) + "\n")
    report = store.ingest([wider], group="visual")
    members = store.group_members()
    groups_of_iss = set(members.group_name[members.norad_id == 25544])
    assert groups_of_iss == {"stations", "visual"}
    n_stations = len(overhead.load_elements(overhead.sample_path("stations")))
    assert (members.group_name == "stations").sum() == n_stations
    assert (members.group_name == "visual").sum() == 11
    assert store.select_ids(group="stations") == _ids(overhead.sample_path("stations"))
    # a later stations snapshot without the ISS takes it out of stations only
    store.ingest_text("\n".join(stations[3:]) + "\n", source="stations-2", group="stations")
    members = store.group_members()
    assert set(members.group_name[members.norad_id == 25544]) == {"visual"}
    store.undo(report.ingest_id + 1)
    store.undo(report.ingest_id)
    members = store.group_members()
    assert set(members.group_name[members.norad_id == 25544]) == {"stations"}
    assert set(members.group_name) == {"stations", "resource"}
