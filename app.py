"""Streamlit entry point: `streamlit run app.py`. All UI code lives in timeline.ui."""

from timeline.ui.components.plotly_js import preload
from timeline.ui.startup import first_run_settled

with first_run_settled():  # the first run without the collector, then what it left frozen
    preload()  # plotly.js on its way to the browser before the dashboard's imports (2-5 CPU s)
    from timeline.ui.router import run

    run()  # the dashboard; with sign-in configured, the editor page too (docs/editing.md)
