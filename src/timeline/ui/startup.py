"""What the server's first run costs, cut (docs/performance.md, "the server's time outside
the script was the garbage collector"). `app.py` runs the page inside `first_run_settled`."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from streamlit import delta_generator

_settled = False
"""The server's first run has ended and what it left is frozen. A flag, not
`gc.get_freeze_count()`: that walks the whole frozen list (200,000+ objects in the server,
about 20-30 ms a call on this machine), and it was asked twice on every run of the page."""


@contextmanager
def first_run_settled() -> Iterator[None]:
    """Run the page; on the server's first run, without the collector, then freeze what it left.

    The first run imports the libraries and fills the caches: long-lived objects the collector
    would walk again and again while they are made (0.1-0.3 CPU s of the first chart), so it
    runs with the collector off. Streamlit then collects after every run
    (`runner.postScriptGC`), a full collection walking every object made on import (0.1-0.15
    CPU s per click); once per server, after its first run, what is alive is moved out of the
    collector's reach (`gc.freeze`), so later collections walk only what later runs made. The
    cost: what the first run left that later becomes cyclic garbage is never collected."""
    global _settled
    first = not _settled and gc.isenabled()
    if first:
        gc.disable()
    # Streamlit's first element of a process asks whether it runs in a REPL by
    # `inspect.stack()`, which maps every frame through all ~1,700 loaded modules: 0.14 CPU s
    # of the first chart. Under `streamlit run` the answer is no.
    if hasattr(delta_generator, "_use_warning_has_been_displayed"):
        delta_generator._use_warning_has_been_displayed = True
    try:
        yield
    finally:
        if first:
            gc.enable()
        if not _settled:
            gc.collect()
            gc.freeze()
            _settled = True
