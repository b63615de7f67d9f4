from __future__ import annotations

from django import template

from subscriptions.models import license_key_mask

register = template.Library()


@register.filter
def masked_key(key: str) -> str:
    """`{{ key|masked_key }}`: the key but for its last group (see license_key_mask)."""
    return license_key_mask(key)
