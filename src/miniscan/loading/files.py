"""Reading files that may be hostile: regular files only, inside their folder, bounded reads.

Every byte miniscan reads comes through here: the mesh file and every file it refers to
(glTF buffers, an OBJ's material libraries and textures). A FIFO, device or socket is
refused before it is opened for reading (so nothing blocks on it); a symbolic link is
followed only when its target stays inside the folder holding the link; a read never takes
more than the size the caller can justify.
"""

from __future__ import annotations

import mmap
import os
import stat
from urllib.parse import unquote

from .errors import LoadError, line_name

# Text formats (OBJ, ASCII STL/PLY/PCD, OFF, XYZ) never hold a NUL byte; scanning for one
# (memchr speed) rejects binary garbage and zero-filled files before any parser sees them.
_NUL = b"\0"

_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISDIR, "a directory"))


def _kind(mode: int) -> str:
    return next((what for test, what in _KINDS if test(mode)), "not a regular file")


def _inside(real: str, folder_real: str) -> bool:
    return real == folder_real or real.startswith(folder_real.rstrip(os.sep) + os.sep)


def check_regular(name: str, path: str, folder: str | None = None) -> os.stat_result:
    """stat() of a regular file whose real location is inside `folder` (default: the folder
    holding `path`); LoadError naming what it is otherwise. Nothing is opened."""
    folder = folder if folder is not None else os.path.dirname(os.path.abspath(path))
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise LoadError(name, "a link to a file that does not exist" if os.path.islink(path)
                        else "no such file") from None
    except OSError as e:
        raise LoadError(name, f"cannot read: {e.strerror or e}") from None
    if not stat.S_ISREG(st.st_mode):
        raise LoadError(name, f"not a regular file ({_kind(st.st_mode)}): not read")
    if os.path.islink(path) or os.path.realpath(path) != os.path.abspath(path):
        real, home = os.path.realpath(path), os.path.realpath(folder)
        if not _inside(real, home):
            raise LoadError(name, "a symbolic link to a file outside its folder: not read")
    return st


def open_regular(name: str, path: str, folder: str | None = None) -> tuple[int, int]:
    """(file descriptor, size) of a checked regular file. The descriptor is opened without
    blocking and checked again, so a file swapped for a FIFO after the check cannot hang."""
    check_regular(name, path, folder)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
                     | getattr(os, "O_NOCTTY", 0))
    except PermissionError:
        raise LoadError(name, "permission denied") from None
    except OSError as e:
        raise LoadError(name, f"cannot read: {e.strerror or e}") from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise LoadError(name, f"not a regular file ({_kind(st.st_mode)}): not read")
    return fd, st.st_size


def read_bytes(name: str, fd: int, size: int, limit: int, what: str = "file") -> bytes:
    """Exactly `size` bytes from the start of `fd` (refused when over `limit`)."""
    if size > limit:
        raise LoadError(name, f"{what} is {_human(size)}, over the {_human(limit)} this "
                              "format can need for --max-faces (raise --max-faces to read it)")
    data = read_at(fd, 0, size)
    if len(data) != size:
        raise LoadError(name, f"{what} shrank while being read")
    return data


def read_at(fd: int, offset: int, n: int) -> bytes:
    """Up to `n` bytes from `offset` (fewer only at the end of the file)."""
    chunks, got = [], 0
    while got < n:
        block = os.pread(fd, min(n - got, 1 << 24), offset + got)
        if not block:
            break
        chunks.append(block)
        got += len(block)
    return b"".join(chunks)


def first_nul(fd: int, size: int) -> int:
    """Offset of the first NUL byte in the file, -1 when there is none (mapped, not read)."""
    if size == 0:
        return -1
    with mmap.mmap(fd, size, access=mmap.ACCESS_READ) as mm:
        return mm.find(_NUL)


def require_text(name: str, fd: int, size: int, fmt: str) -> None:
    """Refuse a text format holding a NUL byte (binary garbage, a zero-filled file)."""
    at = first_nul(fd, size)
    if at >= 0:
        raise LoadError(name, f"{fmt} is a text format but byte {at:,} of this file is NUL: "
                              "corrupt, zero-filled, or not " + fmt)


def read_reference(name: str, folder: str, uri: str, need: int, limit: int) -> bytes:
    """The first `need` bytes of a file a mesh refers to by relative URI (a glTF buffer).

    Only a relative path that stays inside the mesh's folder is read: no scheme, no absolute
    path, no '..' out of the folder, no link leading out of it, a regular file only."""
    ref = line_name(uri)[:80]
    if need > limit:
        raise LoadError(name, f"declares a {_human(need)} buffer '{ref}', over the "
                              f"{_human(limit)} --max-faces allows")
    fd, size = _open_reference(name, folder, uri, "buffer")
    try:
        if size < need:
            raise LoadError(name, f"its buffer '{ref}' holds {size:,} bytes but the file "
                                  f"declares {need:,}: truncated")
        return read_bytes(name, fd, need, limit, f"buffer '{ref}'")
    finally:
        os.close(fd)


def read_referenced_file(name: str, folder: str, uri: str, limit: int, what: str) -> bytes:
    """The whole of a file a mesh refers to by relative URI (an OBJ's material library or
    texture), by the same rules as `read_reference`; refused when over `limit` bytes."""
    fd, size = _open_reference(name, folder, uri, what)
    try:
        return read_bytes(name, fd, size, limit, f"{what} '{line_name(uri)[:80]}'")
    finally:
        os.close(fd)


def check_reference(name: str, folder: str, uri: str) -> os.stat_result:
    """stat() of the regular file `uri` names inside `folder` (LoadError otherwise); nothing
    is opened."""
    return check_regular(name, _reference_path(name, folder, uri), folder)


def _open_reference(name: str, folder: str, uri: str, what: str) -> tuple[int, int]:
    """(descriptor, size) of the regular file `uri` names inside `folder`, or LoadError."""
    full = _reference_path(name, folder, uri)
    try:
        return open_regular(name, full, folder)
    except LoadError as e:
        raise LoadError(name, f"its {what} '{line_name(uri)[:80]}': {e.reason}") from None


def _reference_path(name: str, folder: str, uri: str) -> str:
    """The path `uri` names inside `folder`; LoadError when it names anything else."""
    ref = line_name(uri)[:80]
    if "://" in uri or uri.startswith(("/", "\\")) or ":" in uri.split("/")[0]:
        raise LoadError(name, f"refers to '{ref}', which is not a file beside it: not read")
    rel = unquote(uri)
    if "\0" in rel:
        raise LoadError(name, f"refers to a file name with a NUL byte: not read")
    folder = os.path.abspath(folder)
    full = os.path.normpath(os.path.join(folder, rel))
    if not _inside(full, folder):
        raise LoadError(name, f"refers to '{ref}', outside its folder: not read")
    return full


def _human(n: int) -> str:
    for unit, k in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n >= k:
            return f"{n / k:.1f} {unit}"
    return f"{n} bytes"
