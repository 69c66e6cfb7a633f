"""How long-running core work reports progress without knowing about terminals or HTTP.

The CLI passes a rich-backed reporter, the job engine one that records progress for ``GET /admin/jobs/{id}``,
tests the silent default.
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def start(self, task: str, total: int | None = None) -> None:
        """Begin a task; ``total`` is the expected number of units when known."""

    def advance(self, units: int = 1) -> None:
        """Report ``units`` more done in the current task."""

    def finish(self, summary: str) -> None:
        """End the current task with a one-line summary."""


class SilentProgress:
    """Progress that reports nothing."""

    def start(self, task: str, total: int | None = None) -> None:
        pass

    def advance(self, units: int = 1) -> None:
        pass

    def finish(self, summary: str) -> None:
        pass
