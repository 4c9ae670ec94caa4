"""files.atomic_write: a report lands whole or not at all, and what stands at the path stays
what it is (a link stays a link, a device or a pipe is never replaced by a file)."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from miniscan.files import atomic_write


def test_a_new_file_is_written_whole_and_no_temp_file_is_left(tmp_path):
    out = tmp_path / "deep" / "r.json"
    atomic_write(out, "{}\n")
    assert out.read_text() == "{}\n"
    assert [p.name for p in out.parent.iterdir()] == ["r.json"]


def test_a_symlink_is_written_through_and_stays_a_link(tmp_path):
    target = tmp_path / "target.json"
    target.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to("target.json")
    atomic_write(link, "new")
    assert link.is_symlink() and os.readlink(link) == "target.json"
    assert target.read_text() == "new"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_named_pipe_is_written_in_place_not_replaced(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(Path(fifo).read_bytes()))
    reader.start()
    atomic_write(fifo, b"report")
    reader.join(timeout=10)
    assert got == [b"report"]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def _full_device(tmp_path) -> Path:
    """A node of Linux's always-full device (1, 7) in tmp_path (root only: else skip), so that
    a writer that replaced it would replace the test's own node, never /dev/full."""
    node = tmp_path / "full"
    try:
        os.mknod(node, 0o600 | stat.S_IFCHR, os.makedev(1, 7))
    except (PermissionError, AttributeError, OSError):
        pytest.skip("making a device node needs root on Linux")
    return node


def test_a_full_device_raises_and_stays_a_device(tmp_path):
    node = _full_device(tmp_path)
    mode = os.lstat(node).st_mode
    with pytest.raises(OSError):
        atomic_write(node, "x" * 100_000)
    assert os.lstat(node).st_mode == mode and os.lstat(node).st_rdev == os.makedev(1, 7)
