"""Silhouette readability (MS4xx): docs/silhouette.md has the squint test."""

from . import Rule

RULES = (
    Rule("MS400", "silhouette-undetermined", "silhouette", "info",
         "silhouette verdicts the rendering cannot decide",
         condition="a part's or gap's measured width interval straddles the glance threshold",
         what="Counts thin parts and gaps whose width, with the pixel uncertainty, contains the "
              "threshold.",
         why="A width within a pixel of the threshold is not evidence either way.",
         fix="Check from a slightly different distance, or thicken/open it to be safe."),
    Rule("MS401", "protrusion-lost", "silhouette", "warning",
         "thin part of the silhouette vanishes at a glance",
         condition="protrusion width < the width that survives a glance blur (in arcmin)",
         compare="below", unit="arcmin", layer="silhouette",
         what="Thin parts (spears, fingers, antennae) of each view's silhouette, blurred to the "
              "glance resolution: those that vanish.",
         why="At a glance the eye sees a blurred outline; parts thinner than the glance vanish "
             "and the pose stops reading.",
         fix="Thicken or exaggerate the part, as sculptors do for spears and fingers.",
         options=("--glance", "--distance")),
    Rule("MS402", "negative-space-closes", "silhouette", "warning",
         "gap in the silhouette fills in at a glance, so the pose stops reading",
         condition="gap width < the width that survives a glance blur (in arcmin)",
         compare="below", unit="arcmin", layer="silhouette",
         what="Gaps between limbs and body that fill in when the silhouette is blurred to the "
              "glance resolution.",
         why="Negative space is half of a readable pose; closed gaps merge the shapes.",
         fix="Open the gap, or pose the limb clear of the body.",
         options=("--glance", "--distance")),
    Rule("MS403", "unreadable-view", "silhouette", "info",
         "a view whose silhouette reads poorly at a glance",
         condition="the view's readability score < 50 / 100",
         compare="below", unit="score", layer="silhouette",
         what="A per-view readability score from squint survival, outline clutter and limbs.",
         why="Not every angle must read, but the display angles must.",
         fix="Fine if this is not a display angle; otherwise bolden the outline from here."),
    Rule("MS404", "no-hero-view", "silhouette", "warning", "no view reads well at a glance",
         condition="the best view's readability score < 70 / 100",
         compare="below", unit="score", layer="silhouette",
         what="The best view's readability score.",
         why="A miniature needs at least one angle that reads as a clear shape across a table.",
         fix="Exaggerate the pose: separate limbs from the body and simplify the outline."),
)
