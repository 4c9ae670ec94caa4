"""A seeded fuzz campaign over the sample meshes: the hostile-input contract holds for every
mutant (docs/robustness.md).

Each sample mesh is cut to a small piece and written in every format miniscan reads; each of
those files is mutated by a seeded mutator (byte flips, truncation, appended garbage, lying
header counts, NaN/inf/1e308 coordinates, bad indices, corrupted GLB chunks and glTF JSON,
corrupted 3MF zips and models). The mutants are checked in batches by the real command line,
and every batch must: answer in time; exit 0, 1 or 2 (2 exactly when a file failed); print
the report as JSON on stdout; report every file, in order, ok or error; print exactly one
stderr line `miniscan: error: FILE: reason` per failed file and nothing else.
"""

from __future__ import annotations

import collections
import io
import json
import os
import re
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import trimesh

from conftest import ROOT, SAMPLES

SEED = 16
# mutants per (base file, mutator): the format-specific mutators have more to try
VARIANTS = {"gltf": 4, "zip": 4}
BATCHES = 2
# Seconds a batch of ~190 small files may take, start-up included (a loaded CI runner).
BATCH_SECONDS = 600
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src"),
       "VTK_DEFAULT_OPENGL_WINDOW": "vtkEGLRenderWindow"}
# faces of each sample kept for the base files: small enough that a batch is quick
PIECE_FACES = 400


# ---------------------------------------------------------------------- base files

def _pieces() -> list[tuple[str, np.ndarray, np.ndarray]]:
    from miniscan.loading import load

    out = []
    for p in sorted(SAMPLES.iterdir()):
        if p.suffix.lower() not in (".stl", ".obj", ".ply", ".glb"):
            continue
        m = load(p, units="mm")
        f = m.faces[:PIECE_FACES]
        used, inv = np.unique(f, return_inverse=True)
        out.append((p.stem, m.vertices[used], inv.reshape(-1, 3)))
    return out


def _bases(stem: str, v: np.ndarray, f: np.ndarray) -> dict[str, dict[str, bytes]]:
    """Every format of one piece: {file name: {name: bytes}} (a glTF brings its buffers)."""
    mesh = trimesh.Trimesh(v, f, process=False)
    scene = trimesh.Scene()
    scene.add_geometry(mesh, node_name="a", geom_name="piece")
    scene.add_geometry(mesh, node_name="b", geom_name="piece",
                       transform=trimesh.transformations.translation_matrix([50, 0, 0]))
    obj = "o first\n" + "".join(f"v {a:.5f} {b:.5f} {c:.5f}\nvt 0 0\n" for a, b, c in v) + \
        "".join(f"f {a + 1}/{a + 1} {b + 1}/{b + 1} {c + 1}/{c + 1}\n" for a, b, c in f[:200]) + \
        "o second\n" + "".join(f"f {a - len(v)} {b - len(v)} {c - len(v)}\n" for a, b, c in f[200:])
    pts = v[::2]
    gltf = scene.export(file_type="gltf")
    tree = json.loads(gltf["model.gltf"])
    files = {}
    for k, b in enumerate(tree["buffers"]):
        files[f"{stem}_{k}.bin"] = gltf[b["uri"]]
        b["uri"] = f"{stem}_{k}.bin"
    files[f"{stem}.gltf"] = json.dumps(tree).encode()
    return {
        f"{stem}.stl": {f"{stem}.stl": mesh.export(file_type="stl")},
        f"{stem}_ascii.stl": {f"{stem}_ascii.stl": mesh.export(file_type="stl_ascii").encode()},
        f"{stem}.obj": {f"{stem}.obj": obj.encode()},
        f"{stem}.ply": {f"{stem}.ply": mesh.export(file_type="ply")},
        f"{stem}_ascii.ply": {f"{stem}_ascii.ply": mesh.export(file_type="ply", encoding="ascii")},
        f"{stem}.off": {f"{stem}.off": mesh.export(file_type="off").encode()},
        f"{stem}.glb": {f"{stem}.glb": scene.export(file_type="glb")},
        f"{stem}.gltf": files,
        f"{stem}.3mf": {f"{stem}.3mf": scene.export(file_type="3mf")},
        f"{stem}.xyz": {f"{stem}.xyz": "".join(f"{a:.5f} {b:.5f} {c:.5f}\n"
                                               for a, b, c in pts).encode()},
        f"{stem}.pcd": {f"{stem}.pcd": _pcd(pts, "binary")},
        f"{stem}_ascii.pcd": {f"{stem}_ascii.pcd": _pcd(pts, "ascii")},
        f"{stem}_lzf.pcd": {f"{stem}_lzf.pcd": _pcd_lzf(pts)},
    }


def _pcd(pts, kind):
    head = (f"VERSION .7\nFIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nCOUNT 1 1 1\nWIDTH {len(pts)}\n"
            f"HEIGHT 1\nVIEWPOINT 0 0 0 1 0 0 0\nPOINTS {len(pts)}\nDATA {kind}\n").encode()
    if kind == "ascii":
        return head + "".join(f"{a:.5f} {b:.5f} {c:.5f}\n" for a, b, c in pts).encode()
    return head + np.asarray(pts, "<f4").tobytes()


def _pcd_lzf(pts) -> bytes:
    import tempfile

    import open3d as o3d

    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "c.pcd")
        o3d.io.write_point_cloud(path, o3d.geometry.PointCloud(o3d.utility.Vector3dVector(pts)),
                                 write_ascii=False, compressed=True)
        return Path(path).read_bytes()


# ---------------------------------------------------------------------- mutators

_NUMBER = re.compile(rb"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
_BAD_FLOATS = [b"nan", b"inf", b"-inf", b"1e308", b"-1e308", b"3.4028235e38", b"1e-320"]
_BAD_INTS = [b"0", b"-1", b"4294967295", b"99999999999", b"-99999999"]
_BAD_F32 = [np.float32(np.nan), np.float32(np.inf), np.finfo(np.float32).max, np.float32(-1e30)]


def flip(data: bytes, rng) -> bytes:
    b = bytearray(data)
    for i in rng.integers(0, len(b), rng.integers(1, 24)):
        b[i] ^= 1 << int(rng.integers(0, 8))
    return bytes(b)


def truncate(data: bytes, rng) -> bytes:
    return data[:int(rng.integers(0, len(data)))]


def garbage(data: bytes, rng) -> bytes:
    return data + rng.integers(0, 256, rng.integers(1, 4096), dtype=np.uint8).tobytes()


def header_lie(data: bytes, rng) -> bytes:
    """One number of the first 600 bytes (a header's counts) replaced by a lie."""
    hits = list(_NUMBER.finditer(data[:600]))
    if not hits:
        return flip(data, rng)
    m = hits[int(rng.integers(len(hits)))]
    n = int(float(m.group())) if m.group().lstrip(b"-").replace(b".", b"").isdigit() else 1
    lie = [b"0", b"4294967295", b"1000000000000", str(n * 1000).encode(),
           str(max(n - 1, 0)).encode()]
    return data[:m.start()] + lie[int(rng.integers(len(lie)))] + data[m.end():]


def bad_number(data: bytes, rng) -> bytes:
    """Text: a number in the body becomes NaN/inf/1e308 or a bad index. Binary: four bytes
    somewhere past the header become a float32 NaN/inf/max."""
    body = int(min(len(data) // 3, 600))
    if b"\0" in data[:400] or data[:5] in (b"glTF\x02", b"PK\x03\x04"):
        b = bytearray(data)
        at = int(rng.integers(body, max(len(b) - 4, body + 1))) & ~3
        b[at:at + 4] = struct.pack("<f", _BAD_F32[int(rng.integers(len(_BAD_F32)))])
        return bytes(b)
    hits = list(_NUMBER.finditer(data, body))
    if not hits:
        return flip(data, rng)
    m = hits[int(rng.integers(len(hits)))]
    pool = _BAD_INTS if b"." not in m.group() else _BAD_FLOATS
    return data[:m.start()] + pool[int(rng.integers(len(pool)))] + data[m.end():]


def glb_chunks(data: bytes, rng) -> bytes:
    """GLB: a chunk length, the total length or the JSON's counts and offsets lie."""
    if data[:4] != b"glTF":
        return gltf_json(data, rng)
    b = bytearray(data)
    choice = int(rng.integers(3))
    if choice == 0:  # a length field lies
        at = [8, 12, 20 + struct.unpack("<I", data[12:16])[0]][int(rng.integers(3))]
        if at + 4 <= len(b):
            b[at:at + 4] = struct.pack("<I", int(rng.choice([0, 7, 2**31, 2**32 - 1, len(b) * 3])))
        return bytes(b)
    n = struct.unpack("<I", data[12:16])[0]
    tree = json.loads(data[20:20 + n])
    body = _mutate_tree(tree, rng)
    js = json.dumps(body).encode()
    js += b" " * (-len(js) % 4)
    rest = data[20 + n + (-n % 4):]
    out = struct.pack("<II", len(js), 0x4E4F534A) + js + rest
    return struct.pack("<III", 0x46546C67, 2, 12 + len(out)) + out


def gltf_json(data: bytes, rng) -> bytes:
    try:
        tree = json.loads(data)
    except ValueError:
        return flip(data, rng)
    return json.dumps(_mutate_tree(tree, rng)).encode()


def _mutate_tree(tree: dict, rng) -> dict:
    edits = [
        ("accessors", "count", [0, 10**8, 10**12, -1, "x"]),
        ("accessors", "byteOffset", [10**9, -4, 3]),
        ("accessors", "componentType", [5130, 0, 5121]),
        ("accessors", "type", ["VEC9", "SCALAR", None]),
        ("bufferViews", "byteLength", [0, 10**10, -1]),
        ("bufferViews", "byteOffset", [10**10, 1]),
        ("bufferViews", "buffer", [7, -1]),
        ("buffers", "byteLength", [0, 2**31, 10**12]),
        ("buffers", "uri", ["../../etc/passwd", "/dev/zero", "file:///dev/zero", "missing.bin",
                            "data:application/octet-stream;base64,AAAA"]),
        ("nodes", "children", [[0], [10**6], [0, 0, 0], "x"]),
        ("nodes", "mesh", [10**6, -1, None]),
        ("nodes", "matrix", [[1, 2], [float("nan")] * 16, [1e308] * 16]),
        ("meshes", "primitives", [[], [{}], [{"attributes": {"POSITION": 10**6}}], None]),
    ]
    key, field, values = edits[int(rng.integers(len(edits)))]
    items = tree.get(key) or []
    if items:
        item = items[int(rng.integers(len(items)))]
        if isinstance(item, dict):
            item[field] = values[int(rng.integers(len(values)))]
    return tree


def zip_3mf(data: bytes, rng) -> bytes:
    """3MF: the zip's directory, or the model inside (items multiplied, indices out of range,
    coordinates huge, a DTD), or a member's declared size."""
    choice = int(rng.integers(4))
    if choice == 0:
        at = data.rfind(b"PK\x01\x02")
        b = bytearray(data)
        for i in rng.integers(max(at, 0), len(b), 8):
            b[i] ^= 0xFF
        return bytes(b)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            members = {n: z.read(n) for n in z.namelist()}
    except (zipfile.BadZipFile, OSError):
        return flip(data, rng)
    name = next((n for n in members if n.lower().endswith(".model")), None)
    if name is None:
        return flip(data, rng)
    model = members[name]
    if choice == 1:
        item = re.search(rb"<item [^>]*/>", model)
        if item:
            model = model.replace(item.group(), item.group() * int(rng.choice([2, 500, 40_000])))
    elif choice == 2:
        model = bad_number(model, rng)
    else:
        model = model.replace(b"<model", b'<!DOCTYPE m [<!ENTITY a "aaaa">]><model', 1)
    members[name] = model
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for n, d in members.items():
            z.writestr(n, d)
    return out.getvalue()


MUTATORS = {"flip": flip, "truncate": truncate, "garbage": garbage, "header": header_lie,
            "number": bad_number, "gltf": glb_chunks, "zip": zip_3mf}
_APPLIES = {"gltf": (".glb", ".gltf"), "zip": (".3mf",)}


def campaign(root: Path) -> list[Path]:
    """Write every mutant into root/batchK/; returns the batch directories."""
    rng = np.random.default_rng(SEED)
    dirs = [root / f"batch{k}" for k in range(BATCHES)]
    for d in dirs:
        d.mkdir(parents=True)
    count = 0
    for stem, v, f in _pieces():
        for base, files in _bases(stem, v, f).items():
            ext = Path(base).suffix
            for mname, mutate in MUTATORS.items():
                if mname in _APPLIES and ext not in _APPLIES[mname]:
                    continue
                for k in range(VARIANTS.get(mname, 1)):
                    out = dirs[count % BATCHES]
                    count += 1
                    tag = f"m{count:04d}_{mname}"
                    for fname, data in files.items():
                        data_out = mutate(data, rng) if fname == base else data
                        if ext == ".gltf" and fname == base:
                            data_out = data_out.replace(stem.encode() + b"_", tag.encode() + b"_")
                        new = fname.replace(stem, tag, 1)
                        (out / new).write_bytes(data_out)
    return dirs


# ---------------------------------------------------------------------- the campaign

@pytest.fixture(scope="module")
def batches(tmp_path_factory):
    return campaign(tmp_path_factory.mktemp("fuzz"))


def _mesh_files(d: Path) -> list[str]:
    from miniscan.loading import EXTENSIONS

    return sorted(str(p) for p in d.iterdir() if p.suffix.lower() in EXTENSIONS)


def test_campaign_size(batches):
    n = sum(len(_mesh_files(d)) for d in batches)
    assert 250 <= n <= 700, n  # about 77 files a sample mesh (8 samples: 616)


@pytest.mark.parametrize("k", range(BATCHES))
def test_contract_holds_for_every_mutant(batches, k):
    d = batches[k]
    files = _mesh_files(d)
    proc = subprocess.run([sys.executable, "-m", "miniscan", "check", str(d), "--format", "json",
                           "--select", "MS9", "--no-cache", "--jobs", "2", "--timeout", "120"],
                          capture_output=True, timeout=BATCH_SECONDS, env=ENV, cwd=d)
    assert proc.returncode in (0, 1, 2)
    report = json.loads(proc.stdout.decode("utf-8"))  # nothing else on stdout; valid UTF-8
    got = [(r["path"], r["status"]) for r in report["files"]]
    assert [p for p, _ in got] == files  # every file, in order
    assert {s for _, s in got} <= {"ok", "error"}
    failed = [r for r in report["files"] if r["status"] == "error"]
    want = [f"miniscan: error: {r['path']}: {r['error']}" for r in failed]
    assert proc.stderr.decode("utf-8").splitlines() == want  # one line each, nothing else
    assert (proc.returncode == 2) == bool(failed)
    for r in failed:
        assert r["error"] and "\n" not in r["error"] and "Traceback" not in r["error"]
        assert not r["error"].startswith(("cannot parse", "internal error")), r["error"]
    reasons = collections.Counter(re.sub(r"\b\d[\d,.]*\b", "N", r["error"])[:60] for r in failed)
    print(f"\nbatch {k}: {len(files)} files, {len(files) - len(failed)} ok, {len(failed)} "
          f"errors, exit {proc.returncode}; top reasons: {reasons.most_common(4)}")
