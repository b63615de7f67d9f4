"""Support tickets of the demo company, with watchers: a technical ticket about the main
subscription (it uses one of its five support incidents) that the support team has
answered, and a resolved licensing question a colleague asked.

Idempotent: `make run` calls it on every start; once the company has tickets, nothing
is added.
"""

from __future__ import annotations

from django.utils import timezone

from accounts.models import Membership, User
from support import services
from support.models import Ticket


def _support_agent() -> User:
    agent, created = User.objects.get_or_create(
        email="support.agent@example.com",
        defaults={"first_name": "Sofia", "last_name": "Support", "is_staff": True},
    )
    if created:
        agent.set_unusable_password()
        agent.save(update_fields=["password"])
    return agent


def seed(context: dict) -> None:
    company, demo = context.get("company"), context.get("demo_user")
    subscription = context.get("subscription")
    if company is None or demo is None or subscription is None:
        return
    if Ticket.objects.filter(account=company).exists():
        return
    if subscription.support_incidents is None:
        subscription.support_incidents = 5
        subscription.save(update_fields=["support_incidents"])
    colleagues = [
        user
        for user in context.get("colleagues", [])
        if Membership.objects.filter(
            user=user, account=company, status=Membership.Status.ACTIVE
        ).exists()
    ]
    agent = _support_agent()
    now = timezone.now()
    technical = services.ticket_create(
        account=company,
        author=demo,
        subject="Proxy in Berlin stops enrolling new Macs",
        category=Ticket.Category.TECHNICAL,
        message="Since this morning our Berlin proxy refuses new enrolments, although the "
        "Proxy Servers page shows licenses left. Log attached.",
        subscription=subscription,
        uploads=[
            services.Upload(
                name="pmm-proxy.log",
                content=b"2026-01-12 08:02:11 refresh ok\n"
                b"2026-01-12 08:05:43 enrolment refused: over the license limit\n",
            )
        ],
        now=now,
    )
    for colleague in colleagues[:2]:
        services.watcher_add(ticket=technical, user=colleague, actor=demo)
    services.ticket_staff_reply(
        ticket=technical,
        staff=agent,
        message="Customer on the enterprise plan; check the last usage report.",
        internal=True,
    )
    services.ticket_staff_reply(
        ticket=technical,
        staff=agent,
        message="Thank you for the log. The proxy last reported more computers than its "
        "sublicense allows. Could you raise the sublicense's quota, or move some Macs to "
        "another site, and tell us whether enrolment works again?",
    )
    if colleagues:
        asker = colleagues[-1]
        licensing = services.ticket_create(
            account=company,
            author=asker,
            subject="Can we move licenses between our two subscriptions?",
            category=Ticket.Category.LICENSING,
            message="We have licenses left on one subscription and need them on the other.",
        )
        services.watcher_add(ticket=licensing, user=demo, actor=demo)
        services.ticket_staff_reply(
            ticket=licensing,
            staff=agent,
            message="Licenses stay with their subscription; the Sales team can upgrade the "
            "other one. We have passed your request on.",
            status=Ticket.Status.RESOLVED,
        )
