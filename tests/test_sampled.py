"""The sampled catalogue ephemeris (overhead.orbits.sampled) against SGP4 itself, and what reads it."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest

import overhead
from overhead.analysis.passes import passes_over_site
from overhead.catalog.above import above
from overhead.geometry.topocentric import GroundSite
from overhead.orbits.catalog import Catalog, load_elements
from overhead.orbits.sampled import CatalogEphemeris, SampledCatalog
from overhead.orbits.sgp4_propagation import propagate_shared_times
from tests.conftest import shared_file

HOUR = np.timedelta64(3600, "s")


def _random_times(start: np.datetime64, hours: float, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.sort(start + (rng.uniform(0.0, hours * 3600.0, n) * 1e9).astype("timedelta64[ns]"))


@pytest.mark.slow
def test_every_object_of_a_real_catalogue_within_a_metre_of_sgp4_at_a_thousand_random_times():
    """July 2026 active catalogue, 15,985 objects, each at its own 1,000 random times over three hours: the
    interpolated position against SGP4's own at that time (python-sgp4, the same Earth-fixed rotation)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        catalog = load_elements(shared_file("catalog", "celestrak_active_omm_csv_2026-07-10", "active.csv"))
    start = np.datetime64("2026-07-10T00:00:00", "ns")
    ephemeris = CatalogEphemeris(catalog)
    assert ephemeris.prepare(start, start + 3 * HOUR)
    worst_m, compared = 0.0, 0
    for a in range(0, len(catalog), 250):
        rows = np.arange(a, min(a + 250, len(catalog)))
        for row in rows:  # each object its own times: SGP4 object by object
            times = _random_times(start, 3.0, 1000, seed=int(row))
            ours, _, codes = ephemeris.states(np.array([row]), times)
            sgp4 = propagate_shared_times([catalog.satrecs[row]], times, "itrf", workers=1)
            fine = sgp4.error[0] == 0
            assert np.isfinite(ours[0][fine]).all() or (codes[0][fine] != 0).any()
            usable = fine & (codes[0] == 0)
            error_km = np.linalg.norm(ours[0][usable] - sgp4.position[0][usable], axis=-1)
            worst_m = max(worst_m, float(error_km.max(initial=0.0)) * 1e3)
            compared += int(usable.sum())
    assert compared > 0.99 * len(catalog) * 1000
    assert worst_m < 1.0, f"worst interpolation error {worst_m:.2f} m"


@pytest.mark.slow
def test_failed_sgp4_states_keep_their_codes():
    """October 2025 elements used in December 2025: objects that SGP4 gives up on (decayed, eccentricity out of
    range) are NaN with SGP4's own code, and an object SGP4 propagates is never reported failed far from a
    failure (two samples at most, the velocity differences' reach)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        catalog = load_elements(shared_file("catalog", "celestrak_active_2025-10-03", "active.tle"))
    start = np.datetime64("2025-12-20T00:00:00", "ns")
    # SGP4 every 7 s from 5 minutes before to 5 minutes after the hour compared (a failure just outside it
    # reaches in through the velocity differences)
    wide = start + (np.arange(-300, 3900, 7.0) * 1e9).astype("timedelta64[ns]")
    sgp4 = propagate_shared_times(catalog.satrecs, wide, "itrf", workers=1)
    inside = (wide >= start) & (wide < start + HOUR)
    times, failed = wide[inside], sgp4.error[:, inside] != 0
    failing = np.flatnonzero(failed.any(axis=1))
    assert failing.size > 0, "this case needs objects that SGP4 fails on"
    ours, _, codes = CatalogEphemeris(catalog).states(np.arange(len(catalog)), times)
    assert np.isnan(ours[failed]).all()
    assert set(np.unique(codes[failed])) <= set(np.unique(sgp4.error[:, inside][failed]))
    assert (codes[failed] != 0).all()
    # a state SGP4 gives is given too, unless SGP4 failed within two samples (120 s) of it
    wide_s = (wide - start) / np.timedelta64(1, "s")
    t_s = wide_s[inside]
    near_failure = np.zeros_like(failed)
    for i in np.flatnonzero((sgp4.error != 0).any(axis=1)):
        failed_s = wide_s[sgp4.error[i] != 0]
        near_failure[i] = (np.abs(t_s[:, None] - failed_s[None, :]) <= 180.0).any(axis=1)
    assert np.isfinite(ours[~failed & ~near_failure]).all()


def test_passes_read_from_the_ephemeris_equal_sgp4s():
    """The bundled resource group over Toulouse for a day: same passes, rise and set within 10 ms."""
    catalog = overhead.sample_catalog(("resource",))
    site = GroundSite(43.6, 1.44, 150.0)
    start = catalog.median_epoch()
    stop = start + 24 * HOUR
    sampled = SampledCatalog.over(catalog, CatalogEphemeris(catalog))
    assert sampled.ephemeris is not None and sampled.ephemeris.prepare(start, stop)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = passes_over_site(sampled, site, start, stop, workers=1)
        theirs = passes_over_site(catalog, site, start, stop, workers=1)
    assert len(ours) == len(theirs) > 100
    assert (ours.norad_id.to_numpy() == theirs.norad_id.to_numpy()).all()
    for column in ("rise", "set", "culmination"):
        gap_s = np.abs((ours[column] - theirs[column]).dt.total_seconds().to_numpy())
        assert gap_s.max() < 0.01, column
    assert np.abs(ours.max_elevation_deg - theirs.max_elevation_deg).max() < 1e-3


def test_what_is_above_from_the_ephemeris_equals_sgp4s():
    catalog = overhead.sample_catalog()
    sampled = SampledCatalog.over(catalog, CatalogEphemeris(catalog))
    when = catalog.median_epoch() + np.timedelta64(1234, "s")
    site = GroundSite(-33.9, 18.4, 0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours, theirs = above(sampled, site, when), above(catalog, site, when)
    assert len(ours) == len(theirs) > 0
    assert (ours.norad_id.to_numpy() == theirs.norad_id.to_numpy()).all()
    assert np.abs(ours.elevation_deg - theirs.elevation_deg).max() < 1e-4  # ~1 m at 1,000 km
    assert (ours.sunlit.to_numpy() == theirs.sunlit.to_numpy()).all()


def test_the_budget_is_honoured_least_recently_used_out():
    catalog = overhead.sample_catalog()
    one_block = CatalogEphemeris(catalog).block_bytes
    ephemeris = CatalogEphemeris(catalog, budget_bytes=int(2.5 * one_block))
    start = np.datetime64("2026-05-30T00:00:00", "ns")
    assert ephemeris.max_blocks == 2
    assert not ephemeris.prepare(start, start + 3 * HOUR)  # four blocks: refused, nothing built
    assert ephemeris.nbytes == 0
    for hour in range(4):
        ephemeris.states(np.arange(3), [start + hour * HOUR + np.timedelta64(60, "s")])
        assert ephemeris.nbytes <= ephemeris.budget_bytes
    held = ephemeris.summary()["blocks"]
    assert held == ["2026-05-30T02:00:00Z", "2026-05-30T03:00:00Z"]


def test_a_span_asked_again_is_kept_read_only_and_bounded(monkeypatch):
    """The states of a watch list over a span are gathered once and kept: asked again (another place's passes)
    the same arrays come back, read-only, equal to a fresh gather; other satellites or times are other entries;
    the kept bytes stay under the bound, least recently used out."""
    import overhead.orbits.sampled as sampled

    catalog = overhead.sample_catalog()
    ephemeris = CatalogEphemeris(catalog)
    start = np.datetime64("2026-05-30T00:00:00", "ns")
    times = start + np.arange(0, 7200, 60) * np.timedelta64(1, "s")
    first = ephemeris.states(np.arange(10), times)
    again = ephemeris.states(np.arange(10), times)
    assert all(a is b for a, b in zip(first, again, strict=True))
    assert not any(a.flags.writeable for a in again)
    fresh = CatalogEphemeris(catalog).states(np.arange(10), times)
    assert all(np.array_equal(a, b, equal_nan=True) for a, b in zip(again, fresh, strict=True))
    assert ephemeris.states(np.arange(1, 11), times)[0] is not first[0]
    assert ephemeris.states(np.arange(10), times + np.timedelta64(60, "s"))[0] is not first[0]
    one_entry = sum(a.nbytes for a in first)
    monkeypatch.setattr(sampled, "GATHERED_BYTES", 7 * one_entry)
    for k in range(2, 7):  # three kept already: eight in all, the oldest goes
        ephemeris.states(np.arange(10 * k, 10 * k + 10), times)
    assert ephemeris.summary()["gathered_bytes"] == 7 * one_entry
    assert ephemeris.states(np.arange(10), times)[0] is not first[0]  # gone, gathered anew
    assert ephemeris.states(np.arange(3), times[:5])[0].flags.writeable  # a few times: not kept


def test_a_small_request_is_answered_by_sgp4_while_its_blocks_are_built():
    catalog = overhead.sample_catalog()
    sampled = SampledCatalog.over(catalog, CatalogEphemeris(catalog))
    ephemeris = sampled.ephemeris
    assert ephemeris is not None
    times = np.datetime64("2026-05-30T10:00:00", "ns") + np.arange(0, 7200, 30).astype("timedelta64[s]")
    few = sampled[[0, 1]]
    assert not ephemeris.worth_using(len(few), times)  # two of 192 objects: SGP4 now, the blocks meanwhile
    r_now, _ = few.state_arrays(times)
    ephemeris.wait(60.0)
    assert ephemeris.worth_using(len(few), times)
    r_later, _ = few.state_arrays(times)
    assert np.nanmax(np.linalg.norm(r_now - r_later, axis=-1)) < 1e-3  # km


def test_a_sampled_catalogue_travels_to_another_process_as_a_plain_one():
    catalog = overhead.sample_catalog()
    sampled = SampledCatalog.over(catalog, CatalogEphemeris(catalog))
    copy = pickle.loads(pickle.dumps(sampled[5:9]))
    assert type(copy) is Catalog
    assert (copy.norad_ids == catalog.norad_ids[5:9]).all()


def test_the_catalogue_arrays_are_read_only():
    catalog = overhead.sample_catalog()
    with pytest.raises(ValueError):
        catalog.norad_ids[0] = 1
