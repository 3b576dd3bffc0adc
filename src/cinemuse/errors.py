"""One error hierarchy for the whole package; the CLI maps each class to an exit code.

Exit codes: 0 done, 2 bad input or usage (an output that cannot be written included), 3 a disk
filled up while writing, 1 internal error (a bug: anything that is not a CinemuseError),
130 interrupted (Ctrl-C, SIGTERM). Messages are one line and name the file they are about.
"""

from __future__ import annotations

from pathlib import Path

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_DISK_FULL = 3
EXIT_INTERRUPTED = 130


class CinemuseError(Exception):
    """Base class: an expected failure with a one-line message for the user."""

    exit_code = EXIT_INTERNAL


class UsageError(CinemuseError):
    """The command line asks for something impossible or contradictory."""

    exit_code = EXIT_USAGE


class BadInputError(CinemuseError):
    """An input file is missing, unreadable, corrupt or of the wrong kind."""

    exit_code = EXIT_USAGE

    def __init__(self, path: str | Path | None, problem: str):
        self.path = None if path is None else Path(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}" if self.path is not None else problem)


class OutputError(BadInputError):
    """An output cannot be written: it exists (without --force), or its folder is unwritable."""


class DiskFullError(OutputError):
    """A disk filled up while an output (or the scratch space it needs) was being written.

    Not the input's fault and not a bug: the same command succeeds once there is room. The
    message names the user's output and the folder whose disk is full.
    """

    exit_code = EXIT_DISK_FULL


class NotBuiltError(CinemuseError):
    """The job exists on the roadmap but is not part of this version."""

    exit_code = EXIT_USAGE


class InstallError(CinemuseError):
    """A package the job needs is not installed; the message gives the command to run."""

    exit_code = EXIT_INTERNAL


class ModelMissingError(CinemuseError):
    """Shipped weights are missing from the install (a packaging bug or an unbuilt asset)."""

    exit_code = EXIT_INTERNAL
