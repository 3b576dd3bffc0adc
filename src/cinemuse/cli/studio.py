"""`cinemuse studio`: a local web page for every job."""

from __future__ import annotations

import argparse

HELP = "open the studio: every job in a local web page (nothing leaves this computer)"
DESCRIPTION = """\
Start the studio: a web page on this computer for every cinemuse job (score, slideshow,
compose, cover, analyze, colorize, restore), with drag and drop, previews and downloads
(for score and slideshow also editor timelines: Premiere Pro, DaVinci Resolve, Final Cut Pro).

It prints one line with its address, which carries a secret token, and opens it in your
browser. It listens on 127.0.0.1 only (this computer) unless --host says otherwise. Uploads
and results live in a private folder that is deleted when the studio stops (Ctrl-C).
The page uses the HTTP API under /api, which scripts and editor plug-ins can use too
(see the README; GET /api/openapi.json describes it).

examples:
  cinemuse studio
  cinemuse studio --port 9000 --no-browser
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from cinemuse.studio import DEFAULT_MAX_UPLOAD_MB, DEFAULT_PORT

    parser.add_argument("--port", type=int, default=None, metavar="N",
                        help=f"port to listen on (default {DEFAULT_PORT}, or a free one if taken)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1: this computer only)")
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser")
    parser.add_argument("--max-upload-mb", type=float, default=DEFAULT_MAX_UPLOAD_MB, metavar="M",
                        help=f"largest upload accepted, in MB (default {DEFAULT_MAX_UPLOAD_MB})")
    parser.add_argument("--workers", type=int, default=1, metavar="N",
                        help="jobs run at the same time, each in its own process (default 1)")


def run(args: argparse.Namespace, progress) -> dict:
    from cinemuse.errors import UsageError
    from cinemuse.studio.app import serve

    if args.port is not None and not 0 <= args.port <= 65535:
        raise UsageError("--port must be between 0 and 65535")
    if args.max_upload_mb <= 0:
        raise UsageError("--max-upload-mb must be positive")
    if not 1 <= args.workers <= 16:
        raise UsageError("--workers must be between 1 and 16")
    serve(host=args.host, port=args.port, open_browser=not args.no_browser,
          max_upload_mb=args.max_upload_mb, workers=args.workers)
    return {}


def describe(result: dict) -> str:
    return ""
