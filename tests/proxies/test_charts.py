"""Both usage charts (a server's Usage tab, the Usage Reports page) stand on one value
axis: the same round steps and the same room above the highest line."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from proxies.charts import usage_chart, value_axis, weekly_usage_chart


@pytest.mark.parametrize(
    ("highest", "labels"),
    [
        (0, ["0", "1", "2"]),
        (5, ["0", "1", "2", "3", "4", "5", "6"]),
        (10, ["0", "2", "4", "6", "8", "10", "12"]),
        (37, ["0", "10", "20", "30", "40"]),
    ],
)
def test_the_axis_rises_in_round_steps_above_the_highest_value(highest, labels):
    axis = value_axis(highest, baseline=200, plot_height=180)
    assert [t.label for t in axis.ticks] == labels
    assert axis.y(0) == 200 and axis.y(axis.top) == 20


def test_both_charts_label_the_same_values_the_same_way():
    day = date(2026, 1, 5)
    reports = [
        type("R", (), {"date": day + timedelta(weeks=i), "peak": peak, "licenses": 10})
        for i, peak in enumerate([4, 12])
    ]
    weeks = [
        {"week_start": r.date, "licenses": r.licenses, "peak": r.peak, "over_limit": r.peak > 10}
        for r in reports
    ]
    tab, page = usage_chart(reports), weekly_usage_chart(weeks)
    assert [t.label for t in tab.y_ticks] == [t.label for t in page.y_ticks]
    assert weekly_usage_chart([]) is None
