"""Error pages: calm words, the portal's look, a way back to the Dashboard.

bob is a Regular Member of My Company: he meets the 403 on an administrator's page
and the 404 on a page that is not there.
"""

from __future__ import annotations

import pytest
from django.template import loader
from django.urls import include, path, reverse

from accounts.models import Membership
from tests import factories


def _boom(request):
    raise RuntimeError("the database fell over")


# A URLconf of the whole project plus one view that breaks (for the 500 page).
urlpatterns = [
    path("boom/", _boom),
    path("", include("myaccount.urls")),
]


@pytest.fixture(autouse=True)
def _production(settings):
    settings.DEBUG = False


def test_403_says_why_in_the_portals_layout(bob_client):
    response = bob_client.get(reverse("invite_users"))

    assert response.status_code == 403
    assert [t.name for t in response.templates][:2] == ["403.html", "base.html"]
    html = response.content.decode()
    assert "You cannot open this page" in html
    assert "Only an Account Administrator can do this." in html
    assert f'<a class="button button--secondary" href="{reverse("dashboard")}">' in html
    # The header and the account selector are there, as on every page.
    assert "selected>My Company, Inc. (Business Account)" in html


def test_404_shows_the_portals_own_message(alice_client):
    response = alice_client.get(reverse("usage_report_detail", args=[999999]))

    assert response.status_code == 404
    html = response.content.decode()
    assert "We could not find this page" in html
    assert "No such report." in html
    assert "Go to the Dashboard" in html


@pytest.mark.parametrize(
    "path_of",
    [
        lambda m: "/no-such-page/",  # Resolver404
        lambda m: reverse("membership_detail", args=[m.pk + 1000]),  # get_object_or_404
    ],
    ids=["unknown-address", "unknown-object"],
)
def test_404_hides_djangos_generic_messages(path_of, alice, alice_client, company):
    membership = Membership.objects.get(user=alice, account=company)

    response = alice_client.get(path_of(membership))

    assert response.status_code == 404
    html = response.content.decode()
    assert "The address may be mistyped" in html
    assert "Resolver404" not in html
    assert "matches the given query" not in html


def test_404_for_an_anonymous_visitor_keeps_the_public_header(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    html = response.content.decode()
    assert "Sign Up" in html
    assert "Go to the Dashboard" in html


def test_500_renders_with_an_empty_context():
    html = loader.get_template("500.html").render()

    assert "Something went wrong on our side" in html
    assert 'href="/static/css/app.css"' in html
    assert f'href="{reverse("dashboard")}">Go to the Dashboard</a>' in html


@pytest.mark.urls("tests.test_error_pages")
def test_500_when_a_view_breaks_for_a_signed_in_person(alice, client):
    client.force_login(alice)
    client.raise_request_exception = False

    response = client.get("/boom/")

    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong on our side" in html
    assert "the database fell over" not in html
    assert "Go to the Dashboard" in html


def test_a_member_of_no_business_account_gets_a_404_that_says_why(db, client):
    person = factories.user_create("erin@example.com", "Erin", "Solo")
    client.force_login(person)

    response = client.get(reverse("proxy_list"))

    assert response.status_code == 404
    assert "you are not a member of one" in response.content.decode()
