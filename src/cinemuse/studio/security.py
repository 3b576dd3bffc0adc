"""The studio's front door: every request passes these checks before any route sees it.

Local ML web UIs have a long CVE history of the same few mistakes, each refused here:

* **DNS rebinding** (a web page whose host name is made to resolve to 127.0.0.1 talks to the
  local server as same-origin): the ``Host`` header must name the studio itself
  (``127.0.0.1:PORT``, ``localhost:PORT``, or the ``--host`` given), else 403.
* **Cross-site requests** (CSRF, or reading results from another site): a request that
  carries an ``Origin`` other than the studio's own, or that the browser marks
  ``Sec-Fetch-Site: cross-site``, is refused with 403, and no CORS header is ever sent.
* **Anyone on the machine or the network**: every request needs the token printed at start,
  as ``Authorization: Bearer TOKEN`` or the cookie a first visit to ``/?token=TOKEN`` sets
  (HttpOnly, SameSite=Strict, then a redirect drops the token from the address bar).
* **Huge uploads**: a body declared bigger than the limit gets 413 before it is read (the
  upload route counts the bytes of a body sent without a length, too).
* **Injected content**: a strict Content-Security-Policy (only the studio's own scripts,
  styles and media; no inline script, no frames, no other origins) and ``nosniff``.
"""

from __future__ import annotations

import hmac
import json
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

CSP = "; ".join((
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' blob: data:",
    "media-src 'self' blob:",
    "connect-src 'self'",
    "font-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
))
HEADERS = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
)
_NO_TOKEN_PAGE = (
    "<!doctype html><meta charset=utf-8><title>cinemuse studio</title>"
    "<p style='font:16px system-ui;margin:3em'>This page needs the address that "
    "<code>cinemuse studio</code> printed when it started (it ends in <code>?token=…</code>).</p>"
)


def allowed_hosts(host: str, port: int) -> frozenset[str]:
    """The ``Host`` values that name this studio."""
    names = {"127.0.0.1", "localhost", host}
    if host in ("::1", "[::1]"):
        names |= {"[::1]"}
    names.discard("::1")
    names.discard("0.0.0.0")  # a wildcard bind is reached through a real name or address
    names.discard("::")
    return frozenset(f"{n}:{port}" for n in names)


class Guard:
    """ASGI middleware applying the checks above, and the security headers to every answer."""

    def __init__(self, app, *, token: str, hosts: frozenset[str], cookie: str, max_body: int):
        self.app, self.token, self.hosts, self.cookie, self.max_body = app, token, hosts, cookie, max_body
        self.origins = frozenset(f"http://{h}" for h in hosts)

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            return await self.app(scope, receive, send)
        if scope["type"] != "http":  # no websockets here
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        refusal = self._refusal(scope, headers)
        if refusal is not None:
            return await _answer(send, *refusal)
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        if "token" in query and scope["method"] == "GET" and not scope["path"].startswith("/api/"):
            if not self._valid(query["token"][0]):
                return await _answer(send, 401, "the token in the address is not this studio's")
            # the token goes into a cookie and out of the address bar (and the history)
            cookie = f"{self.cookie}={self.token}; Path=/; HttpOnly; SameSite=Strict"
            return await _answer(send, 303, "", extra=[(b"location", scope["path"].encode()),
                                                       (b"set-cookie", cookie.encode())])
        if not self._authorised(headers):
            if scope["path"] in ("/", "/index.html"):
                return await _answer(send, 401, _NO_TOKEN_PAGE, html=True)
            return await _answer(send, 401, "this request needs the studio's token "
                                 "(Authorization: Bearer TOKEN, or open the printed address)")
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            return await _answer(send, 413, f"the upload is larger than the studio's limit of "
                                 f"{self.max_body // (1024 * 1024)} MB (cinemuse studio --max-upload-mb)")

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message["headers"] = [h for h in message.get("headers", [])
                                      if h[0].lower() not in dict(HEADERS)] + list(HEADERS)
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _refusal(self, scope, headers) -> tuple[int, str] | None:
        if headers.get("host") not in self.hosts:
            return 403, "this studio answers only to its own address (Host header refused)"
        origin = headers.get("origin")
        if origin is not None and origin not in self.origins:
            return 403, "requests from other sites are refused (Origin header)"
        if headers.get("sec-fetch-site") == "cross-site":
            return 403, "requests from other sites are refused (Sec-Fetch-Site)"
        return None

    def _valid(self, candidate: str) -> bool:
        return hmac.compare_digest(candidate.encode(), self.token.encode())

    def _authorised(self, headers) -> bool:
        auth = headers.get("authorization", "")
        if auth[:7].lower() == "bearer " and self._valid(auth[7:].strip()):
            return True
        jar = SimpleCookie()
        try:
            jar.load(headers.get("cookie", ""))
        except Exception:  # noqa: BLE001 - a malformed cookie header is no token
            return False
        morsel = jar.get(self.cookie)
        return morsel is not None and self._valid(morsel.value)


async def _answer(send, status: int, text: str, *, html: bool = False, extra=()) -> None:
    if html:
        body, ctype = text.encode(), b"text/html; charset=utf-8"
    elif text:
        body, ctype = json.dumps({"error": text}).encode(), b"application/json"
    else:
        body, ctype = b"", b"text/plain"
    headers = [(b"content-type", ctype), (b"content-length", str(len(body)).encode()),
               *extra, *HEADERS]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
