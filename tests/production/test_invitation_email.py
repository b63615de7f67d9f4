"""An invitation sent from the Users page travels through the Celery worker and the SMTP
server, and its link joins the business account."""

from __future__ import annotations

import re

import pytest

from accounts.models import Membership
from tests.production.stack import Browser, Portal, Smtp, Worker, text_of

pytestmark = [pytest.mark.production, pytest.mark.django_db(transaction=True)]


def test_an_invitation_is_delivered_over_smtp_and_its_link_joins_the_account(
    portal: Portal, worker: Worker, smtp: Smtp, company, alice_browser: Browser
):
    alice_browser.get("/account/business/users/invite/")
    alice_browser.submit(having="emails", data={"emails": "carol@example.com", "action": "send"})
    assert alice_browser.page.url.endswith("/account/business/users/")

    [message] = smtp.wait_for("carol@example.com", logs=lambda: worker.log() + portal.log())
    assert f"Join {company.name}" in message["Subject"]
    link = re.search(r"https://\S+/account/join/\S+/", text_of(message))
    assert link, text_of(message)
    assert link.group(0).startswith(portal.url + "/")

    carol = Browser(portal)
    carol.get(link.group(0))
    carol.submit(
        having="name",
        data={"name": "Carol Newcomer", "password": "a-long-new-password-9", "terms": "on"},
    )

    membership = Membership.objects.get(user__email="carol@example.com", account=company)
    assert (membership.role, membership.status) == (
        Membership.Role.MEMBER,
        Membership.Status.ACTIVE,
    )
    assert carol.get("/account/business/users/").status_code == 200
    assert "Carol Newcomer" in carol.page.text
    assert len(smtp.to("carol@example.com")) == 1
