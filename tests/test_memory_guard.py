"""The memory guard (issue 13): a file whose face count, read from its structure, would need
more memory to check than --max-memory (default: what the machine has available) is refused
before it is parsed, in one line naming the limit and the options; a normal file passes.

The files here declare many faces without holding them: a sparse binary STL (its header
count agrees with its size, the disk holds a few bytes), a 3MF instancing a small object,
text headers. Nothing in a test allocates for the faces it declares.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import trimesh

from miniscan.loading import LoadError, load
from miniscan.loading.limits import (MEMORY_BASE_BYTES, MEMORY_BYTES_PER_FACE, Limits,
                                     machine_memory, parse_memory)

from test_robustness import refused_before_parsing, sphere, threemf_bytes

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src"),
       "VTK_DEFAULT_OPENGL_WINDOW": "vtkEGLRenderWindow"}
GB = 1024**3


def need(faces: int) -> int:
    return MEMORY_BASE_BYTES + MEMORY_BYTES_PER_FACE * faces


def sparse_stl(path: Path, faces: int) -> Path:
    """A binary STL whose header declares `faces` and whose size agrees, without data."""
    with open(path, "wb") as f:
        f.write(b"\0" * 80 + struct.pack("<I", faces))
        f.truncate(84 + 50 * faces)
    return path


@pytest.mark.parametrize("faces", [3_000_000, 19_999_999])
def test_a_declared_count_over_the_limit_is_refused_before_parsing(tmp_path, monkeypatch, faces):
    p = sparse_stl(tmp_path / "big.stl", faces)
    refused_before_parsing(monkeypatch)
    limit = need(faces) - 1  # one byte short
    with pytest.raises(LoadError) as e:
        load(p, max_memory=limit)
    msg = str(e.value)
    assert f"{faces:,} faces would need about {need(faces) / GB:.1f} GB" in msg
    assert f"--max-memory {limit / GB:.1f} GB" in msg and "--max-faces" in msg
    assert "\n" not in msg


def test_the_guard_passes_what_fits_and_zero_turns_it_off(tmp_path, monkeypatch):
    v, f = sphere(3)
    p = tmp_path / "ok.stl"
    trimesh.Trimesh(v, f, process=False).export(p)
    assert load(p, units="mm", max_memory=need(len(f))).n_faces == len(f)
    with pytest.raises(LoadError, match="would need about"):
        load(p, units="mm", max_memory=need(len(f)) - 1)
    assert load(p, units="mm", max_memory=0).n_faces == len(f)
    assert load(p, units="mm").n_faces == len(f)  # default: the machine's memory


def test_instancing_is_counted_against_memory_before_it_is_built(tmp_path, monkeypatch):
    v, f = sphere(3)  # 1,280 faces x 5,000 items: 6.4M faces from a small zip
    p = tmp_path / "items.3mf"
    p.write_bytes(threemf_bytes(v, f, 5_000))
    refused_before_parsing(monkeypatch)
    with pytest.raises(LoadError, match="6,400,000 faces would need about"):
        load(p, max_memory=GB)


@pytest.mark.parametrize("ext,text", [
    (".ply", "ply\nformat binary_little_endian 1.0\nelement vertex 3\nproperty float x\n"
             "property float y\nproperty float z\nelement face 9000000\n"
             "property list uchar int vertex_indices\nend_header\n"),
    (".off", "OFF\n3 9000000 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n"),
    (".obj", "v 0 0 0\nv 1 0 0\nv 0 1 0\n" + "f 1 2 3\n" * 2000),
    (".stl", "solid x\n" + "facet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\n"
             "vertex 0 1 0\nendloop\nendfacet\n" * 2000 + "endsolid x\n"),
])
def test_every_format_checks_its_count_before_parsing(tmp_path, monkeypatch, ext, text):
    p = tmp_path / f"m{ext}"
    p.write_text(text)
    faces = 9_000_000 if ext in (".ply", ".off") else 2000
    refused_before_parsing(monkeypatch)
    with pytest.raises(LoadError, match=f"{faces:,} faces would need about"):
        load(p, units="mm", max_memory=need(faces) - 1)


def test_memory_amounts_parse():
    assert parse_memory("16GB") == parse_memory("16G") == parse_memory(16) == 16 * GB
    assert parse_memory("800MB") == 800 * 1024**2 and parse_memory("1.5g") == int(1.5 * GB)
    assert parse_memory("0") == 0
    for bad in ("abc", "-1GB", "16 parsecs", ""):
        with pytest.raises(ValueError):
            parse_memory(bad)


def test_machine_memory_is_read_cheaply():
    a = machine_memory()
    assert a is None or a > 0
    assert Limits().max_memory is None  # the default follows the machine


def test_cli_refuses_in_one_line_with_exit_2(tmp_path):
    p = sparse_stl(tmp_path / "huge.stl", 20_000_000)
    r = subprocess.run([sys.executable, "-m", "miniscan", "check", str(p), "--no-cache",
                        "--max-memory", "2GB", "-f", "json"], capture_output=True, text=True,
                       env=ENV, timeout=240)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith(f"miniscan: error: {p}: 20,000,000 faces would need about")
    assert "--max-memory 2.0 GB" in lines[0] and "--max-faces" in lines[0]
    bad = subprocess.run([sys.executable, "-m", "miniscan", "check", str(p), "--max-memory",
                          "lots"], capture_output=True, text=True, env=ENV, timeout=240)
    assert bad.returncode == 2 and "--max-memory" in bad.stderr


def test_config_key_sets_the_limit(tmp_path):
    p = sparse_stl(tmp_path / "huge.stl", 20_000_000)
    (tmp_path / "miniscan.toml").write_text('max-memory = "3GB"\n')
    r = subprocess.run([sys.executable, "-m", "miniscan", "check", str(p), "--no-cache"],
                       capture_output=True, text=True, env=ENV, timeout=240)
    assert r.returncode == 2 and "--max-memory 3.0 GB" in r.stderr, r.stderr
    (tmp_path / "miniscan.toml").write_text('max-memory = "lots"\n')
    r = subprocess.run([sys.executable, "-m", "miniscan", "check", str(p), "--no-cache"],
                       capture_output=True, text=True, env=ENV, timeout=240)
    assert r.returncode == 2 and "max-memory must be an amount" in r.stderr, r.stderr
