"""plotly.js asked for before the dashboard's imports (ui/components/plotly_js.py): the browser
loads and compiles it while the server imports and answers, and the charts wait for that
load instead of starting another."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from timeline.ui.components import plotly_chart, plotly_js

from conftest import run_app, shown_charts

HEAVY = ("pandas", "pyarrow", "duckdb", "ibis", "sqlglot", "numpy")
"""What the dashboard imports for its first chart (2-5 CPU s on a new server)."""


def test_the_page_asks_for_plotly_js_before_anything_else(monkeypatch: pytest.MonkeyPatch):
    at = run_app(monkeypatch)
    first = at.get("html")[0].proto.body
    assert f'script.src = "{plotly_js.plotly_url()}"' in first
    assert "window.__tlPlotly" in first
    # the charts are drawn, from the plotly.js that script loads
    assert len(shown_charts(at)) == 3 and not at.exception
    assert plotly_chart.payload(_figure(), (), (), {})["plotly"] == plotly_js.plotly_url()


def test_the_charts_wait_for_that_load_rather_than_loading_plotly_js_again():
    js = Path(plotly_chart.__file__).with_name("plotly_chart.js").read_text(encoding="utf-8")
    assert "if (window.Plotly) return Promise.resolve(window.Plotly);" in js
    assert "if (!window.__tlPlotly)" in js and "return window.__tlPlotly;" in js


def test_asking_for_plotly_js_needs_none_of_the_dashboards_libraries():
    """A fresh process, as a new server: what `app.py` imports before the request goes out."""
    code = (
        "import sys, streamlit\nimport timeline.ui.components.plotly_js\n"
        f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=os.environ
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1:] in ([], [""])


def _figure():
    import plotly.graph_objects as go

    return go.Figure(go.Scatter(x=[1, 2], y=[1, 2]))
