"""Compile the numba kernels ahead of the first answer: `python -m overhead.warmup`.

The kernels are cached on disk (``cache=True``) beside their modules, so this runs once at set-up
(``scripts/setup.sh``) and costs nothing afterwards; the service also runs it in a background thread at start, so
that a fresh install answers its first passes request at full speed (measured: 5.9 s cold, 0.8 s cached).
"""

from __future__ import annotations

import time

__all__ = ["warm_up"]


def warm_up() -> float:
    """Run each compiled kernel once on a tiny case; returns the seconds it took."""
    import numpy as np
    import pandas as pd

    import overhead
    from overhead.analysis.conjunctions.screening import screen
    from overhead.analysis.coverage import coverage
    from overhead.analysis.passes import passes_over_site
    from overhead.catalog.manoeuvres import detect_manoeuvres
    from overhead.geometry.grids import AnalysisGrid
    from overhead.geometry.sensors import AccessConstraints, NadirCone
    from overhead.geometry.topocentric import GroundSite
    from overhead.orbits.catalog import element_age_said

    started = time.perf_counter()
    catalog = overhead.sample_catalog(("stations",))[:8]
    epoch = catalog.epochs[0]
    stop = epoch + np.timedelta64(3, "h")
    # never warnings.catch_warnings here: the warm-up runs in a thread beside the service's requests, and
    # catch_warnings would restore, when leaving, the global warning hooks as they were when it began
    with element_age_said():
        passes_over_site(catalog, GroundSite(43.6, 1.44, 150.0), epoch, stop, min_elevation_deg=10.0)  # the API's
        for constraints in (AccessConstraints(min_elevation_deg=10.0), AccessConstraints(sensor=NadirCone(30.0))):
            coverage(catalog, AnalysisGrid.global_grid(0), epoch, stop, constraints)
        history = pd.DataFrame(
            {
                "norad_id": 1,
                "epoch": epoch + np.arange(80) * np.timedelta64(1, "D"),
                "mean_motion_rev_per_day": 15.5 + 1e-6 * np.arange(80),
                "inclination_deg": np.full(80, 51.6),
            }
        )
        detect_manoeuvres(history)
        screen(catalog, epoch, epoch + np.timedelta64(10, "m"))
        _monte_carlo_over_a_span()
    return time.perf_counter() - started


def _monte_carlo_over_a_span() -> None:
    """The conjunction Monte Carlo's compiled walk (and its Cartesian-to-elements conversion), on 100 samples."""
    import numpy as np

    from overhead.analysis.conjunctions.montecarlo import pc_monte_carlo

    r = np.array([7.0e6, 0.0, 0.0])
    v = np.array([0.0, 5334.0, 4876.0])
    cov = np.diag([1e4, 1e4, 1e4, 1.0, 1.0, 1.0])
    for sampling in ("equinoctial", "cartesian"):
        pc_monte_carlo(
            r, v, cov, r + 100.0, v, cov, 10.0, samples=100, batch=100, span_s=(-60.0, 60.0), sampling=sampling
        )


if __name__ == "__main__":
    print(f"overhead: compiled kernels ready ({warm_up():.1f} s)")
