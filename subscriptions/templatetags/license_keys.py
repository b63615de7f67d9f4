from __future__ import annotations

from django import template

from accounts.models import Membership
from subscriptions.models import license_key_shown

register = template.Library()


@register.filter
def masked_key(key: str) -> str:
    """`{{ key|masked_key }}`: what anyone but an administrator sees (license_key_shown)."""
    return license_key_shown(key, viewer=None)


@register.filter
def shown_key(key: str, viewer: Membership | None) -> str:
    """`{{ key|shown_key:current_membership }}`: whole or masked, as license_key_shown decides."""
    return license_key_shown(key, viewer=viewer)
