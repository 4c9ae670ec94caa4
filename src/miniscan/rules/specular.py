"""Specular noise (MS3xx): docs/specular.md derives the band, the intervals and the thresholds."""

from . import Rule

MS300 = Rule(
    "MS300", "specular-undetermined", "specular", "info",
    "specular verdicts the mesh cannot decide",
    condition="a region's normal-variation interval (smooth-shaded facets ... facets as "
              "exported, over two grid phases and two footprints, ± the reading's error) "
              "contains φ/2, or the "
              "orbit's flicker and fragmentation "
              "readings (facets / smooth, two sampling phases) disagree",
    what="Counts noisy regions and light-orbit verdicts whose interval straddles the threshold, "
         "and says what would settle them (usually a finer export).",
    why="Flat facets wider than the eye resolves glitter on their own: that is the export's "
        "doing, not the sculpt's, and a verdict on them would blame the wrong thing.",
    example="A 16 mm sphere exported with 320 faces (4 mm facets) under gloss at 500 mm: no "
            "MS301, the facet edges are counted here with 'export at edges of 0.15 mm or less'.",
    fix="Export finer (the message names the edge length), then check again.",
    options=("--finish", "--distance"))

MS301 = Rule(
    "MS301", "specular-noise", "specular", "warning",
    "normals vary within the eye's resolution band more than the finish hides: sparkle",
    condition="a region's band-pass normal variation (patches r ... 4r; RMS over the region's "
              "body, this surface as meshed) > φ/2 of its finish, on the whole interval "
              "[smooth (1 - q), facets (1 + q)] over two grid phases and two footprints (box, "
              "tent), q the error of reading it",
    compare="above", unit="deg", layer="specular",
    what="How much the surface normal varies between patches the eye resolves (r to 4r), per "
         "connected region, against half the finish's specular lobe width φ.",
    why="Variation finer than r only widens the highlight (Toksvig); variation the eye "
        "resolves moves it from patch to patch: under a lamp the surface glitters instead of "
        "carrying one gliding highlight, and the model reads as a toy.",
    example="sample_meshes/showcase_mini.glb at 250 mm (display, satin): the noisy shield "
            "sparkles (normals vary 13.2°, 9.4-13.6°, against the 8.6° satin hides).",
    fix="Smooth the area at about the resolvable size (the message gives the brush size), or "
        "give it a more matte finish (the message names the glossiest one it carries).",
    options=("--finish", "--part-finish", "--distance"))

MS302 = Rule(
    "MS302", "highlight-jitter", "specular", "warning",
    "highlights fragment and flicker as a single light moves",
    condition="flicker (share of the highlight that jumps instead of gliding per lamp step) "
              "> 5 % while the highlight is fragmented (≥ 2 glints a frame, smaller on "
              "average than 4 eye pixels), in every reading",
    compare="above", unit="share", layer="specular",
    what="Specular-only frames at the eye's resolution while one lamp orbits the view axis: "
         "the share of the highlight that appears or vanishes from step to step, and the "
         "glints per frame.",
    why="The 'rotate it slowly under one lamp' test: a real surface's highlight glides; a "
        "toy's glitters and jumps.",
    example="The noisy test plate (tests/test_specular.py) under satin at 500 mm: 12 glints a "
            "frame, 10 % flicker.",
    fix="Smooth the surface where MS301 points, or use a more matte finish.",
    options=("--finish", "--part-finish"),
    formerly="before schema 2 the finding's measured value was the fragments per cm²")

MS303 = Rule(
    "MS303", "gloss-spread", "specular", "info",
    "strong highlights spread outside the declared focal parts",
    condition="share of strong-highlight area (glossy parts + MS301 regions) outside the "
              "parts declared gloss or metal > 1/2",
    compare="above", unit="share", layer="specular",
    what="Where the strong highlights fall, against the parts declared glossy.",
    why="Highlights everywhere flatten the model; highlights at focal points (eyes, blades, "
        "gems) lead the eye.",
    example="A glossy body with glossy eyes declared (--part-finish eyes=gloss --finish "
            "gloss): most of the strong highlight is on the body.",
    fix="Keep gloss for focal parts (--part-finish) and matte the rest.",
    options=("--part-finish",))

RULES = (MS300, MS301, MS302, MS303)
