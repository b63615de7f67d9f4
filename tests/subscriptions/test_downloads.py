"""The Download page (guide, chapter 7): who sees it, the version selector, the file
view, and what sales staff do in Django admin."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from subscriptions import services
from subscriptions.downloads import version_sort_key
from subscriptions.models import Download
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _download(product, version: str, title: str, *, content=b"data", published=True, **fields):
    download = Download(
        product=product, version=version, title=title, published=published, **fields
    )
    if "external_url" not in fields:
        download.file.save(f"{title.replace(' ', '-')}.bin", ContentFile(content), save=False)
    return services.download_save(download=download)


@pytest.fixture
def product(subscription):
    return subscription.product


@pytest.fixture
def files(product):
    return {
        "old": _download(product, "6.9", "Installer 6.9"),
        "new": _download(product, "10.0", "Installer 10.0", content=b"newest bits"),
        "guide": _download(product, "10.0", "Guide 10.0", kind=Download.Kind.DOCUMENTATION),
        "draft": _download(product, "11.0", "Draft 11.0", published=False),
    }


def _url(product, **query) -> str:
    url = reverse("download", args=[product.code])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_versions_sort_as_numbers():
    versions = ["6.9", "10.0", "7.0.1", "7.0", "7.0 beta"]
    assert sorted(versions, key=version_sort_key, reverse=True) == [
        "10.0",
        "7.0.1",
        "7.0",
        "7.0 beta",
        "6.9",
    ]


def test_the_selector_defaults_to_the_newest_published_version(alice_client, product, files):
    page = _text(alice_client.get(_url(product)))
    assert '<label for="download-version">' in page
    assert '<option value="10.0" selected>10.0 (latest)</option>' in page
    assert '<option value="6.9">' in page
    assert "11.0" not in page  # not published
    assert "Installer 10.0" in page and "Guide 10.0" in page
    assert "Installer 6.9" not in page
    assert files["new"].sha256 in page


def test_another_version_can_be_picked(bob_client, product, files):
    page = _text(bob_client.get(_url(product, version="6.9")))
    assert '<option value="6.9" selected>' in page
    assert "Installer 6.9" in page and "Installer 10.0" not in page


def test_an_unknown_version_falls_back_to_the_newest(alice_client, product, files):
    page = _text(alice_client.get(_url(product, version="<b>x</b>")))
    assert '<option value="10.0" selected>' in page


def test_the_product_navigation_links_to_the_page(alice_client, subscription):
    page = alice_client.get(reverse("subscription_detail", args=[subscription.pk])).content
    assert (
        f'href="{reverse("download", args=[subscription.product.code])}">Download'.encode() in page
    )


def test_without_a_subscription_the_page_says_why(charlie_client, product, files):
    response = charlie_client.get(_url(product))
    assert response.status_code == 403
    assert "Other Corp has no subscription of Mac Management" in _text(response)
    assert "Installer" not in _text(response)


def test_an_expired_subscription_shows_no_downloads(company, alice_client, subscription, files):
    today = timezone.localdate()
    subscription.starts_on = today - timedelta(days=400)
    subscription.ends_on = today - timedelta(days=1)
    subscription.save()
    response = alice_client.get(_url(subscription.product))
    assert response.status_code == 403
    assert "have expired" in _text(response)


def test_a_blocked_member_sees_no_downloads(dave_client, product, files):
    # dave's only active account is his personal one, which has no subscription.
    assert dave_client.get(_url(product)).status_code == 403
    url = reverse("download_file", args=[product.code, files["new"].pk])
    assert dave_client.get(url).status_code == 404


def test_anonymous_people_are_sent_to_sign_in(product, files):
    client = Client()
    assert client.get(_url(product)).status_code == 302
    url = reverse("download_file", args=[product.code, files["new"].pk])
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_unknown_product_is_not_found(alice_client, files):
    assert alice_client.get(reverse("download", args=["nope"])).status_code == 404


def test_members_download_the_file_through_the_view(bob_client, product, files):
    response = bob_client.get(reverse("download_file", args=[product.code, files["new"].pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"newest bits"
    assert "attachment" in response["Content-Disposition"]
    assert response["X-Checksum-SHA256"] == hashlib.sha256(b"newest bits").hexdigest()
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("who", ["charlie_client", "dave_client"])
def test_others_cannot_download_the_file(request, who, product, files):
    client = request.getfixturevalue(who)
    url = reverse("download_file", args=[product.code, files["new"].pk])
    assert client.get(url).status_code == 404


def test_unpublished_files_are_not_served(alice_client, product, files):
    url = reverse("download_file", args=[product.code, files["draft"].pk])
    assert alice_client.get(url).status_code == 404


def test_an_external_download_redirects(alice_client, product):
    link = _download(product, "10.0", "Online help", external_url="https://docs.example.com/")
    url = reverse("download_file", args=[product.code, link.pk])
    response = alice_client.get(url)
    assert response.status_code == 302 and response["Location"] == "https://docs.example.com/"


def test_checksum_and_size_are_computed_on_save(product):
    download = _download(product, "7.0", "Tool", content=b"x" * 3000)
    assert download.size == 3000
    assert download.sha256 == hashlib.sha256(b"x" * 3000).hexdigest()
    assert download.published_at is not None


def test_sales_staff_publish_a_download_in_admin(product):
    staff = factories.user_create("sales@example.com")
    staff.is_staff = True
    staff.save()
    staff.groups.add(Group.objects.get(name="Sales"))
    client = Client()
    client.force_login(staff)
    upload = SimpleUploadedFile("tool-8.0.zip", b"zip bytes")
    response = client.post(
        reverse("admin:subscriptions_download_add"),
        {
            "product": product.pk,
            "version": "8.0",
            "kind": "software",
            "title": "Tool 8.0",
            "description": "",
            "file": upload,
            "external_url": "",
            "size": "",
            "sha256": "",
            "published": "on",
        },
    )
    assert response.status_code == 302, response.content
    download = Download.objects.get(title="Tool 8.0")
    assert download.sha256 == hashlib.sha256(b"zip bytes").hexdigest()
    assert download.size == 9 and download.published_at is not None
    assert download.file.read() == b"zip bytes"


def test_admin_refuses_both_a_file_and_a_url(product, admin_client):
    response = admin_client.post(
        reverse("admin:subscriptions_download_add"),
        {
            "product": product.pk,
            "version": "8.0",
            "kind": "software",
            "title": "Both",
            "file": SimpleUploadedFile("a.bin", b"a"),
            "external_url": "https://example.com/a",
        },
    )
    assert response.status_code == 200
    assert "one of them" in response.content.decode()
    assert not Download.objects.filter(title="Both").exists()


def test_demo_downloads_are_idempotent(product):
    from subscriptions.demo import seed_downloads

    first = seed_downloads(product)
    second = seed_downloads(product)
    assert [d.pk for d in first] == [d.pk for d in second]
    assert {d.version for d in first} == {"7.0", "7.1"}
    assert all(d.sha256 and d.size for d in first)
