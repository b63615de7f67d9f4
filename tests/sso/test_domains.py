"""Business Profile → Single Sign-On, step 1: verified domains.

alice administers My Company and adds mycompany.example; bob, a Regular Member, may
not open the page; charlie administers Other Corp and never reaches alice's domains.
The portal's resolver asks the tests' own DNS server (conftest.dns_responder)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditLog
from sso import services
from sso.errors import SsoError
from sso.models import SsoDomain
from sso.selectors import sso_domain_owner
from sso.tasks import sso_domains_recheck_task

pytestmark = pytest.mark.django_db
PAGE = "/account/business/sso/"


def _add(client, domain: str):
    return client.post(reverse("sso_domain_add"), {"domain": domain})


def _snapshot():
    return list(SsoDomain.objects.order_by("pk").values()), AuditLog.objects.count()


def test_the_administrator_sees_the_numbered_steps_all_grey_at_first(alice_client):
    response = alice_client.get(PAGE)
    assert response.status_code == 200
    steps = response.context["steps"]
    assert [(s.number, s.key, s.done) for s in steps] == [
        (1, "domains", False),
        (2, "idp", False),
        (3, "roles", False),
        (4, "enforce", False),
    ]
    assert steps[0].current
    assert 'aria-current="step"' in response.content.decode()


def test_a_regular_member_may_not_open_it_or_add_a_domain(bob_client):
    assert bob_client.get(PAGE).status_code == 403
    assert _add(bob_client, "mycompany.example").status_code == 403
    assert not SsoDomain.objects.exists()


def test_adding_a_domain_shows_the_txt_record_to_publish(alice_client, alice, company):
    response = _add(alice_client, " MyCompany.Example. ")
    assert response.status_code == 302
    domain = SsoDomain.objects.get()
    assert (domain.account, domain.domain, domain.verified_at) == (
        company,
        "mycompany.example",
        None,
    )
    assert len(domain.token) >= 32
    page = alice_client.get(PAGE).content.decode()
    assert f"myaccount-verification={domain.token}" in page
    entry = AuditLog.objects.get(action="sso_domain.added")
    assert (entry.account, entry.actor, entry.target_label) == (company, alice, "mycompany.example")


@pytest.mark.parametrize(
    "bad", ["", "localhost", "not a domain", "-bad.example", "a..example", "10.0.0.1", "x" * 300]
)
def test_a_bad_domain_is_refused_and_changes_nothing(alice_client, bad):
    before = _snapshot()
    response = _add(alice_client, bad)
    assert response.status_code == 200
    assert response.context["domain_form"].errors["domain"]
    assert _snapshot() == before


def test_the_same_domain_twice_is_refused(alice_client):
    _add(alice_client, "mycompany.example")
    before = _snapshot()
    response = _add(alice_client, "MYCOMPANY.example")
    assert "already on this business account" in response.content.decode()
    assert _snapshot() == before


def test_verify_finds_the_record_and_the_step_turns_green(
    alice_client, alice, company, dns_responder
):
    _add(alice_client, "mycompany.example")
    domain = SsoDomain.objects.get()
    dns_responder.publish("mycompany.example", "v=spf1 -all")
    dns_responder.publish("mycompany.example", domain.txt_record)
    response = alice_client.post(reverse("sso_domain_verify", args=[domain.pk]), follow=True)
    assert "mycompany.example is verified." in response.content.decode()
    domain.refresh_from_db()
    assert domain.verified_at is not None and domain.last_checked == domain.verified_at
    steps = {s.key: s for s in response.context["steps"]}
    assert steps["domains"].done and steps["idp"].current
    assert AuditLog.objects.filter(action="sso_domain.verified", actor=alice).count() == 1
    assert sso_domain_owner("MyCompany.example") == domain


def test_verify_without_the_record_says_what_to_publish_and_changes_nothing(
    alice_client, dns_responder
):
    _add(alice_client, "mycompany.example")
    domain = SsoDomain.objects.get()
    dns_responder.publish("mycompany.example", "myaccount-verification=someone-elses-token")
    before = _snapshot()
    response = alice_client.post(reverse("sso_domain_verify", args=[domain.pk]), follow=True)
    assert domain.txt_record in response.content.decode()
    assert _snapshot() == before
    dns_responder.withdraw("mycompany.example")  # NXDOMAIN now
    alice_client.post(reverse("sso_domain_verify", args=[domain.pk]))
    assert _snapshot() == before


def test_a_dns_server_that_fails_changes_nothing(alice_client, dns_responder):
    _add(alice_client, "mycompany.example")
    domain = SsoDomain.objects.get()
    dns_responder.failing.add("mycompany.example")
    before = _snapshot()
    response = alice_client.post(reverse("sso_domain_verify", args=[domain.pk]), follow=True)
    assert "did not answer" in response.content.decode()
    assert _snapshot() == before


def test_a_domain_verified_by_one_account_cannot_be_claimed_by_another(
    alice_client, charlie_client, dns_responder
):
    _add(charlie_client, "mycompany.example")  # charlie claims it first, cannot verify
    _add(alice_client, "mycompany.example")
    alices = SsoDomain.objects.get(account__name="My Company, Inc.")
    charlies = SsoDomain.objects.get(account__name="Other Corp")
    dns_responder.publish("mycompany.example", alices.txt_record)
    dns_responder.publish("mycompany.example", charlies.txt_record)  # even if both publish
    alice_client.post(reverse("sso_domain_verify", args=[alices.pk]))
    before = _snapshot()
    response = charlie_client.post(reverse("sso_domain_verify", args=[charlies.pk]), follow=True)
    assert "verified by another business account" in response.content.decode()
    response = _add(charlie_client, "mycompany.example")
    assert _snapshot() == before


def test_the_database_holds_one_verified_owner_per_domain(company, other_company):
    now = timezone.now()
    SsoDomain.objects.create(account=company, domain="race.example", token="a", verified_at=now)
    with pytest.raises(IntegrityError), transaction.atomic():
        SsoDomain.objects.create(
            account=other_company, domain="RACE.example", token="b", verified_at=now
        )


def test_another_accounts_domain_is_a_404_and_stays_as_it_was(
    alice_client, charlie_client, dns_responder
):
    _add(alice_client, "mycompany.example")
    domain = SsoDomain.objects.get()
    dns_responder.publish("mycompany.example", domain.txt_record)
    before = _snapshot()
    for name in ("sso_domain_verify", "sso_domain_remove"):
        assert charlie_client.post(reverse(name, args=[domain.pk])).status_code == 404
    assert _snapshot() == before


def test_the_services_re_check_the_actor(bob, company):
    with pytest.raises(SsoError) as refused:
        services.sso_domain_add(account=company, actor=bob, domain="mycompany.example")
    assert refused.value.code == "not_admin"
    assert not SsoDomain.objects.exists()


def test_removing_a_domain_is_audited(alice_client, alice):
    _add(alice_client, "mycompany.example")
    domain = SsoDomain.objects.get()
    alice_client.post(reverse("sso_domain_remove", args=[domain.pk]))
    assert not SsoDomain.objects.exists()
    assert AuditLog.objects.filter(action="sso_domain.removed", actor=alice).exists()


# --- The daily re-check ---------------------------------------------------------------


@pytest.fixture
def verified(alice, company, dns_responder):
    domain = services.sso_domain_add(account=company, actor=alice, domain="mycompany.example")
    dns_responder.publish("mycompany.example", domain.txt_record)
    return services.sso_domain_verify(account=company, actor=alice, domain_id=domain.pk)


def test_the_daily_check_is_on_celery_beat():
    entry = settings.CELERY_BEAT_SCHEDULE["sso-domains-recheck"]
    assert entry["task"] == "sso.tasks.sso_domains_recheck_task"


def test_a_record_still_there_keeps_the_domain_verified(verified, dns_responder):
    later = verified.last_checked + timezone.timedelta(days=1)
    assert services.sso_domain_recheck(domain_id=verified.pk, now=later) is True
    verified.refresh_from_db()
    assert verified.is_verified and verified.last_checked == later


def test_a_record_gone_stops_routing_and_emails_the_administrators(
    verified, bob, dns_responder, mailoutbox, django_capture_on_commit_callbacks
):
    dns_responder.withdraw("mycompany.example")
    with django_capture_on_commit_callbacks(execute=True):
        assert sso_domains_recheck_task.delay().get() == 1
    verified.refresh_from_db()
    assert not verified.is_verified
    assert sso_domain_owner("mycompany.example") is None
    assert [m.to for m in mailoutbox] == [["alice@example.com"]]  # not bob, a Regular Member
    assert "mycompany.example is no longer verified" in mailoutbox[0].subject
    assert AuditLog.objects.filter(action="sso_domain.lost", channel="system").count() == 1
    # Run again (a second worker, a retry): nothing more happens.
    with django_capture_on_commit_callbacks(execute=True):
        assert sso_domains_recheck_task.delay().get() == 0
        assert services.sso_domain_recheck(domain_id=verified.pk) is None
    assert len(mailoutbox) == 1


def test_a_dns_outage_on_the_daily_check_changes_nothing(verified, dns_responder, mailoutbox):
    dns_responder.failing.add("mycompany.example")
    before = _snapshot()
    assert services.sso_domain_recheck(domain_id=verified.pk) is None
    assert _snapshot() == before
    assert mailoutbox == []


def test_the_email_speaks_each_administrators_language(
    verified, alice, dns_responder, mailoutbox, django_capture_on_commit_callbacks
):
    alice.language = "de"
    alice.save(update_fields=["language"])
    dns_responder.withdraw("mycompany.example")
    with django_capture_on_commit_callbacks(execute=True):
        services.sso_domain_recheck(domain_id=verified.pk)
    [email] = mailoutbox
    assert "mycompany.example ist nicht mehr verifiziert" in email.subject
    assert "/account/business/sso/" in email.body
