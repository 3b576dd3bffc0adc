"""Does a real browser play this MP4? Headless Chromium, if installed, is asked to.

    from tests.io.browser_check import browser_check
    result = browser_check(Path("out.mp4"))   # None when no Chromium is installed

A tiny HTTP server on 127.0.0.1 serves a page with a ``<video>`` element; the page plays the
file, draws the frame at ~0.3 s into a canvas and reports back (through a request to the
same server): whether it played, its duration and size, the centre pixel's colour, and
whether audio was decoded. Chromium is optional (Debian: ``apt-get install
chromium-headless-shell``); nothing else in cinemuse needs it.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import signal
import subprocess
import threading
import urllib.parse
from pathlib import Path

_PAGE = """<!doctype html><html><body>
<video id="v" src="VIDEO" playsinline></video>
<canvas id="c" width="64" height="48"></canvas>
<script>
const v = document.getElementById('v');
const report = (r) => fetch('/result?' + new URLSearchParams(r));
const can = v.canPlayType('video/mp4; codecs="avc1.640028, mp4a.40.2"');
v.addEventListener('error', () => report({ok: 0, error: v.error ? v.error.code : -1, can}));
v.addEventListener('loadeddata', () => { v.play().catch(e => report({ok: 0, error: 'play: ' + e, can})); });
let done = false;
v.addEventListener('timeupdate', () => {
  if (done || v.currentTime < 0.3) return;
  done = true;
  const ctx = document.getElementById('c').getContext('2d');
  ctx.drawImage(v, 0, 0, 64, 48);
  const px = Array.from(ctx.getImageData(32, 24, 1, 1).data).slice(0, 3).join(',');
  report({ok: 1, can, duration: v.duration, width: v.videoWidth, height: v.videoHeight,
          time: v.currentTime, pixel: px, audio: v.webkitAudioDecodedByteCount > 0 ? 1 : 0});
});
</script></body></html>"""


def chromium() -> str | None:
    for name in ("chromium-headless-shell", "chromium", "chromium-browser", "google-chrome"):
        exe = shutil.which(name)
        if exe:
            return exe
    return None


def browser_check(video: Path, *, timeout: float = 30.0) -> dict | None:
    """Play ``video`` in headless Chromium; None if no Chromium is installed.

    Returns
    -------
    dict with ``ok`` (bool), ``error`` (media error code or text, when not ok), ``can``
    (canPlayType for H.264 High + AAC-LC), ``duration``, ``width``, ``height``, ``pixel``
    ((r, g, b) at the centre of the frame shown at ~0.3 s) and ``audio`` (bool: decoded).
    """
    exe = chromium()
    if exe is None:
        return None
    video = Path(video).resolve()
    result: dict = {}
    got = threading.Event()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def do_GET(self):  # noqa: N802 - http.server's naming
            if self.path.startswith("/result?"):
                result.update(urllib.parse.parse_qsl(self.path.split("?", 1)[1]))
                got.set()
                self.send_response(204)
                self.end_headers()
                return
            if self.path == "/page.html":
                body = _PAGE.replace("VIDEO", urllib.parse.quote(video.name)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            super().do_GET()

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(video.parent))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/page.html"
    proc = subprocess.Popen(
        [exe, "--headless", "--no-sandbox", "--disable-gpu", "--mute-audio",
         "--autoplay-policy=no-user-gesture-required", url],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: its zygote and renderers go with it
    )
    try:
        got.wait(timeout)
    finally:
        # terminating the browser alone left its helper processes running (seen after a bench run)
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # whatever of the group is still there
        except ProcessLookupError:
            pass
        proc.wait()
        server.shutdown()
        server.server_close()
    if not result:
        return {"ok": False, "error": f"no answer from the page within {timeout:.0f} s"}
    out = {"ok": result.get("ok") == "1", "can": result.get("can", "")}
    if out["ok"]:
        out.update(
            duration=float(result["duration"]),
            width=int(result["width"]),
            height=int(result["height"]),
            pixel=tuple(int(x) for x in result["pixel"].split(",")),
            audio=result.get("audio") == "1",
        )
    else:
        out["error"] = result.get("error", "")
    return out
