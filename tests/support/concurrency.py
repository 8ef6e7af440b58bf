"""Calls started at the same instant, to prove that two people acting at once cannot both win."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


def run_at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Start every call at the same instant in its own thread; return their responses in order."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def worker(i: int, call: Callable[[], Any]) -> None:
        barrier.wait()
        results[i] = call()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results
