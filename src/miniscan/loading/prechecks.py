"""Header checks for STL, PLY and OFF: the counts a header declares against the bytes the
file holds and against --max-faces, before a parser allocates for them.

Each check returns a short format name for the report ('stl-binary', 'ply-ascii' ...) or
raises LoadError saying what the header claims and what the file holds.
"""

from __future__ import annotations

import re
import struct

from .errors import LoadError
from .limits import Limits

# PLY and OFF headers are a few lines; past this a header is not one (bytes).
HEADER_LIMIT = 64 * 1024
_PLY_BYTES = {"char": 1, "uchar": 1, "int8": 1, "uint8": 1, "short": 2, "ushort": 2,
              "int16": 2, "uint16": 2, "int": 4, "uint": 4, "int32": 4, "uint32": 4,
              "float": 4, "float32": 4, "double": 8, "float64": 8}
_FACE_LISTS = ("vertex_indices", "vertex_index")
_PLY_FLOATS = ("float", "float32", "double", "float64")
_PLY_INT = {1: "u1", 2: "u2", 4: "u4"}  # a list's count as unsigned (a negative one is huge)
# smallest text of one number and its separator in a text format (bytes): '0 '
_MIN_NUMBER_TEXT = 2


def stl(name: str, head: bytes, size: int, limits: Limits) -> str:
    binary = not head.lstrip().lower().startswith(b"solid") or _binary_consistent(head, size)
    if not binary:
        if size > limits.text_bytes():
            raise LoadError(name, f"ASCII STL of {size:,} bytes is more than --max-faces "
                                  f"{limits.max_faces:,} can need")
        return "stl-ascii"
    if _is_text(head) and not _binary_consistent(head, size):
        raise LoadError(name, "not an STL: it is text that does not begin with 'solid' (an ASCII "
                              "STL's first word), and its bytes are not a binary STL's")
    if size < 84:
        raise LoadError(name, "binary STL shorter than its 84-byte header: truncated")
    (n,) = struct.unpack("<I", head[80:84])
    if size < 84 + 50 * n:
        raise LoadError(name, f"binary STL declares {n:,} faces but holds {(size - 84) // 50:,}: "
                              "truncated or not an STL")
    if n > limits.max_faces:
        raise LoadError(name, f"declares {n:,} faces, over --max-faces {limits.max_faces:,}")
    limits.check_memory(name, n)
    if n == 0:
        raise LoadError(name, "STL holds no faces")
    return "stl-binary"


def stl_ascii_faces(data: bytes) -> int:
    """Faces of an ASCII STL counted from its text (each face opens with 'facet' and closes
    with 'endfacet'), before it is parsed."""
    return (data.count(b"facet") + data.count(b"FACET")) // 2


def _is_text(head: bytes) -> bool:
    """Whether the file's first bytes are all printable text: a binary STL's face count and
    floats after its 80-byte header are not (a README or log saved under .stl is)."""
    sample = head[:4096]
    return bool(sample) and not sample.translate(None, _TEXT_BYTES)


# printable ASCII and the whitespace text files use (a UTF-8 text's other bytes are >= 0x80)
_TEXT_BYTES = bytes(range(0x20, 0x7F)) + b"\t\n\r\f" + bytes(range(0x80, 0x100))


def _binary_consistent(head: bytes, size: int) -> bool:
    """Some binary STLs start with 'solid' in their header; their size gives them away."""
    if len(head) < 84:
        return False
    (n,) = struct.unpack("<I", head[80:84])
    return size == 84 + 50 * n


def ply_format(name: str, head: bytes) -> str:
    """'ply-ascii' or 'ply-binary' from the first bytes, or LoadError."""
    fmt, _, _ = _ply_header(name, head)
    return "ply-ascii" if fmt == "ascii" else "ply-binary"


def ply(name: str, data: bytes, limits: Limits) -> str:
    """Check a PLY's element counts against the bytes (binary) or lines (ASCII) present."""
    fmt, elements, end = _ply_header(name, data)
    for el, count, _row in elements:
        cap = limits.max_faces if el == "face" else limits.max_vertices
        if count > cap:
            raise LoadError(name, f"declares {count:,} {el} elements, over what --max-faces "
                                  f"{limits.max_faces:,} allows")
        if el == "face":
            limits.check_memory(name, count)
    body = len(data) - end
    declared = ", ".join(f"{c:,} {e}" for e, c, _ in elements)
    if fmt == "ascii":
        rows = sum(c for _, c, _ in elements)
        lines = data.count(b"\n", end) + (0 if data.endswith(b"\n") else 1)
        if rows > lines:
            raise LoadError(name, f"PLY header declares {declared} ({rows:,} rows) but the file "
                                  f"holds {lines:,} lines: truncated, or the header lies")
        if _lone_face_list(data, end, elements):
            _ply_ascii_triangle_rows(name, data, end, elements)
        return "ply-ascii"
    need = sum(c * row for _, c, row in elements)
    if need > body:
        raise LoadError(name, f"PLY header declares {declared}, needing at least {need:,} bytes, "
                              f"but the file holds {body:,}: truncated, or the header lies")
    if need == body:
        _ply_triangle_counts(name, data, fmt, elements, end)
    return "ply-binary"


def _lone_face_list(data: bytes, end: int, elements) -> tuple[str, str] | None:
    """(count type, index type) when the last element is `face` and holds one property, its
    `vertex_indices` list, and no other element holds a list; else None."""
    names = [e for e, _, _ in elements]
    lists = re.findall(rb"^property\s+list\s+(\w+)\s+(\w+)\s+(\w+)\s*$",
                       data[:end], flags=re.M)
    props = re.findall(rb"^(?:property|element)\b.*$", data[:end], flags=re.M)
    if (not names or names[-1] != "face" or len(lists) != 1 or len(props) < 2
            or lists[0][2].decode() not in _FACE_LISTS
            or not props[-1].startswith(b"property list")
            or not props[-2].startswith(b"element face")):
        return None
    return lists[0][0].decode(), lists[0][1].decode()


def _ply_ascii_triangle_rows(name: str, data: bytes, end: int, elements) -> None:
    """In an ASCII PLY's face rows, a row of four numbers is a triangle and must say 3, and a
    row that says 3 must hold four numbers: a parser reads "5 0 1 2" or "4000000000 0 1 2" as
    a triangle, and "3 0 1 2 7" as one too. Rows of other lengths (quads, polygons) are left to
    the parser. Read with numpy over the rows' bytes (token starts per line), no loop."""
    import numpy as np

    body = np.frombuffer(data, np.uint8, offset=end)
    nl = np.flatnonzero(body == 10)
    before = sum(c for _, c, _ in elements[:-1])
    nf = elements[-1][1]
    start = int(nl[before - 1]) + 1 if before else 0
    stop = int(nl[before + nf - 1]) if before + nf - 1 < len(nl) else len(body)
    rows = body[start:stop]
    ends = nl[before:before + nf] - start  # each row's newline, from the rows' start
    blank = (rows == 32) | (rows == 9) | (rows == 13) | (rows == 10)
    tok = np.flatnonzero(~blank & np.r_[True, blank[:-1]])  # each number's first byte
    line = np.searchsorted(ends, tok)  # the row each number is on
    tok, line = tok[line < nf], line[line < nf]
    if not len(tok):
        return
    ntok = np.bincount(line, minlength=nf)
    lead = np.flatnonzero(np.r_[True, line[1:] != line[:-1]])  # each row's first number
    at = tok[lead]
    says3 = (rows[at] == ord("3")) & ((at + 1 >= len(rows)) | blank[np.minimum(at + 1,
                                                                             len(rows) - 1)])
    bad = line[lead][(ntok[line[lead]] == 4) != says3]
    if len(bad):
        i = int(bad[0])
        raise LoadError(name, f"PLY face {i + 1:,}'s row holds {int(ntok[i])} numbers but its "
                              f"count does not say {int(ntok[i]) - 1}: corrupt")


def _ply_triangle_counts(name: str, data: bytes, fmt: str, elements, end: int) -> None:
    """A binary PLY exactly as long as its rows with triangles: every face must be one. The
    file's bytes leave no room for a longer face, so a face whose count says more (a count
    byte corrupted, or faces cut off and the last one's count kept) is a truncated or corrupt
    file, which a parser would read as triangles anyway. Read at the triangles' stride, all
    at once; faces must be the last element and a lone `vertex_indices` list."""
    import numpy as np

    lists = _lone_face_list(data, end, elements)
    if not lists:
        return
    ct, it = lists
    if ct not in _PLY_BYTES or it not in _PLY_BYTES or ct in _PLY_FLOATS:
        return
    _, nf, row = elements[-1]
    off = end + sum(c * r for _, c, r in elements[:-1])
    kind = ("<" if fmt == "binary_little_endian" else ">") + _PLY_INT[_PLY_BYTES[ct]]
    counts = np.ndarray((nf,), dtype=kind, buffer=data, offset=off, strides=(row,))
    bad = np.flatnonzero(counts != 3)
    if len(bad):
        raise LoadError(name, f"PLY face {int(bad[0]) + 1:,} declares {int(counts[bad[0]]):,} "
                              f"corners but the file holds bytes for triangles only: truncated "
                              f"or corrupt")


def _ply_header(name: str, data: bytes) -> tuple[str, list[tuple[str, int, int]], int]:
    """(format, [(element, count, smallest binary row in bytes)], offset of the body)."""
    if not data.startswith(b"ply"):
        raise LoadError(name, "not a PLY file (missing 'ply' magic)")
    end = re.search(rb"end_header[ \t]*\r?\n", data[:HEADER_LIMIT])
    if end is None:
        raise LoadError(name, "PLY header has no end_header line in its first 64 KB: "
                              "truncated or not a PLY")
    fmt, elements = None, []
    for line in data[:end.start()].decode("latin-1").splitlines()[1:]:
        w = line.split()
        if not w or w[0] in ("comment", "obj_info"):
            continue
        if w[0] == "format" and len(w) >= 2:
            fmt = w[1]
        elif w[0] == "element" and len(w) == 3:
            if not w[2].isdigit():
                raise LoadError(name, "a PLY element's count is not a whole number: corrupt "
                                      "header")
            elements.append([w[1], int(w[2]), 0])
        elif w[0] == "property" and elements and len(w) >= 3:
            elements[-1][2] += _ply_row_bytes(name, w, elements[-1][0])
        else:
            raise LoadError(name, "a PLY header line is none of format, element, property, "
                                  "comment: corrupt header")
    if fmt not in ("ascii", "binary_little_endian", "binary_big_endian"):
        raise LoadError(name, "PLY header has no valid format line (ascii or binary)")
    return fmt, [tuple(e) for e in elements], end.end()


def _ply_row_bytes(name: str, w: list[str], element: str) -> int:
    """Fewest bytes a property takes in one binary row (a face list: three indices)."""
    if w[1] == "list":
        if len(w) != 5 or w[2] not in _PLY_BYTES or w[3] not in _PLY_BYTES:
            raise LoadError(name, "PLY list property has an unknown type: corrupt header")
        least = 3 if element == "face" and w[4] in _FACE_LISTS else 0
        return _PLY_BYTES[w[2]] + least * _PLY_BYTES[w[3]]
    if w[1] not in _PLY_BYTES:
        raise LoadError(name, "a PLY property has a type PLY does not define: corrupt header")
    return _PLY_BYTES[w[1]]


def off(name: str, data: bytes, limits: Limits) -> str:
    """OFF: 'OFF' then 'V F E'; V vertex rows of 3 numbers and F face rows of 4+."""
    tokens = []
    for line in data[:HEADER_LIMIT].decode("latin-1").splitlines():
        tokens += line.split("#", 1)[0].split()
        if len(tokens) >= 4:
            break
    if not tokens or not tokens[0].upper().endswith("OFF"):
        raise LoadError(name, "not an OFF file (missing 'OFF' keyword)")
    if len(tokens) < 3 or not (tokens[1].isdigit() and tokens[2].isdigit()):
        raise LoadError(name, "OFF header has no vertex and face counts: truncated or corrupt")
    nv, nf = int(tokens[1]), int(tokens[2])
    if nf > limits.max_faces or nv > limits.max_vertices:
        raise LoadError(name, f"OFF declares {nv:,} vertices and {nf:,} faces, over what "
                              f"--max-faces {limits.max_faces:,} allows")
    limits.check_memory(name, nf)
    need = _MIN_NUMBER_TEXT * (3 * nv + 4 * nf)
    if need > len(data):
        raise LoadError(name, f"OFF declares {nv:,} vertices and {nf:,} faces, at least "
                              f"{need:,} bytes of text, but the file holds {len(data):,}: "
                              "truncated, or the header lies")
    return "off"
