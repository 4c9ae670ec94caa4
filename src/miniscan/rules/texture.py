"""Texture scale and the detail budget (MS1xx): docs/texture.md derives every condition.

Every rule judges one texture component of one surface region (its wavelength, amplitude and
depth, each with an interval) and fires only when the whole interval is on the wrong side
(the evidence rule). A feature is half a wavelength wide and `depth` deep.
"""

from . import Rule

_DIST = ("--distance", "--acuity", "--profile")
RULES = (
    Rule("MS100", "texture-undetermined", "texture", "info",
         "texture verdicts the measurement cannot decide",
         condition="a texture component's measured interval (or one of the conditions its rule "
                   "needs first) straddles the threshold, or the material has no texture size",
         what="Counts the texture verdicts left open, per reason: relief at the printer's or the "
              "paint's limit within the measurement's own uncertainty, visibility at the eye's "
              "threshold, relief only a few mesh edges wide, relief whose region cannot resolve "
              "the coarser relief it may belong to (a small or curved part, edges within "
              "reach), and "
              "visible texture whose material is 'generic' (no real texture size to compare "
              "with).",
         why="An instrument says 'cannot tell' rather than guess; the message says what would "
             "decide each group.",
         example="The rough-stone terrain inset of the test corpus with the default material: "
                 "'2 texture verdicts cannot be judged: the material is 'generic', which has no "
                 "real texture size: name it'.",
         fix="Do what the message names: state the material, export finer, judge the texture "
             "on a larger, flatter stretch of it, or treat the relief as at risk (a test "
             "print decides).",
         options=("--material", "--part-material")),
    Rule("MS101", "texture-over-scaled", "texture", "warning",
         "visible texture whose real-world size is larger than the material allows",
         condition="feature width (wavelength / 2) x N > the material's largest real texture "
                   "size, for relief that survives print and paint and is visible (c·S(f) >= 1)",
         compare="above", unit="mm (real)", layer="texture",
         what="The texture wavelength of each region, as a feature width at full size "
              "(width x N), against the material's real texture (data/materials.toml).",
         why="Skin pores 0.35 mm wide on a 1:56 figure are 20 mm craters in life: the surface "
             "reads as orange peel, the classic toy-like miniature.",
         example="A skin head with bowl pores 0.35 mm across and up to 0.12 mm deep "
                 "(--material skin): 'skin texture reads as 14 mm wide at 1:56 ...; real skin "
                 "texture is under 0.25 mm', advice 'soften it and let paint suggest it' (real "
                 "skin texture at 1:56 is finer than print and paint hold).",
         fix="Make it finer, but never finer than print and paint hold; when real texture at "
             "this scale is below that, soften it and let paint suggest it.",
         options=("--material", "--part-material", "--scale")),
    Rule("MS102", "invisible-detail", "texture", "info",
         "sculpted detail below what the eye resolves at the viewing distance",
         condition="CSF-weighted contrast c·S(f) < 1 at the distance, for relief that survives "
                   "print and paint",
         compare="below", unit="contrast x threshold", layer="texture",
         what="Relief that survives print and paint but whose weighted shading contrast "
              "(slope 2πa/λ times the contrast sensitivity at its spatial frequency) is under "
              "the eye's threshold.",
         why="Wasted effort: nobody at the table will ever see it.",
         example="Fine 0.1 mm ripples 5 µm deep seen from 500 mm.",
         fix="Drop it to save effort, or enlarge it if it is meant to be seen.", options=_DIST),
    Rule("MS103", "lost-in-print", "texture", "warning",
         "detail finer or shallower than the printer can reproduce",
         condition="feature width < the printer's lateral cutoff (2 pixels, or the nozzle), or "
                   "depth < one layer",
         compare="below", unit="mm", layer="texture",
         what="Relief narrower than the printer's lateral cutoff or shallower than a layer: "
              "surface relief too thin to print is judged here (not as a wall).",
         why="The printer low-passes it away: the sculpting never reaches the model.",
         example="Wood-grain ridges 0.15 mm wide and 0.016 mm deep on a terrain wall: '0.010 mm "
                 "deep detail (measured 0.006-0.014 mm ...) is shallower than a 0.030 mm print "
                 "layer'.",
         fix="Make it wider/deeper than the printer's cutoff, or leave it out.",
         options=("--printer",)),
    Rule("MS104", "filled-by-paint", "texture", "warning",
         "recesses the primer and paint build-up fills",
         condition="depth < paint build-up, or width < 2 x paint build-up (both walls coated), "
                   "for relief that survives print",
         compare="below", unit="mm", layer="texture",
         what="Recesses shallower than the paint build-up, or grooves narrower than two coats.",
         why="Primer and paint fill them, the way fine tattoo lines blur as ink spreads.",
         example="Shallow 0.02 mm scratches on armour under 0.04 mm of primer and paint.",
         fix="Deepen and widen them past the paint build-up, or thin the paint.",
         options=("--paint",)),
    Rule("MS105", "texture-too-deep", "texture", "warning",
         "relief so deep for its width that it throws hard shadows at this size",
         condition="depth / width > 2/π (a 45° key light leaves the recess dark), for visible "
                   "relief that survives print and paint",
         compare="above", unit="depth/width", layer="texture",
         what="The depth-to-width ratio of visible relief.",
         why="Deep narrow recesses go black under a lamp: harsh, over-carved, toy-like.",
         example="Grooves 0.5 mm deep and 0.5 mm wide (depth:width 1).",
         fix="Soften the walls or make it shallower so it shades instead of casting hard shadows."),
    Rule("MS106", "texture-clutter", "texture", "warning",
         "more distinct details per glance than the eye can separate",
         condition="details per glance footprint (glance / wavelength)² > (glance / 3′)², for "
                   "clearly visible relief (shading contrast >= 0.1)",
         compare="above", unit="details per glance", layer="texture",
         what="Distinct, clearly visible details per glance footprint, against foveal crowding.",
         why="Too many separate details merge into noise: the eye finds no focal point.",
         example="Bold 0.3 mm rivets packed everywhere on a model seen from 1 m.",
         fix="Simplify: fewer, larger shapes, and keep fine texture for a focal area.",
         options=("--glance",) + _DIST),
)
