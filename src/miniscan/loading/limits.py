"""How much a file may make miniscan read and allocate, derived from --max-faces.

A mesh of N faces needs a known number of bytes in each format: a binary STL exactly
84 + 50 N, a text format a bounded number of characters per face. A file larger than its
format can need for N faces is refused before it is read; counts a header declares are
checked against the bytes actually present before anything is allocated for them.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from .errors import LoadError

DEFAULT_MAX_FACES = 20_000_000

# Peak memory of a full check per face of the mesh (bytes/face), all families, on top of
# MEMORY_BASE_BYTES. Measured by bench/bench_scale.py (peak RSS from wait4 of `miniscan check
# --no-cache`, binary STL sculpts, GiB): 250k faces 0.40, 2M 2.30, 8M 10.7-11.9 (edges'
# crease fit and texture's fine mesh dominate), i.e. 1.1 KB/face from 250k to 2M and 1.6
# KB/face from 2M to 8M. 1,500 with the base predicts 3.1 / 11.5 GiB at 2M / 8M and 28 GiB at
# 20M: near the large sizes, where the guard matters, and above the small ones, so it errs
# towards refusing a file that would just have fit rather than letting the kernel kill it.
MEMORY_BYTES_PER_FACE = 1_500
# What a check holds whatever the mesh (bytes): the interpreter, numpy/scipy/open3d/VTK and
# the GL context; a whole 250k-face check peaks at 0.40 GiB, so the base is below that.
MEMORY_BASE_BYTES = 300 * 1024**2

# Absolute cap whatever --max-faces says (bytes): past it a file is not a small model.
MAX_FILE_BYTES = 4 * 1024**3

# Bytes one face can take in a text format (bytes/face). A face brings at most three new
# vertex lines of up to six numbers (position + colour) plus texture and normal lines, and
# a face line; a number printed at full double precision with sign and exponent is 24
# characters. 1 KB per face is several times what any exporter writes, yet it bounds a
# file: a 1,000-face limit allows 1 MB of OBJ, not 4 GB.
TEXT_BYTES_PER_FACE = 1024

# Bytes one face can take in glTF binary data (bytes/face): three vertices with position,
# normal, tangent, two UV sets, colour, joints and weights (~120 B each) and three 32-bit
# indices.
GLTF_BYTES_PER_FACE = 384

# Bytes one point can take in a point cloud (bytes/point): XYZ text of up to 12 columns of
# 24 characters, or a binary PCD record of 16 eight-byte fields.
CLOUD_BYTES_PER_POINT = 300

# A mesh whose faces all share vertices has about half as many vertices as faces; a
# triangle soup (STL) three times as many. Counts of vertices above 3 N cannot belong to a
# mesh of N faces (vertices/face).
VERTICES_PER_FACE = 3

# Headers, JSON and XML scaffolding, comments (bytes): allowed on top of the per-face bytes.
SLACK_BYTES = 1024**2

# 3MF members: XML of a mesh (bytes/face): a triangle element is ~50 characters, a vertex
# element ~80, half a vertex per face on a shared mesh; 512 leaves room for colour and
# property attributes.
THREEMF_BYTES_PER_FACE = 512
# XML meshes deflate 3-15x; a member that inflates over 200x its compressed size is a zip
# bomb, not a mesh. Checked only for members over 1 MB, where the ratio means something.
MAX_DEFLATE_RATIO = 200
DEFLATE_RATIO_FLOOR_BYTES = 1024**2

# Node graph and JSON of a glTF (bytes): a scene graph or a glTF JSON larger than this is
# not describing a small model.
MAX_GLTF_JSON_BYTES = 64 * 1024**2


# Where a container's memory limit is written (cgroup v2, v1): a CI runner in a container
# may use far less than the host's physical memory.
_CGROUP_LIMITS = ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes")


def machine_memory() -> int | None:
    """Bytes of memory a check on this machine can have at most: physical memory (MemTotal),
    or the container's limit when lower; None where the system does not say. A few small
    reads, no imports.

    Not MemAvailable: what is free at one moment depends on whatever else runs then, so a
    guard on it would refuse a small file at random on a busy CI runner; the guard is for
    the file that cannot fit on this machine at all (the worker pool keeps an out-of-memory
    kill to that file when others happen to hold the memory)."""
    found = []
    try:
        with open("/proc/meminfo", "rb") as f:
            m = re.search(rb"^MemTotal:\s+(\d+) kB", f.read(), re.M)
        if m:
            found.append(int(m.group(1)) * 1024)
    except OSError:
        pass
    if not found:
        try:
            found.append(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (ValueError, OSError, AttributeError):
            pass
    for path in _CGROUP_LIMITS:
        try:
            with open(path, "rb") as f:
                text = f.read(64).strip()
        except OSError:
            continue
        if text.isdigit():  # "max" = no limit
            found.append(int(text))
    return min(found) if found else None


_MEMORY = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([kmgt]i?b?|b)?\s*$", re.I)
_MEMORY_UNIT = {"b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


def parse_memory(text: str | int | float) -> int:
    """'16GB', '16G', '800MB', '16' (GB when no unit) -> bytes; 0 turns the guard off.
    ValueError on anything else."""
    if isinstance(text, bool):
        raise ValueError(f"not an amount of memory: {text!r}")
    if isinstance(text, (int, float)):
        value, unit = float(text), "g"
    else:
        m = _MEMORY.match(str(text))
        if not m:
            raise ValueError(f"not an amount of memory: {text!r} (write e.g. 16GB or 800MB)")
        value, unit = float(m.group(1)), (m.group(2) or "g")[0].lower()
    if value < 0:
        raise ValueError(f"not an amount of memory: {text!r}")
    return int(value * _MEMORY_UNIT[unit])


def gigabytes(n: int) -> str:
    return f"{n / 1024**3:.1f} GB"


@dataclass(frozen=True)
class Limits:
    """Bounds for one load, from --max-faces and --max-memory."""

    max_faces: int = DEFAULT_MAX_FACES
    # bytes a check may use (--max-memory); None: the machine's memory (machine_memory), read
    # when a face count is checked; 0: no memory guard
    max_memory: int | None = None

    def check_memory(self, name: str, faces: int) -> None:
        """Refuse a mesh of `faces` faces whose check would need more memory than allowed,
        before anything is allocated for it (LoadError naming the limit and the options)."""
        need = MEMORY_BASE_BYTES + MEMORY_BYTES_PER_FACE * int(faces)
        if self.max_memory == 0:
            return
        limit = self.max_memory if self.max_memory is not None else machine_memory()
        if limit is None or need <= limit:
            return
        what = (f"--max-memory {gigabytes(limit)}" if self.max_memory is not None
                else f"{gigabytes(limit)} of memory this machine has")
        raise LoadError(name, f"{faces:,} faces would need about {gigabytes(need)}, over the "
                              f"{what} (raise --max-memory, or 0 to try anyway; lower "
                              f"--max-faces to refuse such files sooner)")

    def check_instanced(self, name: str, faces: int, verts: int, what: str, how: str) -> None:
        """Refuse a scene or build whose instances add up to more than the limits allow,
        counted from its structure before any instance is built (`what`: "scene" / "build";
        `how`: how the count was made, e.g. "nodes x mesh faces")."""
        if faces > self.max_faces:
            raise LoadError(name, f"its {what} instantiates {faces:,} faces ({how}), "
                                  f"over --max-faces {self.max_faces:,}")
        self.check_memory(name, faces)
        if verts > self.max_vertices:
            raise LoadError(name, f"its {what} instantiates {verts:,} vertices, more than a "
                                  f"mesh within --max-faces {self.max_faces:,} can use")

    @property
    def max_vertices(self) -> int:
        return VERTICES_PER_FACE * max(self.max_faces, 1)

    @property
    def max_points(self) -> int:
        # ball pivoting makes about two faces per point; clouds denser than that are thinned
        return max(self.max_faces, 10)

    def _cap(self, n: int) -> int:
        return min(MAX_FILE_BYTES, n)

    def text_bytes(self) -> int:
        return self._cap(TEXT_BYTES_PER_FACE * self.max_faces + SLACK_BYTES)

    def stl_binary_bytes(self) -> int:
        return self._cap(84 + 50 * self.max_faces)

    def gltf_bytes(self) -> int:
        return self._cap(GLTF_BYTES_PER_FACE * self.max_faces + SLACK_BYTES)

    def threemf_member_bytes(self) -> int:
        return self._cap(THREEMF_BYTES_PER_FACE * self.max_faces + SLACK_BYTES)

    def cloud_bytes(self) -> int:
        return self._cap(CLOUD_BYTES_PER_POINT * self.max_points + SLACK_BYTES)

    def file_bytes(self, ext: str) -> int:
        """The largest file of this extension that can hold a mesh within the limits."""
        if ext in (".xyz", ".pcd"):
            return self.cloud_bytes()
        if ext == ".glb":
            return self._cap(self.gltf_bytes() + MAX_GLTF_JSON_BYTES)
        if ext == ".gltf":
            return MAX_GLTF_JSON_BYTES
        if ext == ".3mf":  # compressed: never more than its members inflated
            return self.threemf_member_bytes()
        if ext == ".ply":  # binary PLY is smaller than text; text bounds both
            return self.text_bytes()
        return self.text_bytes()  # obj, off, stl (ASCII STL bounds binary too)
