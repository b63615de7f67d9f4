"""The usage charts, drawn on the server as SVG coordinates (the templates write the
markup): the Usage tab's peak per report date against the license limit, and the Usage
Reports page's peak per week against licenses. Both stand on one value axis.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.utils import formats

from proxies.models import UsageReport
from subscriptions import quota

WIDTH = 640
HEIGHT = 260
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 40


@dataclass
class Point:
    x: float
    y: float
    date: date
    peak: int
    licenses: int
    over_limit: bool


@dataclass
class Tick:
    pos: float
    label: str
    anchor: str = "middle"


@dataclass
class UsageChart:
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right_edge: int = WIDTH - RIGHT
    top: int = TOP
    baseline: int = HEIGHT - BOTTOM
    points: list[Point] = field(default_factory=list)
    peak_path: str = ""
    limit_path: str = ""
    y_ticks: list[Tick] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)
    max_peak: int = 0
    limit: int = 0


def _nice_step(value: int) -> int:
    """A round gridline step (1, 2 or 5 times a power of ten) giving at most 5 steps."""
    target = max(value, 5) / 5
    magnitude = 1
    while True:
        for step in (1, 2, 5):
            if step * magnitude >= target:
                return step * magnitude
        magnitude *= 10


@dataclass(frozen=True)
class ValueAxis:
    """The vertical axis of every usage chart: 0 to a round top above the highest value,
    in round steps, from `baseline` up `plot_height` pixels."""

    top: int
    step: int
    baseline: float
    plot_height: float

    def y(self, value: int) -> float:
        return round(self.baseline - self.plot_height * value / self.top, 1)

    @property
    def ticks(self) -> list[Tick]:
        return [Tick(self.y(v), str(v)) for v in range(0, self.top + 1, self.step)]


def value_axis(highest: int, *, baseline: float, plot_height: float) -> ValueAxis:
    """An axis for values up to `highest`, with room above it for the highest line."""
    highest = max(highest, 1)
    step = _nice_step(highest)
    top = step * -(-highest // step)  # round up to a whole step
    if top == highest:
        top += step  # leave room above the highest line
    return ValueAxis(top=top, step=step, baseline=baseline, plot_height=plot_height)


def usage_chart(reports: list[UsageReport]) -> UsageChart | None:
    """Coordinates for `reports` (oldest first); None when there is nothing to draw."""
    if not reports:
        return None
    chart = UsageChart()
    chart.max_peak = max(r.peak for r in reports)
    chart.limit = reports[-1].licenses
    axis = value_axis(
        max(chart.max_peak, max(r.licenses for r in reports)),
        baseline=chart.baseline,
        plot_height=chart.baseline - chart.top,
    )
    y_of = axis.y
    plot_w = chart.right_edge - chart.left
    first, last = reports[0].date, reports[-1].date
    span = max((last - first).days, 1)

    def x_of(day: date) -> float:
        if first == last:
            return chart.left + plot_w / 2
        return round(chart.left + plot_w * (day - first).days / span, 1)

    for r in reports:
        chart.points.append(
            Point(
                x_of(r.date),
                y_of(r.peak),
                r.date,
                r.peak,
                r.licenses,
                quota.is_over_limit(r.licenses - r.peak),
            )
        )
    chart.peak_path = " ".join(f"{p.x},{p.y}" for p in chart.points)
    # The limit can change with upgrades: draw it as steps from report to report.
    limit_points: list[str] = []
    for i, p in enumerate(chart.points):
        y = y_of(p.licenses)
        if i == 0:
            limit_points.append(f"{chart.left},{y}")
        else:
            limit_points.append(f"{p.x},{limit_points[-1].split(',')[1]}")
        limit_points.append(f"{p.x},{y}")
    limit_points.append(f"{chart.right_edge},{y_of(chart.points[-1].licenses)}")
    chart.limit_path = " ".join(limit_points)
    chart.y_ticks = axis.ticks
    # At most six date labels, spread over the reports.
    every = max(1, -(-len(chart.points) // 6))
    shown = chart.points[::every]
    if chart.points[-1] not in shown and chart.points[-1].x - shown[-1].x > 90:
        shown.append(chart.points[-1])
    chart.x_ticks = [Tick(p.x, formats.date_format(p.date, "SHORT_DATE_FORMAT")) for p in shown]
    # Labels at the edges would be cut off if centred on their point.
    if len(chart.x_ticks) > 1:
        chart.x_ticks[0].anchor = "start"
        chart.x_ticks[-1].anchor = "end"
    return chart


# --- the Usage Reports page: peak used against licenses, per week ---------------------------

WEEKLY_HEIGHT = 240
WEEKLY_LEFT, WEEKLY_RIGHT, WEEKLY_TOP, WEEKLY_BOTTOM = 44, 12, 14, 34


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
class WeeklyChart:
    weeks: list[Week]
    width: int
    height: int
    left: int
    right_edge: int
    baseline: float
    top: int
    licenses_points: str
    y_ticks: list[Tick]


def weekly_usage_chart(rows: Iterable[dict]) -> WeeklyChart | None:
    """`rows` in chronological order, each with week_start, licenses, peak, over_limit;
    None when there is nothing to draw."""
    rows = list(rows)
    if not rows:
        return None
    plot_width = WIDTH - WEEKLY_LEFT - WEEKLY_RIGHT
    plot_height = WEEKLY_HEIGHT - WEEKLY_TOP - WEEKLY_BOTTOM
    baseline = WEEKLY_TOP + plot_height
    axis = value_axis(
        max(max(r["licenses"], r["peak"]) for r in rows),
        baseline=baseline,
        plot_height=plot_height,
    )
    slot = plot_width / len(rows)
    bar_width = min(slot * 0.6, 48)
    weeks = [
        Week(
            week_start=r["week_start"],
            licenses=r["licenses"],
            peak=r["peak"],
            over_limit=r["over_limit"],
            x=round(WEEKLY_LEFT + slot * i + (slot - bar_width) / 2, 1),
            bar_width=round(bar_width, 1),
            bar_y=axis.y(r["peak"]),
            bar_height=round(baseline - axis.y(r["peak"]), 1),
            line_y=axis.y(r["licenses"]),
        )
        for i, r in enumerate(rows)
    ]
    return WeeklyChart(
        weeks=weeks,
        width=WIDTH,
        height=WEEKLY_HEIGHT,
        left=WEEKLY_LEFT,
        right_edge=WIDTH - WEEKLY_RIGHT,
        baseline=baseline,
        top=WEEKLY_TOP,
        licenses_points=" ".join(f"{round(w.center, 1)},{w.line_y}" for w in weeks),
        y_ticks=axis.ticks,
    )
