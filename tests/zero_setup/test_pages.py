"""Every page an Account Administrator, a Regular Member and a visitor can reach, in each
of the seven languages, at 1280 and 390 px: no error answer, no console error (CSP
violations included), no sideways scroll, no word broken inside itself, no cut-off
placeholder, charts whose coordinates are numbers and whose marks are the English ones.

One test per language, so that pytest-xdist can spread them; each walks the pages of
the three roles in one browser context per role, resizing rather than reloading: a page
opens at the width the one before it was left at and is resized to the other. In
English every role's every page is walked. In the other languages a Regular Member's or
a visitor's page on which they read nothing that the administrator does not read on
the same page is left to the administrator's (crawl.read_elsewhere): translated, it
shows a subset of the same strings in the same layout with fewer controls. A page with
a text of its own (the Regular Member's note on Offline Operations, their Leave This
Business Account) is walked in every language.
"""

from __future__ import annotations

import pytest
from django.conf import settings

from tests.zero_setup import crawl

pytestmark = pytest.mark.e2e

LANGUAGES = [code for code, _ in settings.LANGUAGES]
WIDTHS = [(1280, 900), (390, 844)]
START = {"admin": "/", "member": "/", "visitor": "/accounts/login/"}


@pytest.fixture(scope="session")
def site_map(sweep_browser, portal, sessions) -> dict[str, dict[str, crawl.Found]]:  # noqa: F811
    """role: {page: its chart marks and texts in English}, found by following links from
    the start."""
    found = {}
    for role, state in sessions.items():
        context = sweep_browser.new_context(base_url=portal.url, storage_state=state)
        found[role] = crawl.discover(context.request, START[role])
        context.close()
    return found


def test_each_role_reaches_the_pages_it_should(site_map):
    admin, member, visitor = (set(site_map[role]) for role in ("admin", "member", "visitor"))
    assert {"/account/business/audit-log/", "/usage-reports/", "/proxy-servers/"} <= admin
    assert "/account/business/audit-log/" not in member and "/usage-reports/" in member
    assert {"/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"} <= visitor
    assert len(admin) > len(member) > len(visitor)


def test_other_languages_walk_the_pages_where_a_role_reads_a_text_of_its_own(site_map):
    elsewhere = crawl.read_elsewhere(site_map, "admin")
    # Most of a Regular Member's pages are the administrator's with fewer controls ...
    assert {"/subscriptions/", "/proxy-servers/"} <= elsewhere["member"]
    # ... but not the page that tells them they cannot submit files, nor those that the
    # administrator does not reach at all.
    assert "/offline/" not in elsewhere["member"]
    assert "/account/business/leave/" not in elsewhere["member"]
    assert "/accounts/login/" not in elsewhere["visitor"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_reads_well(language, sweep_browser, portal, sessions, site_map):
    problems: list[str] = []
    elsewhere = crawl.read_elsewhere(site_map, "admin")
    for role, state in sessions.items():
        context = sweep_browser.new_context(
            base_url=portal.url,
            viewport=dict(zip(("width", "height"), WIDTHS[0], strict=True)),
            storage_state=state,
        )
        context.add_cookies(
            [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": portal.url}]
        )
        context.set_default_timeout(15_000)
        page = context.new_page()
        where = {"path": ""}

        def note(what: str, role=role, where=where, problems=problems) -> None:
            problems.append(f"{role} {where['path']}: {what}")

        page.on("console", lambda m: m.type == "error" and note(f"console: {m.text}"))
        page.on("pageerror", lambda error: note(f"script error: {error}"))
        page.on("response", lambda r: r.status >= 400 and note(f"{r.status} {r.url}"))
        widths = WIDTHS
        for path, english in site_map[role].items():
            if language != settings.LANGUAGE_CODE and path in elsewhere.get(role, ()):
                continue
            where["path"] = path
            # Opened at the width the last page was left at, then resized to the other:
            # narrowed one page, widened the next, as a window is. Resizing back before
            # leaving would lay out and paint the old page once more for nothing.
            page.goto(path, wait_until="domcontentloaded")
            for width, height in widths:
                page.set_viewport_size({"width": width, "height": height})
                seen = page.evaluate(crawl.PAGE_CHECK)
                problems += [f"{role} {path} @{width}: {p}" for p in seen["problems"]]
                if seen["charts"] != english.marks:
                    note(f"chart marks {seen['charts']}, in English {english.marks}")
            widths = widths[::-1]
        context.close()
    assert not problems, f"{len(problems)} problems in {language}:\n" + "\n".join(
        sorted(set(problems))[:150]
    )
