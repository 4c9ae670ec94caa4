"""Scale and thickness (MS5xx): docs/scale.md has the subject table and the thickness rays."""

from . import Rule

RULES = (
    Rule("MS500", "scale-undetermined", "scale", "info",
         "scale or thickness verdicts that cannot be decided",
         condition="the subject is unknown, or a wall's thickness interval straddles its "
                   "threshold, or the rays cannot tell a wall",
         what="Counts scale and thickness verdicts the evidence does not decide, and why.",
         why="An open or self-intersecting mesh has no thickness to measure.",
         fix="Name the subject (--subject), close the mesh, or export finer.",
         formerly="the 'thickness unsure' info was MS502, the 'scale not checked' info MS501"),
    Rule("MS501", "scale-mismatch", "scale", "warning",
         "the model's size disagrees with its declared scale for its subject",
         condition="size × N outside the subject's real size range",
         compare="state", unit="mm (real)",
         what="The model's size along the subject's measure (height, length), times N, against "
              "the subject's real range.",
         why="A 3.1 m human at 1:56 towers over the rest of the table; kits mix badly.",
         fix="Rescale the model, or declare the scale it was made for.",
         options=("--scale", "--subject", "--height")),
    Rule("MS502", "wall-too-thin", "scale", "warning",
         "part thinner than the printer holds",
         condition="wall thickness < the printer's minimum unsupported wall",
         compare="below", unit="mm", layer="thickness",
         what="Wall thickness from inward rays, against the printer's minimum wall.",
         why="Thin walls break off in the wash, warp or never print.",
         fix="Thicken to the printer's minimum, or support it / print it solid.",
         options=("--printer",),
         formerly="before schema 2 it also meant 'thicker than reads real' (now MS503) and "
                  "'thickness unsure' (now MS500)"),
    Rule("MS503", "too-thick", "scale", "warning",
         "part thicker than its real material ever is at this scale",
         condition="the thinnest tenth of a part × N > the material's real thickness range "
                   "(and thicker than the printer needs)",
         compare="above", unit="mm", layer="thickness",
         what="The thin edges of parts whose material has a real thickness (cloth, leather, "
              "wings), times N.",
         why="A cloak edge 0.6 mm thick at 1:56 is 34 mm of cloth: it reads as a slab.",
         fix="Thin the edges towards the printer's minimum, or bevel them so they read thin.",
         options=("--material", "--part-material", "--scale")),
)
