"""Writing files so that readers never see half of one (reports, cache entries, pictures)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write(path: str | os.PathLike, data: str | bytes) -> None:
    """Write via a temp file in the same directory and rename, so readers never see half a file.
    A symbolic link is written through (its target is replaced, the link kept); a path that is
    not a regular file (/dev/null, /dev/stdout, a named pipe) is written in place, since a
    rename would put a file where the device or pipe was."""
    path = Path(os.path.realpath(path)) if os.path.islink(path) else Path(path)
    mode = "wb" if isinstance(data, bytes) else "w"
    text = {} if mode == "wb" else {"encoding": "utf-8"}
    if path.exists() and not path.is_file() and not path.is_dir():
        with open(path, mode, **text) as fh:
            fh.write(data)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, **text) as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp makes the file 0600; a report is an ordinary file: 0666 less the umask
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
