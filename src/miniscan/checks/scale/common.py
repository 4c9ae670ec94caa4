"""Scale and thickness: the tuned constants every step shares."""

from __future__ import annotations


FAMILY = "scale"

# --- tuned constants (unit, and why this value) ----------------------------------------------
MEASURES = ("height", "length", "largest")
# Base slab (detect_base): profile bins over the height; the slab's footprint must be at least
# a quarter of the bounding box's (round and square bases fill 0.79-1 of it, a figure's feet
# far less), collapse to under 40 % within the lowest 30 % of the height (a base is low and
# thin) and never come back above 90 % (a column or a box does). Vertices within 0.5 % of the
# height above the slab's top are the slab's rim, not the figure.
BASE_BINS = 200
BASE_MIN_FOOTPRINT = 0.25
BASE_COLLAPSE = 0.4
BASE_MAX_HEIGHT = 0.3
BASE_NO_RETURN = 0.9
BASE_MARGIN = 0.005
# Unit factors (mm per file unit) the loader may have chosen between when it guessed.
UNIT_MM = {"mm": 1.0, "cm": 10.0, "m": 1000.0, "in": 25.4}
# A wall region needs this many samples, and at least the printer's minimum wall squared of
# area (a wall must be at least a wall's width across): less is a speck, not a wall.
REGION_MIN_SAMPLES = 3
# Samples whose readings' middles are closer than this many sample spacings are one region
# (area-weighted random samples at 2.5 spacings have ~20 neighbours: one connected patch).
LINK_SPACINGS = 2.5
# ... and whose walls run the same way: their inward directions within this angle (rad) of
# parallel. Two samples one link L apart on a wall bent to a radius rho differ by L / rho, so a
# wall bent no tighter than one link length (1.5 mm at a 0.6 mm spacing) stays one region; two
# walls meeting at a T or an L (90 degrees) are two.
WALL_TURN_RAD = 1.0
# Passing walls are measured (Measurement, for the ground-truth suite and the heat map) up to
# this many minimum walls; neighbours within WALL_RATIO of each other's thickness are one wall.
MEASURE_WALLS = 4.0
WALL_RATIO = 1.25
# MS503: a part's edge thickness is this percentile of its readings (its thinnest tenth, where
# a cloak, a flag or a blade shows how thick it is); the rank interval of that percentile is
# +-Z standard errors of a binomial order statistic (95 %).
OVER_THICK_QUANTILE = 10.0
OVER_THICK_Z = 1.96
MATERIAL_MIN_SAMPLES = 20  # a part with fewer readings is not judged for its material
# MS503 asks how thick a *sheet* of the material is (a cloak, a flag, a blade, a plank). A part
# is a sheet when its median reading is at most this share of its one-side extent
# sqrt(area / 2): a plate at least five times as wide as thick. Solids lie well above (a sphere
# 0.8, a cube 0.58, a limb 5-20 diameters long 0.5-0.25): their readings are their own width,
# not a material's thickness (a skin head 4 mm across is no '22 cm of skin'); cloaks, blades,
# shields and rods lie well below (0.03-0.1).
SHEET_RATIO = 0.2
HIST_EDGES_MM = (0.1, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 20.0, 50.0,
                 100.0, 200.0, 500.0)
# Support probes (36 rays each) on at most this many thin readings; the rest take their nearest
# probe's answer. 8000 probes over the 0.5 mm^2 ... 500 mm^2 of thin area a part may have keep
# probes closer than the 0.4 mm minimum wall up to ~1000 mm^2 (spacing sqrt(area / probes)).
SUPPORT_PROBES = 8000
# Refinement around thin free-standing walls (analysis.thickness.refine). Samples link into a
# region when closer than LINK_SPACINGS first spacings (`link`); a band one minimum wall wide,
# sampled at a density rho, has a sample every 1 / (rho min_wall) along it on average, and its
# gaps are exponential: at REFINE_GAPS_PER_LINK samples per link length a gap longer than the
# link (which would split the band) has odds exp(-8) = 3e-4. Hence the refined spacing
# sqrt(link min_wall / REFINE_GAPS_PER_LINK), in REFINE_PASSES passes (each reaches along a
# band past the last zone's end).
REFINE_GAPS_PER_LINK = 8.0
# Only seeds with fewer thin neighbours than this share of a 2-D wall's (`_sparse`) are refined
# around: a wall the first samples cover as a surface links without help.
REFINE_SPARSE_SHARE = 0.5
REFINE_PASSES = 3
# ... on the faces within this many first sample spacings of a thin wall sample: the gap
# between neighbouring first samples, so each pass bridges it and the next reaches on.
REFINE_REACH_SPACINGS = 1.0
# Picture states of a sample (ThicknessLayers.face_state indexes this tuple).
STATES = ("wall", "thin", "over-thick", "relief", "unsure", "coincident")
WALL, THIN, OVER, RELIEF, UNSURE, COINCIDENT = range(len(STATES))
# Faces farther than this many sample spacings from every sample get no value in the heat map.
LAYER_GAP_SPACINGS = 3.0


class SubjectError(ValueError):
    """An unknown subject name (a usage error: exit 2 in the CLI)."""
