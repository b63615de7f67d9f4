"""Leave Feedback: the header's link to a form; the message is kept for staff in Django
admin and e-mailed to FEEDBACK_EMAIL.

alice administers My Company.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Feedback

URL = reverse("feedback")


@pytest.fixture
def feedback_inbox(settings):
    settings.FEEDBACK_EMAIL = "product@example.com"


def test_the_header_links_to_it_from_every_page(alice_client):
    html = alice_client.get(reverse("subscription_list")).content.decode()

    assert f'href="{URL}?next=/subscriptions/"' in html and ">Leave Feedback</a>" in html


def test_feedback_is_kept_and_emailed_once(
    alice_client, alice, company, feedback_inbox, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(
            URL, {"message": "Please add a dark mode.", "next": "/subscriptions/"}
        )

    assert response.status_code == 302 and response.url == "/subscriptions/"
    feedback = Feedback.objects.get()
    assert (feedback.user, feedback.account, feedback.page) == (alice, company, "/subscriptions/")
    assert feedback.email_status == "sent"
    [message] = mailoutbox
    assert message.to == ["product@example.com"]
    assert "Please add a dark mode." in message.body
    assert "alice@example.com" in message.subject


def test_without_an_address_it_is_only_kept(alice_client, settings, mailoutbox):
    settings.FEEDBACK_EMAIL = ""
    alice_client.post(URL, {"message": "Nice."})

    assert Feedback.objects.count() == 1
    assert mailoutbox == []


def test_an_empty_message_is_refused_and_nothing_is_kept(alice_client, feedback_inbox, mailoutbox):
    response = alice_client.post(URL, {"message": "   "})

    assert response.status_code == 200
    assert Feedback.objects.count() == 0
    assert mailoutbox == []


def test_it_never_sends_you_elsewhere(alice_client):
    response = alice_client.post(URL, {"message": "Hi", "next": "https://evil.example/"})

    assert response.url == reverse("dashboard")


def test_a_visitor_signs_in_first(client, db):
    response = client.get(URL)

    assert response.status_code == 302 and "/accounts/login/" in response.url
