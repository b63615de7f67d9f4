from __future__ import annotations

from django import template

from accounts.models import Membership
from subscriptions.models import generated_name_in_reader_words, license_key_shown

register = template.Library()


@register.filter
def masked_key(key: str) -> str:
    """`{{ key|masked_key }}`: what anyone but an administrator sees (license_key_shown)."""
    return license_key_shown(key, viewer=None)


@register.filter
def shown_key(key: str, viewer: Membership | None) -> str:
    """`{{ key|shown_key:current_membership }}`: whole or masked, as license_key_shown decides."""
    return license_key_shown(key, viewer=viewer)


@register.filter
def in_reader_words(name: str) -> str:
    """`{{ key.name|in_reader_words }}`: a stored report's generated names ("Primary Key",
    "Mac Management Subscription") in the reader's language."""
    return generated_name_in_reader_words(name)
