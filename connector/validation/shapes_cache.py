"""What an engine derives from a shapes graph (N-Triples text, a memoising copy, a hybrid plan), made once per graph.

Profiles hand the same, unchanging rdflib shapes graph to every validation, so a derivation is kept for as long as
that graph object lives (weakly keyed: a reloaded profile gets a fresh one).
"""

from __future__ import annotations

import functools
import threading
import weakref
from collections.abc import Callable
from typing import TypeVar

from rdflib import Graph

T = TypeVar("T")


def per_shapes_graph(derive: Callable[[Graph], T]) -> Callable[[Graph], T]:
    """``derive`` computed once per shapes graph object, thread-safe (a first call for a graph may run twice)."""
    cache: weakref.WeakKeyDictionary[Graph, T] = weakref.WeakKeyDictionary()
    lock = threading.Lock()

    @functools.wraps(derive)
    def cached(shapes: Graph) -> T:
        with lock:
            if shapes in cache:
                return cache[shapes]
        value = derive(shapes)
        with lock:
            return cache.setdefault(shapes, value)

    return cached
