"""A graph that stops pyshacl when a deadline passes.

pyshacl reads the data graph only through ``Graph.triples``; checking the clock there stops the validation work
itself (in the calling thread, releasing its memory) instead of abandoning a thread that would keep running.
"""

from __future__ import annotations

import time

from rdflib import Graph

from connector.validation.errors import ValidationTimeout


class DeadlineGraph(Graph):
    def __init__(self, deadline: float) -> None:
        super().__init__()
        self._deadline = deadline
        self._calls = 0

    def triples(self, triple, *args, **kwargs):
        self._calls += 1
        if self._calls % 256 == 0 and time.monotonic() > self._deadline:
            raise ValidationTimeout("validation exceeded its time limit and was stopped")
        return super().triples(triple, *args, **kwargs)
