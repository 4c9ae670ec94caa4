"""Shared fixtures: the real-mesh corpus (skips cleanly when absent) and the GL probe."""

from __future__ import annotations

import os
import platform
from pathlib import Path

import pytest

os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")

# Under pytest-xdist the worker processes are the parallelism (one per core), as in
# miniscan's own pool: OpenMP/BLAS thread pools in every worker would oversubscribe the
# cores, and OpenMP's spin-waiting then makes a 1 s render take minutes. Set before any
# native library loads; an explicit setting in the environment wins.
if os.environ.get("PYTEST_XDIST_WORKER"):
    from miniscan.pool import THREAD_VARS  # light: no native library behind it

    for _var in THREAD_VARS:
        os.environ.setdefault(_var, "1")

# The same floating-point arithmetic on every x86-64 machine CI may land on. OpenBLAS and
# NumPy pick their kernels from the CPU they find, and the kernels round differently: the
# golden snapshots made on an Intel AVX-512 machine differed from an AMD one's in 16 of 16
# files (texture bands of round-off relief, thickness samples, a wall's centroid), and
# tests/test_heldout.py's 256-section barrel read one line on one kernel and two on the other.
# So the tests run on OpenBLAS's Haswell kernels and NumPy's AVX2 loops (what every x86-64
# machine since 2013 has), set before any native library loads; an explicit setting wins.
# What is left (libraries that do not take such a pin) stays within test_golden's tolerance.
if platform.machine().lower() in ("x86_64", "amd64"):
    os.environ.setdefault("OPENBLAS_CORETYPE", "Haswell")
    os.environ.setdefault("NPY_DISABLE_CPU_FEATURES", "X86_V4 AVX512_ICL AVX512_SPR")

# Property tests draw their examples from a seed fixed per test, so a run is repeatable and a
# failure seen once is seen again (the project's determinism rule applied to its own tests).
# MINISCAN_HYPOTHESIS=explore draws fresh examples each run, to look for new counterexamples.
from hypothesis import settings as _hyp  # noqa: E402

_hyp.register_profile("repeatable", derandomize=True, print_blob=True)
_hyp.register_profile("explore", derandomize=False, print_blob=True)
_hyp.load_profile("explore" if os.environ.get("MINISCAN_HYPOTHESIS") == "explore" else "repeatable")

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
