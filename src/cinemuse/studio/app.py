"""Running the studio: bind, print the address, open the browser, serve until Ctrl-C."""

from __future__ import annotations

import errno
import socket
import sys
import threading

from cinemuse.studio import DEFAULT_MAX_UPLOAD_MB, DEFAULT_PORT

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def bind(host: str, port: int | None) -> socket.socket:
    """A listening socket; the default port falls back to a free one when it is taken."""
    from cinemuse.errors import UsageError

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        try:
            sock.bind((host, DEFAULT_PORT if port is None else port))
        except OSError as exc:
            if port is not None or exc.errno != errno.EADDRINUSE:
                raise
            sock.bind((host, 0))
    except OSError as exc:
        sock.close()
        raise UsageError(f"cannot listen on {host}:{port or DEFAULT_PORT}: {exc.strerror}") from None
    sock.listen(128)
    return sock


def serve(*, host: str = "127.0.0.1", port: int | None = None, open_browser: bool = True,
          max_upload_mb: float = DEFAULT_MAX_UPLOAD_MB, workers: int = 1) -> None:
    import uvicorn

    from cinemuse.studio.server import Studio

    sock = bind(host, port)
    studio = Studio(host=host, port=sock.getsockname()[1], max_upload_mb=max_upload_mb, workers=workers)
    try:
        # the socket already listens: the address works the moment it is printed
        print(f"cinemuse studio: {studio.url}", flush=True)
        if host not in LOOPBACK:
            print(f"warning: listening on {host}, so other computers can reach the studio; "
                  "anyone with the address above can use it", file=sys.stderr, flush=True)
        if open_browser:
            import webbrowser

            threading.Thread(target=webbrowser.open, args=(studio.url,), daemon=True).start()
        config = uvicorn.Config(studio.app, log_level="warning", access_log=False, lifespan="off",
                                timeout_graceful_shutdown=1, ws="none")
        try:
            uvicorn.Server(config).run(sockets=[sock])
        except KeyboardInterrupt:  # uvicorn hands Ctrl-C / SIGTERM back after its shutdown
            pass
    finally:
        studio.close()
        sock.close()
    print("cinemuse studio: stopped (its uploads and results were deleted)", file=sys.stderr, flush=True)
