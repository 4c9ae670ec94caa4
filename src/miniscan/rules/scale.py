"""Scale and thickness (MS5xx): docs/scale.md has the subject table, the thickness rays and the
intervals every verdict rests on."""

from . import Rule

MS500 = Rule(
    "MS500", "scale-undetermined", "scale", "info",
    "scale or thickness verdicts the evidence cannot decide, and surfaces that are no walls",
    condition="the subject is unknown; or the size interval (base top, guessed units) or a "
              "thickness interval [lo, hi] straddles its threshold; or a body is an open sheet "
              "or its rays escape; or surfaces read under the printer's finest step "
              "(min(pixel, layer)) or from inside the solid (coincident or internal surfaces)",
    what="One info per file that counts every scale and thickness verdict left open, each with "
         "the reason and what would settle it; coincident and internal surfaces (faces lying on "
         "each other, self-intersections) are counted here as what they are, never as walls.",
    why="A thickness read between two faces a micrometre apart is not a wall, and a size that "
        "depends on a guessed unit is not a scale error: saying 'cannot tell, because' is "
        "worth more than a wrong warning.",
    example="odd_hemisphere.off (an open sheet): '1 verdict cannot be judged: the mesh is an "
            "open sheet there ...'.",
    fix="Do what the message says: name the subject (--subject), state the units (--units), "
        "close the mesh, remove inner surfaces, or export finer where a wall is near the limit.",
    options=("--subject", "--units", "--printer"),
    formerly="before schema 2 the 'thickness unsure' info was MS502 and 'unknown subject: "
             "scale not checked' was MS501")

MS501 = Rule(
    "MS501", "scale-mismatch", "scale", "warning",
    "the model's size disagrees with its declared scale for its subject",
    condition="[size_lo, size_hi] × N lies wholly outside the subject's real range [lo, hi] "
              "(size without the base slab, along the subject's measure)",
    compare="state", unit="mm (real)",
    what="The model's size along the subject's measure (height, horizontal length or largest "
         "extent), base slab left out, times N, against the subject's real size range; the "
         "size's interval is where the base's top may lie.",
    why="A 3.1 m human at 1:56 towers over the rest of the table; kits that mix scales look "
        "wrong side by side even when each model is fine.",
    example="A 32 mm human checked at --scale 1:35 reads 1.12 m tall: MS501, 'fits 1:47-1:61'.",
    fix="Declare the scale the model was made for (the message suggests one), or resize it by "
        "the factor in the advice.",
    options=("--scale", "--subject", "--units"),
    formerly="before schema 2 it also meant 'unknown subject: scale not checked' (now MS500)")

MS502 = Rule(
    "MS502", "wall-too-thin", "scale", "warning",
    "a free-standing wall thinner than the printer holds",
    condition="a free-standing wall region's thickness interval [lo, hi] lies wholly below the "
              "printer's minimum wall (hi < min_wall)",
    compare="below", unit="mm", layer="thickness",
    what="Wall thickness from inward ray cones, per region of free-standing wall (both sides "
         "exposed, no thick material within a wall's width: plates, fins, shells, rods), "
         "against the printer's minimum unsupported wall. A region is one wall: neighbouring "
         "readings of walls that run the same way (a fin standing on a thin plate, or a cup's "
         "floor and its side, are two). Thin readings on surface relief of a thick body are "
         "the texture family's (MS103/MS104), not walls.",
    why="Thin walls break off in the wash, warp or never print: a 0.3 mm spear survives on "
        "screen, not in resin.",
    example="sample_meshes/spear_figure.obj: the 0.3 mm spear, above and below the hand, is "
            "thinner than resin's 0.4 mm wall.",
    fix="Thicken to the printer's minimum, or support it / print it solid.",
    options=("--printer",),
    formerly="before schema 2 it also meant 'thicker than reads real' (now MS503) and "
             "'thickness unsure' (now MS500)")

MS503 = Rule(
    "MS503", "too-thick", "scale", "warning",
    "part thicker than its real material ever is at this scale",
    condition="the part is a sheet (median reading <= 0.2 sqrt(area / 2)) and the interval of "
              "its thinnest-tenth thickness lies wholly above max(material's real maximum / N, "
              "the printer's minimum wall)",
    compare="above", unit="mm", layer="thickness",
    what="The thin edges (10th percentile of the readings, with its order-statistic interval) "
         "of sheet parts (cloaks, flags, blades, plates: at least five times as wide as thick; "
         "a solid head or block shows its own width, not a material's thickness) whose "
         "material has a real thickness (cloth, leather, metal ...), against "
         "what that material is at the scale, or the printer's minimum wall when realism is "
         "thinner than printable.",
    why="A cloak edge 0.6 mm thick at 1:56 is 34 mm of cloth: it reads as a slab, not cloth.",
    example="A cloak part of 0.6 mm with --part-material 'cloak=cloth' at 1:56: MS503, with the "
            "realism/printing conflict named (5 mm of cloth is 0.09 mm here).",
    fix="Thin the free edges (not the whole part) towards the target; where the material is "
        "thinner than the printer holds, taper the edge to the minimum wall.",
    options=("--material", "--part-material", "--scale", "--printer"))

RULES = (MS500, MS501, MS502, MS503)
