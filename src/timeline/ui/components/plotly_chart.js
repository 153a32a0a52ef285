// The dashboard's plotly charts (the timeline, the counts chart, the map) answering a click in
// the browser: the picked events stay bright and the others fade at once on every chart of the
// page (the same fades as figures/highlight.py's fade_timeline, fade_bins and fade_events), then
// their ids go to Python as a trigger so the selection panel opens. A figure whose revision is
// the one already drawn is not drawn again: a rerun that changes only the selection restyles it.
// Figures are the plotly JSON the figures package builds (event text escaped for plotly); no
// HTML from data is written here.

const PICK = "tl-charts-pick";  // a window event: events picked on one chart, for all of them
const CARD = "tl-charts-card";  // the same, for their cards (early_cards.js), sent before any fade

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
// event, call-outs faded, and with `moveLines` the span lines moved to their type's faded
// trace (else they stay as sent and `paintedLines` fades them as drawn). Traces that do not
// change keep their objects, so plotly recomputes only the changed ones.
function fadedTimeline(figure, ids, keyEvents, f, moveLines) {
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
  for (const pair of moveLines ? spans.values() : []) {  // each line is three points: start, end, a gap
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

function faded(kept, ids, moveLines = false) {
  const d = kept.data, f = d.fade;
  if (d.kind === "map") return fadedEvents(kept.figure, ids, f);
  if (d.kind === "counts") return fadedBins(kept.figure, ids, d.bins || {}, d.bin_ms, f);
  return fadedTimeline(kept.figure, ids, d.key_events || [], f, moveLines);
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
      const each = Array.isArray(all) || ArrayBuffer.isView(all);  // a figure's own arrays are typed
      cd.forEach((d, n) => { d.mo = each ? all[n] : all; });
      group.querySelectorAll("path.point, .point > path").forEach((node) => {
        if (node.__data__ && node.__data__.mo !== undefined) node.style.opacity = node.__data__.mo;
      });
    }
    return true;
  } catch (err) {
    return false;
  }
}

// The timeline's span lines (overnight attacks) faded as drawn. Sent without a selection, each
// type's bright trace holds every line and its faded trace none; plotly paints each line as a
// path of its own, in the order of the trace's `meta.events`. A fade sets the opacity of the
// lines not picked to the faded trace's (inside the trace's own): what `fadedTimeline` with
// `moveLines` draws, without plotly drawing the whole chart again (0.2-0.4 s for 2,000 events,
// which made the click's last change wait for the rerun). Plotly's own redraws (a zoom, a
// resize) keep the paths but may draw fewer or more: the page calls this again after each
// (`plotly_afterplot`). False when the chart is not as expected (lines moved in the data, a
// path per line not found): the caller draws it exactly.
function paintedLines(gd, ids, f) {
  try {
    const wanted = new Set(ids);
    const movedOut = new Set(gd.data.filter((t) => t.meta && t.meta.spans === f.spans_faded && t.meta.events.length)
      .map((t) => t.legendgroup));
    const groups = new Map([...gd.querySelectorAll(".scatterlayer .trace")].filter((g) => g.__data__ && g.__data__[0]
      && g.__data__[0].trace).map((g) => [g.__data__[0].trace.index, g]));
    for (const [i, trace] of gd.data.entries()) {
      if (!trace.meta || trace.meta.spans !== f.spans || !trace.meta.events.length) continue;
      if (movedOut.has(trace.legendgroup)) return false;
      const group = groups.get(i);
      if (!group) continue;  // hidden from the legend
      const lines = group.querySelectorAll("path.js-line"), events = trace.meta.events;
      if (lines.length !== events.length) return false;
      const dim = String(f.faded / (gd._fullData[i].opacity || 1));
      lines.forEach((line, n) => { line.style.opacity = !wanted.size || wanted.has(events[n]) ? "" : dim; });
    }
    return true;
  } catch (err) {
    return false;
  }
}

function calloutsRestyled(gd, layout) {
  const update = {};
  for (const field of ["annotations", "shapes"]) {
    const now = gd.layout[field] || [], want = layout[field] || [];
    if (now.length !== want.length) return false;
    const opacity = (item) => (item.opacity === undefined ? 1 : item.opacity);  // plotly's default
    want.forEach((item, n) => { if (opacity(item) !== opacity(now[n])) update[`${field}[${n}].opacity`] = opacity(item); });
  }
  if (Object.keys(update).length) window.Plotly.relayout(gd, update);
  return true;
}

// The event of the mark under the pointer, found as plotly's hover finds it (hovermode
// "closest": the mark whose edge is nearest, within `hoverdistance`; inside a hatched bar), from
// the chart as drawn; null when there is none.
function eventAt(gd, clientX, clientY) {
  const L = gd._fullLayout, xa = L && L.xaxis, ya = L && L.yaxis;
  if (!xa || !ya || !gd.calcdata || L.hovermode !== "closest") return null;
  const rect = gd.getBoundingClientRect();
  const px = clientX - rect.left - L._size.l, py = clientY - rect.top - L._size.t;
  if (px < 0 || py < 0 || px > L._size.w || py > L._size.h) return null;
  let best = null, nearest = L.hoverdistance === undefined ? 20 : L.hoverdistance;
  for (const cd of gd.calcdata) {
    const trace = cd[0] && cd[0].trace;
    if (!trace || trace.visible !== true || trace.hoverinfo === "skip" || !Array.isArray(trace.customdata)) continue;
    const markers = trace.type === "scatter" && String(trace.mode).includes("markers");
    const bars = trace.type === "bar" && trace.orientation === "h";
    if (!markers && !bars) continue;
    cd.forEach((d, n) => {
      const id = eventId(trace.customdata[d.i === undefined ? n : d.i]);
      if (!id) return;
      let dist;
      if (markers) {
        const x = xa.c2p(d.x), y = ya.c2p(d.y), rad = Math.max(3, d.mrc || 0);
        dist = Math.max(Math.hypot(x - px, y - py) - rad, 1 - 3 / rad);
      } else {
        const [x0, x1] = [xa.c2p(d.s0), xa.c2p(d.s1)].sort((a, b) => a - b);
        const [y0, y1] = [ya.c2p(d.p0), ya.c2p(d.p1)].sort((a, b) => a - b);
        dist = px >= x0 && px <= x1 && py >= y0 && py <= y1 ? 1 : Infinity;
      }
      if (dist < nearest) { nearest = dist; best = id; }
    });
  }
  return best;
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

  // A chart drawn already is faded in place (`restyled`; the timeline's lines by
  // `paintedLines`, its call-outs by a relayout of their opacity); a new figure, or a chart
  // not as expected, is drawn again. `kept.painted`: the selection the timeline's lines show.
  const draw = (ids) => {
    if (host.dataset.early) {  // the page's early view (early_view.js) is replaced
      delete host.dataset.early;
      gd.querySelectorAll(".tl-early-hidden").forEach((node) => { node.classList.remove("tl-early-hidden"); node.style.display = ""; });
      kept.drawn = null;
    }
    const timeline = kept.data.kind === "timeline";
    const exact = timeline && kept.exact === kept.revision;  // lines that could not be faded as drawn
    const {data: traces, layout} = faded(kept, ids, exact);
    kept.shown = ids.join("\n");
    kept.painted = timeline && !exact ? ids : null;
    if (kept.drawn === kept.revision && restyled(gd, traces)) {
      if (!timeline) return Promise.resolve(gd);
      if (!exact && paintedLines(gd, ids, kept.data.fade) && calloutsRestyled(gd, layout)) return Promise.resolve(gd);
    }
    kept.drawn = kept.revision;
    // Each trace, and the call-outs, a copy: plotly keeps the objects it is given as `gd.data`
    // and `gd.layout`, which `restyled` and `calloutsRestyled` then change; were they the kept
    // figure's own, a fade would stay in the figure that "Clear selection" draws from.
    const copied = {...layout};
    for (const field of ["annotations", "shapes"]) {
      if (Array.isArray(layout[field])) copied[field] = layout[field].map((item) => ({...item}));
    }
    return window.Plotly.react(gd, traces.map((t) => ({...t})), copied, kept.data.config);
  };
  // Drawn again from its own figure (after the page drew an early view over it, early_view.js).
  kept.redraw = () => { kept.drawn = null; return draw(kept.shown ? kept.shown.split("\n").filter(Boolean) : []); };
  // `at once`: a click answered at its pointerup fades this chart in the same task (the pick
  // is sent by Streamlit in a task of its own, which starts a rerender of the page that would
  // otherwise come before the highlight: 0.2 s under load); plotly's own events wait for
  // plotly to finish with the click.
  const pick = (event, atOnce = false) => {
    if (!kept.data.pickable) return;
    const picked = [...new Set(((event && event.points) || []).map((p) => eventId(p.customdata)).filter(Boolean))]
      .slice(0, kept.data.fade.max_selected);
    if (!picked.length) return;  // a click beside the marks leaves the selection
    const said = picked.join("\n"), now = performance.now();
    if (said === kept.last && now - kept.lastAt < 500) return;  // a click is also a selection
    kept.last = said; kept.lastAt = now;
    kept.trigger("select", picked);  // Python first: the card's round trip starts now
    window.dispatchEvent(new CustomEvent(CARD, {detail: picked}));  // their cards at once (early_cards.js)
    // This chart, then, once the browser has painted it, every other chart of the page, each
    // in a task of its own (after the one that sends the pick).
    const fade = () => {
      draw(picked);
      requestAnimationFrame(() => setTimeout(() => window.dispatchEvent(new CustomEvent(PICK, {detail: picked})), 0));
    };
    if (atOnce) fade();
    else setTimeout(fade, 0);
  };

  loadPlotly(data.plotly).then(() => {
    const fresh = kept.revision !== data.revision;
    if (fresh) {
      kept.figure = decode(JSON.parse(data.figure));
      kept.revision = data.revision;
    }
    const ids = (data.selected || []).slice(0, data.fade.max_selected);
    const said = ids.join("\n");
    // A new figure, a selection the server changed, or one it set again (a new round: "Clear
    // selection" after a pick the page faded to without this chart's rerun, so `sent` is as before).
    if (fresh || kept.sent !== said || kept.round !== data.round) {
      kept.sent = said;
      kept.round = data.round;
      if (fresh || kept.shown !== said) draw(ids);
    }
    if (!gd.__tlListening) {
      gd.__tlListening = true;
      gd.on("plotly_click", (event) => kept.pick(event));
      gd.on("plotly_selected", (event) => kept.pick(event));
      gd.on("plotly_afterplot", () => {  // plotly painted the lines whole again
        if (kept.painted && !paintedLines(gd, kept.painted, kept.data.fade)) {
          kept.exact = kept.revision;
          draw(kept.painted);
        }
      });
      // A click on a mark is answered at its pointerup, before plotly's own click handling
      // (the timeline's click-to-select restyles every point and computes the hover again:
      // 0.07 s at 90 events, 0.26-0.41 s at 1 M under load, before the pick could be sent),
      // which is then skipped for that click. A click on no mark is left to plotly.
      gd.addEventListener("pointerdown", (e) => {
        kept.down = e.button === 0 && e.isPrimary ? [e.clientX, e.clientY] : null;
      }, true);
      const up = (e) => {
        if (!gd.isConnected) { window.removeEventListener("pointerup", up, true); return; }
        const down = kept.down;
        kept.down = null;
        if (!down || !kept.data.pickable || Math.hypot(e.clientX - down[0], e.clientY - down[1]) > 2) return;
        const id = eventAt(gd, e.clientX, e.clientY);
        if (!id) return;
        const layout = gd._fullLayout, mode = layout.clickmode;
        layout.clickmode = "none";  // read by plotly's click handler, which runs next
        setTimeout(() => { layout.clickmode = mode; }, 0);
        kept.pick({points: [{customdata: [id]}]}, true);
      };
      window.addEventListener("pointerup", up, true);
      const others = (event) => {
        if (!gd.isConnected) { window.removeEventListener(PICK, others); return; }  // a chart removed
        if (kept.figure && kept.shown !== event.detail.join("\n")) setTimeout(() => draw(event.detail), 0);
      };
      window.addEventListener(PICK, others);
    }
    kept.pick = pick;
  }).catch(() => {  // a message, as text, where the chart would be
    gd.textContent = "This chart could not be drawn: plotly.js did not load. Reload the page.";
  });
}
