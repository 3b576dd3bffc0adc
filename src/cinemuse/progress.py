"""Progress reporting that the library accepts and the CLI decides how to show.

Library code takes ``progress: Progress`` (default :data:`SILENT`) and calls
``with progress.stage("Reading video", total=n) as stage: stage.advance()``.
The CLI passes a rich progress bar on a terminal, and :data:`SILENT` when output is
not a TTY or with ``--quiet``/``--json``.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Iterator


class Stage:
    """Handle for one stage of work; ``advance`` and ``update`` are cheap no-ops when silent."""

    def advance(self, amount: float = 1.0) -> None:  # noqa: D102
        pass

    def update(self, completed: float, total: float | None = None) -> None:  # noqa: D102
        pass

    def note(self, text: str) -> None:
        """What the stage is on now (e.g. the current file), shown beside its bar."""


class Progress:
    """Silent progress: the base class and the default for library calls."""

    @contextmanager
    def stage(self, description: str, total: float | None = None) -> Iterator[Stage]:
        yield Stage()

    def log(self, message: str) -> None:
        """A short note for the user (shown on a terminal, dropped when silent)."""


SILENT = Progress()


class _RichStage(Stage):
    def __init__(self, bar, task_id, description=""):
        self._bar, self._task_id, self._description = bar, task_id, description

    def advance(self, amount: float = 1.0) -> None:
        self._bar.advance(self._task_id, amount)

    def update(self, completed: float, total: float | None = None) -> None:
        if total is None:
            self._bar.update(self._task_id, completed=completed)
        else:
            self._bar.update(self._task_id, completed=completed, total=total)

    def note(self, text: str) -> None:
        self._bar.update(self._task_id, description=f"{self._description}: {text}")


class RichProgress(Progress):
    """Progress bars on stderr, one line per stage, via rich."""

    def __init__(self) -> None:
        from rich.console import Console

        self._console = Console(stderr=True)

    @contextmanager
    def stage(self, description: str, total: float | None = None) -> Iterator[Stage]:
        from rich.progress import (
            BarColumn,
            Progress as _Bar,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        bar = _Bar(
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=self._console,
            transient=False,
        )
        with bar:
            task_id = bar.add_task(description, total=total)
            stage = _RichStage(bar, task_id, description)
            yield stage
            if total is not None:
                bar.update(task_id, completed=total)

    def log(self, message: str) -> None:
        self._console.print(message, highlight=False)


def for_terminal(*, quiet: bool) -> Progress:
    """Rich bars when stderr is an interactive terminal and the user did not ask for quiet."""
    if quiet or not sys.stderr.isatty():
        return SILENT
    return RichProgress()
