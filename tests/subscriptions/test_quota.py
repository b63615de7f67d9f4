"""Property tests of the quota arithmetic (subscriptions/quota.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from subscriptions import quota
from subscriptions.quota import DYNAMIC, PRIMARY, RESERVED, KeyState

licenses_st = st.integers(min_value=1, max_value=200)


@st.composite
def subscriptions(draw):
    """A subscription's licenses and keys: one primary, any sublicenses, any usage."""
    licenses = draw(licenses_st)
    keys = [KeyState(id=0, type=PRIMARY, quota=None, used=draw(st.integers(0, 250)))]
    for i in range(draw(st.integers(0, 8))):
        keys.append(
            KeyState(
                id=i + 1,
                type=draw(st.sampled_from([RESERVED, DYNAMIC])),
                quota=draw(st.integers(1, 250)),
                used=draw(st.integers(0, 250)),
                live=draw(st.booleans()),
            )
        )
    return licenses, keys


@given(subscriptions())
def test_pool_available_is_total_minus_pool_usage_minus_reserved_quotas(scene):
    licenses, keys = scene
    live = [k for k in keys if k.live]
    expected = (
        licenses
        - sum(k.used for k in live if k.type in (PRIMARY, DYNAMIC))
        - sum(k.quota for k in live if k.type == RESERVED)
    )
    assert quota.pool_available(licenses, keys) == expected


@given(subscriptions())
def test_every_keys_availability_at_once_is_each_keys_own(scene):
    licenses, keys = scene
    availabilities = quota.key_availabilities(licenses, keys)
    assert availabilities == {k.id: quota.key_availability(licenses, keys, k) for k in keys}
    live = [k for k in keys if k.live]
    pool = quota.pool_from_totals(
        licenses,
        used_from_pool=sum(k.used for k in live if k.type in (PRIMARY, DYNAMIC)),
        reserved=sum(k.quota for k in live if k.type == RESERVED),
    )
    assert pool == quota.pool_available(licenses, keys)


@given(subscriptions())
def test_each_key_has_what_the_rules_say(scene):
    licenses, keys = scene
    pool = quota.pool_available(licenses, keys)
    for key in keys:
        if not key.live:
            continue
        availability = quota.key_availability(licenses, keys, key)
        if key.type == PRIMARY:
            assert (availability.quota, availability.vacant) == (licenses, pool)
        elif key.type == RESERVED:
            assert availability.vacant == key.quota - key.used
        else:
            assert availability.vacant == min(key.quota - key.used, pool)
            assert availability.vacant <= key.quota - key.used
        assert availability.over_limit == (availability.vacant < 0)


@given(subscriptions(), st.integers(0, 8))
def test_an_expired_or_deleted_sublicense_gives_its_licenses_back(scene, index):
    licenses, keys = scene
    sublicenses = [k for k in keys if k.type != PRIMARY and k.live]
    if not sublicenses:
        return
    gone = sublicenses[index % len(sublicenses)]
    after = [KeyState(k.id, k.type, k.quota, k.used, live=False) if k is gone else k for k in keys]
    returned = gone.quota if gone.type == RESERVED else gone.used
    assert quota.pool_available(licenses, after) == quota.pool_available(licenses, keys) + returned
    assert quota.reserved_total(after) <= quota.reserved_total(keys)


@given(licenses_st, st.lists(st.tuples(st.sampled_from([RESERVED, DYNAMIC]), st.integers(1, 250))))
def test_accepted_sublicenses_never_exceed_the_subscription(licenses, requests):
    keys = [KeyState(id=0, type=PRIMARY, quota=None)]
    for i, (type_, wanted) in enumerate(requests, start=1):
        if quota.quota_check(licenses, keys, type=type_, quota=wanted) is None:
            keys.append(KeyState(id=i, type=type_, quota=wanted))
        assert quota.reserved_total(keys) <= licenses
        assert all(k.quota <= licenses for k in keys if k.type == DYNAMIC)


@given(subscriptions(), st.sampled_from([RESERVED, DYNAMIC]))
def test_quota_max_is_exactly_the_largest_accepted_quota(scene, type_):
    licenses, keys = scene
    # Bring the scene within the rules first: reserved quotas that fit, in order.
    fitting = [keys[0]]
    for key in keys[1:]:
        if quota.quota_check(licenses, fitting, type=key.type, quota=key.quota) is None:
            fitting.append(key)
    largest = quota.quota_max(licenses, fitting, type=type_)
    if largest >= 1:
        assert quota.quota_check(licenses, fitting, type=type_, quota=largest) is None
    assert quota.quota_check(licenses, fitting, type=type_, quota=largest + 1) is not None


@given(subscriptions())
def test_modifying_a_key_does_not_count_its_old_quota(scene):
    licenses, keys = scene
    for key in keys:
        if key.type == RESERVED and key.live:
            others = quota.reserved_total(keys) - key.quota
            assert quota.quota_max(licenses, keys, type=RESERVED, exclude_id=key.id) == max(
                licenses - others, 0
            )


def test_worked_example_from_the_guide():
    # 10 licenses; primary uses 2; reserved 3 (uses 1); dynamic 4 (uses 3).
    keys = [
        KeyState(0, PRIMARY, None, used=2),
        KeyState(1, RESERVED, 3, used=1),
        KeyState(2, DYNAMIC, 4, used=3),
    ]
    assert quota.pool_available(10, keys) == 10 - (2 + 3) - 3
    assert quota.key_availability(10, keys, keys[1]).vacant == 2
    assert quota.key_availability(10, keys, keys[2]).vacant == 1
    assert quota.quota_max(10, keys, type=RESERVED) == 7
    assert quota.quota_check(10, keys, type=RESERVED, quota=8) == "quota_reserved_exceeded"
    assert quota.quota_check(10, keys, type=DYNAMIC, quota=11) == "quota_dynamic_exceeded"
    assert quota.quota_check(10, keys, type="primary", quota=1) == "sublicense_type_invalid"
    assert quota.quota_check(10, keys, type=RESERVED, quota=0) == "quota_too_small"


@given(subscriptions())
def test_the_numbers_of_over_the_limit_always_add_up_to_vacant(scene):
    # "Over the limit by N: X in use, Y licenses" must say what Vacant says.
    licenses, keys = scene
    for key in keys:
        if not key.live:
            continue
        a = quota.key_availability(licenses, keys, key)
        assert a.limit - a.in_use == a.vacant
        assert a.over_by == max(-a.vacant, 0)
        if a.shared_pool:
            assert (a.in_use, a.limit) == (
                licenses - quota.pool_available(licenses, keys),
                licenses,
            )
        else:
            assert (a.in_use, a.limit) == (key.used, key.quota)
