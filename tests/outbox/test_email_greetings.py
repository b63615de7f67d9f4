"""Every e-mail to a customer opens by greeting them, in their register (issue 21): in
Japanese with their name and 様, or ご担当者様 when it goes to several people or to
someone without an account — never こんにちは, never あなた."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from accounts.models import User
from outbox.models import OutboxEmail
from tests.accounts.test_signup import VALID
from tests.outbox.test_every_email import EMAILS
from tests.test_i18n_register import offences

# Sign-up's confirmation is written in the language of the sign-up's request: below.
KINDS = [kind for kind in EMAILS if kind != "allauth.email_confirmation_signup"]


@pytest.mark.parametrize("kind", KINDS)
def test_each_email_greets_in_japanese(
    kind, alice_client, alice, bob, dave, company, broker_down, django_capture_on_commit_callbacks
):
    User.objects.update(language="ja")
    action, recipient = EMAILS[kind]
    with django_capture_on_commit_callbacks(execute=True):
        action(alice_client=alice_client, company=company, alice=alice, bob=bob, dave=dave)

    email = OutboxEmail.objects.get(kind=kind)
    first_line = email.body.lstrip().splitlines()[0]
    assert first_line == "ご担当者様" or first_line.endswith(" 様"), (kind, first_line)
    assert offences("ja", email.subject + email.body + email.html) == [], kind


def test_the_sign_up_confirmation_greets_the_new_customer_by_name(
    db, broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        Client(HTTP_ACCEPT_LANGUAGE="ja").post(reverse("account_signup"), VALID)

    email = OutboxEmail.objects.get(kind="allauth.email_confirmation_signup")
    with translation.override("ja"):
        greeting = gettext("Hello %(name)s,") % {"name": "Jane Doe"}
    assert email.body.startswith(greeting)
    assert offences("ja", email.subject + email.body) == []
