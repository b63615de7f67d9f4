"""One word per action in every language (issue 21): the button that opens a
confirmation and the confirmation's own button say the same verb. The invitation's
button said "Revoke" and its dialog "Withdraw"; the glossaries keep "withdraw" for
invitations and "revoke" for API tokens."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.urls import reverse

from tests import factories

LANGUAGES = [code for code, _name in settings.LANGUAGES]


def _button_text(page: str, href: str) -> str:
    return re.search(rf'<a [^>]*href="{re.escape(href)}"[^>]*>([^<]+)</a>', page).group(1)


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_withdrawing_an_invitation_says_the_same_word_twice(alice, alice_client, company, language):
    alice.language = language
    alice.save(update_fields=["language"])
    invitation, _token = factories.invitation_create(company, "new@example.com", invited_by=alice)
    url = reverse("invitation_revoke", args=[invitation.pk])

    users = alice_client.get(reverse("business_users")).content.decode()
    confirm = alice_client.get(url).content.decode()

    word = _button_text(users, url)
    assert f'<button type="submit" class="button button--danger">{word}</button>' in confirm
