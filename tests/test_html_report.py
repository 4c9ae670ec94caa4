"""The HTML report in a real browser: headless Chromium loads it from file://, every image
decodes, nothing is logged to the console, and a 1280 px screenshot is taken; a filter click
and a callout click are driven through the DevTools protocol (a tiny stdlib websocket)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--no-first-run", "--disable-extensions", "--disable-sync", "--mute-audio"]


def _chromium(url: str, tmp: Path, *extra: str) -> subprocess.CompletedProcess:
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed (apt-get install chromium)")
    prof = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={prof}", "--enable-logging=stderr",
                           "--v=0", "--virtual-time-budget=5000", *extra, url],
                          capture_output=True, text=True, timeout=120)


def console_lines(stderr: str) -> list[str]:
    return [ln for ln in stderr.splitlines() if ":CONSOLE" in ln]


def status(dom: str) -> dict:
    m = re.search(r'<div id="miniscan-status"([^>]*)>', dom)
    assert m, "status marker missing from the DOM"
    return dict(re.findall(r'data-([a-z]+)="([^"]*)"', m.group(1)))


@pytest.fixture(scope="module")
def report_file(tmp_path_factory, gl_ok):
    import trimesh

    d = tmp_path_factory.mktemp("html")
    body = trimesh.creation.box((10.0, 6.0, 20.0))
    spear = trimesh.creation.cylinder(0.2, 10.0, sections=12)
    spear.apply_translation((3.0, 0.0, 15.0))
    trimesh.util.concatenate([body, spear]).export(d / "figure.stl")
    trimesh.creation.icosphere(3, 8.0).export(d / "ball.stl")
    out = d / "report.html"
    r = subprocess.run([sys.executable, "-m", "miniscan", "report", str(d), "--out", str(out),
                        "--size", "640", "--views", "front,top", "--isolated", "--sweep",
                        "--from", "200mm", "--to", "1m", "--samples", "3"],
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr
    return out


def test_report_is_self_contained(report_file):
    text = report_file.read_text(encoding="utf-8")
    assert "<table" in text and "figure.stl" in text and "ball.stl" in text
    srcs = re.findall(r'<img[^>]+src="([^"]+)"', text)
    assert len(srcs) >= 6
    assert all(s.startswith("data:image/") for s in srcs)
    assert not re.search(r'(src|href)="(https?:)?//', text)  # no network, not even a font
    assert "<link" not in text
    # the findings table is sortable and numbered from 1 in each file section
    assert 'class="sortable findings"' in text
    assert "Conditions used" in text and "resolvable_mm" in text
    # filters, callout links to rows that link back, the sweep of each file
    assert 'name="family"' in text and 'name="severity"' in text
    links = re.findall(r'<a class="callout" href="#(f\d+-\d+)"', text)
    assert links and all(f'id="{x}"' in text for x in links)
    assert 'class="back" href="#pic-' in text
    assert text.count("Distance sweep") == 2


def test_chromium_loads_it_without_console_errors(report_file, tmp_path):
    r = _chromium(report_file.as_uri(), tmp_path, "--dump-dom")
    assert r.returncode == 0, r.stderr[-2000:]
    assert console_lines(r.stderr) == []
    st = status(r.stdout)
    assert st.get("ok") == "1", st
    assert int(st["images"]) >= 6 and st["decoded"] == st["images"]


def test_screenshot_at_1280(report_file, tmp_path):
    from PIL import Image

    shot = tmp_path / "shot.png"
    r = _chromium(report_file.as_uri(), tmp_path, f"--screenshot={shot}",
                  "--window-size=1280,2400", "--hide-scrollbars")
    assert r.returncode == 0 and shot.is_file(), r.stderr[-2000:]
    img = np.asarray(Image.open(shot).convert("RGB"))
    assert img.shape[1] == 1280
    ink = (np.abs(img.astype(int) - 255).max(axis=2) > 40).mean()
    assert 0.02 < ink < 0.9  # a page with text and pictures, not blank, not an error colour


def test_the_checker_catches_a_broken_page(tmp_path):
    """The detector can fail: a console error and an undecodable image are both caught."""
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html><body><div id="miniscan-status" hidden></div>'
                   '<img src="data:image/png;base64,AAAA">'
                   "<script>window.addEventListener('load',function(){var i=document.images[0];"
                   "var m=document.getElementById('miniscan-status');"
                   "m.setAttribute('data-ok',i.naturalWidth>0?'1':'0');});nope();</script>"
                   "</body></html>", encoding="utf-8")
    r = _chromium(bad.as_uri(), tmp_path, "--dump-dom")
    assert any("nope is not defined" in ln for ln in console_lines(r.stderr))
    assert status(r.stdout).get("ok") == "0"


def test_unreadable_file_and_escaping_in_html():
    from miniscan.findings import CheckResult, FileResult, Finding, Location, MeshInfo, Report
    from miniscan.output.html import render_html

    mi = MeshInfo("stl", 12, 8, 1, "mm", False, (1.0, 2.0, 3.0), True, 1.0)
    f = Finding("MS201", "<script>alert(1)</script> edge", measured=0.1, threshold=0.2, unit="mm",
                location=Location((1.0, 2.0, 3.0)))
    rep = Report("0", {"profile": "tabletop"}, (
        FileResult("a.stl", "ok", None, mi, (CheckResult("edges", "ok", None,
                                                         {"chains": [{"a": 1}]}, (f,)),)),
        FileResult("missing.stl", "error", "no such file")))
    html = render_html(rep)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    assert "Could not be checked: no such file" in html
    assert html.count('<span class="n"') == 1


# --------------------------------------------------------------------------- DevTools


class _WebSocket:
    """The least websocket client the DevTools protocol needs (RFC 6455: handshake, masked
    text frames out, unmasked frames in, continuation frames joined)."""

    def __init__(self, url: str):
        import base64
        import hashlib
        import os
        import socket
        from urllib.parse import urlparse

        u = urlparse(url)
        self.sock = socket.create_connection((u.hostname, u.port), timeout=60)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {u.path} HTTP/1.1\r\nHost: {u.hostname}:{u.port}\r\n"
                           "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.sock.recv(1)
        accept = base64.b64encode(hashlib.sha1(
            (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
        assert b" 101 " in head.split(b"\r\n")[0] and accept.encode() in head, head
        self.next_id = 0

    def _read(self, n: int) -> bytes:
        out = b""
        while len(out) < n:
            chunk = self.sock.recv(n - len(out))
            assert chunk, "DevTools closed the connection"
            out += chunk
        return out

    def send(self, text: str) -> None:
        import os

        data = text.encode()
        n = len(data)
        head = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else
                                bytes([0x80 | 126]) + n.to_bytes(2, "big") if n < 65536 else
                                bytes([0x80 | 127]) + n.to_bytes(8, "big"))
        mask = os.urandom(4)
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def recv(self) -> str:
        parts = []
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                n = int.from_bytes(self._read(2), "big")
            elif n == 127:
                n = int.from_bytes(self._read(8), "big")
            payload = self._read(n)
            if b0 & 0x0F in (0x9, 0xA):  # ping / pong: not a message
                continue
            parts.append(payload)
            if b0 & 0x80:
                return b"".join(parts).decode()

    def call(self, method: str, **params):
        import json

        self.next_id += 1
        self.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.recv())
            if msg.get("id") == self.next_id:
                assert "error" not in msg, msg
                return msg.get("result", {})

    def js(self, expr: str):
        r = self.call("Runtime.evaluate", expression=expr, returnByValue=True)
        assert "exceptionDetails" not in r, r
        return r["result"].get("value")

    def click(self, selector: str) -> None:
        """A real mouse click (press and release) at the centre of the element."""
        self.js(f"document.querySelector({selector!r}).scrollIntoView({{block:'center'}})")
        x, y = self.js(f"(function(){{var r=document.querySelector({selector!r})"
                       ".getBoundingClientRect();return [r.x+r.width/2,r.y+r.height/2];})()")
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left",
                      clickCount=1)


@pytest.fixture
def devtools(report_file, tmp_path):
    import json
    import socket
    import time
    import urllib.request

    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed (apt-get install chromium)")
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    proc = subprocess.Popen([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'devtools'}",
                             f"--remote-debugging-port={port}", "--window-size=1280,1600",
                             report_file.as_uri()],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        page, t0 = None, time.time()
        while page is None and time.time() - t0 < 60:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as r:
                    page = next((t for t in json.load(r) if t.get("type") == "page"), None)
            except OSError:
                time.sleep(0.3)
        assert page is not None, "Chromium's DevTools did not answer"
        ws = _WebSocket(page["webSocketDebuggerUrl"])
        # the first document can be about:blank, complete before the report starts loading
        ready = "location.protocol === 'file:' && document.readyState === 'complete'"
        while not ws.js(ready) and time.time() - t0 < 60:
            time.sleep(0.2)
        assert ws.js(ready), "the report did not load within 60 s"
        yield ws
    finally:
        proc.terminate()
        proc.wait(timeout=30)


VISIBLE = "document.querySelectorAll('tr.finding:not([hidden])').length"


def test_a_filter_click_hides_rows_and_a_callout_click_shows_its_row(devtools):
    ws = devtools
    total = ws.js("document.querySelectorAll('tr.finding').length")
    warnings = ws.js("document.querySelectorAll('tr.finding[data-severity=warning]').length")
    assert total > warnings > 0
    assert ws.js(VISIBLE) == total
    ws.click('input[name="severity"][value="warning"]')  # a real click on the checkbox
    assert ws.js('document.querySelector(\'input[name="severity"][value="warning"]\').checked') is False
    assert ws.js(VISIBLE) == total - warnings
    assert ws.js("document.getElementById('filter-count').textContent") == \
        f"{total - warnings} of {total} findings shown"
    ws.click('input[name="severity"][value="warning"]')
    assert ws.js(VISIBLE) == total
    # a numbered disc on the overview goes to its finding's row, and the row's arrow back
    href = ws.js("document.querySelector('a.callout').getAttribute('href')")
    ws.click("a.callout")
    assert ws.js("location.hash") == href
    assert ws.js(f"document.querySelector('{href}').hidden") is False
    back = ws.js(f"document.querySelector('{href} a.back').getAttribute('href')")
    ws.click(f"{href} a.back")
    assert ws.js("location.hash") == back and back.startswith("#pic-")


def test_pictures_are_encoded_for_the_page():
    """Renders become WebP no wider than the page, line art a palette PNG, the orbit GIF an
    animated WebP with every frame; the callout links keep their place in percent."""
    from io import BytesIO

    from PIL import Image

    from miniscan.output.html import WEB_MAX_PX, figure, web_image
    from miniscan.render.sheets import Picture

    rng = np.random.default_rng(1)
    shaded = (rng.random((1000, 1600, 3)) * 40 + np.linspace(100, 220, 1600)[None, :, None])
    shaded = shaded.astype(np.uint8)
    data, ext, w, h = web_image(Picture("overview", "o", "overview", shaded))
    assert ext == "webp" and (w, h) == (WEB_MAX_PX, round(1000 * WEB_MAX_PX / 1600))
    assert Image.open(BytesIO(data)).size == (w, h)
    art = np.full((400, 600, 3), 255, np.uint8)
    art[100:300, 200:400] = (215, 35, 35)
    data, ext, _, _ = web_image(Picture("silhouette", "s", "silhouette", art))
    assert ext == "png" and Image.open(BytesIO(data)).mode == "P"
    frames = [Image.fromarray(np.full((40, 60, 3), 30 * i, np.uint8)) for i in range(5)]
    buf = BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=120)
    data, ext, _, _ = web_image(Picture("orbit-anim", "a", "orbit", data=buf.getvalue(), ext="gif"))
    anim = Image.open(BytesIO(data))
    assert ext == "webp" and anim.n_frames == 5

    class C:  # a callout as the overview records it
        number, label_px = 7, (800.0, 250.0)
        finding = type("F", (), {"code": "MS201", "name": "razor-edge"})()

    html = figure(Picture("overview", "o", "overview", shaded,
                          meta={"callouts": [C()], "callout_radius": 16.0}), 0)
    assert 'href="#f0-7"' in html and "left:50.000%;top:25.000%" in html
