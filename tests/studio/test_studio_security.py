"""Every security promise of the studio, each tried as an attack and seen refused."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from cinemuse.studio.security import CSP
from cinemuse.studio.server import STATIC
from tests.media import make_cut_video
from tests.studio.conftest import PORT, wait


def jobs_on_disk(studio) -> set[Path]:
    folder = studio.root / "jobs"  # made with the first job: none yet when this file runs alone
    return set(folder.iterdir()) if folder.is_dir() else set()


# ------------------------------------------------------------------ the token


@pytest.mark.parametrize("path", ["/", "/api/kinds", "/api/jobs", "/api/openapi.json", "/static/app.js"])
def test_every_request_needs_the_token(anon, path):
    r = anon.get(path)
    assert r.status_code == 401
    r = anon.get(path, headers={"Authorization": "Bearer not-the-token"})
    assert r.status_code == 401


def test_posting_a_job_without_the_token_is_refused(anon, studio):
    before = jobs_on_disk(studio)
    r = anon.post("/api/jobs", data={"kind": "compose"})
    assert r.status_code == 401
    assert jobs_on_disk(studio) == before


def test_token_in_the_address_becomes_a_cookie_once(anon, studio):
    r = anon.get(f"/?token={studio.token}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"  # the token leaves the address bar
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert anon.get("/").status_code == 200  # the cookie now carries it
    assert anon.get("/api/kinds").status_code == 200
    anon.cookies.clear()
    assert anon.get("/?token=wrong", follow_redirects=False).status_code == 401
    # a token in the query string is not a way into the API
    assert anon.get(f"/api/kinds?token={studio.token}").status_code == 401


def test_a_cookie_with_another_value_is_refused(anon, studio):
    anon.cookies.set(studio.cookie, "guess")
    assert anon.get("/api/kinds").status_code == 401


# ------------------------------------------------------------------ DNS rebinding and cross-site


@pytest.mark.parametrize("host", ["evil.example", f"evil.example:{PORT}", "127.0.0.1:9999", "127.0.0.1"])
def test_a_foreign_host_header_is_refused_even_with_the_token(client, host):
    r = client.get("/api/kinds", headers={"Host": host})
    assert r.status_code == 403
    assert "access-control-allow-origin" not in r.headers


def test_localhost_by_name_is_the_studio_too(client):
    assert client.get("/api/kinds", headers={"Host": f"localhost:{PORT}"}).status_code == 200


@pytest.mark.parametrize("origin", ["https://evil.com", "null", f"http://evil.com:{PORT}", f"https://127.0.0.1:{PORT}"])
def test_a_foreign_origin_is_refused(client, studio, origin):
    before = jobs_on_disk(studio)
    r = client.post("/api/jobs", data={"kind": "compose"}, headers={"Origin": origin})
    assert r.status_code == 403
    assert "access-control-allow-origin" not in r.headers
    assert jobs_on_disk(studio) == before
    assert client.get("/api/jobs", headers={"Origin": origin}).status_code == 403


def test_cross_site_fetches_are_refused(client):
    assert client.get("/api/jobs", headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert client.get("/api/jobs", headers={"Origin": f"http://127.0.0.1:{PORT}",
                                           "Sec-Fetch-Site": "same-origin"}).status_code == 200


# ------------------------------------------------------------------ uploads


def test_an_upload_over_the_limit_gets_413_and_is_not_stored(client, studio):
    before = jobs_on_disk(studio)
    big = b"\0" * (3 * 1024 * 1024)  # the test studio's limit is 2 MB
    r = client.post("/api/jobs", data={"kind": "score"}, files=[("files", ("big.mp4", big))])
    assert r.status_code == 413 and "limit" in r.json()["error"]
    assert jobs_on_disk(studio) == before


def test_an_upload_over_the_limit_without_a_length_gets_413_too(client, studio):
    before = jobs_on_disk(studio)
    boundary = "xyz"

    def body():  # chunked: no Content-Length to refuse it by
        yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nscore\r\n"
               f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.mp4\"\r\n"
               "Content-Type: video/mp4\r\n\r\n").encode()
        for _ in range(40):
            yield b"\0" * 100_000

    r = client.post("/api/jobs", content=body(),
                    headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert r.status_code == 413
    assert jobs_on_disk(studio) == before


def test_an_upload_named_like_a_path_lands_inside_the_studio(client, studio, tmp_path):
    clip = make_cut_video(tmp_path / "c.mp4", duration=2.0, cuts=(1.0,))
    target = studio.root.parent / "escaped.mp4"
    absolute = tmp_path / "elsewhere" / "escaped.mp4"  # an absolute name, outside the studio
    names = ["../../escaped.mp4", str(absolute), "..\\..\\escaped.mp4"]
    r = client.post("/api/jobs", data={"kind": "score", "options": json.dumps({"replace-audio": True})},
                    files=[("files", (names[0], clip.path.read_bytes()))])
    assert r.status_code == 201, r.text
    job = wait(client, r.json()["id"])
    assert job["state"] == "done", job
    assert not target.exists()
    folder = studio.root / "jobs" / job["id"] / "in"
    assert sorted(p.name for p in folder.iterdir() if p.is_file()) == ["0.mp4"]
    # the link the editor timelines name carries the client's name, reduced to a harmless one
    assert [p.name for p in (folder / "named").iterdir()] == ["escaped.mp4"]
    assert (folder / "named" / "escaped.mp4").samefile(folder / "0.mp4")
    assert all(".." not in f["name"] and not f["name"].startswith("/") for f in job["results"])
    for name in names[1:]:
        r = client.post("/api/jobs", data={"kind": "cover"}, files=[("files", (name, b"not audio"))])
        assert r.status_code == 415
    assert not target.exists() and not absolute.exists() and not absolute.parent.exists()


def test_files_are_reached_by_id_only(client, studio, tmp_path):
    job = next(j for j in client.get("/api/jobs").json()["jobs"] if j["state"] == "done")
    for path in [f"/api/jobs/{job['id']}/files/..%2Fin%2F0.mp4", f"/api/jobs/{job['id']}/files/0.mp4",
                 f"/api/jobs/{job['id']}/files/{job['results'][0]['name']}",
                 f"/api/jobs/..%2F..%2F/files/x", "/static/..%2Fserver.py", "/static/%2e%2e/server.py",
                 "/static/../security.py"]:
        r = client.get(path)
        assert r.status_code == 404, path
        assert b"import" not in r.content


@pytest.mark.parametrize("kind,name,content", [
    ("score", "clip.mp4", b"this is a text file, not a video\n" * 50),
    ("score", "song.wav", None),  # real audio, but the score job wants a video
    ("cover", "song.mp3", b"\x89PNG\r\n\x1a\n" + b"\0" * 500),
    ("restore", "photo.jpg", b"MZ\x90\0" + b"\0" * 500),
])
def test_uploads_that_are_not_the_media_a_job_needs_are_refused(client, studio, tmp_path, kind, name, content):
    if content is None:
        from tests.media import write_tone

        content = write_tone(tmp_path / "t.wav", 440, 1.0).read_bytes()
    before = jobs_on_disk(studio)
    r = client.post("/api/jobs", data={"kind": kind}, files=[("files", (name, content))])
    assert r.status_code == 415, r.text
    error = r.json()["error"]
    assert error.startswith(name + ": ") and "\n" not in error
    assert jobs_on_disk(studio) == before


# ------------------------------------------------------------------ what the browser is told


def test_pages_carry_a_restrictive_content_security_policy(client):
    r = client.get("/")
    csp = r.headers["content-security-policy"]
    assert csp == CSP
    directives = dict(d.split(" ", 1) for d in csp.split("; "))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in csp and "*" not in csp and "http" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"


def test_the_page_loads_nothing_from_elsewhere():
    files = list(STATIC.iterdir())
    assert {p.name for p in files} >= {"index.html", "app.js", "app.css"}
    for p in files:
        text = p.read_text()
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text, re.I), p  # no CDN, no fonts, no beacons
        if p.suffix == ".html":
            assert "<script>" not in text and " on" + "click=" not in text  # no inline script (the CSP forbids it)


# ------------------------------------------------------------------ a real server


def _start(*args):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "cinemuse", "studio", "--no-browser", "--port", "0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    line = proc.stdout.readline()
    m = re.search(r"(http://\S+?):(\d+)/\?token=(\S+)", line)
    assert m, (line, proc.stderr.read() if proc.poll() is not None else "")
    return proc, int(m.group(2)), m.group(3)


def _get(url, headers=None):
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_the_real_server_binds_loopback_and_refuses_a_rebound_host():
    proc, port, token = _start()
    try:
        import psutil

        addrs = {c.laddr.ip for c in psutil.Process(proc.pid).net_connections() if c.status == "LISTEN"}
        assert addrs == {"127.0.0.1"}
        auth = {"Authorization": f"Bearer {token}"}
        assert _get(f"http://127.0.0.1:{port}/api/kinds", auth)[0] == 200
        # a rebinding attack: evil.example resolves to 127.0.0.1, the browser sends its name
        assert _get(f"http://127.0.0.1:{port}/api/kinds", {**auth, "Host": "evil.example"})[0] == 403
        assert _get(f"http://127.0.0.1:{port}/")[0] == 401
    finally:
        proc.terminate()
        proc.wait(20)
    assert proc.returncode == 0, proc.stderr.read()


def test_another_host_is_only_with_host_and_a_warning():
    proc, port, token = _start("--host", "0.0.0.0")
    try:
        time.sleep(0.2)
    finally:
        proc.terminate()
        proc.wait(20)
    assert "warning: listening on 0.0.0.0" in proc.stderr.read()
