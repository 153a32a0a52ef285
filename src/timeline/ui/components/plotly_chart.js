// A plotly chart that answers a click in the browser: the picked events stay bright and the
// others fade at once (the same fade as figures/highlight.py's fade_timeline), then their ids
// go to Python as a trigger so the selection panel opens. A figure whose revision is the one
// already drawn is not drawn again: a rerun that changes only the selection restyles it.
// Figures are the plotly JSON the figures package builds (event text escaped for plotly); no
// HTML from data is written here.

const TYPED = {f8: Float64Array, f4: Float32Array, i4: Int32Array, i2: Int16Array, i1: Int8Array,
               u4: Uint32Array, u2: Uint16Array, u1: Uint8Array};

function decode(value) {  // plotly's {dtype, bdata} arrays, as typed arrays
  if (Array.isArray(value)) return value.map(decode);
  if (value && typeof value === "object") {
    if (typeof value.bdata === "string" && TYPED[value.dtype] && !value.shape) {
      const bytes = Uint8Array.from(atob(value.bdata), (c) => c.charCodeAt(0));
      return new TYPED[value.dtype](bytes.buffer);
    }
    for (const k of Object.keys(value)) value[k] = decode(value[k]);
  }
  return value;
}

function loadPlotly(url) {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!window.__tlPlotly) {
    window.__tlPlotly = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = url;
      script.onload = () => resolve(window.Plotly);
      script.onerror = () => reject(new Error("plotly.js did not load"));
      document.head.appendChild(script);
    });
  }
  return window.__tlPlotly;
}

function eventId(custom) {
  return Array.isArray(custom) && typeof custom[0] === "string" && custom[0] ? custom[0] : null;
}

// The figure with `ids` bright and every other event faded: markers and hatched bars per
// event, span lines moved to their type's faded trace, call-outs faded. Traces that do not
// change keep their objects, so plotly recomputes only the changed ones.
function faded(figure, ids, keyEvents, f) {
  if (!ids.length) return {data: figure.data, layout: figure.layout};
  const wanted = new Set(ids);
  const spans = new Map();
  const data = figure.data.map((trace, i) => {
    if (trace.meta && typeof trace.meta === "object" && "spans" in trace.meta) {
      const group = spans.get(trace.legendgroup) || [];
      group.push(i);
      spans.set(trace.legendgroup, group);
      return trace;
    }
    if ((trace.type === "scatter" || trace.type === "bar") && Array.isArray(trace.customdata)
        && trace.hovertemplate === f.hover) {
      const share = trace.type === "bar" ? f.bar_share : 1;
      const opacity = trace.customdata.map((c) => (wanted.has(eventId(c)) ? f.bright : f.faded) * share);
      return {...trace, marker: {...trace.marker, opacity}};
    }
    return trace;
  });
  for (const pair of spans.values()) {  // each line is three points: start, end, a gap
    const xs = [], ys = [], owners = [];
    for (const i of pair) {
      const t = figure.data[i];
      xs.push(...Array.from(t.x || [])); ys.push(...Array.from(t.y || [])); owners.push(...t.meta.events);
    }
    for (const i of pair) {
      const t = figure.data[i], fadedTrace = t.meta.spans === f.spans_faded;
      const x = [], y = [], events = [];
      owners.forEach((owner, n) => {
        if (wanted.has(owner) === fadedTrace) return;
        x.push(...xs.slice(3 * n, 3 * n + 3)); y.push(...ys.slice(3 * n, 3 * n + 3)); events.push(owner);
      });
      data[i] = {...t, x, y, meta: {spans: t.meta.spans, events}};
    }
  }
  const layout = {...figure.layout};
  for (const [field, kind] of [["annotations", "key-event"], ["shapes", "key-event-leader"]]) {
    if (!Array.isArray(layout[field])) continue;
    let n = 0;
    layout[field] = layout[field].map((item) => {
      if (item.name !== kind) return item;
      const id = keyEvents[n++];
      return {...item, opacity: wanted.has(id) ? 1.0 : f.callout_faded};
    });
  }
  return {data, layout};
}

export default function (component) {
  const {data, parentElement, setTriggerValue} = component;
  const host = parentElement.querySelector(".tl-chart");
  const gd = host.querySelector(".tl-plot");
  const kept = host.__tl || (host.__tl = {revision: null, figure: null, shown: null, last: ""});
  kept.data = data;  // the newest run's, for the listeners set up by the first
  kept.trigger = setTriggerValue;
  host.dataset.revision = data.revision;
  if (data.height) gd.style.minHeight = `${data.height}px`;  // the chart's room before plotly.js loads

  const draw = (ids) => {
    const d = kept.data;
    const {data: traces, layout} = faded(kept.figure, ids, d.key_events || [], d.fade);
    kept.shown = ids.join("\n");
    return window.Plotly.react(gd, traces, layout, d.config);
  };

  loadPlotly(data.plotly).then(() => {
    const fresh = kept.revision !== data.revision;
    if (fresh) {
      kept.figure = decode(JSON.parse(data.figure));
      kept.revision = data.revision;
    }
    const ids = data.selected || [];
    if (fresh || kept.shown !== ids.join("\n")) draw(ids);
    if (!gd.__tlListening) {
      gd.__tlListening = true;
      const pick = (event) => {
        const picked = [...new Set(((event && event.points) || []).map((p) => eventId(p.customdata)).filter(Boolean))];
        if (!picked.length) return;  // a click beside the marks leaves the selection
        const said = picked.join("\n"), now = performance.now();
        if (said === kept.last && now - kept.lastAt < 500) return;  // a click is also a selection
        kept.last = said; kept.lastAt = now;
        setTimeout(() => draw(picked), 0);  // after plotly has finished with the click
        kept.trigger("select", picked);
      };
      gd.on("plotly_click", pick);
      gd.on("plotly_selected", pick);
    }
  }).catch(() => {  // a message, as text, where the chart would be
    gd.textContent = "The timeline could not be drawn: plotly.js did not load. Reload the page.";
  });
}
