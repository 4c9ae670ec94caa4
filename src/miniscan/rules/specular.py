"""Specular noise (MS3xx): docs/specular.md derives the band and the thresholds."""

from . import Rule

RULES = (
    Rule("MS300", "specular-undetermined", "specular", "info",
         "specular verdicts the mesh cannot decide",
         condition="a normal-variation interval straddles half the finish's lobe width",
         what="Counts surface patches whose measured normal variation, with its uncertainty, "
              "contains the sparkle threshold.",
         why="Faceting at the mesh's resolution looks like noise; a reference says when it "
             "cannot tell them apart.",
         fix="Export finer (as the message says) so the facets are below the eye's resolution."),
    Rule("MS301", "specular-noise", "specular", "warning",
         "normals vary within the eye's resolution band more than the finish hides: sparkle",
         condition="normal variation between patches of size r ... 4r > φ / 2",
         compare="above", unit="deg", layer="specular",
         what="How much the surface normal varies between patches the eye resolves (r to 4r), "
              "against half the finish's specular lobe width φ.",
         why="Variation finer than r only widens the highlight (Toksvig); variation the eye "
             "resolves moves it from patch to patch: glitter instead of a gliding highlight.",
         fix="Smooth the area at about the resolvable size, or give it a more matte finish.",
         options=("--finish", "--part-finish", "--distance")),
    Rule("MS302", "highlight-jitter", "specular", "warning",
         "highlights fragment and flicker as a single light moves",
         condition="glints per frame ≥ 2 of under 4 eye pixels, or flicker > 5 % of the "
                   "highlight area per lamp step",
         compare="above", unit="fragments per frame", layer="specular",
         what="Specular-only frames at the eye's resolution while one lamp orbits the model: "
              "highlight fragments per frame and frame-to-frame flicker.",
         why="The 'rotate it slowly under one lamp' test: real surfaces glide, toys glitter.",
         fix="Smooth the surface at the eye's resolution or use a more matte finish.",
         options=("--finish", "--part-finish")),
    Rule("MS303", "gloss-spread", "specular", "info",
         "strong highlights spread outside the declared focal parts",
         condition="share of strong-highlight area outside the glossy parts > 1/2",
         compare="above", unit="share", layer="specular",
         what="Where the strong highlights fall, against the parts declared glossy.",
         why="Highlights everywhere flatten the model; highlights at focal points lead the eye.",
         fix="Keep gloss for focal parts (--part-finish) and matte the rest.",
         options=("--part-finish",)),
)
