"""An axe-core audit (axe-playwright-python bundles axe-core) of every page an
administrator (alice), a Regular Member (bob) and an anonymous visitor can reach, at
1280 px and on a 390 px phone: no violation of impact serious or critical.
"""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests import factories
from tests.e2e.conftest import ANONYMOUS_PAGES, admin_pages, member_pages, open_page, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

BLOCKING = {"serious", "critical"}


def _audit(page, pages: dict[str, str], who: str) -> dict[str, list[str]]:
    axe = Axe()
    found: dict[str, list[str]] = {}
    for name, path in pages.items():
        page.goto(path)
        violations = axe.run(page).response["violations"]
        blocking = [
            f"{v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(n["target"][0] if n["target"] else "?" for n in v["nodes"][:3])
            for v in violations
            if v["impact"] in BLOCKING
        ]
        if blocking:
            found[f"{who} {name}"] = blocking
    return found


@pytest.mark.parametrize("width", [1280, 390])
def test_no_page_has_a_serious_or_critical_accessibility_violation(
    sweep_browser, live_server, csp_watch, settings, scene, width
):
    settings.ALLOWED_HOSTS = ["*"]
    found: dict[str, list[str]] = {}
    context, page = open_page(sweep_browser, live_server, csp_watch, width, 900)
    found |= _audit(page, ANONYMOUS_PAGES, "visitor")
    sign_in(page, "alice@example.com", factories.PASSWORD)
    found |= _audit(page, admin_pages(scene), "administrator")
    context.close()
    context, page = open_page(sweep_browser, live_server, csp_watch, width, 900)
    sign_in(page, "bob@example.com", factories.PASSWORD)
    found |= _audit(page, member_pages(scene), "member")
    context.close()
    assert not found, "\n".join(f"{where}: {v}" for where, vs in found.items() for v in vs)
