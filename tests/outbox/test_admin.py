"""Staff see the outbox in Django admin: queued, sent, failed with its error; and they
can send a failed e-mail again."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client
from django.urls import reverse

from outbox.models import OutboxEmail
from outbox.services import email_queue
from tests import factories

CHANGELIST = reverse("admin:outbox_outboxemail_changelist")


@pytest.fixture
def staff(db) -> Client:
    user = factories.user_create("root@example.com", "Root", "Admin")
    user.is_staff = user.is_superuser = True
    user.save()
    client = Client()
    client.force_login(user)
    return client


def _email(subject: str, **state) -> OutboxEmail:
    email = email_queue(kind="tests.hello", to=["x@example.com"], subject=subject, body="b")
    OutboxEmail.objects.filter(pk=email.pk).update(**state)
    return email


def test_the_list_shows_queued_sent_and_failed_emails_with_the_error(staff):
    _email("Waiting one")
    _email("Gone one", status="sent", body="")
    _email("Broken one", status="failed", attempts=12, last_error="SMTPDataError: 554 no")

    html = staff.get(CHANGELIST).content.decode()
    for text in ("Waiting one", "Gone one", "Broken one", "Queued", "Sent", "Failed"):
        assert text in html
    assert "SMTPDataError: 554 no" in html
    failed = staff.get(CHANGELIST, {"status__exact": "failed"}).content.decode()
    assert "Broken one" in failed and "Waiting one" not in failed


def test_the_detail_page_does_not_show_the_body(staff):
    email = _email("Reset", status="failed")
    OutboxEmail.objects.filter(pk=email.pk).update(body="https://x/reset/secret-key/")
    html = staff.get(reverse("admin:outbox_outboxemail_change", args=[email.pk])).content
    assert b"Reset" in html and b"secret-key" not in html


def test_send_again_requeues_failed_emails_only(
    staff, mailoutbox, django_capture_on_commit_callbacks
):
    broken = _email("Broken", status="failed", attempts=12, last_error="boom")
    canceled = _email("Canceled", status="canceled")
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            CHANGELIST,
            {"action": "send_again", ACTION_CHECKBOX_NAME: [broken.pk, canceled.pk]},
        )
    assert response.status_code == 302
    assert [m.subject for m in mailoutbox] == ["Broken"]
    broken.refresh_from_db()
    canceled.refresh_from_db()
    assert (broken.status, broken.attempts) == ("sent", 1)
    assert canceled.status == "canceled"


def test_staff_cannot_add_change_or_delete_outbox_rows(staff):
    email = _email("Kept")
    assert staff.get(reverse("admin:outbox_outboxemail_add")).status_code == 403
    response = staff.post(
        reverse("admin:outbox_outboxemail_delete", args=[email.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert OutboxEmail.objects.filter(pk=email.pk).exists()
