"""Hostile input: one regression test per failure of the fuzz campaign (issue 16), each with
its minimal reproducer built here, plus the worker pool's promises.

The contract (docs/robustness.md): no hang, no allocation a header or instancing asks for
before it is checked, a file that fails costs only itself, stdout carries only the report,
stderr one line per failed file, reasons in words.
"""

from __future__ import annotations

import io
import json
import os
import re
import struct
import subprocess
import sys
import time
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
import trimesh

from miniscan import pool
from miniscan.cache import file_digest
from miniscan.conditions import resolve
from miniscan.loading import LoadError, load
from miniscan.runner import FileJob, RunOptions

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src"),
       "VTK_DEFAULT_OPENGL_WINDOW": "vtkEGLRenderWindow"}
# A command that used to hang must answer within this (s): generous for a loaded CI runner.
ANSWER_SECONDS = 240


# ---------------------------------------------------------------------- reproducers

def sphere(subdivisions=2, radius=10.0):
    s = trimesh.creation.icosphere(subdivisions=subdivisions, radius=radius)
    return np.asarray(s.vertices, float), np.asarray(s.faces, np.int64)


def stl_bytes(v, f) -> bytes:
    rec = np.zeros(len(f), dtype=[("n", "<f4", 3), ("v", "<f4", (3, 3)), ("a", "<u2")])
    rec["v"] = v[f]
    return b"\0" * 80 + struct.pack("<I", len(f)) + rec.tobytes()


def obj_text(v, f) -> str:
    return ("".join(f"v {float(a)!r} {float(b)!r} {float(c)!r}\n" for a, b, c in v)
            + "".join(f"f {a + 1} {b + 1} {c + 1}\n" for a, b, c in f))


def glb_bytes(tree: dict, binary: bytes = b"") -> bytes:
    js = json.dumps(tree).encode()
    js += b" " * (-len(js) % 4)
    binary += b"\0" * (-len(binary) % 4)
    body = struct.pack("<II", len(js), 0x4E4F534A) + js
    if binary:
        body += struct.pack("<II", len(binary), 0x004E4942) + binary
    return struct.pack("<III", 0x46546C67, 2, 12 + len(body)) + body


def gltf_tree(v, f, nodes, uri=None) -> tuple[dict, bytes]:
    """One indexed mesh (float32 positions, uint32 indices) and the given nodes."""
    pos, idx = v.astype("<f4").tobytes(), f.astype("<u4").tobytes()
    buf = {"byteLength": len(pos) + len(idx), **({"uri": uri} if uri else {})}
    tree = {"asset": {"version": "2.0"}, "buffers": [buf],
            "bufferViews": [{"buffer": 0, "byteLength": len(pos)},
                            {"buffer": 0, "byteOffset": len(pos), "byteLength": len(idx)}],
            "accessors": [{"bufferView": 0, "componentType": 5126, "count": len(v),
                           "type": "VEC3", "min": v.min(0).tolist(), "max": v.max(0).tolist()},
                          {"bufferView": 1, "componentType": 5125, "count": f.size,
                           "type": "SCALAR"}],
            "meshes": [{"primitives": [{"attributes": {"POSITION": 0}, "indices": 1}]}],
            "nodes": nodes, "scenes": [{"nodes": list(range(len(nodes)))}], "scene": 0}
    return tree, pos + idx


def threemf_bytes(v, f, items: int, extra: dict | None = None, model_tail: bytes = b"") -> bytes:
    verts = "".join(f'<vertex x="{x:.4f}" y="{y:.4f}" z="{z:.4f}"/>' for x, y, z in v)
    tris = "".join(f'<triangle v1="{a}" v2="{b}" v3="{c}"/>' for a, b, c in f)
    build = "".join(f'<item objectid="1" transform="1 0 0 0 1 0 0 0 1 {i % 100 * 30} '
                    f'{i // 100 * 30} 0"/>' for i in range(items))
    model = ('<?xml version="1.0" encoding="UTF-8"?>\n<model unit="millimeter" '
             'xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02"><resources>'
             f'<object id="1" type="model"><mesh><vertices>{verts}</vertices><triangles>{tris}'
             f'</triangles></mesh></object></resources><build>{build}</build></model>').encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("_rels/.rels", '<Relationships xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/relationships"><Relationship Target="/3D/3dmodel.model" '
                   'Id="r0" Type="http://schemas.microsoft.com/3dmanufacturing/2013/01/'
                   '3dmodel"/></Relationships>')
        with z.open("3D/3dmodel.model", "w") as fh:
            fh.write(model + model_tail)
        for name, (chunk, times) in (extra or {}).items():
            with z.open(name, "w") as fh:
                for _ in range(times):
                    fh.write(chunk)
    return out.getvalue()


def pcd_bytes(pts, kind="binary") -> bytes:
    head = (f"VERSION .7\nFIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nCOUNT 1 1 1\nWIDTH {len(pts)}\n"
            f"HEIGHT 1\nVIEWPOINT 0 0 0 1 0 0 0\nPOINTS {len(pts)}\nDATA {kind}\n").encode()
    if kind == "ascii":
        return head + "".join(f"{x:.6f} {y:.6f} {z:.6f}\n" for x, y, z in pts).encode()
    return head + np.asarray(pts, "<f4").tobytes()


def blob(n=400, scale=10.0, seed=16):
    p = np.random.default_rng(seed).normal(size=(n, 3))
    return scale * p / np.linalg.norm(p, axis=1, keepdims=True)


def miniscan(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "miniscan", *map(str, args)], capture_output=True,
                          timeout=ANSWER_SECONDS, env=ENV, cwd=cwd)


def error_lines(stderr: bytes) -> list[str]:
    return stderr.decode("utf-8").splitlines()


def refused_before_parsing(monkeypatch):
    """Make trimesh's and open3d's readers fail the test if they are reached."""
    def boom(*a, **k):
        raise AssertionError("a parser was reached: the structural check came too late")

    monkeypatch.setattr(trimesh, "load_scene", boom)


def peak_mb(fn) -> float:
    tracemalloc.start()
    try:
        fn()
    except LoadError:
        pass
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6


# ---------------------------------------------------------------------- 1, 2: hangs

def test_1_fifo_and_device_do_not_hang_the_cache_digest(tmp_path):
    os.mkfifo(tmp_path / "x.stl")
    os.symlink("/dev/zero", tmp_path / "z.stl")
    (tmp_path / "ok.stl").write_bytes(stl_bytes(*sphere()))
    for bad in ("x.stl", "z.stl"):
        assert file_digest(tmp_path / bad) is None
        with pytest.raises(LoadError, match="not a regular file"):
            load(tmp_path / bad)
    p = miniscan("check", tmp_path, "--select", "MS9", "-f", "json", cwd=tmp_path)  # cache on
    assert p.returncode == 2
    rep = json.loads(p.stdout)
    assert [(Path(f["path"]).name, f["status"]) for f in rep["files"]] == \
        [("ok.stl", "ok"), ("x.stl", "error"), ("z.stl", "error")]


def test_1_links_out_of_the_folder_are_not_read(tmp_path):
    outside = tmp_path / "outside.stl"
    outside.write_bytes(stl_bytes(*sphere()))
    (tmp_path / "repo").mkdir()
    os.symlink(outside, tmp_path / "repo" / "leak.stl")
    os.symlink(outside, tmp_path / "repo" / "inside.stl")
    with pytest.raises(LoadError, match="outside its folder"):
        load(tmp_path / "repo" / "leak.stl")
    assert file_digest(tmp_path / "repo" / "leak.stl") is None
    (tmp_path / "repo" / "real.stl").write_bytes(stl_bytes(*sphere()))
    os.symlink("real.stl", tmp_path / "repo" / "alias.stl")  # a link inside the folder is fine
    assert load(tmp_path / "repo" / "alias.stl", units="mm").n_faces == 320


def test_2_referenced_fifo_or_outside_file_is_not_read(tmp_path):
    v, f = sphere()
    os.mkfifo(tmp_path / "buf.bin")
    tree, _ = gltf_tree(v, f, [{"mesh": 0}], uri="buf.bin")
    (tmp_path / "fifo.gltf").write_text(json.dumps(tree))
    with pytest.raises(LoadError, match="buffer 'buf.bin': not a regular file"):
        load(tmp_path / "fifo.gltf")
    (tmp_path / "secret.bin").write_bytes(gltf_tree(v, f, [])[1])
    (tmp_path / "sub").mkdir()
    for uri in ("../secret.bin", str(tmp_path / "secret.bin"), "file:///etc/passwd",
                "http://example.com/x.bin", "%2e%2e/secret.bin"):
        tree, _ = gltf_tree(v, f, [{"mesh": 0}], uri=uri)
        (tmp_path / "sub" / "m.gltf").write_text(json.dumps(tree))
        with pytest.raises(LoadError, match="not a file beside it|outside its folder"):
            load(tmp_path / "sub" / "m.gltf")
    os.mkfifo(tmp_path / "m.mtl")  # a FIFO material library is refused, the shape reads
    (tmp_path / "fifo_mtl.obj").write_text("mtllib m.mtl\nusemtl x\n" + obj_text(v, f))
    m = load(tmp_path / "fifo_mtl.obj", units="mm")
    assert m.n_faces == len(f) and m.vertex_rgb is None


def _png(w: int, h: int) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(np.full((h, w, 3), 200, np.uint8)).save(out, "PNG")
    return out.getvalue()


def _huge_png_header(w: int, h: int) -> bytes:
    """A PNG whose header declares w x h pixels, followed by a few bytes of data."""
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\0" * 4096)) + chunk(b"IEND", b""))


def _textured_obj_folder(folder: Path, map_kd: str) -> Path:
    """A UV-mapped sphere in `folder` whose one material's map_Kd is `map_kd`."""
    v, f = sphere()
    uv = (v[:, :2] / 20.0 + 0.5).tolist()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "m.mtl").write_text(f"newmtl paint\nKd 0.8 0.8 0.8\nmap_Kd {map_kd}\n")
    (folder / "s.obj").write_text(
        "mtllib m.mtl\nusemtl paint\n"
        + "".join(f"v {a!r} {b!r} {c!r}\n" for a, b, c in v.tolist())
        + "".join(f"vt {a!r} {b!r}\n" for a, b in uv)
        + "".join(f"f {a}/{a} {b}/{b} {c}/{c}\n" for a, b, c in (f + 1).tolist()))
    return folder / "s.obj"


def test_2_obj_textures_are_read_only_inside_the_folder_and_never_fail_the_shape(
        tmp_path, monkeypatch):
    opened = []
    real_open = os.open
    monkeypatch.setattr(os, "open", lambda p, *a, **k: (opened.append(os.fspath(p)),
                                                          real_open(p, *a, **k))[1])
    (tmp_path / "outside.png").write_bytes(_png(8, 8))
    home = tmp_path / "repo"
    home.mkdir()
    (home / "t.png").write_bytes(_png(8, 8))
    good = load(_textured_obj_folder(home, "t.png"), units="mm")
    assert good.metadata["colour_source"] == "texture"  # the control: a texture beside it reads
    assert np.allclose(good.vertex_rgb, 200 / 255)
    os.symlink(tmp_path / "outside.png", home / "link.png")
    os.mkfifo(home / "fifo.png")
    (home / "cut.png").write_bytes(_png(64, 64)[:-40])  # truncated in its image data
    (home / "huge.png").write_bytes(_huge_png_header(100_000, 100_000))  # 1e10 pixels declared
    (home / "big.png").write_bytes(_huge_png_header(9_000, 9_000))  # over 8K, under Pillow's
    (home / "text.png").write_text("not an image")
    hostile = ["../outside.png", str(tmp_path / "outside.png"), "file:///etc/passwd",
               "link.png", "fifo.png", "cut.png", "huge.png", "big.png", "text.png", "missing.png",
               "sub\\..\\..\\outside.png", "-s 1 1 1 ../outside.png"]
    for uri in hostile:
        m = load(_textured_obj_folder(home, uri), units="mm")
        assert m.n_faces == good.n_faces, uri  # the shape always reads
        assert m.vertex_rgb is None and "colour_source" not in m.metadata, uri
    assert not [p for p in opened if "outside" in p or p.endswith("fifo.png")]


def test_7_obj_textures_count_against_the_max_faces_budget(tmp_path):
    from PIL import Image

    noise = np.random.default_rng(0).integers(0, 256, (700, 700, 3), dtype=np.uint8)
    Image.fromarray(noise).save(tmp_path / "t.png")
    assert (tmp_path / "t.png").stat().st_size > 1.4e6  # over 1,000 faces' 1.4 MB budget
    p = _textured_obj_folder(tmp_path, "t.png")
    assert load(p, units="mm").metadata["colour_source"] == "texture"
    m = load(p, units="mm", max_faces=1000)
    assert m.n_faces == 320 and m.vertex_rgb is None


# ---------------------------------------------------------------------- 3: ball pivoting

def test_3_micrometre_cloud_is_refused_and_pivoting_is_scale_free(tmp_path):
    gauss = np.random.default_rng(16).normal(size=(3000, 3))
    p = tmp_path / "tiny.xyz"
    np.savetxt(p, gauss * 1e-13)
    with pytest.raises(LoadError, match="under a micrometre"):
        load(p)
    from miniscan.loading.points import surface_from_points

    shape = []
    for scale in (1.0, 2e-3):  # 2e-3 mm across-ish: kept, and pivoted in well under a second
        t = time.perf_counter()
        v, faces = surface_from_points("blob", gauss * scale)
        assert time.perf_counter() - t < 60
        shape.append((len(faces), np.ptp(v, axis=0) / scale))
    assert shape[0][0] == shape[1][0]  # the same triangles at any scale
    np.testing.assert_allclose(shape[0][1], shape[1][1], rtol=1e-9)


# ---------------------------------------------------------------------- 4: PCD headers

@pytest.mark.parametrize("cut", [80, 120, 160])
def test_4_truncated_pcd_is_refused_before_open3d(tmp_path, cut):
    data = pcd_bytes(blob(500))
    p = tmp_path / "cut.pcd"
    p.write_bytes(data[:cut])
    with pytest.raises(LoadError, match="PCD"):
        load(p, units="mm")


def test_4_pcd_counts_are_checked_against_the_data(tmp_path):
    pts = blob(500)
    for name, data, reason in (
            ("short.pcd", pcd_bytes(pts, "ascii").replace(b"POINTS 500", b"POINTS 900")
             .replace(b"WIDTH 500", b"WIDTH 900"), "holds 500 lines"),
            ("lying.pcd", pcd_bytes(pts).replace(b"POINTS 500", b"POINTS 50000000")
             .replace(b"WIDTH 500", b"WIDTH 50000000"), "over the"),
            ("width.pcd", pcd_bytes(pts).replace(b"WIDTH 500", b"WIDTH 7"), "WIDTH x HEIGHT"),
            ("fields.pcd", pcd_bytes(pts).replace(b"SIZE 4 4 4", b"SIZE 4 4"), "disagree")):
        (tmp_path / name).write_bytes(data)
        with pytest.raises(LoadError, match=reason):
            load(tmp_path / name, units="mm", max_faces=1_000_000)
    (tmp_path / "ok.pcd").write_bytes(pcd_bytes(pts))
    (tmp_path / "ok_ascii.pcd").write_bytes(pcd_bytes(pts, "ascii"))
    a, b = load(tmp_path / "ok.pcd", units="mm"), load(tmp_path / "ok_ascii.pcd", units="mm")
    assert a.source == b.source == "point-cloud" and a.n_faces > 100


# ---------------------------------------------------------------------- 5, 6: instancing

def test_5_3mf_instance_bomb_is_counted_before_it_is_built(tmp_path, monkeypatch):
    v, f = sphere(3)  # 1,280 faces
    p = tmp_path / "items.3mf"
    p.write_bytes(threemf_bytes(v, f, 20_000))
    assert p.stat().st_size < 100_000
    refused_before_parsing(monkeypatch)
    with pytest.raises(LoadError, match="instantiates 25,600,000 faces"):
        load(p)


def test_5_glb_node_bombs_are_counted_before_they_are_built(tmp_path, monkeypatch):
    v, f = sphere()  # 320 faces
    tree, binary = gltf_tree(v, f, [{"mesh": 0, "translation": [i * 30.0, 0, 0]}
                                    for i in range(100_000)])
    (tmp_path / "nodes.glb").write_bytes(glb_bytes(tree, binary))
    # 40 levels, each node twice the child of the one above: 2^40 paths to one mesh
    chain = [{"children": [k + 1, k + 1]} for k in range(40)] + [{"mesh": 0}]
    tree, binary = gltf_tree(v, f, chain)
    tree["scenes"] = [{"nodes": [0]}]
    (tmp_path / "doubling.glb").write_bytes(glb_bytes(tree, binary))
    tree["nodes"] = [{"children": [1]}, {"children": [0], "mesh": 0}]
    (tmp_path / "cycle.glb").write_bytes(glb_bytes(tree, binary))
    refused_before_parsing(monkeypatch)
    with pytest.raises(LoadError, match="instantiates 32,000,000 faces"):
        load(tmp_path / "nodes.glb")
    with pytest.raises(LoadError, match=f"instantiates {320 * 2**40:,} faces"):
        load(tmp_path / "doubling.glb")
    with pytest.raises(LoadError, match="cycle"):
        load(tmp_path / "cycle.glb")


def test_6_accessor_without_data_is_refused(tmp_path, monkeypatch):
    tree = {"asset": {"version": "2.0"},
            "accessors": [{"componentType": 5126, "count": 100_000_000, "type": "VEC3"}],
            "meshes": [{"primitives": [{"attributes": {"POSITION": 0}}]}],
            "nodes": [{"mesh": 0}], "scenes": [{"nodes": [0]}], "scene": 0}
    p = tmp_path / "bufferless.gltf"
    p.write_text(json.dumps(tree))
    assert p.stat().st_size < 1000
    refused_before_parsing(monkeypatch)
    with pytest.raises(LoadError, match="holds no data"):
        load(p)
    tree["accessors"][0]["count"] = 30  # small, but positions that are all zeros: no mesh
    p.write_text(json.dumps(tree))
    with pytest.raises(LoadError, match="hold no data"):
        load(p)
    v, f = sphere()
    tree, binary = gltf_tree(v, f, [{"mesh": 0}])
    tree["accessors"][1]["count"] = 10**9  # more indices than the buffer view holds
    (tmp_path / "long.glb").write_bytes(glb_bytes(tree, binary))
    with pytest.raises(LoadError, match="accessor 1 needs"):
        load(tmp_path / "long.glb")


# ---------------------------------------------------------------------- 7: size limits

def test_7_3mf_members_are_bounded(tmp_path):
    v, f = sphere()
    # 256 MB of zeros beside the model: never inflated
    p = tmp_path / "member.3mf"
    p.write_bytes(threemf_bytes(v, f, 1, {"Metadata/huge.bin": (b"\0" * 2**20, 256)}))
    assert p.stat().st_size < 2 * 2**20
    assert peak_mb(lambda: load(p)) < 60
    assert load(p).n_faces == len(f)
    # the model part itself padded into a bomb: refused by its inflation ratio
    bomb = tmp_path / "bomb.3mf"
    bomb.write_bytes(threemf_bytes(v, f, 1, model_tail=b" " * 64 * 2**20))
    with pytest.raises(LoadError, match="zip bomb"):
        load(bomb)
    # model parts larger than --max-faces can need (4 MB of hex in a comment)
    noise = np.random.default_rng(7).integers(0, 16, 4 * 2**20).astype(np.uint8)
    tail = b"<!--" + np.frombuffer(b"0123456789abcdef", np.uint8)[noise].tobytes() + b"-->"
    (tmp_path / "large.3mf").write_bytes(threemf_bytes(v, f, 1, model_tail=tail))
    with pytest.raises(LoadError, match="--max-faces 1,000"):
        load(tmp_path / "large.3mf", max_faces=1000)
    assert load(tmp_path / "large.3mf", max_faces=10_000).n_faces == len(f)


def test_7_glb_buffer_beside_it_is_read_only_as_far_as_used(tmp_path):
    v, f = sphere()
    tree, binary = gltf_tree(v, f, [{"mesh": 0}], uri="big.bin")
    tree["buffers"][0]["byteLength"] = 2 * 1024**3
    (tmp_path / "sparse.gltf").write_text(json.dumps(tree))
    with open(tmp_path / "big.bin", "wb") as fh:  # sparse: 2 GB on paper, nothing on disk
        fh.write(binary)
        fh.truncate(2 * 1024**3)
    assert peak_mb(lambda: load(tmp_path / "sparse.gltf")) < 60
    assert load(tmp_path / "sparse.gltf").n_faces == len(f)


@pytest.mark.parametrize("ext", ["obj", "ply", "xyz", "off", "stl"])
def test_7_gigabyte_of_nul_is_refused_without_reading_it(tmp_path, ext):
    p = tmp_path / f"nul.{ext}"
    with open(p, "wb") as fh:
        fh.truncate(1024**3)
    t = time.perf_counter()
    assert peak_mb(lambda: load(p)) < 60
    with pytest.raises(LoadError):
        load(p)
    assert time.perf_counter() - t < 60


def test_7_file_larger_than_its_format_can_need_is_refused(tmp_path):
    p = tmp_path / "padded.obj"
    v, f = sphere()
    p.write_text(obj_text(v, f) + "#" * 3_000_000 + "\n")
    with pytest.raises(LoadError, match="more than a OBJ file can need|raise it"):
        load(p, max_faces=1000)
    assert load(p, max_faces=10_000).n_faces == len(f)


# ---------------------------------------------------------------------- 8, 9, 10: output

def test_8_native_output_never_reaches_our_descriptors(capfd):
    from miniscan.safety import quiet_native

    with quiet_native() as cap:
        os.write(1, b"[Open3D WARNING] straight to fd 1\n")
        os.write(2, b"straight to fd 2\n")
        np.float64(1e308) * 10  # overflow: no RuntimeWarning printed
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    assert "Open3D WARNING" in cap.text and "fd 2" in cap.text


def test_8_json_stdout_parses_with_a_pcd_open3d_rejects(tmp_path):
    pts = blob(500).astype("<f4")
    head = pcd_bytes(pts).split(b"DATA")[0] + b"DATA binary_compressed\n"
    packed = b"\xff" * 64  # sizes that fit, bytes that do not decompress
    (tmp_path / "bad.pcd").write_bytes(head + struct.pack("<II", len(packed), 500 * 12) + packed)
    (tmp_path / "good.stl").write_bytes(stl_bytes(*sphere()))
    for timeout in ("600", "0"):  # in a worker, and in this process
        p = miniscan("check", tmp_path, "-f", "json", "--select", "MS9", "--no-cache",
                     "--timeout", timeout, "--units", "mm")
        rep = json.loads(p.stdout)
        assert [f["status"] for f in rep["files"]] == ["error", "ok"]
        assert error_lines(p.stderr) == [f"miniscan: error: {tmp_path / 'bad.pcd'}: "
                                         + rep["files"][0]["error"]]


def test_9_stderr_stays_one_line_per_file(tmp_path):
    v, f = sphere()
    v[0] = 1e308
    (tmp_path / "huge.obj").write_text(obj_text(v, f))
    (tmp_path / "new\nline.stl").write_bytes(b"")
    p = miniscan("check", tmp_path, "--select", "MS9", "--no-cache")
    assert p.returncode == 2
    lines = error_lines(p.stderr)
    assert len(lines) == 2 and all(ln.startswith("miniscan: error: ") for ln in lines)
    assert "1 km" in lines[0]
    assert lines[1] == f"miniscan: error: {tmp_path}/new\\nline.stl: file is empty"


def test_10_file_name_that_is_not_utf8(tmp_path):
    name = os.fsencode(tmp_path) + b"/ok\xff.stl"
    with open(name, "wb") as fh:
        fh.write(stl_bytes(*sphere()))
    p = miniscan("check", tmp_path, "-f", "json", "--select", "MS9", "--no-cache",
                 "--units", "mm")
    assert p.returncode == 0, p.stderr
    rep = json.loads(p.stdout.decode("utf-8"))  # strict UTF-8
    assert rep["files"][0]["path"] == f"{tmp_path}/ok\\xff.stl"
    assert rep["files"][0]["mesh"]["parts"] == ["ok\\xff.stl"]


# ---------------------------------------------------------------------- 11, 12: parsing

def test_11_garbage_is_not_accepted_as_ok(tmp_path):
    v, f = sphere()
    rows = "".join(f"{a} {b} {c}\n" for a, b, c in v[:162])
    faces = "".join(f"3 {a} {b} {c}\n" for a, b, c in f)
    (tmp_path / "liar.ply").write_text(
        "ply\nformat ascii 1.0\nelement vertex 20000001\nproperty float x\nproperty float y\n"
        f"property float z\nelement face {len(f)}\nproperty list uchar int vertex_indices\n"
        "end_header\n" + rows + faces)
    with pytest.raises(LoadError, match="20,000,001 vertex.* holds 482 lines"):
        load(tmp_path / "liar.ply")
    (tmp_path / "zero.obj").write_text("v 0 0 0\nv 10 0 0\nv 0 10 0\nv 0 0 10\nf 0 1 2\nf 1 2 3\n")
    with pytest.raises(LoadError, match="vertex 0, but OBJ counts vertices from 1"):
        load(tmp_path / "zero.obj")


def test_12_obj_with_200000_objects_parses_in_linear_time(tmp_path):
    n = 200_000
    verts = "".join(f"v {i % 500} {i // 500} {i % 7}\n" for i in range(n + 2))
    objs = "".join(f"o part{i}\nf {i + 1} {i + 2} {i + 3}\n" for i in range(n))
    (tmp_path / "objects.obj").write_text(verts + objs)
    t = time.perf_counter()
    m = load(tmp_path / "objects.obj", units="mm")
    assert time.perf_counter() - t < 60  # was 251 s: quadratic in objects
    assert m.n_faces == n and len(m.part_names) == n
    assert len(np.unique(m.face_part())) == n


def test_obj_indices_of_every_form(tmp_path):
    p = tmp_path / "forms.obj"
    p.write_text("v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nvt 0 0\nvn 0 0 1\n"
                 "f 1/1/1 2/1/1 3//1\nf -4 -2 -1\no quad\nf 1 2 3 4\n")
    m = load(p, units="mm")
    assert m.n_faces == 4 and m.part_names == ("quad", "forms.obj")
    for bad, why in (("f 1 2 9\n", "defines 4 vertices"), ("f 1 2\n", "at least three"),
                     ("f 1 x 3\n", "not a vertex number"), ("f -9 1 2\n", "vertex -9")):
        p.write_text("v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\n" + bad)
        with pytest.raises(LoadError, match=why):
            load(p, units="mm")


# ---------------------------------------------------------------------- 13: families

def test_13_float32_max_coordinates_are_a_load_error(tmp_path):
    v, f = sphere()
    (tmp_path / "f32max.stl").write_bytes(stl_bytes(v / 10 * np.finfo(np.float32).max, f))
    with pytest.raises(LoadError, match="1 km"):
        load(tmp_path / "f32max.stl")
    (tmp_path / "metres.stl").write_bytes(stl_bytes(v * 200, f))  # 4 km across in metres
    with pytest.raises(LoadError, match="wrong --units"):
        load(tmp_path / "metres.stl", units="m")


def test_13_coincident_instances_are_one_and_every_family_runs(tmp_path):
    from miniscan.runner import check_model

    v, f = sphere()
    tree, binary = gltf_tree(v / 1000, f, [{"mesh": 0} for _ in range(1000)]
                             + [{"mesh": 0, "translation": [0.05, 0, 0]}])
    (tmp_path / "spheres.glb").write_bytes(glb_bytes(tree, binary))
    m = load(tmp_path / "spheres.glb")
    assert m.n_faces == 2 * len(f) and len(m.part_names) == 2
    fr = check_model(m, resolve("tabletop"))
    assert [c.status for c in fr.checks if c.status == "error"] == []


# ---------------------------------------------------------------------- words, not exceptions

RAW = re.compile(r"cannot parse|Error\b|StopIteration|Traceback|'quux'|local variable")


def test_errors_are_words_a_user_can_act_on(tmp_path):
    v, f = sphere()
    tree, binary = gltf_tree(v, f, [{"mesh": 0}])
    cases = {
        "empty_zip.3mf": _zip({"Metadata/x.txt": b"hi"}),
        "quux.glb": glb_bytes({**tree, "accessors": [{**tree["accessors"][0], "type": "quux"},
                                                      tree["accessors"][1]]}, binary),
        "nojson.glb": glb_bytes({"asset": {"version": "2.0"}})[:-3] + b"\xff\xff\xff",
        "v1.gltf": json.dumps({"asset": {"version": "1.0"}}).encode(),
        "list.gltf": b"[1, 2, 3]",
        "children.glb": glb_bytes({**tree, "nodes": [{"mesh": 0, "children": [7]}]}, binary),
        "node_mesh.glb": glb_bytes({**tree, "nodes": [{"mesh": "quux"}]}, binary),
        "ascii.stl": b"solid x\nfacet normal 0 0 1\nouter loop\nvertex 0 0 quux\nendloop\n",
        "head.ply": b"ply\nformat ascii 1.0\nelement vertex quux\nend_header\n",
        "odd.ply": b"ply\nformat binary_little_endian 1.0\nelement vertex 3\nproperty quux x\n"
                   b"end_header\n",
        "dtd.3mf": _zip({"3D/3dmodel.model": b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "aa">]>'
                                             b"<model>&a;</model>"}),
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(LoadError) as e:
            load(tmp_path / name)
        assert not RAW.search(e.value.reason), f"{name}: {e.value.reason}"


def test_flat_point_cloud_is_surfaced_not_a_qhull_error(tmp_path):
    g = np.stack(np.meshgrid(np.arange(20.0), np.arange(20.0)), -1).reshape(-1, 2)
    p = tmp_path / "flat.xyz"
    np.savetxt(p, np.column_stack([g, np.zeros(len(g))]))  # coplanar: qhull refuses it
    m = load(p, units="mm")
    assert m.n_faces > 300 and np.ptp(m.vertices[:, 2]) == 0


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for k, v in members.items():
            z.writestr(k, v)
    return out.getvalue()


# ---------------------------------------------------------------------- the worker pool

def _jobs(tmp_path, names):
    cond, opts = resolve("tabletop"), RunOptions()
    return [(i, FileJob(str(tmp_path / n), cond, opts)) for i, n in enumerate(names)]


def _run(tmp_path, names, workers=1, timeout=None):
    from pool_work import misbehave

    got = []
    pool.run(_jobs(tmp_path, names), workers, timeout, lambda i, fr: got.append((i, fr)),
             work=misbehave)
    assert sorted(i for i, _ in got) == list(range(len(names)))  # every file, once
    return {i: fr for i, fr in got}


def test_a_hang_costs_its_own_file_and_the_clock_is_per_file(tmp_path):
    t = time.perf_counter()
    res = _run(tmp_path, ["a.stl", "hang.stl", "b.stl"], timeout=3)
    assert [res[i].status for i in range(3)] == ["ok", "error", "ok"]
    assert "took longer than the 3 s time limit (--timeout)" in res[1].error
    assert time.perf_counter() - t < 3 + pool._START_SECONDS


def test_native_crashes_cost_their_own_file(tmp_path, capfd):
    res = _run(tmp_path, ["a.stl", "segv.stl", "chatty.stl", "abort.stl", "exit.stl",
                          "raise.stl", "b.stl"])
    assert [res[i].status for i in range(7)] == ["ok", "error", "ok", "error", "error",
                                                 "error", "ok"]
    assert "segmentation fault" in res[1].error and "native: about to fault" in res[1].error
    assert "an abort" in res[3].error and "status 3" in res[4].error
    assert res[5].error == "internal error: RuntimeError: a bug"
    out, err = capfd.readouterr()
    assert out == "" and err == ""  # workers never write to our descriptors
    assert res[0].error != res[2].error  # the crashed worker was replaced


def test_one_worker_serves_a_whole_batch(tmp_path):
    res = _run(tmp_path, [f"f{k}.stl" for k in range(5)])
    assert len({fr.error for fr in res.values()}) == 1  # the same pid


def test_several_workers_keep_input_order_through_the_runner(tmp_path):
    from miniscan.runner import check_paths

    d = tmp_path / "batch"
    d.mkdir()
    box = trimesh.creation.box(extents=(10, 8, 6))
    for k in range(4):
        (d / f"m{k}.stl").write_bytes(box.copy().apply_scale(1 + k / 5).export(file_type="stl"))
    (d / "m1.stl").write_bytes(b"")
    opts = RunOptions(units="mm", families=("health",))
    serial = check_paths([d], resolve("tabletop"), opts, jobs=1)
    pooled = check_paths([d], resolve("tabletop"), opts, jobs=2, timeout=120)
    from miniscan.output.json_report import to_json

    assert to_json(serial, with_timings=False) == to_json(pooled, with_timings=False)
    assert [f.status for f in pooled.files] == ["ok", "error", "ok", "ok"]


def test_timeout_option(tmp_path):
    from typer.testing import CliRunner

    from miniscan.cli import app

    r = CliRunner().invoke(app, ["check", "--help"])
    assert "--timeout" in r.output
    (tmp_path / "a.stl").write_bytes(stl_bytes(*sphere()))
    assert CliRunner().invoke(app, ["check", str(tmp_path), "--timeout", "-1"]).exit_code == 2
