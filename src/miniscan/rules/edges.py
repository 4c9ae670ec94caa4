"""Edges and bevels (MS2xx): docs/edges.md derives the bevel window."""

from . import Rule

RULES = (
    Rule("MS200", "edges-undetermined", "edges", "info",
         "edge verdicts the mesh cannot decide",
         condition="a crease's bevel-radius interval straddles the window's bound (for example "
                   "faces coarser than the bevel that matters)",
         what="Counts crease chains whose measured radius interval contains a bound of the window.",
         why="A razor-edge verdict on faces wider than the bevel that matters would be a guess.",
         fix="Export at the edge length the message names, or bevel the edges explicitly."),
    Rule("MS201", "razor-edge", "edges", "warning",
         "edge so sharp its highlight is thinner than the eye resolves and snaps to a hairline",
         condition="seen bevel radius max(R, R_hold) < R_min = r / φ",
         compare="below", unit="mm", layer="edges",
         what="The bevel radius of each crease chain (from how far the normal takes to turn "
              "across it), after print and paint round it, against R_min = r/φ.",
         why="The highlight on a bevel of radius R is about R·φ wide; below the eye's resolution "
             "it snaps to a glittering hairline. A matte finish (wide φ) tolerates crisper edges.",
         fix="Bevel the edge to at least R_min, or choose a more matte finish.",
         options=("--finish", "--part-finish", "--distance")),
    Rule("MS202", "edge-too-soft", "edges", "warning",
         "edge rounder than the real material would be at this scale: reads as a toy",
         condition="bevel radius R > R_max = min(material's real edge radius / N, 2·A/P of the "
                   "smaller face it joins)",
         compare="above", unit="mm", layer="edges",
         what="The bevel radius of each crease chain against the roundest edge the real material "
              "has at this scale.",
         why="Over-rounded edges read as moulded plastic: the tell-tale toy look.",
         fix="Tighten the bevel (keep it above R_min so the highlight still reads).",
         options=("--material", "--part-material", "--scale")),
    Rule("MS203", "edge-below-print", "edges", "info",
         "edge sharper than print or paint can hold; it will round off anyway",
         condition="R < R_hold = max(paint build-up, half a printer pixel), and the rounded edge "
                   "still reads (no MS201)",
         compare="below", unit="mm", layer="edges",
         what="Creases sharper than print and paint can hold (when that is not already a razor "
              "edge: one finding per chain).",
         why="What you see on screen is not what prints: the edge ends up R_hold round.",
         fix="Model it at the radius it will have, so the screen shows what prints.",
         options=("--printer", "--paint"),
         formerly="before schema 2 it was also issued beside MS201 on the same chain"),
    Rule("MS204", "bevel-window-empty", "edges", "info",
         "no bevel radius is both readable and realistic under these conditions",
         condition="R_min > the material's R_max",
         compare="state", unit="mm",
         what="Whether any bevel radius is both readable (≥ R_min) and realistic (≤ R_max).",
         why="Then every edge is a compromise: crisp hairlines or slightly soft edges.",
         fix="Choose a more matte finish (or view from closer), or accept the compromise.",
         options=("--finish", "--distance", "--material")),
)
