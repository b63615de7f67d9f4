"""The quota arithmetic of a subscription, in one pure module (no database, no clock).

The rules (DESIGN.md, "Core rules"; the guide's "Create Sublicenses"):

- the primary key is the pool of all the subscription's licenses;
- a Reserved sublicense holds its quota exclusively;
- a Dynamic sublicense has its quota as a ceiling and competes for the pool as it
  uses licenses;
- pool available = total - used by the primary and dynamic keys - reserved quotas;
- a reserved key has quota - its used; a dynamic key min(quota - its used, pool available);
- reserved quotas together never exceed the licenses; a dynamic quota never exceeds them;
- an expired or deleted sublicense (not "live") counts for nothing: its licenses go back.

Callers pass plain `KeyState` values; the services lock the subscription row before
they ask `quota_check`, so check-then-write cannot race.

No query and no clock here. The few rules a table sorts or filters by in the database
have their SQL form at the end of this module, beside the Python one, and a property
test (tests/subscriptions/test_rules_in_sql.py) holds the two together.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Case, F, IntegerField, Q, Value, When
from django.db.models.expressions import Combinable
from django.db.models.functions import Coalesce, Least

PRIMARY = "primary"
RESERVED = "reserved"
DYNAMIC = "dynamic"


@dataclass(frozen=True)
class KeyState:
    id: int | None
    type: str
    quota: int | None  # None for the primary key: it has the whole pool
    used: int = 0
    live: bool = True  # False once deleted or past its end date


@dataclass(frozen=True)
class KeyAvailability:
    quota: int  # for the primary key: the subscription's licenses
    used: int
    vacant: int  # may be negative: over the license limit
    # The two numbers the limit is measured on, as a person reads it ("Over the limit
    # by 12: 37 in use, 25 licenses"): the key's own used and quota, or, where the pool
    # is what runs out, the pool's whole use (primary and dynamic keys' used plus the
    # reserved quotas) against the subscription's licenses. limit - in_use == vacant.
    in_use: int = 0
    limit: int = 0
    shared_pool: bool = False

    @property
    def over_limit(self) -> bool:
        return is_over_limit(self.vacant)

    @property
    def over_by(self) -> int:
        return -self.vacant if self.vacant < 0 else 0


def is_over_limit(vacant: int) -> bool:
    """ "Over the license limit": more used than the key may use (shown in red, flagged
    in the weekly report, returned to the proxy)."""
    return vacant < 0


def _live(keys: Iterable[KeyState]) -> list[KeyState]:
    return [k for k in keys if k.live]


def reserved_total(keys: Iterable[KeyState], *, exclude_id: int | None = None) -> int:
    return sum(
        k.quota or 0
        for k in _live(keys)
        if k.type == RESERVED and (exclude_id is None or k.id != exclude_id)
    )


def pool_available(licenses: int, keys: Iterable[KeyState]) -> int:
    """Licenses the primary key and the dynamic keys can still take (may be negative)."""
    keys = _live(keys)
    used_from_pool = sum(k.used for k in keys if k.type in (PRIMARY, DYNAMIC))
    return pool_from_totals(licenses, used_from_pool=used_from_pool, reserved=reserved_total(keys))


def pool_from_totals(licenses: int, *, used_from_pool: int, reserved: int) -> int:
    """`pool_available` from its two sums over the live keys (a database can add them
    up): what the primary and dynamic keys use, and the reserved quotas."""
    return licenses - used_from_pool - reserved


def key_availability(licenses: int, keys: Iterable[KeyState], key: KeyState) -> KeyAvailability:
    """Quota, used and vacant of one key, as the License Keys table shows them."""
    return key_availability_in_pool(licenses, key, pool=pool_available(licenses, keys))


def key_availabilities(
    licenses: int, keys: Iterable[KeyState]
) -> dict[int | None, KeyAvailability]:
    """`key_availability` of every key of one subscription, by id: the pool is added up
    once, not once per key (a thousand keys: a thousand sums of a thousand)."""
    keys = list(keys)
    pool = pool_available(licenses, keys)
    return {key.id: key_availability_in_pool(licenses, key, pool=pool) for key in keys}


def key_availability_in_pool(licenses: int, key: KeyState, *, pool: int) -> KeyAvailability:
    """`key_availability` when the pool (`pool_available`) is known."""
    if not key.live:
        return KeyAvailability(quota=key.quota or 0, used=key.used, vacant=0)
    in_pool = {"in_use": licenses - pool, "limit": licenses, "shared_pool": True}
    if key.type == PRIMARY:
        return KeyAvailability(quota=licenses, used=key.used, vacant=pool, **in_pool)
    quota = key.quota or 0
    own = {"in_use": key.used, "limit": quota}
    if key.type == RESERVED:
        return KeyAvailability(quota=quota, used=key.used, vacant=quota - key.used, **own)
    if pool < quota - key.used:  # the pool runs out before the key's own ceiling
        return KeyAvailability(quota=quota, used=key.used, vacant=pool, **in_pool)
    return KeyAvailability(quota=quota, used=key.used, vacant=quota - key.used, **own)


def quota_max(licenses: int, keys: Iterable[KeyState], *, type: str, exclude_id=None) -> int:
    """The largest quota a sublicense of `type` may have ("k out of n available": n)."""
    if type == RESERVED:
        return max(licenses - reserved_total(keys, exclude_id=exclude_id), 0)
    return licenses


def quota_check(
    licenses: int, keys: Iterable[KeyState], *, type: str, quota: int, exclude_id=None
) -> str | None:
    """None when a sublicense of `type` with `quota` fits; else the error code.

    `exclude_id` is the key being modified: its old quota does not count.
    """
    if type not in (RESERVED, DYNAMIC):
        return "sublicense_type_invalid"
    maximum = quota_max(licenses, keys, type=type, exclude_id=exclude_id)
    return quota_limit_check(type=type, quota=quota, maximum=maximum)


def quota_limit_check(*, type: str, quota: int, maximum: int) -> str | None:
    """None when `quota` fits under `maximum` (what `quota_max` gives); else the error
    code. The page's form asks it too, to report every problem in one round."""
    if quota < 1:
        return "quota_too_small"
    if quota > maximum:
        return "quota_reserved_exceeded" if type == RESERVED else "quota_dynamic_exceeded"
    return None


def subscription_availability(licenses: int, keys: Iterable[KeyState]) -> KeyAvailability:
    """The subscription as a whole: its licenses against what the pool rule takes of them
    (the primary and dynamic keys' used plus the reserved quotas, `pool_available`).
    The one figure of "in use", "vacant" and "over the limit by" that the Dashboard,
    Subscription Details (its pool line) and the weekly usage report show for a
    subscription; a key's own figures are `key_availability`'s."""
    pool = pool_available(licenses, keys)
    return KeyAvailability(
        quota=licenses,
        used=licenses - pool,
        vacant=pool,
        in_use=licenses - pool,
        limit=licenses,
        shared_pool=True,
    )


# The same rules in SQL: the License Keys table and its API sort by them in the database,
# whatever the number of keys. `live` is the SQL form of `KeyState.live` for the keys
# queried (not deleted: the caller filters; not past the end date: see
# subscriptions.models.license_key_expired_q), `used` the SQL form of what a key uses.


def key_quota_expression(*, live: Q) -> Case:
    """`key_availability_in_pool(...).quota` in SQL: the subscription's licenses for the
    live primary key, else the key's own quota."""
    return Case(
        When(Q(type=PRIMARY) & live, then=F("subscription__licenses")),
        default=Coalesce("quota", 0),
        output_field=IntegerField(),
    )


def key_vacant_expression(*, live: Q, used: Combinable, pool: int) -> Case:
    """`key_availability_in_pool(...).vacant` in SQL, given the subscription's `pool`
    (`pool_available`, added up once): 0 for a key no longer live, the pool for the
    primary key, quota - used for a reserved key, and the lesser of the two for a
    dynamic key."""
    own = Coalesce("quota", 0) - used
    return Case(
        When(~live, then=Value(0)),
        When(type=PRIMARY, then=Value(pool)),
        When(type=RESERVED, then=own),
        default=Least(own, Value(pool)),
        output_field=IntegerField(),
    )
