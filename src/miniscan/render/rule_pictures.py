"""Example pictures for the rule pages (docs/rules/img/CODE.png), drawn from the samples.

For each rule with an example (rule_docs.load_examples: the sample and profile that show it),
the picture that shows that rule: its family's first heat layer from the finding's view with
only that rule's callouts, the silhouette contact sheet for MS4xx, the light-orbit strip for
MS302. Rules without a place on the model (units guessed, scale mismatch, the undetermined
summaries) get no picture. Small (RULE_PICTURE_PX wide) and deterministic on one machine.

`RulePictures` is a runner `keep` consumer: the CLI runs each (sample, profile) through the
runner once and this draws every code whose example it is.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

RULE_PICTURE_PX = 560  # wide enough to read a callout, small enough for a docs page
NO_PICTURE_FAMILIES = ("health",)  # mesh health findings have no region worth a picture


@dataclass
class RulePictures:
    """Draw img/CODE.png for `codes` (all shown by the file it is handed)."""

    out_dir: Path
    codes: tuple[str, ...]
    size: int = RULE_PICTURE_PX
    written: list[Path] = field(default_factory=list)
    families: tuple[str, ...] | None = None  # every family (a runner Keep)

    def __call__(self, result, run) -> None:
        from ..rules import RULES

        for code in self.codes:
            rule = RULES[code]
            img = _picture(rule, run, self.size)
            if img is not None:
                self.written.append(_save(img, Path(self.out_dir) / f"{code}.png"))


def _save(img, path: Path) -> Path:
    from ..files import atomic_write
    from . import draw

    atomic_write(path, draw.png_bytes(img))
    os.chmod(path, 0o644)
    return path


def _picture(rule, run, size: int):
    """The PIL image that shows `rule` on this checked file, or None."""
    from .contact import orbit_strip, silhouette_sheet
    from .layers import family_layers

    res = next((c for c in run.checks if c.family == rule.family), None)
    mine = [f for f in (res.findings if res else ()) if f.code == rule.code]
    if res is None or not mine or rule.family in NO_PICTURE_FAMILIES:
        return None
    typed = family_layers(res, run.model, run.analysis, run.conditions)
    if rule.family == "silhouette":
        return silhouette_sheet(typed, size)
    if rule.code == "MS302":
        return orbit_strip(getattr(typed, "orbit", None), res.metrics, size)[0]
    if all(f.location.centroid_mm is None and not f.location.faces for f in mine):
        return None
    return _heat(rule, res, run, mine, size)


def _heat(rule, res, run, mine, size: int):
    """The family's first heat layer from the first finding's view, this rule's callouts."""
    from .heatmap import heat_sheet
    from .layers import layers_for
    from .scene import DEFAULT_HERO, VIEWS, Renderer

    from dataclasses import replace

    # a family without face layers is painted by its findings: only this rule's
    only_mine = replace(res, findings=tuple(mine))
    layers = layers_for(run.model, run.conditions, (only_mine,), run.analysis,
                        only=(rule.family,))
    if not layers:
        return None
    view = mine[0].location.view if mine[0].location.view in VIEWS else DEFAULT_HERO
    numbered = [(i + 1, rule.family, f) for i, f in enumerate(mine)]
    with Renderer(run.model, size, size) as ren:
        img, _ = heat_sheet(ren, layers[0], [view], run.conditions, size, numbered, run.analysis)
    return img
