"""The Usage tab's chart: peak usage per report date, with the license limit as a line.

Drawn on the server as SVG coordinates; the template writes the markup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from proxies.models import UsageReport

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


def _nice_step(top: int) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000):
        if top / step <= 5:
            return step
    return 10 ** len(str(top))


def usage_chart(reports: list[UsageReport]) -> UsageChart | None:
    """Coordinates for `reports` (oldest first); None when there is nothing to draw."""
    if not reports:
        return None
    chart = UsageChart()
    chart.max_peak = max(r.peak for r in reports)
    chart.limit = reports[-1].licenses
    top_value = max(chart.max_peak, max(r.licenses for r in reports), 1)
    step = _nice_step(top_value)
    y_max = step * -(-top_value // step)  # round up to a whole step
    if y_max == top_value:
        y_max += step  # leave room above the highest line
    plot_w = chart.right_edge - chart.left
    plot_h = chart.baseline - chart.top
    first, last = reports[0].date, reports[-1].date
    span = max((last - first).days, 1)

    def x_of(day: date) -> float:
        if first == last:
            return chart.left + plot_w / 2
        return round(chart.left + plot_w * (day - first).days / span, 1)

    def y_of(value: int) -> float:
        return round(chart.baseline - plot_h * value / y_max, 1)

    for r in reports:
        chart.points.append(
            Point(x_of(r.date), y_of(r.peak), r.date, r.peak, r.licenses, r.peak > r.licenses)
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
    chart.y_ticks = [Tick(y_of(v), str(v)) for v in range(0, y_max + 1, step)]
    # At most six date labels, spread over the reports.
    every = max(1, -(-len(chart.points) // 6))
    shown = chart.points[::every]
    if chart.points[-1] not in shown and chart.points[-1].x - shown[-1].x > 90:
        shown.append(chart.points[-1])
    chart.x_ticks = [Tick(p.x, f"{p.date:%m/%d/%Y}") for p in shown]
    # Labels at the edges would be cut off if centred on their point.
    if len(chart.x_ticks) > 1:
        chart.x_ticks[0].anchor = "start"
        chart.x_ticks[-1].anchor = "end"
    return chart
