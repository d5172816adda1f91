"""The dev loop: `nox` runs every check CI runs (`nox -s lint` for one of them).

Sessions:
- lint: ruff (check and format), import-linter (the core never imports Qt; the layers).
- typecheck: mypy on photofind.core.
- test: the whole test suite, GUI tests offscreen.
- test-headless: tests/core with PySide6 absent, which proves the core runs headless.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import nox

nox.options.sessions = ["lint", "typecheck", "test", "test-headless"]
nox.options.reuse_existing_virtualenvs = True

ROOT = Path(__file__).parent
# A plain 'torch' pulls a multi-GB CUDA build; this one is the CPU build (dev tools only).
TORCH = "torch==2.13.0"
PYTHON = "3.11"
LINTED = ["photofind", "tests", "models", "benchmarks", "scripts", "packaging", "noxfile.py"]


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _requirement_name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0].lower()


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    session.install("ruff>=0.6", "import-linter>=2.0")
    session.install("--no-deps", "-e", ".")  # import-linter reads the package's imports
    session.run("ruff", "check", *LINTED)
    session.run("ruff", "format", "--check", *LINTED)
    session.run("lint-imports")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    session.install("mypy>=1.10", "-e", ".")
    session.run("mypy", "photofind/core")


@nox.session(python=PYTHON)
def test(session: nox.Session) -> None:
    session.install(TORCH)
    session.install("-e", ".[dev]")
    session.run(
        "python", "-m", "pytest", "-q", *session.posargs, env={"QT_QPA_PLATFORM": "offscreen"}
    )


@nox.session(name="test-headless", python=PYTHON)
def test_headless(session: nox.Session) -> None:
    """tests/core in an environment without Qt (as napari's headless job): a Qt import
    anywhere under photofind.core fails here even where import-linter cannot see it."""
    project = _project()
    core = [r for r in project["dependencies"] if _requirement_name(r) != "pyside6-essentials"]
    test_extras = [
        r for r in project["optional-dependencies"]["test"] if _requirement_name(r) != "pytest-qt"
    ]
    session.install("--no-deps", "-e", ".")
    session.install(*core, *test_extras)
    session.run(
        "python",
        "-c",
        "import importlib.util, sys; sys.exit(importlib.util.find_spec('PySide6') is not None)",
    )
    session.run("python", "-m", "pytest", "-q", "-p", "no:pytestqt", "tests/core", *session.posargs)
