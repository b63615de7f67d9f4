"""The licensing service: every rule of chapter 4, and every refusal changes nothing."""

from __future__ import annotations

import base64
from datetime import date, timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditLog, Membership
from licensing import services
from licensing.client import envelope
from licensing.errors import LicensingError
from licensing.models import UsedNonce
from proxies import services as proxy_services
from proxies.models import ProxyServer, UsageReport
from subscriptions.models import license_key_mask
from tests.licensing import factories
from tests.licensing.factories import NOW, answer_open

pytestmark = pytest.mark.django_db

INVALID_KEY = "This license key is not valid or not registered."


def snapshot() -> tuple:
    """Everything a licensing request can change."""
    return (
        list(ProxyServer.objects.order_by("id").values()),
        list(UsageReport.objects.order_by("id").values()),
        UsedNonce.objects.count(),
        AuditLog.objects.count(),
    )


def refused(call, code: str, *args, **kwargs) -> LicensingError:
    """Run a request that must be refused with `code` and change nothing."""
    before = snapshot()
    with pytest.raises(LicensingError) as info:
        call(*args, **kwargs)
    assert info.value.code == code, info.value.message
    assert snapshot() == before
    return info.value


def activate(proxy, key, **kwargs) -> envelope.Message:
    kwargs.setdefault("now", NOW)
    kwargs.setdefault("channel", "online")
    method = kwargs["channel"]
    answer = services.license_activate(proxy.activation(key.key, method=method), **kwargs)
    return answer_open(answer, "activation_response")


def flip(text: str, position: int) -> str:
    """Flip one bit of the decoded envelope and re-armor it."""
    body = "".join(text.strip().splitlines()[1:-1])
    raw = bytearray(base64.b64decode(body))
    raw[position] ^= 0x01
    encoded = base64.b64encode(bytes(raw)).decode()
    return f"{envelope.ARMOR_BEGIN}\n{encoded}\n{envelope.ARMOR_END}\n"


# --- activation ---------------------------------------------------------------------------


def test_it_activates_online_and_answers_the_license_information(proxy, primary_key):
    text = proxy.activation(primary_key.key)
    answer = answer_open(
        services.license_activate(text, channel="online", now=NOW), "activation_response"
    )

    payload = answer.payload
    assert payload["installation_id"] == proxy.installation_id
    assert payload["request_nonce"] == envelope.peek(text).nonce
    assert payload["status"] == "active"
    assert payload["license_key"] == primary_key.key
    assert (payload["start_date"], payload["end_date"]) == ("2026-01-01", "2026-12-31")
    assert (payload["licenses"], payload["used"], payload["remaining"]) == (5, 0, 5)
    assert payload["over_limit"] is False
    assert payload["offline_use"] is True
    assert payload["activation_method"] == "online"
    assert payload["refresh_before"] == "2026-03-02T09:30:00Z"

    server = ProxyServer.objects.get()
    assert server.license_key == primary_key
    assert server.account == primary_key.subscription.account
    assert str(server.installation_id) == proxy.installation_id
    assert server.installation_key_id == proxy.kid
    assert (server.server_name, server.site_code) == ("pmm.alice.example", "HQ")
    assert (server.method, server.status) == ("online", "active")
    assert server.activated_at == NOW

    entry = AuditLog.objects.get(action="proxy_server.activated")
    assert entry.channel == AuditLog.Channel.PROXY
    assert entry.actor is None
    assert entry.actor_label == "installation pmm.alice.example"
    assert entry.account == primary_key.subscription.account
    assert entry.target_id == str(server.pk)


def test_a_sublicense_gives_its_quota(proxy, subscription):
    sublicense = factories.sublicense_make(subscription, quota=2)
    assert activate(proxy, sublicense).payload["licenses"] == 2


def test_the_key_may_be_typed_in_any_case_and_without_dashes(proxy, primary_key):
    raw = primary_key.key.replace("-", "").lower()
    answer = services.license_activate(proxy.activation(raw), channel="online", now=NOW)
    assert answer_open(answer, "activation_response").payload["license_key"] == primary_key.key


def test_it_refuses_a_replayed_request(proxy, primary_key):
    text = proxy.activation(primary_key.key)
    services.license_activate(text, channel="online", now=NOW)
    refused(services.license_activate, "replayed", text, channel="online", now=NOW)


@pytest.mark.parametrize("case", ["unknown", "unregistered", "other_account", "deleted", "junk"])
def test_keys_a_holder_could_learn_from_are_refused_alike(case, proxy, company, other_company):
    key = factories.primary_key_make(factories.subscription_make(company, offline=True))
    raw = key.key
    if case == "unknown":
        raw = "ABCDE-ABCDE-ABCDE-ABCDE-ABCDE"
    elif case == "unregistered":
        key.subscription.account = None
        key.subscription.save()
    elif case == "other_account":
        key.subscription.account = other_company
        key.subscription.save()
    elif case == "deleted":
        key.deleted_at = timezone.now()
        key.save()
    elif case == "junk":
        raw = "not a key"
    # Offline, as alice (company): a key of another account reads like an unknown one.
    from tests import factories as people

    alice = people.user_create("alice@example.com")
    people.membership_create(alice, company, role="admin")
    error = refused(
        services.license_activate,
        "invalid_key",
        proxy.activation(raw, method="offline"),
        channel="offline",
        actor=alice,
        account=company,
        now=NOW,
    )
    assert error.message == INVALID_KEY


def test_it_refuses_an_expired_key(proxy, primary_key):
    later = NOW.replace(year=2027)
    text = proxy.activation(primary_key.key, now=later)
    error = refused(services.license_activate, "key_expired", text, channel="online", now=later)
    assert "12/31/2026" in error.message


def test_a_sublicense_ends_on_its_own_date(proxy, subscription):
    sublicense = factories.sublicense_make(subscription, quota=1, expires_on=date(2026, 2, 1))
    refused(
        services.license_activate,
        "key_expired",
        proxy.activation(sublicense.key),
        channel="online",
        now=NOW,
    )


def test_it_refuses_a_key_active_on_another_installation(proxy, other_proxy, primary_key):
    activate(proxy, primary_key)
    error = refused(
        services.license_activate,
        "key_in_use",
        other_proxy.activation(primary_key.key),
        channel="online",
        now=NOW,
    )
    assert "Deactivate that installation first" in error.message
    # Once released, the other installation may have it.
    services.license_deactivate(proxy.deactivation(), channel="online", now=NOW)
    assert activate(other_proxy, primary_key).payload["status"] == "active"


def test_an_installation_holds_one_key_at_a_time(proxy, subscription, primary_key):
    activate(proxy, primary_key)
    sublicense = factories.sublicense_make(subscription, quota=1)
    refused(
        services.license_activate,
        "installation_active",
        proxy.activation(sublicense.key),
        channel="online",
        now=NOW,
    )


def test_the_same_installation_asking_again_gets_a_fresh_answer(proxy, primary_key):
    activate(proxy, primary_key)
    again = activate(proxy, primary_key)
    assert again.payload["status"] == "active"
    assert ProxyServer.objects.count() == 1
    assert AuditLog.objects.filter(action="proxy_server.activation_renewed").count() == 1


def test_offline_activation_needs_the_subscription_to_allow_it(
    proxy, online_only_subscription, alice, company
):
    key = factories.primary_key_make(online_only_subscription)
    error = refused(
        services.license_activate,
        "offline_not_allowed",
        proxy.activation(key.key, method="offline"),
        channel="offline",
        actor=alice,
        account=company,
        now=NOW,
    )
    assert error.message == (
        "Offline activation is not enabled for this subscription. "
        "Ask your sales representative to enable it."
    )


def test_offline_uploads_need_an_account_administrator(proxy, primary_key, bob, company):
    refused(
        services.license_activate,
        "not_allowed",
        proxy.activation(primary_key.key, method="offline"),
        channel="offline",
        actor=bob,
        account=company,
        now=NOW,
    )


def test_offline_uploads_refuse_a_blocked_administrator(proxy, primary_key, alice, company):
    # A block takes effect on the next request, uploads included: still an
    # administrator by role, but no longer an active member.
    Membership.objects.filter(user=alice, account=company).update(status=Membership.Status.BLOCKED)
    refused(
        services.license_activate,
        "not_allowed",
        proxy.activation(primary_key.key, method="offline"),
        channel="offline",
        actor=alice,
        account=company,
        now=NOW,
    )


def test_an_offline_request_cannot_go_online(proxy, primary_key):
    error = refused(
        services.license_activate,
        "wrong_channel",
        proxy.activation(primary_key.key, method="offline"),
        channel="online",
        now=NOW,
    )
    assert "Offline Activation and Validation" in error.message


def test_an_activation_must_be_signed_by_the_key_it_carries(proxy, other_proxy, primary_key):
    payload = envelope.peek(proxy.activation(primary_key.key)).payload
    forged = proxy.seal("activation_request", payload, private_key=other_proxy.private_key)
    refused(services.license_activate, "wrong_installation_key", forged, channel="online", now=NOW)


def test_an_installation_id_stays_bound_to_its_key(proxy, primary_key):
    activate(proxy, primary_key)
    services.license_deactivate(proxy.deactivation(), channel="online", now=NOW)
    impostor = factories.Installation()
    impostor.installation_id = proxy.installation_id
    refused(
        services.license_activate,
        "wrong_installation_key",
        impostor.activation(primary_key.key),
        channel="online",
        now=NOW,
    )


@pytest.mark.parametrize("position", [5, 40, 120, -3])
def test_it_refuses_a_tampered_request(proxy, primary_key, position):
    text = flip(proxy.activation(primary_key.key), position)
    with pytest.raises(LicensingError) as info:
        services.license_activate(text, channel="online", now=NOW)
    assert info.value.code in {"bad_signature", "bad_encoding", "wrong_installation_key"}
    assert info.value.status in (400, 403)
    assert ProxyServer.objects.count() == 0 and UsedNonce.objects.count() == 0


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("hello", "not_an_envelope"),
        (f"{envelope.ARMOR_BEGIN}\n!!!\n{envelope.ARMOR_END}\n", "bad_encoding"),
        (b"\xff\xfe", "not_an_envelope"),
    ],
)
def test_it_refuses_what_is_not_a_message(text, code):
    refused(services.license_activate, code, text, channel="online", now=NOW)


def test_it_refuses_a_message_of_the_wrong_type(proxy, primary_key):
    activate(proxy, primary_key)
    refused(services.license_activate, "wrong_type", proxy.refresh(), channel="online", now=NOW)
    refused(
        services.license_refresh,
        "wrong_type",
        proxy.activation(primary_key.key),
        channel="online",
        now=NOW,
    )


def test_it_refuses_an_expired_or_future_message(proxy, primary_key):
    text = proxy.activation(primary_key.key)
    refused(
        services.license_activate,
        "expired",
        text,
        channel="online",
        now=NOW + timedelta(hours=1),
    )
    refused(
        services.license_activate,
        "not_yet_valid",
        text,
        channel="online",
        now=NOW - timedelta(hours=1),
    )


@pytest.mark.parametrize(
    "extra",
    [
        {"server_name": ""},
        {"server_name": 7},
        {"site_code": "x" * 33},
        {"installation_id": "not-a-uuid"},
        {"method": "carrier-pigeon"},
    ],
)
def test_it_refuses_a_malformed_activation(proxy, primary_key, extra):
    text = proxy.activation(primary_key.key, **extra)
    refused(services.license_activate, "invalid_request", text, channel="online", now=NOW)


# --- refresh ------------------------------------------------------------------------------


def test_a_refresh_brings_an_upgrade_at_once(proxy, primary_key):
    activate(proxy, primary_key)
    subscription = primary_key.subscription
    subscription.licenses += 10
    subscription.save()
    later = NOW + timedelta(hours=3)
    answer = services.license_refresh(proxy.refresh(now=later), channel="online", now=later)
    payload = answer_open(answer, "refresh_response", now=later).payload
    assert (payload["licenses"], payload["remaining"]) == (15, 15)
    assert payload["refresh_before"] == "2026-03-02T12:30:00Z"
    assert ProxyServer.objects.get().last_refresh_at == later


def test_a_refresh_stores_the_usage_it_carries(proxy, subscription, alice, company):
    activate(proxy, factories.primary_key_make(subscription), channel="offline", actor=alice,
             account=company)  # fmt: skip
    usage = {"registered_computers": 7, "peak": 8, "date": "2026-03-01"}
    answer = services.license_refresh(
        proxy.refresh(method="offline", usage=usage),
        channel="offline",
        actor=alice,
        account=company,
        now=NOW,
    )
    payload = answer_open(answer, "refresh_response").payload
    assert (payload["used"], payload["remaining"], payload["over_limit"]) == (7, 0, True)
    report = UsageReport.objects.get()
    assert (report.registered_computers, report.peak, report.licenses) == (7, 8, 5)
    entry = AuditLog.objects.get(action="proxy_server.refreshed")
    assert (entry.channel, entry.actor) == (AuditLog.Channel.OFFLINE, alice)


def test_an_unknown_installation_is_refused(proxy):
    refused(
        services.license_refresh, "unknown_installation", proxy.refresh(), channel="online",
        now=NOW,
    )  # fmt: skip


def test_a_request_signed_by_another_installation_is_refused(proxy, other_proxy, primary_key):
    activate(proxy, primary_key)
    payload = envelope.peek(proxy.refresh()).payload
    forged = other_proxy.seal("refresh_request", payload)
    refused(services.license_refresh, "wrong_installation_key", forged, channel="online", now=NOW)


def test_a_deactivated_installation_learns_it_at_its_next_refresh(proxy, primary_key, alice):
    activate(proxy, primary_key)
    server = ProxyServer.objects.get()
    proxy_services.proxy_server_deactivate(proxy_server=server, actor=alice, channel="web", now=NOW)

    answer = services.license_refresh(proxy.refresh(), channel="online", now=NOW)
    assert answer_open(answer, "refresh_response").payload["status"] == "deactivated"
    # ...and may not report or deactivate any more.
    refused(
        services.usage_report,
        "installation_deactivated",
        proxy.usage(1),
        channel="online",
        now=NOW,
    )
    refused(
        services.license_deactivate,
        "installation_deactivated",
        proxy.deactivation(),
        channel="online",
        now=NOW,
    )


def test_an_installation_activated_offline_stays_offline(proxy, primary_key, alice, company):
    activate(proxy, primary_key, channel="offline", actor=alice, account=company)
    error = refused(
        services.license_refresh,
        "wrong_channel",
        proxy.refresh(method="online"),
        channel="online",
        now=NOW,
    )
    assert "activated offline" in error.message
    refused(
        services.license_deactivate,
        "wrong_channel",
        proxy.deactivation(method="online"),
        channel="online",
        now=NOW,
    )


def test_an_installation_activated_online_stays_online(proxy, primary_key, alice, company):
    activate(proxy, primary_key)
    refused(
        services.license_deactivate,
        "wrong_channel",
        proxy.deactivation(method="offline"),
        channel="offline",
        actor=alice,
        account=company,
        now=NOW,
    )


def test_an_offline_installation_cannot_report_usage_online(proxy, primary_key, alice, company):
    activate(proxy, primary_key, channel="offline", actor=alice, account=company)
    error = refused(
        services.usage_report, "wrong_channel", proxy.usage(2), channel="online", now=NOW
    )
    assert "activated offline" in error.message


def test_a_replayed_refresh_is_refused(proxy, primary_key):
    activate(proxy, primary_key)
    text = proxy.refresh(usage={"registered_computers": 2, "peak": 2, "date": "2026-03-01"})
    services.license_refresh(text, channel="online", now=NOW)
    refused(services.license_refresh, "replayed", text, channel="online", now=NOW)


def test_a_deactivated_installations_refresh_changes_nothing(proxy, primary_key, alice):
    activate(proxy, primary_key)
    services.usage_report(proxy.usage(3), channel="online", now=NOW)
    server = ProxyServer.objects.get()
    proxy_services.proxy_server_deactivate(proxy_server=server, actor=alice, channel="web", now=NOW)

    def state() -> tuple:
        return (
            list(UsageReport.objects.order_by("id").values()),
            ProxyServer.objects.values("last_refresh_at", "registered_computers").get(),
            AuditLog.objects.filter(action="proxy_server.refreshed").count(),
        )

    before = state()
    later = NOW + timedelta(hours=1)
    usage = {"registered_computers": 9, "peak": 9, "date": "2026-03-01"}
    text = proxy.refresh(usage=usage, now=later)
    answer = services.license_refresh(text, channel="online", now=later)
    # It is only told it is deactivated: the usage of a released key is not stored.
    assert answer_open(answer, "refresh_response", now=later).payload["status"] == "deactivated"
    assert state() == before


def test_an_installation_of_another_account_reads_as_unknown(
    proxy, primary_key, charlie, other_company
):
    activate(proxy, primary_key)
    refused(
        services.license_refresh,
        "unknown_installation",
        proxy.refresh(method="offline"),
        channel="offline",
        actor=charlie,
        account=other_company,
        now=NOW,
    )


# --- usage --------------------------------------------------------------------------------


def test_usage_is_kept_per_day_with_its_peak(proxy, primary_key):
    activate(proxy, primary_key)
    services.usage_report(proxy.usage(4, peak=6), channel="online", now=NOW)
    answer = services.usage_report(proxy.usage(3), channel="online", now=NOW)
    payload = answer_open(answer, "usage_response").payload
    assert (payload["used"], payload["licenses"], payload["remaining"]) == (3, 5, 2)
    assert payload["over_limit"] is False
    report = UsageReport.objects.get()
    assert (report.registered_computers, report.peak) == (3, 6)
    server = ProxyServer.objects.get()
    assert (server.registered_computers, server.last_report_at) == (3, NOW)
    assert AuditLog.objects.filter(action="proxy_server.usage_reported").count() == 2


def test_over_the_limit_is_reported_back(proxy, primary_key):
    activate(proxy, primary_key)
    answer = services.usage_report(proxy.usage(6), channel="online", now=NOW)
    payload = answer_open(answer, "usage_response").payload
    assert (payload["used"], payload["remaining"], payload["over_limit"]) == (6, 0, True)


def test_a_late_report_of_an_earlier_day_does_not_overwrite_used(proxy, primary_key):
    activate(proxy, primary_key)
    services.usage_report(proxy.usage(4), channel="online", now=NOW)
    services.usage_report(proxy.usage(9, day=date(2026, 2, 20)), channel="online", now=NOW)
    assert ProxyServer.objects.get().registered_computers == 4
    assert UsageReport.objects.count() == 2


def test_a_replayed_usage_report_is_refused(proxy, primary_key):
    activate(proxy, primary_key)
    text = proxy.usage(2)
    services.usage_report(text, channel="online", now=NOW)
    # A replay must not move last_report_at nor write another audit entry.
    later = NOW + timedelta(minutes=5)
    refused(services.usage_report, "replayed", text, channel="online", now=later)


@pytest.mark.parametrize("day", [date(2026, 3, 5), date(2020, 1, 1)])
def test_an_implausible_usage_date_is_refused(proxy, primary_key, day):
    activate(proxy, primary_key)
    refused(
        services.usage_report, "invalid_request", proxy.usage(1, day=day), channel="online",
        now=NOW,
    )  # fmt: skip


# --- deactivation -------------------------------------------------------------------------


def test_online_deactivation_releases_the_key_at_once(proxy, primary_key):
    activate(proxy, primary_key)
    text = proxy.deactivation()
    answer = answer_open(
        services.license_deactivate(text, channel="online", now=NOW), "deactivation_response"
    )
    assert answer.payload["status"] == "deactivated"
    assert answer.payload["request_nonce"] == envelope.peek(text).nonce
    server = ProxyServer.objects.get()
    assert (server.status, server.deactivated_at) == ("deactivated", NOW)
    assert AuditLog.objects.filter(action="proxy_server.deactivated").count() == 1


def test_offline_deactivation_releases_the_key_only_on_upload(
    proxy, other_proxy, primary_key, alice, company
):
    activate(proxy, primary_key, channel="offline", actor=alice, account=company)
    request_file = proxy.deactivation(method="offline")  # the proxy is off from now on
    refused(
        services.license_activate,
        "key_in_use",
        other_proxy.activation(primary_key.key),
        channel="online",
        now=NOW,
    )
    services.license_deactivate(
        request_file, channel="offline", actor=alice, account=company, now=NOW
    )
    assert ProxyServer.objects.get().status == "deactivated"
    entry = AuditLog.objects.get(action="proxy_server.deactivated")
    assert (entry.channel, entry.actor) == (AuditLog.Channel.OFFLINE, alice)
    assert activate(other_proxy, primary_key).payload["status"] == "active"


def test_deleting_a_sublicense_deactivates_its_installation(proxy, subscription, alice):
    sublicense = factories.sublicense_make(subscription, quota=2)
    activate(proxy, sublicense)
    server = proxy_services.proxy_server_deactivate_for_key(
        license_key=sublicense, actor=alice, channel="web", now=NOW
    )
    assert server.status == "deactivated"
    entry = AuditLog.objects.get(action="proxy_server.deactivated")
    assert (entry.actor, entry.data["reason"]) == (alice, "key_deleted")
    assert (
        proxy_services.proxy_server_deactivate_for_key(license_key=sublicense, actor=alice) is None
    )


def test_portal_deactivation_twice_does_no_harm(proxy, primary_key, alice):
    activate(proxy, primary_key)
    server = ProxyServer.objects.get()
    proxy_services.proxy_server_deactivate(proxy_server=server, actor=alice, channel="web")
    proxy_services.proxy_server_deactivate(proxy_server=server, actor=alice, channel="web")
    assert AuditLog.objects.filter(action="proxy_server.deactivated").count() == 1


def test_an_installation_can_be_activated_again_after_deactivation(proxy, primary_key):
    activate(proxy, primary_key)
    services.license_deactivate(proxy.deactivation(), channel="online", now=NOW)
    assert activate(proxy, primary_key).payload["status"] == "active"
    assert ProxyServer.objects.filter(status="active").count() == 1
    # Later requests go to the new activation.
    answer = services.license_refresh(proxy.refresh(), channel="online", now=NOW)
    assert answer_open(answer, "refresh_response").payload["status"] == "active"


def test_a_replayed_deactivation_is_refused_even_after_reactivation(proxy, primary_key):
    activate(proxy, primary_key)
    deactivation = proxy.deactivation()
    services.license_deactivate(deactivation, channel="online", now=NOW)
    activate(proxy, primary_key)
    # The old request now reads as one for the new activation: only its nonce stops it.
    refused(services.license_deactivate, "replayed", deactivation, channel="online", now=NOW)
    assert ProxyServer.objects.filter(status="active").count() == 1


def test_expired_nonces_are_purged(proxy, primary_key):
    activate(proxy, primary_key)
    assert services.used_nonce_purge(now=NOW) == 0
    assert services.used_nonce_purge(now=NOW + timedelta(days=1)) == 1


def test_the_audit_log_records_an_activation_with_the_key_masked(proxy, primary_key):
    # The audit log is read beyond the License Keys table: it shows keys as
    # license_key_shown does for no particular viewer, masked but for the last group.
    services.license_activate(proxy.activation(primary_key.key), channel="online", now=NOW)
    entry = AuditLog.objects.get(action="proxy_server.activated")
    assert entry.data["license_key"] == license_key_mask(primary_key.key)
    assert primary_key.key not in str(entry.data)
