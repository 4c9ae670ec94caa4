"""Local wall thickness by ray casting inward along the normal (a narrow-cone shape diameter),
with the interval each reading carries, and the probe that tells a wall from surface relief.

Steps of `thickness` (docs/scale.md derives every formula):
1. `_sample`: a fixed, seeded set of area-weighted surface samples; separate small bodies get
   at least MIN_BODY_SAMPLES, each sample carrying the area it stands for.
2. `_cast`: from each sample a small cone of rays into the solid (the axial ray plus a ring at
   CONE_HALF_ANGLE_DEG), all in one call to open3d's RaycastingScene (C++ BVH). A ray that
   leaves the solid through a face whose outward normal agrees with the ray measured the wall;
   `t * cos(theta)` is the thickness of a locally parallel wall exactly, whatever theta.
   Overlapping, un-unioned bodies are crossed by `_union_walk` (the union's wall is printed),
   and a contact the print fuses (a gap under TOUCH_MM) by `through_contacts`.
3. `_readings`: the sample's thickness is the median of its valid rays; its interval runs
   from that median to the reading the smooth surface the facets' vertices sample would give
   (`smooth_offset`, signed: a wall whose sides bend together keeps its thickness), widened
   by the rays' median absolute deviation (robust: a ring ray that slips out of a nearby side
   face at a corner is an outlier, not an uncertainty of the wall; a tapered wall spreads all
   rays) and by float32 rounding.

A ray that leaves through a side face of a corner (turned more than WALL_FACING_DEG from facing
the sample) while another ray faced the wall measured the part's other dimension: it is set
aside (when no ray faced it, as when grazing a curved hole, they all count). A sample with
too few valid rays, or on a body that is an open sheet, has no number (NaN):
*unsure*. A sample most of whose rays first meet a surface from outside, inside a closed and
consistently wound body, sits on an *internal* surface (self-intersection, internal faces).

`support` (step 4, asked by the check for thin readings only) probes the material beside a thin
reading: relief on a thick body has thick material within a wall's width, a free-standing wall
has none. Everything here is in model millimetres and independent of the viewing conditions,
so `thickness` is computed once per model (`analysis.cached("thickness", thickness)`).

Modules (each imports only those listed before it): common (the tuned constants, the Thickness
value, the ray cone), sampling (step 1), surface (the model's outward orientation, the facets'
chordal error and the smooth surface's offset, for step 3's intervals), bodies (overlapping,
un-unioned bodies: the union walk, buried_points), contacts (contacts the print fuses: rays run
on through them, faces resting on the solid), kernel (steps 2-3 and `thickness`), refine
(refining around thin readings; step 4, `support`; `held`, `regions`).
"""

from __future__ import annotations

from .bodies import _by_ray_then_distance, buried_points
from .common import REFINE_MAX_SAMPLES, Thickness, sample_count
from .kernel import thickness
from .refine import held, refine, regions, support
from .sampling import _tie_ranks
from .surface import face_sag, smooth_offset

__all__ = ["REFINE_MAX_SAMPLES", "Thickness", "buried_points", "face_sag", "held", "refine",
           "regions", "sample_count", "smooth_offset", "support", "thickness"]
