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

const LATER = [["timeline_chart", "timeline"], ["counts_chart", "counts"]];  // drawn again by plotly
const MAP = ["map_chart", "map"];  // its marks hidden where drawn, else drawn again too
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

// The map's event marks not in `ids` hidden where they are drawn (a new map costs plotly 0.1-0.6 s
// under load, most of it the land and borders): each kept until the server's map replaces them
// (plotly_chart.js shows them again). False when the map is not drawn as expected.
const HIDDEN = "tl-early-hidden";
function hiddenInPlace(gd, ids) {
  const marks = [];
  for (const group of gd.querySelectorAll(".scatterlayer .trace")) {
    const cd = group.__data__, trace = cd && cd[0] && cd[0].trace;
    if (!trace || !Array.isArray(trace.customdata)) continue;
    group.querySelectorAll("path.point").forEach((node) => {
      const d = node.__data__, id = d && eventId(trace.customdata[d.i]);
      if (id) marks.push([node, id]);
    });
  }
  const drawn = new Set(marks.map(([, id]) => id));
  if (!marks.length || [...ids].some((id) => !drawn.has(id))) return false;  // events to add: drawn again
  for (const [node, id] of marks) {
    const hide = !ids.has(id);
    node.classList.toggle(HIDDEN, hide);
    node.style.display = hide ? "none" : "";
  }
  return true;
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
  // One chart: its figure with only `shown`'s events (`ids` their event ids), at the preset's
  // dates or where the chart is now; false when the chart is not on the page.
  const drawChart = (chartKey, kind, model, shown, ids, state, inPlace = false) => {
    const gd = document.querySelector(`.st-key-${chartKey} .tl-plot`);
    const chart = gd && gd.closest(".tl-chart") && gd.closest(".tl-chart").__tl;
    const figure = model.figures[kind];
    if (!gd || !chart || !gd.data || !gd.layout || !figure || !window.Plotly) return;
    if (kind === "counts" && !model.counts) return;
    const options = chart.data.options || {};  // drawn with other options since (a chart's own rerun): the server's
    if (Object.entries(options).some(([name, value]) => model.options[name] !== value)) return;
    if (kind === "map" && inPlace && hiddenInPlace(gd, ids)) {
      chart.revision = null;  // the server's next figure is drawn whatever its revision
      gd.closest(".tl-chart").dataset.early = "hidden";
      drawn.add(chart);
      return true;
    }
    if (inPlace) return false;
    const next = kind === "counts" ? countsOnly(figure, model.counts, shown) : eventsOnly(figure, ids, model.key_events);
    const layout = next.layout;
    for (const axis of kind === "map" ? ["xaxis", "yaxis"] : ["xaxis"]) {
      const range = axis === "xaxis" && kind !== "map" && state.range ? state.range : gd.layout[axis] && gd.layout[axis].range;
      if (range) layout[axis] = {...layout[axis], range: [...range], autorange: false};
    }
    chart.revision = null;  // the server's next figure is drawn whatever its revision
    chart.drawn = null;
    gd.querySelectorAll(`.${HIDDEN}`).forEach((node) => { node.classList.remove(HIDDEN); node.style.display = ""; });
    window.Plotly.react(gd, next.data, layout, chart.data.config);
    gd.closest(".tl-chart").dataset.early = "drawn";  // until the server's figure (plotly_chart.js)
    drawn.add(chart);
  };
  // The header's count and the map's marks at once, in the click's own task before Streamlit
  // handles it (about a millisecond: nothing is drawn again); the timeline and the counts chart,
  // which plotly draws again (0.02-0.14 s each, more under load), and the map when it must show
  // events it does not draw now, each in a task of its own after Streamlit's handling of the
  // click, which they never delay.
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
    const charts = drawChart("map_chart", "map", model, shown, ids, state, true) ? LATER : [...LATER, MAP];
    const later = (n) => {
      if (turn !== kept.turn || kept.view !== view) return;  // a newer click, or the server's view
      if (n >= charts.length) { kept.shown = turn; return; }  // every chart drawn (what tests wait for)
      drawChart(charts[n][0], charts[n][1], model, shown, ids, state);
      setTimeout(() => later(n + 1), 0);
    };
    setTimeout(() => later(0), 0);
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
