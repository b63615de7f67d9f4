"""With DEBUG on, as under `make run`, an outdated link shows the portal's not-found page,
not Django's debug 404 that lists the URL patterns (issue 21)."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse


@pytest.fixture
def debug(settings):
    settings.DEBUG = True


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/no-such-page/", "/account/business/users/999999/"])
def test_an_outdated_link_shows_the_portals_page(debug, alice_client, path):
    response = alice_client.get(path)

    html = response.content.decode()
    assert response.status_code == 404
    assert "We could not find this page" in html
    assert "DEBUG = True" not in html and "URLconf" not in html


@pytest.mark.django_db
def test_a_visitor_gets_it_in_their_language(debug, client):
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="de")

    assert response.status_code == 404
    assert '<html lang="de"' in response.content.decode()


@pytest.mark.django_db
def test_the_api_still_answers_json(debug, alice):
    response = Client().get("/api/v1/no-such-endpoint/")

    assert response.status_code == 404
    assert json.loads(response.content)["error"]["code"] == "not_found"


@pytest.mark.django_db
def test_a_path_without_its_slash_is_still_redirected(debug, client):
    response = client.get(reverse("account_login").rstrip("/"))

    assert response.status_code == 301
    assert response["Location"].endswith(reverse("account_login"))
