"""Rule pages, generated from the declarations in rules/ (one source for every place a rule is
explained): `miniscan rule CODE`, docs/rules/CODE.md and its index, and SARIF's `help`.

Each page says what the rule measures, its condition and default severity, why it matters at
small scale, an example from the sample meshes, how to fix it, the options that tune it and
what the code meant before. The examples are not written by hand: they are what miniscan
reports on the sample meshes (data/rule_examples.json, rewritten from the golden snapshots by
`pytest tests/test_golden.py --update-golden`), so a page never shows a message the tool no
longer prints. tests/test_rule_docs.py fails when docs/rules/ drifts from this generator.
"""

from __future__ import annotations

import json
from pathlib import Path

from .rules import RULES, Rule

DOCS_DIR = "docs/rules"  # where the pages live in the repository, relative to its root
IMAGE_DIR = "img"  # example pictures, relative to the pages: img/CODE.png
PROFILES = ("tabletop", "display")  # the profiles the examples (golden snapshots) are run under
REQUIRED = ("summary", "condition", "what", "why", "fix")  # fields every rule must fill in

_COMPARE = {
    "below": "a problem when the measured value lies **below** the threshold",
    "above": "a problem when the measured value lies **above** the threshold",
    "state": "a yes/no condition (no measured interval)",
}


def missing_docs(rule: Rule) -> tuple[str, ...]:
    """The REQUIRED fields a rule leaves empty."""
    return tuple(k for k in REQUIRED if not str(getattr(rule, k)).strip())


# --------------------------------------------------------------------------- examples


def load_examples() -> dict[str, dict]:
    """code -> the sample finding that shows it (packaged with miniscan)."""
    from importlib import resources

    try:
        text = resources.files("miniscan.data").joinpath("rule_examples.json").read_text("utf-8")
    except FileNotFoundError:
        return {}
    return json.loads(text)


def examples_from_reports(reports) -> dict[str, dict]:
    """code -> example, from (sample file name, profile, JSON report dict) triples.

    The example of a code is its first finding in the first report that has one, in the
    order given (the default profile first, then by sample name); every other (sample,
    profile) showing it is listed under `also`.
    """
    out: dict[str, dict] = {}
    for name, profile, rep in reports:
        for fr in rep.get("files", ()):
            seen_here: set[str] = set()
            for c in fr.get("checks", ()):
                for f in c.get("findings", ()):
                    code = f["code"]
                    if code in seen_here:
                        continue
                    seen_here.add(code)
                    if code in out:
                        out[code]["also"].append(f"{name} ({profile})")
                        continue
                    out[code] = {"sample": name, "profile": profile, "severity": f["severity"],
                                 "message": f["message"], "advice": f.get("advice") or "",
                                 "count": int(f.get("count", 1)), "also": []}
    return dict(sorted(out.items()))


def _example_md(rule: Rule, ex: dict | None, image: str | None) -> list[str]:
    lines = ["## Example", ""]
    if rule.example:
        lines += [rule.example, ""]
    if ex is None:
        if not rule.example:
            lines += ["No sample mesh shows this rule under the tabletop or display profile.", ""]
        return lines
    lines += [f"The sample `{ex['sample']}` (`miniscan samples` writes it) under the "
              f"`{ex['profile']}` profile:", "",
              "```console",
              f"$ miniscan check sample_meshes/{ex['sample']} --profile {ex['profile']}",
              f"sample_meshes/{ex['sample']}: {rule.code} {ex['severity']} {rule.name}: "
              f"{ex['message']}"]
    if ex["advice"]:
        lines.append(f"    fix: {ex['advice']}")
    lines += ["```", ""]
    if ex["count"] > 1:
        lines += [f"This finding merges {ex['count']} places on the same part (the JSON report "
                  "lists each under `places`).", ""]
    if ex["also"]:
        lines += [f"Also shown by: {', '.join(ex['also'])}.", ""]
    if image:
        lines += [f"![{rule.code} on {ex['sample']}]({image})", ""]
    return lines


# --------------------------------------------------------------------------- pages


def _options_md(rule: Rule) -> list[str]:
    from .cli_options import option_help

    helps = option_help()
    lines = ["## Options that tune it", ""]
    if not rule.options:
        return lines + ["None beyond selecting it (`--select`, `--ignore`) and its severity.", ""]
    for flag in rule.options:
        text = helps.get(flag, "")
        key = flag.lstrip("-")
        lines.append(f"- `{flag}` (config: `{key}`)" + (f": {text}" if text else ""))
    return lines + [""]


def page(rule: Rule, example: dict | None = None, image: str | None = None,
         docs_dir: str = DOCS_DIR) -> str:
    """The markdown page of one rule. image: the example picture's path relative to the page."""
    r = rule
    unit = f" (in {r.unit})" if r.unit else ""
    layer = f"`{r.layer}` heat map" if r.layer else "none"
    lines = [f"# {r.code} {r.name}", "",
             f"**{r.summary[0].upper() + r.summary[1:]}.**", "",
             "| | |", "|---|---|",
             f"| family | {r.family} (all its rules: `miniscan rules`) |",
             f"| default severity | {r.severity} |",
             f"| condition | {r.condition} |",
             f"| compares | {_COMPARE[r.compare]}{unit} |",
             f"| picture | {layer} |", "",
             "## What it measures", "", r.what, ""]
    if r.compare in ("below", "above"):
        lines += ["A finding is issued only when the measurement's whole interval (its own "
                  "uncertainty: mesh resolution, sampling, fit) lies on the wrong side of the "
                  f"threshold; a verdict the interval cannot decide is counted in "
                  f"[{_undetermined(r.family)}]({_undetermined(r.family)}.md) instead.", ""]
    lines += ["## Why it matters at small scale", "", r.why, ""]
    lines += _example_md(r, example, image)
    lines += ["## How to fix it", "", r.fix, ""]
    lines += _options_md(r)
    lines += ["## Severity and selection", "",
              f"Default `{r.severity}`. Change it in the config, e.g. `[tool.miniscan.severity]` "
              f"`{r.code} = \"error\"` (a prefix such as `{r.code[:3]}` covers the family); only "
              f"the codes an entry matches change. Select or skip it with `--select {r.code}` / "
              f"`--ignore {r.code}`.", ""]
    if r.formerly:
        lines += ["## Formerly", "", f"{r.formerly[0].upper() + r.formerly[1:]}. Baselines "
                  "written before the change compare by code, so re-write them "
                  "(`--write-baseline`) after upgrading.", ""]
    lines += [f"<!-- generated from src/miniscan/rules/{r.family}.py by `miniscan rule --all "
              f"--format markdown --out {docs_dir}`; do not edit -->", ""]
    return "\n".join(lines)


def _undetermined(family: str) -> str:
    from .rules import undetermined_rule

    try:
        return undetermined_rule(family).code
    except KeyError:
        return "the family's undetermined rule"


def index(rules=None, examples: dict | None = None, docs_dir: str = DOCS_DIR) -> str:
    """docs/rules/README.md: every rule, by family, with a link to its page."""
    rules = list(RULES.values()) if rules is None else list(rules)
    examples = load_examples() if examples is None else examples
    lines = ["# Rules", "",
             "Every rule miniscan can report, one page each: what it measures, its condition and "
             "default severity, why it matters at small scale, an example from the sample "
             "meshes, how to fix it and the options that tune it. `miniscan rule CODE` prints "
             "the same page in the terminal.", ""]
    for fam in dict.fromkeys(r.family for r in rules):
        lines += [f"## {fam}", "", "| code | name | severity | what it means | sample |",
                  "|---|---|---|---|---|"]
        for r in (r for r in rules if r.family == fam):
            ex = examples.get(r.code)
            sample = f"{ex['sample']} ({ex['profile']})" if ex else "-"
            lines.append(f"| [{r.code}]({r.code}.md) | {r.name} | {r.severity} | {r.summary} | "
                         f"{sample} |")
        lines.append("")
    lines += [f"<!-- generated by `miniscan rule --all --format markdown --out {docs_dir}`; "
              "do not edit -->", ""]
    return "\n".join(lines)


def write_docs(out_dir: str | Path, examples: dict | None = None) -> list[Path]:
    """Write CODE.md for every rule and README.md into out_dir; returns the paths written.

    A page links its example picture when out_dir/img/CODE.png exists.
    """
    from .files import atomic_write

    out = Path(out_dir)
    examples = load_examples() if examples is None else examples
    written = []
    for code, r in RULES.items():
        img = out / IMAGE_DIR / f"{code}.png"
        text = page(r, examples.get(code), f"{IMAGE_DIR}/{code}.png" if img.is_file() else None)
        atomic_write(out / f"{code}.md", text)
        written.append(out / f"{code}.md")
    atomic_write(out / "README.md", index(None, examples))
    written.append(out / "README.md")
    return written


# --------------------------------------------------------------------------- SARIF


def sarif_help(rule: Rule, examples: dict | None = None) -> dict:
    """SARIF reportingDescriptor.help: the rule's page as markdown, and a short plain text."""
    examples = load_examples() if examples is None else examples
    text = (f"{rule.summary}. Condition: {rule.condition}. Why: {rule.why} Fix: {rule.fix} "
            f"(see {DOCS_DIR}/{rule.code}.md)")
    return {"text": text, "markdown": page(rule, examples.get(rule.code))}


def help_uri(rule: Rule, docs_url: str | None) -> str | None:
    """The rule page's absolute URL under `docs_url` (the published docs/rules/), else None:
    SARIF's helpUri must be an absolute URI, and GitHub rejects a log whose helpUri is not."""
    if not docs_url:
        return None
    return docs_url.rstrip("/") + f"/{rule.code}.md"
