"""Built figures kept per dataset version and view, as the JSON the page draws.

Building a figure (laying out lanes, dodging marks, placing labels) and serialising it cost
more than the engine's answer it draws. A rerun that leaves a chart's inputs as they were
(another chart's option, a selection, the back button, a second session on the same view)
takes the kept figure instead: its JSON, serialised once, which the page's chart component
sends as it is (the selection is faded in the browser), or a copy of its plain data wrapped
without plotly's validation for a caller that changes it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import plotly.graph_objects as go

T = TypeVar("T")
KEPT_FIGURES = 48


@dataclass(frozen=True)
class Sent:
    """A figure as the browser gets it: plotly's own JSON of it (what `st.plotly_chart` sends),
    a digest of that (its revision), and its height."""

    json: str
    revision: str
    height: int | None

    @classmethod
    def of(cls, figure: go.Figure) -> Sent:
        text = figure.to_json()
        return cls(
            text, hashlib.blake2b(text.encode("utf-8"), digest_size=12).hexdigest(), figure.layout.height
        )

    def figure(self) -> go.Figure:
        """A figure of its own to change, wrapped without plotly's validation."""
        return from_plain(json.loads(self.json))


class FigureCache:
    """The most recently used figures, keyed by everything that shapes them (the caller
    names the dataset version, the chart, the filters and the options it reads)."""

    def __init__(self, size: int = KEPT_FIGURES) -> None:
        self.size = size
        self.lock = threading.Lock()
        self.items: OrderedDict[Hashable, tuple[Sent, Any]] = OrderedDict()
        self.builds = 0
        """Figures built so far (what a test counts to show that a selection builds none)."""

    def sent(self, key: Hashable, build: Callable[[], tuple[go.Figure, T]]) -> tuple[Sent, T]:
        """The figure under `key` as the browser gets it (and what `build` returned beside
        it), built and serialised at most once while kept."""
        with self.lock:
            found = self.items.get(key)
            if found is not None:
                self.items.move_to_end(key)
        if found is None:
            fig, extra = build()
            found = (Sent.of(fig), extra)
            with self.lock:
                self.builds += 1
                self.items[key] = found
                while len(self.items) > self.size:
                    self.items.popitem(last=False)
        return found

    def get(self, key: Hashable, build: Callable[[], tuple[go.Figure, T]]) -> tuple[go.Figure, T]:
        """The figure under `key` (and what `build` returned beside it), built at most once
        while kept; each caller gets its own copy to change."""
        sent, extra = self.sent(key, build)
        return sent.figure(), extra


def from_plain(plain: dict[str, Any]) -> go.Figure:
    """A figure from a copy of its plain data (a kept figure's, or its JSON's), wrapped
    without plotly's validation."""
    return go.Figure(decoded(plain), _validate=False)


def decoded(value: Any) -> Any:
    """A fresh copy of a figure's plain data, with plotly's typed arrays ({"dtype", "bdata"},
    base64) back as numpy arrays, as the highlight reads and writes them."""
    if isinstance(value, dict):
        if "bdata" in value and "dtype" in value and set(value) <= {"bdata", "dtype", "shape"}:
            array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"]).copy()
            shape = value.get("shape")
            if shape:
                array = array.reshape([int(n) for n in str(shape).split(",")])
            return array
        return {k: decoded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decoded(v) for v in value]
    if isinstance(value, tuple):
        return tuple(decoded(v) for v in value)
    if isinstance(value, np.ndarray):
        return value.copy()
    return value


FIGURES = FigureCache()
