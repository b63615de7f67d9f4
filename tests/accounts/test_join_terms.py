"""Join <Company>: a new person agrees with the Terms of Use, as on Sign Up; a person
who already has an account agreed when they signed up and is not asked again.

alice invites nina (new to the portal) and charlie (who has an account).
"""

from __future__ import annotations

from django.urls import reverse

from accounts.models import Membership, User
from tests import factories

TERMS_LINK = f'I agree with <a href="{reverse("terms")}" target="_blank" rel="noopener">'


def test_a_new_person_sees_the_terms_box_of_sign_up(client, alice, company):
    _, token = factories.invitation_create(company, "nina@example.com", alice)

    html = client.get(reverse("invitation_join", args=[token])).content.decode()

    assert 'type="checkbox" name="terms"' in html
    assert TERMS_LINK + "the Terms of Use</a>" in html
    assert html.index('name="password"') < html.index('name="terms"')


def test_a_new_person_cannot_join_without_agreeing(client, alice, company):
    _, token = factories.invitation_create(company, "nina@example.com", alice)
    url = reverse("invitation_join", args=[token])

    response = client.post(url, {"name": "Nina New", "password": "a-long-unusual-passphrase"})

    assert response.status_code == 200
    assert response.context["form"].errors["terms"] == [
        "Please agree with the Terms of Use to join."
    ]
    assert "Please agree with the Terms of Use to join." in response.content.decode()
    assert not User.objects.filter(email="nina@example.com").exists()

    response = client.post(
        url, {"name": "Nina New", "password": "a-long-unusual-passphrase", "terms": "on"}
    )

    assert response.status_code == 302
    assert Membership.objects.filter(user__email="nina@example.com", account=company).exists()


def test_a_person_with_an_account_is_not_asked_again(client, alice, charlie, company):
    _, token = factories.invitation_create(company, "charlie@example.com", alice)
    url = reverse("invitation_join", args=[token])

    html = client.get(url).content.decode()
    response = client.post(url, {"password": factories.PASSWORD})

    assert 'name="terms"' not in html
    assert response.status_code == 302
    assert Membership.objects.filter(user=charlie, account=company).exists()


def test_someone_signed_in_is_not_asked_either(charlie_client, alice, charlie, company):
    _, token = factories.invitation_create(company, "charlie@example.com", alice)
    url = reverse("invitation_join", args=[token])

    assert 'name="terms"' not in charlie_client.get(url).content.decode()
    assert charlie_client.post(url, {}).status_code == 302
