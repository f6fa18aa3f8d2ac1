"""The command line as a user runs it: files it writes, errors it prints."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import overhead
from overhead.cli.main import main


def test_propagate_csv_columns_and_values(tmp_path):
    out = tmp_path / "states.csv"
    code = main(
        [
            "propagate",
            str(overhead.sample_path("stations")),
            "--ids",
            "25544",
            "--start",
            "2026-05-30T00:00:00Z",
            "--stop",
            "2026-05-30T00:10:00Z",
            "--step",
            "60",
            "--frame",
            "geodetic",
            "-o",
            str(out),
        ]
    )
    assert code == 0
    table = pd.read_csv(out)
    assert list(table.columns) == ["norad_id", "time", "minutes_since_epoch", "lat_deg", "lon_deg", "alt_km", "error"]
    assert len(table) == 11 and table.time.iloc[0] == "2026-05-30T00:00:00.000000Z"
    ds = overhead.sample_catalog().select([25544]).propagate(["2026-05-30T00:10:00Z"], frame="geodetic")
    assert table.lat_deg.iloc[-1] == pytest.approx(float(ds.lat_deg[0, 0]), abs=1e-6)


def test_propagate_minutes_since_epoch_parquet(tmp_path):
    out = tmp_path / "states.parquet"
    assert (
        main(
            [
                "propagate",
                str(overhead.sample_path("stations")),
                "--minutes-since-epoch",
                "0",
                "90",
                "30",
                "--frame",
                "teme",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    table = pd.read_parquet(out)
    assert set(table.minutes_since_epoch) == {0.0, 30.0, 60.0, 90.0}
    assert {"x_km", "vz_km_s", "error"} <= set(table.columns)


def test_report_writes_a_map_and_lists_passes(tmp_path, capsys):
    png = tmp_path / "map.png"
    assert main(["report", "--hours", "3", "--map", str(png)]) == 0
    text = capsys.readouterr().out
    assert "Next passes over Toulouse" in text and "LANDSAT" in text
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 50_000


def test_report_far_from_epoch_says_how_old_the_elements_are(tmp_path, capsys):
    assert main(["report", "--time", "2026-09-01T00:00:00Z", "--hours", "1", "--map", str(tmp_path / "m.png")]) == 0
    assert "days from the report time" in capsys.readouterr().out


def test_design_helpers_print_the_number_first(capsys):
    assert main(["design", "sso", "--altitude-km", "705"]) == 0
    assert float(capsys.readouterr().out.split()[0]) == pytest.approx(98.2, abs=0.05)
    assert main(["design", "repeat", "--revolutions", "233", "--days", "16"]) == 0
    assert np.isclose(float(capsys.readouterr().out.split()[0]), 699.6, atol=1.0)


def test_errors_are_clear_and_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.tle"
    bad.write_text(
        "1 25544U 98067A   08264.51782528 -.00002182  00000-0 -11606-4 0  2920\n"
        "2 25544  51.6416 247.4627 0006703 130.5360 325.0288 15.72125391563537\n"
    )
    assert main(["propagate", str(bad), "--minutes-since-epoch", "0", "10", "1"]) == 2
    assert "line 1, field checksum" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["passes", str(bad), "--site", "95,0"])


def test_the_public_surface_resolves():
    for name in overhead.__all__:
        assert getattr(overhead, name) is not None, name
    with pytest.raises(AttributeError):
        overhead.no_such_thing  # noqa: B018
