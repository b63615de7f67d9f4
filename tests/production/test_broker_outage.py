"""The broker stopped while an administrator invites: the page answers, the e-mail waits
in the outbox, and once the broker is back beat's sweep hands it to the worker, which
delivers it over SMTP exactly once."""

from __future__ import annotations

import pytest
from django.utils import timezone

from accounts.models import Invitation
from outbox.models import OutboxEmail
from tests.production.stack import (
    Browser,
    Config,
    Portal,
    RedisServer,
    Smtp,
    Worker,
    manage,
    wait_for,
)
from tests.waiting import wait_until

pytestmark = [
    pytest.mark.production,
    pytest.mark.django_db(transaction=True),
    # Beat's sweep takes up what nothing sent a second after it was written (sped up
    # from two minutes for the test): the portal and the worker start with it.
    pytest.mark.stack_environment(OUTBOX_SWEEP_AFTER="1"),
]

SWEEP = "from outbox.tasks import email_sweep_task; email_sweep_task.delay()"
SWEEP_TASK = "outbox.tasks.email_sweep_task"


def test_an_invitation_made_with_the_broker_stopped_arrives_once_when_it_is_back(
    portal: Portal,
    worker: Worker,
    smtp: Smtp,
    own_broker: RedisServer,
    config: Config,
    company,
    alice_browser: Browser,
):
    own_broker.stop()

    alice_browser.get("/account/business/users/invite/")
    alice_browser.submit(having="emails", data={"emails": "erin@example.com", "action": "send"})
    assert alice_browser.page.url.endswith("/account/business/users/")
    assert Invitation.objects.get(account=company, email="erin@example.com").sent_at is None
    alice_browser.get("/account/business/users/")
    assert "Waiting to be sent" in alice_browser.page.text

    own_broker.start()
    # Beat's sweep takes up the e-mail once it is due (a second after it was written).
    wait_until(
        lambda: OutboxEmail.objects.filter(
            status="queued", next_attempt_at__lte=timezone.now()
        ).exists(),
        what="e-mail due for the sweep",
    )
    manage(config, "shell", "-c", SWEEP)

    [message] = smtp.wait_for("erin@example.com", logs=lambda: worker.log() + portal.log())
    assert f"Join {company.name}" in message["Subject"]
    # A second sweep finds nothing left to send: the e-mail went out once.
    manage(config, "shell", "-c", SWEEP)
    sweeps = wait_for(
        lambda: (found := worker.results(SWEEP_TASK))[1:] and found,
        what="second sweep done by the worker",
        logs=worker.log,
    )
    assert sweeps == ["1", "0"]  # the first handed the e-mail out, the second nothing
    assert len(smtp.to("erin@example.com")) == 1
    assert Invitation.objects.get(account=company, email="erin@example.com").sent_at is not None
