"""Golden snapshots: the JSON report (timings left out) of every sample mesh under two
profiles, compared on every run. Any change in what miniscan reports on the samples shows up
here as a diff, on purpose or not.

The comparison is exact for everything but numbers: the keys, the lists' lengths, every code,
severity, verdict and the words of every message. Numbers (in the JSON and inside messages)
agree within the rounding of the machine they were made on: tests/conftest.py pins OpenBLAS's
and NumPy's kernels, which removes most of it, and the rest (libraries that take no such pin)
measured between an Intel AVX-512 and an AMD machine at most 1.6 % on a stroke's depth range,
0.04 share points of a thickness histogram bin, 0.1 % of the thickness samples and 0.35 mm of
a thin wall's centroid on the 45 mm showcase. NUMBER_REL, NUMBER_ABS and PLACE_SHARE hold
that with margin and nothing a review would call a change. On one machine the report is byte
for byte the same every run (tests/test_report.py,
test_json_is_byte_identical_apart_from_timings).

They are updated only on purpose, with one command from the repository root:

    .venv/bin/python -m pytest tests/test_golden.py --update-golden
    (or MINISCAN_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py)

which rewrites tests/golden/SAMPLE.PROFILE.json, then the rule examples quoted from them
(src/miniscan/data/rule_examples.json) and the rule pages (docs/rules/). Read the diff
(`git diff tests/golden docs/rules`) and commit all three together. The samples are run as a
user runs them: `miniscan check sample_meshes/SAMPLE --profile PROFILE` from the repository
root, so sample_meshes/miniscan.toml applies.
"""

from __future__ import annotations

import difflib
import json
import math
import os
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from miniscan.cli import app
from miniscan.loading import EXTENSIONS
from miniscan.rule_docs import PROFILES, examples_from_reports

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"
SAMPLES = sorted(p.name for p in (ROOT / "sample_meshes").glob("*")
                 if p.suffix.lower() in EXTENSIONS)
EXAMPLES = ROOT / "src" / "miniscan" / "data" / "rule_examples.json"
DIFF_LINES = 80  # of the unified diff shown when a snapshot differs
# Two numbers agree within NUMBER_REL of the larger or NUMBER_ABS (in the report's own unit:
# mm, degrees, a share): CPU rounding measured at most 1.6 % and 4e-4 (module docstring).
NUMBER_REL = 0.05
NUMBER_ABS = 1e-3
# A place's centroid agrees within this share of the model's bounding-box diagonal: the
# ground-truth suite matches places at 3 % of the diagonal (bench/truth/score.py).
PLACE_SHARE = 0.03
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


@pytest.fixture(scope="module")
def update(request) -> bool:
    return bool(request.config.getoption("--update-golden")
                or os.environ.get("MINISCAN_UPDATE_GOLDEN"))


def snapshot(sample: str, profile: str, monkeypatch) -> str:
    monkeypatch.chdir(ROOT)
    r = CliRunner().invoke(app, ["check", f"sample_meshes/{sample}", "--profile", profile,
                                 "--format", "json", "--no-cache", "--jobs", "1",
                                 "--fail-on", "never"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    d.pop("timings")
    return json.dumps(d, indent=2, ensure_ascii=False) + "\n"


def test_the_samples_are_there():
    assert len(SAMPLES) >= 5, "sample_meshes/ should hold the samples (`miniscan samples`)"


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("sample", SAMPLES)
def test_golden(sample, profile, update, monkeypatch, gl_ok):
    got = snapshot(sample, profile, monkeypatch)
    path = GOLDEN / f"{sample}.{profile}.json"
    if update:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(got, encoding="utf-8")
        return
    assert path.is_file(), f"no snapshot {path.name}: run pytest {__file__} --update-golden"
    want = path.read_text(encoding="utf-8")
    apart = disagreements(json.loads(want), json.loads(got)) if got != want else []
    if apart:
        diff = list(difflib.unified_diff(want.splitlines(), got.splitlines(),
                                         f"golden/{path.name}", "now", lineterm="", n=2))
        pytest.fail(f"{sample} under {profile} differs from its golden snapshot beyond a "
                    f"machine's rounding in {len(apart)} places, first {apart[0]} (update on "
                    f"purpose with --update-golden, see this module's docstring):\n"
                    + "\n".join(diff[:DIFF_LINES]))


def _numbers_agree(a, b) -> bool:
    return abs(a - b) <= max(NUMBER_REL * max(abs(a), abs(b)), NUMBER_ABS)


def _texts_agree(a: str, b: str) -> bool:
    """Messages agree when their words do and their numbers agree as numbers."""
    na, nb = _NUMBER.findall(a), _NUMBER.findall(b)
    return (_NUMBER.sub("#", a) == _NUMBER.sub("#", b) and len(na) == len(nb)
            and all(_numbers_agree(float(x), float(y)) for x, y in zip(na, nb)))


def _diagonal(report) -> float:
    boxes = [f["mesh"]["bbox_mm"] for f in report.get("files", []) if f.get("mesh")]
    return max((math.hypot(*b) for b in boxes), default=0.0)


def disagreements(want, got) -> list[str]:
    """The paths where two reports differ by more than a machine's rounding (module
    docstring); empty when they agree."""
    out: list[str] = []
    place_tol = PLACE_SHARE * _diagonal(want)

    def walk(a, b, path):
        if isinstance(a, dict) and isinstance(b, dict):
            if a.keys() != b.keys():
                out.append(f"{path}: keys {sorted(a.keys() ^ b.keys())}")
            for k in a.keys() & b.keys():
                walk(a[k], b[k], f"{path}/{k}")
        elif isinstance(a, list) and isinstance(b, list):
            if len(a) != len(b):
                out.append(f"{path}: {len(a)} items, now {len(b)}")
            elif path.endswith("centroid_mm"):
                if math.dist(a, b) > place_tol:
                    out.append(f"{path}: {a}, now {b}")
            else:
                for i, (x, y) in enumerate(zip(a, b)):
                    walk(x, y, f"{path}[{i}]")
        elif isinstance(a, str) and isinstance(b, str):
            if not _texts_agree(a, b):
                out.append(f"{path}: {a!r}, now {b!r}")
        elif (isinstance(a, (int, float)) and isinstance(b, (int, float))
              and not isinstance(a, bool) and not isinstance(b, bool)):
            if not _numbers_agree(a, b):
                out.append(f"{path}: {a}, now {b}")
        elif a != b:
            out.append(f"{path}: {a!r}, now {b!r}")

    walk(want, got, "")
    return out


def golden_reports():
    """(sample, profile, report) for every snapshot, in the order the examples are chosen:
    the default profile first (an example should show what a user sees without options)."""
    return [(s, p, json.loads((GOLDEN / f"{s}.{p}.json").read_text(encoding="utf-8")))
            for p in PROFILES for s in SAMPLES if (GOLDEN / f"{s}.{p}.json").is_file()]


def test_rule_examples_quote_the_goldens(update):
    """Runs after the snapshots: the rule pages' examples are what the samples report."""
    if update and os.environ.get("PYTEST_XDIST_WORKER"):
        # under several workers the snapshots may still be being written: the examples would
        # quote some old ones
        pytest.fail("the snapshots are updated; run the update again with -n 0 so the rule "
                    "examples quote all of them")
    examples = examples_from_reports(golden_reports())
    text = json.dumps(examples, indent=2, ensure_ascii=False) + "\n"
    if update:
        from miniscan.rule_docs import write_docs

        EXAMPLES.write_text(text, encoding="utf-8")
        write_docs(ROOT / "docs" / "rules", examples)
        return
    assert EXAMPLES.read_text(encoding="utf-8") == text, \
        "src/miniscan/data/rule_examples.json is stale: run the golden update (module docstring)"


def test_the_comparison_tolerates_rounding_and_nothing_else():
    """The tolerance holds a machine's rounding, not a change: a code, a severity, a place, a
    word or a number moved by more than NUMBER_REL is still a difference."""
    want = json.loads((GOLDEN / "showcase_mini.glb.tabletop.json").read_text(encoding="utf-8"))
    assert disagreements(want, want) == []

    def moved(edit):
        got = json.loads(json.dumps(want))
        edit(got)
        return disagreements(want, got)

    finding = next(f for c in want["files"][0]["checks"] for f in c["findings"]
                   if f.get("measured_range") and f["places"][0].get("centroid_mm"))
    path = [(i, j) for i, c in enumerate(want["files"][0]["checks"])
            for j, f in enumerate(c["findings"]) if f == finding][0]

    def at(got):
        return got["files"][0]["checks"][path[0]]["findings"][path[1]]

    def scaled(k):
        return lambda g: at(g).__setitem__("measured", finding["measured"] * k)
    assert moved(scaled(1 + 1e-5)) == []  # rounding
    assert moved(scaled(1 + 2 * NUMBER_REL))  # a change
    other = "error" if finding["severity"] != "error" else "warning"
    assert moved(lambda g: at(g).__setitem__("severity", other))
    assert moved(lambda g: at(g).__setitem__("code", "MS999"))
    assert moved(lambda g: at(g)["places"].pop())
    assert moved(lambda g: at(g).__setitem__("message", finding["message"] + " (changed)"))
    number = _NUMBER.search(finding["message"])
    bumped = f"{float(number.group()) * (1 + 2 * NUMBER_REL) + 1:g}"
    assert moved(lambda g: at(g).__setitem__(
        "message", finding["message"][:number.start()] + bumped + finding["message"][number.end():]))
    far = [x + 0.1 * _diagonal(want) for x in finding["places"][0]["centroid_mm"]]
    assert moved(lambda g: at(g)["places"][0].__setitem__("centroid_mm", far))
