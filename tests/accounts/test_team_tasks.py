"""The email tasks: retried with backoff when the mail server fails, harmless when late."""

from __future__ import annotations

import smtplib

from accounts import tasks
from accounts.models import Invitation
from tests import factories


def test_email_tasks_retry_smtp_and_network_errors_with_backoff():
    for task in (tasks.invitation_send_task, tasks.membership_email_task):
        assert smtplib.SMTPException in task.autoretry_for
        assert OSError in task.autoretry_for
        assert task.retry_backoff is True
        assert task.max_retries


def test_a_revoked_invitation_is_not_sent(alice, company, mailoutbox):
    invitation, _ = factories.invitation_create(company, "new@example.com", alice)
    Invitation.objects.filter(pk=invitation.pk).update(status=Invitation.Status.REVOKED)
    assert tasks.invitation_send_task(invitation.pk) is False
    assert mailoutbox == []


def test_sending_again_draws_a_new_token(alice, company, mailoutbox):
    invitation, token = factories.invitation_create(company, "new@example.com", alice)
    assert tasks.invitation_send_task(invitation.pk) is True
    invitation.refresh_from_db()
    assert token not in mailoutbox[0].body
    assert invitation.sent_at is not None


def test_a_membership_email_for_someone_gone_is_skipped(db, mailoutbox):
    assert tasks.membership_email_task("blocked", 999999, 999999) is False
    assert mailoutbox == []
