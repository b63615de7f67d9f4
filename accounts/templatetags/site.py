"""The portal's name and its links out, from settings, for any template.

One name policy (README "Names"): the portal is SITE_NAME ("My Account", the guide's
Parallels My Account) on every page, e-mail and title; a product is its Product.name;
a proxy server is a proxy server. Tags, not a context processor, so that 500.html,
rendered with an empty context, names the portal the same way.
"""

from django import template
from django.conf import settings

from accounts.language import language_choices

register = template.Library()


@register.simple_tag
def site_name() -> str:
    return settings.SITE_NAME


@register.simple_tag
def old_version_url() -> str:
    """The previous portal, linked as "Old Version" in the footer (the guide's "My
    Account Versions"); blank: no link."""
    return settings.OLD_VERSION_URL


@register.simple_tag
def language_menu() -> list[tuple[str, str]]:
    """The footer's languages, each in its own name (accounts.language.language_choices):
    not Django's get_available_languages, which translates them ("Englisch", "英語(米国)")."""
    return language_choices()
