"""Python's cycle collector paused while one command turns a book into objects.

Reading 100,000 rows makes about a million long-lived objects (records, models, rows), and each
time their number grows by a quarter the collector walks all of them looking for cycles that
are not there: seven full passes, a fifth of a read's time. Reference counting still frees
everything a command drops; the few cycles a command leaves are collected when it is done.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cycle collector for the body (one command); restore it, as it was, after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
