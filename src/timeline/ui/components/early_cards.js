// The card of an event picked on a chart, shown at the click (issue #17): the charts announce a
// pick (`tl-charts-card`, plotly_chart.js) and this draws the picked events' cards where the
// selection panel will show them, from the cards sent with the view's drawn events
// (`timeline.cards.card_html` run in Python: one definition of what a card says). The panel the
// server then sends takes its place in the same frame, once it holds every picked card.
//
// Event text is inert: the cards are HTML escaped by Python, parsed in an inert <template>,
// and kept only as the elements, classes and http(s) links a card is made of; the rest becomes
// its text. Nothing from the data is run or loaded.

const CARD = "tl-charts-card";
const PHONE = "(max-width: 640px)";
const GIVE_UP_MS = 30000;
const TAGS = new Set(["DIV", "SPAN", "DL", "DT", "DD", "P", "A", "UL", "LI", "B"]);
const DOT = /^background:#[0-9a-fA-F]{3,8}$/;
const WEB = /^https?:\/\/[^\s<>"'`]+$/i;

// Only a card's own markup: anything else is replaced by its text, every attribute but a
// class, the type's colour dot and an http(s) link is dropped.
function cleaned(html) {
  const template = document.createElement("template");
  template.innerHTML = html;
  const walk = (node) => {
    for (const child of [...node.childNodes]) {
      if (child.nodeType === Node.TEXT_NODE) continue;
      if (child.nodeType !== Node.ELEMENT_NODE || !TAGS.has(child.tagName)) {
        child.replaceWith(document.createTextNode(child.nodeType === Node.ELEMENT_NODE ? child.textContent : ""));
        continue;
      }
      for (const {name, value} of [...child.attributes]) {
        const keep = name === "class" || (name === "style" && DOT.test(value))
          || (child.tagName === "A" && name === "href" && WEB.test(value))
          || (child.tagName === "A" && (name === "target" || name === "rel"));
        if (!keep) child.removeAttribute(name);
      }
      if (child.tagName === "A") {
        if (!child.hasAttribute("href")) { child.replaceWith(document.createTextNode(child.textContent)); continue; }
        child.setAttribute("target", "_blank");
        child.setAttribute("rel", "noopener noreferrer nofollow");
      }
      walk(child);
    }
  };
  walk(template.content);
  return template.content;
}

// The cards as Python packs them (`early_cards.packed`): base64 of deflated JSON.
async function unpacked(b64) {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
  return JSON.parse(await new Response(stream).text());
}

function text(tag, className, value) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  node.textContent = value;
  return node;
}

function cardOf(id) {
  return document.querySelector(`[class*="st-key-card-"].st-key-card-${CSS.escape(id)}`);
}

// The server's panel shows these cards: the early ones can go (in the same frame).
function served(ids, count) {
  const panel = document.querySelector(".st-key-selection-panel");
  if (!panel || !panel.textContent.includes(`Selected: ${count} event(s)`)) return false;
  return ids.every((id) => { const card = cardOf(id); return card && panel.contains(card) && card.querySelector(".tl-title"); });
}

function running() {  // the server is running the page (or a fragment of it)
  const app = document.querySelector('[data-testid="stApp"]');
  return !!app && app.getAttribute("data-test-script-state") === "running";
}

export default function (component) {
  const {data, parentElement} = component;
  const host = parentElement.querySelector(".tl-cards");
  const kept = host.__tl || (host.__tl = {});
  kept.data = data;
  if (kept.packed !== data.cards) {  // a new view's cards: unpacked once, before any click on it
    kept.packed = data.cards;
    kept.cards = null;
    unpacked(data.cards).then((cards) => { if (kept.packed === data.cards) kept.cards = cards; })
      .catch(() => {});  // no early cards: the server's panel opens them as before
  }
  if (kept.listening) return;
  kept.listening = true;

  const close = () => {
    if (kept.watch) kept.watch.disconnect();
    if (kept.sheet) kept.sheet.remove();
    window.removeEventListener("scroll", kept.place, true);
    kept.watch = kept.sheet = null;
  };
  const show = (event) => {
    if (!host.isConnected) { window.removeEventListener(CARD, show); return; }  // a page without it
    const {max_cards: most, panel} = kept.data, cards = kept.cards || {};
    const ids = event.detail || [], first = ids.slice(0, most);
    if (!panel || !first.length || first.some((id) => typeof cards[id] !== "string")) return;  // the server's card
    if (served(first, ids.length)) return;  // already open
    const phone = window.matchMedia(PHONE).matches;
    const anchor = () => document.querySelector(".st-key-selection-panel, .st-key-selection-hint");
    if (!phone && !anchor()) return;
    close();
    const sheet = document.createElement("div");
    sheet.className = `tl-early${phone ? " tl-early-phone" : ""}`;
    sheet.dataset.testid = "tlEarlyCards";
    const app = document.querySelector('[data-testid="stApp"]');
    if (app) {
      const look = getComputedStyle(app);
      sheet.style.background = look.backgroundColor;
      sheet.style.color = look.color;
    }
    sheet.append(text("p", "tl-early-head", `Selected: ${ids.length} event(s)`));
    const button = text("div", "tl-early-button", "\u2715\u2002Clear selection");  // its place, until the panel's own
    button.setAttribute("aria-hidden", "true");
    sheet.append(button);
    if (ids.length > most) sheet.append(text("p", "tl-early-note", `The first ${most} cards are shown; all ${ids.length} are highlighted.`));
    for (const id of first) {
      const card = document.createElement("div");
      card.className = "tl-early-card";
      card.dataset.event = id;
      card.append(cleaned(cards[id]));
      sheet.append(card);
    }
    kept.place = () => {  // over the panel's column (sticky), as its box is now
      const where = anchor();
      if (phone || !where) return;
      const box = where.getBoundingClientRect();
      sheet.style.left = `${box.left}px`;
      sheet.style.top = `${box.top}px`;
      sheet.style.width = `${box.width}px`;
    };
    document.body.append(sheet);
    kept.sheet = sheet;
    kept.place();
    window.addEventListener("scroll", kept.place, true);
    // Gone when the panel holds these cards, or soon after a rerun ended without them (the
    // server chose otherwise), or after `GIVE_UP_MS` without an answer.
    const gone = () => { if (kept.sheet === sheet) close(); };
    kept.watch = new MutationObserver((records) => {
      if (served(first, ids.length)) { close(); return; }
      const ended = records.some((r) => r.attributeName === "data-test-script-state" && r.oldValue === "running"
        && r.target.getAttribute("data-test-script-state") !== "running");
      if (ended && !running()) setTimeout(gone, 150);
    });
    kept.watch.observe(document.body, {childList: true, subtree: true, attributes: true,
      attributeOldValue: true, attributeFilter: ["data-test-script-state"]});
    setTimeout(gone, GIVE_UP_MS);
  };
  window.addEventListener(CARD, show);
}
