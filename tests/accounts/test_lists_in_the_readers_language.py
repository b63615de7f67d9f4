"""Lists in the reader's language (issue 21): the language menu names each language in
its own name; the time-zone select offers CLDR's zones of places, grouped, the common
ones first, named in the reader's language; countries are named and sorted by the
reader's collation (ICU), so Japanese and Chinese lists are not in English order."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts.models import User

OWN_NAMES = ["English", "Deutsch", "Français", "Español", "Italiano", "日本語", "简体中文"]


def _options(page: str, select_id: str) -> list[tuple[str, str]]:
    select = re.search(rf'<select[^>]*id="{select_id}".*?</select>', page, re.S).group(0)
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select)


def _groups(page: str, select_id: str) -> list[str]:
    select = re.search(rf'<select[^>]*id="{select_id}".*?</select>', page, re.S).group(0)
    return re.findall(r'<optgroup label="([^"]*)"', select)


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "de", "ja", "zh-hans"])
def test_the_language_menu_names_each_language_in_its_own_name(client, alice, language):
    page = client.get(reverse("account_login"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert [name for _code, name in _options(page, "language-selector")] == OWN_NAMES

    alice.language = language
    alice.save(update_fields=["language"])
    client.force_login(alice)
    profile = client.get(reverse("personal_profile")).content.decode()
    assert [name for _code, name in _options(profile, "id_language")][1:] == OWN_NAMES


@pytest.mark.django_db
def test_the_time_zones_are_places_grouped_common_first_in_the_readers_language(alice_client):
    alice = User.objects.get(email="alice@example.com")
    alice.language = "de"
    alice.save(update_fields=["language"])

    page = alice_client.get(reverse("personal_profile")).content.decode()
    options = dict(_options(page, "id_time_zone"))
    groups = _groups(page, "id_time_zone")

    assert groups[0] == "Häufige Zeitzonen"
    assert {"Europa", "Asien", "Afrika", "Amerika", "Ozeanien"} <= set(groups)
    assert options["Europe/Berlin"] == "Deutschland (Berlin)"
    assert options["Asia/Kolkata"] == "Indien (Kalkutta)"
    for raw in ("Factory", "localtime", "W-SU", "Asia/Calcutta", "Etc/GMT+5", "EST5EDT"):
        assert raw not in options
    assert 300 < len(options) < 500
    # Europe/Berlin is among the common zones, listed once.
    assert page.count('value="Europe/Berlin"') == 1


@pytest.mark.django_db
def test_a_zone_saved_under_an_old_alias_shows_as_its_place(alice, alice_client):
    alice.time_zone = "Asia/Calcutta"
    alice.save(update_fields=["time_zone"])

    page = alice_client.get(reverse("personal_profile")).content.decode()

    assert '<option value="Asia/Kolkata" selected>India (Kolkata)</option>' in page


@pytest.mark.django_db
def test_a_raw_zone_name_is_refused_and_nothing_changes(alice, alice_client):
    response = alice_client.post(
        reverse("personal_profile"),
        {"first_name": "Alice", "last_name": "Admin", "language": "", "time_zone": "Factory"},
    )

    assert response.status_code == 200
    assert "time_zone" in response.context["form"].errors
    alice.refresh_from_db()
    assert alice.time_zone == ""


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "first_names"),
    [
        # Pinyin order: A-fu-han before De-guo before Fa-guo before Mei-guo.
        ("zh-hans", ["阿尔巴尼亚", "阿尔及利亚", "阿富汗"]),
        # Kana order (gojūon): ア before イ before ウ.
        ("ja", ["アイスランド", "アイルランド", "アゼルバイジャン"]),
        # German collation: Ägypten beside Afghanistan, not after Z.
        ("de", ["Afghanistan", "Ägypten", "Åland-Inseln"]),
    ],
)
def test_countries_are_named_and_sorted_in_the_readers_language(
    alice, alice_client, language, first_names
):
    alice.language = language
    alice.save(update_fields=["language"])

    page = alice_client.get(reverse("business_profile_edit")).content.decode()
    names = [name for code, name in _options(page, "id_country") if code]

    assert names[: len(first_names)] == first_names
    assert "Germany" not in names and "Spain" not in names
