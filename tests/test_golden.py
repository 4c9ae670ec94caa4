"""Golden snapshots: the JSON report (timings left out) of every sample mesh under two
profiles, compared byte for byte on every run. Any change in what miniscan reports on the
samples shows up here as a diff, on purpose or not.

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
import os
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
    if got != want:
        diff = list(difflib.unified_diff(want.splitlines(), got.splitlines(),
                                         f"golden/{path.name}", "now", lineterm="", n=2))
        pytest.fail(f"{sample} under {profile} differs from its golden snapshot (update on "
                    f"purpose with --update-golden, see this module's docstring):\n"
                    + "\n".join(diff[:DIFF_LINES]))


def golden_reports():
    """(sample, profile, report) for every snapshot, in the order the examples are chosen:
    the default profile first (an example should show what a user sees without options)."""
    return [(s, p, json.loads((GOLDEN / f"{s}.{p}.json").read_text(encoding="utf-8")))
            for p in PROFILES for s in SAMPLES if (GOLDEN / f"{s}.{p}.json").is_file()]


def test_rule_examples_quote_the_goldens(update):
    """Runs after the snapshots: the rule pages' examples are what the samples report."""
    examples = examples_from_reports(golden_reports())
    text = json.dumps(examples, indent=2, ensure_ascii=False) + "\n"
    if update:
        from miniscan.rule_docs import write_docs

        EXAMPLES.write_text(text, encoding="utf-8")
        write_docs(ROOT / "docs" / "rules", examples)
        return
    assert EXAMPLES.read_text(encoding="utf-8") == text, \
        "src/miniscan/data/rule_examples.json is stale: run the golden update (module docstring)"
