"""Colour and contrast (MS7xx): docs/colour.md has the band-pass, the formulas, the references
and the intervals every verdict rests on. The family reads vertex colours (PLY, OBJ `v x y z r
g b`, glTF COLOR_0), embedded glTF base-colour textures and OBJ+MTL materials (`map_Kd`
textures, `Kd`); a file without colour is not judged (its metrics say so)."""

from . import Rule

MS700 = Rule(
    "MS700", "colour-undetermined", "colour", "info",
    "colour verdicts the evidence cannot decide",
    condition="a region's measured interval (visibility between the best band's reading and "
              "the one-sinusoid reading of the bands, widened by how evenly the region holds "
              "its detail; eye-resolved luminance range between its 2nd-98th percentiles and "
              "its extremes) straddles the rule's threshold",
    what="One info per file that counts the colour verdicts left open, with the reason and "
         "what would settle it.",
    why="A region whose detail is just at the edge of readable is not evidence of mud; saying "
        "'cannot tell, because' is worth more than a wrong warning.",
    example="sample_meshes/painted_plate.ply at 500 mm: regions along the edges of the "
            "striped quadrant, where the stripes end, read within the margin: 'N regions cannot "
            "be judged: their detail contrast lies within the measurement's margin ...'.",
    fix="Check the place at the distance you care about (--distance), or push the contrast "
        "clearly one way.",
    options=("--distance", "--profile"))

MS701 = Rule(
    "MS701", "muddy-detail", "colour", "warning",
    "painted detail too low in contrast, or too fine, to read at the distance",
    condition="in a region (a cube 16 r across) that carries painted detail (detail contrast "
              ">= 1 / S_peak, i.e. not flat), the interval of the best band's visibility "
              "max_k C_k S(f_k) lies wholly below the contrast reserve 3 (where the region's "
              "luminance spectrum holds one significant pattern, the interval narrowed to that "
              "pattern's own C S(f))",
    compare="below", unit="× threshold", layer="colour-visibility",
    what="Per region, the luminance contrast of the detail in three octave bands the eye "
         "resolves (peak periods 2 r, 4 r, 8 r; Peli's band-limited contrast as the Michelson "
         "contrast of the sinusoid that gives it) times the contrast sensitivity at each band's "
         "frequency: how many times its threshold the best-seen detail is.",
    why="'Low-contrast images will appear muddy' and 'intricate patterns become muddy': detail "
        "that is painted but sits below what the eye needs to read it merges into a smear at "
        "the table.",
    example="sample_meshes/painted_plate.ply: stripes 0.3 mm a period at 2.5 % contrast read "
            "at about 1.4x their threshold at 500 mm (the reserve is 3): MS701 over 43 mm²; at "
            "250 mm (--profile display) they read.",
    fix="Raise the contrast of the detail (a darker wash in the recesses, a lighter highlight) "
        "or paint it bolder: the advice names the contrast and the size that read.",
    options=("--distance", "--acuity", "--profile"))

MS702 = Rule(
    "MS702", "harsh-contrast", "colour", "warning",
    "neighbouring colours harsher than any real surface at this scale",
    condition="a region's eye-resolved luminance contrast (Y98 - Y2) / (Y98 + Y2) lies above "
              "C_real exp(-3.912 D N / V): matte white against matte black (0.91) through the "
              "air between a real observer and the subject at D N (V = 20 km)",
    compare="above", unit="Michelson", layer="colour-contrast",
    what="Per region, the Michelson contrast between the darkest and the lightest luminance the "
         "eye resolves (2nd and 98th percentiles after the eye's blur), against the highest "
         "contrast a real lit surface shows: white and black matte paint side by side, seen "
         "through the air that lies between an observer and the real subject.",
    why="'Shift contrast down': full-size contrast on a miniature looks toy-like; pure black "
        "next to pure white is harsher than any real surface, and the real subject is seen "
        "through air the model is not.",
    example="sample_meshes/painted_plate.ply: pure black and white stripes 1.6 mm a period, "
            "contrast 0.996 against 0.905 at 1:56 and 500 mm: MS702.",
    fix="Lift the darkest tone (dark grey-brown instead of black) or tone down the lightest; "
        "the advice names the darkest lightness (CIE L*) that keeps the lightest.",
    options=("--distance", "--scale", "--profile"))

MS703 = Rule(
    "MS703", "flat-colour", "colour", "warning",
    "a large surface with no colour variation at all (airbrushed flatness)",
    condition="a connected surface of at least 4 regions (32 r across) whose detail contrast "
              "interval (all detail finer than a region, or the best band's contrast where "
              "that is more) lies wholly below 1 / S_peak = 0.4 %: nothing the eye could see "
              "even at its most sensitive frequency",
    compare="below", unit="Michelson", layer="colour-contrast",
    what="Per region, the RMS of the luminance detail finer than the region (relative to the "
         "local mean, as a Michelson contrast), or the best band's contrast where that is more "
         "(a pattern near 8 r is partly coarser than the region's lowpass); connected regions "
         "where it is below the eye's best threshold form a flat surface.",
    why="'Introduce micro-variation': a real surface is never one flat tone; a large area with "
        "none reads as plastic.",
    example="sample_meshes/painted_plate.ply: the quadrant of one flat tone with the sides and "
            "bottom in the same tone, 505 mm² at 500 mm: MS703; the 15 % mottle raises nothing.",
    fix="Introduce micro-variation: a filter, stipple or glaze of a few percent contrast "
        "(the advice names how much reads at the distance).",
    options=("--distance", "--profile"))

RULES = (MS700, MS701, MS702, MS703)
