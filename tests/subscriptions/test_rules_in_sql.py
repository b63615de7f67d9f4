"""Every rule that has a Python form and an SQL form says the same in both, on generated
scenes: a subscription's keys (types, quotas, own end dates, deleted or not), the
installations that hold them (and how many computers each manages) and the day asked
about. The Python forms are the reference (LicenseKey.end_date and .licenses,
subscriptions.quota, license_key_expiring_soon, license_key_expired, license_key_mask);
the SQL forms are what lists filter and sort by and what the proxy is told.

Each example builds its scene in a transaction that is rolled back: one scene, a few
queries, a few milliseconds.
"""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Membership
from proxies.models import ProxyServer, proxy_server_expired_q, proxy_server_shown_status
from proxies.selectors import license_key_availability, license_key_list, license_key_states
from subscriptions import quota
from subscriptions.models import (
    KEY_ALPHABET,
    KEY_GROUP_LENGTH,
    KEY_GROUPS,
    PRIMARY_KEY_NAME,
    LicenseKey,
    Subscription,
    license_key_display_name_sort_expression,
    license_key_end_date_expression,
    license_key_expired,
    license_key_expired_q,
    license_key_expiring_soon,
    license_key_expiring_soon_q,
    license_key_format,
    license_key_last_group,
    license_key_last_group_expression,
    license_key_mask,
    license_key_mask_expression,
    subscription_active_q,
    subscription_expired_q,
    subscription_upcoming_q,
)
from tests import factories
from tests.proxies.factories import product

pytestmark = pytest.mark.django_db

TODAY = date(2025, 6, 15)
FAST = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@dataclass(frozen=True)
class KeyScene:
    type: str
    quota: int | None
    renew: bool
    expires_in: int | None  # days from TODAY: the key's own end date
    deleted: bool
    holder: str | None  # the status of the installation using it, if any
    computers: int


@dataclass(frozen=True)
class Scene:
    licenses: int
    starts_in: int  # days from TODAY
    days: int  # the subscription's length
    keys: tuple[KeyScene, ...]
    asked: int  # the day asked about, in days from TODAY


holders = st.sampled_from([None, *ProxyServer.Status.values])


@st.composite
def key_scenes(draw, *, type: str) -> KeyScene:
    return KeyScene(
        type=type,
        quota=None if type == quota.PRIMARY else draw(st.integers(1, 30)),
        renew=draw(st.booleans()),
        expires_in=draw(st.none() | st.integers(-45, 60)),
        deleted=type != quota.PRIMARY and draw(st.booleans()),
        holder=draw(holders),
        computers=draw(st.integers(0, 40)),
    )


@st.composite
def scenes(draw) -> Scene:
    sublicenses = draw(
        st.lists(
            st.sampled_from([quota.RESERVED, quota.DYNAMIC]).flatmap(lambda t: key_scenes(type=t)),
            max_size=5,
        )
    )
    return Scene(
        licenses=draw(st.integers(1, 40)),
        starts_in=draw(st.integers(-60, 5)),
        days=draw(st.integers(0, 90)),
        keys=(draw(key_scenes(type=quota.PRIMARY)), *sublicenses),
        asked=draw(st.integers(-5, 40)),
    )


@contextmanager
def rolled_back():
    """The scene lives for one example only."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def build(scene: Scene, account) -> tuple[Subscription, list[LicenseKey], dict[int, int]]:
    """The scene in the database; returns the subscription, its keys and, by key id,
    what its installation uses (the Python side of "used": a holding installation's
    computers; a deactivated one uses nothing)."""
    starts_on = TODAY + timedelta(days=scene.starts_in)
    subscription = Subscription.objects.create(
        product=product(),
        account=account,
        licenses=scene.licenses,
        starts_on=starts_on,
        ends_on=starts_on + timedelta(days=scene.days),
    )
    keys, used = [], {}
    for index, k in enumerate(scene.keys):
        key = LicenseKey.objects.create(
            subscription=subscription,
            type=k.type,
            name=PRIMARY_KEY_NAME if k.type == quota.PRIMARY else f"Key {index}",
            quota=k.quota,
            renew_with_subscription=k.renew,
            expires_on=None if k.expires_in is None else TODAY + timedelta(days=k.expires_in),
            deleted_at=timezone.now() if k.deleted else None,
        )
        keys.append(key)
        used[key.pk] = 0
        if k.holder is not None:
            ProxyServer.objects.create(
                account=account,
                license_key=key,
                installation_id=uuid.uuid4(),
                installation_public_key="-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n",
                installation_key_id="test",
                server_name=f"server {index}",
                site_code="T",
                method=ProxyServer.Method.ONLINE,
                status=k.holder,
                activated_at=timezone.now(),
                registered_computers=k.computers,
            )
            if k.holder in ProxyServer.HOLDING_STATUSES:
                used[key.pk] = k.computers
    return subscription, keys, used


@FAST
@given(scene=scenes())
def test_a_keys_end_date_and_licenses_are_the_same_in_sql(scene, company):
    with rolled_back():
        subscription, keys, _used = build(scene, company)
        in_sql = {
            k.pk: (k.key_end, k.key_licenses)
            for k in LicenseKey.objects.filter(subscription=subscription)
            .with_end_date()
            .with_licenses()
        }
        assert in_sql == {k.pk: (k.end_date, k.licenses) for k in keys}


@FAST
@given(scene=scenes())
def test_expiring_soon_and_expired_are_the_same_in_sql(scene, company):
    with rolled_back():
        subscription, keys, _used = build(scene, company)
        keys_in_sql = LicenseKey.objects.filter(subscription=subscription).with_end_date()
        servers = ProxyServer.objects.filter(license_key__subscription=subscription).annotate(
            key_end=license_key_end_date_expression(prefix="license_key__")
        )
        # The day asked, and the days either side of each key's boundaries.
        ends = {k.end_date for k in keys}
        days = {TODAY + timedelta(days=scene.asked)} | {
            end + timedelta(days=d) for end in ends for d in (-31, -30, 0, 1)
        }
        for today in days:
            flags = {
                pk: (soon, expired)
                for pk, soon, expired in keys_in_sql.annotate(
                    soon=ExpressionWrapper(license_key_expiring_soon_q(today), BooleanField()),
                    expired=ExpressionWrapper(license_key_expired_q(today), BooleanField()),
                ).values_list("pk", "soon", "expired")
            }
            assert flags == {
                k.pk: (
                    license_key_expiring_soon(k.end_date, today=today),
                    license_key_expired(k.end_date, today=today),
                )
                for k in keys
            }
            # The Proxy Servers page's Expired filter and the status pages and reports show.
            listed = set(servers.filter(proxy_server_expired_q(today)).values_list("pk", flat=True))
            shown = {
                s.pk
                for s in servers
                if proxy_server_shown_status(status=s.status, key_end=s.key_end, today=today)
                == "expired"
            }
            assert listed == shown


@FAST
@given(scene=scenes())
def test_vacant_and_over_the_limit_are_the_same_in_sql(scene, company):
    today = TODAY + timedelta(days=scene.asked)
    with rolled_back():
        subscription, keys, used = build(scene, company)
        live_keys = [k for k in keys if k.deleted_at is None]
        states = [k.quota_state(today=today, used=used[k.pk]) for k in live_keys]
        expected = quota.key_availabilities(subscription.licenses, states)
        pool = quota.pool_available(subscription.licenses, states)

        # What the proxy is told: the pool's sums added up by the database.
        for key in live_keys:
            told = license_key_availability(license_key=key, today=today)
            assert told == expected[key.pk]
        # The keys as the Dashboard and the Proxy Servers page read them (one query).
        pooled = license_key_states(
            LicenseKey.objects.filter(subscription=subscription), today=today
        )
        assert {p.state.id: p.state for p in pooled} == {state.id: state for state in states}
        # The License Keys table's columns, sorted by in SQL.
        for column in ("quota", "used", "vacant"):
            rows = license_key_list(subscription=subscription, today=today, pool=pool, sort=column)
            in_sql = dict(rows.values_list("pk", f"sort_{column}"))
            assert in_sql == {pk: getattr(a, column) for pk, a in expected.items()}
        # Over the limit: a key is over exactly when its vacant, in either form, is negative.
        over = {pk for pk, a in expected.items() if a.over_limit}
        assert over == {pk for pk, vacant in in_sql.items() if vacant < 0}


@FAST
@given(
    chars=st.lists(
        st.text(alphabet=KEY_ALPHABET, min_size=KEY_GROUPS * KEY_GROUP_LENGTH, max_size=25),
        min_size=1,
        max_size=4,
        unique=True,
    ),
    names=st.lists(st.sampled_from(["", PRIMARY_KEY_NAME, "Lab", "Büro Nord"]), min_size=4),
)
def test_the_mask_is_the_same_in_sql(chars, names, company):
    with rolled_back():
        subscription = factories.subscription_create(company, licenses=10)
        for index, raw in enumerate(chars):
            LicenseKey.objects.create(
                subscription=subscription,
                key=license_key_format(raw),
                type=quota.RESERVED,
                quota=1,
                name=names[index % len(names)].replace(PRIMARY_KEY_NAME, "Lab"),
            )
        LicenseKey.objects.filter(subscription=subscription, type=quota.PRIMARY).update(
            name=names[0]
        )
        keys = LicenseKey.objects.filter(subscription=subscription).annotate(
            mask=license_key_mask_expression(),
            last=license_key_last_group_expression(),
            sort_name=license_key_display_name_sort_expression(),
        )
        for key in keys:
            assert key.mask == license_key_mask(key.key)
            assert key.last == license_key_last_group(key.key)
            assert key.sort_name == key.display_name.lower()


@FAST
@given(scene=scenes())
def test_a_subscriptions_period_is_the_same_in_sql(scene, company):
    with rolled_back():
        subscription, _keys, _used = build(scene, company)
        mine = Subscription.objects.filter(pk=subscription.pk)
        starts, ends = subscription.starts_on, subscription.ends_on
        days = {TODAY + timedelta(days=scene.asked)} | {
            day + timedelta(days=d) for day in (starts, ends) for d in (-1, 0, 1)
        }
        for today in days:
            in_sql = {
                Subscription.PERIOD_ACTIVE: mine.filter(subscription_active_q(today)).exists(),
                Subscription.PERIOD_EXPIRED: mine.filter(subscription_expired_q(today)).exists(),
                Subscription.PERIOD_UPCOMING: mine.filter(subscription_upcoming_q(today)).exists(),
            }
            assert in_sql == {p: p == subscription.period(today=today) for p in in_sql}
            assert mine.with_expired(today=today).get().expired == subscription.is_expired(
                today=today
            )


def test_an_active_administrator_is_the_same_in_sql(company, alice):
    membership = Membership.objects.get(account=company, user=alice)
    for role in Membership.Role.values:
        for status in Membership.Status.values:
            Membership.objects.filter(pk=membership.pk).update(role=role, status=status)
            membership.refresh_from_db()
            in_sql = Membership.objects.active_admins().filter(pk=membership.pk).exists()
            assert in_sql == membership.is_admin == (role == "admin" and status == "active")
