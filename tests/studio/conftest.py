"""One studio for the studio tests (its worker warms up once), and clients for it."""

from __future__ import annotations

import time

import pytest

PORT = 8765  # the test client never binds it; it is the port the Host header names
BASE = f"http://127.0.0.1:{PORT}"


@pytest.fixture(scope="session")
def studio():
    from cinemuse.studio.server import Studio

    s = Studio(port=PORT, max_upload_mb=2)
    yield s
    s.close()


@pytest.fixture()
def anon(studio):
    """A client without the token."""
    from fastapi.testclient import TestClient

    with TestClient(studio.app, base_url=BASE) as c:
        yield c


@pytest.fixture()
def client(studio):
    """A client with the token as a Bearer header."""
    from fastapi.testclient import TestClient

    with TestClient(studio.app, base_url=BASE, headers={"Authorization": f"Bearer {studio.token}"}) as c:
        yield c


def wait(client, jid: str, timeout: float = 120.0) -> dict:
    """Poll a job until it is done, failed or cancelled."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        job = client.get(f"/api/jobs/{jid}").json()
        if job["state"] in ("done", "failed", "cancelled"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {jid} still {job['state']} after {timeout} s")
