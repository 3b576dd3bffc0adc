"""The ``cinemuse`` command line: parse, call the library, print. No logic lives here.

Each subcommand is a module in this package with ``HELP`` (one line), ``add_arguments(parser)``
and ``run(args, progress) -> dict``. Those modules import only argparse-level things at the
top, so building the whole parser (and ``cinemuse --help``) stays instant; the work and its
heavy imports happen inside ``run``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import signal
import sys
from typing import Any, Sequence

from cinemuse import __version__
from cinemuse.errors import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, CinemuseError

# name -> module under cinemuse.cli; the order is the order of --help.
COMMANDS = (
    "demo",
    "score",
    "compose",
    "slideshow",
    "thumbnail",
    "studio",
    "cover",
    "analyze",
    "colorize",
    "restore",
    "batch",
    "train",
)


class _Parser(argparse.ArgumentParser):
    """argparse exits with code 2 on usage errors already; make its message one line too.

    Every ``type=float`` option of every command refuses NaN and infinities.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from cinemuse.cli.argtypes import finite_float

        self.register("type", float, finite_float)

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _common_options() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("common options")
    group.add_argument("-q", "--quiet", action="store_true", help="no progress bars or notes")
    group.add_argument(
        "--json", action="store_true", help="print a machine-readable JSON summary on stdout"
    )
    group.add_argument(
        "--force", action="store_true", help="overwrite outputs that already exist"
    )
    group.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _common_options()
    parser = _Parser(
        prog="cinemuse",
        description=(
            "Offline creative tools: original soundtracks for videos, music, album covers, "
            "colour for old photos and films. Everything runs on this computer's CPU."
        ),
        epilog="Run 'cinemuse COMMAND --help' for the options of one command.",
    )
    parser.add_argument("--version", action="version", version=f"cinemuse {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        module = importlib.import_module(f"cinemuse.cli.{name}")
        p = sub.add_parser(
            name,
            help=module.HELP,
            description=getattr(module, "DESCRIPTION", module.HELP),
            parents=[common],
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(p)
        p.set_defaults(_module=module)
    return parser


def _print_summary(result: dict[str, Any], *, as_json: bool, module: Any) -> None:
    if as_json:
        json.dump(result, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
        return
    describe = getattr(module, "describe", None)
    text = describe(result) if describe else "\n".join(f"{k}: {v}" for k, v in result.items())
    if text:
        print(text)


def _raise_keyboard_interrupt(signum, frame):  # SIGTERM cleans up like Ctrl-C
    raise KeyboardInterrupt


def _split_passthrough(argv: list[str]) -> tuple[list[str], list[str]]:
    """``cinemuse batch ... -- JOB OPTIONS``: what follows the first ``--`` is the job's."""
    if argv[:1] == ["batch"] and "--" in argv:
        i = argv.index("--")
        return argv[:i], argv[i + 1:]
    return argv, []


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv, passthrough = _split_passthrough(list(sys.argv[1:] if argv is None else argv))
    args = parser.parse_args(argv)
    args.passthrough = passthrough
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    from cinemuse.progress import for_terminal

    # A file name the terminal's encoding cannot show (PYTHONIOENCODING=ascii, a name that is
    # not UTF-8) is printed escaped instead of failing after the work is done.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    progress = for_terminal(quiet=args.quiet or args.json)
    try:
        result = args._module.run(args, progress)
    except CinemuseError as exc:
        if args.debug:
            raise
        print(f"cinemuse {args.command}: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        if args.debug:
            raise
        note = getattr(args._module, "INTERRUPTED", "interrupted; no output was written")
        print(f"cinemuse {args.command}: {note}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # a bug: say so in one line, keep the traceback for --debug
        if args.debug:
            raise
        print(
            f"cinemuse {args.command}: internal error: {type(exc).__name__}: {exc} "
            "(rerun with --debug for the traceback)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    try:
        _print_summary(result or {}, as_json=args.json, module=args._module)
        sys.stdout.flush()
    except BrokenPipeError:  # `cinemuse analyze song.mp3 --json | head`: the reader has had enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the exit flush is quiet too
    return EXIT_OK
