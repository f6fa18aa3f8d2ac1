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


def test_every_name_imported_on_first_use_is_typed_for_checkers_and_is_the_real_object():
    """The lazy exports of ``import overhead`` each appear in its TYPE_CHECKING block (so mypy and editors see
    their types, not Any) and resolve at run time to the object their module defines."""
    import ast
    import importlib

    source = Path(overhead.__file__).read_text()
    typed: dict[str, str] = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for statement in node.body:
                assert isinstance(statement, ast.ImportFrom)
                typed.update({alias.name: statement.module for alias in statement.names})
    assert typed == overhead._LAZY
    for name, module in overhead._LAZY.items():
        assert getattr(overhead, name) is getattr(importlib.import_module(module), name)
        assert name in overhead.__all__
