"""Shared fixtures: the real-mesh corpus (skips cleanly when absent) and the GL probe."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
SAMPLES = ROOT / "sample_meshes"


def corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.iterdir() if p.is_file() and p.suffix.lower() != ".md")


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is absent (only CI and developers have it)")
    return CORPUS


@pytest.fixture(scope="session")
def gl_ok() -> None:
    """Skip-free: rendering tests must render; a missing GL stack fails them with its reason."""
    from miniscan.render import gl

    reason = gl.probe()
    if reason:
        pytest.fail(f"off-screen rendering unavailable: {reason}")


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite the golden snapshots (tests/golden/) and the rule examples "
                          "and pages that quote them, instead of comparing (tests/test_golden.py)")
