"""Thin edges that want translucency (MS8xx): docs/translucency.md has the numbers and sources."""

from . import Rule

MS800 = Rule(
    "MS800", "translucency-undetermined", "translucency", "info",
    "thin-edge verdicts the thickness readings cannot decide",
    condition="an organic rim's thickness interval [lo, hi] straddles its translucency limit",
    what="One info per file counting the thin rims of organic parts whose thickness reads on "
         "both sides of the limit, with what would settle them.",
    why="Suggesting translucent resin for a rim that may be twice too thick would be a guess.",
    example="A skin rim read 0.55-0.66 mm against a 0.6 mm limit: '1 rim cannot be judged ...'.",
    fix="Export finer at the rim, or thin it clearly below the limit.",
    options=("--part-material", "--material"))

MS801 = Rule(
    "MS801", "thin-edge-wants-translucency", "translucency", "info",
    "a thin, light-facing rim of an organic part: real material this thin glows",
    condition="a free-standing rim of skin, cloth, leather, hair (any material with a "
              "translucent_mm property) lit from above has a thickness interval wholly under "
              "t* = max(T_tr / N, 1.5 x the printer's minimum wall), T_tr the real thickness "
              "under which that material lets light through",
    compare="below", unit="mm", layer="translucency",
    what="Rims of organic parts (ears, fingers, cloth hems, leaves, wings, fins) that are "
         "walls, not relief, thinner than the material's translucency thickness at this scale "
         "(or as thin as printing lets them be), and that light can reach: their area and place.",
    why="Thin skin, leaves and cloth glow where light comes through them; opaque resin and paint "
        "do not, so ears and hems read thick. Slight translucency looks more convincing than "
        "opaque colour in thin edges and small layered elements.",
    example="sample_meshes/elf_ears.obj: the left ear's 0.45 mm rim, skin (the right ear, "
            "1.2 mm, is not flagged).",
    fix="Print the part in a translucent resin, glaze the rim (thin warm red over skin, "
        "yellow-green over leaves), or thin the edge further toward the printer's minimum wall.",
    options=("--part-material", "--material", "--scale", "--printer"))

RULES = (MS800, MS801)
