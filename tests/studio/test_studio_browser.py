"""The studio in a real headless Chromium: load the page, drop a video, wait for the score,
play the result. Runs in CI (``./quickstart.sh test`` installs Debian's
``chromium-headless-shell`` when it can); elsewhere it skips without a browser, but never
when ``CI`` is set.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.media import make_cut_video

HEADLESS_SHELL = "/usr/lib/chromium/chromium-headless-shell"


def _browser() -> str | None:
    for exe in (HEADLESS_SHELL, shutil.which("chromium-headless-shell")):
        if exe and Path(exe).exists():
            return exe
    return None


def _need_browser():
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problem = "playwright is not installed (pip install playwright)"
    else:
        problem = None if _browser() else "no headless Chromium (apt-get install chromium-headless-shell)"
    if problem and os.environ.get("CI"):
        pytest.fail(f"browser tests must run in CI: {problem}")
    if problem:
        pytest.skip(problem)


@pytest.fixture(scope="module")
def studio_url():
    _need_browser()
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "cinemuse", "studio", "--no-browser", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    line = proc.stdout.readline()
    m = re.search(r"http://\S+", line)
    assert m, (line, proc.poll())
    yield m.group(0), t0
    proc.terminate()
    proc.wait(20)


@pytest.fixture(scope="module")
def browser():
    _need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=_browser(), args=["--autoplay-policy=no-user-gesture-required"])
        yield b
        b.close()


def _screenshot_dir(tmp_path: Path) -> Path:
    d = Path(os.environ.get("CINEMUSE_SCREENSHOTS", tmp_path))
    d.mkdir(parents=True, exist_ok=True)
    return d


def test_score_a_video_in_the_page_and_play_the_result(studio_url, browser, tmp_path):
    url, started = studio_url
    base = url.split("/?")[0]
    clip = make_cut_video(tmp_path / "beach day.mp4", duration=4.0, cuts=(1.0, 2.5), size=(320, 240),
                          audio_freq=330)
    page = browser.new_page(viewport={"width": 1366, "height": 860})
    problems, requests = [], []
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))  # CSP violations land here
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(url)
    page.wait_for_selector("body[data-ready='1']", timeout=15_000)
    assert page.url == base + "/#score"  # the token left the address bar for a cookie
    assert page.locator("#tabs [role=tab]").count() >= 6

    page.set_input_files("#file", str(clip.path))
    page.fill("#opt-seed", "2")
    page.click("#run")
    page.wait_for_selector("#result-video", timeout=180_000)
    info = page.evaluate("""async () => {
        const v = document.getElementById('result-video');
        if (v.readyState < 1) await new Promise(r => v.addEventListener('loadedmetadata', r, {once: true}));
        v.muted = true;
        await v.play();
        const t0 = v.currentTime;
        await new Promise(r => setTimeout(r, 800));
        return {duration: v.duration, width: v.videoWidth, height: v.videoHeight, t0, t1: v.currentTime,
                paused: v.paused, error: v.error && v.error.code};
    }""")
    assert info["error"] is None, info
    assert info["duration"] == pytest.approx(clip.duration, abs=0.05), info
    assert (info["width"], info["height"]) == (320, 240)
    assert info["t1"] > info["t0"] + 0.2 and not info["paused"], info  # it plays
    # the timeline shows both cuts, the hits and the sections
    assert page.locator(".timeline .cut").count() == 2
    assert page.locator(".timeline .hit").count() >= 2
    assert page.locator(".timeline .sec").count() >= 1
    names = page.locator(".downloads a").all_inner_texts()
    assert any("beach_day_scored.mp4" in n for n in names) and any(".mid" in n for n in names)
    for label in ("Premiere Pro", "Final Cut Pro", "OpenTimelineIO", "Resolve markers", "Markers (.csv)"):
        assert any(n.startswith(label) for n in names), (label, names)
    page.evaluate("document.getElementById('result-video').pause()")
    page.screenshot(path=str(_screenshot_dir(tmp_path) / "studio-score.png"), full_page=True)
    assert not problems, problems
    assert all(r.startswith(base + "/") or r.startswith("blob:") or r.startswith("data:") for r in requests), requests


def test_a_bad_file_shows_the_one_line_error(studio_url, browser, tmp_path):
    url, _ = studio_url
    bad = tmp_path / "notes.mp4"
    bad.write_text("not a video at all\n" * 20)
    page = browser.new_page(viewport={"width": 1366, "height": 860})
    page.goto(url)
    page.wait_for_selector("body[data-ready='1']")
    page.set_input_files("#file", str(bad))
    page.keyboard.press("Tab")
    page.click("#run")
    error = page.locator("#error")
    error.wait_for(state="visible", timeout=15_000)
    text = error.inner_text()
    assert text.startswith("cinemuse score: notes.mp4: ") and "\n" not in text
    page.screenshot(path=str(_screenshot_dir(tmp_path) / "studio-error.png"))


def test_every_tab_renders_and_is_reachable_by_keyboard(studio_url, browser, tmp_path):
    url, _ = studio_url
    page = browser.new_page(viewport={"width": 1366, "height": 860})
    page.goto(url)
    page.wait_for_selector("body[data-ready='1']")
    page.focus("#tabs [aria-selected=true]")
    seen = []
    for _ in range(7):
        seen.append(page.inner_text("#job-title"))
        page.keyboard.press("ArrowRight")
    assert len(set(seen)) == 7, seen
    page.click("#tabs [data-kind=compose]")
    assert page.is_hidden("#drop") and page.is_visible("#opt-duration")


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    """A song, photos, a grey photo: what the other jobs take."""
    import numpy as np
    from PIL import Image

    import cinemuse
    from tests.slideshow.photos import album

    d = tmp_path_factory.mktemp("media")
    cinemuse.compose(d / "night drive.wav", duration=8, mood="happy", style="pop", seed=4)
    photos = album(d / "album", 3, size=(480, 320))
    grey = np.asarray(Image.open(photos[0]).convert("L"))
    Image.fromarray(grey).save(d / "grandma.png")
    return d, photos


# kind -> (files, options to fill, what shows the result, what must be on it)
def _job_case(kind, d, photos):
    return {
        "slideshow": ([str(p) for p in photos], {"opt-aspect": "1:1", "opt-duration": "3", "opt-look": "warm"},
                      "#result-video", ".timeline .cut"),
        "compose": ([], {"opt-duration": "6", "opt-mood": "calm"}, "#result-audio", ".timeline .sec"),
        "cover": ([str(d / "night drive.wav")], {"opt-title": "Night Drive", "opt-artist": "Me", "opt-variants": "2"},
                  ".big-cover", ".grid button"),
        "analyze": ([str(d / "night drive.wav")], {}, ".timeline", ".stats b"),
        "colorize": ([str(d / "grandma.png")], {}, ".compare", ".compare .after img"),
        "restore": ([str(photos[1])], {"opt-denoise": True}, ".compare", ".compare .after img"),
    }[kind]


@pytest.mark.parametrize("kind", ["slideshow", "compose", "cover", "analyze", "colorize", "restore"])
def test_every_job_has_a_result_page_that_works(studio_url, browser, media, tmp_path, kind):
    url, _ = studio_url
    d, photos = media
    files, fill, shown, inside = _job_case(kind, d, photos)
    page = browser.new_page(viewport={"width": 1366, "height": 860})
    problems = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    page.goto(url)
    page.wait_for_selector("body[data-ready='1']")
    page.click(f"#tabs [data-kind={kind}]")
    if files:
        page.set_input_files("#file", files)
    for field, value in fill.items():
        if value is True:
            page.check(f"#{field}")
        elif page.locator(f"select#{field}").count():
            page.select_option(f"#{field}", value)
        else:
            page.fill(f"#{field}", value)
    page.click("#run")
    page.wait_for_selector(f"#result-body {shown}", timeout=240_000)
    assert page.locator(f"#result-body {inside}").count() >= 1
    assert page.locator("#result-body .downloads a").count() >= 1
    broken = page.evaluate("""() => [...document.querySelectorAll('#result-body img')]
        .filter(i => i.complete && i.naturalWidth === 0).map(i => i.src)""")
    assert not broken, broken
    if kind in ("slideshow", "compose"):
        media_id = "result-video" if kind == "slideshow" else "result-audio"
        info = page.evaluate(f"""async () => {{
            const m = document.getElementById('{media_id}');
            if (m.readyState < 1) await new Promise(r => m.addEventListener('loadedmetadata', r, {{once: true}}));
            return {{duration: m.duration, error: m.error && m.error.code}};
        }}""")
        assert info["error"] is None and info["duration"] == pytest.approx(3.0 if kind == "slideshow" else 6.0, abs=0.1)
    if kind == "slideshow":
        labels = page.locator("#result-body .downloads a").all_inner_texts()
        assert any(t.startswith("Premiere Pro") for t in labels) and any(t.startswith("Final Cut") for t in labels)
    page.wait_for_timeout(300)  # images and the waveform settle
    page.screenshot(path=str(_screenshot_dir(tmp_path) / f"studio-{kind}.png"), full_page=True)
    assert not problems, problems


def test_slideshow_styles_preview_on_your_photo(studio_url, browser, media, tmp_path):
    import cinemuse

    url, _ = studio_url
    _, photos = media
    page = browser.new_page(viewport={"width": 1366, "height": 860})
    page.goto(url)
    page.wait_for_selector("body[data-ready='1']")
    page.click("#tabs [data-kind=slideshow]")
    page.set_input_files("#file", [str(p) for p in photos])
    page.select_option("#opt-look", "film")
    page.click("#preview")
    page.wait_for_selector("#result-body .grid.styles button", timeout=240_000)
    names = [s.name for s in cinemuse.list_styles()]
    buttons = page.locator("#result-body .grid.styles button")
    assert buttons.count() == len(names) + 1
    # the buttons come before their previews have loaded: wait for every preview to decode
    # (a preview that never loads fails here, after the timeout)
    page.wait_for_function("""() => [...document.querySelectorAll('.grid.styles img')]
        .every(i => i.complete && i.naturalWidth > 0)""", timeout=30_000)
    buttons.nth(2).click()
    assert page.input_value("#opt-style") == names[1]
    assert buttons.nth(2).get_attribute("aria-pressed") == "true"
    page.screenshot(path=str(_screenshot_dir(tmp_path) / "studio-slideshow-styles.png"), full_page=True)
