"""The crawl's eyes (crawl.PAGE_CHECK) see what they are meant to see: each fault on a page
made to have it, and nothing on a page without one. The crawl over the portal can only
pass for the right reason if its check fails on a bad page."""

from __future__ import annotations

import pytest

from tests.zero_setup import crawl

pytestmark = pytest.mark.e2e

CLEAN = """<!doctype html><html lang="en"><body>
<table><tr><th>Subscription Name</th><td>Mac fleet of the Schaffhausen office, second floor</td>
</tr></table>
<h1>A heading long enough to wrap onto a second line at this width, between its words</h1>
<label>Server <input placeholder="name"></label>
<svg viewBox="0 0 10 10"><rect x="1" y="2" width="3" height="4"></rect></svg>
</body></html>"""

FAULTY = """<!doctype html><html lang="en"><body>
<table><tr><td style="width: 3ch; word-break: break-all">Administrators</td></tr></table>
<div style="width: 2000px">wide</div>
<input style="width: 40px" placeholder="A placeholder far wider than its field">
<svg viewBox="0 0 10 10"><rect x="1,5" y="2" width="3" height="4"></rect></svg>
</body></html>"""


@pytest.fixture
def page(sweep_browser):
    context = sweep_browser.new_context(viewport={"width": 390, "height": 844})
    yield context.new_page()
    context.close()


def test_a_page_without_faults_has_no_problems(page):
    page.set_content(CLEAN)
    assert page.evaluate(crawl.PAGE_CHECK) == {"problems": [], "charts": []}


def test_each_fault_is_named(page):
    page.set_content(FAULTY)
    problems = page.evaluate(crawl.PAGE_CHECK)["problems"]
    assert any(p.startswith("sideways scroll: ") for p in problems), problems
    assert 'word broken in <td>: "Administrators"' in problems
    assert 'placeholder cut off: "A placeholder far wider than its field"' in problems
    assert '<rect x="1,5"> is not a number' in problems
