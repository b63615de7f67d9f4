from __future__ import annotations

from django import template

from proxies.display import license_key_mask

register = template.Library()


@register.filter
def masked_key(key: str) -> str:
    return license_key_mask(key)
