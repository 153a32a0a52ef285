"""Every visible text in a plotly SVG export at >= N px (test helper).

Plotly writes the size into each <text>'s style attribute ("font-size: 21px"), and rich text
(<sup>, <sub>, <span style="font-size:..">) into <tspan> children, sometimes relative ("70%", "0.7em").
This walks <text> and <tspan>, resolves the effective size by inheritance (style beats the
font-size attribute; %/em are relative to the parent), multiplies by any scale() in ancestor
transforms, and reports texts below the limit with their class (xtick, ytick, annotation-text,
gtitle, legendtext, ...).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

SVG_NS = "{http://www.w3.org/2000/svg}"
_SIZE = re.compile(r"font-size\s*:\s*([\d.]+)\s*(px|pt|%|em)?", re.I)
_SCALE = re.compile(r"scale\(\s*([\d.eE+-]+)(?:[\s,]+([\d.eE+-]+))?\s*\)")
_MATRIX = re.compile(r"matrix\(\s*([\d.eE+-]+)[\s,]+([\d.eE+-]+)[\s,]+([\d.eE+-]+)[\s,]+([\d.eE+-]+)")
DEFAULT_PX = 16.0


def _own_size(el: ET.Element, parent_px: float) -> float:
    raw = None
    m = _SIZE.search(el.get("style", ""))
    if m:
        raw = (float(m.group(1)), (m.group(2) or "px").lower())
    elif el.get("font-size"):
        m = re.match(r"([\d.]+)\s*(px|pt|%|em)?", el.get("font-size"))
        if m:
            raw = (float(m.group(1)), (m.group(2) or "px").lower())
    if raw is None:
        return parent_px
    value, unit = raw
    return {"px": value, "pt": value * 96 / 72, "%": parent_px * value / 100, "em": parent_px * value}[unit]


def _scale(el: ET.Element) -> float:
    t = el.get("transform", "")
    s = 1.0
    for m in _SCALE.finditer(t):
        sx = float(m.group(1))
        sy = float(m.group(2)) if m.group(2) else sx
        s *= min(abs(sx), abs(sy))
    for m in _MATRIX.finditer(t):
        a, b, c, d = map(float, m.groups())
        s *= min((a * a + b * b) ** 0.5, (c * c + d * d) ** 0.5)
    return s


def text_sizes(svg: bytes | str, *, display_scale: float = 1.0) -> list[tuple[float, str, str]]:
    """[(effective px, class, text)] for every non-empty <text>/<tspan> run."""
    root = ET.fromstring(svg)
    out: list[tuple[float, str, str]] = []

    def walk(el, px, scale, cls, hidden):
        tag = el.tag.replace(SVG_NS, "")
        style = el.get("style", "")
        hidden = hidden or "display: none" in style or "display:none" in style or el.get("display") == "none"
        scale *= _scale(el)
        if el.get("class") and el.get("class") != "line":  # 'line' = a <br> line of its parent text
            cls = el.get("class")  # nearest class: xtick, ytick, annotation-text, legendtext, gtitle, ...
        if tag in ("text", "tspan"):
            px = _own_size(el, px)
            own = (el.text or "").strip()
            if own and not hidden:
                out.append((round(px * scale * display_scale, 2), cls, own))
        else:
            m = _SIZE.search(style)  # a <g> can carry a font-size too
            if m and (m.group(2) or "px") == "px":
                px = float(m.group(1))
        for child in el:
            walk(child, px, scale, cls, hidden)
            if tag in ("text", "tspan") and (child.tail or "").strip() and not hidden:
                out.append((round(px * scale * display_scale, 2), cls, child.tail.strip()))

    walk(root, DEFAULT_PX, 1.0, "", False)
    return out


def too_small(svg: bytes | str, minimum: float = 18, *, display_scale: float = 1.0):
    return [t for t in text_sizes(svg, display_scale=display_scale) if t[0] < minimum]
