"""The floors of `bench_browser.py`: the dashboard's three figures (timeline, counts, map),
built once for two views (every event, and drone attacks only), switched on a radio

- in a minimal Streamlit page (`st.radio` and three plain `st.plotly_chart`s of the kept
  figures): what Streamlit's rerun model costs by itself, server and browser;
- in a static HTML page with plotly.js alone (`Plotly.react` on each chart): what drawing the
  same figures costs the browser, with no server at all.

Each switch redraws all three charts, as a filter change does on the dashboard.
"""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

VIEWS = ("all", "drones")

STREAMLIT_PAGE = """
import json
from pathlib import Path

import plotly.io as pio
import streamlit as st


@st.cache_resource
def figures():
    raw = json.loads((Path(__file__).parent / "figures.json").read_text())
    return {name: [pio.from_json(f) for f in figs] for name, figs in raw.items()}


st.set_page_config(page_title="floor", layout="wide")
choice = st.radio("View", list(figures()), horizontal=True)
for i, fig in enumerate(figures()[choice]):
    st.plotly_chart(fig, key=f"chart-{i}")
"""

STATIC_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><script src="plotly.min.js"></script></head>
<body>
<form id="views"></form>
<div class="chart"></div><div class="chart"></div><div class="chart"></div>
<script>
(async () => {
  const figs = await (await fetch("figures.json")).json();
  const form = document.getElementById("views"), divs = [...document.querySelectorAll(".chart")];
  const draw = (name) => figs[name].forEach((text, i) => {
    const fig = JSON.parse(text);  // as Streamlit parses the figure it receives
    Plotly.react(divs[i], fig.data, fig.layout, {displaylogo: false});
  });
  Object.keys(figs).forEach((name, i) => {
    const label = document.createElement("label"), input = document.createElement("input");
    input.type = "radio"; input.name = "view"; input.value = name; input.checked = i === 0;
    input.addEventListener("change", () => draw(name));
    label.append(input, " " + name);
    form.append(label);
  });
  draw(Object.keys(figs)[0]);
})();
</script></body></html>
"""


def figures(data: Path) -> dict[str, list[str]]:
    """The dashboard's three figures as plotly JSON for each of `VIEWS`, built by the
    figures package from the engine's answers, as the page builds them."""
    from timeline.engine import open_engine
    from timeline.figures import counts_figure, map_figure, timeline_figure
    from timeline.figures.timeline_chart import shared_range
    from timeline.view import View

    engine = open_engine(data)
    out = {}
    for name, v in zip(VIEWS, (View(), View().with_filter("type", ("drone_attack",))), strict=True):
        match = engine.match(v)
        window = shared_range((v.span.start, v.span.end), match.first, match.last)
        timeline, _ = timeline_figure(engine.timeline(v, match), lanes=v.lanes, window=window, width=800)
        counts = counts_figure(engine.strikes(v), window=window)
        where = map_figure(engine.map(v, match))
        out[name] = [fig.to_json() for fig in (timeline, counts, where)]
    return out


def write(folder: Path, data: Path) -> None:
    """The two floor pages, their figures and plotly.js (the installed plotly package's copy,
    the one `st.plotly_chart`'s figures are made for) into `folder`."""
    import plotly

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "figures.json").write_text(json.dumps(figures(data)))
    (folder / "floor_app.py").write_text(STREAMLIT_PAGE)
    (folder / "index.html").write_text(STATIC_PAGE)
    shutil.copy(Path(plotly.__file__).parent / "package_data" / "plotly.min.js", folder / "plotly.min.js")


def start_streamlit(folder: Path, port: int, log: Path) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "streamlit", "run", str(folder / "floor_app.py"), "--server.port", str(port),
        "--server.address", "127.0.0.1", "--server.headless", "true",
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
    ]  # fmt: skip
    return subprocess.Popen(command, cwd=folder, stdout=log.open("w"), stderr=subprocess.STDOUT)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def static_server(folder: Path) -> Iterator[str]:
    """The folder served on a free local port, in a thread of this process."""
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
    finally:
        server.shutdown()
        server.server_close()
