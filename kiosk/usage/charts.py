"""Bar charts of released figures, drawn on the server as SVG with attributes only.

The kiosk's Content-Security-Policy allows no inline style, and a charting
library's SVG carries its own ``<style>``; these charts are a handful of
rectangles and labels whose sizes are SVG attributes, coloured by the
stylesheet through classes, so they follow high contrast like everything else.
"""

from __future__ import annotations

from dataclasses import dataclass

WIDTH = 640
BAR_HEIGHT = 28
CHART_HEIGHT = 220
LABEL_WIDTH = 220


@dataclass(frozen=True)
class Bar:
    """One bar: its label, the value shown, and where it is drawn."""

    label: str
    value: int
    x: float
    y: float
    width: float
    height: float


def columns(values: list[tuple[str, int]]) -> list[Bar]:
    """Vertical bars, one per (label, value), in order (a figure per day); below zero is drawn as zero."""
    if not values:
        return []
    top = max(max(value for _label, value in values), 1)
    step = WIDTH / len(values)
    bars = []
    for index, (label, value) in enumerate(values):
        height = CHART_HEIGHT * max(value, 0) / top
        bars.append(Bar(label, value, index * step + step * 0.1, CHART_HEIGHT - height, step * 0.8, height))
    return bars


def rows(values: list[tuple[str, int]]) -> list[Bar]:
    """Horizontal bars, one per (label, value), largest first (top articles, languages)."""
    ordered = sorted(values, key=lambda item: -item[1])
    top = max([value for _label, value in ordered] + [1])
    return [Bar(label, value, LABEL_WIDTH, index * BAR_HEIGHT + 4,
                (WIDTH - LABEL_WIDTH) * max(value, 0) / top, BAR_HEIGHT - 8)
            for index, (label, value) in enumerate(ordered)]
