"""The rule catalogue: stable codes, names, families and default severities.

Codes never change meaning once published (like a linter's). A family's check module
emits findings only with codes listed here; `miniscan rules` prints this table.
"""

from __future__ import annotations

from dataclasses import dataclass

SEVERITIES = ("info", "warning", "error")  # ascending


def severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity)


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    family: str
    severity: str  # default; config may override per code
    summary: str


_R = Rule
RULES: dict[str, Rule] = {r.code: r for r in (
    _R("MS101", "texture-over-scaled", "texture", "warning",
       "visible texture whose real-world size is larger than the material allows"),
    _R("MS102", "invisible-detail", "texture", "info",
       "sculpted detail below what the eye resolves at the viewing distance"),
    _R("MS103", "lost-in-print", "texture", "warning",
       "detail finer or shallower than the printer can reproduce"),
    _R("MS104", "filled-by-paint", "texture", "warning",
       "recesses shallower than the primer and paint build-up"),
    _R("MS105", "texture-too-deep", "texture", "warning",
       "relief so deep for its width that it throws hard shadows at this size"),
    _R("MS106", "texture-clutter", "texture", "warning",
       "more distinct details per glance than the eye can separate"),
    _R("MS201", "razor-edge", "edges", "warning",
       "edge so sharp its highlight is thinner than the eye resolves and snaps to a hairline"),
    _R("MS202", "edge-too-soft", "edges", "warning",
       "edge rounder than the real material would be at this scale: reads as a toy"),
    _R("MS203", "edge-below-print", "edges", "info",
       "edge sharper than print or paint can hold; it will round off anyway"),
    _R("MS204", "bevel-window-empty", "edges", "info",
       "no bevel radius is both readable and realistic under these conditions"),
    _R("MS301", "specular-noise", "specular", "warning",
       "normals vary within the eye's resolution band more than the finish hides: sparkle"),
    _R("MS302", "highlight-jitter", "specular", "warning",
       "highlights fragment and flicker as a single light moves"),
    _R("MS303", "gloss-spread", "specular", "info",
       "strong highlights spread outside the declared focal parts"),
    _R("MS401", "protrusion-lost", "silhouette", "warning",
       "thin part of the silhouette vanishes at a glance"),
    _R("MS402", "negative-space-closes", "silhouette", "warning",
       "gap in the silhouette fills in at a glance, so the pose stops reading"),
    _R("MS403", "unreadable-view", "silhouette", "info",
       "a view whose silhouette reads poorly at a glance"),
    _R("MS404", "no-hero-view", "silhouette", "warning",
       "no view reads well at a glance"),
    _R("MS501", "scale-mismatch", "scale", "warning",
       "the model's size disagrees with its declared scale for its subject"),
    _R("MS502", "thickness", "scale", "warning",
       "part thinner than the printer holds, or thicker than reads real"),
    _R("MS901", "not-watertight", "health", "warning",
       "mesh has holes or non-manifold edges; volume and thickness are less trustworthy"),
    _R("MS902", "degenerate-faces", "health", "info",
       "zero-area or duplicate faces"),
    _R("MS903", "units-guessed", "health", "info",
       "file units were not declared and were guessed from the size"),
    _R("MS904", "several-bodies", "health", "info",
       "mesh has several disconnected bodies"),
    _R("MS905", "point-cloud-surfaced", "health", "info",
       "input was a point cloud; a surface was reconstructed from it"),
    _R("MS906", "inconsistent-winding", "health", "info",
       "face winding is inconsistent; normals may point inward in places"),
)}

FAMILIES = ("health", "texture", "edges", "specular", "silhouette", "scale")


def matches(code: str, prefixes: tuple[str, ...]) -> bool:
    """Ruff-style prefix match: 'MS2' selects MS201..MS204, 'ALL' selects everything."""
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
