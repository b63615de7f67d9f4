"""Celery tasks of single sign-on: take ids, call services."""

from __future__ import annotations

from celery import shared_task

from sso.models import SsoDomain
from sso.services import sso_domain_recheck


@shared_task
def sso_domain_recheck_task(domain_id: int) -> bool | None:
    return sso_domain_recheck(domain_id=domain_id)


@shared_task
def sso_domains_recheck_task() -> int:
    """Daily (Celery beat): re-read every verified domain's TXT record, each in a task
    of its own so one slow DNS server holds up no other. Returns how many were queued."""
    ids = list(
        SsoDomain.objects.filter(verified_at__isnull=False)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for domain_id in ids:
        sso_domain_recheck_task.delay(domain_id)
    return len(ids)
