"""The version is written in one place and read the same by the package, its metadata and the CLI."""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

import pytest

import overhead
from overhead.cli.main import main


def test_the_version_is_the_same_from_the_cli_the_package_and_its_metadata(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    printed = capsys.readouterr().out.strip()
    assert printed == f"overhead {overhead.__version__}"
    assert importlib.metadata.version("overhead") == overhead.__version__
    assert re.fullmatch(r"\d+\.\d+\.\d+", overhead.__version__)


def test_the_version_is_written_once_and_the_package_says_it_is_typed():
    root = Path(__file__).resolve().parents[1]
    pyproject = (root / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in pyproject and not re.search(r'^version\s*=\s*"', pyproject, re.MULTILINE)
    assert (root / "src" / "overhead" / "py.typed").exists()
    changelog = (root / "CHANGELOG.md").read_text()
    assert f"## {overhead.__version__}" in changelog  # the release this version is has its entry
