"""The rule catalogue: every rule declared once, with its condition, severity, docs and layer.

Each family declares its rules in its own module here (`rules/edges.py` ...); a check imports
its Rule objects from there and a finding names its rule by code. Codes never change meaning
once published (like a linter's); a code whose meaning was narrowed says so in `formerly`.
`miniscan rules` lists them, `miniscan rule CODE` prints one page; docs/rules/ is generated from
the same declarations. These modules import nothing heavy: `--help` stays instant.
"""

from __future__ import annotations

from dataclasses import dataclass

SEVERITIES = ("info", "warning", "error")  # ascending
COMPARES = ("below", "above", "state")


def severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity)


@dataclass(frozen=True)
class Rule:
    """One rule: one condition with one default severity.

    compare: "below" = a problem when the measured value lies below the threshold, "above" =
    above it, "state" = a yes/no condition with no measured interval (mesh health, the
    undetermined summaries). For "below"/"above" the evidence rule applies: a finding is issued
    only when the whole measured interval lies on the wrong side (evidence.verdict).
    """

    code: str
    name: str
    family: str
    severity: str  # the default; config may override it per code
    summary: str  # one line, shown by `miniscan rules`
    condition: str  # the condition, in words and symbols (docs/<family>.md derives it)
    compare: str = "state"
    unit: str = ""
    layer: str | None = None  # the picture layer that shows it (render/layers.py)
    what: str = ""  # what it measures
    why: str = ""  # why it matters at small scale, in the craft's words
    example: str = ""  # a sample mesh that shows it, and what miniscan says there
    fix: str = ""  # how to fix it
    options: tuple[str, ...] = ()  # the options that tune it
    formerly: str = ""  # an older meaning of the code, for baselines written before

    def __post_init__(self):
        if self.severity not in SEVERITIES:
            raise ValueError(f"{self.code}: bad severity {self.severity}")
        if self.compare not in COMPARES:
            raise ValueError(f"{self.code}: bad compare {self.compare}")


FAMILY_MODULES = ("health", "texture", "edges", "specular", "silhouette", "scale", "lines",
                  "colour", "translucency")


def _load() -> dict[str, Rule]:
    import importlib

    out: dict[str, Rule] = {}
    for fam in FAMILY_MODULES:
        for r in importlib.import_module(f"{__name__}.{fam}").RULES:
            if r.code in out:
                raise ValueError(f"rule code {r.code} declared twice")
            if r.family != fam:
                raise ValueError(f"{r.code} declared in rules/{fam}.py but says family {r.family}")
            out[r.code] = r
    return dict(sorted(out.items()))


RULES: dict[str, Rule] = _load()
FAMILIES = ("health", "texture", "edges", "specular", "silhouette", "scale", "lines", "colour",
            "translucency")


def rule(code: str) -> Rule:
    """The rule of a code (KeyError names the code)."""
    try:
        return RULES[code]
    except KeyError:
        raise KeyError(f"unknown rule code {code}") from None


def undetermined_rule(family: str) -> Rule:
    """The family's summary rule for verdicts its evidence could not decide (MS100, MS200 ...)."""
    for r in RULES.values():
        if r.family == family and r.code.endswith("00"):
            return r
    raise KeyError(f"family {family} declares no undetermined rule")


def matches(code: str, prefixes: tuple[str, ...]) -> bool:
    """Ruff-style prefix match: 'MS2' selects MS200..MS204, 'ALL' selects everything."""
    return any(p == "ALL" or code.startswith(p) for p in prefixes)


def parse_codes(text: str | None) -> tuple[str, ...]:
    """'MS2, MS301' -> ('MS2', 'MS301'); an unknown prefix is a usage error."""
    if not text:
        return ()
    out = []
    for part in text.replace(";", ",").split(","):
        p = part.strip().upper()
        if not p:
            continue
        if p != "ALL" and not any(code.startswith(p) for code in RULES):
            raise ValueError(f"no rule code starts with {p!r} (see `miniscan rules`)")
        out.append(p)
    return tuple(out)


def _specificity(code: str, prefixes: tuple[str, ...]) -> int:
    """Length of the longest prefix matching the code ('ALL' counts 0), -1 for none."""
    return max((0 if p == "ALL" else len(p) for p in prefixes if matches(code, (p,))), default=-1)


def enabled(code: str, select: tuple[str, ...], ignore: tuple[str, ...]) -> bool:
    """The most specific matching prefix wins, as in ruff; a tie goes to ignore."""
    sel = _specificity(code, select) if select else 0
    return sel >= 0 and sel > _specificity(code, ignore)
