"""A German and a Japanese customer use the portal without meeting English.

Each signs up from a browser that asks for their language, confirms their address,
registers a key with their business details, creates a sublicense (Create License Key)
and invites a colleague (Invite Users, Send Invitations) — on a laptop (1280 px) and on
a phone (390 px). The journey finds its way by field names and ids, never by English
words. Every page on the way has <html lang> set to the language, no sideways scroll,
and no English left: each page is also rendered in English for the same user, and a
text or a label that reads the same in both is English unless it is the customer's own
data (names, addresses, keys), a brand or a language's own name in the selector.
"""

from __future__ import annotations

import re

import polib
import pytest
from django.conf import settings
from django.utils.translation import to_locale

from accounts.models import Invitation, User
from subscriptions.models import LicenseKey
from tests import factories
from tests.e2e.conftest import open_page

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Every text node and every label a person reads (aria-label, title, placeholder).
READ_TEXTS = """() => {
  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const parent = node.parentElement;
    if (!parent || parent.closest("script, style, code, pre, noscript, [hidden]")) continue;
    const text = node.textContent.replace(/\\s+/g, " ").trim();
    if (text) texts.push(text);
  }
  document.querySelectorAll("[aria-label], [title], [placeholder]").forEach((el) => {
    for (const name of ["aria-label", "title", "placeholder"]) {
      const value = el.getAttribute(name);
      if (value) texts.push(value.replace(/\\s+/g, " ").trim());
    }
  });
  return texts;
}"""

PASSWORD = "a-long-unusual-passphrase"
EMAIL = "kunde@example.com"
COLLEAGUE = "kollege@example.com"


def _customer_data(key: str, language: str) -> list[str]:
    """What reads the same in this language and in English: the customer's data, names,
    and the words the translator kept on purpose ("Status" and "Filter" are German too)."""
    names = [name for _code, name in settings.LANGUAGES]
    catalog = polib.pofile(
        str(settings.BASE_DIR / "locale" / to_locale(language) / "LC_MESSAGES" / "django.po")
    )
    kept = [entry.msgid for entry in catalog if entry.msgstr == entry.msgid]
    return [
        *kept,
        "MyAccount",
        "My Account",
        "Mac Management Subscription",  # the product's name, from the product record
        "Mac Management",
        "KK",  # Kim Kunde's initials in the avatar
        "name@company.com",  # an address in a placeholder
        "Acme Kabushiki Kaisha",
        "Design Studio",
        "Kim Kunde",
        EMAIL,
        COLLEAGUE,
        key,
        *names,
    ]


def _english_left(translated: list[str], english: list[str], data: list[str]) -> list[str]:
    left = []
    for text in sorted(set(translated) & set(english)):
        if text in data:
            continue
        rest = text
        for value in sorted(data, key=len, reverse=True):
            rest = rest.replace(value, " ")
        rest = re.sub(r"[A-Z0-9]{5}(-[A-Z0-9]{5}){3}", " ", rest)  # license keys
        if re.search(r"[A-Za-z]{2,}", rest):
            left.append(text)
    return left


def _check(page, english_page, language: str, user_email: str, data: list[str], seen: dict):
    """This page: its lang, its width, and the English left on it. `english_page` (a
    context of its own, in English) opens the same address as the same person."""
    path = page.url.split("://", 1)[1].split("/", 1)[1]
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.lang") == language, path
    width_now = page.evaluate("document.documentElement.scrollWidth")
    assert width_now <= width, f"/{path} is {width_now} px wide at {width} px"
    translated = page.evaluate(READ_TEXTS)
    # The same page in English, for the same person (their profile decides the language).
    user = User.objects.filter(email=user_email).first()
    english = english_page.context
    english.clear_cookies()
    english.add_cookies(page.context.cookies())
    english.add_cookies(
        [
            {
                "name": settings.LANGUAGE_COOKIE_NAME,
                "value": "en",
                "url": page.url.split("/", 3)[0] + "//" + page.url.split("/", 3)[2],
            }
        ]
    )
    if user is not None:
        User.objects.filter(pk=user.pk).update(language="en")
    try:
        english_page.goto("/" + path)
        texts = english_page.evaluate(READ_TEXTS)
    finally:
        if user is not None:
            User.objects.filter(pk=user.pk).update(language=user.language)
    seen["/" + path] = _english_left(translated, texts, data)


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("language", ["de", "ja"])
def test_a_customer_uses_the_portal_in_their_language(
    browser, live_server, settings, csp_watch, mailoutbox, language, width
):
    settings.ALLOWED_HOSTS = ["*"]
    settings.SITE_URL = live_server.url
    subscription = factories.subscription_create(None, licenses=10)
    key = subscription.primary_key.key
    data = _customer_data(key, language)
    seen: dict[str, list[str]] = {}
    context, page = open_page(browser, live_server, csp_watch, width, 900)
    context.set_extra_http_headers({"Accept-Language": f"{language},en;q=0.3"})
    english = browser.new_context(
        base_url=live_server.url, locale="en-US", viewport={"width": width, "height": 900}
    )
    english_page = english.new_page()

    # Sign Up, in the browser's language.
    page.goto("/accounts/signup/")
    _check(page, english_page, language, EMAIL, data, seen)
    page.fill("#id_first_name", "Kim")
    page.fill("#id_last_name", "Kunde")
    page.fill("#id_email", EMAIL)
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.check("#id_terms")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url("**/confirm-email/**")
    _check(page, english_page, language, EMAIL, data, seen)
    assert User.objects.get(email=EMAIL).language == language

    # The confirmation e-mail speaks the language too.
    message = mailoutbox[-1] if mailoutbox else None
    assert message is not None
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", message.body).group(0)
    page.goto(link[link.index("/accounts/") :])
    _check(page, english_page, language, EMAIL, data, seen)
    page.locator("main form button[type=submit]").click()

    # Register Key, then the business details.
    page.wait_for_selector("#id_key")
    _check(page, english_page, language, EMAIL, data, seen)
    page.fill("#id_key", key)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_selector("#id_name")
    _check(page, english_page, language, EMAIL, data, seen)
    page.fill("#id_name", "Acme Kabushiki Kaisha")
    page.select_option("#id_country", "JP" if language == "ja" else "DE")
    page.fill("#id_zip_code", "100-0001")
    page.fill("#id_phone", "+81 3 1234 5678")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(f"{live_server.url}/")  # the Dashboard (not the page it left)
    _check(page, english_page, language, EMAIL, data, seen)

    # The subscription's page and Create License Key (as a page, as without JavaScript).
    page.goto(f"/subscriptions/{subscription.pk}/")
    _check(page, english_page, language, EMAIL, data, seen)
    page.goto(f"/subscriptions/{subscription.pk}/keys/new/")
    _check(page, english_page, language, EMAIL, data, seen)
    page.fill("main #id_name", "Design Studio")
    page.fill("main #id_quota", "4")
    page.select_option("main #id_type", "reserved")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(f"**/subscriptions/{subscription.pk}/**")
    _check(page, english_page, language, EMAIL, data, seen)
    assert LicenseKey.objects.filter(name="Design Studio", quota=4).exists()

    # Invite Users, Send Invitations.
    page.goto("/account/business/users/invite/")
    _check(page, english_page, language, EMAIL, data, seen)
    page.fill("#id_emails", COLLEAGUE)
    page.locator("button[name=action][value=send]").click()
    page.wait_for_url("**/account/business/users/**")
    _check(page, english_page, language, EMAIL, data, seen)
    invitation = Invitation.objects.get(email=COLLEAGUE)
    assert invitation.language == language
    context.close()
    english.close()

    assert {path: left for path, left in seen.items() if left} == {}
