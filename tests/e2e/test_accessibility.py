"""An axe-core audit (axe-playwright-python bundles axe-core) of every page an
administrator (alice), a Regular Member (bob) and an anonymous visitor can reach, at
1280 px and on a 390 px phone: no violation of impact serious or critical.

One test per role, so that pytest-xdist can spread them. Each page is opened once at
1280 px, audited, then narrowed to 390 px (the page lays itself out again, as it does
when a window is narrowed) and audited again: the page is fetched once for both widths.
axe-core (570 kB of script) comes with every page the context opens, as a script the
browser runs before the page's own, rather than sent and compiled again for each audit
(axe-playwright-python's Axe.run): the sweep takes about a fifth less of the browser's
CPU.
"""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests import factories
from tests.e2e.conftest import ANONYMOUS_PAGES, admin_pages, member_pages, open_page, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

BLOCKING = {"serious", "critical"}
RUN = "axe.run({resultTypes: ['violations']})"  # as axe-playwright-python's Axe.run
WIDTHS = [(1280, 900), (390, 844)]
ROLES = {
    "visitor": (None, lambda scene: ANONYMOUS_PAGES),
    "administrator": ("alice@example.com", admin_pages),
    "member": ("bob@example.com", member_pages),
}


def _blocking(page) -> list[str]:
    """The serious and critical violations on the page as it is laid out now."""
    violations = page.evaluate(RUN)["violations"]
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(n["target"][0] if n["target"] else "?" for n in v["nodes"][:3])
        for v in violations
        if v["impact"] in BLOCKING
    ]


@pytest.mark.parametrize("role", ROLES)
def test_no_page_has_a_serious_or_critical_accessibility_violation(
    sweep_browser, live_server, csp_watch, settings, scene, role
):
    settings.ALLOWED_HOSTS = ["*"]
    email, pages = ROLES[role]
    context, page = open_page(sweep_browser, live_server, csp_watch, *WIDTHS[0])
    context.add_init_script(Axe().axe_script)
    if email:
        sign_in(page, email, factories.PASSWORD)
    found: dict[str, list[str]] = {}
    for name, path in pages(scene).items():
        page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[0], strict=True)))
        page.goto(path)
        for width, height in WIDTHS:
            page.set_viewport_size({"width": width, "height": height})
            if blocking := _blocking(page):
                found[f"{role} {name} @{width}"] = blocking
    context.close()
    assert not found, "\n".join(f"{where}: {v}" for where, vs in found.items() for v in vs)
