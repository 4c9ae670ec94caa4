"""loading/: every format, seams, units, and every kind of bad input."""

from __future__ import annotations

import struct

import numpy as np
import pytest
import trimesh

from miniscan.loading import LoadError, guess_units, load

from conftest import corpus_files


@pytest.fixture(scope="module")
def cube_mesh():
    return trimesh.creation.box(extents=(20.0, 10.0, 5.0))


FORMATS = ["stl", "stl_ascii", "obj", "ply", "ply_ascii", "off", "glb", "3mf"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_mesh_format_loads(tmp_path, cube_mesh, fmt):
    ext = fmt.split("_")[0]
    path = tmp_path / f"cube.{ext}"
    if fmt.startswith("ply"):
        data = cube_mesh.export(file_type="ply", encoding="ascii" if fmt == "ply_ascii" else "binary")
    else:
        data = cube_mesh.export(file_type=fmt)
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    m = load(path, units="mm" if ext != "glb" else None)
    assert m.n_faces == 12
    assert m.n_vertices == 8  # seams and STL's per-face vertices merged
    ext_mm = np.sort(m.extents)
    if ext == "glb":  # glTF is metres by convention: 20 'units' become 20 m
        assert not m.units_guessed and m.units == "m"
        ext_mm = ext_mm / 1000
    np.testing.assert_allclose(ext_mm, [5, 10, 20], rtol=1e-6)


def test_up_axis(tmp_path):
    box = trimesh.creation.box(extents=(1.0, 3.0, 2.0))  # tallest along Y
    glb = tmp_path / "tall.glb"
    glb.write_bytes(box.export(file_type="glb"))
    np.testing.assert_allclose(load(glb).extents, [1000, 2000, 3000])  # glTF: +Y up -> +Z
    np.testing.assert_allclose(load(glb, up="z").extents, [1000, 3000, 2000])
    obj = tmp_path / "tall.obj"
    obj.write_text(box.export(file_type="obj"))
    np.testing.assert_allclose(load(obj, units="mm").extents, [1, 3, 2])
    np.testing.assert_allclose(load(obj, units="mm", up="y").extents, [1, 2, 3])
    # a rotation, not a mirror: orientation (signed volume) is kept
    m = load(obj, units="mm", up="y")
    t = m.vertices[m.faces]
    assert np.einsum("ij,ij->i", t[:, 0], np.cross(t[:, 1], t[:, 2])).sum() > 0


def test_gltf_with_external_buffer(tmp_path, cube_mesh):
    files = trimesh.Scene(cube_mesh).export(file_type="gltf")
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    m = load(tmp_path / "model.gltf")
    assert m.n_faces == 12 and m.units == "m"


def test_a_utf8_marked_obj_keeps_its_first_vertex(tmp_path):
    """Windows editors start UTF-8 text with a byte-order mark; read as text it glued itself
    to the first line ("\ufeffv 0 0 0" is no vertex) and every face then named one vertex too
    many."""
    text = trimesh.creation.box(extents=(10, 10, 10)).export(file_type="obj")
    (tmp_path / "plain.obj").write_text(text)
    (tmp_path / "marked.obj").write_bytes(b"\xef\xbb\xbf" + text.encode())
    plain, marked = load(tmp_path / "plain.obj", units="mm"), load(tmp_path / "marked.obj",
                                                                   units="mm")
    assert marked.n_vertices == plain.n_vertices == 8 and marked.n_faces == 12
    assert np.array_equal(marked.vertices, plain.vertices)


def test_obj_uv_seams_are_merged(tmp_path):
    # a cube whose OBJ splits every corner by texture coordinate: 24 v/vt pairs
    box = trimesh.creation.box(extents=(10, 10, 10))
    uv = np.random.default_rng(0).random((len(box.vertices), 2))
    split = trimesh.Trimesh(box.vertices[box.faces].reshape(-1, 3),
                            np.arange(36).reshape(-1, 3), process=False,
                            visual=trimesh.visual.TextureVisuals(uv=np.repeat(uv[:3], 12, 0)))
    path = tmp_path / "seams.obj"
    path.write_text(split.export(file_type="obj"))
    m = load(path, units="mm")
    from miniscan.analysis import Analysis

    assert m.n_vertices == 8
    assert Analysis(m).watertight


def test_scene_parts_keep_names(tmp_path):
    a = trimesh.creation.box(extents=(5, 5, 5))
    b = trimesh.creation.icosphere(radius=2)
    b.apply_translation([10, 0, 0])
    scene = trimesh.Scene()
    scene.add_geometry(a, geom_name="body", node_name="body")
    scene.add_geometry(b, geom_name="head", node_name="head")
    path = tmp_path / "two.glb"
    path.write_bytes(scene.export(file_type="glb"))
    m = load(path)
    assert sorted(m.part_names) == ["body", "head"]
    assert m.n_faces == len(a.faces) + len(b.faces)
    fp = m.face_part()
    assert len(np.unique(fp)) == 2


def test_obj_objects_become_parts(tmp_path):
    path = tmp_path / "parts.obj"
    path.write_text("v 0 0 0\nv 10 0 0\nv 0 10 0\nv 0 0 10\no first\nf 1 2 3\no second\nf 1 2 4\n")
    m = load(path, units="mm")
    assert sorted(m.part_names) == ["first", "second"]


def _sphere_points(n=400, r=10.0):
    rng = np.random.default_rng(3)
    p = rng.normal(size=(n, 3))
    return r * p / np.linalg.norm(p, axis=1, keepdims=True)


def test_xyz_point_cloud_is_surfaced(tmp_path):
    pts = _sphere_points()
    path = tmp_path / "scan.xyz"
    np.savetxt(path, np.column_stack([pts, np.full((len(pts), 3), 128)]), fmt="%.5f")
    m = load(path, units="mm")
    assert m.source == "point-cloud" and m.n_faces > 100
    assert any(code == "MS905" for code, _ in m.load_notes)
    assert np.max(m.extents) == pytest.approx(20, rel=0.1)


def test_pcd_and_faceless_ply(tmp_path):
    pts = _sphere_points()
    pcd = tmp_path / "scan.pcd"
    pcd.write_text("VERSION .7\nFIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nCOUNT 1 1 1\n"
                   f"WIDTH {len(pts)}\nHEIGHT 1\nVIEWPOINT 0 0 0 1 0 0 0\nPOINTS {len(pts)}\n"
                   "DATA ascii\n" + "\n".join(" ".join(f"{x:.5f}" for x in p) for p in pts) + "\n")
    assert load(pcd, units="mm").source == "point-cloud"
    ply = tmp_path / "cloud.ply"
    ply.write_bytes(trimesh.PointCloud(pts).export(file_type="ply"))
    assert load(ply, units="mm").source == "point-cloud"


# --- bad input: one clean LoadError naming the reason, never another exception ---


@pytest.mark.parametrize("rows,refused", [
    (["3 0 1 2", "3 0 1 3", "3 0 2 3", "3 1 2 3"], None),
    (["  3 0 1 2  ", "3  0 1 3", "3 0 2 3\r", "\t3 1 2 3"], None),
    (["4 0 1 2 3", "3 0 1 3"], None),  # a quad: left to the parser, which splits it
    (["3 0 1 2", "5 0 1 2"], "face 2's row holds 4 numbers"),
    (["3 0 1 2", "4000000000 0 1 2"], "face 2's row holds 4 numbers"),
    (["3 0 1 2 3", "3 0 1 3"], "face 1's row holds 5 numbers"),
    (["30 0 1 2", "3 0 1 3"], "face 1's row holds 4 numbers"),
])
def test_an_ascii_ply_face_row_must_hold_what_its_count_says(tmp_path, rows, refused):
    """A parser reads "5 0 1 2", "4000000000 0 1 2" and "3 0 1 2 3" all as triangles; a row of
    four numbers must say 3 and a row that says 3 must hold four."""
    text = ("ply\nformat ascii 1.0\nelement vertex 4\nproperty float x\nproperty float y\n"
            f"property float z\nelement face {len(rows)}\n"
            "property list uchar int vertex_indices\nend_header\n"
            "0 0 0\n10 0 0\n0 10 0\n0 0 10\n" + "\n".join(rows) + "\n")
    (tmp_path / "m.ply").write_text(text)
    if refused is None:
        assert load(tmp_path / "m.ply", units="mm").n_faces >= len(rows)
    else:
        with pytest.raises(LoadError, match=refused):
            load(tmp_path / "m.ply", units="mm")


@pytest.mark.parametrize("order", ["<", ">"])
def test_a_binary_ply_whose_last_face_claims_more_corners_than_its_bytes_is_refused(tmp_path,
                                                                                     order):
    """A box's 12 triangles in binary PLY, the last face's count byte saying 255: the file is
    exactly as long as 12 triangles, so it was cut off (or corrupted) and a parser reads it as
    a box anyway. The same file with the count intact loads."""
    box = trimesh.creation.box(extents=(10, 10, 10))
    endian = "little" if order == "<" else "big"
    head = (f"ply\nformat binary_{endian}_endian 1.0\nelement vertex 8\nproperty float x\n"
            "property float y\nproperty float z\nelement face 12\n"
            "property list uchar int vertex_indices\nend_header\n").encode()
    verts = b"".join(struct.pack(order + "3f", *v) for v in box.vertices)
    rows = [struct.pack(order + "B3i", 3, *f) for f in box.faces]
    (tmp_path / "ok.ply").write_bytes(head + verts + b"".join(rows))
    assert load(tmp_path / "ok.ply", units="mm").n_faces == 12
    rows[-1] = struct.pack(order + "B3i", 255, *box.faces[-1])
    (tmp_path / "cut.ply").write_bytes(head + verts + b"".join(rows))
    with pytest.raises(LoadError, match="PLY face 12 declares 255 corners"):
        load(tmp_path / "cut.ply", units="mm")

def _binary_stl(n_declared, n_real):
    rec = np.zeros(n_real, dtype=[("n", "<f4", 3), ("v", "<f4", (3, 3)), ("a", "<u2")])
    rec["v"] = np.random.default_rng(1).random((n_real, 3, 3))
    return b"\0" * 80 + struct.pack("<I", n_declared) + rec.tobytes()


BAD = {
    "empty.stl": (b"", "empty"),
    "garbage.stl": (b"\x00\xff" * 500, "truncated"),
    "truncated.stl": (_binary_stl(100, 10), "truncated"),
    "liar.stl": (_binary_stl(4_000_000_000, 1), "truncated"),
    "readme.stl": (b"This is just a README file, not a mesh.\nHello world\n",
                   "not an STL: it is text"),
    "longreadme.stl": (b"Release notes\n" + b"- fixed a thing\n" * 50, "not an STL: it is text"),
    "garbage.obj": (b"this is not an obj\n\x00\x01\x02", "NUL"),
    "words.obj": (b"this is not an obj\nnor is this\n", "no triangles"),
    "nan.obj": (b"v nan 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n", "not finite"),
    "inf.obj": (b"v inf 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n", "not finite"),
    "flat.obj": (b"v 0 0 0\nv 1 0 0\nv 2 0 0\nf 1 2 3\n", "zero area"),
    "badindex.obj": (b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 9\n", ""),
    "hostile.ply": (b"ply\nformat ascii 1.0\nelement vertex 999999999999\nproperty float x\n"
                    b"end_header\n", "max-faces"),
    "notply.ply": (b"solid nope\n", "PLY"),
    "trunc.ply": (b"ply\nformat binary_little_endian 1.0\nelement vertex 3\nproperty float x\n"
                  b"property float y\nproperty float z\nelement face 1\n"
                  b"property list uchar int vertex_indices\nend_header\n\x00\x00", ""),
    "bad.3mf": (b"PK\x03\x04 not a zip", "zip"),
    "bad.glb": (b"glTF\x02\x00\x00\x00garbage", ""),
    "bad.off": (b"OFF\n3 1 0\n0 0 0\n", ""),
    "few.xyz": (b"0 0 0\n1 1 1\n", "too few"),
    "words.xyz": (b"a b c\n" * 20, "only numbers (line 1 holds 'a')"),
    "named.xyz": (b"# x y z colour\n" + b"0 0 0 red\n1 0 0 red\n0 1 0 red\n" * 9,
                  "line 2 holds 'red'"),
    "word.obj": (b"v 0 0 0\r\nv 1 0 0\r\nv 0 1 z\r\nf 1 2 3\r\n", "line 3 holds 'z'"),
    "fraction.obj": (b"v 0 0 0\nv 1 0 0\nv 0 1 0\n\nf 1 2 3.5\n", "line 5 holds '3.5'"),
    "model.fbx": (b"whatever", "unknown file type"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_gives_one_clean_error(tmp_path, name):
    data, expect = BAD[name]
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(LoadError) as info:
        load(path, max_faces=1_000_000)
    msg = str(info.value)
    assert msg.startswith(str(path) + ": ")
    assert "\n" not in msg and "Traceback" not in msg
    if expect == "max-faces":
        assert "max-faces" in msg or "over" in msg
    elif expect:
        assert expect.lower() in msg.lower(), msg


def test_missing_and_directory_paths(tmp_path):
    with pytest.raises(LoadError, match="no such file"):
        load(tmp_path / "nope.stl")
    d = tmp_path / "dir.stl"
    d.mkdir()
    with pytest.raises(LoadError, match="not a regular file"):
        load(d)


def test_enormous_binary_stl_refused_before_parsing(tmp_path):
    path = tmp_path / "enormous.stl"
    n = 1_500_000
    with open(path, "wb") as fh:  # sparse: 75 MB on paper, nothing on disk
        fh.write(b"\0" * 80 + struct.pack("<I", n))
        fh.truncate(84 + 50 * n)
    with pytest.raises(LoadError, match="over --max-faces 1,000,000"):
        load(path, max_faces=1_000_000)


def test_max_faces_guard(tmp_path):
    path = tmp_path / "s.stl"
    path.write_bytes(trimesh.creation.icosphere(subdivisions=3).export(file_type="stl"))
    with pytest.raises(LoadError, match="max-faces"):
        load(path, max_faces=100)


# --- units ---

@pytest.mark.parametrize("extents,unit", [
    ((28, 20, 32), "mm"),          # a 28 mm mini
    ((0.15, 0.12, 0.1), "m"),      # a 0.15-unit bunny is metres
    ((2.0, 1.5, 0.5), "in"),       # a 2-inch part with round inch extents
    ((1.875, 1.875, 1.107), "in"),
    ((0.92, 0.23, 0.03), "m"),     # a 92 cm sword scan
    ((76.2, 76.2, 5.1), "mm"),     # a 3-inch terrain tile already in mm
])
def test_guess_units(extents, unit):
    assert guess_units(np.array(extents), 56)[0] == unit


def test_units_flag_and_guess_note(tmp_path):
    box = trimesh.creation.box(extents=(0.03, 0.02, 0.01))
    path = tmp_path / "small.stl"
    path.write_bytes(box.export(file_type="stl"))
    guessed = load(path)
    assert guessed.units == "m" and guessed.units_guessed
    assert any(code == "MS903" for code, _ in guessed.load_notes)
    stated = load(path, units="m")
    assert not stated.units_guessed and not stated.load_notes
    np.testing.assert_allclose(np.sort(stated.extents), [10, 20, 30])
    with pytest.raises(LoadError, match="unknown units"):
        load(path, units="furlong")


@pytest.mark.parametrize("stray", [3000.0, 2e6])
def test_vertices_no_face_uses_do_not_set_the_size(tmp_path, stray):
    """A 12 mm cube with one unused vertex far away (exporters leave them): the model is the
    12 mm cube, its units guessed from it; before, the stray point made it "3000 units" (its
    silhouette grid too coarse to judge) or refused it as beyond a kilometre."""
    box = trimesh.creation.box(extents=(12.0, 12.0, 12.0))
    v = np.vstack([box.vertices, [[stray, 0.0, 0.0]]])
    path = tmp_path / "stray.ply"
    path.write_bytes(trimesh.Trimesh(v, box.faces, process=False).export(file_type="ply"))
    model = load(path)
    assert model.units == "mm" and model.n_vertices == 8
    np.testing.assert_allclose(model.extents, [12.0, 12.0, 12.0])


# --- the real corpus: every file loads or fails cleanly ---

@pytest.mark.corpus
@pytest.mark.parametrize("path", corpus_files() or [None], ids=lambda p: p.name if p else "absent")
def test_corpus_file_loads_or_fails_cleanly(path, corpus_dir):
    try:
        m = load(path)
    except LoadError as e:
        assert str(e).startswith(str(path))
        return
    assert m.n_faces > 0 and np.isfinite(m.vertices).all()
    assert m.faces.max() < m.n_vertices


def test_merge_joins_exactly_the_identical_positions():
    from miniscan.loading import _merge

    v, f = trimesh.creation.icosphere(subdivisions=5, radius=15.0).vertices, \
        trimesh.creation.icosphere(subdivisions=5, radius=15.0).faces
    soup = v[f].reshape(-1, 3)  # what an STL holds: three private vertices per face
    mv, mf = _merge(soup, np.arange(len(soup)).reshape(-1, 3))
    assert len(mv) == len(np.unique(soup, axis=0)) == len(v)
    np.testing.assert_allclose(mv[mf], soup.reshape(-1, 3, 3))
    # two vertices 30 nm apart on a 65 mm part stay distinct (OpenSCAD exports have such pairs)
    pts = np.array([[0, 0, 0], [65, 0, 0], [0, 65, 0], [10, 10, 10], [10, 10, 10 + 3e-5]])
    assert len(_merge(pts, np.array([[0, 1, 2], [1, 3, 4]]))[0]) == 5
