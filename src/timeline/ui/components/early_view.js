// A filter change drawn at the click (issue #17), before the server's rerun draws it again.
//
// Python decides which events every sidebar pill and date preset matches (`timeline.early_view`,
// the engine's own filters) and builds the whole dataset's figures; here a click on a pill or a
// preset, or a text search committed (Enter, or leaving the box: when Streamlit sends it), is
// read (Streamlit's own handling of it is never held back), the sets are combined (any of a
// filter's chosen options, every filter; the search's from each event's search text as the
// engine holds it, by the rule of `filters.words`), and each chart is drawn with only
// those events' marks: the same traces, their arrays subset, the counts chart's bars added up
// again from each event's part. Nothing from the data is written as HTML: the figures are the
// plotly JSON the figures package builds (event text escaped for plotly), the header's count a
// number.

const IN_PLACE = [["timeline_chart", "timeline"], ["map_chart", "map"]];  // marks hidden where drawn, else drawn again
const HEADER = /^[\d,]+ of [\d,]+ events$/;
const RESTORE_MS = 400;  // after a run that sent a chart nothing new, its own figure again

async function unpacked(b64) {  // `early_view.packed`: base64 of deflated JSON
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
  return JSON.parse(await new Response(stream).text());
}

function bits(b64, n) {  // `early_view.packed_bits`: event i is bit i % 8 of byte i / 8
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (bytes[i >> 3] >> (i & 7)) & 1;
  return out;
}

// The words of a text search as `filters.words` finds them (lower-cased, split on whitespace,
// duplicates dropped), or null for a query whose lower-casing or splitting JS and Python might
// not agree on: longer than the box allows, a control character or U+FEFF (whitespace to one
// and not the other), a letter whose lower case is longer ('İ') or depends on its place ('Σ'),
// or a cased letter beyond Latin, Greek and Cyrillic (U+052F: Unicode versions may differ,
// 'ẞ'). Such a query is left to the server.
function searchWords(query, max) {
  if (query.length > max || /[\u0000-\u0008\u000e-\u001f\u007f-\u009f\ufeff]/.test(query)) return null;
  for (const ch of query) {
    const lower = ch.toLowerCase();
    if (lower.length !== ch.length || ch === "\u03a3" || (ch.codePointAt(0) > 0x52f && lower !== ch)) return null;
  }
  return [...new Set(query.toLowerCase().split(/\s+/).filter(Boolean))];
}

// `TextWords`: the events whose search text contains every word (a substring each).
function searchSet(texts, words) {
  return Uint8Array.from(texts, (text) => (words.every((w) => text.includes(w)) ? 1 : 0));
}

function eventId(custom) {
  return Array.isArray(custom) && typeof custom[0] === "string" ? custom[0] : null;
}

// Every array of a trace (and of its marker, text font, ...) as long as its points, kept at `keep`.
function subset(obj, n, keep) {
  const out = Array.isArray(obj) ? obj : {...obj};
  for (const [k, value] of Object.entries(obj)) {
    if (k === "meta") continue;
    if (Array.isArray(value) && value.length === n) out[k] = keep.map((i) => value[i]);
    else if (value && typeof value === "object" && !Array.isArray(value)) out[k] = subset(value, n, keep);
  }
  return out;
}

// The timeline or the map with only `shown`'s events: markers, hatched bars and labels per event,
// the timeline's span lines (three points each) and its call-outs.
function eventsOnly(figure, shown, keyEvents) {
  const data = figure.data.map((trace) => {
    if (trace.meta && typeof trace.meta === "object" && Array.isArray(trace.meta.events)) {
      const x = [], y = [], events = [];
      trace.meta.events.forEach((owner, n) => {
        if (!shown.has(owner)) return;
        x.push(...trace.x.slice(3 * n, 3 * n + 3)); y.push(...trace.y.slice(3 * n, 3 * n + 3)); events.push(owner);
      });
      return {...trace, x, y, meta: {...trace.meta, events}};
    }
    if (!Array.isArray(trace.customdata) || !trace.customdata.some((c) => eventId(c))) return trace;
    const keep = [];
    trace.customdata.forEach((c, i) => { if (shown.has(eventId(c))) keep.push(i); });
    return subset(trace, trace.customdata.length, keep);
  });
  const layout = {...figure.layout};
  for (const [field, kind] of [["annotations", "key-event"], ["shapes", "key-event-leader"]]) {
    if (!Array.isArray(layout[field])) continue;
    let n = 0;
    layout[field] = layout[field].map((item) => {
      if (item.name !== kind) return item;
      return {...item, visible: shown.has(keyEvents[n++])};
    });
  }
  return {data, layout};
}

// The counts chart added up again for `shown` (event indices): each bar the sum of its events'
// parts, stacked on the bars of the same side before it, the interceptions likewise; empty
// bars left out. The peak's note is left to the server.
function countsOnly(figure, parts, shown) {
  const sums = figure.data.map((t) => (Array.isArray(t.customdata) && t.type === "bar" ? t.customdata.map(() => 0) : null));
  const marks = figure.data.map(() => null);
  for (const [t, n, e, value] of parts.launched) if (shown[e]) sums[t][n] += value;
  for (const [t, n, e, value] of parts.intercepted) {
    if (!shown[e]) continue;
    marks[t] = marks[t] || figure.data[t].x.map(() => null);
    marks[t][n] = (marks[t][n] || 0) + value;
  }
  const stacks = new Map();  // a side's bars (one offset), by bin: what is below the next type
  const data = figure.data.map((trace, t) => {
    if (sums[t]) {
      const below = stacks.get(trace.offset) || new Map();
      stacks.set(trace.offset, below);
      const keep = [], base = [];
      sums[t].forEach((y, n) => {
        if (y <= 0) return;
        keep.push(n);
        base.push(below.get(trace.x[n]) || 0);
        below.set(trace.x[n], (below.get(trace.x[n]) || 0) + y);
      });
      const out = subset(trace, trace.customdata.length, keep);
      return {...out, y: keep.map((n) => sums[t][n]), base};
    }
    if (trace.name === "Intercepted (as claimed)" && Array.isArray(trace.x)) {
      const keep = [];
      (marks[t] || []).forEach((y, n) => { if (y !== null) keep.push(n); });
      const out = subset(trace, trace.x.length, keep);
      return {...out, y: keep.map((n) => marks[t][n])};
    }
    return trace;
  });
  return {data, layout: {...figure.layout, annotations: []}};
}

// The timeline's and the map's marks of events not in `ids` hidden where they are drawn, not
// drawn again (a new timeline is 0.14-0.5 s of plotly under load, a new map 0.1-0.6 s, most of
// it land and borders: this is about a millisecond): every node that draws one event (a marker,
// its label, a hatched bar with its label inside, an overnight line, a call-out and its leader),
// until the server's figure replaces them (plotly_chart.js shows them again). A point click's
// fade sets opacity, this sets display: the two do not meet. False when the chart is not drawn
// as expected, or lacks an event `ids` holds (`everything`: the events the whole dataset's
// figure draws): the caller draws it again.
const HIDDEN = "tl-early-hidden";
function eventNodes(gd, keyEvents) {
  const nodes = [];
  for (const group of gd.querySelectorAll(".scatterlayer .trace, .barlayer .trace")) {
    const cd = group.__data__, trace = cd && cd[0] && cd[0].trace, sent = trace && gd.data[trace.index];
    if (!trace || !sent) continue;
    if (Array.isArray(trace.customdata) && trace.customdata.some(eventId)) {  // a point per event
      const marks = group.querySelectorAll(trace.type === "bar" ? "g.point" : "path.point, g.textpoint");
      if (!marks.length) return null;
      for (const node of marks) {
        const id = node.__data__ && eventId(trace.customdata[node.__data__.i]);
        if (!id) return null;
        nodes.push([node, id]);
      }
    } else if (sent.meta && Array.isArray(sent.meta.events) && sent.meta.events.length) {  // a path per line
      const lines = group.querySelectorAll("path.js-line");
      if (lines.length !== sent.meta.events.length) return null;
      lines.forEach((line, n) => nodes.push([line, sent.meta.events[n]]));
    }
  }
  for (const [field, kind, selector] of [["annotations", "key-event", ".infolayer .annotation"],
                                         ["shapes", "key-event-leader", ".shapelayer path"]]) {
    let n = 0;
    for (const [i, item] of (gd.layout[field] || []).entries()) {
      if (item.name !== kind) continue;
      const id = keyEvents[n++], node = gd.querySelector(`${selector}[data-index="${i}"]`);
      if (!id || !node || item.visible === false) return null;  // one the page drew hidden: drawn again
      nodes.push([node, id]);
    }
    if (n && n !== keyEvents.length) return null;
  }
  return nodes;
}

function hiddenInPlace(gd, ids, everything, keyEvents) {
  const nodes = eventNodes(gd, keyEvents);
  if (!nodes || !nodes.length) return false;
  const drawn = new Set(nodes.map(([, id]) => id));
  for (const id of ids) if (everything.has(id) && !drawn.has(id)) return false;  // events to add: drawn again
  for (const [node, id] of nodes) {
    const hide = !ids.has(id);
    if (node.classList.contains(HIDDEN) === hide) continue;
    node.classList.toggle(HIDDEN, hide);
    node.style.display = hide ? "none" : "";
  }
  return true;
}

// The events a figure draws one by one (its points' customdata, its lines' owners).
function drawnIds(figure) {
  const ids = new Set();
  for (const trace of figure.data) {
    if (Array.isArray(trace.customdata)) trace.customdata.forEach((c) => { const id = eventId(c); if (id) ids.add(id); });
    if (trace.meta && Array.isArray(trace.meta.events)) trace.meta.events.forEach((id) => ids.add(id));
  }
  return ids;
}

function chosenSet(model, view, state) {
  const n = model.ids.length;
  const all = new Uint8Array(n).fill(1);
  const and = (a, b) => a.map((x, i) => x & b[i]);
  let shown = view.rest ? bits(view.rest, n) : all;
  if (state.dates) shown = and(shown, bits(state.dates, n));
  if (state.query) {
    const words = Array.isArray(model.texts) ? searchWords(state.query, view.search.max) : null;
    if (!words) return null;  // not decided here: the server's answer only
    shown = and(shown, searchSet(model.texts, words));
  }
  const byFilter = new Map();
  for (const [key, pill] of Object.entries(view.pills)) {
    const list = byFilter.get(pill.filter) || [];
    list.push(...state.chosen[key]);
    byFilter.set(pill.filter, list);
  }
  for (const [filter, options] of byFilter) {
    if (!options.length) continue;
    const any = new Uint8Array(n);
    for (const option of options) {
      const set = model.sets[filter] && model.sets[filter][option];
      if (!set) return null;  // not decided by Python: the server's answer only
      bits(set, n).forEach((x, i) => { any[i] |= x; });
    }
    shown = and(shown, any);
  }
  return shown;
}

function running() {
  const app = document.querySelector('[data-testid="stApp"]');
  return !!app && app.getAttribute("data-test-script-state") === "running";
}

export default function (component) {
  const {data, parentElement} = component;
  const host = parentElement.querySelector(".tl-early-view");
  const kept = host.__tl || (host.__tl = {turn: 0});
  kept.view = data.view;
  if (data.view) {  // the server's view is the truth again: what it chose, its dates
    kept.state = {chosen: Object.fromEntries(Object.entries(data.view.pills).map(([k, p]) => [k, [...p.chosen]])),
                  preset: data.view.preset, dates: data.view.dates, range: null, query: data.view.search.query};
  }
  if (kept.packed !== data.model) {
    kept.packed = data.model;
    kept.model = null;
    if (data.model) {
      unpacked(data.model).then((model) => {
        if (kept.packed !== data.model) return;
        model.figures = Object.fromEntries(Object.entries(model.figures).map(([k, v]) => [k, decode(JSON.parse(v), Array.from)]));
        kept.model = model;
      }).catch(() => {});  // no early view: the server answers as before
    }
  }
  if (kept.listening) return;
  kept.listening = true;

  // Which pill or preset a click chose: its row's widget key, and the option at the button's place.
  const readClick = (target) => {
    const view = kept.view;
    const button = target && target.closest && target.closest("button");
    if (!view || !button) return null;
    const rows = [...Object.keys(view.pills), view.preset_key];
    for (const key of rows) {
      const row = button.closest(`.st-key-${CSS.escape(key)}`);
      if (!row) continue;
      const buttons = [...row.querySelectorAll('[data-testid="stButtonGroup"] button')]
        .filter((b) => b.textContent.trim());  // not the label's help icon
      const options = key === view.preset_key ? view.preset_options : view.pills[key].options;
      const n = buttons.indexOf(button);
      if (n < 0 || buttons.length !== options.length) return null;
      return {key, option: options[n]};
    }
    return null;
  };

  const drawn = new Set();  // charts drawn here since the server's last figure
  const forget = (gd) => {  // the marks hidden here shown again, before plotly draws the chart anew
    delete gd.__tlEarly;
    gd.querySelectorAll(`.${HIDDEN}`).forEach((node) => { node.classList.remove(HIDDEN); node.style.display = ""; });
  };
  // One chart with only `shown`'s events (`ids` their event ids). `inPlace` (the timeline and
  // the map): the marks of the others hidden where drawn, true; false when that cannot be done
  // (the caller draws it again later). Else its figure drawn again by plotly, at the preset's
  // dates or where the chart is now. Nothing (undefined) when the chart is not on the page or
  // was drawn with other options (a chart's own rerun): the server's answer only.
  const drawChart = (chartKey, kind, model, shown, ids, state, inPlace = false) => {
    const gd = document.querySelector(`.st-key-${chartKey} .tl-plot`);
    const host = gd && gd.closest(".tl-chart"), chart = host && host.__tl;
    const figure = model.figures[kind];
    if (!gd || !chart || !gd.data || !gd.layout || !figure || !window.Plotly) return;
    if (kind === "counts" && !model.counts) return;
    const options = chart.data.options || {};
    if (Object.entries(options).some(([name, value]) => model.options[name] !== value)) return;
    if (inPlace) {
      // The call-outs' events: the server's figure's, or the whole dataset's when the page drew it.
      const keyEvents = (host.dataset.early === "drawn" ? model.key_events : chart.data.key_events) || [];
      const everything = model.drawn[kind] || (model.drawn[kind] = drawnIds(figure));
      if (!hiddenInPlace(gd, ids, everything, keyEvents)) return false;
      // Plotly's own redraws (a zoom, a new range) draw call-outs and lines anew: hidden again.
      gd.__tlEarly = {shown: ids, again: () => hiddenInPlace(gd, ids, everything, keyEvents)
        || drawChart(chartKey, kind, model, shown, ids, state)};
      if (!gd.__tlEarlyListening) {
        gd.__tlEarlyListening = true;
        gd.on("plotly_afterplot", () => { if (gd.__tlEarly) gd.__tlEarly.again(); });
      }
      chart.revision = null;  // the server's next figure is drawn whatever its revision
      if (host.dataset.early !== "drawn") host.dataset.early = "hidden";
      drawn.add(chart);
      return true;
    }
    const next = kind === "counts" ? countsOnly(figure, model.counts, shown) : eventsOnly(figure, ids, model.key_events);
    const layout = next.layout;
    for (const axis of kind === "map" ? ["xaxis", "yaxis"] : ["xaxis"]) {
      const range = axis === "xaxis" && kind !== "map" && state.range ? state.range : gd.layout[axis] && gd.layout[axis].range;
      if (range) layout[axis] = {...layout[axis], range: [...range], autorange: false};
    }
    chart.revision = null;  // the server's next figure is drawn whatever its revision
    chart.drawn = null;
    forget(gd);
    window.Plotly.react(gd, next.data, layout, chart.data.config);
    host.dataset.early = "drawn";  // until the server's figure (plotly_chart.js)
    drawn.add(chart);
  };
  // The timeline at a preset's dates, its marks hidden in place (hidden again after plotly's redraw).
  const ranged = (model, state) => {
    const gd = document.querySelector(".st-key-timeline_chart .tl-plot");
    if (!state.range || !gd || !gd.__tlEarly || !gd.layout || !gd.layout.xaxis) return;
    const now = gd.layout.xaxis.range;
    if (now && String(now[0]) === String(state.range[0]) && String(now[1]) === String(state.range[1])) return;
    window.Plotly.relayout(gd, {"xaxis.range": [...state.range], "xaxis.autorange": false});
  };
  // The header's count, and the timeline's and the map's marks hidden where drawn, at once, in
  // the click's own task before Streamlit handles it (about a millisecond: nothing is drawn
  // again); then, each in a task of its own after Streamlit's handling of the click (its
  // rerender of the page and its message to the server), which they never delay: the counts chart, added up again and drawn by plotly (0.02-0.2 s, more under
  // load), a preset's dates on the timeline, and the timeline or map drawn again when their
  // marks could not be hidden in place (events to show that they do not draw now).
  const draw = () => {
    const model = kept.model, view = kept.view, state = kept.state, turn = ++kept.turn;
    const shown = chosenSet(model, view, state);
    if (!shown) return;
    const ids = new Set(model.ids.filter((_, i) => shown[i]));
    if (view.header) {
      for (const node of document.querySelectorAll('[data-testid="stMarkdownContainer"] strong')) {
        if (HEADER.test(node.textContent.trim())) {
          node.textContent = `${ids.size.toLocaleString("en-US")} of ${view.total.toLocaleString("en-US")} events`;
          break;
        }
      }
    }
    model.drawn = model.drawn || {};
    const steps = [() => drawChart("counts_chart", "counts", model, shown, ids, state)];
    for (const [chartKey, kind] of IN_PLACE) {
      const hidden = drawChart(chartKey, kind, model, shown, ids, state, true);
      if (hidden === false) steps.push(() => drawChart(chartKey, kind, model, shown, ids, state));
      else if (hidden && kind === "timeline") steps.push(() => ranged(model, state));
    }
    const later = (n) => {
      if (turn !== kept.turn || kept.view !== view) return;  // a newer click, or the server's view
      if (n >= steps.length) { kept.shown = turn; return; }  // every chart drawn (what tests wait for)
      steps[n]();
      setTimeout(() => later(n + 1), 0);
    };
    // Streamlit sends the click to the server in a task its rerender of the page queues (after
    // the click's task, before this one's first timer fires): one more hop lets it go first.
    setTimeout(() => setTimeout(() => later(0), 0), 0);
  };

  const onClick = (event) => {
    if (!host.isConnected) { window.removeEventListener("click", onClick, true); return; }
    const picked = readClick(event.target);
    if (!picked || !kept.model || !kept.view) return;
    const view = kept.view, state = kept.state;
    if (picked.key === view.preset_key) {
      if (state.preset === picked.option) return;  // unpicked: the dates stay as they are
      state.preset = picked.option;
      state.dates = kept.model.presets[picked.option].bits;
      state.range = kept.model.presets[picked.option].range;
    } else {
      const chosen = state.chosen[picked.key];
      const at = chosen.indexOf(picked.option);
      if (at >= 0) chosen.splice(at, 1);
      else chosen.push(picked.option);
    }
    draw();
  };
  window.addEventListener("click", onClick, true);

  // A text search committed: Enter in the box, or leaving it (Streamlit sends the query on both);
  // read as the event reaches the page, Streamlit's own handling after it, never held back.
  const onSearch = (event) => {
    if (!host.isConnected) {
      window.removeEventListener("keydown", onSearch, true);
      window.removeEventListener("focusout", onSearch, true);
      return;
    }
    if (event.type === "keydown" && (event.key !== "Enter" || event.isComposing)) return;
    const view = kept.view, state = kept.state, input = event.target;
    if (!kept.model || !view || !view.search || !input || input.tagName !== "INPUT") return;
    if (!input.closest(`.st-key-${CSS.escape(view.search.key)}`)) return;
    const query = input.value.trim();  // as `widgets.Search` reads the box
    if (query === state.query) return;  // nothing new for the server either
    state.query = query;
    draw();
  };
  window.addEventListener("keydown", onSearch, true);
  window.addEventListener("focusout", onSearch, true);

  // A run that sent a chart drawn here nothing new (the same view again): its own figure back.
  new MutationObserver((records) => {
    const ended = records.some((r) => r.oldValue === "running" && r.target.getAttribute("data-test-script-state") !== "running");
    if (!ended) return;
    setTimeout(() => {
      if (running()) return;
      for (const chart of drawn) {
        drawn.delete(chart);
        if (chart.revision !== null || !chart.figure || !chart.data || !chart.redraw) continue;
        chart.revision = chart.data.revision;
        chart.redraw();
      }
    }, RESTORE_MS);
  }).observe(document.body, {subtree: true, attributes: true, attributeOldValue: true,
    attributeFilter: ["data-test-script-state"]});
}
