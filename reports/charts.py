"""Geometry for the server-rendered SVG chart: peak used against licenses, per week.

Only numbers and dates reach the template, which draws the SVG; no markup is built here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

WIDTH = 640
HEIGHT = 240
LEFT = 44
RIGHT = 12
TOP = 14
BOTTOM = 34


@dataclass(frozen=True)
class Week:
    week_start: date
    licenses: int
    peak: int
    over_limit: bool
    x: float
    bar_width: float
    bar_y: float
    bar_height: float
    line_y: float

    @property
    def center(self) -> float:
        return self.x + self.bar_width / 2


@dataclass(frozen=True)
class Chart:
    weeks: list[Week]
    width: int
    height: int
    left: int
    right_edge: int
    baseline: float
    top: int
    y_max: int
    licenses_points: str
    gridlines: list[tuple[float, int]]


def _nice_step(value: int) -> int:
    """A round gridline step (1, 2 or 5 times a power of ten) giving at most 5 steps."""
    target = max(value, 5) / 5
    magnitude = 1
    while True:
        for step in (1, 2, 5):
            if step * magnitude >= target:
                return step * magnitude
        magnitude *= 10


def usage_chart(rows: Iterable[dict]) -> Chart | None:
    """`rows` in chronological order, each with week_start, licenses, peak, over_limit."""
    rows = list(rows)
    if not rows:
        return None
    top_value = max(max(r["licenses"], r["peak"]) for r in rows)
    step = _nice_step(top_value)
    y_max = step * max(1, -(-top_value // step))
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    baseline = TOP + plot_height
    slot = plot_width / len(rows)
    bar_width = min(slot * 0.6, 48)

    def y(value: int) -> float:
        return round(baseline - plot_height * value / y_max, 1)

    weeks = [
        Week(
            week_start=r["week_start"],
            licenses=r["licenses"],
            peak=r["peak"],
            over_limit=r["over_limit"],
            x=round(LEFT + slot * i + (slot - bar_width) / 2, 1),
            bar_width=round(bar_width, 1),
            bar_y=y(r["peak"]),
            bar_height=round(baseline - y(r["peak"]), 1),
            line_y=y(r["licenses"]),
        )
        for i, r in enumerate(rows)
    ]
    return Chart(
        weeks=weeks,
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right_edge=WIDTH - RIGHT,
        baseline=baseline,
        top=TOP,
        y_max=y_max,
        licenses_points=" ".join(f"{round(w.center, 1)},{w.line_y}" for w in weeks),
        gridlines=[(y(value), value) for value in range(0, y_max + 1, step)],
    )
