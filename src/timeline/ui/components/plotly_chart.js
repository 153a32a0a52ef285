// The dashboard's plotly charts (the timeline, the counts chart, the map) answering a click in
// the browser: the picked events stay bright and the others fade at once on every chart of the
// page (the same fades as figures/highlight.py's fade_timeline, fade_bins and fade_events), then
// their ids go to Python as a trigger so the selection panel opens. A figure whose revision is
// the one already drawn is not drawn again: a rerun that changes only the selection restyles it.
// Figures are the plotly JSON the figures package builds (event text escaped for plotly); no
// HTML from data is written here.

const PICK = "tl-charts-pick";  // a window event: events picked on one chart, for all of them

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

// The timeline with `ids` bright and every other event faded: markers and hatched bars per
// event, span lines moved to their type's faded trace, call-outs faded. Traces that do not
// change keep their objects, so plotly recomputes only the changed ones.
function fadedTimeline(figure, ids, keyEvents, f) {
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

// The map: each mark that carries an event (markers, rings, an area's squares) bright when its
// event is picked, faded otherwise (figures/highlight.py's fade_events).
function fadedEvents(figure, ids, f) {
  if (!ids.length) return {data: figure.data, layout: figure.layout};
  const wanted = new Set(ids);
  const data = figure.data.map((trace) => {
    if (trace.type !== "scatter" || !Array.isArray(trace.customdata)
        || !String(trace.hovertemplate || "").includes("customdata[4]")) return trace;
    const opacity = trace.customdata.map((c) => (wanted.has(eventId(c)) ? f.event_bright : f.event_faded));
    return {...trace, marker: {...trace.marker, opacity}};
  });
  return {data, layout: figure.layout};
}

// The counts chart: the bars and intercept marks of the bins holding the picked events bright,
// the others faded (figures/highlight.py's fade_bins); `bins` gives each event's bin.
function fadedBins(figure, ids, bins, binMs, f) {
  const starts = [...new Set(ids.filter((id) => id in bins).map((id) => bins[id]))];
  if (!starts.length) return {data: figure.data, layout: figure.layout};
  const data = figure.data.map((trace) => {
    if ((trace.type !== "bar" && trace.type !== "scatter") || !trace.x || !trace.x.length) return trace;
    const xs = Array.from(trace.x, (v) => (v === null || v === undefined ? NaN : Number(v)));
    if (xs.every(Number.isNaN)) return trace;  // a legend key
    const shift = trace.type === "bar" ? (trace.offset || 0) + (trace.width || 0) / 2 : 0;  // a bar's centre
    const opacity = xs.map((x) => (starts.some((s) => x + shift >= s && x + shift < s + binMs) ? 1.0 : f.event_faded));
    return {...trace, marker: {...trace.marker, opacity}};
  });
  return {data, layout: figure.layout};
}

function faded(kept, ids) {
  const d = kept.data, f = d.fade;
  if (d.kind === "map") return fadedEvents(kept.figure, ids, f);
  if (d.kind === "counts") return fadedBins(kept.figure, ids, d.bins || {}, d.bin_ms, f);
  return fadedTimeline(kept.figure, ids, d.key_events || [], f);
}

// A fade in place: each mark whose opacity changes (markers, rings, an area's squares, the
// timeline's hatched bars) gets its opacity set on the drawn chart (its point's style, and
// plotly's own per-point value, which a zoom or pan draws again), not the whole chart drawn
// again: a new map held the page for 0.3-1 s, a timeline of 2,000 events 0.2-0.4 s, and the
// card waited behind them. False when the chart is not as expected: the caller draws it again.
function restyled(gd, traces) {
  try {
    const changed = new Map();
    traces.forEach((t, i) => {
      const want = t.marker ? t.marker.opacity : undefined, now = gd.data[i].marker ? gd.data[i].marker.opacity : undefined;
      if (want !== now) changed.set(i, want);
    });
    const groups = [...gd.querySelectorAll(".scatterlayer .trace, .barlayer .trace")].filter((g) => g.__data__
      && g.__data__[0] && g.__data__[0].trace && changed.has(g.__data__[0].trace.index));
    if (groups.length !== changed.size || gd.data.length !== traces.length) return false;
    for (const group of groups) {
      const cd = group.__data__, i = cd[0].trace.index, want = changed.get(i);
      gd.data[i].marker = {...gd.data[i].marker, opacity: want};
      const all = want === undefined ? 1 : want;  // unfaded: the trace's own (plotly's default 1)
      cd.forEach((d, n) => { d.mo = Array.isArray(all) ? all[n] : all; });
      group.querySelectorAll("path.point, .point > path").forEach((node) => {
        if (node.__data__ && node.__data__.mo !== undefined) node.style.opacity = node.__data__.mo;
      });
    }
    return true;
  } catch (err) {
    return false;
  }
}

// The timeline's span lines (overnight attacks) fade by moving to their type's faded trace: new
// points, which plotly can only draw by drawing the whole chart again. `linesMoved` says whether
// a fade moves any; the call-outs' opacities are a relayout of their own (a few ms).
function linesMoved(gd, traces) {
  const owners = (t) => (t && t.meta && Array.isArray(t.meta.events) ? t.meta.events.join("\n") : null);
  return traces.some((t, i) => owners(t) !== null && owners(t) !== owners(gd.data[i]));
}

function calloutsRestyled(gd, layout) {
  const update = {};
  for (const field of ["annotations", "shapes"]) {
    const now = gd.layout[field] || [], want = layout[field] || [];
    if (now.length !== want.length) return false;
    want.forEach((item, n) => { if (item.opacity !== now[n].opacity) update[`${field}[${n}].opacity`] = item.opacity; });
  }
  if (Object.keys(update).length) window.Plotly.relayout(gd, update);
  return true;
}

// `callback` once the rerun a click started is over (the card drawn and painted), or after
// `wait` ms if the server is slow: a picked chart is not sent again, so it cannot wait for that.
function afterRerun(callback, wait) {
  const app = document.querySelector('[data-testid="stApp"]');
  let done = false, observer = null;
  let started = Boolean(app) && app.getAttribute("data-test-script-state") === "running";
  const finish = () => {
    if (done) return;
    done = true;
    if (observer) observer.disconnect();
    clearTimeout(timer);
    requestAnimationFrame(() => setTimeout(callback, 0));
  };
  const timer = setTimeout(finish, wait);
  if (!app) return;
  observer = new MutationObserver(() => {
    const state = app.getAttribute("data-test-script-state");
    if (state === "running") started = true;
    else if (started && state === "notRunning") finish();
  });
  observer.observe(app, {attributes: true, attributeFilter: ["data-test-script-state"]});
}

export default function (component) {
  const {data, parentElement, setTriggerValue} = component;
  const host = parentElement.querySelector(".tl-chart");
  const gd = host.querySelector(".tl-plot");
  const kept = host.__tl || (host.__tl = {revision: null, figure: null, shown: null, sent: null, last: ""});
  kept.data = data;  // the newest run's, for the listeners set up by the first
  kept.trigger = setTriggerValue;
  host.dataset.revision = data.revision;
  if (data.height) gd.style.minHeight = `${data.height}px`;  // the chart's room before plotly.js loads

  // `exact`: draw the span lines too, which costs the timeline a whole redraw; a click leaves
  // them until the server has answered (`exactLater`), so the highlight and the card come first.
  const draw = (ids, exact = true) => {
    const {data: traces, layout} = faded(kept, ids);
    kept.shown = ids.join("\n");
    kept.inexact = null;
    if (kept.drawn === kept.revision) {
      if (kept.data.kind === "map" && restyled(gd, traces)) return Promise.resolve(gd);
      const moved = kept.data.kind === "timeline" && linesMoved(gd, traces);
      if (kept.data.kind === "timeline" && !(exact && moved) && calloutsRestyled(gd, layout) && restyled(gd, traces)) {
        if (moved) {  // picked here or on another chart: the lines once the card is drawn
          kept.inexact = kept.shown;
          afterRerun(exactLater, 5000);
        }
        return Promise.resolve(gd);
      }
    }
    kept.drawn = kept.revision;
    return window.Plotly.react(gd, traces, layout, kept.data.config);
  };
  const exactLater = () => setTimeout(() => {
    if (kept.inexact !== null && kept.inexact === kept.shown) draw(kept.shown ? kept.shown.split("\n") : []);
  }, 0);

  loadPlotly(data.plotly).then(() => {
    const fresh = kept.revision !== data.revision;
    if (fresh) {
      kept.figure = decode(JSON.parse(data.figure));
      kept.revision = data.revision;
    }
    const ids = (data.selected || []).slice(0, data.fade.max_selected);
    const said = ids.join("\n");
    if (fresh || kept.sent !== said) {  // a new figure, or a selection the server changed
      kept.sent = said;
      if (fresh || kept.shown !== said) draw(ids);
      else if (kept.inexact === said) exactLater();  // the server has answered the click: the lines now
    }
    if (!gd.__tlListening) {
      gd.__tlListening = true;
      const pick = (event) => {
        if (!kept.data.pickable) return;
        const picked = [...new Set(((event && event.points) || []).map((p) => eventId(p.customdata)).filter(Boolean))]
          .slice(0, kept.data.fade.max_selected);
        if (!picked.length) return;  // a click beside the marks leaves the selection
        const said = picked.join("\n"), now = performance.now();
        if (said === kept.last && now - kept.lastAt < 500) return;  // a click is also a selection
        kept.last = said; kept.lastAt = now;
        kept.trigger("select", picked);  // Python first: the card's round trip starts now
        // After plotly has finished with the click, this chart; once the browser has painted
        // it, every other chart of the page, each in a task of its own.
        setTimeout(() => {
          draw(picked, false);
          requestAnimationFrame(() => setTimeout(() => window.dispatchEvent(new CustomEvent(PICK, {detail: picked})), 0));
        }, 0);
      };
      gd.on("plotly_click", pick);
      gd.on("plotly_selected", pick);
      const others = (event) => {
        if (!gd.isConnected) { window.removeEventListener(PICK, others); return; }  // a chart removed
        if (kept.figure && kept.shown !== event.detail.join("\n")) setTimeout(() => draw(event.detail, false), 0);
      };
      window.addEventListener(PICK, others);
    }
  }).catch(() => {  // a message, as text, where the chart would be
    gd.textContent = "This chart could not be drawn: plotly.js did not load. Reload the page.";
  });
}
