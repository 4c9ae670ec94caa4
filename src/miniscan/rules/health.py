"""Mesh health (MS9xx): states of the file, not measurements (compare "state": no interval,
no threshold to straddle). They never fail a run by default; each message says which other
measurements the state makes less trustworthy. docs/scale.md ("Mesh health") describes them."""

from . import Rule

RULES = (
    Rule("MS901", "not-watertight", "health", "warning",
         "mesh has holes or non-manifold edges; volume and thickness are less trustworthy",
         condition="some edge is used by one face (a hole) or by three or more (non-manifold) "
                   "(faces that disagree on winding over a closed surface are MS906; faces "
                   "that repeat a vertex carry no surface and are left out: MS902)",
         layer="health",
         what="Counts boundary edges (used by one face) and non-manifold edges (three or more).",
         why="Thickness rays and volumes need a closed surface (an open sheet has no "
             "thickness: MS500 says so); a slicer repairs holes by guessing, and the part it "
             "prints may not be the part you checked.",
         example="sample_meshes/noisy_plate.ply is an open plate: MS901 with its boundary edges.",
         fix="Close holes and remove internal faces in your modelling tool (or run a "
             "'make manifold' repair) before exporting for print."),
    Rule("MS902", "degenerate-faces", "health", "info", "zero-area or duplicate faces",
         condition="a face repeats a vertex, has area <= 1e-12 x (mean edge)^2, or lies on the "
                   "same three vertices as another face",
         layer="health",
         what="Counts faces that repeat a vertex or have (near) zero area, and faces that "
              "repeat another face's three vertices (a shell exported twice).",
         why="A degenerate face carries no surface and has no normal; a duplicate one doubles "
             "the surface it lies on (a thickness ray meets a wall of no thickness there): "
             "curvature (edges), normal variation (specular) and thickness rays are less "
             "trustworthy, and some slicers choke on them.",
         fix="Run a cleanup (merge by distance, remove degenerate and doubled faces) before "
             "export."),
    Rule("MS903", "units-guessed", "health", "info",
         "file units were not declared and were guessed from the size",
         condition="the file declares no units (STL, OBJ, PLY, OFF, XYZ) and --units was not given",
         what="Reports the unit miniscan assumed and why: millimetres when the largest extent "
              "is plausible at 1:N (from the smallest real thing a model depicts, 20 mm / N "
              "but at least 3 mm, to twenty 1:N humans, at least 600 mm); otherwise inches "
              "when the extents are round eighths of an inch, otherwise metres (small) or "
              "millimetres kept.",
         why="Every verdict is in millimetres at model scale; a file read in the wrong unit is "
             "judged as a giant or a speck. MS501 stays undetermined (MS500) when another unit "
             "would make the subject fit.",
         example="scan_sword.obj (0.92 units long) is read as metres: MS903 says so.",
         fix="State the units with --units mm|cm|m|in, or the print size with --height.",
         options=("--units", "--height")),
    Rule("MS907", "life-size-file", "health", "info",
         "the file is in metres, life-sized, and no print size was given: it is checked at "
         "its own size as a 1:N model",
         condition="the file's units are metres (declared, as glTF's are, or guessed), its "
                   "largest extent is nearer a life-size subject's 1.8 m than a 1:N model's "
                   "(above 1.8 m / sqrt(N): 241 mm at 1:56), the scale is a miniature's "
                   "(N > 1), and neither --height, --width nor --length was given",
         what="Says how large the file is and what it stands for when it is checked as it "
              "is: a 1:N model of something N times larger.",
         why="Metres are the unit of scans and glTF, which give things at their real size. "
             "A life-size sword checked as it is is a 92 cm print that stands for a 51 m "
             "sword at 1:56: the size-based realism verdicts (edge softness MS202, texture "
             "scale MS101, over-thick parts MS503) judge that giant, true of it and not what a "
             "model-maker means; the printability verdicts (MS502, MS103) judge a 92 cm "
             "print. Nothing is suppressed: the print size settles it.",
         example="scan_sword.obj (0.92 units, read as metres): MS907 with its size and the "
                 "51 m it stands for at 1:56.",
         fix="Pass the size you will print with --height (or --width / --length); --scale 1:1 "
             "if you print it life-size.",
         options=("--height", "--width", "--length", "--scale")),
    Rule("MS904", "several-bodies", "health", "info", "mesh has several disconnected bodies",
         condition="the faces form more than one connected component",
         what="Counts face-connected bodies (and how many are tiny).",
         why="Kits and multi-part prints are fine; floating specks and unjoined parts are not. "
             "Thickness is measured on the union of overlapping bodies (what a slicer prints); "
             "their internal surfaces are crossed, and samples buried inside another body are "
             "left out.",
         example="terrain_dungeon_stone...3x3.stl: a base slab and 8 flagstone shells (9 bodies).",
         fix="Fine for kits and multi-part prints; union them if they should be one solid."),
    Rule("MS905", "point-cloud-surfaced", "health", "info",
         "input was a point cloud; a surface was reconstructed from it",
         condition="the file holds points and no faces",
         what="Notes that a surface was reconstructed (ball pivoting) before any check.",
         why="Every measurement then describes the reconstruction, not the scanned object.",
         fix="Mesh the scan in your scanning software and check that mesh."),
    Rule("MS908", "inside-out", "health", "info",
         "the closed mesh is wound inside out: every normal points inward",
         condition="the mesh is closed and consistently wound (no MS901, no MS906) and its "
                   "signed volume, sum of v0 . (v1 - v0) x (v2 - v0) / 6 over the faces, is "
                   "negative",
         what="Notes a closed surface whose faces all wind the wrong way (an export with "
              "flipped normals, a mirrored part whose winding was not reversed).",
         why="miniscan reads such a mesh flipped, so its own verdicts are unaffected; but a "
             "renderer shades it from inside, and a slicer may print its complement or refuse "
             "it. Nothing else would say so: every edge is consistent.",
         example="a box exported with every face reversed: MS908; its thickness and edges "
                 "read as the box's.",
         fix="Flip the normals (reverse every face) in your modelling tool before printing."),
    Rule("MS906", "inconsistent-winding", "health", "info",
         "face winding is inconsistent; normals may point inward in places",
         condition="two faces sharing a manifold edge traverse it in the same direction",
         layer="health",
         what="Detects neighbouring faces whose windings disagree.",
         why="Inward normals flip shading, thickness rays and the slicer's idea of inside; "
             "thickness rays that meet such faces are not counted as walls (MS500 says so).",
         example="odd_multibody.stl (two bars, inconsistently wound): MS906.",
         fix="Recompute normals / fix winding in your modelling tool."),
)
