"""Rule pages: every rule is documented in its declaration (rules/), docs/rules/ is generated
from the declarations and does not drift, `miniscan rule CODE` prints the page, and SARIF
rules carry it as `help` (with `helpUri` when the docs' URL is configured)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from miniscan.cli import app
from miniscan.rule_docs import (IMAGE_DIR, REQUIRED, index, load_examples, missing_docs, page,
                                write_docs)
from miniscan.rules import RULES

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "rules"
REGENERATE = "miniscan rule --all --format markdown --out docs/rules"


@pytest.mark.parametrize("code", sorted(RULES))
def test_every_rule_is_documented_where_it_is_declared(code):
    missing = missing_docs(RULES[code])
    assert not missing, f"{code} declares no {', '.join(missing)} (rules/{RULES[code].family}.py)"


def test_docs_rules_are_the_generated_pages():
    """docs/rules/ is what the generator makes from the declarations and the examples; a
    hand edit or a changed declaration without regenerating fails here."""
    examples = load_examples()
    stale = []
    for code, rule in RULES.items():
        img = DOCS / IMAGE_DIR / f"{code}.png"
        want = page(rule, examples.get(code), f"{IMAGE_DIR}/{code}.png" if img.is_file() else None)
        path = DOCS / f"{code}.md"
        if not path.is_file() or path.read_text(encoding="utf-8") != want:
            stale.append(path.name)
    if (DOCS / "README.md").read_text(encoding="utf-8") != index(None, examples):
        stale.append("README.md")
    extra = sorted(p.name for p in DOCS.glob("MS*.md") if p.stem not in RULES)
    assert not stale and not extra, (f"docs/rules out of date ({', '.join(stale)}; pages of "
                                     f"unknown codes: {extra}): run `{REGENERATE}`")


def test_generation_writes_a_page_per_rule_and_an_index(tmp_path):
    written = write_docs(tmp_path, {})
    assert sorted(p.name for p in written) == sorted([f"{c}.md" for c in RULES] + ["README.md"])
    text = (tmp_path / "MS201.md").read_text()
    for heading in ("## What it measures", "## Why it matters at small scale", "## Example",
                    "## How to fix it", "## Options that tune it", "## Severity and selection"):
        assert heading in text
    # no sample examples given: the page carries only the example the rule declares, if any
    declared = RULES["MS201"].example
    assert (declared in text) if declared else ("No sample mesh shows this rule" in text)
    assert "The sample `" not in text
    assert "`--finish` (config: `finish`): Paint finish" in text  # the option's own help
    assert "[MS200](MS200.md)" in text  # where undetermined verdicts go
    assert "## Formerly" in (tmp_path / "MS502.md").read_text()
    readme = (tmp_path / "README.md").read_text()
    assert all(f"[{c}]({c}.md)" in readme for c in RULES)


def test_an_example_quotes_the_sample_finding():
    ex = {"sample": "bevel_block.stl", "profile": "tabletop", "severity": "warning",
          "message": "a razor edge", "advice": "bevel it", "count": 3, "also": ["x (display)"]}
    text = page(RULES["MS201"], ex, "img/MS201.png")
    assert "$ miniscan check sample_meshes/bevel_block.stl --profile tabletop" in text
    assert "sample_meshes/bevel_block.stl: MS201 warning razor-edge: a razor edge" in text
    assert "merges 3 places" in text and "Also shown by: x (display)." in text
    assert "![MS201 on bevel_block.stl](img/MS201.png)" in text


def test_rule_command_prints_one_page():
    r = CliRunner().invoke(app, ["rule", "MS201"])
    assert r.exit_code == 0 and r.stdout.startswith("# MS201 razor-edge")
    assert r.stdout == page(RULES["MS201"], load_examples().get("MS201"))
    assert CliRunner().invoke(app, ["rule", "ms201"]).exit_code == 0
    d = json.loads(CliRunner().invoke(app, ["rule", "MS502", "--format", "json"]).stdout)
    assert d["code"] == "MS502" and d["formerly"]
    for bad in (["rule", "MS999"], ["rule"], ["rule", "MS201", "--all"],
                ["rule", "MS201", "--out", "x"], ["rule", "--all", "--pictures"]):
        r = CliRunner().invoke(app, bad)
        assert r.exit_code == 2, bad


def test_sarif_rules_carry_help_and_a_help_uri_when_configured(tmp_path, monkeypatch):
    import trimesh

    (tmp_path / "box.stl").write_bytes(trimesh.creation.box().export(file_type="stl"))
    monkeypatch.chdir(tmp_path)
    args = ["check", "box.stl", "--select", "MS9", "--format", "sarif", "--no-cache"]
    rules = json.loads(CliRunner().invoke(app, args).stdout)["runs"][0]["tool"]["driver"]["rules"]
    ms201 = next(r for r in rules if r["id"] == "MS201")
    assert ms201["help"]["markdown"].startswith("# MS201 razor-edge")
    assert "docs/rules/MS201.md" in ms201["help"]["text"]
    assert all("helpUri" not in r for r in rules)  # SARIF wants an absolute URI, or none
    (tmp_path / "miniscan.toml").write_text('docs-url = "https://example.org/miniscan/rules/"\n')
    rules = json.loads(CliRunner().invoke(app, args).stdout)["runs"][0]["tool"]["driver"]["rules"]
    assert {r["id"]: r["helpUri"] for r in rules}["MS201"] == \
        "https://example.org/miniscan/rules/MS201.md"
    (tmp_path / "miniscan.toml").write_text('docs-url = "docs/rules"\n')
    assert CliRunner().invoke(app, args).exit_code == 2  # not absolute: a config error


def test_required_fields_are_the_ones_the_page_shows():
    assert set(REQUIRED) <= {"summary", "condition", "what", "why", "fix"}
