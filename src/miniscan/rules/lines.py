"""Fine lines and lettering (MS6xx): docs/lines.md derives the measurements and their intervals."""

from . import Rule

MS600 = Rule(
    "MS600", "lines-undetermined", "lines", "info",
    "line verdicts the mesh cannot decide",
    condition="a line's width, depth or gap interval [lo, hi] straddles the limit it is judged "
              "against (the printer's cutoff or layer, the paint build-up, the eye's resolvable "
              "size) and no other limit already fails it",
    what="One info per file counting the lines (engraved or embossed strokes) whose measured "
         "interval contains a limit, with what would settle them.",
    why="A stroke read 0.06-0.08 mm wide cannot be called lost to a 0.07 mm printer cutoff: "
        "saying 'cannot tell, because' is worth more than a guess either way.",
    example="A stroke whose facets are too coarse to pin its width: '1 line cannot be judged: a "
            "stroke reads 0.062-0.081 mm wide, across the resin printer's 0.07 mm cutoff ...'.",
    fix="Export finer at the line (the message names the edge length), or make the stroke "
        "clearly bolder than the limit.",
    options=("--printer", "--paint", "--distance"))

MS601 = Rule(
    "MS601", "line-lost-in-print", "lines", "warning",
    "engraved or embossed line too narrow or too shallow for the printer",
    condition="min(w / c_print, D / layer) < 1 on the whole interval: the stroke's full width "
              "at half depth w is under the printer's lateral cutoff c_print (two pixels, or the "
              "nozzle) or its depth (height) D is under one layer",
    compare="below", unit="mm", layer="lines-verdict",
    what="Every line (a narrow groove or ridge with a direction and a length: lettering, panel "
         "lines, filigree), measured on cross-sections: width at half depth and depth over the "
         "surface beside it, against what the printer resolves.",
    why="A printer smooths lateral detail under about two pixels and depth under a layer: the "
        "line is simply not in the print.",
    example="sample_meshes/lettered_base.ply: the 0.05 mm hairline strokes on the base.",
    fix="Make the stroke at least the printer's cutoff wide and a layer deep (the advice says how "
        "much bolder, in model mm, and what also survives the paint).",
    options=("--printer",))

MS602 = Rule(
    "MS602", "line-filled-by-paint", "lines", "warning",
    "line the paint will fill or level: engraving shallower than the paint, or narrower than "
    "twice it",
    condition="groove: min(D / p, w / (2 p)) < 1; ridge: D / p < 1 (p = primer + paint "
              "build-up), on the whole interval, and the line survives print",
    compare="below", unit="mm", layer="lines-verdict",
    what="Every line that the printer keeps, against the paint build-up: a groove shallower "
         "than the paint fills up, one narrower than twice the paint is bridged from both walls; "
         "a ridge lower than the paint is levelled into the surface.",
    why="Paint spreads into fine lines the way ink spreads in ageing skin: design them a little "
        "bolder than looks necessary.",
    example="sample_meshes/lettered_base.ply: the shallow engraved rule under the lettering.",
    fix="Deepen to more than the paint build-up and widen to more than twice it (the advice "
        "gives the numbers), or paint thinner.",
    options=("--paint",))

MS603 = Rule(
    "MS603", "strokes-merge", "lines", "warning",
    "neighbouring strokes closer than the eye resolves at the distance: they merge",
    condition="the gap g between a stroke and its neighbour (the counters of a letter, "
              "hatching) is under the resolvable size r = D tan(acuity), on the whole interval",
    compare="below", unit="mm", layer="lines-verdict",
    what="For every line that survives print and paint, the gap past its edge to the next "
         "stroke of the same kind, measured on the cross-sections, against the eye's resolvable "
         "size at the viewing distance.",
    why="Gaps the eye cannot resolve close up: fine text and intricate patterns become muddy, "
        "a B turns into a blot.",
    example="sample_meshes/lettered_base.ply: the tight hatching beside the lettering.",
    fix="Open the gaps to at least the resolvable size, or enlarge the lettering or pattern "
        "(the advice gives both).",
    options=("--distance", "--acuity"))

MS604 = Rule(
    "MS604", "lines-read", "lines", "info",
    "lines and lettering were read: how many, how wide, how deep",
    condition="at least one line was read on the model",
    compare="state", layer="lines-width",
    what="One info per file that says which engraved or embossed lines were found and their "
         "range of width, depth and length, so the engraving on a base is visibly read at all; "
         "the JSON metrics list every line.",
    why="A check that says nothing about lettering leaves you guessing whether it looked.",
    example="sample_meshes/lettered_base.ply: the lettering and rules on the base.",
    fix="Nothing to fix; read the other MS6xx findings for lines that will not hold.",
    options=("--select",))

RULES = (MS600, MS601, MS602, MS603, MS604)
