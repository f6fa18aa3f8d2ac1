"""TAT-C 3.6.0 side of the coverage benchmark (runs in its own venv: see setup_anchors.sh).

Walker delta 53°: 24/3/1 at 550 km, 30° half-angle cone, TAT-C's Fibonacci lattice of 9,987 points
(255 km spacing), 2024-01-01, one day, as in ../../shared/anchors/bench_tatc.py. Writes, to the folder given:
the members' TLEs as TAT-C propagates them, the points, TAT-C's observation windows, and its timings.
"""

import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tatc.analysis import aggregate_observations, collect_observations, reduce_observations
from tatc.generation import generate_points_fibonacci_lattice
from tatc.schemas import CircularOrbit, Instrument, WalkerConstellation

EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    lead = CircularOrbit(
        altitude=550e3, inclination=53.0, right_ascension_ascending_node=0.0, true_anomaly=0.0, epoch=EPOCH
    )
    constellation = WalkerConstellation(
        name="walker",
        orbit=lead,
        number_satellites=24,
        number_planes=3,
        relative_spacing=1,
        instruments=[Instrument(name="cone30", field_of_regard=60.0)],
    )
    members = constellation.generate_members()
    lines = []
    for k, member in enumerate(members):
        line1, line2 = (
            member.orbit.to_gp_orbit().elements[0].to_tle()
            if hasattr(member.orbit, "to_gp_orbit")
            else member.orbit.to_tle()
        )
        lines += [member.name or f"MEMBER {k}", line1, line2]
    (out / "members.tle").write_text("\n".join(lines) + "\n")
    points = generate_points_fibonacci_lattice(255e3)
    points.assign(lon=points.geometry.x, lat=points.geometry.y)[["point_id", "lon", "lat"]].to_csv(
        out / "points.csv", index=False
    )
    start, end = EPOCH, EPOCH + timedelta(days=1)
    t0 = time.perf_counter()
    observations = collect_observations(points, members, start, end)
    collect_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    aggregated = aggregate_observations(observations)
    reduced = reduce_observations(aggregated)
    aggregate_s = time.perf_counter() - t0
    observations.drop(columns="geometry").to_csv(out / "observations.csv", index=False)
    summary = {
        "collect_observations_s": collect_s,
        "aggregate_and_reduce_s": aggregate_s,
        "points": len(points),
        "observations": len(observations),
        "fraction_points_observed": float(observations.target_hash.nunique() / len(points)),
        "global_mean_of_point_mean_revisit_h": float(reduced["revisit"].dt.total_seconds().mean() / 3600),
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    print(json.dumps(summary))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
