"""Every command that reads a file, fed garbage, an empty file, a truncated one and a file of the wrong kind:
exit code 2 and one line saying what was wrong (never a traceback). A truncated file may still be whole enough
to use (a CSV cut after a row): then the command succeeds, or refuses it in one line — never exit 1.

Written from issue #29's list of tracebacks first: `design export` of a CSV that is not a sweep result
(AttributeError), of a corrupt Parquet (ArrowInvalid), of a non-CSV text (ParserError); `design sweep` of invalid
YAML (ScannerError, 61 lines); `coverage --region` of a non-JSON file (JSONDecodeError); `plan` of a broken
GeoJSON (JSONDecodeError) or of a feature without geometry (KeyError); `watch` of broken YAML (5 lines); a typo
inside a sweep's `sensor:`."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from overhead.cli.main import main
from tests.conftest import shared_file

ROOT = Path(__file__).resolve().parents[1]
WINDOW = ["--start", "2026-05-30T00:00:00Z", "--stop", "2026-05-30T01:00:00Z"]


def _valid(kind: str, tmp_path: Path) -> Path:
    """A valid file of each kind the commands read."""
    stations = shared_file("catalog", "celestrak_groups_2026-05-30", "stations.tle")
    files = {
        "elements.tle": stations.read_bytes(),
        "targets.csv": b"id,lat,lon\ntoulouse,43.6047,1.4442\ncape-town,-33.92,18.42\n",
        "requests.csv": b"id,lat,lon,priority\na,43.6,1.44,1\nb,-33.9,18.4,2\n",
        "region.geojson": (
            b'{"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": '
            b"[[[1, 43], [3, 43], [3, 45], [1, 45], [1, 43]]]}}"
        ),
        "areas.geojson": (
            b'{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"id": "x"},'
            b' "geometry": {"type": "Polygon", "coordinates": [[[1, 43], [1.2, 43], [1.2, 43.2], '
            b"[1, 43.2], [1, 43]]]}}]}"
        ),
        "sweep.yaml": (ROOT / "examples" / "sweep_france.yaml").read_bytes(),
        "rules.yaml": b"sources: []\nalerts:\n  - {name: old, when: stale, older_than_days: 3}\n",
        "results.csv": b"family,cost,feasible,epoch,planes\nwalker,4,True,2026-05-30T00:00:00,2\n",
        "message.cdm": shared_file("conjunctions", "cara_sample_cdms", "AlfanoTestCase01.cdm").read_bytes(),
        "satcat.csv": shared_file("catalog", "celestrak_satcat_sample_2026-07", "satcat_sample.csv").read_bytes(),
    }
    path = tmp_path / kind
    path.write_bytes(files[kind])
    return path


def _commands(tmp_path: Path) -> dict[str, tuple[str, list[str]]]:
    """Command -> (the kind of file it reads, its arguments with FILE where the file goes)."""
    elements = str(_valid("elements.tle", tmp_path))
    db = f"sqlite:///{tmp_path / 'store.sqlite'}"
    out = str(tmp_path / "out")
    return {
        "catalog ingest": ("elements.tle", ["catalog", "ingest", "FILE", "--db", db]),
        "catalog satcat": ("satcat.csv", ["catalog", "satcat", "FILE", "--db", db]),
        "propagate": ("elements.tle", ["propagate", "FILE", "--minutes-since-epoch", "0", "10", "5"]),
        "passes": ("elements.tle", ["passes", "FILE", "--site", "43.6,1.44", *WINDOW]),
        "passes --satcat": (
            "satcat.csv",
            ["passes", elements, "--site", "43.6,1.44", *WINDOW, "--visible", "--satcat", "FILE"],
        ),
        "access --targets": ("targets.csv", ["access", elements, "--targets", "FILE", *WINDOW]),
        "coverage --region": (
            "region.geojson",
            ["coverage", elements, "--region", "FILE", "--resolution", "2", *WINDOW],
        ),
        "coverage --points": ("targets.csv", ["coverage", elements, "--points", "FILE", *WINDOW]),
        "plan requests": ("requests.csv", ["plan", "FILE", "--elements", elements, *WINDOW, "--greedy"]),
        "plan areas": ("areas.geojson", ["plan", "FILE", "--elements", elements, *WINDOW, "--greedy"]),
        "design sweep": ("sweep.yaml", ["design", "sweep", "FILE", "-o", out + ".parquet"]),
        "design export": ("results.csv", ["design", "export", "FILE", "--best", "-o", out + ".json"]),
        "watch": ("rules.yaml", ["watch", "FILE", "--once", "--db", db]),
        "conjunctions pc": ("message.cdm", ["conjunctions", "pc", "FILE"]),
    }


def _bad(kind: str, damage: str, tmp_path: Path) -> Path:
    valid = _valid(kind, tmp_path)
    suffix = valid.suffix
    path = tmp_path / f"{damage}{suffix}"
    data = valid.read_bytes()
    if damage == "garbage":
        path.write_bytes(random.Random(20261203).randbytes(4_000))
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    else:  # the wrong kind: a PNG's first bytes for JSON/YAML/CSV/CDM, a GeoJSON where elements go
        path.write_bytes(
            b'{"type": "FeatureCollection", "features": []}'
            if suffix == ".tle"
            else b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
        )
    return path


CASES = [
    (command, damage)
    for command in (
        "catalog ingest",
        "catalog satcat",
        "propagate",
        "passes",
        "passes --satcat",
        "access --targets",
        "coverage --region",
        "coverage --points",
        "plan requests",
        "plan areas",
        "design sweep",
        "design export",
        "watch",
        "conjunctions pc",
    )
    for damage in ("garbage", "empty", "truncated", "wrong-kind")
]


@pytest.mark.parametrize(("command", "damage"), CASES, ids=[f"{c}-{d}" for c, d in CASES])
def test_a_bad_file_ends_in_one_line_and_exit_code_2(command, damage, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("OVERHEAD_DATA_DIR", str(tmp_path / "data"))
    kind, argv = _commands(tmp_path)[command]
    bad = str(_bad(kind, damage, tmp_path))
    argv = [bad if a == "FILE" else a for a in argv]
    capsys.readouterr()
    try:
        code = main(argv)
    except SystemExit as stop:  # argparse's own refusals
        code = stop.code
    err = capsys.readouterr().err
    lines = [line for line in err.strip().splitlines() if line.strip() and not line.startswith("warning")]
    assert "Traceback" not in err
    if damage == "truncated" and code == 0:
        return  # whole enough to use: a CSV or TLE cut after a complete record
    assert code == 2, (code, err)
    assert len(lines) == 1 and "error" in lines[0], err


def test_a_sweep_spec_with_a_typo_inside_sensor_is_refused_before_any_design_runs(tmp_path, capsys):
    import yaml

    spec = yaml.safe_load((ROOT / "examples" / "sweep_france.yaml").read_text())
    spec["sensor"] = {"half_angel_deg": [20, 30]}
    path = tmp_path / "typo.yaml"
    path.write_text(yaml.safe_dump(spec))
    assert main(["design", "sweep", str(path), "-o", str(tmp_path / "o.parquet")]) == 2
    err = capsys.readouterr().err
    assert "half_angel_deg" in err and "half_angle_deg" in err and len(err.strip().splitlines()) == 1
    spec["sensor"] = {"half_angle_deg": [20, 95]}  # a cone no sensor has: the request model's bound
    path.write_text(yaml.safe_dump(spec))
    assert main(["design", "sweep", str(path), "-o", str(tmp_path / "o.parquet")]) == 2
    assert "half_angle_deg" in capsys.readouterr().err


def test_a_geojson_feature_without_geometry_is_named(tmp_path, capsys):
    elements = shared_file("catalog", "celestrak_groups_2026-05-30", "stations.tle")
    path = tmp_path / "areas.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"id": "x"}}]}')
    assert main(["plan", str(path), "--elements", str(elements), *WINDOW, "--greedy"]) == 2
    assert "feature 1 has no geometry" in capsys.readouterr().err


def test_monte_carlo_samples_are_bounded_before_the_work_starts(capsys):
    cdm = shared_file("conjunctions", "cara_sample_cdms", "AlfanoTestCase01.cdm")
    for samples in ("0", "-5", "1e9", "1000000000"):
        with pytest.raises(SystemExit) as stop:
            main(["conjunctions", "pc", str(cdm), "--method", "mc", "--mc-samples", samples])
        assert stop.value.code == 2
        err = capsys.readouterr().err
        assert "not a whole number from 1,000 to 100,000,000" in err and len(err.strip().splitlines()) == 1
