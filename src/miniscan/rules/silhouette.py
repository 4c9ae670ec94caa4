"""Silhouette readability (MS4xx): docs/silhouette.md has the squint test and its intervals."""

from . import Rule

MS400 = Rule(
    "MS400", "silhouette-undetermined", "silhouette", "info",
    "silhouette verdicts the measurement cannot decide",
    condition="a thin part's or gap's width interval (± a working pixel, the clustering cell "
              "and the mesh's facets) contains 0.573 × the glance size, or a view's score "
              "interval (glance ± 1 px) contains its threshold",
    what="Counts thin parts, gaps and view scores whose interval straddles the threshold, and "
         "says what would settle them.",
    why="A part whose width is within a pixel of what a glance keeps may or may not vanish: "
        "saying it does would be a guess.",
    example="sample_meshes/spear_figure.obj at 250 mm (display): the 0.3 mm spear and gap are "
            "within ±0.05 mm of the 0.25 mm a glance keeps there, so they are counted here "
            "('thicken them to 0.36 mm to be sure') instead of as MS401/MS402.",
    fix="Thicken the part (or open the gap) by the margin the message names to be sure, or "
        "look at the silhouette sheet (`miniscan render`).",
    options=("--distance", "--glance"))

MS401 = Rule(
    "MS401", "protrusion-lost", "silhouette", "warning",
    "thin part of the silhouette vanishes at a glance",
    condition="protrusion width w < 0.573 · g (the width a Gaussian glance blur of FWHM "
              "g = D · tan(glance) keeps; in arcmin: 0.573 × glance), on the whole interval",
    compare="below", unit="arcmin", layer="silhouette",
    what="Thin parts (spears, fingers, antennae, tails) of each view's silhouette: their "
         "equivalent-bar width, read from the glance blur, with the base left out. A blob or "
         "a short stub is fainter than a bar as wide (a round dot keeps only at the glance's "
         "whole FWHM g): where its widest is well over that width, the finding names both.",
    why="Across a table the eye takes in a miniature at a glance, and a glance is a blur: a "
        "spear thinner than what it keeps is simply not there, and the pose it carried stops "
        "reading. Sculptors exaggerate weapons and fingers for exactly this reason.",
    example="sample_meshes/spear_figure.obj at 500 mm: the 0.3 mm spear reads 0.26-0.33 mm "
            "(1.8-2.3′, survival width 0.50 mm, 3.4′) and vanishes from 13 of 17 views; it "
            "holds from about 350 mm on; from 150 mm it is kept.",
    fix="Thicken or exaggerate the part to at least the width the message gives; otherwise it "
        "reads only from closer than the distance in `holds_mm`.",
    options=("--glance", "--distance"))

MS402 = Rule(
    "MS402", "negative-space-closes", "silhouette", "warning",
    "gap in the silhouette fills in at a glance, so the pose stops reading",
    condition="gap width w < 0.573 · g (a gap between two large shapes closes under the same "
              "condition as a bar vanishes), on the whole interval",
    compare="below", unit="arcmin", layer="silhouette",
    what="Gaps between limbs and body (negative space) that fill in when the silhouette is "
         "blurred to the glance resolution: their equivalent-bar width.",
    why="Negative space is half of a readable pose: an arm held 0.3 mm from the body merges "
        "with it at a glance and the figure reads as a block.",
    example="sample_meshes/spear_figure.obj at 500 mm: the 0.3 mm gap between the left arm and "
            "the body reads 0.26 mm and closes (seen from the front, 4 of 17 views).",
    fix="Open the gap to at least the width the message gives, or pose the limb clear of the "
        "body.",
    options=("--glance", "--distance"))

MS403 = Rule(
    "MS403", "unreadable-view", "silhouette", "info",
    "a view whose silhouette reads poorly at a glance",
    condition="the view's readability score < 50 / 100 on its whole interval (the score with "
              "the glance blur one working pixel wider and narrower)",
    compare="below", unit="score", layer="silhouette",
    what="A per-view readability score 0-100: squint survival (IoU and outline agreement of "
         "glance and sculpt) x limbs kept x outline kept (1 - clutter / 2).",
    why="Not every angle must read, but the display angles must: a view that keeps less than "
        "half of its shape at a glance reads as a blob from there.",
    example="sample_meshes/showcase_mini.glb at 500 mm: with its base left out, 12 of 17 "
            "views score under 50: the vertical 0.3 mm spear beside the figure vanishes from "
            "every one of them.",
    fix="Fine if this is not a display angle; otherwise bolden the outline from here (fewer, "
        "larger shapes).")

MS404 = Rule(
    "MS404", "no-hero-view", "silhouette", "warning",
    "no view reads well at a glance",
    condition="the best side view's score < 70 / 100 on its whole interval (views above 60° "
              "elevation are never the hero)",
    compare="below", unit="score", layer="silhouette",
    what="The best side view's readability score (the base left out).",
    why="A miniature needs at least one angle that reads as a clear shape across a table: the "
        "angle it is photographed and displayed from.",
    example="A 99-face surface rebuilt from a point cloud (test corpus): its best side view "
            "scores under 70 at 500 mm.",
    fix="Exaggerate the pose: separate limbs from the body, thicken thin parts and simplify "
        "the outline.")

RULES = (MS400, MS401, MS402, MS403, MS404)
