"""Every page fits at 1280 px and on a 390 px phone: the page never scrolls sideways,
tables fit their box (on a phone as one card per row) or scroll inside their own marked
region, and the Proxy Servers table fits at 1280 px with its default columns.

alice administers "My Company, Inc." with a subscription, sublicenses, proxy servers,
a weekly usage report and a pending invitation; she opens every page of the portal.
Each page is photographed at both widths into test-artifacts/screenshots/ (SCREENSHOT_DIR),
which `make test` lists at the end, so a reviewer can look without running a browser.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.e2e.conftest import ANONYMOUS_PAGES, admin_pages, open_page, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE_WIDTH = 390
DESKTOP_WIDTH = 1280
SCREENSHOTS = Path(
    os.environ.get("SCREENSHOT_DIR")
    or Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
)
# Each table that is wider than its box, unless that box is a marked scroll region.
TABLES_CUT_OFF = """() => Array.from(document.querySelectorAll("main table")).filter((table) => {
  const box = table.parentElement;
  if (table.offsetParent === null || table.closest("dialog")) return false;
  if (table.scrollWidth <= box.clientWidth + 1) return false;
  return !(box.matches(".table-wrap[role=region][tabindex='0']") && box.getAttribute("aria-label"));
}).map((table) => `${table.scrollWidth} px in ${table.parentElement.clientWidth} px`)"""
SELECTED_TEXT_FITS = """el => {
  const style = getComputedStyle(el);
  const ctx = document.createElement("canvas").getContext("2d");
  ctx.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  const text = ctx.measureText(el.options[el.selectedIndex].text).width;
  const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
  return text + padding + 16 <= el.clientWidth;
}"""


def _page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def _check_layout(page, pages: dict[str, str], width: int, problems: dict) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name, path in pages.items():
        response = page.goto(path)
        assert response.status == 200, (name, response.status)
        if _page_width(page) > width:
            problems[f"{name} @{width}"] = f"page is {_page_width(page)} px wide"
        cut_off = page.evaluate(TABLES_CUT_OFF)
        if cut_off:
            problems[f"{name} @{width}"] = f"tables cut off: {cut_off}"
        page.screenshot(path=SCREENSHOTS / f"{name}-{width}.png", full_page=True)


@pytest.mark.parametrize("width", [DESKTOP_WIDTH, PHONE_WIDTH])
def test_no_page_scrolls_sideways_and_no_table_is_cut_off(
    sweep_browser, live_server, csp_watch, settings, scene, width
):
    settings.ALLOWED_HOSTS = ["*"]
    context, page = open_page(sweep_browser, live_server, csp_watch, width, 900)
    problems: dict[str, str] = {}
    _check_layout(page, ANONYMOUS_PAGES, width, problems)
    sign_in(page, "alice@example.com", factories.PASSWORD)
    _check_layout(page, admin_pages(scene), width, problems)
    context.close()
    assert problems == {}


def test_the_proxy_servers_table_fits_at_1280_px_with_its_default_columns(page, scene):
    sign_in(page, "alice@example.com", factories.PASSWORD)
    page.goto("/proxy-servers/?display=all")
    table = page.locator("table.proxy-table")
    expect(table).to_be_visible()
    widths = table.evaluate("t => [t.scrollWidth, t.parentElement.clientWidth]")
    assert widths[0] <= widths[1], widths


def test_on_a_phone_each_proxy_server_is_a_card_with_every_value_labelled(phone_page, scene):
    page = phone_page
    sign_in(page, "alice@example.com", factories.PASSWORD)
    page.goto("/proxy-servers/?display=all")
    row = page.locator("table.proxy-table tbody tr").first
    cell = row.locator("td[data-label='Site Code']")
    expect(cell).to_be_visible()
    label = cell.evaluate("td => getComputedStyle(td, '::before').content")
    assert label == '"Site Code"'
    box = row.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE_WIDTH


def test_the_header_keeps_the_avatar_in_the_nav_row_and_the_account_readable(phone_page, scene):
    page = phone_page
    sign_in(page, "alice@example.com", factories.PASSWORD)
    avatar = page.locator(".user-menu summary").bounding_box()
    dashboard = page.locator(".site-nav").get_by_role("link", name="Dashboard").bounding_box()
    # The avatar sits on the same row as the navigation links, inside the screen.
    assert abs(avatar["y"] + avatar["height"] / 2 - (dashboard["y"] + dashboard["height"] / 2)) < 12
    assert avatar["x"] + avatar["width"] <= PHONE_WIDTH
    selector = page.get_by_label("Account", exact=True)
    expect(selector).to_contain_text("My Company, Inc. (Business Account)")
    box = selector.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE_WIDTH
    # Wide enough to read the selected account's whole name (text + padding + arrow).
    assert selector.evaluate(SELECTED_TEXT_FITS)
    assert _page_width(page) <= PHONE_WIDTH


def test_the_anonymous_header_fits_and_sign_up_looks_like_a_button(phone_page):
    page = phone_page
    page.goto("/accounts/login/")
    sign_up = page.locator(".site-header").get_by_role("link", name="Sign Up")
    style = sign_up.evaluate(
        "el => { const s = getComputedStyle(el);"
        " return [s.borderBottomStyle, s.borderBottomColor, s.backgroundColor]; }"
    )
    # A white outline on the red bar, not a red button on red.
    assert style == ["solid", "rgb(255, 255, 255)", "rgba(0, 0, 0, 0)"]
    assert _page_width(page) <= PHONE_WIDTH
