"""Streamlit entry point: `streamlit run app.py`. All UI code lives in timeline.ui."""

import gc

from streamlit import delta_generator

# The server's first run imports the libraries and fills the caches: long-lived objects,
# which the collector would walk again and again while they are made (0.1-0.3 CPU s of the
# first chart). It runs without the collector, then collects once and freezes what is alive
# (below).
FIRST_RUN = not gc.get_freeze_count() and gc.isenabled()
if FIRST_RUN:
    gc.disable()

try:
    from timeline.ui.router import run

    # Streamlit's first element of a process asks whether it runs in a REPL, by
    # `inspect.stack()`, which maps every frame to its module through all ~1,700 loaded
    # modules: 0.14 CPU s of the first chart. Under `streamlit run` the answer is no.
    if hasattr(delta_generator, "_use_warning_has_been_displayed"):
        delta_generator._use_warning_has_been_displayed = True

    run()  # the dashboard; with sign-in configured, the editor page too (docs/editing.md)
finally:
    if FIRST_RUN:
        gc.enable()
    # Streamlit collects garbage after every run (`runner.postScriptGC`): a full collection
    # walks every object the libraries made on import, 0.1-0.15 CPU s per click. Once per
    # server, after its first run, what is alive is moved out of the collector's reach
    # (`gc.freeze`): later collections walk only what later runs made (docs/performance.md).
    if not gc.get_freeze_count():
        gc.collect()
        gc.freeze()
