"""The garbage collector, once a process has started (issue 19: 12 % of a hand-over's API CPU
was `gc_collect_main`, in a native py-spy profile under `make bench`'s load).

What a service builds at start-up (the app, its routes and models, SQLAlchemy's tables and
compiled statements, the connection pool) lives as long as the process, yet CPython's oldest
generation scans it all again and again. `settle()` moves it out of the collector's sight
(`gc.freeze`, as Instagram's servers do), so a collection scans only what requests made; and it
lets the youngest generation grow larger before a collection (a request allocates thousands
of short-lived objects that reference counting frees anyway). Cycles are still collected.
"""

from __future__ import annotations

import gc

# Objects allocated (net) before a young collection: CPython's default is 700.
YOUNG_THRESHOLD = 20_000


_settled = False


def settle() -> None:
    """Once start-up is done (the app's lifespan, the worker's runtime). Only the first call
    in a process does anything: what a later app of the same process (a test's) leaves behind
    stays collectable."""
    global _settled
    if _settled:
        return
    _settled = True
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
