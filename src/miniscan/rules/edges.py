"""Edges and bevels (MS2xx): docs/edges.md derives the bevel window."""

from . import Rule

RULES = (
    Rule("MS200", "edges-undetermined", "edges", "info",
         "edge verdicts the mesh cannot decide",
         condition="a chain's bevel-radius interval [R - h/Θ - n, max(R + h/Θ + n, h)] (h: one "
                   "row across the band, n: the surface noise's share; on a noisy body a reading "
                   "of one or two rows reaches the arc over band and flanks that its flanks' "
                   "slopes cannot exclude; a crease one crossing wide whose face beside it "
                   "ends at another crease turning alike (within a crease's worth) reaches "
                   "the fillet of one chord the two may be) straddles R_min or R_max, "
                   "or its turn does not stand above the folds its body's vertex noise makes, "
                   "or on a noisy body it is read from one section alone",
         what="Counts crease chains whose measured radius interval contains a bound of the window. "
              "Creases the file draws as one sharp crease between flat faces are said apart: "
              "if meant sharp they are razor edges (bevel them to R_min), else the export "
              "dropped their rounding (a chord tolerance that gives a fillet of R_min three "
              "chords decides them); chains with rows across them are decided by an export at "
              "edge length ≤ R_min/3 (or R_max/3). On a noisy scan, a chain whose turn the "
              "surface's own vertex noise can make (read from how its faces fold both ways; a "
              "fold picked out of all of the body's) is counted too: less noise, or faces "
              "wider than the noise tilts, decides it. So is a chain on a noisy scan read "
              "from one section alone (one reading carries no measure of how far the noise "
              "moved it).",
         why="A razor-edge verdict on faces wider than the bevel that matters would be a guess.",
         example="cad_counterX.3MF at tabletop: 55 creases drawn sharp between 1.5 mm rows "
                 "(bevel them to 0.24 mm if they are meant sharp; else export at a chord "
                 "tolerance of 0.0083 mm).",
         fix="Export finer (the chord tolerance or edge length the message names), or bevel "
             "the edges explicitly to the size it names."),
    Rule("MS201", "razor-edge", "edges", "warning",
         "edge so sharp its highlight is thinner than the eye resolves and snaps to a hairline",
         condition="max(R_hi, R_hold) < R_min = r / φ (the blunter end of the radius interval, "
                   "after print and paint, is still under the eye's bound)",
         compare="below", unit="mm", layer="edges",
         what="The bevel radius of each crease chain, measured on cross-sections of the mesh "
              "(R = 2 W_mid / Θ: the width over which the middle half of the turn happens), with "
              "its interval from the rows across the band, after print and paint, against R_min.",
         why="The highlight on a bevel of radius R is about R·φ wide; below the eye's resolution "
             "it snaps to a glittering hairline. A matte finish (wide φ) tolerates crisper edges.",
         example="bevel_block.stl at tabletop: the 0.05 mm and 0.2 mm vertical fillets "
                 "(0.044–0.056 mm, 0.17–0.22 mm) are razor edges; its rims (0.25 mm rows) go to MS200.",
         fix="Bevel the edge to at least R_min, or choose a more matte finish.",
         options=("--finish", "--part-finish", "--distance")),
    Rule("MS202", "edge-too-soft", "edges", "warning",
         "edge rounder than the real material would be at this scale: reads as a toy",
         condition="R_lo > R_max = min(material's real edge radius / N, the width of a flat "
                   "facet the bevel joins, where the flank is a facet bounded by another crease); "
                   "flanks curving at a fifth of the band's rate or more, or turning back "
                   "within three radii of it, make a rounded form, never an edge; not on a "
                   "razor chain (MS201 first: one finding per chain, and "
                   "a bevel the eye cannot resolve reads as a hairline, not as soft)",
         compare="above", unit="mm", layer="edges",
         what="The bevel radius of each crease chain against the roundest edge the real material "
              "has at this scale, and against the flat facet it rounds into (a bevel wider than "
              "its facet eats it).",
         example="bevel_block.stl at tabletop: the 0.5 mm vertical fillet (0.44–0.56 mm) is "
                 "rounder than generic material allows at 1:56 (0.357 mm).",
         why="Over-rounded edges read as moulded plastic: the tell-tale toy look.",
         fix="Tighten the bevel (keep it above R_min so the highlight still reads).",
         options=("--material", "--part-material", "--scale")),
    Rule("MS203", "edge-below-print", "edges", "info",
         "edge sharper than print or paint can hold; it will round off anyway",
         condition="R_hi < R_hold = max(paint build-up, half a printer pixel), and the chain is "
                   "neither razor (MS201) nor soft (MS202)",
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
