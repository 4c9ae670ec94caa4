"""Stage progress for a long single file: the runner names each stage as it starts; the CLI
shows it on a terminal and says nothing when its output is piped."""

from __future__ import annotations

import os
import select
import subprocess
import sys
from pathlib import Path

from miniscan.checks import families
from miniscan.conditions import resolve
from miniscan.runner import RunOptions, check_paths
from miniscan.samples import icosphere, write_stl

ROOT = Path(__file__).resolve().parents[1]


def _mesh(tmp_path: Path) -> Path:
    p = tmp_path / "ball.stl"
    write_stl(p, *icosphere(5.0, 2))
    return p


def test_runner_names_loading_then_each_family_in_order(tmp_path):
    seen: list[str] = []
    fams = ("health", "scale")
    check_paths([_mesh(tmp_path)], resolve("tabletop"), RunOptions(families=fams),
                stage=seen.append)
    assert seen == ["loading", *fams]
    assert set(fams) <= set(families())


def _run(args: list[str], tty: bool) -> str:
    """stderr of `miniscan` run on a pseudo-terminal (tty) or a pipe."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "TERM": "xterm", "COLUMNS": "100"}
    if not tty:
        return subprocess.run([sys.executable, "-m", "miniscan", *args], env=env, text=True,
                              capture_output=True, timeout=300).stderr
    master, slave = os.openpty()
    p = subprocess.Popen([sys.executable, "-m", "miniscan", *args], env=env, stdin=slave,
                         stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    out = b""
    while True:
        ready, _, _ = select.select([master], [], [], 300)
        if not ready:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    p.wait(timeout=60)
    os.close(master)
    return out.decode("utf-8", "replace")


def test_stage_shown_on_a_terminal_and_silent_when_piped(tmp_path):
    args = ["check", str(_mesh(tmp_path)), "--select", "MS9", "--no-cache", "--isolated",
            "-f", "json"]
    shown = _run(args, tty=True)
    assert "checking ball.stl: loading" in shown and "checking ball.stl: health" in shown
    assert _run(args, tty=False) == ""
