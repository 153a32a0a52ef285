"""Where a click on a point spends its time before the card: the messages between the page and
the server, time-stamped in the page, in Debian's Chromium against `streamlit run`.

    .venv/bin/python benchmarks/bench_click.py                          # the bundled 90 events
    .venv/bin/python benchmarks/bench_click.py --size 1000000 --clicks 4
    PYTHONPATH=/tmp/other/src .venv/bin/python benchmarks/bench_click.py --tree /tmp/other

`bench_browser.py` times the click as a whole (card + highlight); this splits it. Per click
(a fresh load of the narrow view `bench_browser` clicks in, then one point of the timeline),
in ms after the pointer went down:

- highlight: the timeline's first change (a style on a mark, or a redraw);
- sent: the page's first message to the server (the pick);
- run: the first script run starts (`new_session`), ends for the callback's keyed rerun
  (`st.rerun([...])`: Streamlit ends that run and starts the fragments'), the fragments' run
  starts;
- card: its container's message arrives, and when it is on the page;
- table: the table's dataframe arrives (and its size), the run ends;
- last: the last chart change (the overnight lines are drawn once the run is over);
- server CPU s over the click (user + system, from /proc).

Message times are those of the page's handlers: a busy page (a chart drawn) delays them too.
A benchmark, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import base64
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Installed before the page's own scripts: every websocket message in and out, time-stamped.
WIRE_JS = """() => {
  if (window.__wire) return;
  window.__wire = [];
  const Socket = window.WebSocket;
  const bytes = (u) => { let s = ''; for (const c of u) s += String.fromCharCode(c); return btoa(s); };
  window.WebSocket = function (...args) {
    const socket = new Socket(...args);
    socket.addEventListener('message', (e) => {
      const t = performance.now();
      if (e.data instanceof ArrayBuffer) window.__wire.push([t, e.data.byteLength, bytes(new Uint8Array(e.data))]);
      else if (e.data instanceof Blob) e.data.arrayBuffer().then((b) => window.__wire.push([t, b.byteLength, bytes(new Uint8Array(b))]));
    });
    const send = socket.send.bind(socket);
    socket.send = (d) => { window.__wire.push([performance.now(), -1, '']); return send(d); };
    return socket;
  };
  window.WebSocket.prototype = Socket.prototype;
  Object.assign(window.WebSocket, Socket);
}"""
CARD_BLOCK = "[class*=st-key-card-]"
COLUMNS = (
    "highlight",
    "sent",
    "run",
    "early end",
    "fragments",
    "card msg",
    "card",
    "table",
    "run end",
    "last",
)


def kind(data: str) -> tuple[str, str]:
    """A server message's kind (`new_session`, `finished:N`, an element's type) and, for a
    block, its path."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    msg = ForwardMsg()
    msg.ParseFromString(base64.b64decode(data))
    what = msg.WhichOneof("type")
    if what == "script_finished":
        return f"finished:{msg.script_finished}", ""
    if what != "delta":
        return what or "", ""
    delta = msg.delta.WhichOneof("type")
    inner = getattr(msg.delta, delta)
    sub = inner.WhichOneof("type") if delta in ("new_element", "add_block") else ""
    return sub or delta, ",".join(map(str, msg.metadata.delta_path))


def one_click(page, pid: int, spot: dict, bb) -> dict[str, float]:
    """Click `spot` and read the page's time stamps (ms after pointerdown)."""
    page.evaluate(f"() => {{ window.__wire.length = 0; window.__probe.watch = '{CARD_BLOCK}'; }}")
    case = bb.Case("click")
    bb.measure(page, pid, case, lambda p: p.mouse.click(spot["x"], spot["y"]))
    t0 = page.evaluate("() => window.__probe.t0")
    card = page.evaluate("() => window.__probe.found && window.__probe.found - window.__probe.t0")
    charts = page.evaluate("() => window.__probe.charts")
    row: dict[str, float] = {
        "highlight": min((ms for chart, ms in charts if chart == 0), default=float("nan")),
        "card": card or float("nan"),
        "last": max((ms for _, ms in charts), default=float("nan")),
        "cpu": case.cpu[0] if case.cpu else float("nan"),
        "table kB": float("nan"),
    }
    runs = 0
    for t, size, data in page.evaluate("() => window.__wire"):
        ms = t - t0
        if ms < 0:
            continue
        if size < 0:
            row.setdefault("sent", ms)
            continue
        what, path = kind(data)
        if what == "new_session":
            runs += 1
            row.setdefault("run" if runs == 1 else "fragments", ms)
        elif what == "finished:2":  # FINISHED_EARLY_FOR_RERUN
            row.setdefault("early end", ms)
        elif what.startswith("finished:"):
            row["run end"] = ms
        elif what == "dataframe":
            row.setdefault("table", ms)
            row["table kB"] = size / 1000
        elif what == "flex_container" and "card msg" not in row and path.count(",") >= 5:
            row["card msg"] = ms  # the panel's third block: the first card's container
    return row


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=90, help="90: the bundled data")
    parser.add_argument("--clicks", type=int, default=4, help="clicks, each on a fresh load")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--tree", type=Path, default=ROOT, help="whose app.py (its src/ first on PYTHONPATH)")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).parent))
    import bench_browser as bb

    if not bb.CHROMIUM.exists():
        parser.exit(1, f"{bb.CHROMIUM} not found: install Debian's chromium\n")
    from playwright.sync_api import sync_playwright

    data = bb.dataset(args.size)
    bundled = args.size <= 1000
    narrow = (
        "type=drone_attack&from=2024-11-01&to=2024-11-30"
        if bundled
        else bb._narrow(bb.Floor(data), args.size)
    )
    url = f"http://127.0.0.1:{args.port}"
    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(bb.CHROMIUM), args=bb.FLAGS)
        context = browser.new_context(viewport={"width": 1440, "height": 1100})
        context.add_init_script(f"({WIRE_JS})()")
        page = context.new_page()
        log = Path(tempfile.gettempdir()) / f"bench-click-{args.size}.log"
        proc = bb.start(data, args.port, log, tree=args.tree.resolve())
        try:
            bb.wait_healthy(url, proc)
            for n in range(args.clicks):
                bb.open_view(page, f"{url}/?{narrow}")
                points = page.locator(".js-plotly-plot").first.evaluate(bb.POINTS_JS)
                points = [q for q in points if 0 < q["y"] < 1080]
                rows.append(one_click(page, proc.pid, points[(n * 7 + 3) % len(points)], bb))
        finally:
            context.close()
            proc.terminate()
            proc.wait(timeout=30)
            browser.close()
    names = [*COLUMNS, "table kB", "cpu"]
    print(
        f"\n{args.size:,} events, {len(rows)} clicks ({args.tree}); ms after pointerdown, each click and the medians\n"
    )
    print("| " + " | ".join(names) + " |")
    print("|" + "---|" * len(names))
    for row in rows:
        print(
            "| "
            + " | ".join(f"{row.get(k, float('nan')):.0f}" if k != "cpu" else f"{row[k]:.2f}" for k in names)
            + " |"
        )
    med = []
    for k in names:
        got = [row[k] for row in rows if k in row and row[k] == row[k]]
        med.append(f"{statistics.median(got):.{2 if k == 'cpu' else 0}f}" if got else "-")
    print("| " + " | ".join(med) + " |  (medians)")


if __name__ == "__main__":
    main()
